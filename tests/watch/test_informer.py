"""Informers against the loopback API server double, through the official client.

The double does what a real server cannot be made to do on demand (cut a watch, answer
410 at a chosen moment, refuse connections); after every scenario the cache must equal
the server's objects, with no missed and no phantom changes.
"""

from __future__ import annotations

import functools
import contextlib
import json
import logging
import math
import threading
import time
from collections import Counter
from typing import Any, Callable, Dict, Iterator, List, Tuple

import orjson
import pytest

from tests.support.kube_double import GATEWAY_GROUP, SERVICES, KubeDouble, ResourceType
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service
from lattice_program.sources.cluster import GATEWAY_CLASS, GRPC_ROUTE, KINDS, SERVICE, read_cluster
from lattice_program.watch.backoff import Backoff
from lattice_program.watch.cache import ClusterCache
from lattice_program.watch.informer import ADDED, DELETED, MODIFIED, Change, Informer, InformerError
from tests.support.waiting import eventually as wait_until

GRPC_ROUTES = ResourceType(GATEWAY_GROUP, "v1", "grpcroutes", "GRPCRoute", namespaced=True)
# Short backoffs and rediscovery, so that no test waits on a production-sized delay.  Watches
# are long, so that none ends on its own in the middle of a scenario.
FAST: Dict[str, Any] = {"backoff": Backoff(base=0.01, cap=0.05, jitter=1.0), "rediscover_seconds": 0.05,
                        "watch_timeout_seconds": 60}


eventually = functools.partial(wait_until, timeout=3.0)


@pytest.fixture
def double() -> Iterator[KubeDouble]:
    with KubeDouble() as server:
        server.bookmark_interval = 0.02
        yield server


@pytest.fixture
def api(double: KubeDouble):
    client = double.api_client()
    yield client
    client.close()


@contextlib.contextmanager
def running(informer: Informer) -> Iterator[Informer]:
    stop = threading.Event()
    thread = threading.Thread(target=informer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield informer
    finally:
        stop.set()
        informer.interrupt()
        thread.join(1.0)
        assert not thread.is_alive(), "the informer did not stop within 1 s"


@pytest.fixture
def start(double, api) -> Iterator[Callable[..., Tuple[Informer, List[Change]]]]:
    """Start an informer (FAST options unless overridden) and wait until it has listed and
    opened its watch; it is stopped after the test."""
    with contextlib.ExitStack() as stack:
        def _start(kind=SERVICE, *, wait: bool = True, **options: Any) -> Tuple[Informer, List[Change]]:
            changes: List[Change] = []
            options = {**FAST, "on_change": changes.append, **options}
            informer = stack.enter_context(running(Informer(api, kind, cluster="east", **options)))
            if wait:
                assert informer.synced.wait(3.0)
                if informer.served:
                    eventually(lambda: double.open_watches(kind.plural) == 1)
            return informer, changes
        yield _start


def equals_server(informer: Informer, double: KubeDouble, resource_type: ResourceType = SERVICES) -> bool:
    return informer.objects() == double.store.current(resource_type)[1]


def names(changes: List[Change]) -> List[Tuple[str, str]]:
    return [(c.type, c.name) for c in changes]


def _services(double: KubeDouble, *names_: str) -> None:
    double.store.put_all([service(name, "shop") for name in names_])


# -- initial sync ---------------------------------------------------------------------------

def test_the_initial_sync_is_one_list_request_per_page_and_nothing_else(double, start):
    _services(double, *(f"s{i}" for i in range(7)))

    informer, changes = start(page_size=2)

    requests = double.requests_for("services")
    lists = [r for r in requests if not r.is_watch]
    assert [r.query["limit"] for r in lists] == ["2"] * 4  # 7 objects in pages of 2
    assert [r.is_continuation for r in lists] == [False, True, True, True]
    assert all(r.path == "/api/v1/services" for r in requests)  # cluster-wide, never a GET of one object
    (watch,) = [r for r in requests if r.is_watch]
    assert watch.query == {"watch": "true", "resourceVersion": informer.resource_version,
                           "allowWatchBookmarks": "true", "timeoutSeconds": "60"}
    assert informer.requests.lists == 1 and informer.served and informer.complete
    assert equals_server(informer, double)
    assert names(changes) == [(ADDED, f"s{i}") for i in range(7)]
    assert changes[0] == Change("east", "Service", ADDED, "shop", "s0", changes[0].object)
    assert changes[0].object["apiVersion"] == "v1" and changes[0].object["kind"] == "Service"


def test_a_cluster_cache_lists_each_kind_in_pages_and_holds_what_a_one_shot_read_returns(double, api):
    double.store.put_all([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        gateway_class(), gateway("edge", "shop"),
        *(http_route(f"r{i}", "shop", parents=["edge"], backends=[(f"svc{i}", 80)]) for i in range(3)),
        *(service(f"svc{i}", "shop") for i in range(5)),
        *(endpoint_slice(f"svc{i}", "shop") for i in range(5)),
    ])
    cache = ClusterCache(api, "east", page_size=2, **{**FAST, "rediscover_seconds": 60})
    try:
        assert cache.wait_synced(3.0) and cache.complete and cache.failures() == ()
        served = {"namespaces": 1, "gatewayclasses": 1, "gateways": 1, "httproutes": 3, "services": 5,
                  "endpointslices": 5, "referencegrants": 0}
        # A served kind: the pages of its list (pages of 2).  One that is not: a 404 per version.
        expected = Counter({kind.plural: max(1, math.ceil(served[kind.plural] / 2)) if kind.plural in served
                            else len(kind.versions) for kind in KINDS})
        paths = [r.path for r in double.requests if not r.is_watch]
        assert Counter(path.rsplit("/", 1)[1] for path in paths) == expected
        assert {r.path.rsplit("/", 1)[1] for r in double.requests} <= set(expected)  # no per-object GET

        double.store.put(service("late", "shop"))
        double.store.delete(SERVICES, "shop", "svc0")
        read = read_cluster(api_client=api, cluster_name="east")
        eventually(lambda: _raw(cache.objects()) == _raw(read.objects))
    finally:
        assert cache.stop()


def _raw(objects) -> List[Tuple[str, bytes]]:
    return sorted((raw.origin, orjson.dumps(raw.body, option=orjson.OPT_SORT_KEYS)) for raw in objects)


# -- watching -------------------------------------------------------------------------------

def test_watch_events_reach_the_cache_in_order(double, start):
    _services(double, "a", "b")
    informer, changes = start()
    mark = len(changes)

    double.store.put(service("c", "shop"))
    double.store.put(service("c", "shop", ports=(81,)))
    double.store.delete(SERVICES, "shop", "a")

    eventually(lambda: equals_server(informer, double))
    assert names(changes[mark:]) == [(ADDED, "c"), (MODIFIED, "c"), (DELETED, "a")]
    assert changes[-1].object["metadata"]["name"] == "a"  # a deletion carries the last state
    eventually(lambda: informer.resource_version == double.store.resource_version)  # bookmarks
    assert informer.requests.lists == 1


def test_a_watch_that_times_out_is_resumed_from_its_version_without_a_list(double, start):
    _services(double, "a")
    informer, changes = start(watch_timeout_seconds=1)
    double.store.put(service("b", "shop"))

    eventually(lambda: len([r for r in double.requests_for("services") if r.is_watch]) == 2)
    second = [r for r in double.requests_for("services") if r.is_watch][1]
    assert second.query["resourceVersion"] == double.store.resource_version  # the last bookmark's
    assert informer.requests.lists == 1 and informer.last_error is None  # a normal end is no failure
    assert names(changes) == [(ADDED, "a"), (ADDED, "b")]


def test_an_event_older_than_the_cached_object_is_ignored_and_lines_may_span_chunks():
    changes: List[Change] = []
    informer = Informer(None, SERVICE, cluster="east", on_change=changes.append)

    def event(event_type: str, version: int, port: int = 80) -> bytes:
        body = service("a", "shop", ports=(port,))
        body["metadata"]["resourceVersion"] = str(version)
        return orjson.dumps({"type": event_type, "object": body}) + b"\n"

    body = event(ADDED, 5) + event(MODIFIED, 4, 99) + event(MODIFIED, 6, 81)
    body += b'{"type":"BOOKMARK","object":{"kind":"Service","apiVersion":"v1","metadata":{"resourceVersion":"9"}}}'
    informer.feed(body[i:i + 7] for i in range(0, len(body), 7))

    assert names(changes) == [(ADDED, "a"), (MODIFIED, "a")]
    (cached,) = informer.objects()
    assert cached["metadata"]["resourceVersion"] == "6" and cached["spec"]["ports"] == [{"port": 81}]
    assert informer.resource_version == "9"
    with pytest.raises(InformerError, match="HTTP 500: etcd is sad"):
        informer.feed([b'{"type":"ERROR","object":{"kind":"Status","code":500,"message":"etcd is sad"}}\n'])


def test_a_watch_cut_mid_stream_resumes_from_its_version_and_misses_nothing(double, start):
    _services(double, "a")
    double.drop_watches(after_events=2, plural="services")
    informer, changes = start()
    mark = len(changes)

    for name in ("b", "c", "d", "e"):
        double.store.put(service(name, "shop"))
    double.store.delete(SERVICES, "shop", "a")

    eventually(lambda: equals_server(informer, double))
    assert names(changes[mark:]) == [(ADDED, "b"), (ADDED, "c"), (ADDED, "d"), (ADDED, "e"), (DELETED, "a")]
    watches = [r for r in double.requests_for("services") if r.is_watch]
    assert len(watches) >= 2 and informer.requests.lists == 1  # resumed, not relisted
    c_version = next(c for c in changes if c.name == "c").object["metadata"]["resourceVersion"]
    assert watches[1].query["resourceVersion"] == c_version


def test_refused_connections_back_off_exponentially_then_the_watch_resumes(double, start):
    delays: List[float] = []

    def sleep(stop: threading.Event, seconds: float) -> None:
        delays.append(seconds)
        stop.wait(seconds)

    _services(double, "a")
    # random() == 0 makes full jitter wait its whole ceiling, so the delays are exact.
    informer, changes = start(backoff=Backoff(base=0.01, cap=0.04, jitter=1.0, random=lambda: 0.0), sleep=sleep)
    mark = len(changes)
    double.refuse_connections()
    double.store.put(service("b", "shop"))
    eventually(lambda: len(delays) >= 5)
    assert delays[:5] == [0.01, 0.02, 0.04, 0.04, 0.04]
    assert "cannot reach the API server" in informer.last_error
    assert informer.complete  # the cache is still the server's as of its version

    double.accept_connections()
    eventually(lambda: equals_server(informer, double))
    eventually(lambda: informer.last_error is None)
    assert names(changes[mark:]) == [(ADDED, "b")] and informer.requests.lists == 1


def test_an_informer_started_while_the_server_refuses_syncs_once_it_answers(double, start):
    _services(double, "a")
    double.refuse_connections()
    informer, changes = start(wait=False)
    eventually(lambda: informer.last_error is not None)
    assert not informer.synced.is_set() and not informer.complete
    assert informer.failure.startswith("not listed yet: list failed: cannot reach the API server")

    double.accept_connections()
    assert informer.synced.wait(3.0)
    assert equals_server(informer, double) and names(changes) == [(ADDED, "a")]


def _paused_error_event(double: KubeDouble, change: Callable[[], None]) -> None:
    with double.watches_paused():
        change()
        assert double.expire_watches("services") == 1


def _compacted_on_reconnect(double: KubeDouble, change: Callable[[], None]) -> None:
    double.refuse_connections()
    change()
    double.store.compact()
    double.accept_connections()


def _http_410_on_reconnect(double: KubeDouble, change: Callable[[], None]) -> None:
    with double.watches_paused():
        change()
        double.fail(plural="services", code=410, reason="Expired", message="too old", times=1,
                    when=lambda request: request.is_watch)
        double.refuse_connections()
        double.accept_connections()


@pytest.mark.parametrize("expire", [_paused_error_event, _compacted_on_reconnect, _http_410_on_reconnect],
                         ids=["error-event-mid-watch", "compacted-version-on-reconnect", "http-410-on-reconnect"])
def test_410_relists_and_emits_exactly_the_differences(double, start, expire):
    _services(double, "a", "b", "c", "d")
    informer, changes = start()
    mark = len(changes)

    def change() -> None:
        double.store.put(service("b", "shop", ports=(81,)))
        double.store.delete(SERVICES, "shop", "c")
        double.store.put(service("e", "shop"))

    expire(double, change)

    eventually(lambda: informer.requests.lists == 2 and equals_server(informer, double))
    assert sorted(names(changes[mark:])) == [(ADDED, "e"), (DELETED, "c"), (MODIFIED, "b")]  # none for a, d
    assert informer.complete


def test_a_failed_relist_makes_the_informer_incomplete_until_a_list_succeeds(double, start):
    _services(double, "a")
    informer, changes = start()
    failure = double.fail(plural="services", code=500, message="etcdserver: request timed out",
                          when=lambda request: not request.is_watch)
    double.store.put(service("b", "shop"))
    with double.watches_paused():
        double.expire_watches("services")
        eventually(lambda: not informer.complete)
    assert informer.failure == "list failed: HTTP 500 Internal Server Error: etcdserver: request timed out"
    assert informer.objects()[0]["metadata"]["name"] == "a"  # the stale cache is kept, marked incomplete

    double.failures.remove(failure)
    eventually(lambda: informer.complete and equals_server(informer, double))
    assert names(changes) == [(ADDED, "a"), (ADDED, "b")]


def test_a_failing_consumer_does_not_stop_the_cache(double, start, caplog):
    informer, _ = start(on_change=lambda change: 1 / 0)
    double.store.put(service("a", "shop"))
    eventually(lambda: equals_server(informer, double))
    assert "on_change failed for ADDED shop/a" in caplog.text


# -- kinds that are not served --------------------------------------------------------------

def test_a_crd_that_is_not_installed_is_empty_warns_once_and_is_discovered_later(double, start, caplog):
    caplog.set_level(logging.INFO, logger="lattice_program.watch")
    informer, changes = start(GRPC_ROUTE)
    eventually(lambda: informer.requests.lists >= 4)  # rediscovery goes on, quietly

    assert informer.objects() == [] and not informer.served and informer.complete  # optional: empty is complete
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.name for r in warnings] == ["lattice_program.watch"]
    assert "grpcroutes.gateway.networking.k8s.io is not served by the cluster" in warnings[0].getMessage()

    double.store.serve(GRPC_ROUTES)
    route = http_route("rpc", "shop", kind="GRPCRoute")
    double.store.put(route)
    started = time.monotonic()
    eventually(lambda: equals_server(informer, double, GRPC_ROUTES) and len(informer) == 1)
    assert time.monotonic() - started < 1.0  # within a few rediscovery periods of 0.05 s
    assert informer.served and names(changes) == [(ADDED, "rpc")]

    double.store.withdraw(GATEWAY_GROUP)  # the CRD is removed: its watch ends, the relist says 404
    eventually(lambda: not informer.served)
    assert informer.objects() == [] and names(changes) == [(ADDED, "rpc"), (DELETED, "rpc")]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_a_required_kind_that_is_not_served_leaves_the_cache_incomplete(double, api):
    double.store.withdraw(GATEWAY_GROUP)
    cache = ClusterCache(api, "east", (GATEWAY_CLASS, SERVICE), **FAST)
    try:
        assert cache.wait_synced(3.0) and not cache.complete
        (failure,) = cache.failures()
        assert failure.startswith("GatewayClass: gatewayclasses.gateway.networking.k8s.io is not served by the cluster")

        double.store.serve(ResourceType(GATEWAY_GROUP, "v1", "gatewayclasses", "GatewayClass", namespaced=False))
        eventually(lambda: cache.complete)
        assert cache.failures() == ()
    finally:
        cache.stop()


def test_a_connection_pool_smaller_than_the_informers_is_named(double, caplog):
    client = double.api_client(pool_size=4)
    try:
        ClusterCache(client, "east", start=False)
    finally:
        client.close()
    assert f"pools 4 connections for {len(KINDS)} informers" in caplog.text
    assert f"connection_pool_maxsize to {len(KINDS)} or more" in caplog.text


# -- stopping -------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["watching", "backing-off"])
def test_stop_ends_every_thread_promptly(double, api, state):
    _services(double, "a")
    # Production timeouts: stop must not wait on any of them.
    cache = ClusterCache(api, "east", backoff=Backoff(base=30.0, cap=60.0, jitter=1.0))
    assert cache.wait_synced(3.0)
    served = sum(1 for informer in cache.informers.values() if informer.served)
    eventually(lambda: double.open_watches() == served)
    if state == "backing-off":
        double.refuse_connections()
        eventually(lambda: all(i.last_error for i in cache.informers.values() if i.served))

    started = time.monotonic()
    assert cache.stop(timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert not any(t.name.startswith("informer/east/") for t in threading.enumerate())


# -- what a watch may send ------------------------------------------------------------------

BEYOND_64_BITS = 2 ** 70


def json_line(event: Dict[str, Any]) -> bytes:
    """As the API server writes it."""
    return json.dumps(event).encode() + b"\n"


def test_a_listed_object_holding_an_integer_beyond_64_bits_is_cached(double, start):
    """orjson cannot encode it; the cache encodes that object with json instead of failing the list."""
    big = service("big", "shop")
    big["spec"]["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": BEYOND_64_BITS}}
    double.store.put_all([big, service("small", "shop")])
    informer, changes = start()
    assert informer.complete and names(changes) == [(ADDED, "big"), (ADDED, "small")]
    cached = {o["metadata"]["name"]: o for o in informer.objects()}
    # orjson reads it back as a float (2**70 is one exactly; see the informer's decoding).
    assert cached["big"]["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == BEYOND_64_BITS
    assert changes[0].object["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == BEYOND_64_BITS


def test_a_listed_object_with_such_an_integer_and_a_nan_beside_it_is_cached_too(double, start):
    """json writes that object, NaN included, which orjson cannot read back: json reads it."""
    odd = service("odd", "shop")
    odd["spec"]["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": BEYOND_64_BITS}}
    odd["spec"]["weight"] = float("nan")
    double.store.put_all([odd])
    informer, changes = start()
    assert informer.complete and names(changes) == [(ADDED, "odd")]
    [cached] = informer.objects()
    assert cached["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == BEYOND_64_BITS
    assert math.isnan(cached["spec"]["weight"])


def test_a_watch_event_without_kind_gets_the_kind_a_list_would_give():
    changes: List[Change] = []
    informer = Informer(None, SERVICE, cluster="east", on_change=changes.append)
    bare = {key: value for key, value in service("b", "shop").items() if key not in ("kind", "apiVersion")}
    bare["metadata"]["resourceVersion"] = "6"
    informer.feed([json_line({"type": ADDED, "object": bare})])
    [cached] = informer.objects()
    assert (cached["apiVersion"], cached["kind"]) == ("v1", "Service")
    assert cached["metadata"]["name"] == "b" and informer.resource_version == "6"
    assert [(c.type, c.name, c.object.get("kind")) for c in changes] == [(ADDED, "b", "Service")]


@pytest.mark.parametrize("line, problem", [
    (b'[{"type": "ADDED"}]', "the watch sent something that is not an event: b'[{\"type\": \"ADDED\"}]'"),
    (b'{"type": "ADDED", "object": "cart"}', "the watch sent something that is not an event"),
    (b'{"type": "ADDED", "object": {"kind": ', "the watch sent a line that is not JSON: b'{\"type\": \"ADDED\""),
], ids=["not-an-object", "object-not-a-mapping", "not-json"])
def test_a_line_that_is_not_an_event_is_an_error_and_leaves_the_cache_alone(line, problem):
    informer = Informer(None, SERVICE, cluster="east")
    good = service("a", "shop")
    good["metadata"]["resourceVersion"] = "3"
    with pytest.raises(InformerError) as raised:
        informer.feed([json_line({"type": ADDED, "object": good}), line + b"\n"])
    assert str(raised.value).startswith(problem)
    assert [o["metadata"]["name"] for o in informer.objects()] == ["a"]  # what came before stands
    assert informer.resource_version == "3"


def test_a_refused_watch_backs_off_keeps_the_cache_complete_and_resumes_without_a_list(double, start):
    _services(double, "a")
    forbidden = double.fail(plural="services", code=403, reason="Forbidden", message="watch not allowed",
                            when=lambda request: request.is_watch)
    informer, changes = start(wait=False)
    assert informer.synced.wait(3.0)
    eventually(lambda: informer.last_error == "watch refused: HTTP 403 Forbidden")
    assert informer.complete and informer.failure is None  # the list is good: the cache may be used
    double.failures.remove(forbidden)
    double.store.put(service("b", "shop"))
    eventually(lambda: equals_server(informer, double) and informer.last_error is None)
    assert names(changes) == [(ADDED, "a"), (ADDED, "b")] and informer.requests.lists == 1


class SurprisedInformer(Informer):
    """Meets, once, an answer its code did not foresee while reading a watch."""

    surprised = False

    def feed(self, chunks):
        if not self.surprised:
            self.surprised = True
            raise KeyError("an answer nobody foresaw")
        return super().feed(chunks)


def test_an_unforeseen_failure_is_logged_and_the_informer_starts_over_from_a_list(double, api, caplog):
    _services(double, "a")
    informer = SurprisedInformer(api, SERVICE, cluster="east", **FAST)
    with running(informer):
        eventually(lambda: informer.requests.lists == 2 and informer.complete)
        double.store.put(service("b", "shop"))
        eventually(lambda: equals_server(informer, double) and informer.last_error is None)
    assert "east/Service: unexpected failure; listing again" in caplog.text
    assert "KeyError('an answer nobody foresaw')" in caplog.text  # the retry warning names it


def test_a_cache_used_as_a_context_starts_once_and_stops_its_threads_on_exit(double, api):
    _services(double, "a")
    cache = ClusterCache(api, "east", (SERVICE,), start=False, **FAST)
    assert not any(t.name == "informer/east/Service" for t in threading.enumerate())  # waits for start()
    with cache as entered:
        assert entered is cache and cache.wait_synced(3.0)
        assert [o.body["metadata"]["name"] for o in cache.objects()] == ["a"]
        with pytest.raises(RuntimeError, match="the cache of cluster 'east' is already started"):
            cache.start()
    assert not any(t.name == "informer/east/Service" for t in threading.enumerate())


def test_waiting_for_a_sync_that_cannot_happen_gives_up_at_the_timeout(double, api):
    double.refuse_connections()
    cache = ClusterCache(api, "east", (SERVICE,), **FAST)
    try:
        started = time.monotonic()
        assert cache.wait_synced(0.2) is False
        assert 0.2 <= time.monotonic() - started < 1.0
        assert not cache.synced and not cache.complete
        (failure,) = cache.failures()
        assert failure.startswith("Service: not listed yet")
    finally:
        cache.stop()
