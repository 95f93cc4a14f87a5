"""The daemon put together: caches on a loopback API server, the converge loop, stop."""

from __future__ import annotations

import functools
import re
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml

from lattice_program.contract.pipeline import plan
from lattice_program.sources.cluster import KINDS
from lattice_program.sources.files import load_text
from lattice_program.vocabulary.settings import ClusterSettings, SettingsError, StackSettings
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.controls import RECONCILE_HANDLED, RECONCILE_REQUESTED
from lattice_program.watch.daemon import (
    EXIT_CONVERGED,
    EXIT_NOT_CONVERGED,
    FAILURES_ANNOTATION,
    STALLED_ANNOTATION,
    Daemon,
    WatchOptions,
    cluster_contexts,
    connect_cluster,
)
from lattice_program.watch.converge import Outcome, State
from tests.support.applied import applied_outputs
from tests.support.lattice_emulator import LatticeEmulator
from tests.support.kube_double import KubeDouble
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service
from tests.support.world import world as world_text
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


# -- the daemon's parts, on caches that hold a fixed world ----------------------------------

class StaticCache:
    """One cluster's caches, synced, holding ``raw_objects`` (``watch/cache.ClusterCache``'s interface)."""

    synced = complete = True

    def __init__(self, raw_objects) -> None:
        self.raw_objects = tuple(raw_objects)
        self.stopped = False

    def objects(self):
        return self.raw_objects

    def failures(self):
        return ()

    def wait_synced(self, timeout: float) -> bool:
        return True

    def stop(self) -> None:
        self.stopped = True


class ElectorDouble:
    """What the daemon asks of ``watch/leader.LeaderElector``; ``run`` fails when told to."""

    def __init__(self, *, leading: bool = True, annotations=None, refuse_writes: bool = False) -> None:
        self.is_leader = leading
        self.leader_identity = "replica-a" if leading else "replica-b"
        self.recorded = dict(annotations or {})
        self.writes = []
        self.refuse_writes = refuse_writes
        self.fail = threading.Event()

    def annotations(self):
        return dict(self.recorded)

    def set_annotations(self, values):
        if self.refuse_writes:
            raise RuntimeError("HTTP 403 Forbidden")
        self.writes.append(dict(values))
        self.recorded.update({k: v for k, v in values.items() if v is not None})
        for key in [k for k, v in values.items() if v is None]:
            self.recorded.pop(key, None)
        return dict(self.recorded)

    def run(self, stop) -> None:
        while not stop.wait(0.01):
            if self.fail.is_set():
                raise RuntimeError("the elector's thread died")


class WriterWithEvents(RecordingWriter):
    def __init__(self) -> None:
        super().__init__()
        self.events = []

    def event(self, ref, current, reason, message, kind="Warning"):
        self.events.append((ref.key, reason, message))


def parts(engine: EngineDouble, **kwargs) -> Daemon:
    options = {"stack": "dev", "metrics_addr": None, "once": True, "sync_timeout": 1, **kwargs.pop("options", {})}
    return Daemon(WatchOptions(**options), SETTINGS, engine, caches={"east": StaticCache(world_objects())}, **kwargs)


def world_objects():
    return load_text(world_text(*world()))


def test_a_leader_records_its_converge_state_on_the_lease_only_when_it_changes():
    elector = ElectorDouble()
    engine = EngineDouble(stack_settings=SETTINGS)
    daemon = parts(engine, elector=elector)
    assert daemon.converger.converge_once() is Outcome.APPLIED
    assert elector.recorded == {FAILURES_ANNOTATION: "0"}
    writes = len(elector.writes)
    assert daemon.converger.converge_once() is Outcome.UP_TO_DATE
    assert len(elector.writes) == writes  # the same state: no write
    # The lease is lost; this replica's drift check still changes its status, but the
    # Lease is the new leader's to write.
    elector.is_leader, elector.leader_identity = False, "replica-b"
    elector.recorded = {FAILURES_ANNOTATION: "4"}  # what replica-b recorded since
    engine.preview_counts = {"update": 1}
    assert daemon.converger.resync(remediate=False) is Outcome.DRIFTED
    assert len(elector.writes) == writes and elector.recorded == {FAILURES_ANNOTATION: "4"}


def test_a_lease_that_refuses_the_record_is_logged_and_the_converge_stands(caplog):
    elector = ElectorDouble(refuse_writes=True)
    daemon = parts(EngineDouble(stack_settings=SETTINGS), elector=elector)
    assert daemon.converger.converge_once() is Outcome.APPLIED
    assert daemon.converger.status.state is State.READY
    assert "could not record the converge state on the lease: HTTP 403 Forbidden" in caplog.text


def test_a_new_leader_takes_over_the_recorded_stall_and_wakes_the_target_sync():
    stalled_on = "0" * 64
    elector = ElectorDouble(annotations={FAILURES_ANNOTATION: "2", STALLED_ANNOTATION: stalled_on})
    with LatticeEmulator() as emulator:
        daemon = parts(EngineDouble(stack_settings=SETTINGS), elector=elector, lattice_client=emulator.client)
        woken = []
        daemon.targets.notify = lambda: woken.append("targets")
        daemon.became_leader()
    status = daemon.converger.status
    assert (status.state, status.consecutive_failures, status.desired_digest) == (State.STALLED, 2, stalled_on)
    assert woken == ["targets"]
    # A count someone edited into nonsense is no reason to fail: it starts from 0.
    mangled = parts(EngineDouble(stack_settings=SETTINGS), elector=ElectorDouble(annotations={
        FAILURES_ANNOTATION: "two"}))
    mangled.became_leader()
    assert mangled.converger.status.consecutive_failures == 0
    assert mangled.converger.status.state is not State.STALLED


def test_status_is_written_once_per_outcome_and_refused_deletions_are_reported_on_the_gateway():
    writer = WriterWithEvents()
    engine = EngineDouble(stack_settings=SETTINGS)
    daemon = parts(engine, status_writer=writer)
    daemon.converger.converge_once()
    daemon.converger.converge_once()
    assert writer.writes == 2  # Applied, then UpToDate
    daemon.converger.converge_once()
    assert writer.writes == 2  # UpToDate again: nothing new to write
    assert writer.events == []

    refusing = parts(EngineDouble(preview={"delete": 40}, stack_settings=SETTINGS), status_writer=writer,
                     options={"max_deletions": 25})
    assert refusing.converger.converge_once() is Outcome.DELETIONS_REFUSED
    [(key, reason, message)] = writer.events  # the Gateway only, not the route
    assert (key, reason) == ("Gateway/shop/edge", "DeletionsRefused")
    assert "delete or replace 40 resources, more than --max-deletions 25" in message


def test_once_fails_when_a_cluster_never_syncs_and_plans_nothing(cluster, caplog):
    cluster.refuse_connections()
    engine = EngineDouble(stack_settings=SETTINGS)
    daemon = Daemon(WatchOptions(stack="dev", once=True, metrics_addr=None, sync_timeout=0.3), SETTINGS, engine,
                    caches={})
    daemon.caches["east"] = ClusterCache(cluster.api_client(), "east", on_change=daemon.on_change)
    started = time.monotonic()
    assert daemon.run() == EXIT_NOT_CONVERGED
    assert time.monotonic() - started < 3
    assert engine.calls == []
    assert "cluster east: caches did not sync within 0s" in caplog.text
    assert "not listed yet: list failed: cannot reach the API server" in caplog.text


def test_once_converges_only_when_the_targets_are_synced_too(cluster):
    from tests.watch.test_targets_fast_path import CreatingEngine, targets

    with LatticeEmulator() as emulator:
        engine = CreatingEngine(emulator)
        daemon = Daemon(WatchOptions(stack="dev", once=True, metrics_addr=None, sync_timeout=10), SETTINGS, engine,
                        caches={}, lattice_client=emulator.client)
        daemon.caches["east"] = ClusterCache(cluster.api_client(), "east", on_change=daemon.on_change)
        assert daemon.run() == EXIT_CONVERGED
        assert set(targets(emulator)) == {"10.0.0.1"}

        class GroupGoneEngine(EngineDouble):
            """An up whose target groups are gone from Lattice by the time the targets sync."""

            def up(self, observation, previous, *, refresh=False):
                model = plan(dict(observation.objects), self.settings, previous_outputs=previous).model
                self.stack_outputs = {**applied_outputs(model, self.settings),
                                      "targetGroups": {key: "tg-00000000000000000" for key in model.targets}}
                return self.stack_outputs

        broken = Daemon(WatchOptions(stack="dev", once=True, metrics_addr=None, sync_timeout=10), SETTINGS,
                        GroupGoneEngine(stack_settings=SETTINGS), caches={}, lattice_client=emulator.client)
        broken.caches["east"] = ClusterCache(cluster.api_client(), "east", on_change=broken.on_change)
        assert broken.run() == EXIT_NOT_CONVERGED  # applied, but its targets are not in Lattice
        assert broken.converger.status.state is State.READY


def get(port: int, path: str):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_probes_are_served_while_running_a_dead_loop_fails_liveness_and_the_beat_checks_drift():
    elector = ElectorDouble()
    engine = EngineDouble(preview={"same": 5}, stack_settings=SETTINGS)  # and no drift, ever
    daemon = parts(engine, elector=elector, lattice_client=lambda: None,
                   options={"once": False, "metrics_addr": "127.0.0.1:0", "resync": 0.05, "debounce": 0.01,
                            "max_wait": 0.1})
    target_syncs = []
    daemon.targets.notify = lambda: target_syncs.append("notified")
    runner = threading.Thread(target=daemon.run, daemon=True)
    runner.start()
    try:
        eventually(lambda: daemon._health is not None and daemon.converger.status.state is State.READY)
        port = daemon._health.port
        assert get(port, "/healthz") == (200, "ok\n")
        assert get(port, "/readyz") == (200, "Ready: Applied\n")
        eventually(lambda: engine.calls.count("refresh-preview") >= 2)  # the resync beat's drift check...
        eventually(lambda: len(target_syncs) >= 3)  # ...and a target sync on each beat (one came after the up)
        assert engine.calls.count("up") == 1
        elector.fail.set()
        eventually(lambda: not daemon.live()[0])
        assert get(port, "/healthz") == (503, "stopped: lattice-leader\n")
    finally:
        daemon.stop()
        runner.join(10)
    assert not runner.is_alive() and daemon.live() == (True, "ok")  # stopping is not dying
    with pytest.raises(OSError):
        get(port, "/healthz")  # the probe server went with the daemon
    assert daemon.caches["east"].stopped


def test_in_a_pod_without_a_kubeconfig_the_service_account_is_used(tmp_path, monkeypatch):
    from kubernetes.config import incluster_config

    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("pod-token")
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    client = connect_cluster(None)
    assert client.configuration.host == "https://10.96.0.1:443"
    assert client.configuration.api_key["BearerToken"] == "bearer pod-token"
    assert client.configuration.connection_pool_maxsize >= len(KINDS)  # one watch per kind

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "prod-east",
        "clusters": [{"name": "east", "cluster": {"server": "https://east.example:6443"}}],
        "users": [{"name": "me", "user": {"token": "kubeconfig-token"}}],
        "contexts": [{"name": "prod-east", "context": {"cluster": "east", "user": "me"}}]}))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))  # a kubeconfig given wins, even in a pod
    assert connect_cluster(None).configuration.host == "https://east.example:6443"
    assert connect_cluster(None).configuration.api_key == {"BearerToken": "Bearer kubeconfig-token"}
