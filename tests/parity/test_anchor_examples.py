"""The AWS Gateway API Controller's own example manifests, planned by lattice-gateway.

Manifests written for the controller (the "anchor") must keep working.  Each example in
``../shared/reference/aws-gateway-controller/examples/`` is planned together with the
controller's GatewayClass (``installation/gatewayclass.yaml``), the Gateway its routes
name in their parentRefs, and the Services, ServiceExports, ServiceImports and policies it
goes with; once through ``pipeline.plan`` and once through ``latticectl plan --output
json``, which must exit 0 and say the same.  Then each set's Lattice shape is checked:
listeners and their protocols, rules with their matches in priority order, forward
weights, target-group protocols, custom domains, service-network associations, and what
is reported where an example cannot be planned whole (a Service the examples never
define, for one).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from components.specs import (
    FixedResponseAction,
    ForwardAction,
    LatticeModel,
    RouteSpec,
    TargetGroupSpec,
    WeightedTargetGroup,
)
from lattice_program.contract.pipeline import PlanResult, plan
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.sources.files import load_paths
from tests.support.plans import (
    assert_contract_clean,
    forwarded,
    problems_for,
    referenced_name,
    route_condition,
    rules_of,
    status_of,
    the_listener,
    the_route,
)

REFERENCE = Path(__file__).parents[2].parent / "shared" / "reference"
ANCHOR = REFERENCE / "aws-gateway-controller"
EXAMPLES = ANCHOR / "examples"
GATEWAY_CLASS = ANCHOR / "installation" / "gatewayclass.yaml"

if not EXAMPLES.is_dir() or not GATEWAY_CLASS.is_file():
    pytest.skip(f"../shared/reference is not beside the repo ({EXAMPLES} or {GATEWAY_CLASS} is missing), so there "
                "are no AWS controller examples to plan", allow_module_level=True)

VPC = "vpc-0a1b2c3d4e5f60789"
NAMESPACE = "default"  # the examples name none
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")

# Each set: the example files planned together (the GatewayClass is added to every one).
# A route goes with the Gateway its parentRefs name; the examples name "my-hotel" in two
# files, so the gRPC route, which wants the https listener, takes the multi-listener one.
EXAMPLE_SETS: Dict[str, Tuple[str, ...]] = {
    "inventory": ("my-hotel-gateway.yaml", "inventory-route.yaml", "inventory-ver1.yaml"),
    "inventory-blue-green": ("my-hotel-gateway.yaml", "inventory-route-bluegreen.yaml", "inventory-ver1.yaml",
                             "inventory-ver2.yaml", "inventory-ver2-export.yaml", "inventory-ver2-import.yaml"),
    "rates-by-path": ("my-hotel-gateway.yaml", "rate-route-path.yaml", "parking.yaml", "review.yaml"),
    "imports-by-path": ("my-hotel-gateway.yaml", "my-httproute.yaml", "service-1.yaml", "service-1-export.yaml",
                        "service-1-import.yaml", "service-2.yaml", "service-2-export.yaml", "service-2-import.yaml"),
    "greeter-grpc": ("my-hotel-gateway-multi-listeners.yaml", "greeter-grpc-route.yaml", "greeter-grpc-server.yaml"),
    "nginx-tls-passthrough": ("my-gateway-tls-passthrough.yaml", "tlsroute-nginx.yaml",
                              "nginx-server-tls-passthrough.yaml"),
    "rate-tls-blue-green": ("my-gateway-tls-passthrough.yaml", "rate-tlsroute-bluegreen.yaml", "tls-rate1.yaml",
                            "tls-rate2.yaml", "tls-rate2-export.yaml", "tls-rate2-import.yaml",
                            "tls-rate2-targetgrouppolicy.yaml"),
    "standalone-routes": ("my-gateway.yaml", "standalone-httproute.yaml", "standalone-grpcroute.yaml"),
    "standalone-gateway": ("standalone-gateway.yaml",),
    "mixed-standalone": ("mixed-standalone-routes.yaml",),
    "multi-protocol-export": ("multi-protocol-service-export.yaml",),
}

runner = CliRunner()


def paths_of(example_set: str) -> List[str]:
    return [str(GATEWAY_CLASS)] + [str(EXAMPLES / name) for name in EXAMPLE_SETS[example_set]]


@lru_cache(maxsize=None)
def planned(example_set: str) -> PlanResult:
    return plan(load_paths(paths_of(example_set)), StackSettings(vpc_id=VPC))


@lru_cache(maxsize=None)
def cli_document(example_set: str) -> Mapping[str, Any]:
    result = runner.invoke(app, ["plan", *paths_of(example_set), "--vpc-id", VPC, "--output", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def documents(example_set: str) -> Iterator[Mapping[str, Any]]:
    for path in paths_of(example_set):
        yield from (d for d in yaml.safe_load_all(Path(path).read_text(encoding="utf-8")) if d)


def route_key(kind: str, name: str) -> str:
    return f"{kind}/{NAMESPACE}/{name}"


def gateway_key(name: str) -> str:
    return f"Gateway/{NAMESPACE}/{name}"


def export_group(model: LatticeModel, service: str) -> TargetGroupSpec:
    """The one target group exported for ``service`` (ServiceExport of that name)."""
    groups = [tg for export in model.exports for tg in export.target_groups
              if export.key.startswith(f"ServiceExport/{NAMESPACE}/{service}/")]
    assert len(groups) == 1, f"expected one exported target group for {service}: {[e.key for e in model.exports]}"
    return groups[0]


def backend_group(route: RouteSpec, service: str, port: int) -> TargetGroupSpec:
    key = f"{route.key}/backend/{NAMESPACE}/{service}:{port}"
    found = [tg for tg in route.target_groups if tg.key == key]
    assert found, f"no target group {key}; {route.key} has {[tg.key for tg in route.target_groups]}"
    return found[0]


def rule_shapes(result: PlanResult, route: str, listener: Optional[str] = None) -> List[Tuple[Any, ...]]:
    """(method, path kind, path value, headers) of each rule, in priority order."""
    return [(rule.match.method, rule.match.path.kind if rule.match.path else None,
             rule.match.path.value if rule.match.path else None, rule.match.headers)
            for rule in rules_of(result, route, listener)]


def errors_by_field(result: PlanResult, kind: str, name: str) -> List[str]:
    return [p.field for p in problems_for(result, kind, NAMESPACE, name, "error")]


def ignored_kinds(result: PlanResult) -> List[str]:
    """The kinds of the documents the plan reports as not read."""
    return sorted({p.object.kind for p in result.problems
                   if p.object is not None and p.field == "kind" and p.severity == "warning"})


# --- every example, both ways ---------------------------------------------------------------


def test_every_example_is_planned_in_some_set():
    """A new example upstream must be given a set here rather than go unplanned."""
    on_disk = {path.name for path in EXAMPLES.iterdir() if path.suffix in (".yaml", ".yml")}
    in_sets = {name for files in EXAMPLE_SETS.values() for name in files}
    assert on_disk == in_sets


@pytest.mark.parametrize("example_set", EXAMPLE_SETS)
def test_routes_are_planned_with_the_gateways_they_name(example_set):
    objects = list(documents(example_set))
    gateways = {d["metadata"]["name"] for d in objects if d.get("kind") == "Gateway"}
    for route in (d for d in objects if d.get("kind") in ROUTE_KINDS):
        named = {p["name"] for p in route["spec"].get("parentRefs", []) if p.get("kind", "Gateway") == "Gateway"}
        assert named <= gateways, f"{route['kind']} {route['metadata']['name']} names {named}; the set has {gateways}"


@pytest.mark.parametrize("example_set", EXAMPLE_SETS)
def test_example_set_plans_within_the_lattice_api_contract(example_set):
    result = planned(example_set)
    assert_contract_clean(result.model)
    gateway_class = status_of(result, "GatewayClass", None, "amazon-vpc-lattice")
    assert gateway_class is not None and gateway_class.conditions["Accepted"].status == "True"
    # Nothing is refused for its form: whatever is wrong names an object and a field.
    assert all(p.object is not None for p in result.problems), [str(p) for p in result.problems]


@pytest.mark.parametrize("example_set", EXAMPLE_SETS)
def test_cli_plan_says_what_the_pipeline_plans(example_set):
    result, document = planned(example_set), cli_document(example_set)
    inputs = {(r["type"].rsplit(":", 1)[-1], r["name"]): r["inputs"] for r in document["resources"]}

    for route in result.model.routes():
        assert (route.kind, route.key) in inputs  # the route's component, lattice:index:<kind>
        assert inputs[("Service", route.key)].get("customDomainName") == route.service.custom_domain_name
        for listener in route.listeners:
            planned_listener = inputs[("Listener", f"{route.key}/{listener.key}")]
            assert (planned_listener["protocol"], planned_listener["port"]) == (listener.protocol, listener.port)
            for rule in listener.rules:
                planned_rule = inputs[("ListenerRule", f"{route.key}/{listener.key}/{rule.key}")]
                assert planned_rule["priority"] == rule.priority
                weights = [(referenced_name(document["resources"], g["targetGroupIdentifier"]), g["weight"])
                           for g in planned_rule["action"].get("forward", {}).get("targetGroups", [])]
                assert weights == ([(e.target_group, e.weight) for e in rule.action.target_groups]
                                   if isinstance(rule.action, ForwardAction) else [])
        for group in route.target_groups:
            config = inputs[("TargetGroup", group.key)]["config"]
            assert (config["protocol"], config.get("protocolVersion")) == (group.protocol, group.protocol_version)
    for export in result.model.exports:
        for group in export.target_groups:
            config = inputs[("TargetGroup", group.key)]["config"]
            assert (config["protocol"], config.get("protocolVersion")) == (group.protocol, group.protocol_version)

    def shown(problems) -> List[Tuple[Any, ...]]:
        return sorted((p["severity"], (p["object"] or {}).get("kind"), (p["object"] or {}).get("name"), p["field"])
                      for p in problems)

    assert shown(document["problems"]) == shown(
        {"severity": p.severity, "object": {"kind": p.object.kind, "name": p.object.name}, "field": p.field}
        for p in result.problems)


# --- each example's Lattice shape -----------------------------------------------------------


def test_my_hotel_gateway_is_a_service_network_in_the_cluster_vpc():
    [gateway] = planned("inventory").model.gateways()
    assert gateway.key == gateway_key("my-hotel")
    assert gateway.service_network.name == "my-hotel"
    assert [a.vpc_identifier for a in gateway.vpc_associations] == [VPC]


def test_inventory_route_forwards_everything_to_inventory_ver1():
    result = planned("inventory")
    route = the_route(result, route_key("HTTPRoute", "inventory"))
    listener = the_listener(route)
    assert (listener.protocol, listener.port) == ("HTTP", 80)
    assert listener.default_action == FixedResponseAction(404)
    # No matches: the spec's default, every path.
    assert rule_shapes(result, route.key) == [(None, "prefix", "/", ())]
    [rule] = rules_of(result, route.key)
    group = backend_group(route, "inventory-ver1", 80)
    assert forwarded(rule) == [(group.key, 10)]
    assert (group.protocol, group.protocol_version, group.port) == ("HTTP", "HTTP1", 80)
    assert [a.gateway for a in route.associations] == [gateway_key("my-hotel")]
    assert route_condition(result, "HTTPRoute", "inventory", "ResolvedRefs").status == "True"
    assert ignored_kinds(result) == ["Deployment"]


def test_blue_green_splits_ten_ninety_between_the_service_and_the_import():
    result = planned("inventory-blue-green")
    route = the_route(result, route_key("HTTPRoute", "inventory"))
    [rule] = rules_of(result, route.key)
    exported = export_group(result.model, "inventory-ver2")
    assert forwarded(rule) == [(backend_group(route, "inventory-ver1", 80).key, 10), (exported.key, 90)]
    assert (exported.protocol, exported.protocol_version, exported.port) == ("HTTP", "HTTP1", 80)
    assert route_condition(result, "HTTPRoute", "inventory", "ResolvedRefs").status == "True"
    export = status_of(result, "ServiceExport", NAMESPACE, "inventory-ver2")
    assert export is not None and export.conditions["Valid"].status == "True"
    assert errors_by_field(result, "HTTPRoute", "inventory") == []


def test_rates_route_by_path_prefix_in_rule_order():
    result = planned("rates-by-path")
    route = the_route(result, route_key("HTTPRoute", "rates"))
    assert [(l.protocol, l.port) for l in route.listeners] == [("HTTP", 80)]
    # Element-wise PathPrefix: each path is an exact rule and a prefix rule (the anchor sends one string prefix).
    assert rule_shapes(result, route.key) == [(None, "exact", "/parking", ()), (None, "prefix", "/parking/", ()),
                                              (None, "exact", "/review", ()), (None, "prefix", "/review/", ())]
    parking, parking_below, review, review_below = rules_of(result, route.key)
    assert parking.priority < parking_below.priority < review.priority < review_below.priority
    for rule in (parking, parking_below):
        assert forwarded(rule) == [(backend_group(route, "parking", 80).key, 1)]
    for rule in (review, review_below):
        assert forwarded(rule) == [(backend_group(route, "review", 80).key, 1)]


def test_imports_by_path_forward_each_path_to_its_exported_group():
    result = planned("imports-by-path")
    route = the_route(result, route_key("HTTPRoute", "my-httproute"))
    assert rule_shapes(result, route.key) == [(None, "exact", "/service-1", ()), (None, "prefix", "/service-1/", ()),
                                              (None, "exact", "/service-2", ()), (None, "prefix", "/service-2/", ())]
    planned_rules = rules_of(result, route.key)
    for rule in planned_rules[:2]:
        assert forwarded(rule) == [(export_group(result.model, "service-1").key, 1)]
    for rule in planned_rules[2:]:
        assert forwarded(rule) == [(export_group(result.model, "service-2").key, 1)]
    # Only exported groups: the route has none of its own.
    assert route.target_groups == ()
    assert route_condition(result, "HTTPRoute", "my-httproute", "ResolvedRefs").status == "True"


def test_greeter_grpc_route_is_an_https_listener_with_a_grpc_target_group():
    result = planned("greeter-grpc")
    route = the_route(result, route_key("GRPCRoute", "greeter-grpc-route"))
    # The Gateway has http and https listeners; sectionName picks https.
    assert [(l.protocol, l.port) for l in route.listeners] == [("HTTPS", 443)]
    assert rule_shapes(result, route.key) == [("POST", "exact", "/helloworld.Greeter/SayHello", ())]
    [rule] = rules_of(result, route.key)
    group = backend_group(route, "greeter-grpc-server", 443)
    assert forwarded(rule) == [(group.key, 10)]
    assert (group.protocol, group.protocol_version, group.port) == ("HTTP", "GRPC", 443)
    assert route.service.custom_domain_name is None


def test_nginx_tls_route_is_passthrough_on_its_custom_domain():
    result = planned("nginx-tls-passthrough")
    route = the_route(result, route_key("TLSRoute", "nginx-tls-route"))
    assert route.service.custom_domain_name == "nginx-test.my-test.com"
    listener = the_listener(route)
    assert (listener.protocol, listener.port, listener.rules) == ("TLS_PASSTHROUGH", 443, ())
    group = backend_group(route, "nginx-tls", 443)
    assert listener.default_action == ForwardAction((WeightedTargetGroup(group.key, 1),))
    assert (group.protocol, group.protocol_version, group.port) == ("TCP", None, 443)
    assert [a.gateway for a in route.associations] == [gateway_key("my-hotel-tls-passthrough")]


def test_rate_tls_blue_green_splits_tcp_groups_and_applies_the_target_group_policy():
    result = planned("rate-tls-blue-green")
    route = the_route(result, route_key("TLSRoute", "rate-tls-passthrough"))
    assert route.service.custom_domain_name == "tls-rate.my-test.com"
    listener = the_listener(route)
    assert listener.protocol == "TLS_PASSTHROUGH"
    local, exported = backend_group(route, "tls-rate1", 443), export_group(result.model, "tls-rate2")
    assert listener.default_action == ForwardAction((WeightedTargetGroup(local.key, 10), WeightedTargetGroup(exported.key, 90)))
    assert (local.protocol, local.protocol_version) == ("TCP", None)
    # tls-rate2-targetgrouppolicy.yaml: protocol TCP, health checks off, on the export.
    assert (exported.protocol, exported.protocol_version) == ("TCP", None)
    assert exported.health_check is not None and exported.health_check.enabled is False
    policy = status_of(result, "TargetGroupPolicy", NAMESPACE, "tls-rate2")
    assert policy is not None and policy.conditions["Accepted"].status == "True"
    assert ignored_kinds(result) == ["Deployment"]


def test_standalone_http_route_has_no_service_network_association():
    result = planned("standalone-routes")
    route = the_route(result, route_key("HTTPRoute", "standalone-service"))
    assert route.associations == ()  # application-networking.k8s.aws/standalone: "true"
    assert rule_shapes(result, route.key) == [(None, "exact", "/api", ()), (None, "prefix", "/api/", ())]
    # The examples never define api-service: the rule answers 500, as the spec asks.
    planned_rules = rules_of(result, route.key)
    assert all(rule.action == FixedResponseAction(500) for rule in planned_rules)
    resolved = route_condition(result, "HTTPRoute", "standalone-service", "ResolvedRefs")
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    assert errors_by_field(result, "HTTPRoute", "standalone-service") == ["spec.rules[0].backendRefs[0]"]


def test_standalone_grpc_route_on_an_http_only_gateway_is_not_accepted():
    """my-gateway has an HTTP listener only, and VPC Lattice serves gRPC over HTTPS."""
    result = planned("standalone-routes")
    accepted = route_condition(result, "GRPCRoute", "standalone-grpc-service")
    assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
    assert route_key("GRPCRoute", "standalone-grpc-service") not in [r.key for r in result.model.routes()]


def test_standalone_gateway_is_still_a_service_network():
    """The annotation on a Gateway makes its routes standalone by default; the network stays."""
    [gateway] = planned("standalone-gateway").model.gateways()
    assert gateway.key == gateway_key("standalone-gateway")
    assert [a.vpc_identifier for a in gateway.vpc_associations] == [VPC]


def test_mixed_standalone_routes_follow_their_own_annotation_over_the_gateways():
    result = planned("mixed-standalone")
    routes = {r.key: r for r in result.model.routes()}
    associated = {key: [a.gateway for a in route.associations] for key, route in routes.items()}
    mixed = gateway_key("mixed-gateway")
    assert associated == {
        route_key("HTTPRoute", "inherited-standalone-route"): [],
        route_key("HTTPRoute", "networked-override-route"): [mixed],
        route_key("HTTPRoute", "https-standalone-route"): [],
        route_key("HTTPRoute", "https-networked-route"): [mixed],
        # Their backends are never defined: accepted, and every connection refused.
        route_key("TLSRoute", "tls-standalone-route"): [],
        route_key("TLSRoute", "tls-networked-route"): [mixed],
    }
    # No sectionName: the HTTP and HTTPS listeners; the TLS passthrough one is not for HTTPRoutes.
    inherited = routes[route_key("HTTPRoute", "inherited-standalone-route")]
    assert [(l.protocol, l.port) for l in inherited.listeners] == [("HTTP", 80), ("HTTPS", 443)]
    networked = routes[route_key("HTTPRoute", "https-networked-route")]
    assert [(l.protocol, l.port) for l in networked.listeners] == [("HTTPS", 443)]
    assert networked.service.custom_domain_name == "secure.example.com"
    assert routes[route_key("HTTPRoute", "https-standalone-route")].service.custom_domain_name == "api.example.com"


def test_mixed_standalone_routes_report_what_they_lack():
    result = planned("mixed-standalone")
    # The HTTPS listener's certificate is a Kubernetes Secret; Lattice takes an ACM ARN.
    for name in ("https-networked-route", "https-standalone-route"):
        warnings = problems_for(result, "HTTPRoute", NAMESPACE, name, "warning")
        assert any(p.field == "spec.hostnames" and "certificate" in p.message for p in warnings), warnings
    # Services the example never defines: rules answer 500, TLS passthrough refuses connections.
    assert errors_by_field(result, "HTTPRoute", "networked-override-route") == ["spec.rules[0].backendRefs[0]"]
    assert errors_by_field(result, "HTTPRoute", "https-standalone-route") == ["spec.rules[0].backendRefs[0]"]
    for name in ("tls-standalone-route", "tls-networked-route"):
        assert route_condition(result, "TLSRoute", name).status == "True"
        resolved = route_condition(result, "TLSRoute", name, "ResolvedRefs")
        assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
        assert errors_by_field(result, "TLSRoute", name) == ["spec.rules[0].backendRefs[0]"]
    assert ignored_kinds(result) == ["Secret"]


def test_export_of_a_service_the_examples_never_define_is_reported():
    result = planned("multi-protocol-export")
    export = status_of(result, "ServiceExport", NAMESPACE, "multi-protocol-service")
    assert export is not None and export.conditions["Valid"].status == "False"
    assert errors_by_field(result, "ServiceExport", "multi-protocol-service") == ["metadata.name"]
    assert result.model.exports == ()
