"""The daemon's Prometheus metrics, on a registry of its own (``/metrics`` serves it).

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` durations), all
under ``lattice_gateway_``; ``stack`` is a label so one scrape config serves every stack.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Converges run from well under a second (nothing to do) to many minutes (a large up).
_CONVERGE_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class DaemonMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.converge_seconds = Histogram(
            "lattice_gateway_converge_duration_seconds", "Time from the start of a converge to its outcome.",
            ["stack"], buckets=_CONVERGE_BUCKETS, registry=r)
        self.converges = Counter(
            "lattice_gateway_converges_total", "Converges by outcome (UpToDate, Applied, DeletionsRefused, "
            "Failed, Locked, IncompleteRead, Stalled).", ["stack", "result"], registry=r)
        self.last_success = Gauge(
            "lattice_gateway_last_success_timestamp_seconds", "Unix time of the last converge that left the stack "
            "up to date.", ["stack"], registry=r)
        self.stalled = Gauge(
            "lattice_gateway_stalled", "1 while the stack is Stalled (a person must look), else 0.", ["stack"],
            registry=r)
        self.deletions_refused = Counter(
            "lattice_gateway_deletions_refused_total", "Updates refused because they would delete or replace more "
            "resources than --max-deletions.", ["stack"], registry=r)
        self.drift_found = Counter(
            "lattice_gateway_drift_found_total", "Resync previews that found Lattice differing from the stack.",
            ["stack"], registry=r)
        self.events = Counter(
            "lattice_gateway_watch_events_total", "Watch events taken into the caches, by cluster and kind.",
            ["cluster", "kind"], registry=r)
        self.target_registrations = Counter(
            "lattice_gateway_target_registrations_total", "Targets registered or deregistered by the direct sync.",
            ["stack", "action"], registry=r)
