"""The components under Pulumi's mock runtime: resolved inputs, wiring, parents, outputs.

Every assertion is on values the mocks actually received or on outputs awaited to their
resolved value (never inside an ``.apply`` that might not run).
"""

from __future__ import annotations

import dataclasses

import pulumi
import pytest
from pulumi.runtime.settings import get_root_resource

from components.gateway import Gateway, GatewayArgs
from components.gateway_class import GatewayClass, GatewayClassArgs
from components.route import Route, RouteArgs
from components.specs import (
    AccessLogSpec,
    FixedResponseAction,
    ForwardAction,
    GatewayClassSpec,
    GatewaySpec,
    HeaderMatchSpec,
    HealthCheckSpec,
    HttpMatchSpec,
    LatticeModel,
    ListenerSpec,
    PathMatchSpec,
    RouteSpec,
    RuleSpec,
    ServiceNetworkAssociationSpec,
    ServiceNetworkSpec,
    ServiceSpec,
    TargetGroupSpec,
    VpcAssociationSpec,
    WeightedTargetGroup,
)
from lattice_program.program.declare import declare
from tests.support.pulumi_runtime import Registration

SN = "aws:vpclattice/serviceNetwork:ServiceNetwork"
VPC_ASSOC = "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"
SERVICE = "aws:vpclattice/service:Service"
SVC_ASSOC = "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation"
TG = "aws:vpclattice/targetGroup:TargetGroup"
LISTENER = "aws:vpclattice/listener:Listener"
RULE = "aws:vpclattice/listenerRule:ListenerRule"

ROUTE_KEY = "HTTPRoute/shop/cart"
MAIN_GW = "Gateway/infra/main"
ADOPTED_GW = "Gateway/infra/shared"
ADOPTED_SN = "sn-0123456789abcdef0"
TG_V1 = "TargetGroup/shop/cart-v1:8080"
TG_V2 = "TargetGroup/shop/cart-v2:8080"


def urn_name(urn: str) -> str:
    return urn.split("::")[-1]


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


# --- specs ---------------------------------------------------------------------------


def main_gateway() -> GatewaySpec:
    return GatewaySpec(
        key=MAIN_GW,
        service_network=ServiceNetworkSpec(
            name="main-infra", auth_type="AWS_IAM", tags={"team": "platform"}
        ),
        vpc_associations=(
            VpcAssociationSpec(
                key="cluster-a", vpc_identifier="vpc-aaa", security_group_ids=("sg-1", "sg-2")
            ),
            VpcAssociationSpec(key="cluster-b", vpc_identifier="vpc-bbb", tags={"c": "b"}),
        ),
    )


def adopted_gateway(existing: str = ADOPTED_SN) -> GatewaySpec:
    return GatewaySpec(
        key=ADOPTED_GW,
        service_network=ServiceNetworkSpec(name="shared", existing=existing),
        vpc_associations=(VpcAssociationSpec(key="cluster-a", vpc_identifier="vpc-aaa"),),
    )


def cart_route(kind: str = "HTTPRoute", key: str = ROUTE_KEY) -> RouteSpec:
    split = ForwardAction((WeightedTargetGroup(TG_V1, 80), WeightedTargetGroup(TG_V2, 20)))
    header_rule = RuleSpec(
        key="checkout",
        name="cart-checkout",
        priority=10,
        match=HttpMatchSpec(
            method="POST",
            path=PathMatchSpec(kind="exact", value="/checkout"),
            headers=(HeaderMatchSpec(name="x-canary", value="yes"),),
        ),
        action=split,
    )
    prefix_rule = RuleSpec(
        key="admin",
        name="cart-admin",
        priority=20,
        match=HttpMatchSpec(
            path=PathMatchSpec(kind="prefix", value="/admin", case_sensitive=False)
        ),
        action=FixedResponseAction(status_code=500),
        tags={"rule": "admin"},
    )
    return RouteSpec(
        key=key,
        kind=kind,
        service=ServiceSpec(
            name="cart-shop",
            custom_domain_name="cart.example.com",
            certificate_arn="arn:aws:acm:us-east-1:111122223333:certificate/abc",
            tags={"route": "cart"},
        ),
        associations=(
            ServiceNetworkAssociationSpec(gateway=MAIN_GW),
            ServiceNetworkAssociationSpec(gateway=ADOPTED_GW),
        ),
        listeners=(
            ListenerSpec(
                key="80-HTTP",
                name="cart-80",
                port=80,
                protocol="HTTP",
                default_action=FixedResponseAction(status_code=404),
                rules=(header_rule, prefix_rule),
            ),
            ListenerSpec(
                key="443-HTTPS",
                name="cart-443",
                port=443,
                protocol="HTTPS",
                default_action=split,
            ),
        ),
        target_groups=(
            TargetGroupSpec(
                key=TG_V1,
                name="cart-v1-8080",
                port=8080,
                protocol="HTTP",
                protocol_version="HTTP1",
                vpc_identifier="vpc-aaa",
                health_check=HealthCheckSpec(
                    enabled=True,
                    protocol="HTTP",
                    path="/healthz",
                    matcher="200-299",
                    interval_seconds=15,
                    timeout_seconds=5,
                    healthy_threshold_count=3,
                ),
            ),
            TargetGroupSpec(
                key=TG_V2,
                name="cart-v2-8080",
                port=8080,
                protocol="HTTP",
                protocol_version=None,
                vpc_identifier="vpc-aaa",
                ip_address_type="IPV6",
            ),
        ),
    )


def model(*routes: RouteSpec) -> LatticeModel:
    return LatticeModel(
        gateway_classes=(
            GatewayClassSpec(
                key="amazon-vpc-lattice",
                controller_name="application-networking.k8s.aws/gateway-api-controller",
                gateways=(main_gateway(), adopted_gateway()),
                routes=routes or (cart_route(),),
            ),
        )
    )


# --- Gateway -------------------------------------------------------------------------


def test_gateway_creates_its_network_and_one_association_per_vpc(runtime):
    gateway = Gateway(MAIN_GW, GatewayArgs(spec=main_gateway()))
    mocks = runtime.settle()

    component = mocks.get("lattice:index:Gateway", MAIN_GW)
    assert not component.custom and component.inputs == {}

    network = mocks.get(SN, MAIN_GW)
    assert network.inputs == {
        "name": "main-infra",
        "authType": "AWS_IAM",
        "tags": {"team": "platform"},
    }
    assert urn_type(network.parent_urn) == "lattice:index:Gateway"
    assert urn_name(network.parent_urn) == MAIN_GW

    associations = mocks.of_type(VPC_ASSOC)
    assert associations[f"{MAIN_GW}/cluster-a"].inputs == {
        "serviceNetworkIdentifier": f"id:{MAIN_GW}",
        "vpcIdentifier": "vpc-aaa",
        "securityGroupIds": ["sg-1", "sg-2"],
    }
    # No security groups: the input is left out rather than sent empty.
    assert associations[f"{MAIN_GW}/cluster-b"].inputs == {
        "serviceNetworkIdentifier": f"id:{MAIN_GW}",
        "vpcIdentifier": "vpc-bbb",
        "tags": {"c": "b"},
    }
    assert {urn_name(a.parent_urn) for a in associations.values()} == {MAIN_GW}

    assert set(gateway.vpc_associations) == {"cluster-a", "cluster-b"}
    assert runtime.resolve(gateway.service_network_id) == f"id:{MAIN_GW}"
    assert runtime.resolve(gateway.service_network_arn) == f"arn:{MAIN_GW}"


def test_adopted_network_is_never_declared_and_its_id_is_used_verbatim(runtime):
    gateway = Gateway(ADOPTED_GW, GatewayArgs(spec=adopted_gateway()))
    mocks = runtime.settle()

    assert mocks.of_type(SN) == {}
    assert gateway.service_network is None
    association = mocks.get(VPC_ASSOC, f"{ADOPTED_GW}/cluster-a")
    assert association.inputs["serviceNetworkIdentifier"] == ADOPTED_SN
    assert runtime.resolve(gateway.service_network_id) == ADOPTED_SN
    assert runtime.resolve(gateway.service_network_arn) is None


def test_adopted_network_given_by_arn_yields_its_id_and_arn(runtime):
    arn = f"arn:aws:vpc-lattice:us-east-1:111122223333:servicenetwork/{ADOPTED_SN}"
    gateway = Gateway(ADOPTED_GW, GatewayArgs(spec=adopted_gateway(existing=arn)))
    mocks = runtime.settle()

    assert mocks.get(VPC_ASSOC, f"{ADOPTED_GW}/cluster-a").inputs["serviceNetworkIdentifier"] == arn
    assert runtime.resolve(gateway.service_network_id) == ADOPTED_SN
    assert runtime.resolve(gateway.service_network_arn) == arn


# --- Route ---------------------------------------------------------------------------


def declare_route(spec: RouteSpec) -> Route:
    return Route(
        spec.key,
        RouteArgs(
            spec=spec,
            service_network_ids={
                MAIN_GW: pulumi.Output.from_input("sn-main"),
                ADOPTED_GW: ADOPTED_SN,
            },
        ),
    )


def test_route_service_and_associations(runtime):
    route = declare_route(cart_route())
    mocks = runtime.settle()

    component = mocks.get("lattice:index:HTTPRoute", ROUTE_KEY)
    assert not component.custom
    assert mocks.get(SERVICE, ROUTE_KEY).inputs == {
        "name": "cart-shop",
        "customDomainName": "cart.example.com",
        "certificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/abc",
        "authType": "NONE",
        "tags": {"route": "cart"},
    }
    associations = mocks.of_type(SVC_ASSOC)
    assert associations[f"{ROUTE_KEY}->{MAIN_GW}"].inputs == {
        "serviceIdentifier": f"id:{ROUTE_KEY}",
        "serviceNetworkIdentifier": "sn-main",
    }
    assert associations[f"{ROUTE_KEY}->{ADOPTED_GW}"].inputs == {
        "serviceIdentifier": f"id:{ROUTE_KEY}",
        "serviceNetworkIdentifier": ADOPTED_SN,
    }
    assert set(route.associations) == {MAIN_GW, ADOPTED_GW}

    children = [r for r in mocks.registered.values() if r.custom]
    assert len(children) == 1 + 2 + 2 + 2 + 2  # service, associations, TGs, listeners, rules
    for child in children:
        assert urn_type(child.parent_urn) == "lattice:index:HTTPRoute"
        assert urn_name(child.parent_urn) == ROUTE_KEY


def test_route_target_groups(runtime):
    route = declare_route(cart_route())
    mocks = runtime.settle()

    assert mocks.get(TG, TG_V1).inputs == {
        "name": "cart-v1-8080",
        "type": "IP",
        "config": {
            "port": 8080,
            "protocol": "HTTP",
            "protocolVersion": "HTTP1",
            "vpcIdentifier": "vpc-aaa",
            "ipAddressType": "IPV4",
            "healthCheck": {
                "enabled": True,
                "protocol": "HTTP",
                "path": "/healthz",
                "matcher": {"value": "200-299"},
                "healthCheckIntervalSeconds": 15,
                "healthCheckTimeoutSeconds": 5,
                "healthyThresholdCount": 3,
            },
        },
    }
    assert mocks.get(TG, TG_V2).inputs == {
        "name": "cart-v2-8080",
        "type": "IP",
        "config": {
            "port": 8080,
            "protocol": "HTTP",
            "vpcIdentifier": "vpc-aaa",
            "ipAddressType": "IPV6",
        },
    }
    assert set(route.target_groups) == {TG_V1, TG_V2}


def test_route_listeners(runtime):
    route = declare_route(cart_route())
    mocks = runtime.settle()

    assert mocks.get(LISTENER, f"{ROUTE_KEY}/80-HTTP").inputs == {
        "name": "cart-80",
        "port": 80,
        "protocol": "HTTP",
        "serviceIdentifier": f"id:{ROUTE_KEY}",
        "defaultAction": {"fixedResponse": {"statusCode": 404}},
    }
    assert mocks.get(LISTENER, f"{ROUTE_KEY}/443-HTTPS").inputs == {
        "name": "cart-443",
        "port": 443,
        "protocol": "HTTPS",
        "serviceIdentifier": f"id:{ROUTE_KEY}",
        "defaultAction": {
            "forwards": [
                {
                    "targetGroups": [
                        {"targetGroupIdentifier": f"id:{TG_V1}", "weight": 80},
                        {"targetGroupIdentifier": f"id:{TG_V2}", "weight": 20},
                    ]
                }
            ]
        },
    }
    assert set(route.listeners) == {"80-HTTP", "443-HTTPS"}


def test_route_rules(runtime):
    route = declare_route(cart_route())
    mocks = runtime.settle()
    listener_id = f"listener-id:{ROUTE_KEY}/80-HTTP"

    assert mocks.get(RULE, f"{ROUTE_KEY}/80-HTTP/checkout").inputs == {
        "name": "cart-checkout",
        "priority": 10,
        "serviceIdentifier": f"id:{ROUTE_KEY}",
        "listenerIdentifier": listener_id,
        "match": {
            "httpMatch": {
                "method": "POST",
                "pathMatch": {"caseSensitive": True, "match": {"exact": "/checkout"}},
                "headerMatches": [
                    {"name": "x-canary", "caseSensitive": True, "match": {"exact": "yes"}}
                ],
            }
        },
        "action": {
            "forward": {
                "targetGroups": [
                    {"targetGroupIdentifier": f"id:{TG_V1}", "weight": 80},
                    {"targetGroupIdentifier": f"id:{TG_V2}", "weight": 20},
                ]
            }
        },
    }
    assert mocks.get(RULE, f"{ROUTE_KEY}/80-HTTP/admin").inputs == {
        "name": "cart-admin",
        "priority": 20,
        "serviceIdentifier": f"id:{ROUTE_KEY}",
        "listenerIdentifier": listener_id,
        "match": {
            "httpMatch": {"pathMatch": {"caseSensitive": False, "match": {"prefix": "/admin"}}}
        },
        "action": {"fixedResponse": {"statusCode": 500}},
        "tags": {"rule": "admin"},
    }
    assert set(route.rules) == {"80-HTTP", "443-HTTPS"}
    assert set(route.rules["80-HTTP"]) == {"checkout", "admin"} and route.rules["443-HTTPS"] == {}


def test_rules_run_from_the_highest_priority_number_down(runtime):
    spec = cart_route()
    listener = spec.listeners[0]
    third = RuleSpec(
        key="late",
        name="cart-late",
        priority=15,
        match=HttpMatchSpec(path=PathMatchSpec(kind="prefix", value="/late")),
        action=FixedResponseAction(status_code=503),
    )
    spec = RouteSpec(
        key=spec.key,
        kind=spec.kind,
        service=spec.service,
        associations=spec.associations,
        listeners=(
            ListenerSpec(
                key=listener.key,
                name=listener.name,
                port=listener.port,
                protocol=listener.protocol,
                default_action=listener.default_action,
                rules=listener.rules + (third,),
            ),
        ),
        target_groups=spec.target_groups,
    )
    declare_route(spec)
    mocks = runtime.settle()

    def rule(key: str) -> Registration:
        return mocks.get(RULE, f"{ROUTE_KEY}/80-HTTP/{key}")

    def rule_urns(reg: Registration):
        return [urn_name(u) for u in reg.dependencies if urn_type(u) == RULE]

    # priorities: admin 20, late 15, checkout 10
    assert rule_urns(rule("admin")) == []
    assert rule_urns(rule("late")) == [f"{ROUTE_KEY}/80-HTTP/admin"]
    assert rule_urns(rule("checkout")) == [f"{ROUTE_KEY}/80-HTTP/late"]
    assert all(rule(k).delete_before_replace for k in ("admin", "late", "checkout"))
    assert mocks.get(LISTENER, f"{ROUTE_KEY}/80-HTTP").delete_before_replace


def test_route_kind_picks_the_type_token(runtime):
    declare_route(cart_route(kind="GRPCRoute", key="GRPCRoute/shop/cart"))
    mocks = runtime.settle()

    component = mocks.get("lattice:index:GRPCRoute", "GRPCRoute/shop/cart")
    assert not component.custom and component.type == "lattice:index:GRPCRoute"
    assert mocks.of_type("lattice:index:HTTPRoute") == {}, "a GRPCRoute was also declared as an HTTPRoute"
    service = mocks.get(SERVICE, "GRPCRoute/shop/cart")
    assert urn_type(service.parent_urn) == "lattice:index:GRPCRoute"


def test_bad_route_kind_is_refused_with_the_field_named(runtime):
    with pytest.raises(ValueError, match=r"route kind 'httproute'.*RouteSpec\.kind"):
        declare_route(cart_route(kind="httproute"))


def test_dangling_target_group_reference_is_refused_before_any_child(runtime):
    spec = cart_route()
    broken_listener = ListenerSpec(
        key="80-HTTP",
        name="cart-80",
        port=80,
        protocol="HTTP",
        default_action=ForwardAction((WeightedTargetGroup("TargetGroup/shop/gone:80", 1),)),
    )
    spec = RouteSpec(
        key=spec.key,
        kind=spec.kind,
        service=spec.service,
        listeners=(broken_listener,),
        target_groups=spec.target_groups,
    )
    with pytest.raises(ValueError) as caught:
        declare_route(spec)
    message = str(caught.value)
    assert ROUTE_KEY in message and "'80-HTTP' default action" in message
    assert "'TargetGroup/shop/gone:80'" in message and "add a TargetGroupSpec" in message
    assert runtime.settle().of_type(SERVICE) == {}


def test_association_with_unknown_gateway_is_refused(runtime):
    spec = cart_route()
    with pytest.raises(ValueError, match=r"gateway 'Gateway/infra/main': no service network"):
        Route(spec.key, RouteArgs(spec=spec, service_network_ids={ADOPTED_GW: ADOPTED_SN}))


# --- GatewayClass and the program ----------------------------------------------------


def test_gateway_class_wires_routes_to_its_gateways(runtime):
    spec = model().gateway_classes[0]
    gateway_class = GatewayClass(spec.key, GatewayClassArgs(spec=spec))
    mocks = runtime.settle()

    assert set(gateway_class.gateways) == {MAIN_GW, ADOPTED_GW}
    assert set(gateway_class.routes) == {ROUTE_KEY}
    for typ, name in (("lattice:index:Gateway", MAIN_GW), ("lattice:index:HTTPRoute", ROUTE_KEY)):
        reg = mocks.get(typ, name)
        assert urn_type(reg.parent_urn) == "lattice:index:GatewayClass"
        assert urn_name(reg.parent_urn) == "amazon-vpc-lattice"
    top = mocks.get("lattice:index:GatewayClass", "amazon-vpc-lattice")
    assert urn_type(top.parent_urn) == "pulumi:pulumi:Stack"
    # The created network's ID reaches the route's association; the adopted one verbatim.
    associations = mocks.of_type(SVC_ASSOC)
    assert (
        associations[f"{ROUTE_KEY}->{MAIN_GW}"].inputs["serviceNetworkIdentifier"]
        == f"id:{MAIN_GW}"
    )
    assert (
        associations[f"{ROUTE_KEY}->{ADOPTED_GW}"].inputs["serviceNetworkIdentifier"] == ADOPTED_SN
    )


def test_program_exports_stable_stack_outputs(runtime):
    handles = declare(model())
    runtime.settle()

    exports = runtime.resolve(dict(handles.exports))
    assert exports == {
        ROUTE_KEY: {
            "serviceArn": f"arn:{ROUTE_KEY}",
            "serviceId": f"id:{ROUTE_KEY}",
            "dnsName": "cart-shop.lattice.example",
            "customDomainName": "cart.example.com",
        },
        MAIN_GW: {"serviceNetworkArn": f"arn:{MAIN_GW}", "serviceNetworkId": f"id:{MAIN_GW}"},
        ADOPTED_GW: {"serviceNetworkArn": None, "serviceNetworkId": ADOPTED_SN},
        "targetGroups": {TG_V1: f"id:{TG_V1}", TG_V2: f"id:{TG_V2}"},
        "rulePriorities": {f"{ROUTE_KEY}/80-HTTP": {"checkout": 10, "admin": 20}, f"{ROUTE_KEY}/443-HTTPS": {}},
    }
    # The same values are what the stack exports.
    stack_outputs = runtime.resolve(dict(get_root_resource().outputs))
    assert stack_outputs == exports
    assert set(handles.routes) == {ROUTE_KEY} and set(handles.gateways) == {MAIN_GW, ADOPTED_GW}


def test_dns_name_is_none_while_lattice_has_assigned_none(runtime_without_dns):
    handles = declare(model())
    runtime_without_dns.settle()

    assert runtime_without_dns.resolve(handles.exports[ROUTE_KEY]["dnsName"]) is None
    assert runtime_without_dns.resolve(handles.exports[ROUTE_KEY]["serviceId"]) == f"id:{ROUTE_KEY}"


def test_program_refuses_duplicate_keys_before_declaring_anything(runtime):
    duplicated = model(cart_route(), cart_route())
    with pytest.raises(ValueError) as caught:
        declare(duplicated)
    message = str(caught.value)
    assert f"'{ROUTE_KEY}' appears 2 times" in message
    assert f"target group key '{TG_V1}' appears 2 times" in message
    assert runtime.settle().registered == {}


# --- auth policies and access logs (anchor rows 30, 31) ---------------------------------

AUTH_POLICY = "aws:vpclattice/authPolicy:AuthPolicy"
ACCESS_LOG = "aws:vpclattice/accessLogSubscription:AccessLogSubscription"
POLICY_JSON = '{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}'
S3_BUCKET = "arn:aws:s3:::access-logs"
LOG_GROUP = "arn:aws:logs:us-east-1:111122223333:log-group:lattice"
POLICY_LOGS = (
    AccessLogSpec(key="s3", destination_arn=S3_BUCKET, tags={"lattice-gateway/policy": "AccessLogPolicy/infra/s3"}),
    AccessLogSpec(key="cloudwatch-logs", destination_arn=LOG_GROUP),
)


def test_gateway_puts_auth_policy_and_access_logs_on_its_created_network(runtime):
    """rows 30, 31: the auth policy names the network by ID, access logs by ARN."""
    spec = main_gateway()
    spec = dataclasses.replace(
        spec,
        service_network=dataclasses.replace(spec.service_network, auth_policy=POLICY_JSON),
        access_logs=POLICY_LOGS,
    )
    gateway = Gateway(MAIN_GW, GatewayArgs(spec=spec))
    mocks = runtime.settle()

    policy = mocks.get(AUTH_POLICY, f"{MAIN_GW}/auth-policy")
    assert policy.inputs == {"resourceIdentifier": f"id:{MAIN_GW}", "policy": POLICY_JSON}
    logs = mocks.of_type(ACCESS_LOG)
    assert logs[f"{MAIN_GW}/access-log/s3"].inputs == {
        "resourceIdentifier": f"arn:{MAIN_GW}",
        "destinationArn": S3_BUCKET,
        "tags": {"lattice-gateway/policy": "AccessLogPolicy/infra/s3"},
    }
    assert logs[f"{MAIN_GW}/access-log/cloudwatch-logs"].inputs == {
        "resourceIdentifier": f"arn:{MAIN_GW}",
        "destinationArn": LOG_GROUP,
    }
    for child in [policy, *logs.values()]:
        assert urn_type(child.parent_urn) == "lattice:index:Gateway"
        assert urn_name(child.parent_urn) == MAIN_GW
    # A new destination of one type must delete the old subscription first: Lattice takes
    # one per type per resource.
    assert all(log.delete_before_replace for log in logs.values())
    assert gateway.auth_policy is not None
    assert set(gateway.access_logs) == {"s3", "cloudwatch-logs"}


def test_adopted_network_gets_auth_policy_and_access_logs_on_the_given_identifier(runtime):
    """rows 30, 31: an adopted network is never declared, its policies still are."""
    spec = adopted_gateway()
    spec = dataclasses.replace(
        spec,
        service_network=dataclasses.replace(spec.service_network, auth_policy=POLICY_JSON),
        access_logs=POLICY_LOGS[:1],
    )
    gateway = Gateway(ADOPTED_GW, GatewayArgs(spec=spec))
    mocks = runtime.settle()

    assert mocks.of_type(SN) == {}
    assert mocks.get(AUTH_POLICY, f"{ADOPTED_GW}/auth-policy").inputs == {
        "resourceIdentifier": ADOPTED_SN,
        "policy": POLICY_JSON,
    }
    assert mocks.get(ACCESS_LOG, f"{ADOPTED_GW}/access-log/s3").inputs["resourceIdentifier"] == ADOPTED_SN
    assert set(gateway.access_logs) == {"s3"}


def test_gateway_without_policies_declares_none(runtime):
    """rows 30, 31: nothing asked, nothing declared."""
    gateway = Gateway(MAIN_GW, GatewayArgs(spec=main_gateway()))
    mocks = runtime.settle()
    assert mocks.of_type(AUTH_POLICY) == {} and mocks.of_type(ACCESS_LOG) == {}
    assert gateway.auth_policy is None and gateway.access_logs == {}


def test_route_puts_auth_policy_and_access_logs_on_its_service(runtime):
    """rows 30, 31: the service's ID for the auth policy, its ARN for access logs."""
    spec = cart_route()
    spec = dataclasses.replace(
        spec,
        service=dataclasses.replace(spec.service, auth_type="AWS_IAM", auth_policy=POLICY_JSON),
        access_logs=POLICY_LOGS,
    )
    route = declare_route(spec)
    mocks = runtime.settle()

    assert mocks.get(SERVICE, ROUTE_KEY).inputs["authType"] == "AWS_IAM"
    policy = mocks.get(AUTH_POLICY, f"{ROUTE_KEY}/auth-policy")
    assert policy.inputs == {"resourceIdentifier": f"id:{ROUTE_KEY}", "policy": POLICY_JSON}
    logs = mocks.of_type(ACCESS_LOG)
    assert {name: log.inputs["resourceIdentifier"] for name, log in logs.items()} == {
        f"{ROUTE_KEY}/access-log/s3": f"arn:{ROUTE_KEY}",
        f"{ROUTE_KEY}/access-log/cloudwatch-logs": f"arn:{ROUTE_KEY}",
    }
    assert logs[f"{ROUTE_KEY}/access-log/cloudwatch-logs"].inputs["destinationArn"] == LOG_GROUP
    for child in [policy, *logs.values()]:
        assert urn_type(child.parent_urn) == "lattice:index:HTTPRoute"
    assert route.auth_policy is not None and set(route.access_logs) == {"s3", "cloudwatch-logs"}


def test_two_access_logs_with_one_key_are_refused_before_any_child(runtime):
    """row 31: one subscription per destination type; a model with two is a bug."""
    spec = dataclasses.replace(cart_route(), access_logs=(POLICY_LOGS[0], POLICY_LOGS[0]))
    with pytest.raises(ValueError, match=r"access log key\(s\) \['s3'\] appear more than once"):
        declare_route(spec)
    assert [reg for reg in runtime.settle().registered.values() if reg.custom] == []
