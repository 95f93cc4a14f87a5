"""The API server double's watch endpoint and its faults, read through the official client
and its own line reader (not the informer's), so the double is checked on its own."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterator, List

import kubernetes.client
import pytest
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from tests.support.kube_double import SERVICES, KubeDouble, ResourceType

WIDGETS = ResourceType("example.com", "v1", "widgets", "Widget", namespaced=True)


def _service(name: str, port: int = 80) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"ports": [{"port": port}]}}


@pytest.fixture
def double() -> Iterator[KubeDouble]:
    with KubeDouble() as server:
        yield server


@pytest.fixture
def core(double):
    client = double.api_client()
    yield kubernetes.client.CoreV1Api(client)
    client.close()


def _watch(core, **params: Any) -> urllib3.HTTPResponse:
    return core.list_service_for_all_namespaces(watch=True, _preload_content=False, **params)


def _read(response: urllib3.HTTPResponse, count: int = 0) -> List[Dict[str, Any]]:
    """The events until the stream ends, or only the first ``count``."""
    events = []
    try:
        for line in iter_resp_lines(response):
            events.append(json.loads(line))
            if len(events) == count:
                break
    finally:
        response.close()
    return events


def test_a_watch_streams_the_events_after_a_version_as_json_lines(double, core):
    double.store.put(_service("a"))
    start = double.store.resource_version
    double.store.put(_service("b"))
    double.store.put(_service("a", port=81))
    double.store.delete(SERVICES, "shop", "b")

    events = _read(_watch(core, resource_version=start), count=3)

    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    assert all(e["object"]["apiVersion"] == "v1" and e["object"]["kind"] == "Service" for e in events)
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and versions[-1] == int(double.store.resource_version)
    (request,) = double.requests
    assert request.is_watch and request.query["resourceVersion"] == start


def test_a_watch_without_a_version_starts_with_the_current_objects(double, core):
    double.store.put(_service("a"))
    response = _watch(core)
    double.store.put(_service("b"))

    events = _read(response, count=2)

    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a"), ("ADDED", "b")]


def test_bookmarks_come_periodically_and_the_timeout_ends_the_stream_cleanly(double, core):
    double.bookmark_interval = 0.1
    double.store.put(_service("a"))
    started = time.monotonic()
    version = double.store.resource_version
    with_bookmarks = _watch(core, resource_version=version, allow_watch_bookmarks=True, timeout_seconds=1)
    without = _watch(core, resource_version=version, timeout_seconds=1)

    events = _read(with_bookmarks)

    assert 1.0 <= time.monotonic() - started < 1.5
    assert {e["type"] for e in events} == {"BOOKMARK"} and len(events) >= 5
    assert events[-1]["object"] == {"apiVersion": "v1", "kind": "Service", "metadata": {"resourceVersion": version}}
    assert _read(without) == []


def test_a_compacted_version_answers_an_error_event_with_410(double, core):
    start = double.store.resource_version
    double.store.put(_service("a"))
    double.store.compact()

    (event,) = _read(_watch(core, resource_version=start))

    assert event["type"] == "ERROR"
    assert (event["object"]["kind"], event["object"]["code"], event["object"]["reason"]) == ("Status", 410, "Expired")


def test_a_watcher_that_falls_behind_a_compaction_gets_410_instead_of_the_held_events(double, core):
    response = _watch(core, resource_version=double.store.resource_version)
    with double.watches_paused():
        double.store.put(_service("a"))
        double.store.compact()

    assert [(e["type"], e["object"].get("code")) for e in _read(response)] == [("ERROR", 410)]


def test_expire_watches_ends_open_watches_with_410_now(double, core):
    double.store.put(_service("a"))
    response = _watch(core, resource_version=double.store.resource_version)
    while double.open_watches("services") == 0:
        time.sleep(0.005)
    double.pause_watches()
    double.store.put(_service("b"))

    assert double.expire_watches("services") == 1
    assert [(e["type"], e["object"].get("code")) for e in _read(response)] == [("ERROR", 410)]
    double.resume_watches()
    deadline = time.monotonic() + 2.0
    while double.open_watches() and time.monotonic() < deadline:
        time.sleep(0.005)  # the server thread deregisters the watch after its last write
    assert double.open_watches() == 0


def test_a_watch_can_be_cut_after_n_events(double, core):
    start = double.store.resource_version
    for name in "abc":
        double.store.put(_service(name))
    double.drop_watches(after_events=2, plural="services")

    response = _watch(core, resource_version=start)
    received = []
    with pytest.raises(urllib3.exceptions.ProtocolError):
        for line in iter_resp_lines(response):
            received.append(json.loads(line)["object"]["metadata"]["name"])
    response.close()

    assert received == ["a", "b"]
    assert len(_read(_watch(core, resource_version=start), count=3)) == 3  # only the next watch was cut


def test_refused_connections_until_accepted_again_on_the_same_address(double, core):
    url = double.url
    response = _watch(core, resource_version=double.store.resource_version)
    double.refuse_connections()

    with pytest.raises(urllib3.exceptions.ProtocolError):
        _read(response)  # the open watch was cut
    with pytest.raises(urllib3.exceptions.MaxRetryError) as refused:
        core.list_service_for_all_namespaces()
    assert isinstance(refused.value.reason, urllib3.exceptions.NewConnectionError)

    double.accept_connections()
    assert double.url == url and core.list_service_for_all_namespaces().items == []
    double.refuse_connections(seconds=0.1)
    time.sleep(0.3)
    assert core.list_service_for_all_namespaces().items == []


def test_a_withdrawn_kind_ends_its_watches_and_then_answers_404(double):
    double.store.serve(WIDGETS)
    client = double.api_client()
    custom = kubernetes.client.CustomObjectsApi(client)
    try:
        response = custom.list_cluster_custom_object("example.com", "v1", "widgets", watch=True,
                                                     _preload_content=False)
        double.store.withdraw("example.com")
        assert _read(response) == []
        with pytest.raises(ApiException) as missing:
            custom.list_cluster_custom_object("example.com", "v1", "widgets", watch=True, _preload_content=False)
    finally:
        client.close()
    assert missing.value.status == 404


def test_injected_failures_answer_watch_requests_too(double, core):
    double.fail(plural="services", code=410, reason="Expired", message="too old", times=1,
                when=lambda request: request.is_watch)

    with pytest.raises(ApiException) as expired:
        _watch(core, resource_version="1")
    assert expired.value.status == 410
    assert core.list_service_for_all_namespaces().items == []  # lists were not affected


def test_watches_filter_by_namespace_and_selectors(double, core):
    start = double.store.resource_version
    double.store.put(_service("a"))
    double.store.put({**_service("b"), "metadata": {"name": "b", "namespace": "shop", "labels": {"app": "b"}}})
    double.store.put({**_service("c"), "metadata": {"name": "c", "namespace": "other", "labels": {"app": "b"}}})

    response = core.list_namespaced_service("shop", watch=True, resource_version=start, label_selector="app=b",
                                            _preload_content=False)

    assert [e["object"]["metadata"]["name"] for e in _read(response, count=1)] == ["b"]
