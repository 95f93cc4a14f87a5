"""Least privilege, for real: the daemon runs as an identity holding only the rendered RBAC.

Every call it makes is allowed (its caches complete, statuses and annotations written,
its Lease taken), and what lies outside its scope is refused.
"""

from __future__ import annotations

import threading

import pytest
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from lattice_program.deploy.manifests import rbac_objects
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.converge import State
from lattice_program.watch.daemon import Daemon, WatchOptions, lease_name
from lattice_program.watch.leader import LeaderElector
from lattice_program.watch.status_writer import StatusWriter
from tests.support.kube import RESTRICTED, RESTRICTED_USER, KubeApiServer
from tests.watch.test_converge import EngineDouble
from tests.watch.test_daemon_real import eventually, world_in

pytestmark = pytest.mark.needs_kube_apiserver
SETTINGS = StackSettings(vpc_id="vpc-0123456789abcdef0", cluster_name="east")


@pytest.fixture
def granted(kube_apiserver: KubeApiServer, kube_namespace: str):
    """The rendered RBAC, bound to the restricted identity, with its Lease namespace."""
    subject = {"kind": "User", "name": RESTRICTED_USER, "apiGroup": "rbac.authorization.k8s.io"}
    objects = rbac_objects(namespace=kube_namespace, subject=subject)
    kube_apiserver.create_all(objects)
    yield kube_namespace
    for body in objects:
        try:
            kube_apiserver.delete(body)
        except ApiException:
            pass


def forbidden(call) -> bool:
    try:
        call()
    except ApiException as error:
        return error.status == 403
    return False


def test_the_daemon_does_its_whole_job_with_the_rendered_rbac_and_no_more(kube_apiserver: KubeApiServer,
                                                                          granted: str):
    namespace = granted
    world_in(kube_apiserver, namespace)
    restricted = kube_apiserver.api_client(RESTRICTED, pool_size=32)
    engine = EngineDouble(stack_settings=SETTINGS)
    holder: dict = {}
    elector = LeaderElector(restricted, namespace, lease_name("dev"), "only", lease_duration=3.0,
                            renew_deadline=2.0, retry_period=0.4,
                            on_started_leading=lambda: holder["daemon"].became_leader())
    writer = StatusWriter({"east": restricted}, controller_name=SETTINGS.controller_name)
    reports = []
    original = writer.write
    writer.write = lambda *args, **kwargs: reports.append(original(*args, **kwargs)) or reports[-1]
    daemon = Daemon(WatchOptions(stack="dev", debounce=0.05, max_wait=0.5, metrics_addr=None, sync_timeout=20),
                    SETTINGS, engine, caches={}, status_writer=writer, elector=elector)
    holder["daemon"] = daemon
    daemon.caches["east"] = ClusterCache(restricted, "east", on_change=daemon.on_change)
    runner = threading.Thread(target=daemon.run, daemon=True)
    runner.start()
    try:
        eventually(lambda: daemon.converger.status.state is State.READY and reports)
        assert daemon.caches["east"].complete, daemon.caches["east"].failures()  # every list and watch allowed
        assert elector.is_leader  # the Lease: get, create, update
        assert all(not report.failed for report in reports), [r.failed for r in reports]
        assert any(report.written for report in reports)
        route = k8s_client.CustomObjectsApi(kube_apiserver.admin).get_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", namespace, "httproutes", "cart")
        assert any(p["controllerName"] == SETTINGS.controller_name for p in route["status"]["parents"])
    finally:
        daemon.stop()
        runner.join(20)

    core = k8s_client.CoreV1Api(restricted)
    leases = k8s_client.CoordinationV1Api(restricted)
    assert forbidden(lambda: core.patch_namespaced_service("cart", namespace, {"metadata": {"labels": {"x": "y"}}}))
    assert forbidden(lambda: core.list_secret_for_all_namespaces())
    assert forbidden(lambda: leases.create_namespaced_lease("default", k8s_client.V1Lease(
        metadata=k8s_client.V1ObjectMeta(name="not-ours"))))
    assert forbidden(lambda: k8s_client.CustomObjectsApi(restricted).delete_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", namespace, "httproutes", "cart"))
