"""Endpoint changes reach Lattice directly: no update, within a second, nothing lost on a bad read."""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any, Dict, Mapping

import pytest

from lattice_program.contract.pipeline import plan
from lattice_program.sources.files import load_text
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.backoff import Backoff
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.converge import Observation, State, observation_of
from lattice_program.watch.daemon import Daemon, WatchOptions
from lattice_program.watch.targets import TargetFastPath
from lattice_program.sources.files import RawObject
from tests.support.applied import applied_outputs
from tests.support.kube_double import KubeDouble
from tests.support.lattice_emulator import LatticeEmulator
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service, world
from tests.watch.test_converge import EngineDouble
from tests.support.waiting import eventually as wait_until

VPC = "vpc-0123456789abcdef0"
SETTINGS = StackSettings(vpc_id=VPC, cluster_name="east")


class CreatingEngine(EngineDouble):
    """An up that makes the plan's target groups in the emulator, as the real program does."""

    def __init__(self, emulator: LatticeEmulator) -> None:
        super().__init__(stack_settings=SETTINGS)
        self.emulator = emulator
        self.groups: Dict[str, str] = {}

    def up(self, observation: Observation, previous: Mapping[str, Any], *, refresh: bool = False) -> Mapping[str, Any]:
        self.calls.append("up")
        result = plan(dict(observation.objects), self.settings, previous_outputs=previous)
        self.stack_outputs = applied_outputs(result.model, self.settings, emulator=self.emulator, groups=self.groups)
        return self.stack_outputs


eventually = functools.partial(wait_until, timeout=5.0)


def slice_with(*addresses: str, terminating: tuple = ()) -> dict:
    body = endpoint_slice("cart", "shop", addresses=list(addresses) + list(terminating))
    for endpoint in body["endpoints"]:
        if endpoint["addresses"][0] in terminating:
            endpoint["conditions"] = {"ready": False, "terminating": True}
    return body


def converges(daemon: Daemon) -> float:
    return sum(sample.value for metric in daemon.metrics.converges.collect() for sample in metric.samples
               if sample.name.endswith("_total"))


def targets(emulator: LatticeEmulator) -> Dict[str, str]:
    client = emulator.client()
    return {t["id"]: t["status"] for group in client.list_target_groups()["items"]
            for t in client.list_targets(targetGroupIdentifier=group["id"])["items"]}


@pytest.fixture
def world_running():
    with KubeDouble() as cluster, LatticeEmulator() as emulator:
        cluster.store.put_all([gateway_class(), gateway("edge", "shop"), service("cart", "shop"),
                               slice_with("10.0.0.1", "10.0.0.2"),
                               http_route("cart", "shop", parents=["edge"], backends=[("cart", 80)])])
        engine = CreatingEngine(emulator)
        daemon = Daemon(WatchOptions(stack="dev", debounce=0.05, max_wait=0.5, metrics_addr=None), SETTINGS, engine,
                        caches={}, lattice_client=emulator.client)
        daemon.caches["east"] = ClusterCache(cluster.api_client(), "east",
                                             on_change=daemon.on_change)
        runner = threading.Thread(target=daemon.run, daemon=True)
        runner.start()
        try:
            eventually(lambda: daemon.converger.status.state is State.READY and len(targets(emulator)) == 2)
            yield cluster, emulator, engine, daemon
        finally:
            daemon.stop()
            runner.join(10)


def test_a_rollout_registers_new_pods_within_a_second_and_runs_no_update(world_running):
    cluster, emulator, engine, daemon = world_running
    ups = engine.calls.count("up")
    passes = converges(daemon)
    cluster.store.put(slice_with("10.0.0.1", "10.0.0.2", "10.0.0.3"))  # a new pod is ready
    took = eventually(lambda: "10.0.0.3" in targets(emulator))
    assert took < 1.0
    # The old pod terminates: deregistered (DRAINING), the others untouched.
    cluster.store.put(slice_with("10.0.0.2", "10.0.0.3", terminating=("10.0.0.1",)))
    eventually(lambda: targets(emulator).get("10.0.0.1") == "DRAINING")
    assert targets(emulator)["10.0.0.2"] != "DRAINING" and targets(emulator)["10.0.0.3"] != "DRAINING"
    time.sleep(0.3)
    assert engine.calls.count("up") == ups  # endpoints never cost an update
    assert converges(daemon) == passes  # nor even a converge pass (a plan of the whole stack)
    assert daemon.metrics.target_registrations.labels("dev", "register")._value.get() >= 3


def test_a_read_that_is_not_complete_deregisters_nothing(world_running):
    cluster, emulator, engine, daemon = world_running
    one_pod_gone = {name: tuple(RawObject(slice_with("10.0.0.2"), o.origin) if o.body.get("kind") == "EndpointSlice"
                                else o for o in objects)
                    for name, objects in daemon.observe().objects.items()}
    fast_path = TargetFastPath("dev", SETTINGS, lambda: observed, lambda: daemon.converger.outputs, emulator.client)
    observed = Observation(one_pod_gone, complete=False, failures=("Service: HTTP 503",))
    report = fast_path.sync_once()
    assert all(r.skipped_reason for r in report.results)
    assert targets(emulator) == {"10.0.0.1": "UNUSED", "10.0.0.2": "UNUSED"}  # untouched
    observed = Observation(one_pod_gone, complete=True)  # the same read, complete: the gone pod goes
    fast_path.sync_once()
    assert targets(emulator)["10.0.0.1"] == "DRAINING" and targets(emulator)["10.0.0.2"] != "DRAINING"


# -- when the fast path must not act, and when Lattice says no -------------------------------

def shop_objects() -> Observation:
    docs = [gateway_class(), gateway("edge", "shop"), service("cart", "shop"), slice_with("10.0.0.1", "10.0.0.2"),
            http_route("cart", "shop", parents=["edge"], backends=[("cart", 80)])]
    return observation_of({"east": load_text(world(*docs))})


def list_calls(emulator: LatticeEmulator) -> int:
    return sum(1 for operation, _ in emulator.calls if operation == "ListTargets")


def test_a_standby_a_stack_with_no_groups_yet_and_a_plan_that_raises_touch_nothing(caplog):
    with LatticeEmulator() as emulator:
        observed = shop_objects()
        outputs = applied_outputs(plan(dict(observed.objects), SETTINGS).model, SETTINGS, emulator=emulator)
        standby = TargetFastPath("dev", SETTINGS, lambda: observed, lambda: outputs, emulator.client,
                                 standby=lambda: "standby: replica-a leads")
        assert standby.sync_once() is None  # the leader syncs
        not_created = TargetFastPath("dev", SETTINGS, lambda: observed, lambda: {}, emulator.client)
        assert not_created.sync_once() is None  # the groups wait for their update
        stray = observation_of({"west": observed.objects["east"]})  # a cluster the settings do not name
        failing = TargetFastPath("dev", SETTINGS, lambda: stray, lambda: outputs, emulator.client)
        assert failing.sync_once() is None
        assert list_calls(emulator) == 0 and targets(emulator) == {}
        assert "stack dev: planning the targets failed" in caplog.text
        assert TargetFastPath("dev", SETTINGS, lambda: observed, lambda: outputs, emulator.client).sync_once().ok
        assert set(targets(emulator)) == {"10.0.0.1", "10.0.0.2"}  # the same inputs, acting: it would have


def test_a_failed_sync_is_retried_with_growing_backoff_until_it_succeeds(caplog):
    caplog.set_level(logging.WARNING, logger="lattice_program.watch")
    with LatticeEmulator() as emulator:
        observed = shop_objects()
        applied = applied_outputs(plan(dict(observed.objects), SETTINGS).model, SETTINGS, emulator=emulator)
        [(key, group_id)] = applied["targetGroups"].items()
        outputs = {"value": {**applied, "targetGroups": {key: "tg-00000000000000000"}}}  # deleted behind our back
        fast_path = TargetFastPath("dev", SETTINGS, lambda: observed, lambda: outputs["value"], emulator.client,
                                   settle=0.0, backoff=Backoff(base=0.1, cap=1.0, jitter=0.0))
        stop = threading.Event()
        runner = threading.Thread(target=fast_path.run, args=(stop,), daemon=True)
        runner.start()
        try:
            fast_path.notify()  # once: every later try is a retry

            def retries():
                return [r.getMessage() for r in caplog.records if "target sync incomplete" in r.getMessage()]

            eventually(lambda: len(retries()) >= 3)
            assert list_calls(emulator) >= 3 and not fast_path.last_report.ok
            messages = retries()
            assert [m.rsplit("retry in ", 1)[1] for m in messages[:3]] == ["0.1s", "0.2s", "0.4s"]
            assert "ResourceNotFoundException" in messages[0] and "nothing changed for this target group" in messages[0]
            outputs["value"] = applied  # the group is found again
            eventually(lambda: set(targets(emulator)) == {"10.0.0.1", "10.0.0.2"})
            assert fast_path.last_report.ok
            settled = list_calls(emulator)
            time.sleep(0.4)
            assert list_calls(emulator) == settled  # a success schedules no retry
        finally:
            stop.set()
            runner.join(5)
    assert fast_path.metrics.target_registrations.labels("dev", "register")._value.get() == 2
