"""One stack's converge loop: what the clusters hold, made true in VPC Lattice.

On a change the loop waits for the burst to end (``debounce.py``), plans what the caches
hold, and compares the desired model's digest with the one the stack last applied
(its ``modelDigest`` output): equal means nothing to do, and no update runs.  Otherwise
it previews, refuses an update that would delete or replace more than ``max_deletions``
resources, and runs one ``up``.  Exactly one update is in flight per stack; changes that
arrive meanwhile wait for the next pass, which plans everything the caches hold then.

Safety, in the order it is checked:

* a read that is not complete (an informer not synced, a required kind not served, a
  cluster that cannot be listed) never converges: planning from it could delete what
  the unread part holds;
* a stack that is Stalled stays so until its input changes (another desired digest) or
  a person asks (``request``), so a broken input does not retry forever;
* a lock held by someone else is waited for and reported, never broken here.

The engine is behind :class:`StackEngine`; ``stack_engine.py`` drives the Automation
API, tests drive a double.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Callable, Dict, Mapping, Optional, Protocol, Sequence, Tuple

from lattice_program.contract.pipeline import PlanResult, plan
from lattice_program.engine.automation import AutomationError, StackLocked
from lattice_program.program.digest import model_digest
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary import outputs
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.backoff import Backoff
from lattice_program.watch.debounce import Debouncer
from lattice_program.watch.metrics import DaemonMetrics

log = logging.getLogger("lattice_program.watch")

# Change kinds of a preview that remove a resource from Lattice.
DESTRUCTIVE_CHANGES = ("delete", "replace")


@dataclass(frozen=True)
class Observation:
    """Each cluster's objects as the caches hold them, and whether that is all of them."""

    objects: Mapping[str, Tuple[RawObject, ...]]
    complete: bool
    failures: Tuple[str, ...] = ()


class StackEngine(Protocol):
    """What the loop asks of Pulumi for one stack."""

    def outputs(self) -> Mapping[str, Any]:
        """The stack's outputs (empty before its first update)."""

    def preview(self, observation: Observation, previous: Mapping[str, Any], *,
                refresh: bool = False) -> Mapping[str, int]:
        """Change counts (``{"create": 2, "delete": 1, "same": 9}``) of an update on
        ``observation``; with ``refresh``, after reading Lattice's actual state (drift)."""

    def up(self, observation: Observation, previous: Mapping[str, Any], *, refresh: bool = False) -> Mapping[str, Any]:
        """Apply ``observation`` (after reading Lattice's actual state, with ``refresh``);
        the stack's outputs afterwards."""

    def cancel(self) -> None:
        """Remove the stack's lock (``pulumi cancel``)."""


class Outcome(str, Enum):
    UP_TO_DATE = "UpToDate"
    APPLIED = "Applied"
    DRIFTED = "Drifted"
    DELETIONS_REFUSED = "DeletionsRefused"
    FAILED = "Failed"
    LOCKED = "Locked"
    INCOMPLETE_READ = "IncompleteRead"
    STALLED = "Stalled"
    SUSPENDED = "Suspended"
    STANDBY = "Standby"
    REFUSED = "Refused"  # the stack refuses converges now (frozen for promotion)


class State(str, Enum):
    READY = "Ready"  # Lattice holds what the clusters ask for
    PROGRESSING = "Progressing"  # a converge is due or running
    WAITING = "Waiting"  # for a complete read, or for a lock held by someone else
    STALLED = "Stalled"  # a person must look: the reason says why
    SUSPENDED = "Suspended"  # the stack settings say: change nothing


@dataclass(frozen=True)
class ConvergeStatus:
    state: State = State.PROGRESSING
    reason: str = "Starting"
    message: str = "waiting for the first converge"
    desired_digest: Optional[str] = None
    applied_digest: Optional[str] = None
    consecutive_failures: int = 0
    next_retry_in: Optional[float] = None  # seconds, when a retry is scheduled
    last_success_at: Optional[float] = None  # Unix time
    last_plan: Optional[PlanResult] = field(default=None, compare=False, repr=False)


class Converger:
    def __init__(self, stack: str, settings: StackSettings, observe: Callable[[], Observation], engine: StackEngine, *,
                 debounce: float = 2.0, max_wait: float = 30.0, max_deletions: int = 25, stall_after: int = 3,
                 backoff: Optional[Backoff] = None, metrics: Optional[DaemonMetrics] = None,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 standby: Callable[[], Optional[str]] = lambda: None,
                 refusal: Callable[[], Optional[str]] = lambda: None,
                 on_applied: Callable[[Observation], Optional[str]] = lambda observation: None) -> None:
        self.stack = stack
        # Why the stack takes no converge now (it is frozen), or None; and what to do after
        # each successful update (record the release it applied), which may return a warning.
        self.refusal = refusal
        self.on_applied = on_applied
        # Why this replica must not act now (another one leads), or None: it may.
        self.standby = standby
        self.settings = settings
        self.observe = observe
        self.engine = engine
        self.max_deletions = max_deletions
        self.stall_after = stall_after
        self.backoff = backoff or Backoff()
        self.metrics = metrics or DaemonMetrics()
        self.clock = clock
        self.wall_clock = wall_clock
        self._debouncer = Debouncer(debounce, max_wait)
        self._wake = threading.Condition()
        self._one_at_a_time = threading.Lock()
        self._forced = False
        self._forced_now = False  # the pass due now was asked for by a person
        self._refresh_next = False  # drift was found: the next update reads Lattice first
        self._broke_lock = False  # at most once per pass
        self._retry_at: Optional[float] = None
        self._previous: Optional[Dict[str, Any]] = None  # the stack's outputs, read once, then kept
        self._stalled_on: Optional[str] = None  # the desired digest the stack stalled on
        self.status = ConvergeStatus()
        self.listeners: list = []  # called with each new ConvergeStatus (status write-back, logs)

    # -- what wakes the loop ---------------------------------------------------------------

    def notify(self) -> None:
        """An input changed: converge once the burst is over."""
        with self._wake:
            self._debouncer.touch(self.clock())
            self._wake.notify_all()

    def request(self) -> None:
        """A person asked ("reconcile now"): converge at once, Stalled or not."""
        with self._wake:
            self._forced = True
            self._wake.notify_all()

    def run(self, stop: threading.Event) -> None:
        """Converge whenever due, until ``stop`` is set (then return after any update in flight)."""
        self.notify()  # the first pass, once the caches are there
        while not stop.is_set():
            if self._wait_until_due(stop):
                self.converge_once()

    def _wait_until_due(self, stop: threading.Event) -> bool:
        with self._wake:
            while not stop.is_set():
                now = self.clock()
                due = self._due_at()
                if self._forced or (due is not None and due <= now):
                    self._forced_now = self._forced
                    self._forced = False
                    self._debouncer.take()
                    self._retry_at = None
                    return True
                # Woken by notify/request; the timeout also lets ``stop`` be seen promptly.
                self._wake.wait(timeout=min(0.5, due - now) if due is not None else 0.5)
        return False

    def _due_at(self) -> Optional[float]:
        candidates = [t for t in (self._debouncer.due_at(), self._retry_at) if t is not None]
        return min(candidates) if candidates else None

    # -- one pass ----------------------------------------------------------------------------

    def converge_once(self, *, force: bool = False) -> Outcome:
        """Plan, compare, preview, apply: one pass, never two at once."""
        force = force or self._forced_now
        self._forced_now = False
        with self._one_at_a_time:
            if self.standby() is not None:
                return Outcome.STANDBY  # the leader converges; this replica keeps its caches warm
            started = self.clock()
            self._broke_lock = False
            outcome = self._converge(force)
            self.metrics.converge_seconds.labels(self.stack).observe(self.clock() - started)
            self.metrics.converges.labels(self.stack, outcome.value).inc()
            self.metrics.stalled.labels(self.stack).set(1 if self.status.state is State.STALLED else 0)
            return outcome

    def _converge(self, force: bool) -> Outcome:
        if self.settings.suspend:
            self._set(State.SUSPENDED, Outcome.SUSPENDED.value, "lattice-gateway:suspend is set in the stack "
                      "settings: nothing is changed in Lattice until it is removed")
            return Outcome.SUSPENDED
        refused = self.refusal()
        if refused:
            self._set(State.SUSPENDED, Outcome.REFUSED.value, f"{refused}; nothing is changed in Lattice")
            return Outcome.REFUSED
        observation = self.observe()
        if not observation.complete:
            failures = "; ".join(observation.failures) or "the caches have not synced yet"
            self._set(State.WAITING, Outcome.INCOMPLETE_READ.value,
                      f"not converging on an incomplete read ({failures}); nothing is changed until every kind "
                      "of every cluster is read")
            return Outcome.INCOMPLETE_READ
        try:
            previous = self._previous_outputs()
        except AutomationError as error:
            return self._failed(error, desired=None)
        try:
            result = plan(dict(observation.objects), self.settings, previous_outputs=previous)
        except Exception as error:  # a bug of ours must not end the loop: say it, retry later
            log.exception("stack %s: planning failed", self.stack)
            return self._failed(error, desired=None)
        desired = model_digest(result.model, self.settings)
        applied = previous.get(outputs.MODEL_DIGEST)
        if self.status.state is State.STALLED and desired == self._stalled_on and not force:
            return Outcome.STALLED
        if desired == applied and not force:
            self._succeeded(desired, result, Outcome.UP_TO_DATE.value, "Lattice holds what the clusters ask for")
            return Outcome.UP_TO_DATE
        self._set(State.PROGRESSING, "Converging", f"applying {len(result.model.routes())} route(s)",
                  desired=desired, last_plan=result)
        refresh, self._refresh_next = self._refresh_next, False
        try:
            changes = self.engine.preview(observation, previous, refresh=refresh)
            destructive = sum(int(changes.get(kind, 0)) for kind in DESTRUCTIVE_CHANGES)
            if destructive > self.max_deletions:
                self.metrics.deletions_refused.labels(self.stack).inc()
                self._stall(desired, Outcome.DELETIONS_REFUSED.value,
                            f"the update would delete or replace {destructive} resources, more than --max-deletions "
                            f"{self.max_deletions} ({_counts(changes)}); nothing was changed. If that is meant, apply it "
                            f"as a person with `latticectl up --stack {self.stack}` (the daemon sees the stack "
                            "hold it on its next resync); otherwise fix the input")
                return Outcome.DELETIONS_REFUSED
            after = dict(self.engine.up(observation, previous, refresh=refresh))
        except StackLocked as error:
            if error.holders_gone and not self._broke_lock:
                # Its holder died mid-update on this host: the lock protects nothing.
                log.warning("stack %s: breaking the lock of %s, which is no longer running", self.stack,
                            "; ".join(str(holder) for holder in error.holders or ()))
                self._broke_lock = True
                try:
                    self.engine.cancel()
                except AutomationError as cancel_error:
                    return self._failed(cancel_error, desired=desired)
                return self._converge(force=True)
            self._set(State.WAITING, Outcome.LOCKED.value, f"{error} (waiting: the daemon breaks only a lock whose "
                      "holder is provably gone)", desired=desired)
            self._retry_at = self.clock() + self.backoff.delay(1)
            return Outcome.LOCKED
        except AutomationError as error:
            return self._failed(error, desired=desired)
        self._previous = after
        self._succeeded(after.get(outputs.MODEL_DIGEST, desired), result, Outcome.APPLIED.value,
                        f"applied ({_counts(changes)})")
        try:
            warning = self.on_applied(observation)
        except Exception:  # recording must never turn a successful update into a failure
            log.exception("stack %s: recording the applied release failed", self.stack)
        else:
            if warning:
                log.warning("stack %s: %s", self.stack, warning)
        return Outcome.APPLIED

    def resync(self, *, remediate: bool) -> Outcome:
        """The periodic drift check: refresh, then preview the stack's own input.  Drift
        (someone changed Lattice directly) is reported, or with ``remediate`` applied
        back; a pass that is due anyway, or a Stalled stack, is left to the loop."""
        with self._one_at_a_time:
            if self.status.state is State.STALLED:
                return self._recheck_stalled()
            if self.status.state is not State.READY:
                return Outcome.INCOMPLETE_READ
            observation = self.observe()
            if not observation.complete:
                return Outcome.INCOMPLETE_READ
            try:
                changes = self.engine.preview(observation, self._previous_outputs(), refresh=True)
            except AutomationError as error:
                log.warning("stack %s: drift check failed: %s", self.stack, error)
                return Outcome.FAILED
            if not any(count for kind, count in changes.items() if kind != "same"):
                return Outcome.UP_TO_DATE
            self.metrics.drift_found.labels(self.stack).inc()
            self._set(State.READY if not remediate else State.PROGRESSING, "DriftFound",
                      f"Lattice differs from the stack ({_counts(changes)}); "
                      + ("repairing it" if remediate else "not repaired (--drift warn); run `latticectl up` or "
                         "start the daemon with --drift remediate"))
        if remediate:
            self._refresh_next = True  # a plain up compares with state, which has not seen the drift
            self.request()
        return Outcome.DRIFTED

    def _recheck_stalled(self) -> Outcome:
        """A person may have applied what the daemon refused: the stack's outputs say so."""
        try:
            self._previous = dict(self.engine.outputs())
        except AutomationError:
            return Outcome.STALLED
        if self._stalled_on is not None and self._previous.get(outputs.MODEL_DIGEST) == self._stalled_on:
            self._succeeded(self._stalled_on, self.status.last_plan, Outcome.UP_TO_DATE.value,
                            "the stack holds what the clusters ask for (applied by a person)")
            return Outcome.UP_TO_DATE
        return Outcome.STALLED

    def restore(self, *, failures: int, stalled_on: Optional[str]) -> None:
        """What a previous leader recorded (on the Lease): a restart does not forget a stall."""
        self._stalled_on = stalled_on
        state, reason, message = self.status.state, self.status.reason, self.status.message
        if stalled_on:
            state, reason = State.STALLED, "Stalled"
            message = "stalled before this replica took over (see the previous leader's log); waiting for the " \
                      "input to change or for a reconcile request"
        self.status = replace(self.status, consecutive_failures=failures, state=state, reason=reason,
                              message=message, desired_digest=stalled_on or self.status.desired_digest)

    @property
    def stalled_on(self) -> Optional[str]:
        return self._stalled_on

    @property
    def outputs(self) -> Mapping[str, Any]:
        """The stack's outputs as last read or left by an update (empty before either)."""
        return dict(self._previous or {})

    def _previous_outputs(self) -> Dict[str, Any]:
        if self._previous is None:
            self._previous = dict(self.engine.outputs())
        return self._previous

    # -- status --------------------------------------------------------------------------------

    def _succeeded(self, digest: str, result: PlanResult, reason: str, message: str) -> None:
        self._stalled_on = None
        now = self.wall_clock()
        self.metrics.last_success.labels(self.stack).set(now)
        self._set(State.READY, reason, message, desired=digest, applied=digest, failures=0, last_success=now,
                  last_plan=result)

    def _failed(self, error: Exception, *, desired: Optional[str]) -> Outcome:
        failures = self.status.consecutive_failures + 1
        if failures >= self.stall_after and desired is not None:
            self._stall(desired, "Failed", f"{failures} converges failed in a row; the last: {error}. Waiting for "
                        "the input to change or for a reconcile request", failures=failures)
            return Outcome.FAILED
        delay = self.backoff.delay(failures)
        self._retry_at = self.clock() + delay
        self._set(State.PROGRESSING, "Retrying", f"converge failed ({error}); retry {failures} in {delay:.0f}s",
                  desired=desired, failures=failures, retry_in=delay)
        return Outcome.FAILED

    def _stall(self, desired: str, reason: str, message: str, *, failures: Optional[int] = None) -> None:
        self._stalled_on = desired
        log.error("stack %s stalled (%s): %s", self.stack, reason, message)
        self._set(State.STALLED, reason, message, desired=desired, failures=failures)

    def _set(self, state: State, reason: str, message: str, *, desired: Optional[str] = None,
             applied: Optional[str] = None, failures: Optional[int] = None, retry_in: Optional[float] = None,
             last_success: Optional[float] = None, last_plan: Optional[PlanResult] = None) -> None:
        current = self.status
        self.status = replace(
            current, state=state, reason=reason, message=message,
            desired_digest=desired if desired is not None else current.desired_digest,
            applied_digest=applied if applied is not None else current.applied_digest,
            consecutive_failures=failures if failures is not None else current.consecutive_failures,
            next_retry_in=retry_in,
            last_success_at=last_success if last_success is not None else current.last_success_at,
            last_plan=last_plan if last_plan is not None else current.last_plan)
        if (current.state, current.reason, current.message) != (state, reason, message):
            log.info("stack %s: %s (%s): %s", self.stack, state.value, reason, message)
        for listener in list(self.listeners):
            listener(self.status)


def _counts(changes: Mapping[str, int]) -> str:
    shown = [f"{count} {kind}" for kind, count in sorted(changes.items()) if kind != "same" and count]
    return ", ".join(shown) or "no changes"


def observation_of(objects_by_cluster: Mapping[str, Sequence[RawObject]], *, complete: bool = True,
                   failures: Sequence[str] = ()) -> Observation:
    return Observation({name: tuple(objects) for name, objects in objects_by_cluster.items()}, complete,
                       tuple(failures))
