"""``latticectl watch``: the pieces of the daemon, put together and run.

One :class:`~lattice_program.watch.cache.ClusterCache` per cluster of the stack feeds one
:class:`~lattice_program.watch.converge.Converger`; a resync beat checks for drift; the
health server answers probes and scrapes.  ``once`` syncs, converges a single time and
returns, for CI and cron.  Stopping (SIGTERM, SIGINT) ends the watches at once and lets
an update in flight finish, so the stack is never left locked by us.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Literal, Optional, Protocol, Sequence, Tuple

from lattice_program.engine.interrupts import interrupt_pulumi
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.settings import SettingsError, StackSettings
from lattice_program.watch.backoff import Backoff
from lattice_program.watch.converge import Converger, Observation, Outcome, StackEngine
from lattice_program.watch.health import HealthServer
from lattice_program.watch.metrics import DaemonMetrics

log = logging.getLogger("lattice_program.watch")

# Exit codes of `latticectl watch --once` (and of the daemon when it cannot start).
EXIT_CONVERGED = 0
EXIT_NOT_CONVERGED = 1
EXIT_BAD_INPUT = 2


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


def connect_cluster(context: Optional[str]):
    """An API client for ``context``; with none, inside a pod, the pod's own identity."""
    from kubernetes import client, config

    from lattice_program.sources.cluster import connect

    if context is None and os.environ.get("KUBERNETES_SERVICE_HOST") and not os.environ.get("KUBECONFIG"):
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    return connect(context=context)


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
                 caches: Dict[str, ClusterCacheLike], metrics: Optional[DaemonMetrics] = None) -> None:
        self.options = options
        self.settings = settings
        self.metrics = metrics or DaemonMetrics()
        self.caches = caches
        self.stop_event = threading.Event()
        self.converger = Converger(options.stack, settings, self.observe, engine, debounce=options.debounce,
                                   max_wait=options.max_wait, max_deletions=options.max_deletions,
                                   backoff=Backoff(base=5.0, cap=300.0), metrics=self.metrics)
        self._threads: List[threading.Thread] = []
        self._health: Optional[HealthServer] = None

    # -- what the converger reads --------------------------------------------------------

    def observe(self) -> Observation:
        objects = {name: tuple(cache.objects()) for name, cache in self.caches.items()}
        failures = tuple(f"cluster {name}: {reason}" for name, cache in self.caches.items()
                         for reason in cache.failures())
        complete = all(cache.complete for cache in self.caches.values())
        return Observation(objects, complete, failures)

    def on_change(self, cluster: str, kind: str) -> None:
        self.metrics.events.labels(cluster, kind).inc()
        self.converger.notify()

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
                return EXIT_CONVERGED if outcome in (Outcome.APPLIED, Outcome.UP_TO_DATE) else EXIT_NOT_CONVERGED
            self._start("lattice-converge", self.converger.run, self.stop_event)
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


