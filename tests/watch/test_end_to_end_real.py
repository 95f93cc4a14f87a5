"""The daemon for real: a real API server, the real Pulumi engine, the provider double and
the emulator.  Status is written and read back with the GETs kubectl makes; a restart
runs no update; drift made in the emulator is repaired; a namespace deleted is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml
from kubernetes import client as k8s_client

from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.converge import Outcome, State
from lattice_program.watch.daemon import Daemon, WatchOptions
from lattice_program.watch.stack_engine import AutomationStackEngine
from lattice_program.watch.status_writer import ARN_ANNOTATION, DOMAIN_ANNOTATION, StatusWriter
from tests.engine.test_real_engine import VPC, project
from tests.support.engines import REPO, RealPulumi
from tests.support.kube import KubeApiServer
from tests.watch.test_daemon_real import eventually

pytestmark = [pytest.mark.needs_pulumi_cli, pytest.mark.needs_kube_apiserver]
SETTINGS = StackSettings(vpc_id=VPC, cluster_name="real")


def example_objects(namespace: str) -> list:
    """The checkout example, moved into ``namespace``."""
    bodies = []
    for path in sorted((REPO / "examples" / "checkout-ab").glob("*.yaml")):
        for body in yaml.safe_load_all(path.read_text()):
            if body and body["kind"] != "GatewayClass":
                body["metadata"]["namespace"] = namespace
            if body:
                bodies.append(body)
    return bodies


def apply_example(server: KubeApiServer, namespace: str) -> None:
    from kubernetes.client.exceptions import ApiException

    for body in example_objects(namespace):
        try:
            server.create(body)
        except ApiException as error:
            if not (error.status == 409 and body["kind"] == "GatewayClass"):  # shared by the session
                raise


def daemon_for(server: KubeApiServer, root: Path, **options) -> Daemon:
    engine = AutomationStackEngine("realtest", SETTINGS, work_dir=root)
    api = server.api_client(pool_size=32)
    daemon = Daemon(WatchOptions(stack="realtest", debounce=0.1, max_wait=1.0, metrics_addr=None, sync_timeout=30,
                                 grace=30, **options), SETTINGS, engine, caches={},
                    status_writer=StatusWriter({"real": api}))
    daemon.caches["real"] = ClusterCache(api, "real", on_change=daemon.on_change)
    return daemon


def route(server: KubeApiServer, namespace: str) -> dict:
    return k8s_client.CustomObjectsApi(server.api_client()).get_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", namespace, "httproutes", "checkout")


def test_the_daemon_for_real(real_pulumi: RealPulumi, kube_apiserver: KubeApiServer, kube_namespace: str,
                             tmp_path: Path):
    apply_example(kube_apiserver, kube_namespace)
    root = project(tmp_path, "checkout-ab")
    daemon = daemon_for(kube_apiserver, root, max_deletions=5)  # the example is 12 resources
    runner = threading.Thread(target=daemon.run, daemon=True)
    runner.start()
    try:
        eventually(lambda: daemon.converger.status.state is State.READY, timeout=90)
        emulator = real_pulumi.emulator
        # Two named rules, each PathPrefix an exact and a prefix Lattice rule.
        assert len(emulator.inventory()["Rule"]) == 4 and len(emulator.inventory()["TargetGroup"]) == 2

        # Status and the anchor's annotations, read back as kubectl would.
        eventually(lambda: ARN_ANNOTATION in (route(kube_apiserver, kube_namespace)["metadata"].get("annotations")
                                              or {}), timeout=30)
        live = route(kube_apiserver, kube_namespace)
        [parent] = [p for p in live["status"]["parents"] if p["controllerName"] == SETTINGS.controller_name]
        conditions = {c["type"]: c for c in parent["conditions"]}
        assert conditions["Accepted"]["status"] == "True" and conditions["ResolvedRefs"]["status"] == "True"
        assert conditions["Programmed"]["status"] == "True"
        assert conditions["Accepted"]["observedGeneration"] == live["metadata"]["generation"]
        service_arn = live["metadata"]["annotations"][ARN_ANNOTATION]
        assert service_arn in {s["arn"] for s in emulator.inventory()["Service"].values()}
        assert live["metadata"]["annotations"][DOMAIN_ANNOTATION].endswith(".on.aws")
        gateway = k8s_client.CustomObjectsApi(kube_apiserver.api_client()).get_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", kube_namespace, "gateways", "storefront")
        assert {c["type"]: c["status"] for c in gateway["status"]["conditions"]}["Programmed"] == "True"

        # Drift: a rule's weights changed in the console. Found on the beat, repaired with remediate.
        client = emulator.client()
        rule = next(r for r in emulator.inventory()["Rule"].values() if "split" in r["name"])
        service_id, listener_id = rule["arn"].split("/")[1], rule["arn"].split("/")[3]
        groups = rule["action"]["forward"]["targetGroups"]
        client.update_rule(serviceIdentifier=service_id, listenerIdentifier=listener_id, ruleIdentifier=rule["id"],
                           action={"forward": {"targetGroups": [dict(groups[0], weight=50), dict(groups[1], weight=50)]}})
        assert daemon.converger.resync(remediate=True) is Outcome.DRIFTED
        eventually(lambda: [g["weight"] for g in emulator.inventory()["Rule"][rule["id"]]["action"]["forward"]
                            ["targetGroups"]] == [90, 10], timeout=60)

        # A deletion storm: everything in the namespace goes at once (as a namespace deletion
        # does; this test cluster runs no namespace controller). Refused, nothing deleted in Lattice.
        before = {kind: len(items) for kind, items in emulator.inventory().items() if items}
        for body in example_objects(kube_namespace):
            if body["kind"] != "GatewayClass":
                kube_apiserver.delete(body)
        eventually(lambda: daemon.converger.status.state is State.STALLED, timeout=60)
        assert daemon.converger.status.reason == "DeletionsRefused"
        assert {kind: len(items) for kind, items in emulator.inventory().items() if items} == before
    finally:
        daemon.stop()
        runner.join(60)
    assert not list(real_pulumi.backend.rglob(".pulumi/locks/**/*.json"))


def test_a_restarted_daemon_runs_no_update(real_pulumi: RealPulumi, kube_apiserver: KubeApiServer,
                                           kube_namespace: str, tmp_path: Path):
    apply_example(kube_apiserver, kube_namespace)
    root = project(tmp_path, "checkout-ab")
    first = daemon_for(kube_apiserver, root, once=True)
    assert first.run() == 0
    mutating = len(real_pulumi.emulator.mutating_calls)
    second = daemon_for(kube_apiserver, root, once=True)
    assert second.run() == 0
    assert second.converger.status.reason == "UpToDate"
    assert len(real_pulumi.emulator.mutating_calls) == mutating


def test_a_stop_mid_update_past_the_grace_period_cancels_it_cleanly(real_pulumi: RealPulumi,
                                                                     kube_apiserver: KubeApiServer,
                                                                     kube_namespace: str, tmp_path: Path):
    apply_example(kube_apiserver, kube_namespace)
    root = project(tmp_path, "checkout-ab")
    real_pulumi.emulator.latency["CreateRule"] = 3.0
    engine = AutomationStackEngine("realtest", SETTINGS, work_dir=root)
    api = kube_apiserver.api_client(pool_size=32)
    daemon = Daemon(WatchOptions(stack="realtest", debounce=0.1, max_wait=1.0, metrics_addr=None, sync_timeout=30,
                                 grace=0.5), SETTINGS, engine, caches={})
    daemon.caches["real"] = ClusterCache(api, "real", on_change=daemon.on_change)
    exit_code = {}
    runner = threading.Thread(target=lambda: exit_code.setdefault("code", daemon.run()), daemon=True)
    runner.start()
    eventually(lambda: any(op == "CreateRule" for op, _ in real_pulumi.emulator.calls), timeout=90)
    daemon.stop()
    runner.join(90)
    assert not runner.is_alive() and exit_code["code"] == 0
    assert not list(real_pulumi.backend.rglob(".pulumi/locks/**/*.json")), "the stack was left locked"
    real_pulumi.emulator.latency.clear()
    again = daemon_for(kube_apiserver, root, once=True)
    assert again.run() == 0  # the next daemon converges from where the cancelled one stopped
    assert len(real_pulumi.emulator.inventory()["Rule"]) == 4
