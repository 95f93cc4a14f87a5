"""The daemon put together: caches on a loopback API server, the converge loop, stop."""

from __future__ import annotations

import functools
import re
import threading
import time

import pytest

from lattice_program.vocabulary.settings import ClusterSettings, SettingsError, StackSettings
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.controls import RECONCILE_HANDLED, RECONCILE_REQUESTED
from lattice_program.watch.daemon import EXIT_CONVERGED, EXIT_NOT_CONVERGED, Daemon, WatchOptions, cluster_contexts
from lattice_program.watch.converge import State
from tests.support.kube_double import KubeDouble
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service
from tests.watch.test_converge import EngineDouble
from tests.support.waiting import eventually as wait_until

VPC = "vpc-0123456789abcdef0"
SETTINGS = StackSettings(vpc_id=VPC, cluster_name="east")


def world():
    return [gateway_class(), gateway("edge", "shop"), service("cart", "shop"), endpoint_slice("cart", "shop"),
            http_route("cart", "shop", parents=["edge"], backends=[("cart", 80)])]


eventually = functools.partial(wait_until, timeout=10.0)


@pytest.fixture
def cluster():
    with KubeDouble() as double:
        double.store.put_all(world())
        yield double


def daemon_on(cluster: KubeDouble, engine: EngineDouble, **options) -> Daemon:
    options.setdefault("metrics_addr", None)
    daemon = Daemon(WatchOptions(stack="dev", debounce=0.05, max_wait=0.5, sync_timeout=10, **options), SETTINGS,
                    engine, caches={})
    daemon.caches["east"] = ClusterCache(cluster.api_client(), "east",
                                         on_change=daemon.on_change)
    return daemon


def test_once_syncs_converges_and_exits_0_and_a_restart_runs_no_update(cluster):
    engine = EngineDouble(stack_settings=SETTINGS)
    assert daemon_on(cluster, engine, once=True).run() == EXIT_CONVERGED
    assert engine.calls.count("up") == 1
    # What the daemon applied is what the plan of the same objects is (the engine double
    # records the plan's digest as the real program exports it).
    again = EngineDouble(applied=engine.stack_outputs["modelDigest"], stack_settings=SETTINGS)
    assert daemon_on(cluster, again, once=True).run() == EXIT_CONVERGED
    assert again.calls == ["outputs"]


def test_once_refuses_to_converge_while_a_required_kind_cannot_be_read(cluster):
    cluster.store.withdraw("gateway.networking.k8s.io")  # the Gateway API CRDs are not installed
    engine = EngineDouble(stack_settings=SETTINGS)
    daemon = daemon_on(cluster, engine, once=True)
    assert daemon.run() == EXIT_NOT_CONVERGED
    assert "up" not in engine.calls and "preview" not in engine.calls
    assert daemon.converger.status.state is State.WAITING


def test_a_change_in_the_cluster_converges_and_stop_returns_after_the_update(cluster):
    engine = EngineDouble(stack_settings=SETTINGS)
    daemon = daemon_on(cluster, engine)
    exit_code = {}
    runner = threading.Thread(target=lambda: exit_code.setdefault("code", daemon.run()), daemon=True)
    runner.start()
    try:
        eventually(lambda: engine.calls.count("up") == 1 and daemon.converger.status.state is State.READY)
        assert daemon.ready()[0]
        cluster.store.put(http_route("orders", "shop", parents=["edge"], backends=[("cart", 80)]))
        eventually(lambda: engine.calls.count("up") == 2)
        engine.release_up.clear()  # the next update hangs until released
        cluster.store.put(http_route("returns", "shop", parents=["edge"], backends=[("cart", 80)]))
        eventually(lambda: engine.calls.count("up") == 3)
        daemon.stop()
        time.sleep(0.2)
        assert runner.is_alive(), "stop must wait for the update in flight"
        engine.release_up.set()
        runner.join(10)
        assert not runner.is_alive() and exit_code["code"] == 0
    finally:
        engine.release_up.set()
        daemon.stop()
        runner.join(10)
    assert daemon.metrics.events.labels("east", "HTTPRoute")._value.get() >= 2


def test_contexts_from_flags_or_settings():
    two = StackSettings(clusters=[ClusterSettings(name="east", vpc_id=VPC, context="ctx-east"),
                                  ClusterSettings(name="west", vpc_id=VPC)])
    assert cluster_contexts(SETTINGS, ["prod-east"]) == {"east": "prod-east"}
    assert cluster_contexts(SETTINGS, []) == {"east": None}  # the kubeconfig's current context
    assert cluster_contexts(two, ["west=ctx-west"]) == {"east": "ctx-east", "west": "ctx-west"}
    with pytest.raises(SettingsError, match="west have no context"):
        cluster_contexts(two, [])
    with pytest.raises(SettingsError, match="name the cluster"):
        cluster_contexts(two, ["ctx-west"])
    with pytest.raises(SettingsError, match="no cluster 'north'"):
        cluster_contexts(two, ["north=x"])


class RecordingWriter:
    """Stands in for the API writes (the loopback double takes no server-side apply)."""

    def __init__(self) -> None:
        self.acknowledged = []
        self.writes = 0

    def write(self, statuses, live, outputs, outcome):
        from lattice_program.watch.status_writer import WriteReport

        self.writes += 1
        return WriteReport()

    def acknowledge(self, ref, current, annotations):
        self.acknowledged.append((ref.key, dict(annotations)))

    def event(self, *args, **kwargs):
        pass


def test_a_suspended_stack_is_watched_but_nothing_is_changed(cluster):
    engine = EngineDouble(stack_settings=SETTINGS)
    daemon = Daemon(WatchOptions(stack="dev", once=True, metrics_addr=None, sync_timeout=10),
                    SETTINGS.model_copy(update={"suspend": True}), engine, caches={})
    daemon.caches["east"] = ClusterCache(cluster.api_client(), "east", on_change=daemon.on_change)
    assert daemon.run() == EXIT_CONVERGED
    assert engine.calls == []
    assert daemon.converger.status.state is State.SUSPENDED


def test_a_reconcile_request_on_a_gateway_converges_now_and_is_acknowledged(cluster):
    engine = EngineDouble(stack_settings=SETTINGS)
    writer = RecordingWriter()
    daemon = Daemon(WatchOptions(stack="dev", debounce=5.0, max_wait=10.0, metrics_addr=None, sync_timeout=10),
                    SETTINGS, engine, caches={}, status_writer=writer)
    daemon.caches["east"] = ClusterCache(cluster.api_client(), "east", on_change=daemon.on_change)
    runner = threading.Thread(target=daemon.run, daemon=True)
    runner.start()
    try:
        eventually(lambda: engine.calls.count("up") == 1)
        edge = gateway("edge", "shop", annotations={RECONCILE_REQUESTED: "2026-12-01T09:00:00Z"})
        cluster.store.put(edge)
        # Forced: no 5 s debounce, and an up although the digest is unchanged.
        took = time.monotonic()
        eventually(lambda: engine.calls.count("up") == 2, timeout=4)
        assert time.monotonic() - took < 4
        eventually(lambda: writer.acknowledged)
        assert writer.acknowledged[0] == ("Gateway/shop/edge", {RECONCILE_HANDLED: "2026-12-01T09:00:00Z"})
    finally:
        daemon.stop()
        runner.join(10)


def test_lease_names_are_valid_and_never_shared():
    from lattice_program.watch.daemon import lease_name

    assert lease_name("prod") == "lattice-gateway-prod"
    assert lease_name("acme/shop/prod") != lease_name("acme-shop-prod")
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", lease_name(s)) for s in ("Acme/Prod", "x_y", "a.b"))
