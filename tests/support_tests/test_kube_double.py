"""The API server double behaves as the parts of the API server that list+watch code relies on."""

from __future__ import annotations

import json

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from tests.support.kube_double import SERVICES, ApiError, KubeDouble, KubeStore


def _service(name, namespace="shop", labels=None):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}}, "spec": {"ports": [{"port": 80}]}}


def _names(page):
    return [item["metadata"]["name"] for item in page.items]


def test_writes_advance_one_cluster_wide_resource_version():
    store = KubeStore()
    first = store.put(_service("a"))
    second = store.put({**_service("a"), "spec": {"ports": [{"port": 81}]}})

    assert int(second["metadata"]["resourceVersion"]) == int(first["metadata"]["resourceVersion"]) + 1
    assert second["metadata"]["uid"] == first["metadata"]["uid"]
    assert (first["metadata"]["generation"], second["metadata"]["generation"]) == (1, 2)
    assert store.resource_version == second["metadata"]["resourceVersion"]


def test_label_and_field_selectors():
    store = KubeStore()
    store.put(_service("a", labels={"app": "shop", "tier": "web"}))
    store.put(_service("b", labels={"app": "shop"}))
    store.put(_service("c", namespace="other", labels={"app": "bank"}))

    assert _names(store.list(SERVICES, label_selector="app=shop,tier")) == ["a"]
    assert _names(store.list(SERVICES, label_selector="app in (shop, bank),!tier")) == ["c", "b"]
    assert _names(store.list(SERVICES, label_selector="app notin (shop)")) == ["c"]
    assert _names(store.list(SERVICES, label_selector="app!=shop")) == ["c"]
    assert _names(store.list(SERVICES, field_selector="metadata.namespace=shop,metadata.name!=a")) == ["b"]
    with pytest.raises(ApiError, match="not a known field selector"):
        store.list(SERVICES, field_selector="spec.type=ClusterIP")


def test_continue_tokens_serve_the_snapshot_of_the_first_page_until_compacted():
    store = KubeStore()
    for name in "abc":
        store.put(_service(name))
    first = store.list(SERVICES, limit=2)
    store.delete(SERVICES, "shop", "c")
    store.put(_service("d"))

    rest = store.list(SERVICES, limit=2, continue_token=first.continue_token)

    assert (_names(first), first.remaining_item_count) == (["a", "b"], 1)
    assert (_names(rest), rest.continue_token, rest.resource_version) == (["c"], "", first.resource_version)
    store.compact()
    with pytest.raises(ApiError) as expired:
        store.list(SERVICES, limit=2, continue_token=first.continue_token)
    assert expired.value.code == 410


def test_events_since_a_version_and_gone_after_compaction():
    store = KubeStore()
    start = int(store.resource_version)
    store.put(_service("a"))
    store.put({**_service("a"), "spec": {}})
    store.delete(SERVICES, "shop", "a")

    assert [e.type for e in store.events_since(SERVICES, start)] == ["ADDED", "MODIFIED", "DELETED"]
    store.compact()
    with pytest.raises(ApiError, match="too old resource version"):
        store.events_since(SERVICES, start)


def test_the_official_client_sees_lists_objects_and_missing_resources():
    with KubeDouble() as double:
        double.store.put(_service("a"))
        client = double.api_client()
        try:
            core = kubernetes.client.CoreV1Api(client)
            listed = json.loads(core.list_namespaced_service("shop", _preload_content=False).data)
            fetched = core.read_namespaced_service("a", "shop")
            with pytest.raises(ApiException) as missing:
                kubernetes.client.CustomObjectsApi(client).list_cluster_custom_object("example.com", "v1", "widgets")
        finally:
            client.close()

    assert listed["kind"] == "ServiceList" and "kind" not in listed["items"][0]
    assert listed["metadata"]["resourceVersion"] == double.store.resource_version
    assert fetched.metadata.name == "a" and fetched.spec.ports[0].port == 80
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["reason"] == "NotFound"
    assert [r.path for r in double.requests] == ["/api/v1/namespaces/shop/services", "/api/v1/namespaces/shop/services/a",
                                                 "/apis/example.com/v1/widgets"]
