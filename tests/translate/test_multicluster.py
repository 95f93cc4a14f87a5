"""One stack, two clusters: shared Gateways, ServiceExports and ServiceImports.

Rows 28 (ServiceExport) and 29 (ServiceImport) of
/work/shared/reference/aws-controller-behaviour.md and cases A2, A3, D2 and E3 of
aws-controller-cases.md.  Where lattice-gateway deliberately differs from the anchor it
says so: a ServiceImport forwards to the exports of *every* cluster, splitting its
weight evenly (the anchor picks one exporter at random, its issue #777), and a route
in two clusters is one Lattice service, owned by the cluster listed first.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Dict, List, Optional

from typer.testing import CliRunner

from cli.main import app
from components.specs import HealthCheckSpec, Target, TargetGroupSpec
from lattice_program.program.mock_plan import record_plan
from lattice_program.contract.pipeline import PlanResult
from lattice_program.vocabulary.settings import ClusterSettings

from tests.support.plans import (
    planned,
    ref_to,
    CONTROLLER,
    assert_contract_clean,
    forwarded,
    plan_clusters,
    problems_for,
    route_condition,
    rules_of,
    the_route,
)

EAST_VPC = "vpc-0e1a2b3c4d5e6f701"
WEST_VPC = "vpc-0f9e8d7c6b5a40312"
CLUSTERS = [ClusterSettings(name="east", vpc_id=EAST_VPC), ClusterSettings(name="west", vpc_id=WEST_VPC)]
AWS = "application-networking.k8s.aws"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/9e8d7c6b-5a4f-3e2d-1c0b-a9f8e7d6c5b4"
FEDERATED = f"{{{AWS}/federation: amazon-vpc-lattice}}"

EAST_LEDGER = "ServiceExport/bank/ledger/east/http-80"
WEST_LEDGER = "ServiceExport/bank/ledger/west/http-80"
PAYMENTS = "HTTPRoute/bank/payments"

# Every cluster has the class and the "mesh" Gateway (HTTP and HTTPS listeners).
PLATFORM = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: amazon-vpc-lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: mesh, namespace: infra}}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: All}}}}}}
  - name: https
    port: 443
    protocol: HTTPS
    allowedRoutes: {{namespaces: {{from: All}}}}
    tls: {{mode: Terminate, options: {{{AWS}/certificate-arn: "{CERTIFICATE}"}}}}
"""


def service(name: str, addresses: List[str], *, namespace: str = "bank", ports: str = "[{name: http, port: 80}]",
            slice_ports: str = "[{name: http, port: 9090}]") -> str:
    endpoints = ", ".join(f'{{addresses: ["{a}"]}}' for a in addresses)
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{ports: {ports}}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}-slice, namespace: {namespace}, labels: {{kubernetes.io/service-name: {name}}}}}
addressType: IPv4
ports: {slice_ports}
endpoints: [{endpoints}]
"""


def export(name: str = "ledger", *, namespace: str = "bank", annotations: str = FEDERATED,
           ports: Optional[str] = "[{port: 80, routeType: HTTP}]") -> str:
    spec = f"spec: {{exportedPorts: {ports}}}" if ports else "spec: {}"
    return f"""
---
apiVersion: {AWS}/v1alpha1
kind: ServiceExport
metadata: {{name: {name}, namespace: {namespace}, annotations: {annotations}}}
{spec}
"""


def service_import(name: str = "ledger", *, namespace: str = "bank", annotations: str = "{}") -> str:
    return f"""
---
apiVersion: {AWS}/v1alpha1
kind: ServiceImport
metadata: {{name: {name}, namespace: {namespace}, annotations: {annotations}}}
"""


def payments_route(backends: str, *, namespace: str = "bank") -> str:
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: payments, namespace: {namespace}}}
spec:
  parentRefs: [{{name: mesh, namespace: infra, sectionName: http}}]
  rules:
  - backendRefs: {backends}
"""


IMPORT_LEDGER = f"[{{group: {AWS}, kind: ServiceImport, name: ledger}}]"
EAST = PLATFORM + service("ledger", ["10.1.0.11", "10.1.0.12"]) + export()
WEST = PLATFORM + service("ledger", ["10.2.0.21"]) + export()


def two_clusters(east: str = "", west: str = "") -> PlanResult:
    return plan_clusters({"east": EAST + east, "west": WEST + west}, CLUSTERS)


def export_groups(result: PlanResult) -> Dict[str, TargetGroupSpec]:
    return {tg.key: tg for export in result.model.exports for tg in export.target_groups}


def the_rule_forwards(result: PlanResult, route_key: str = PAYMENTS) -> List[tuple]:
    [rule] = rules_of(result, route_key)
    return forwarded(rule)


# --- Gateways and exports -----------------------------------------------------------------


def test_one_gateway_in_both_clusters_is_one_network_with_two_vpc_associations():
    result = two_clusters()
    assert not result.errors, [str(p) for p in result.errors]
    [gateway] = result.model.gateways()
    assert gateway.service_network.name == "mesh"
    assert [a.vpc_identifier for a in gateway.vpc_associations] == [EAST_VPC, WEST_VPC]
    for cluster in ("east", "west"):
        status = status_of_cluster(result, "Gateway", "infra", "mesh", cluster)
        assert status.conditions["Accepted"].status == "True"


def status_of_cluster(result: PlanResult, kind: str, namespace: str, name: str, cluster: str):
    found = [s for s in result.statuses
             if (s.ref.kind, s.ref.namespace, s.ref.name, s.ref.cluster) == (kind, namespace, name, cluster)]
    assert len(found) == 1, f"no single {kind} {namespace}/{name} status in cluster {cluster}"
    return found[0]


def test_each_cluster_exports_a_target_group_in_its_own_vpc_with_its_own_endpoints():
    """row 28: one target group per exported port; HTTP exports are HTTP/HTTP1."""
    result = two_clusters()
    groups = export_groups(result)
    assert set(groups) == {EAST_LEDGER, WEST_LEDGER}
    assert (groups[EAST_LEDGER].vpc_identifier, groups[WEST_LEDGER].vpc_identifier) == (EAST_VPC, WEST_VPC)
    assert {(g.protocol, g.protocol_version, g.port) for g in groups.values()} == {("HTTP", "HTTP1", 80)}
    assert groups[EAST_LEDGER].name != groups[WEST_LEDGER].name
    assert result.model.targets[EAST_LEDGER] == (Target("10.1.0.11", 9090), Target("10.1.0.12", 9090))
    assert result.model.targets[WEST_LEDGER] == (Target("10.2.0.21", 9090),)
    assert [e.key for e in result.model.exports] == ["ServiceExport/bank/ledger/east", "ServiceExport/bank/ledger/west"]
    valid = status_of_cluster(result, "ServiceExport", "bank", "ledger", "west").conditions["Valid"]
    assert valid.status == "True"


def test_export_without_the_federation_annotation_is_ignored_with_a_warning():
    result = plan_clusters({"east": EAST, "west": PLATFORM + service("ledger", ["10.2.0.21"])
                            + export(annotations="{}")}, CLUSTERS)
    assert set(export_groups(result)) == {EAST_LEDGER}
    [warning] = [p for p in problems_for(result, "ServiceExport", "bank", "ledger") if p.object.cluster == "west"]
    assert warning.severity == "warning"
    assert warning.field == f"metadata.annotations[{AWS}/federation]"
    assert "amazon-vpc-lattice" in warning.message


def test_export_of_a_missing_service_is_invalid_naming_the_cluster():
    result = plan_clusters({"east": EAST, "west": PLATFORM + export()}, CLUSTERS)
    assert set(export_groups(result)) == {EAST_LEDGER}
    valid = status_of_cluster(result, "ServiceExport", "bank", "ledger", "west").conditions["Valid"]
    assert valid.status == "False" and "cluster west" in valid.message


def test_E3_legacy_port_annotation_exports_that_port_with_the_endpoints_port():
    """D2 legacy / E3: ``application-networking.k8s.aws/port`` without exportedPorts
    exports the Service port it names as HTTP; targets take the endpoint port."""
    east = PLATFORM + service("ledger", ["10.10.1.1", "10.10.2.2"], ports="[{name: b, port: 81}]",
                              slice_ports="[{name: b, port: 3090}]") + export(
        annotations=f"{{{AWS}/federation: amazon-vpc-lattice, {AWS}/port: '81'}}", ports=None)
    result = plan_clusters({"east": east}, CLUSTERS)
    groups = export_groups(result)
    key = "ServiceExport/bank/ledger/east/http-81"
    assert list(groups) == [key]
    assert (groups[key].port, groups[key].protocol, groups[key].protocol_version) == (81, "HTTP", "HTTP1")
    assert result.model.targets[key] == (Target("10.10.1.1", 3090), Target("10.10.2.2", 3090))


def test_legacy_port_annotation_that_is_not_a_port_list_is_invalid_pointing_to_exported_ports():
    east = PLATFORM + service("ledger", ["10.1.0.11"]) + export(
        annotations=f"{{{AWS}/federation: amazon-vpc-lattice, {AWS}/port: 'http'}}", ports=None)
    result = plan_clusters({"east": east}, CLUSTERS)
    assert export_groups(result) == {}
    [error] = problems_for(result, "ServiceExport", "bank", "ledger", "error")
    assert error.field == f"metadata.annotations[{AWS}/port]" and "spec.exportedPorts" in error.message


def test_export_without_ports_or_annotation_exports_http_80():
    """row 28: the anchor's default for an export without ports."""
    result = plan_clusters({"east": PLATFORM + service("ledger", ["10.1.0.11"]) + export(ports=None)}, CLUSTERS)
    assert list(export_groups(result)) == ["ServiceExport/bank/ledger/east/http-80"]


MULTI_PROTOCOL_SERVICE = service(
    "multi-protocol", ["10.1.5.5"], ports="[{name: http, port: 80}, {name: grpc, port: 8081}, {name: tls, port: 443}]",
    slice_ports="[{name: http, port: 8080}, {name: grpc, port: 9081}, {name: tls, port: 8443}]")
MULTI_PROTOCOL_EXPORT = export("multi-protocol", ports="[{port: 80, routeType: HTTP}, {port: 8081, routeType: GRPC}, "
                                                       "{port: 443, routeType: TLS}]")


def test_D2_multi_protocol_export_gives_one_target_group_per_route_type():
    result = plan_clusters({"east": PLATFORM + MULTI_PROTOCOL_SERVICE + MULTI_PROTOCOL_EXPORT}, CLUSTERS)
    groups = export_groups(result)
    prefix = "ServiceExport/bank/multi-protocol/east/"
    summary = {key.removeprefix(prefix): (g.port, g.protocol, g.protocol_version) for key, g in groups.items()}
    assert summary == {"http-80": (80, "HTTP", "HTTP1"), "grpc-8081": (8081, "HTTP", "GRPC"), "tls-443": (443, "TCP", None)}
    assert groups[prefix + "grpc-8081"].health_check == HealthCheckSpec(enabled=False)
    assert groups[prefix + "tls-443"].health_check == HealthCheckSpec(enabled=False)
    assert result.model.targets[prefix + "grpc-8081"] == (Target("10.1.5.5", 9081),)
    assert_contract_clean(result.model)


def test_grpc_route_importing_a_multi_protocol_export_forwards_to_its_grpc_group():
    route = f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {{name: rpc, namespace: bank}}
spec:
  parentRefs: [{{name: mesh, namespace: infra, sectionName: https}}]
  rules:
  - backendRefs: [{{group: {AWS}, kind: ServiceImport, name: multi-protocol}}]
""" + service_import("multi-protocol")
    result = plan_clusters({"east": PLATFORM + MULTI_PROTOCOL_SERVICE + MULTI_PROTOCOL_EXPORT + route}, CLUSTERS)
    assert not result.errors, [str(p) for p in result.errors]
    assert the_rule_forwards(result, "GRPCRoute/bank/rpc") == [("ServiceExport/bank/multi-protocol/east/grpc-8081", 1)]
    # The group belongs to the export, not to the route.
    assert the_route(result, "GRPCRoute/bank/rpc").target_groups == ()


def test_target_group_policy_on_a_service_export_applies_to_its_groups():
    """row 19: a TargetGroupPolicy may target a ServiceExport."""
    policy = f"""
---
apiVersion: {AWS}/v1alpha1
kind: TargetGroupPolicy
metadata: {{name: ledger-checks, namespace: bank}}
spec:
  targetRef: {{group: {AWS}, kind: ServiceExport, name: ledger}}
  healthCheck: {{path: /ready, intervalSeconds: 10}}
"""
    groups = export_groups(two_clusters(west=policy))
    assert groups[WEST_LEDGER].health_check == HealthCheckSpec(enabled=True, path="/ready", interval_seconds=10)
    assert groups[EAST_LEDGER].health_check is None  # the policy lives in west only


# --- ServiceImport backends ---------------------------------------------------------------


def test_A2_service_import_forwards_to_every_exporting_cluster_with_equal_weights():
    """A2: weight 1 when none is given.  The anchor picks one exporter (#777); here the
    weight is split evenly between both clusters' groups."""
    result = two_clusters(east=payments_route(IMPORT_LEDGER) + service_import())
    assert not result.errors, [str(p) for p in result.errors]
    assert the_rule_forwards(result) == [(EAST_LEDGER, 1), (WEST_LEDGER, 1)]
    assert route_condition(result, "HTTPRoute", "payments", "ResolvedRefs", namespace="bank").status == "True"


def test_A3_service_and_service_import_weights_keep_their_ratio_exactly():
    """A3 (10/90 blue/green): the import's 90 is split over two clusters, and every ratio
    of the route's weights is kept exactly: local : (east + west) = 10 : 90."""
    backends = f"[{{name: cash, port: 80, weight: 10}}, {{group: {AWS}, kind: ServiceImport, name: ledger, weight: 90}}]"
    result = two_clusters(east=payments_route(backends) + service_import() + service("cash", ["10.1.9.9"]))
    weights = dict(the_rule_forwards(result))
    local = weights.pop("HTTPRoute/bank/payments/backend/bank/cash:80")
    assert set(weights) == {EAST_LEDGER, WEST_LEDGER}
    assert weights[EAST_LEDGER] == weights[WEST_LEDGER]
    assert Fraction(local, sum(weights.values())) == Fraction(10, 90)


def test_odd_split_scales_every_weight_instead_of_rounding():
    """Weight 1 over two clusters is half a unit each: all weights are doubled."""
    backends = f"[{{name: cash, port: 80, weight: 3}}, {{group: {AWS}, kind: ServiceImport, name: ledger, weight: 1}}]"
    result = two_clusters(east=payments_route(backends) + service_import() + service("cash", ["10.1.9.9"]))
    assert [w for _, w in the_rule_forwards(result)] == [6, 1, 1]


def test_route_in_the_second_cluster_builds_its_service_groups_in_that_clusters_vpc():
    backends = f"[{{name: cash, port: 80, weight: 1}}, {{group: {AWS}, kind: ServiceImport, name: ledger, weight: 1}}]"
    result = two_clusters(west=payments_route(backends) + service_import() + service("cash", ["10.2.9.9"]))
    route = the_route(result, PAYMENTS)
    [own] = route.target_groups
    assert (own.vpc_identifier, own.tags["lattice-gateway/cluster"]) == (WEST_VPC, "west")
    assert result.model.targets[own.key] == (Target("10.2.9.9", 9090),)
    assert [a.gateway for a in route.associations] == ["Gateway/infra/mesh"]
    assert sorted(key for key, _ in the_rule_forwards(result)) == sorted([own.key, EAST_LEDGER, WEST_LEDGER])


def test_cluster_annotation_narrows_the_import_to_one_cluster():
    result = two_clusters(east=payments_route(IMPORT_LEDGER) + service_import(
        annotations=f"{{{AWS}/aws-eks-cluster-name: west}}"))
    assert the_rule_forwards(result) == [(WEST_LEDGER, 1)]


def test_vpc_annotation_narrows_the_import_to_one_cluster():
    result = two_clusters(east=payments_route(IMPORT_LEDGER) + service_import(
        annotations=f"{{{AWS}/aws-vpc: {EAST_VPC}}}"))
    assert the_rule_forwards(result) == [(EAST_LEDGER, 1)]


def test_target_group_arn_with_discovery_annotations_is_conflicting():
    """row 29: ``target-group-arn`` excludes the tag-discovery annotations."""
    annotations = (f"{{{AWS}/target-group-arn: 'arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/"
                   f"tg-0123456789abcdef0', {AWS}/aws-eks-cluster-name: west}}")
    result = two_clusters(east=payments_route(IMPORT_LEDGER) + service_import(annotations=annotations))
    resolved = route_condition(result, "HTTPRoute", "payments", "ResolvedRefs", namespace="bank")
    assert (resolved.status, resolved.reason) == ("False", "ConflictingServiceImportAnnotations")
    assert "target-group-arn" in resolved.message
    [rule] = rules_of(result, PAYMENTS)
    assert rule.action.status_code == 500  # no valid backend left in the rule


def test_import_in_another_namespace_than_the_export_is_backend_not_found():
    """Namespace sameness: an import finds exports of its own namespace only."""
    east = EAST + payments_route(IMPORT_LEDGER, namespace="ops") + service_import(namespace="ops")
    result = plan_clusters({"east": east, "west": WEST}, CLUSTERS)
    resolved = route_condition(result, "HTTPRoute", "payments", "ResolvedRefs", namespace="ops")
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    assert "ops/ledger" in resolved.message


def test_the_same_route_in_both_clusters_is_served_once_and_the_second_is_conflicted():
    route = payments_route(IMPORT_LEDGER) + service_import()
    result = two_clusters(east=route, west=route)
    assert [r.key for r in result.model.routes()] == [PAYMENTS]
    east = status_of_cluster(result, "HTTPRoute", "bank", "payments", "east").parents[0].conditions["Accepted"]
    west = status_of_cluster(result, "HTTPRoute", "bank", "payments", "west").parents[0].conditions["Accepted"]
    assert east.status == "True"
    assert (west.status, west.reason) == ("False", "Conflicted")
    assert "cluster east" in west.message


# --- the whole stack --------------------------------------------------------------------


def test_two_cluster_stack_passes_the_contract_and_records_export_components():
    backends = f"[{{name: cash, port: 80, weight: 10}}, {{group: {AWS}, kind: ServiceImport, name: ledger, weight: 90}}]"
    result = two_clusters(east=payments_route(backends) + service_import() + service("cash", ["10.1.9.9"]))
    assert not result.errors, [str(p) for p in result.errors]
    assert_contract_clean(result.model)
    resources = record_plan(result.model)
    exports = [r.name for r in resources if r.type == "lattice:index:ServiceExport"]
    assert exports == ["ServiceExport/bank/ledger/east", "ServiceExport/bank/ledger/west"]
    groups = {r.name: r for r in resources if r.type == "aws:vpclattice/targetGroup:TargetGroup"}
    assert groups[EAST_LEDGER].parent == planned(resources, "lattice:index:ServiceExport", "ServiceExport/bank/ledger/east").urn
    assert groups[WEST_LEDGER].inputs["config"]["vpcIdentifier"] == WEST_VPC
    [rule] = [r for r in resources if r.type == "aws:vpclattice/listenerRule:ListenerRule"]
    identifiers = [g["targetGroupIdentifier"] for g in rule.inputs["action"]["forward"]["targetGroups"]]
    assert ref_to(resources, "TargetGroup", EAST_LEDGER) in identifiers
    assert ref_to(resources, "TargetGroup", WEST_LEDGER) in identifiers
    associations = [r for r in resources
                    if r.type == "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"]
    assert sorted(a.inputs["vpcIdentifier"] for a in associations) == [EAST_VPC, WEST_VPC]


def test_cli_plans_the_prod_stack_with_both_clusters():
    result = CliRunner().invoke(app, ["plan", "--stack", "prod", "--output", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {o["cluster"] for o in document["objects"]} == {"east", "west"}
    exports = {(o["cluster"], o["name"]) for o in document["objects"] if o["kind"] == "ServiceExport"}
    assert exports == {("east", "ledger"), ("west", "ledger")}
    assert not [p for p in document["problems"] if p["severity"] == "error"]
    types = [r["type"] for r in document["resources"]]
    assert types.count("lattice:index:ServiceExport") == 2


def test_an_export_being_deleted_gives_no_groups_and_says_they_go_at_the_next_apply():
    deleting = export().replace("annotations:", "deletionTimestamp: '2026-12-01T10:00:00Z', annotations:")
    result = plan_clusters({"east": EAST, "west": PLATFORM + service("ledger", ["10.2.0.21"]) + deleting}, CLUSTERS)
    assert set(export_groups(result)) == {EAST_LEDGER}
    [warning] = [p for p in problems_for(result, "ServiceExport", "bank", "ledger") if p.object.cluster == "west"]
    assert (warning.severity, warning.field) == ("warning", "metadata.deletionTimestamp")
    assert "removed at the next apply" in warning.message


def test_an_exported_port_the_service_lacks_invalidates_the_whole_export_naming_the_port():
    """Half an export would let importers reach one protocol and silently miss the other."""
    ports = "[{port: 80, routeType: HTTP}, {port: 8443, routeType: GRPC}]"
    result = plan_clusters({"east": EAST, "west": PLATFORM + service("ledger", ["10.2.0.21"]) + export(ports=ports)},
                           CLUSTERS)
    assert set(export_groups(result)) == {EAST_LEDGER}, "the valid port 80 of the broken export is not exported either"
    valid = status_of_cluster(result, "ServiceExport", "bank", "ledger", "west").conditions["Valid"]
    assert valid.status == "False" and "has no port 8443" in valid.message
    [problem] = [p for p in problems_for(result, "ServiceExport", "bank", "ledger") if p.object.cluster == "west"]
    assert problem.field == "spec.exportedPorts[1].port"


def test_a_service_import_in_another_namespace_without_a_reference_grant_is_not_permitted():
    elsewhere = f"[{{group: {AWS}, kind: ServiceImport, name: ledger, namespace: ledgers}}]"
    result = two_clusters(east=payments_route(elsewhere) + service_import(namespace="ledgers"))
    resolved = route_condition(result, "HTTPRoute", "payments", "ResolvedRefs", namespace="bank")
    assert (resolved.status, resolved.reason) == ("False", "RefNotPermitted")
    assert "no ReferenceGrant in 'ledgers' allows HTTPRoute from 'bank'" in resolved.message
    [rule] = rules_of(result, PAYMENTS)
    assert getattr(rule.action, "status_code", None) == 500, "with its only backend refused, the rule answers 500"


def test_filters_on_a_service_import_backend_refuse_the_route_naming_the_filters():
    filtered = (f"[{{group: {AWS}, kind: ServiceImport, name: ledger, filters: "
                "[{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, value: y}]}}]}]")
    result = two_clusters(east=payments_route(filtered) + service_import())
    assert "HTTPRoute/bank/payments" not in [r.key for r in result.model.routes()]
    [error] = problems_for(result, "HTTPRoute", "bank", "payments", "error")
    assert error.field == "spec.rules[0].backendRefs[0].filters"
    assert "no per-backend filters" in error.message
