"""``latticectl watch``: the pieces of the daemon, put together and run.

One :class:`~lattice_program.watch.cache.ClusterCache` per cluster of the stack feeds one
:class:`~lattice_program.watch.converge.Converger`; a resync beat checks for drift; the
health server answers probes and scrapes.  ``once`` syncs, converges a single time and
returns, for CI and cron.  Stopping (SIGTERM, SIGINT) ends the watches at once and lets
an update in flight finish, so the stack is never left locked by us.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Protocol, Sequence, Tuple

from lattice_program.engine.interrupts import interrupt_pulumi
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.settings import SettingsError, StackSettings
from lattice_program.watch.backoff import Backoff
from lattice_program.vocabulary.status import ObjectRef
from lattice_program.watch.controls import RECONCILE_HANDLED, pending_reconcile
from lattice_program.watch.converge import ConvergeStatus, Converger, Observation, Outcome, StackEngine, State
from lattice_program.watch.health import HealthServer
from lattice_program.watch.informer import Change
from lattice_program.watch.leader import ANNOTATION_PREFIX, LeaderElector
from lattice_program.watch.metrics import DaemonMetrics
from lattice_program.watch.status_writer import LatticeOutcome, StatusWriter
from lattice_program.watch.targets import TargetFastPath

log = logging.getLogger("lattice_program.watch")

# What a leader records on the Lease, so the next one does not forget a stall.
FAILURES_ANNOTATION = f"{ANNOTATION_PREFIX}consecutive-failures"
STALLED_ANNOTATION = f"{ANNOTATION_PREFIX}stalled-on"

# Exit codes of `latticectl watch --once`.
EXIT_CONVERGED = 0
EXIT_NOT_CONVERGED = 1


@dataclass(frozen=True)
class WatchOptions:
    stack: str
    contexts: Tuple[str, ...] = ()
    debounce: float = 2.0
    max_wait: float = 30.0
    resync: float = 600.0
    max_deletions: int = 25
    drift: Literal["warn", "remediate"] = "warn"
    metrics_addr: Optional[str] = ":8080"
    once: bool = False
    sync_timeout: float = 300.0  # how long the first sync of every cache may take
    grace: float = 60.0  # how long an update in flight may go on after a stop, before it is cancelled


def cluster_contexts(settings: StackSettings, contexts: Sequence[str]) -> Dict[str, Optional[str]]:
    """Each cluster's kubeconfig context: from ``--context`` (``CTX`` for a stack of one
    cluster, ``CLUSTER=CTX`` otherwise), else from the stack settings; ``None`` is the
    kubeconfig's current context (or the pod's own service account, in a cluster)."""
    clusters = settings.cluster_list()
    names = [c.name for c in clusters]
    chosen: Dict[str, Optional[str]] = {c.name: c.context for c in clusters}
    for entry in contexts:
        name, separator, context = entry.partition("=")
        if not separator:
            if len(clusters) > 1:
                raise SettingsError(f"--context {entry!r}: the stack has clusters {', '.join(names)}; name the "
                                    f"cluster, as --context {names[0]}={entry}")
            name, context = names[0], entry
        if name not in chosen:
            raise SettingsError(f"--context {entry!r}: the stack has no cluster {name!r} (it has {', '.join(names)})")
        chosen[name] = context
    missing = [name for name, context in chosen.items() if context is None]
    if len(clusters) > 1 and missing:
        raise SettingsError(f"cluster(s) {', '.join(missing)} have no context: set context under "
                            "lattice-gateway:clusters in the stack settings, or pass --context CLUSTER=CTX")
    return chosen


def lease_name(stack: str) -> str:
    """The stack's Lease: ``lattice-gateway-<stack>``, as a valid object name; a stack name
    that had to be changed to fit gets a short hash, so ``acme/prod`` and ``acme-prod``
    never share a Lease."""
    cleaned = re.sub(r"[^a-z0-9.-]+", "-", stack.lower()).strip("-.") or "stack"
    if cleaned != stack:
        cleaned = f"{cleaned[:200]}-{hashlib.sha256(stack.encode()).hexdigest()[:8]}"
    return f"lattice-gateway-{cleaned}"


def connect_cluster(context: Optional[str]):
    """An API client for ``context``; with none, inside a pod, the pod's own identity."""
    from kubernetes import client, config

    from lattice_program.sources.cluster import connect, pooled_configuration

    if context is None and os.environ.get("KUBERNETES_SERVICE_HOST") and not os.environ.get("KUBECONFIG"):
        configuration = pooled_configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    return connect(context=context)


def _live_key(ref) -> Tuple[str, str, str, str]:
    return (ref.cluster, ref.kind, ref.namespace or "", ref.name)


def _ref_of(key: Tuple[str, str, str, str], body: Mapping) -> ObjectRef:
    cluster, kind, namespace, name = key
    return ObjectRef(kind, namespace or None, name, str(body.get("apiVersion") or ""), cluster)


def _lattice_outcome(status: ConvergeStatus) -> Optional[LatticeOutcome]:
    """What ``Programmed`` says after a converge; ``None``: write nothing now (a read that
    was incomplete, a lock, a pass still running)."""
    if status.state is State.READY:
        return LatticeOutcome(True, "VPC Lattice holds it")
    if status.state is State.STALLED or (status.state is State.PROGRESSING and status.reason == "Retrying"):
        return LatticeOutcome(False, status.message)
    return None


class ClusterCacheLike(Protocol):
    """What the daemon needs of one cluster's caches (``watch/cache.ClusterCache``)."""

    synced: bool
    complete: bool

    def objects(self) -> Sequence[RawObject]: ...

    def failures(self) -> Sequence[str]: ...

    def wait_synced(self, timeout: float) -> bool: ...

    def stop(self) -> None: ...


class Daemon:
    def __init__(self, options: WatchOptions, settings: StackSettings, engine: StackEngine, *,
                 caches: Dict[str, ClusterCacheLike], metrics: Optional[DaemonMetrics] = None,
                 status_writer: Optional[StatusWriter] = None,
                 lattice_client: Optional[Callable[[], Any]] = None,
                 elector: Optional[LeaderElector] = None,
                 refusal: Callable[[], Optional[str]] = lambda: None,
                 on_applied: Callable[[Observation], Optional[str]] = lambda observation: None) -> None:
        self.options = options
        self.settings = settings
        self.metrics = metrics or DaemonMetrics()
        self.caches = caches
        self.stop_event = threading.Event()
        self.elector = elector
        self.converger = Converger(options.stack, settings, self.observe, engine, debounce=options.debounce,
                                   max_wait=options.max_wait, max_deletions=options.max_deletions,
                                   backoff=Backoff(base=5.0, cap=300.0), metrics=self.metrics,
                                   standby=self.standby, refusal=refusal, on_applied=on_applied)
        self._threads: List[threading.Thread] = []
        self._health: Optional[HealthServer] = None
        self.status_writer = status_writer
        self._last_written: Optional[Tuple] = None
        self.converger.listeners.append(self._write_back)
        if elector is not None:
            self.converger.listeners.append(self._record_on_lease)
        # Targets take the fast path when the daemon can reach Lattice directly.
        self.targets: Optional[TargetFastPath] = None
        if lattice_client is not None:
            self.targets = TargetFastPath(options.stack, settings, self.observe, lambda: self.converger.outputs,
                                          lattice_client, metrics=self.metrics, standby=self.standby)
            self.converger.listeners.append(self._after_update)

    # -- what the converger reads --------------------------------------------------------

    def observe(self) -> Observation:
        objects = {name: tuple(cache.objects()) for name, cache in self.caches.items()}
        failures = tuple(f"cluster {name}: {reason}" for name, cache in self.caches.items()
                         for reason in cache.failures())
        complete = all(cache.complete for cache in self.caches.values())
        return Observation(objects, complete, failures)

    def on_change(self, change: Change) -> None:
        self.metrics.events.labels(change.cluster, change.kind).inc()
        if change.kind == "EndpointSlice":
            # Endpoints only ever make targets, which the model's digest leaves out: no
            # converge would follow, so none is planned.
            if self.targets is not None and not self.settings.suspend:
                self.targets.notify()
        elif change.kind == "Gateway" and change.object is not None and pending_reconcile(change.object):
            self.converger.request()
        else:
            self.converger.notify()

    def _after_update(self, status: ConvergeStatus) -> None:
        if status.reason == Outcome.APPLIED.value and self.targets is not None:
            self.targets.notify()  # groups an update created get their targets now

    # -- leadership ---------------------------------------------------------------------------

    def standby(self) -> Optional[str]:
        """Why this replica must leave the stack alone now, or None when it leads (or runs alone)."""
        if self.elector is None or self.elector.is_leader:
            return None
        holder = self.elector.leader_identity
        return f"standby: {holder} leads" if holder else "standby: waiting for the lease"

    def became_leader(self) -> None:
        """Take over where the previous leader left: its failures and stall, from the Lease."""
        recorded = self.elector.annotations() if self.elector is not None else {}
        try:
            failures = int(recorded.get(FAILURES_ANNOTATION) or 0)
        except ValueError:
            failures = 0
        self.converger.restore(failures=failures, stalled_on=recorded.get(STALLED_ANNOTATION) or None)
        self.converger.notify()
        if self.targets is not None:
            self.targets.notify()

    def _record_on_lease(self, status: ConvergeStatus) -> None:
        if self.elector is None or not self.elector.is_leader:
            return
        wanted = {FAILURES_ANNOTATION: str(status.consecutive_failures),
                  STALLED_ANNOTATION: self.converger.stalled_on or None}
        recorded = self.elector.annotations()
        if all(recorded.get(key) == value for key, value in wanted.items()):
            return
        try:
            self.elector.set_annotations(wanted)
        except Exception as error:  # the next change records it again
            log.warning("could not record the converge state on the lease: %s", error)

    # -- status write-back ------------------------------------------------------------------

    def _write_back(self, status: ConvergeStatus) -> None:
        """After each converge outcome: every object's status, each to its own cluster."""
        outcome = _lattice_outcome(status)
        if self.status_writer is None or outcome is None or status.last_plan is None or self.standby():
            return
        live = self._live_objects()
        requests = {key: request for key, body in live.items()
                    if key[1] == "Gateway" and (request := pending_reconcile(body)) is not None}
        moment = (status.state, status.reason, status.message, status.applied_digest, status.desired_digest)
        if moment == self._last_written and not requests:
            return
        self._last_written = moment
        report = self.status_writer.write(status.last_plan.statuses, lambda ref: live.get(_live_key(ref)),
                                          self.converger.outputs, outcome)
        for key, request in requests.items():
            self.status_writer.acknowledge(_ref_of(key, live[key]), live[key], {RECONCILE_HANDLED: request})
        if status.reason == Outcome.DELETIONS_REFUSED.value:
            for object_status in status.last_plan.statuses:
                ref = object_status.ref
                if ref.kind == "Gateway" and _live_key(ref) in live:
                    self.status_writer.event(ref, live[_live_key(ref)], "DeletionsRefused", status.message)
        if report.written or report.failed:
            log.info("status written to %d object(s), %d unchanged, %d failed", len(report.written),
                     report.unchanged, len(report.failed))

    def _live_objects(self) -> Dict[Tuple[str, str, str, str], Mapping]:
        live = {}
        for cluster, cache in self.caches.items():
            for raw in cache.objects():
                body = raw.body
                metadata = body.get("metadata") or {}
                live[(cluster, body.get("kind"), metadata.get("namespace") or "", metadata.get("name"))] = body
        return live

    # -- probes ----------------------------------------------------------------------------

    def live(self) -> Tuple[bool, str]:
        dead = [t.name for t in self._threads if not t.is_alive()]
        if dead and not self.stop_event.is_set():
            return False, f"stopped: {', '.join(dead)}"
        return True, "ok"

    def ready(self) -> Tuple[bool, str]:
        waiting = [name for name, cache in self.caches.items() if not cache.synced]
        if waiting:
            return False, f"caches of cluster(s) {', '.join(waiting)} have not synced"
        if self.elector is not None and self.elector.leader_identity is None:
            return False, "leadership not known yet (the lease has not been read)"
        if self.standby():
            return True, self.standby()
        return True, f"{self.converger.status.state.value}: {self.converger.status.reason}"

    # -- running ---------------------------------------------------------------------------

    def wait_synced(self) -> bool:
        deadline = time.monotonic() + self.options.sync_timeout
        for name, cache in self.caches.items():
            if not cache.wait_synced(max(0.0, deadline - time.monotonic())):
                log.error("cluster %s: caches did not sync within %.0fs (%s)", name, self.options.sync_timeout,
                          "; ".join(cache.failures()) or "no answer")
                return False
        return True

    def run(self) -> int:
        """Until :meth:`stop` (or, with ``once``, one converge); the exit code."""
        if self.options.metrics_addr and not self.options.once:
            self._health = HealthServer(self.options.metrics_addr, self.metrics.registry, live=self.live,
                                        ready=self.ready).start()
            log.info("serving /healthz, /readyz and /metrics on port %d", self._health.port)
        try:
            if not self.wait_synced():
                return EXIT_NOT_CONVERGED
            if self.options.once:
                outcome = self.converger.converge_once()
                converged = outcome in (Outcome.APPLIED, Outcome.UP_TO_DATE, Outcome.SUSPENDED)
                if outcome in (Outcome.APPLIED, Outcome.UP_TO_DATE) and self.targets is not None:
                    report = self.targets.sync_once()
                    converged = report is None or report.ok
                return EXIT_CONVERGED if converged else EXIT_NOT_CONVERGED
            if self.elector is not None:
                self._start("lattice-leader", self.elector.run, self.stop_event)
            self._start("lattice-converge", self.converger.run, self.stop_event)
            if self.targets is not None:
                self._start("lattice-targets", self.targets.run, self.stop_event)
            self._start("lattice-resync", self._resync_beat)
            self.stop_event.wait()
            return EXIT_CONVERGED
        finally:
            self._shutdown()

    def stop(self) -> None:
        self.stop_event.set()

    def _start(self, name: str, target: Callable, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _resync_beat(self) -> None:
        """Every ``resync`` seconds, give or take 10% so replicas and stacks spread out."""
        while not self.stop_event.wait(self.options.resync * random.uniform(0.9, 1.1)):
            self.converger.resync(remediate=self.options.drift == "remediate")
            if self.targets is not None:
                self.targets.notify()  # a full target sync on the same beat

    def _shutdown(self) -> None:
        self.stop_event.set()
        for cache in self.caches.values():
            cache.stop()
        # The converge thread returns once an update in flight has finished; past the
        # grace period the update is cancelled the CLI's clean way, which releases the lock.
        deadline = time.monotonic() + self.options.grace
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._threads):
            log.warning("an update is still running %.0fs after the stop: cancelling it cleanly", self.options.grace)
            interrupt_pulumi()
            for thread in self._threads:
                thread.join()
        if self._health is not None:
            self._health.stop()
        state = self.converger.status
        log.info("stopped; stack %s was %s (%s)", self.options.stack, state.state.value, state.reason)


