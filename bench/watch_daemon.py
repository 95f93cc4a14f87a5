"""The watch daemon's loops, end to end: bursts, rollouts and idling.

Against the loopback API server double (tests/support/kube_double.py) and, for
targets, the VPC Lattice emulator; the Pulumi engine is a recorder (its cost is
``real_up.py``'s subject), so what is measured is the daemon's own work:

* a burst of 1,000 route changes: how many converges start (goal: exactly one) and
  the time from the burst's last event to the converge's start (goal: at most the
  debounce + 200 ms);
* a rollout of 100 pods, one EndpointSlice update each: updates run (goal: zero) and the
  time from each update to the emulator's RegisterTargets of that pod (goal: median
  under 1 s);
* idling with 10,000 cached objects: the CPU the daemon's threads use per second of
  wall time (goal: under 1% of a core), measured per thread so the double's own
  bookmarks are not counted.

    .venv/bin/python bench/watch_daemon.py [--burst 1000] [--pods 100] [--idle-objects 10000]
"""

from __future__ import annotations

import argparse
import copy
import logging
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from bench.generate import fleet_objects, fleet_settings  # noqa: E402
from lattice_program.contract.pipeline import plan  # noqa: E402
from lattice_program.watch.cache import ClusterCache  # noqa: E402
from lattice_program.watch.converge import Observation  # noqa: E402
from lattice_program.watch.daemon import Daemon, WatchOptions  # noqa: E402
from tests.support.applied import applied_outputs  # noqa: E402
from tests.support.kube_double import KubeDouble  # noqa: E402
from tests.support.lattice_emulator import LatticeEmulator, Quotas  # noqa: E402

VPC = "vpc-0a1b2c3d4e5f60789"
CLUSTER = "east"


class RecordingEngine:
    """Pulumi stood in for: each preview's start time, and an up that makes the plan's
    target groups in the emulator (when there is one) and returns the program's outputs."""

    def __init__(self, settings, emulator=None) -> None:
        self.settings = settings
        self.emulator = emulator
        self.preview_starts: List[float] = []
        self.ups = 0
        self.stack_outputs: Dict[str, Any] = {}
        self.groups: Dict[str, str] = {}

    def outputs(self) -> Mapping[str, Any]:
        return dict(self.stack_outputs)

    def preview(self, observation: Observation, previous, *, refresh: bool = False) -> Mapping[str, int]:
        self.preview_starts.append(time.monotonic())
        return {"update": 1}

    def up(self, observation: Observation, previous, *, refresh: bool = False) -> Mapping[str, Any]:
        self.ups += 1
        result = plan(dict(observation.objects), self.settings, previous_outputs=previous)
        self.stack_outputs = applied_outputs(result.model, self.settings, emulator=self.emulator, groups=self.groups)
        return self.stack_outputs


def started_daemon(cluster: KubeDouble, engine: RecordingEngine, settings, *, debounce: float,
                   lattice=None) -> Daemon:
    daemon = Daemon(WatchOptions(stack="bench", debounce=debounce, max_wait=10 * debounce + 5, metrics_addr=None,
                                 sync_timeout=120), settings, engine, caches={}, lattice_client=lattice)
    daemon.received_at = []  # when each change reached the daemon (after the watch's delivery)

    def on_change(change) -> None:
        daemon.received_at.append(time.monotonic())
        daemon.on_change(change)

    daemon.caches[CLUSTER] = ClusterCache(cluster.api_client(), CLUSTER, on_change=on_change)
    threading.Thread(target=daemon.run, daemon=True).start()
    return daemon


def wait(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the daemon")
        time.sleep(0.005)


def burst(changes: int, debounce: float) -> None:
    settings = fleet_settings(50).model_copy(update={"vpc_id": VPC, "cluster_name": CLUSTER})
    objects = fleet_objects(50)
    routes = [o for o in objects if o["kind"] == "HTTPRoute"]
    with KubeDouble() as cluster:
        cluster.store.put_all(objects)
        engine = RecordingEngine(settings)
        daemon = started_daemon(cluster, engine, settings, debounce=debounce)
        try:
            wait(lambda: engine.ups == 1)
            before = len(engine.preview_starts)
            for index in range(changes):  # weights change: each one changes the desired model
                route = copy.deepcopy(routes[index % len(routes)])
                route["spec"]["rules"][0]["backendRefs"][0]["weight"] = index % 97 + 1
                cluster.store.put(route)
            last_event = time.monotonic()
            wait(lambda: len(engine.preview_starts) > before)
            time.sleep(3 * debounce + 1)  # anything else that would start, starts now
            converges = len(engine.preview_starts) - before
            received = max(at for at in daemon.received_at if at <= engine.preview_starts[before])
            delay = engine.preview_starts[before] - received
            lag = received - last_event
            print(f"burst of {changes} changes: {converges} converge(s) (goal 1); last event received to converge "
                  f"start {delay * 1000:.0f} ms (goal <= debounce {debounce * 1000:.0f} ms + 200 ms); the watch "
                  f"delivered the last event {lag * 1000:.0f} ms after it was written")
        finally:
            daemon.stop()


def rollout(pods: int, debounce: float) -> None:
    settings = fleet_settings(1).model_copy(update={"vpc_id": VPC, "cluster_name": CLUSTER})
    objects = fleet_objects(1)
    slices = [o for o in objects if o["kind"] == "EndpointSlice"]
    with KubeDouble() as cluster, LatticeEmulator(quotas=Quotas(target_groups_per_region=1000)) as emulator:
        cluster.store.put_all(objects)
        engine = RecordingEngine(settings, emulator)
        daemon = started_daemon(cluster, engine, settings, debounce=debounce, lattice=emulator.client)
        try:
            wait(lambda: engine.ups == 1 and any(op == "RegisterTargets" for op, _ in emulator.calls))
            ups = engine.ups
            delays = []
            target_slice = dict(slices[0])
            for index in range(pods):
                address = f"10.99.{index // 250}.{index % 250 + 1}"
                endpoints = list(target_slice["endpoints"])
                endpoints[index % len(endpoints)] = {"addresses": [address], "conditions": {"ready": True}}
                target_slice = dict(target_slice, endpoints=endpoints)
                sent = time.monotonic()
                cluster.store.put(target_slice)
                wait(lambda: any(op == "RegisterTargets" and any(t["id"] == address for t in params["targets"])
                                 for op, params in emulator.calls[-20:]), timeout=30)
                delays.append(time.monotonic() - sent)
            time.sleep(3 * debounce + 1)
            print(f"rollout of {pods} pods: {engine.ups - ups} update(s) (goal 0); EndpointSlice update to "
                  f"RegisterTargets median {statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms "
                  f"(goal median < 1000 ms)")
        finally:
            daemon.stop()


def idle(objects_wanted: int, seconds: float) -> None:
    routes = max(1, objects_wanted // 5)  # a fleet route comes with two Services and two EndpointSlices
    settings = fleet_settings(routes).model_copy(update={"vpc_id": VPC, "cluster_name": CLUSTER})
    objects = fleet_objects(routes)
    with KubeDouble() as cluster:
        cluster.store.put_all(objects)
        engine = RecordingEngine(settings)
        before_threads = {t.native_id for t in threading.enumerate()}
        daemon = started_daemon(cluster, engine, settings, debounce=0.5)
        try:
            wait(lambda: engine.ups == 1, timeout=600)
            time.sleep(2)
            ours = {t.native_id for t in threading.enumerate()} - before_threads
            server = {t.native_id for t in threading.enumerate() if "Thread-" in t.name and t.native_id in ours
                      and t.name.startswith("Thread")}  # the double's request handlers
            mine = ours - server

            def cpu() -> float:
                return sum(t.user_time + t.system_time for t in psutil.Process().threads() if t.id in mine)

            start_cpu, start_wall = cpu(), time.monotonic()
            time.sleep(seconds)
            share = (cpu() - start_cpu) / (time.monotonic() - start_wall)
            cached = sum(len(cache.objects()) for cache in daemon.caches.values())
            print(f"idle with {cached} cached objects: {share * 100:.2f}% of a core over {seconds:.0f} s "
                  f"(goal < 1%)")
        finally:
            daemon.stop()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument("--idle-objects", type=int, default=10000)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--debounce", type=float, default=0.5)
    args = parser.parse_args(argv)
    logging.getLogger("lattice_program").setLevel(logging.ERROR)  # the double serves no AWS CRDs: say it once
    # Idle first: what the other phases leave for the collector would be counted as idling.
    idle(args.idle_objects, args.idle_seconds)
    burst(args.burst, args.debounce)
    rollout(args.pods, args.debounce)
    return 0


if __name__ == "__main__":
    sys.exit(main())
