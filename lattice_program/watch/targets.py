"""The target fast path: endpoint changes reach Lattice directly, within a second, no update.

Pods come and go with every rollout; as Pulumi resources they would cost an update each.
An EndpointSlice change wakes this loop instead: after a short settle (a rollout changes
many slices at once) it plans what the caches hold and runs the target sync
(``engine/targets.py``) for every group the stack already has.  The sync registers what
is new and deregisters only what is gone or terminating; a group not created yet waits
for its update (the converge loop wakes this one after each).  A read that is not
complete makes every desired set unknown, so nothing is deregistered on a bad read.
Groups whose calls failed (throttling) are retried with backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Mapping, Optional

from lattice_program.contract.pipeline import plan
from lattice_program.engine.targets import SyncReport, desired_by_group_id, sync_targets
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.backoff import Backoff
from lattice_program.watch.converge import Observation
from lattice_program.watch.metrics import DaemonMetrics

log = logging.getLogger("lattice_program.watch")


class TargetFastPath:
    def __init__(self, stack: str, settings: StackSettings, observe: Callable[[], Observation],
                 outputs: Callable[[], Mapping[str, Any]], client: Callable[[], Any], *,
                 metrics: Optional[DaemonMetrics] = None, settle: float = 0.2, backoff: Optional[Backoff] = None,
                 clock: Callable[[], float] = time.monotonic,
                 standby: Callable[[], Optional[str]] = lambda: None) -> None:
        self.standby = standby
        self.stack = stack
        self.settings = settings
        self.observe = observe
        self.outputs = outputs
        self.client = client
        self.metrics = metrics or DaemonMetrics()
        self.settle = settle
        self.backoff = backoff or Backoff(base=1.0, cap=30.0)
        self.clock = clock
        self._wake = threading.Condition()
        self._dirty = False
        self._retry_at: Optional[float] = None
        self._failures = 0
        self.last_report: Optional[SyncReport] = None

    def notify(self) -> None:
        """Endpoints changed (or groups were created): sync soon."""
        with self._wake:
            self._dirty = True
            self._wake.notify_all()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with self._wake:
                while not stop.is_set() and not self._due():
                    self._wake.wait(timeout=0.5 if self._retry_at is None else
                                    max(0.0, min(0.5, self._retry_at - self.clock())))
                if stop.is_set():
                    return
                self._dirty, self._retry_at = False, None
            stop.wait(self.settle)  # let the rest of a rollout's changes arrive
            self.sync_once()

    def _due(self) -> bool:
        return self._dirty or (self._retry_at is not None and self._retry_at <= self.clock())

    def sync_once(self) -> Optional[SyncReport]:
        if self.standby() is not None:
            return None  # the leader syncs
        observation = self.observe()
        outputs = self.outputs()
        try:
            result = plan(dict(observation.objects), self.settings, previous_outputs=outputs)
        except Exception:
            log.exception("stack %s: planning the targets failed", self.stack)
            return None
        desired, waiting = desired_by_group_id(result.model, outputs, complete=observation.complete)
        if not desired:
            return None
        report = sync_targets(self.client(), desired)
        self.last_report = report
        registered = sum(len(r.registered) for r in report.results)
        deregistered = sum(len(r.deregistered) for r in report.results)
        self.metrics.target_registrations.labels(self.stack, "register").inc(registered)
        self.metrics.target_registrations.labels(self.stack, "deregister").inc(deregistered)
        if registered or deregistered:
            log.info("stack %s: %d target(s) registered, %d deregistered", self.stack, registered, deregistered)
        if report.ok:
            self._failures = 0
        else:
            self._failures += 1
            delay = self.backoff.delay(self._failures)
            with self._wake:
                self._retry_at = self.clock() + delay
            problems = [r.error or f"{len(r.failed)} target(s) failed" for r in report.results
                        if r.error or r.failed]
            log.warning("stack %s: target sync incomplete (%s); retry in %.1fs", self.stack,
                        "; ".join(problems), delay)
        return report
