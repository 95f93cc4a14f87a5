"""Service networks with a lifetime of their own: the ServiceNetwork object (behaviour
row 4), the stack's default network (row 3) and adoption from stack config (row 2)."""

from __future__ import annotations

from lattice_program.program.mock_plan import record_plan
from lattice_program.vocabulary.settings import ClusterSettings, DefaultServiceNetworkSettings, ServiceNetworkSettings
from tests.support.plans import LATTICE_CLASS, VPC, assert_contract_clean, plan_clusters, plan_yaml, problems_for
from tests.support.plans import status_of, the_route
from tests.support.plans import ref_to

CLASS = LATTICE_CLASS
OTHER_VPC = "vpc-0a1b2c3d4e5f60718"
NETWORK = """
---
apiVersion: application-networking.k8s.aws/v1alpha1
kind: ServiceNetwork
metadata:
  name: shared-net
  annotations: {application-networking.k8s.aws/tags: "team=platform"}
"""
GATEWAY = """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared-net, namespace: infra}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
"""
ROUTE = """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: app}
spec:
  parentRefs: [{name: shared-net, namespace: infra}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec: {ports: [{port: 80}]}
"""


def test_row4_service_network_object_is_declared_on_its_own():
    result = plan_yaml(CLASS + NETWORK)
    [network] = result.model.service_networks
    assert network.key == "ServiceNetwork/shared-net"
    assert network.service_network.name == "shared-net"
    assert network.service_network.tags["team"] == "platform"
    assert network.vpc_associations == ()  # the ServiceNetwork object associates no VPC
    assert status_of(result, "ServiceNetwork", None, "shared-net").conditions["Accepted"].status == "True"
    assert_contract_clean(result.model)


def test_row4_gateway_of_the_same_name_uses_the_declared_network():
    result = plan_yaml(CLASS + NETWORK + GATEWAY + ROUTE)
    [gateway] = result.model.gateways()
    assert gateway.service_network.provided_by == "ServiceNetwork/shared-net"
    assert [a.vpc_identifier for a in gateway.vpc_associations] == [VPC]
    plan = record_plan(result.model)
    networks = [r for r in plan if r.type == "aws:vpclattice/serviceNetwork:ServiceNetwork"]
    assert [r.name for r in networks] == ["ServiceNetwork/shared-net"]  # declared once, not by the Gateway
    association = next(r for r in plan if r.type.endswith("ServiceNetworkVpcAssociation"))
    assert association.inputs["serviceNetworkIdentifier"] == ref_to(plan, "ServiceNetwork", "ServiceNetwork/shared-net")
    route_association = next(r for r in plan if r.type.endswith("ServiceNetworkServiceAssociation"))
    assert route_association.inputs["serviceNetworkIdentifier"] == ref_to(plan, "ServiceNetwork",
                                                                     "ServiceNetwork/shared-net")
    assert any(r.type == "lattice:index:ServiceNetwork" for r in plan)


def test_row3_default_network_takes_the_cluster_vpc():
    result = plan_yaml(CLASS + GATEWAY + ROUTE,
                       default_service_network=DefaultServiceNetworkSettings(name="everything"))
    [network] = result.model.service_networks
    assert [a.vpc_identifier for a in network.vpc_associations] == [VPC]
    [gateway] = result.model.gateways()
    assert gateway.vpc_associations == ()  # one service network per VPC: the default one has it
    # Without override, routes still join their Gateways' networks.
    assert [a.gateway for a in the_route(result).associations] == ["Gateway/infra/shared-net"]


def test_row3_default_network_override_moves_routes_to_it():
    result = plan_yaml(CLASS + GATEWAY + ROUTE,
                       default_service_network=DefaultServiceNetworkSettings(name="everything", override=True))
    assert [a.gateway for a in the_route(result).associations] == ["ServiceNetwork/everything"]
    plan = record_plan(result.model)
    association = next(r for r in plan if r.type.endswith("ServiceNetworkServiceAssociation"))
    assert association.inputs["serviceNetworkIdentifier"] == ref_to(plan, "ServiceNetwork", "ServiceNetwork/everything")


def test_row2_adopted_network_is_never_created():
    adopted = "sn-0123456789abcdef0"
    result = plan_yaml(CLASS + GATEWAY + ROUTE, service_networks={"shared-net": ServiceNetworkSettings(existing=adopted)})
    [gateway] = result.model.gateways()
    assert gateway.service_network.existing == adopted
    plan = record_plan(result.model)
    assert not [r for r in plan if r.type == "aws:vpclattice/serviceNetwork:ServiceNetwork"]
    association = next(r for r in plan if r.type.endswith("ServiceNetworkServiceAssociation"))
    assert association.inputs["serviceNetworkIdentifier"] == adopted


def test_invalid_network_name_is_refused_on_the_object():
    result = plan_yaml(CLASS + NETWORK.replace("shared-net", "a--b"))
    assert result.model.service_networks == ()
    assert status_of(result, "ServiceNetwork", None, "a--b").conditions["Accepted"].reason == "Invalid"


def test_services_per_network_quota_refuses_routes_past_it():
    second = ROUTE.replace("name: web, namespace: app}\nspec:\n  parentRefs", "name: web2, namespace: app}\nspec:\n  parentRefs")
    result = plan_yaml(CLASS + GATEWAY + ROUTE + second, services_per_service_network=1)
    assert [r.key for r in result.model.routes()] == ["HTTPRoute/app/web"]
    refused = status_of(result, "HTTPRoute", "app", "web2").parents[0].conditions["Accepted"]
    assert refused.status == "False" and "servicesPerServiceNetwork" in refused.message


def test_a_bad_tag_on_a_service_network_is_warned_on_that_object_and_the_rest_kept():
    result = plan_yaml(CLASS + NETWORK.replace("team=platform", "team=platform,nokeyvalue"))
    [network] = result.model.service_networks
    assert network.service_network.tags["team"] == "platform"
    [warning] = problems_for(result, "ServiceNetwork", None, "shared-net")
    assert warning.severity == "warning" and "'nokeyvalue' is not key=value" in warning.message
    assert warning.field == "metadata.annotations[application-networking.k8s.aws/tags]"


def test_a_service_network_declared_in_two_clusters_is_one_network_accepted_in_both():
    clusters = [ClusterSettings(name="east", vpc_id=VPC), ClusterSettings(name="west", vpc_id=OTHER_VPC)]
    west = NETWORK.replace("team=platform", "team=elsewhere")
    result = plan_clusters({"east": CLASS + NETWORK, "west": CLASS + west}, clusters)
    [network] = result.model.service_networks
    assert network.service_network.tags["team"] == "platform", "the first cluster's declaration is the network"
    accepted = [s.conditions["Accepted"].status for s in result.statuses
                if (s.ref.kind, s.ref.name) == ("ServiceNetwork", "shared-net")]
    assert accepted == ["True", "True"]


def test_an_invalid_default_network_name_is_a_settings_problem_and_nothing_is_created():
    result = plan_yaml(CLASS + GATEWAY + ROUTE, default_service_network=DefaultServiceNetworkSettings(name="Bad_Name"))
    assert [n.service_network.name for n in result.model.service_networks] == []
    [problem] = [p for p in result.problems if p.field == "lattice-gateway:defaultServiceNetwork.name"]
    assert problem.object is None and "'Bad_Name' is not a valid service network name" in problem.message
    [gateway] = result.model.gateways()
    assert [a.vpc_identifier for a in gateway.vpc_associations] == [VPC], "the Gateway keeps the cluster's VPC"


def test_a_gateway_of_a_class_that_does_not_exist_is_ignored_with_a_warning_until_it_does():
    result = plan_yaml(CLASS + GATEWAY.replace("gatewayClassName: amazon-vpc-lattice", "gatewayClassName: missing")
                       + ROUTE)
    assert result.model.gateways() == ()
    [warning] = problems_for(result, "Gateway", "infra", "shared-net")
    assert (warning.severity, warning.field) == ("warning", "spec.gatewayClassName")
    assert "GatewayClass 'missing' not found" in warning.message


def test_gateway_infrastructure_is_warned_as_ignored_and_the_gateway_still_served():
    infrastructure = GATEWAY.replace("  listeners:", "  infrastructure: {labels: {team: a}}\n  listeners:")
    result = plan_yaml(CLASS + infrastructure + ROUTE)
    assert [g.key for g in result.model.gateways()] == ["Gateway/infra/shared-net"]
    [warning] = problems_for(result, "Gateway", "infra", "shared-net")
    assert (warning.severity, warning.field) == ("warning", "spec.infrastructure")
    assert "the field is ignored" in warning.message


def test_two_clusters_in_one_vpc_associate_that_vpc_with_the_gateway_once():
    clusters = [ClusterSettings(name="east", vpc_id=VPC), ClusterSettings(name="west", vpc_id=VPC)]
    result = plan_clusters({"east": CLASS + GATEWAY + ROUTE, "west": CLASS + GATEWAY}, clusters)
    [gateway] = result.model.gateways()
    assert [a.vpc_identifier for a in gateway.vpc_associations] == [VPC]
    assert_contract_clean(result.model)
