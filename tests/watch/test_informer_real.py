"""ClusterCache against a real kube-apiserver: what the double can only imitate.

After every scenario the cache must hold exactly what a one-shot ``read_cluster`` of
the same server returns.  Two things only a real server shows: a CRD installed while
the cache runs is found by rediscovery, and etcd compaction makes the resourceVersion
of a disconnected watch expire (410 Gone) when the API server serves watches from etcd
(``--watch-cache=false``); with the watch cache (the default) the same gap is replayed
from the cache's window of recent events instead.
"""

from __future__ import annotations

import functools
import contextlib
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Tuple

import orjson
import pytest
from kubernetes import client

from tests.support.kube import KubeApiServer, aws_crd_files
from tests.support.world import endpoint_slice, http_route, service
from lattice_program.sources.cluster import KINDS, SERVICE, read_cluster
from lattice_program.watch.backoff import Backoff
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.informer import ADDED, DELETED, MODIFIED, Change
from tests.support.waiting import eventually as wait_until

pytestmark = pytest.mark.needs_kube_apiserver

FAST: Dict[str, Any] = {"backoff": Backoff(base=0.01, cap=0.05, jitter=1.0), "rediscover_seconds": 0.2,
                        "watch_timeout_seconds": 30}


eventually = functools.partial(wait_until, timeout=5.0)


def snapshot(objects) -> List[Tuple[str, Any]]:
    return sorted((raw.origin, raw.body) for raw in objects)


def equals_server(cache: ClusterCache, server: KubeApiServer) -> bool:
    read = read_cluster(api_client=server.admin, cluster_name=cache.cluster, kinds=tuple(
        informer.kind for informer in cache.informers.values()))
    return snapshot(cache.objects()) == snapshot(read.objects)


@contextlib.contextmanager
def caching(server: KubeApiServer, cluster: str = "real", kinds=KINDS, **options: Any) -> Iterator[
        Tuple[ClusterCache, List[Change]]]:
    changes: List[Change] = []
    cache = ClusterCache(server.api_client(pool_size=len(kinds) + 2), cluster, kinds, on_change=changes.append,
                         **{**FAST, **options})
    try:
        assert cache.wait_synced(10.0)
        yield cache, changes
    finally:
        assert cache.stop(), "an informer did not stop within 2 s"


def of(changes: List[Change], namespace: str) -> List[Tuple[str, str, str]]:
    return [(c.kind, c.type, c.name) for c in changes if c.namespace == namespace]


def test_the_initial_sync_holds_what_the_server_holds(kube_apiserver, kube_namespace):
    kube_apiserver.create_all([service("a", kube_namespace), service("b", kube_namespace),
                               endpoint_slice("a", kube_namespace),
                               http_route("r", kube_namespace, parents=["edge"], backends=[("a", 80)])])

    with caching(kube_apiserver) as (cache, changes):
        assert cache.complete, cache.failures()
        assert equals_server(cache, kube_apiserver)
        assert sorted(of(changes, kube_namespace)) == [("EndpointSlice", ADDED, "a-slice"), ("HTTPRoute", ADDED, "r"),
                                                       ("Service", ADDED, "a"), ("Service", ADDED, "b")]
        mine = [raw for raw in cache.objects() if raw.body["metadata"].get("namespace") == kube_namespace]
        assert {raw.origin for raw in mine} == {f"cluster:real/Service/{kube_namespace}/a",
                                                f"cluster:real/Service/{kube_namespace}/b",
                                                f"cluster:real/EndpointSlice/{kube_namespace}/a-slice",
                                                f"cluster:real/HTTPRoute/{kube_namespace}/r"}


def test_adds_modifications_and_deletes_reach_the_cache(kube_apiserver, kube_namespace):
    bodies = [service("a", kube_namespace), endpoint_slice("a", kube_namespace),
              http_route("r", kube_namespace, parents=["edge"], backends=[("a", 80)])]
    with caching(kube_apiserver) as (cache, changes):
        for body in bodies:
            kube_apiserver.create(body)
        eventually(lambda: len(of(changes, kube_namespace)) == 3)
        for body in bodies:
            kube_apiserver.patch(body, {"metadata": {"labels": {"changed": "yes"}}})
        eventually(lambda: len(of(changes, kube_namespace)) == 6)
        assert all(raw.body["metadata"]["labels"].get("changed") == "yes" for raw in cache.objects()
                   if raw.body["metadata"].get("namespace") == kube_namespace)
        for body in bodies:
            kube_apiserver.delete(body)
        eventually(lambda: len(of(changes, kube_namespace)) == 9)

        for kind, name in [("Service", "a"), ("EndpointSlice", "a-slice"), ("HTTPRoute", "r")]:
            # In order within a kind; kinds have informers (threads) of their own.
            assert [c for c in of(changes, kube_namespace) if c[0] == kind] == [
                (kind, change, name) for change in (ADDED, MODIFIED, DELETED)]
        deleted = [c for c in changes if c.type == DELETED and c.namespace == kube_namespace]
        assert all(c.object["metadata"]["labels"]["changed"] == "yes" for c in deleted)  # the last known state
        assert equals_server(cache, kube_apiserver)


def test_a_crd_installed_after_the_start_is_discovered(kube_apiserver_factory):
    server = kube_apiserver_factory()  # no CRDs at all
    policy_crd = [path for path in aws_crd_files() if path.name.endswith("_targetgrouppolicies.yaml")]
    policy = {"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "TargetGroupPolicy",
              "metadata": {"name": "p", "namespace": "default"},
              "spec": {"targetRef": {"group": "", "kind": "Service", "name": "a"}, "protocol": "HTTP"}}

    with caching(server) as (cache, changes):
        informer = cache.informers["TargetGroupPolicy"]
        assert informer.synced.is_set() and not informer.served and informer.complete  # optional: empty
        assert not cache.complete  # Gateway API kinds are required
        assert any("gateways.gateway.networking.k8s.io is not served" in f for f in cache.failures())

        server.apply_crds(policy_crd, warm=False)
        server.create(policy)

        eventually(lambda: [c.name for c in changes if c.kind == "TargetGroupPolicy"] == ["p"])
        assert informer.served
        eventually(lambda: equals_server(cache, server))


class Gate:
    """An informer ``sleep`` that holds every backoff while closed: the informer stays
    disconnected, however long the test needs."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.holding = threading.Event()

    def sleep(self, stop: threading.Event, seconds: float) -> None:
        if self.closed.is_set():
            self.holding.set()
            while self.closed.is_set() and not stop.is_set():
                time.sleep(0.01)
            self.holding.clear()
        stop.wait(seconds)


def _disconnect_and_change(server: KubeApiServer, cache: ClusterCache, gate: Gate, namespace: str,
                           before_reconnect: Callable[[str], None] = lambda version: None) -> None:
    """Cut the Service informer's watch and hold it off while services change and etcd
    compacts; then let it reconnect from its old resourceVersion."""
    informer = cache.informers["Service"]
    gate.closed.set()
    deadline = time.monotonic() + 5.0
    while not gate.holding.wait(0.05):  # until the watch was open to be cut
        assert time.monotonic() < deadline, "the informer did not back off"
        informer.interrupt()  # a client-side cut, as a dropped connection: the stream ends early
    assert "the watch stream broke" in (informer.last_error or "")
    server.delete(service("s0", namespace))
    server.patch(service("s1", namespace), {"metadata": {"labels": {"changed": "yes"}}})
    server.create(service("new", namespace))
    assert server.compact() > int(informer.resource_version) + 1  # a watch starts after its version
    before_reconnect(informer.resource_version)
    gate.closed.clear()


def _watch_from(server: KubeApiServer, version: str) -> List[Dict[str, Any]]:
    response = client.CoreV1Api(server.admin).list_service_for_all_namespaces(
        watch=True, resource_version=version, timeout_seconds=1, _preload_content=False)
    try:
        return [orjson.loads(line) for line in response.data.splitlines() if line]
    finally:
        response.release_conn()


def test_a_watch_from_a_compacted_revision_gets_410_and_the_cache_relists(kube_apiserver_factory):
    server = kube_apiserver_factory(extra_args=["--watch-cache=false"])  # watches served by etcd
    gate = Gate()
    with server.namespace() as namespace:
        server.create_all(service(f"s{i}", namespace) for i in range(3))
        with caching(server, kinds=(SERVICE,), sleep=gate.sleep) as (cache, changes):
            informer = cache.informers["Service"]
            assert informer.requests.lists == 1
            del changes[:]

            answers = []
            _disconnect_and_change(server, cache, gate, namespace,
                                   before_reconnect=lambda version: answers.extend(_watch_from(server, version)))

            # What the informer will be told: the server's own 410, as an ERROR event.
            assert [(a["type"], a["object"]["code"], a["object"]["reason"]) for a in answers] == [
                ("ERROR", 410, "Expired")]
            eventually(lambda: informer.requests.lists == 2 and informer.last_error is None)
            assert sorted(of(changes, namespace)) == [("Service", ADDED, "new"), ("Service", DELETED, "s0"),
                                                      ("Service", MODIFIED, "s1")]  # the relist's differences
            eventually(lambda: equals_server(cache, server))


def test_after_an_api_server_restart_the_old_version_is_gone_and_the_cache_relists(kube_apiserver_factory):
    server = kube_apiserver_factory()  # the watch cache on, as in any cluster
    gate = Gate()
    with server.namespace() as namespace:
        server.create_all(service(f"s{i}", namespace) for i in range(2))
        with caching(server, kinds=(SERVICE,), sleep=gate.sleep) as (cache, changes):
            informer = cache.informers["Service"]
            del changes[:]
            gate.closed.set()
            server.stop_apiserver()  # the watch breaks; the informer backs off, held by the gate
            assert gate.holding.wait(5.0)
            server.start_apiserver()  # same etcd: the objects are all there, the watch cache is new
            server.delete(service("s0", namespace))
            server.create(service("new", namespace))
            gate.closed.clear()

            # The new watch cache starts at the revision it listed at startup: older
            # versions are "too old" (410) though etcd was never compacted.
            eventually(lambda: informer.requests.lists == 2 and informer.last_error is None)
            assert sorted(of(changes, namespace)) == [("Service", ADDED, "new"), ("Service", DELETED, "s0")]
            eventually(lambda: equals_server(cache, server))


def test_with_the_watch_cache_the_gap_is_replayed_without_a_relist(kube_apiserver, kube_namespace):
    gate = Gate()
    kube_apiserver.create_all(service(f"s{i}", kube_namespace) for i in range(3))
    with caching(kube_apiserver, kinds=(SERVICE,), sleep=gate.sleep) as (cache, changes):
        informer = cache.informers["Service"]
        del changes[:]

        _disconnect_and_change(kube_apiserver, cache, gate, kube_namespace)

        eventually(lambda: len(of(changes, kube_namespace)) == 3)
        assert of(changes, kube_namespace) == [("Service", DELETED, "s0"), ("Service", MODIFIED, "s1"),
                                               ("Service", ADDED, "new")]  # the events, in order
        assert informer.requests.lists == 1
        assert equals_server(cache, kube_apiserver)


def test_two_clusters_in_two_caches(kube_apiserver, kube_namespace, kube_apiserver_factory):
    west = kube_apiserver_factory()
    kube_apiserver.create(service("checkout", kube_namespace))
    with west.namespace(kube_namespace):
        west.create_all([service("checkout", kube_namespace), service("payments", kube_namespace)])
        kinds = (SERVICE,)
        with caching(kube_apiserver, "east", kinds) as (east_cache, _), caching(west, "west", kinds) as (west_cache, _):
            def mine(cache):
                return sorted(raw.origin for raw in cache.objects() if f"/{kube_namespace}/" in raw.origin)

            assert mine(east_cache) == [f"cluster:east/Service/{kube_namespace}/checkout"]
            assert mine(west_cache) == [f"cluster:west/Service/{kube_namespace}/checkout",
                                        f"cluster:west/Service/{kube_namespace}/payments"]
            west.delete(service("payments", kube_namespace))
            kube_apiserver.create(service("payments", kube_namespace))
            eventually(lambda: len(mine(east_cache)) == 2 and len(mine(west_cache)) == 1)
            # A new server makes default/kubernetes on its own a moment after it starts: the
            # cache must get there too, so equality is waited for, not sampled once.
            eventually(lambda: equals_server(east_cache, kube_apiserver) and equals_server(west_cache, west))
