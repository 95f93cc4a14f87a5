"""Two daemons on one real API server: only the Lease holder converges; a stop hands over."""

from __future__ import annotations

import functools
import threading
import time

import pytest

from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.converge import State
from lattice_program.watch.daemon import FAILURES_ANNOTATION, STALLED_ANNOTATION, Daemon, WatchOptions
from lattice_program.watch.leader import LeaderElector
from tests.support.kube import KubeApiServer
from tests.support.world import gateway, gateway_class, http_route, service
from tests.watch.test_converge import EngineDouble
from tests.support.waiting import eventually as wait_until

pytestmark = pytest.mark.needs_kube_apiserver
VPC = "vpc-0123456789abcdef0"
SETTINGS = StackSettings(vpc_id=VPC, cluster_name="east")


eventually = functools.partial(wait_until, timeout=15.0)


def world_in(server: KubeApiServer, namespace: str) -> None:
    """The GatewayClass is cluster-wide and shared by the session's tests; the rest is the test's own."""
    from kubernetes.client.exceptions import ApiException

    try:
        server.create(gateway_class())
    except ApiException as error:
        if error.status != 409:
            raise
    server.create_all([gateway("edge", namespace), service("cart", namespace),
                       http_route("cart", namespace, parents=["edge"], backends=[("cart", 80)])])


def replica(server: KubeApiServer, namespace: str, name: str) -> tuple:
    engine = EngineDouble(stack_settings=SETTINGS)
    holder: dict = {}
    elector = LeaderElector(server.api_client(), namespace, "lattice-gateway-dev", name, lease_duration=3.0,
                            renew_deadline=2.0, retry_period=0.4,
                            on_started_leading=lambda: holder["daemon"].became_leader())
    daemon = Daemon(WatchOptions(stack="dev", debounce=0.05, max_wait=0.5, metrics_addr=None, sync_timeout=20,
                                 grace=5), SETTINGS, engine, caches={}, elector=elector)
    holder["daemon"] = daemon
    daemon.caches["east"] = ClusterCache(server.api_client(), "east", on_change=daemon.on_change)
    runner = threading.Thread(target=daemon.run, daemon=True, name=f"replica-{name}")
    runner.start()
    return daemon, engine, runner


def test_only_the_leader_converges_and_a_clean_stop_hands_over(kube_apiserver: KubeApiServer, kube_namespace: str):
    world_in(kube_apiserver, kube_namespace)
    first, first_engine, first_runner = replica(kube_apiserver, kube_namespace, "replica-a")
    eventually(lambda: first_engine.calls.count("up") == 1)
    second, second_engine, second_runner = replica(kube_apiserver, kube_namespace, "replica-b")
    try:
        eventually(lambda: second.ready()[0])
        assert second.ready()[1] == "standby: replica-a leads"
        kube_apiserver.create(http_route("orders", kube_namespace, parents=["edge"], backends=[("cart", 80)]))
        eventually(lambda: first_engine.calls.count("up") == 2)
        time.sleep(1.0)
        assert "up" not in second_engine.calls and "preview" not in second_engine.calls
        # The standby's caches are warm: it holds the new route too.
        assert any(o.body["metadata"]["name"] == "orders" for o in second.caches["east"].objects())

        # One stack: the new leader reads the outputs the first one's update left, so an
        # unchanged input costs it a plan and no update.
        second_engine.stack_outputs = dict(first_engine.stack_outputs)
        first.stop()
        first_runner.join(15)
        eventually(lambda: second.elector.is_leader, timeout=5)  # released: no wait for the lease to lapse
        eventually(lambda: second.converger.status.state is State.READY)
        assert "up" not in second_engine.calls
    finally:
        for daemon, runner in ((first, first_runner), (second, second_runner)):
            daemon.stop()
            runner.join(15)


def test_a_stall_is_recorded_on_the_lease_and_the_next_leader_keeps_it(kube_apiserver: KubeApiServer,
                                                                     kube_namespace: str):
    world_in(kube_apiserver, kube_namespace)
    first, first_engine, first_runner = replica(kube_apiserver, kube_namespace, "replica-a")
    first_engine.preview_counts = {"delete": 99}  # the breaker refuses it
    try:
        eventually(lambda: first.converger.status.state is State.STALLED)
        eventually(lambda: first.elector.annotations().get(STALLED_ANNOTATION) == first.converger.stalled_on)
        assert first.elector.annotations().get(FAILURES_ANNOTATION) == "0"
    finally:
        first.stop()
        first_runner.join(15)
    second, second_engine, second_runner = replica(kube_apiserver, kube_namespace, "replica-b")
    try:
        eventually(lambda: second.elector.is_leader)
        eventually(lambda: second.converger.status.state is State.STALLED)
        time.sleep(0.5)
        assert second_engine.calls.count("preview") == 0  # the same input: still refused, not retried
    finally:
        second.stop()
        second_runner.join(15)


def test_with_two_clusters_each_objects_status_goes_to_its_own_cluster(kube_apiserver: KubeApiServer,
                                                                        kube_apiserver_factory, kube_namespace: str):
    from kubernetes import client as k8s_client

    from lattice_program.vocabulary.settings import ClusterSettings
    from lattice_program.watch.status_writer import StatusWriter
    from tests.support.kube import aws_crd_files, standard_crd_files

    west = kube_apiserver_factory(crds=standard_crd_files() + aws_crd_files())
    world_in(kube_apiserver, kube_namespace)
    west.create(gateway_class())
    west.create_namespace(kube_namespace)
    west.create_all([gateway("edge", kube_namespace), service("orders", kube_namespace),
                     http_route("orders", kube_namespace, parents=["edge"], backends=[("orders", 80)])])
    settings = StackSettings(clusters=[ClusterSettings(name="east", vpc_id=VPC),
                                       ClusterSettings(name="west", vpc_id="vpc-0fedcba9876543210")])
    clients = {"east": kube_apiserver.api_client(pool_size=32), "west": west.api_client(pool_size=32)}
    engine = EngineDouble(stack_settings=settings)
    daemon = Daemon(WatchOptions(stack="dev", once=True, metrics_addr=None, sync_timeout=20), settings, engine,
                    caches={}, status_writer=StatusWriter(clients))
    for name, api in clients.items():
        daemon.caches[name] = ClusterCache(api, name, on_change=daemon.on_change)
    assert daemon.run() == 0

    def parents(api, name):
        try:
            route = k8s_client.CustomObjectsApi(api).get_namespaced_custom_object(
                "gateway.networking.k8s.io", "v1", kube_namespace, "httproutes", name)
        except k8s_client.exceptions.ApiException as error:
            return error.status
        return [p["parentRef"]["name"] for p in (route.get("status") or {}).get("parents") or []]

    assert parents(clients["east"], "cart") == ["edge"] and parents(clients["west"], "orders") == ["edge"]
    assert parents(clients["east"], "orders") == 404 and parents(clients["west"], "cart") == 404
