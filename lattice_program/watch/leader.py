"""Leader election on a coordination.k8s.io/v1 Lease, one per stack: only the leader
converges; standbys keep their caches warm and take over when the lease lapses.

client-go's algorithm (``tools/leaderelection``), through the official client:

* Every ``retry_period`` a candidate reads the Lease.  It takes it when there is none,
  when it is released (no holder), or when the record has not changed for
  ``leaseDurationSeconds`` *as this candidate observed it*; the holder renews it.
  Expiry is timed from when the record was last seen to change, on the candidate's own
  clock, never by comparing the holder's ``renewTime`` with the local clock: two hosts'
  clocks may disagree, and a standby ahead of the leader would take over too early.
  So a fresh standby waits one lease duration before taking over a dead holder's lease.
* Every write is a replace carrying the resourceVersion that was read; of two candidates
  racing for the same lease, one gets 409 Conflict and stays a candidate.
* A leader that could not renew for ``renew_deadline`` (shorter than the lease duration)
  steps down, so it is no longer leading when a standby may take over; ``is_leader``
  turns false at that deadline even while a request hangs.
* On a clean stop the leader releases the lease (empty holder, 1 s duration, as
  client-go's ReleaseOnCancel), so a standby takes over within a retry period.

The Lease also carries annotations: the holder's host and pid (to find a lock holder
later), and whatever the daemon records with :meth:`LeaderElector.set_annotations`
(failure count, next retry) so that it survives a restart.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, Mapping, Optional

from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("lattice_program.watch")

ANNOTATION_PREFIX = "lattice-gateway.io/"
HOLDER_HOST = f"{ANNOTATION_PREFIX}holder-host"
HOLDER_PID = f"{ANNOTATION_PREFIX}holder-pid"
JITTER = 1.2  # client-go's: a candidate waits retry_period * (1 + up to 1.2) between tries


class MicroTime(datetime):
    """A timestamp that always serializes with microseconds: the API server parses Lease
    times as ``2006-01-02T15:04:05.000000Z07:00`` and refuses ``datetime.isoformat()`` of a
    whole second (which drops the fraction)."""

    def isoformat(self, sep: str = "T", timespec: str = "microseconds") -> str:
        return super().isoformat(sep, timespec)


def micro_time(seconds: float) -> MicroTime:
    return MicroTime.fromtimestamp(seconds, tz=timezone.utc)


def default_identity() -> str:
    return f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LeaseRecord:
    """What a Lease says about its holder (client-go's LeaderElectionRecord)."""

    holder: str
    duration: float
    acquire_time: Optional[datetime]
    renew_time: Optional[datetime]
    transitions: int

    @classmethod
    def of(cls, lease: k8s_client.V1Lease) -> "LeaseRecord":
        spec = lease.spec or k8s_client.V1LeaseSpec()
        return cls(spec.holder_identity or "", float(spec.lease_duration_seconds or 0), spec.acquire_time,
                   spec.renew_time, spec.lease_transitions or 0)


class LeaderElector:
    """Campaign for the Lease ``namespace/name`` as ``identity``; :meth:`run` on a thread.

    ``on_started_leading`` / ``on_stopped_leading`` are called on the elector's thread and
    must return quickly (set a flag, wake a loop).  ``clock`` gives epoch seconds; it
    stamps the Lease and times expiry and deadlines.
    """

    def __init__(self, api_client: k8s_client.ApiClient, namespace: str, name: str, identity: Optional[str] = None, *,
                 lease_duration: float = 15.0, renew_deadline: float = 10.0, retry_period: float = 2.0,
                 on_started_leading: Optional[Callable[[], None]] = None,
                 on_stopped_leading: Optional[Callable[[], None]] = None,
                 on_new_leader: Optional[Callable[[str], None]] = None,
                 release_on_stop: bool = True, clock: Callable[[], float] = time.time):
        if not lease_duration > renew_deadline > JITTER * retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > 1.2 * retry_period > 0 (as client-go)")
        self.namespace, self.name = namespace, name
        self.identity = identity or default_identity()
        self.lease_duration, self.renew_deadline, self.retry_period = lease_duration, renew_deadline, retry_period
        self.release_on_stop = release_on_stop
        self._api = k8s_client.CoordinationV1Api(api_client)
        self._on_started = on_started_leading
        self._on_stopped = on_stopped_leading
        self._on_new_leader = on_new_leader
        self._clock = clock
        self._timeout = max(1.0, renew_deadline / 2)  # per request, so a hung call cannot outlive the deadline
        self._lock = threading.Lock()
        self._observed: Optional[LeaseRecord] = None
        self._observed_at = 0.0  # when the record last changed, as we saw it
        self._annotations: Dict[str, str] = {}
        self._leading = False
        self._renewed_at = 0.0
        self._stop: Optional[threading.Event] = None

    # -- what it knows ----------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        """Leading: renewed within the renew deadline, and the lease last seen is ours."""
        return (self._leading and self._clock() < self._renewed_at + self.renew_deadline
                and self.leader_identity == self.identity)

    @property
    def leader_identity(self) -> Optional[str]:
        """The holder of the lease as last read ("" when released or lapsed unheld); None
        until the lease was read once (leadership not known yet)."""
        observed = self._observed
        return None if observed is None else observed.holder

    def annotations(self) -> Dict[str, str]:
        """The Lease's annotations as last read or written."""
        with self._lock:
            return dict(self._annotations)

    def set_annotations(self, values: Mapping[str, Optional[str]]) -> Dict[str, str]:
        """Merge ``values`` into the Lease's annotations (None removes one); the result.
        A patch, so it neither needs nor takes the lease; renewals keep what it wrote."""
        lease = self._api.patch_namespaced_lease(self.name, self.namespace, {"metadata": {"annotations": dict(values)}},
                                                 _content_type="application/merge-patch+json",
                                                 _request_timeout=self._timeout)
        with self._lock:
            self._annotations = dict(lease.metadata.annotations or {})
            return dict(self._annotations)

    # -- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Campaign, lead, and campaign again after losing the lease, until ``stop`` is set;
        then release the lease if leading (unless ``release_on_stop`` is off)."""
        self._stop = stop
        while not stop.is_set():
            while not stop.is_set() and not self.try_acquire_or_renew():
                stop.wait(self.retry_period * (1 + JITTER * random.random()))
            if stop.is_set():
                break
            self._started()
            while not stop.is_set() and self._renew_until_deadline(stop):
                stop.wait(self.retry_period)
            if not stop.is_set():
                holder = self.leader_identity
                why = f"taken by {holder}" if holder != self.identity else f"not renewed within {self.renew_deadline:g} s"
                log.warning("lease %s/%s: %s; stepping down", self.namespace, self.name, why)
                self._stopped()
        if self._leading:
            if self.release_on_stop:
                self.release()
            else:
                self._stopped()

    def crash(self) -> None:
        """Stop at once without releasing the lease, as a killed process would (for tests)."""
        self.release_on_stop = False
        if self._stop is not None:
            self._stop.set()

    def _renew_until_deadline(self, stop: threading.Event) -> bool:
        deadline = self._renewed_at + self.renew_deadline
        while not stop.is_set() and self._clock() < deadline:
            if self.try_acquire_or_renew():
                return True
            if self.leader_identity != self.identity:
                return False  # someone else holds it now: lost, no need to wait for the deadline
            stop.wait(min(self.retry_period, max(0.0, deadline - self._clock())))
        return stop.is_set()

    def _started(self) -> None:
        log.info("lease %s/%s: %s is the leader", self.namespace, self.name, self.identity)
        self._call(self._on_started)

    def _stopped(self) -> None:
        self._leading = False
        self._call(self._on_stopped)

    def _call(self, callback: Optional[Callable[..., None]], *args: str) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # the election must go on whatever a callback does
            log.exception("lease %s/%s: a leader election callback failed", self.namespace, self.name)

    # -- one try ----------------------------------------------------------------------------

    def try_acquire_or_renew(self) -> bool:
        """Read the Lease, and take or renew it if allowed; whether we hold it now."""
        now = self._clock()
        try:
            lease = self._read()
        except ApiException as error:
            if error.status != 404:
                return self._failed("read", error)
            return self._write(None, self._desired(now, None), now)
        except Exception as error:  # unreachable, timed out: a failed try, like any other
            return self._failed("read", error)
        old = LeaseRecord.of(lease)
        self._observe(old, now, dict(lease.metadata.annotations or {}))
        if old.holder and old.holder != self.identity and self._observed_at + old.duration > now:
            return False  # held by someone else, and not lapsed
        return self._write(lease, self._desired(now, old), now)

    def _read(self) -> k8s_client.V1Lease:
        return self._api.read_namespaced_lease(self.name, self.namespace, _request_timeout=self._timeout)

    def _desired(self, now: float, old: Optional[LeaseRecord]) -> k8s_client.V1LeaseSpec:
        ours = old is not None and old.holder == self.identity
        acquired = micro_time(old.acquire_time.timestamp()) if ours and old.acquire_time else micro_time(now)
        transitions = (old.transitions + (0 if ours else 1)) if old is not None else 0
        return k8s_client.V1LeaseSpec(holder_identity=self.identity, lease_duration_seconds=round(self.lease_duration),
                                      acquire_time=acquired, renew_time=micro_time(now), lease_transitions=transitions)

    def _write(self, lease: Optional[k8s_client.V1Lease], spec: k8s_client.V1LeaseSpec, now: float) -> bool:
        holder = {HOLDER_HOST: socket.gethostname(), HOLDER_PID: str(os.getpid())}
        try:
            if lease is None:
                metadata = k8s_client.V1ObjectMeta(name=self.name, namespace=self.namespace, annotations=holder)
                written = self._api.create_namespaced_lease(
                    self.namespace, k8s_client.V1Lease(metadata=metadata, spec=spec), _request_timeout=self._timeout)
            else:
                # The metadata as read: its resourceVersion makes this write lose any race.
                lease.metadata.annotations = {**(lease.metadata.annotations or {}), **holder}
                lease.spec = spec
                written = self._api.replace_namespaced_lease(self.name, self.namespace, lease,
                                                             _request_timeout=self._timeout)
        except ApiException as error:
            if error.status == 409:  # another candidate wrote first (AlreadyExists on create, Conflict on replace)
                return False
            return self._failed("write", error)
        except Exception as error:
            return self._failed("write", error)
        self._observe(LeaseRecord.of(written), now, dict(written.metadata.annotations or {}))
        self._leading, self._renewed_at = True, now
        return True

    def _observe(self, record: LeaseRecord, now: float, annotations: Dict[str, str]) -> None:
        with self._lock:
            self._annotations = annotations
        if record == self._observed:
            return
        previous = self._observed
        self._observed, self._observed_at = record, now
        if previous is None or previous.holder != record.holder:
            if record.holder:
                log.info("lease %s/%s: held by %s", self.namespace, self.name, record.holder)
            self._call(self._on_new_leader, record.holder)

    def _failed(self, operation: str, error: Exception) -> bool:
        reason = f"HTTP {error.status}" if isinstance(error, ApiException) else repr(error)
        log.warning("lease %s/%s: %s failed: %s", self.namespace, self.name, operation, reason)
        return False

    # -- giving it up -----------------------------------------------------------------------

    def release(self) -> bool:
        """Give the lease up at once if we hold it (holder emptied, duration 1 s), so a
        standby takes over without waiting for it to lapse; whether it was released."""
        if not self._leading:
            return False
        self._stopped()  # first: we must not lead for a moment after a standby may
        now = self._clock()
        try:
            lease = self._read()
            if (lease.spec.holder_identity or "") != self.identity:
                return False
            lease.metadata.annotations = {key: value for key, value in (lease.metadata.annotations or {}).items()
                                          if key not in (HOLDER_HOST, HOLDER_PID)}
            lease.spec = k8s_client.V1LeaseSpec(holder_identity="", lease_duration_seconds=1,
                                                acquire_time=micro_time(now), renew_time=micro_time(now),
                                                lease_transitions=lease.spec.lease_transitions or 0)
            written = self._api.replace_namespaced_lease(self.name, self.namespace, lease,
                                                         _request_timeout=self._timeout)
        except Exception as error:  # it will lapse instead
            return self._failed("release", error)
        self._observe(LeaseRecord.of(written), now, dict(written.metadata.annotations or {}))
        log.info("lease %s/%s: released by %s", self.namespace, self.name, self.identity)
        return True
