"""Service networks with a lifetime of their own: the ServiceNetwork object (behaviour
row 4), the stack's default network (row 3) and adoption from stack config (row 2)."""

from __future__ import annotations

from lattice_program.program.mock_plan import record_plan
from lattice_program.vocabulary.settings import DefaultServiceNetworkSettings, ServiceNetworkSettings
from tests.support.plans import LATTICE_CLASS, VPC, assert_contract_clean, plan_yaml, status_of, the_route
from tests.support.plans import ref_to

CLASS = LATTICE_CLASS
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
