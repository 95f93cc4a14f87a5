"""The cluster source against an HTTP API server double, through the official client."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List

import kubernetes.client
import pytest
import yaml

from tests.support.kube_double import (
    GATEWAY_API_TYPES,
    GATEWAY_GROUP,
    REFERENCE_GRANTS_V1,
    REFERENCE_GRANTS_V1BETA1,
    KubeDouble,
    RecordedRequest,
)
from lattice_program.sources.cluster import (
    GATEWAY_API_INSTALL_HINT,
    KINDS,
    SERVICE,
    ClusterUnavailable,
    list_kind,
    read_cluster,
)
from lattice_program.contract.pipeline import plan
from lattice_program.vocabulary.settings import StackSettings

CONTROLLER = "application-networking.k8s.aws/gateway-api-controller"


def _objects() -> List[Dict[str, Any]]:
    """One route to one Service with one ready endpoint, behind one Gateway of our class."""
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "GatewayClass", "metadata": {"name": "amazon-vpc-lattice"},
         "spec": {"controllerName": CONTROLLER}},
        {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "Gateway", "metadata": {"name": "storefront", "namespace": "shop"},
         "spec": {"gatewayClassName": "amazon-vpc-lattice",
                  "listeners": [{"name": "web", "protocol": "HTTP", "port": 80}]}},
        {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "HTTPRoute", "metadata": {"name": "checkout", "namespace": "shop"},
         "spec": {"parentRefs": [{"name": "storefront", "sectionName": "web"}],
                  "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/checkout"}}],
                             "backendRefs": [{"name": "checkout", "port": 80}]}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "checkout", "namespace": "shop"},
         "spec": {"selector": {"app": "checkout"}, "ipFamilies": ["IPv4"],
                  "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "checkout-abcde", "namespace": "shop", "labels": {"kubernetes.io/service-name": "checkout"}},
         "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
         "endpoints": [{"addresses": ["10.42.1.17"], "conditions": {"ready": True}}]},
        {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "ReferenceGrant", "metadata": {"name": "from-web", "namespace": "shop"},
         "spec": {"from": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "namespace": "web"}],
                  "to": [{"group": "", "kind": "Service"}]}},
    ]


def _service(name: str, namespace: str = "shop") -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"port": 80}]}}


@pytest.fixture
def double() -> Iterator[KubeDouble]:
    with KubeDouble() as server:
        server.store.put_all(_objects())
        yield server


@pytest.fixture
def api(double: KubeDouble) -> Iterator[kubernetes.client.ApiClient]:
    client = double.api_client()
    yield client
    client.close()


def _kinds(read) -> List[str]:
    return [raw.body["kind"] for raw in read.objects]


def test_every_kind_is_listed_and_normalized(double, api):
    read = read_cluster(api_client=api, cluster_name="east")

    assert read.complete and read.failures == ()
    assert sorted(_kinds(read)) == sorted(o["kind"] for o in _objects())
    stored_version = double.store.resource_version
    # Kinds whose CRDs the double does not serve (GRPCRoute, TLSRoute, the AWS CRDs) are
    # read as empty, with no list resourceVersion.
    served = {o["kind"] for o in _objects()}
    assert read.resource_versions == {kind.kind: stored_version for kind in KINDS if kind.kind in served}
    by_kind = {raw.body["kind"]: raw for raw in read.objects}
    for original in _objects():
        raw = by_kind[original["kind"]]
        assert raw.body["apiVersion"] == original["apiVersion"]
        assert raw.body["metadata"]["resourceVersion"]  # the object as the server keeps it
        namespace = original["metadata"].get("namespace")
        place = f"{namespace}/{original['metadata']['name']}" if namespace else original["metadata"]["name"]
        assert raw.origin == f"cluster:east/{original['kind']}/{place}"
    # camelCase keys exactly as served, not the client's snake_case models
    assert by_kind["EndpointSlice"].body["addressType"] == "IPv4"
    assert by_kind["Service"].body["spec"]["ipFamilies"] == ["IPv4"]


def test_every_request_is_a_paged_cluster_wide_list(double, api):
    read_cluster(api_client=api)

    paths = {r.path for r in double.requests}
    aws = "application-networking.k8s.aws/v1alpha1"
    assert paths == {
        f"/apis/{GATEWAY_GROUP}/v1/gatewayclasses", f"/apis/{GATEWAY_GROUP}/v1/gateways",
        f"/apis/{GATEWAY_GROUP}/v1/httproutes", f"/apis/{GATEWAY_GROUP}/v1/referencegrants",
        f"/apis/{GATEWAY_GROUP}/v1/grpcroutes", f"/apis/{GATEWAY_GROUP}/v1/tlsroutes",
        f"/apis/{GATEWAY_GROUP}/v1alpha3/tlsroutes", f"/apis/{GATEWAY_GROUP}/v1alpha2/tlsroutes",
        f"/apis/{GATEWAY_GROUP}/v1alpha2/tcproutes", f"/apis/{GATEWAY_GROUP}/v1alpha2/udproutes",
        f"/apis/{GATEWAY_GROUP}/v1/backendtlspolicies", f"/apis/{GATEWAY_GROUP}/v1alpha3/backendtlspolicies",
        "/apis/lattice-gateway.io/v1alpha1/latticebackends",
        "/api/v1/services", "/api/v1/namespaces", "/apis/discovery.k8s.io/v1/endpointslices",
        *(f"/apis/{aws}/{plural}" for plural in ("targetgrouppolicies", "vpcassociationpolicies", "iamauthpolicies",
                                                 "accesslogpolicies", "serviceexports", "serviceimports")),
    }
    assert {r.query.get("limit") for r in double.requests} == {"500"}


def test_pages_are_followed_and_form_one_snapshot(double, api):
    for index in range(6):
        double.store.put(_service(f"extra-{index}"))
    added_between_pages: List[str] = []

    def write_during_the_list(request: RecordedRequest) -> None:
        if request.path == "/api/v1/services" and request.is_continuation and not added_between_pages:
            added_between_pages.append(double.store.put(_service("late"))["metadata"]["name"])

    double.before_request.append(write_during_the_list)
    listed = list_kind(api, SERVICE, page_size=2)

    names = [item["metadata"]["name"] for item in listed.items]
    assert names == ["checkout"] + [f"extra-{i}" for i in range(6)]  # 7 objects, none twice, "late" not in
    assert added_between_pages == ["late"]
    service_requests = double.requests_for("services")
    assert len(service_requests) == 4
    assert [r.query["limit"] for r in service_requests] == ["2"] * 4
    assert [r.is_continuation for r in service_requests] == [False, True, True, True]
    assert int(listed.resource_version) < int(double.store.resource_version)
    assert all(item["apiVersion"] == "v1" and item["kind"] == "Service" for item in listed.items)


def test_an_expired_continue_token_restarts_the_list_once(double, api):
    for index in range(4):
        double.store.put(_service(f"extra-{index}"))
    compactions: List[str] = []

    def compact_during_the_first_list(request: RecordedRequest) -> None:
        if request.path == "/api/v1/services" and request.is_continuation and not compactions:
            double.store.put(_service("late"))
            double.store.compact()
            compactions.append(request.query["continue"])

    double.before_request.append(compact_during_the_first_list)
    read = read_cluster(api_client=api, page_size=2)

    assert read.complete, read.failures
    services = sorted(raw.body["metadata"]["name"] for raw in read.objects if raw.body["kind"] == "Service")
    assert services == ["checkout", "extra-0", "extra-1", "extra-2", "extra-3", "late"]
    starts = [r for r in double.requests_for("services") if not r.is_continuation]
    assert len(starts) == 2 and len(compactions) == 1


def test_a_list_that_keeps_expiring_fails_the_kind(double, api):
    double.store.put(_service("second"))
    double.fail(plural="services", code=410, reason="Expired", message="continue parameter is too old",
                when=lambda request: request.is_continuation)

    read = read_cluster(api_client=api, page_size=1)

    assert not read.complete
    assert read.failures == ("Service: HTTP 410 Gone: the list expired twice while paging "
                             "(continue parameter is too old); retry, or raise the page size",)
    assert "Service" not in _kinds(read)


def test_a_failing_kind_is_named_and_the_others_still_read(double, api):
    double.fail(plural="endpointslices", code=500, message="etcdserver: request timed out")

    read = read_cluster(api_client=api)

    assert not read.complete
    assert read.failures == ("EndpointSlice: HTTP 500 Internal Server Error: etcdserver: request timed out",)
    assert "EndpointSlice" not in _kinds(read) and "EndpointSlice" not in read.resource_versions
    assert {"GatewayClass", "Gateway", "HTTPRoute", "Service", "Namespace", "ReferenceGrant"} <= set(_kinds(read))


def test_a_failure_after_the_first_page_returns_nothing_of_that_kind(double, api):
    double.store.put(_service("second"))
    double.fail(plural="services", code=503, reason="ServiceUnavailable", message="try later",
                when=lambda request: request.is_continuation)

    read = read_cluster(api_client=api, page_size=1)

    assert not read.complete
    assert read.failures[0].startswith("Service: HTTP 503")
    assert "Service" not in _kinds(read)  # a half-read kind would look like deletions


def test_forbidden_names_the_permission_to_grant(double, api):
    double.fail(plural="httproutes", code=403, reason="Forbidden",
                message='httproutes.gateway.networking.k8s.io is forbidden: User "ci" cannot list resource')

    read = read_cluster(api_client=api)

    assert not read.complete
    (failure,) = read.failures
    assert failure.startswith("HTTPRoute: HTTP 403 Forbidden: the identity may not list httproutes.gateway.networking.k8s.io")
    assert "grant list and watch on httproutes.gateway.networking.k8s.io with a ClusterRole" in failure


def test_reference_grants_served_only_as_v1beta1_are_read(double, api):
    double.store.withdraw(GATEWAY_GROUP, "v1")
    double.store.serve(REFERENCE_GRANTS_V1BETA1)
    for kind in ("GatewayClass", "Gateway", "HTTPRoute"):  # keep the core kinds served at v1
        double.store.serve(next(t for t in GATEWAY_API_TYPES if t.kind == kind))
    grant = next(o for o in _objects() if o["kind"] == "ReferenceGrant")
    double.store.put({**grant, "apiVersion": f"{GATEWAY_GROUP}/v1beta1"})

    read = read_cluster(api_client=api)

    assert read.complete, read.failures
    grants = [raw.body for raw in read.objects if raw.body["kind"] == "ReferenceGrant"]
    assert [g["apiVersion"] for g in grants] == [f"{GATEWAY_GROUP}/v1beta1"]
    tried = [r.path for r in double.requests_for("referencegrants")]
    assert tried == [f"/apis/{GATEWAY_GROUP}/v1/referencegrants", f"/apis/{GATEWAY_GROUP}/v1beta1/referencegrants"]


def test_a_missing_reference_grant_crd_is_an_empty_list(double, api):
    double.store.withdraw(GATEWAY_GROUP)
    for resource_type in GATEWAY_API_TYPES:
        if resource_type is not REFERENCE_GRANTS_V1:
            double.store.serve(resource_type)

    read = read_cluster(api_client=api)

    assert read.complete and read.failures == ()
    assert "ReferenceGrant" not in _kinds(read)
    assert "ReferenceGrant" not in read.resource_versions
    assert {"GatewayClass", "Gateway", "HTTPRoute"} <= set(_kinds(read))


def test_missing_gateway_api_crds_fail_the_read_with_the_install_hint(double, api):
    double.store.withdraw(GATEWAY_GROUP)

    read = read_cluster(api_client=api)

    assert not read.complete
    assert [f.split(":")[0] for f in read.failures] == ["GatewayClass", "Gateway", "HTTPRoute"]
    assert read.failures[0] == (f"GatewayClass: gatewayclasses.{GATEWAY_GROUP} is not served by the cluster "
                                f"(tried {GATEWAY_GROUP}/v1); {GATEWAY_API_INSTALL_HINT}")
    assert sorted(set(_kinds(read))) == ["EndpointSlice", "Namespace", "Service"]


def test_an_unreachable_server_fails_every_kind_without_waiting_on_each():
    with KubeDouble() as stopped:
        client = stopped.api_client()
        url = stopped.url
    try:
        read = read_cluster(api_client=client, request_timeout=(1.0, 1.0))
    finally:
        client.close()

    assert not read.complete and read.objects == ()
    assert read.failures[0].startswith(f"GatewayClass: cannot reach the API server at {url}")
    assert read.failures[1:] == tuple(f"{kind.kind}: not read, the API server did not answer" for kind in KINDS[1:])


def test_a_slow_kind_hits_the_read_timeout_and_the_others_still_read(double, api):
    def stall_gateway_classes(request: RecordedRequest) -> None:
        if request.path.endswith("/gatewayclasses"):
            time.sleep(1.0)

    double.before_request.append(stall_gateway_classes)
    started = time.monotonic()
    read = read_cluster(api_client=api, request_timeout=(1.0, 0.3))

    assert time.monotonic() - started < 0.9
    assert not read.complete
    (failure,) = read.failures
    assert failure.startswith("GatewayClass: the API server stopped answering: ")
    assert "Read timed out. (read timeout=0.3)" in failure
    assert "GatewayClass" not in _kinds(read) and "Gateway" in _kinds(read)


# -- kubeconfig ---------------------------------------------------------------------------------

def _kubeconfig(tmp_path, server: str) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dev",
        "clusters": [{"name": "double", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": "not-checked"}}],
        "contexts": [{"name": "dev", "context": {"cluster": "double", "user": "tester"}},
                     {"name": "prod", "context": {"cluster": "double", "user": "tester"}}],
    }))
    return str(path)


def test_a_context_from_the_kubeconfig_is_used(double, tmp_path):
    read = read_cluster(kubeconfig=_kubeconfig(tmp_path, double.url), context="prod", cluster_name="prod")

    assert read.complete
    assert read.objects[0].origin.startswith("cluster:prod/")


def test_an_unknown_context_is_cluster_unavailable(double, tmp_path):
    kubeconfig = _kubeconfig(tmp_path, double.url)

    with pytest.raises(ClusterUnavailable) as raised:
        read_cluster(kubeconfig=kubeconfig, context="staging")

    assert str(raised.value) == (f"cannot use context 'staging': it is not in {kubeconfig} (it has: dev, prod); "
                                 "pass one of those with --context (kubectl config get-contexts lists them)")
    assert double.requests == []


def test_a_missing_kubeconfig_is_cluster_unavailable(tmp_path):
    missing = str(tmp_path / "absent")

    with pytest.raises(ClusterUnavailable, match=f"cannot use context 'dev': no kubeconfig at {missing}; set KUBECONFIG"):
        read_cluster(kubeconfig=missing, context="dev")


def test_kubeconfig_from_the_environment_is_read(double, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", _kubeconfig(tmp_path, double.url))

    assert read_cluster().complete


# -- end to end ---------------------------------------------------------------------------------

def test_objects_read_from_the_cluster_plan_into_one_route(api):
    read = read_cluster(api_client=api)

    result = plan(read.objects, StackSettings())

    assert result.errors == ()
    (gateway_class,) = result.model.gateway_classes
    (route,) = gateway_class.routes
    assert route.key == "HTTPRoute/shop/checkout"
    (gateway,) = gateway_class.gateways
    assert gateway.key == "Gateway/shop/storefront"
    targets = [t for group in result.model.targets.values() for t in group]
    assert [(t.id, t.port) for t in targets] == [("10.42.1.17", 8080)]
