"""backends.py: ReferenceGrants among several, and which EndpointSlice ports back a
Service port."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from components.specs import Target

from tests.support.plans import CONTROLLER, condition_of, forwarded, plan_yaml, rules_of, the_route
from tests.support.world import gateway, gateway_class, http_route, world

OPEN_LISTENER = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}
ROUTE_KEY = "HTTPRoute/infra/books"
LEDGER_GROUP = f"{ROUTE_KEY}/backend/billing/ledger:80"


def grant(name: str, *, from_namespace: str = "infra", from_kind: str = "HTTPRoute",
          to_name: Optional[str] = "ledger") -> Dict[str, Any]:
    to: Dict[str, Any] = {"group": "", "kind": "Service"}
    if to_name is not None:
        to["name"] = to_name
    return {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": name, "namespace": "billing"},
            "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": from_kind, "namespace": from_namespace}],
                     "to": [to]}}


def ledger_service(ports: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ledger", "namespace": "billing"},
            "spec": {"ports": ports}}


def ledger_slice(name: str, ports: List[Dict[str, Any]], addresses=("10.0.0.1",), *, address_type: str = "IPv4",
                 terminating: bool = False) -> Dict[str, Any]:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": "billing", "labels": {"kubernetes.io/service-name": "ledger"}},
            "addressType": address_type, "ports": ports,
            "endpoints": [{"addresses": [address], "conditions": {"ready": True, "terminating": terminating}}
                          for address in addresses]}


def plan_books(*objects, port: int = 80):
    route = http_route("books", "infra", parents=["edge"],
                       backends=[{"name": "ledger", "namespace": "billing", "port": port}])
    return plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", "infra", listeners=[OPEN_LISTENER]),
                           route, *objects))


# --- ReferenceGrants ----------------------------------------------------------------------


@pytest.mark.parametrize("first", [
    grant("a-other-namespace", from_namespace="elsewhere"),
    grant("a-other-kind", from_kind="GRPCRoute"),
    grant("a-other-service", to_name="journal"),
], ids=["from-another-namespace", "for-another-kind", "to-another-service"])
def test_a_grant_that_does_not_cover_the_reference_does_not_hide_a_later_one_that_does(first):
    service = ledger_service([{"port": 80}])
    result = plan_books(service, first, grant("b-covers"))
    assert condition_of(result, "books", "ResolvedRefs", "infra").status == "True"
    assert [g.key for g in the_route(result, ROUTE_KEY).target_groups] == [LEDGER_GROUP]
    # Without the covering grant, the first alone refuses the reference.
    alone = plan_books(service, first)
    assert condition_of(alone, "books", "ResolvedRefs", "infra").reason == "RefNotPermitted"


def test_a_grant_naming_no_service_covers_every_service_of_its_namespace():
    result = plan_books(ledger_service([{"port": 80}]), grant("any-service", to_name=None))
    assert condition_of(result, "books", "ResolvedRefs", "infra").status == "True"


# --- EndpointSlice ports --------------------------------------------------------------------


def targets_of(result) -> tuple:
    return result.model.targets[LEDGER_GROUP]


def plan_granted(*objects):
    return plan_books(grant("covers"), *objects)


def test_an_unnamed_service_port_takes_the_unnamed_slice_port_only():
    result = plan_granted(ledger_service([{"port": 80}]),
                        ledger_slice("mixed", [{"port": 8080}, {"name": "metrics", "port": 9090}]))
    assert targets_of(result) == (Target("10.0.0.1", 8080),)


def test_a_named_service_port_takes_the_slice_port_of_its_name_only():
    service = ledger_service([{"name": "web", "port": 80}, {"name": "metrics", "port": 81}])
    slices = [ledger_slice("mixed", [{"port": 7070}, {"name": "web", "port": 8080}, {"name": "metrics", "port": 9090}],
                           ("10.0.0.1",)),
              ledger_slice("unnamed", [{"port": 7071}], ("10.0.0.2",))]
    assert targets_of(plan_granted(service, *slices)) == (Target("10.0.0.1", 8080),)


def test_an_unnamed_service_port_with_only_named_slice_ports_takes_them():
    result = plan_granted(ledger_service([{"port": 80}]), ledger_slice("named", [{"name": "web", "port": 8080}]))
    assert targets_of(result) == (Target("10.0.0.1", 8080),)


def test_targets_across_slices_leave_out_terminating_endpoints_and_other_address_families():
    slices = [ledger_slice("one", [{"port": 8080}], ("10.0.0.2", "10.0.0.1")),
              ledger_slice("two", [{"port": 8080}], ("10.0.0.3",), terminating=True),
              ledger_slice("six", [{"port": 8080}], ("fd00::1",), address_type="IPv6"),
              ledger_slice("again", [{"port": 8080}], ("10.0.0.1",))]
    result = plan_granted(ledger_service([{"port": 80}]), *slices)
    assert targets_of(result) == (Target("10.0.0.1", 8080), Target("10.0.0.2", 8080))


# --- kinds and application protocols ------------------------------------------------------------


def test_a_backend_of_another_core_kind_is_an_invalid_kind():
    route = http_route("books", "infra", parents=["edge"], backends=[{"group": "", "kind": "ConfigMap", "name": "ledger",
                                                                      "port": 80}])
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", "infra", listeners=[OPEN_LISTENER]),
                             route))
    resolved = condition_of(result, "books", "ResolvedRefs", "infra")
    assert (resolved.status, resolved.reason) == ("False", "InvalidKind")


@pytest.mark.parametrize(("app_protocol", "protocol", "version"), [
    ("https", "HTTPS", "HTTP1"), ("HTTPS", "HTTPS", "HTTP1"), ("http", "HTTP", "HTTP1"), ("HTTP1", "HTTP", "HTTP1"),
    ("kubernetes.io/h2c", "HTTP", "HTTP2"),
])
def test_a_service_port_app_protocol_sets_the_target_group_protocol(app_protocol, protocol, version):
    result = plan_granted(ledger_service([{"port": 80, "appProtocol": app_protocol}]))
    [group] = the_route(result, ROUTE_KEY).target_groups
    assert (group.protocol, group.protocol_version) == (protocol, version)
    assert not [p for p in result.problems if p.severity == "warning" and "appProtocol" in p.message]


def test_two_backend_refs_to_one_service_port_share_one_target_group_with_the_summed_weight():
    route = http_route("books", "infra", parents=["edge"], rules=[{"backendRefs": [
        {"name": "ledger", "namespace": "billing", "port": 80, "weight": 30},
        {"name": "ledger", "namespace": "billing", "port": 80, "weight": 20}]}])
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", "infra", listeners=[OPEN_LISTENER]),
                             route, grant("covers"), ledger_service([{"port": 80}])))
    [rule] = rules_of(result, ROUTE_KEY)
    assert forwarded(rule) == [(LEDGER_GROUP, 50)]


def test_a_terminating_endpoint_or_another_family_slice_does_not_end_the_search():
    """The endpoints after a terminating one, and the slices after one of another address
    family, still count (a `break` where `continue` belongs would drop them)."""
    mixed = ledger_slice("mixed", [{"port": 8080}], ("10.0.0.5", "10.0.0.6"))
    mixed["endpoints"][0]["conditions"] = {"ready": False, "terminating": True}
    slices = [ledger_slice("six", [{"port": 8080}], ("fd00::1",), address_type="IPv6"), mixed,
              ledger_slice("after", [{"port": 8080}], ("10.0.0.7",))]
    result = plan_granted(ledger_service([{"port": 80}]), *slices)
    assert targets_of(result) == (Target("10.0.0.6", 8080), Target("10.0.0.7", 8080))


def test_the_group_that_fails_unresolved_shares_is_named_and_tagged_as_such():
    result = plan_granted(ledger_service([{"port": 80}]), http_route(
        "split", "infra", parents=["edge"], backends=[{"name": "ledger", "namespace": "billing", "port": 80},
                                                       {"name": "gone", "port": 80}]))
    route = the_route(result, "HTTPRoute/infra/split")
    [empty] = [tg for tg in route.target_groups if tg.key == "HTTPRoute/infra/split/unresolved-backends"]
    assert "unresolved-backends" in empty.name and result.model.targets[empty.key] == ()
    assert empty.tags["lattice-gateway/backend"] == "unresolved-backends"
    assert empty.tags["lattice-gateway/route"] == "HTTPRoute/infra/split"
    assert (empty.vpc_identifier, empty.protocol) == (route.target_groups[0].vpc_identifier, "HTTP")


FILTERED = {"name": "ledger", "namespace": "billing", "port": 80,
            "filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x", "value": "y"}]}}]}


@pytest.mark.parametrize(("spec", "backend", "condition", "reason", "field"), [
    ({"ports": [{"port": 81}]}, None, "ResolvedRefs", "BackendNotFound", ".port"),
    ({"type": "ExternalName", "externalName": "ledger.example.com", "ports": [{"port": 80}]}, None, "Accepted",
     "UnsupportedValue", ""),
    ({"ipFamilies": ["IPv4", "IPv6"], "ports": [{"port": 80}]}, None, "Accepted", "UnsupportedValue", ""),
    ({"ports": [{"port": 80, "appProtocol": "kubernetes.io/ws"}]}, None, "ResolvedRefs", "UnsupportedProtocol", ".port"),
    ({"ports": [{"port": 80}]}, FILTERED, "Accepted", "UnsupportedValue", ".filters"),
], ids=["no-such-port", "external-name", "dual-stack", "websocket", "backend-filters"])
def test_each_backend_refusal_gives_the_specs_reason_on_its_field(spec, backend, condition, reason, field):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ledger", "namespace": "billing"},
               "spec": spec}
    route = http_route("books", "infra", parents=["edge"],
                       backends=[backend or {"name": "ledger", "namespace": "billing", "port": 80}])
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", "infra", listeners=[OPEN_LISTENER]),
                             route, grant("covers"), service))
    refused = condition_of(result, "books", condition, "infra")
    assert (refused.status, refused.reason) == ("False", reason)
    [problem] = [p for p in result.problems if p.object and p.object.name == "books"
                 and p.field.startswith("spec.rules[0].backendRefs[0]")]
    assert problem.field == f"spec.rules[0].backendRefs[0]{field}"


def test_target_group_names_are_stable_across_releases():
    """A target group's name carries its immutable settings (protocol, version, address
    type, VPC): a new format would replace every group, and the unresolved one too."""
    result = plan_granted(ledger_service([{"port": 80}]), http_route(
        "split", "infra", parents=["edge"], backends=[{"name": "ledger", "namespace": "billing", "port": 80},
                                                       {"name": "gone", "port": 80}]))
    names = {tg.key: tg.name for tg in the_route(result, "HTTPRoute/infra/split").target_groups}
    assert names == {"HTTPRoute/infra/split/backend/billing/ledger:80": "ledger-billing-80-6a8912",
                     "HTTPRoute/infra/split/unresolved-backends": "unresolved-backends-infra-80-d106cd"}
