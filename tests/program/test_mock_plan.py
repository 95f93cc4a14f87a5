"""record_plan: the program under mocks, recorded with URNs and references as ``ref:<URN>``."""

from __future__ import annotations

import asyncio
import json

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, reset_options, set_mocks
from pulumi.runtime.settings import get_project
from pulumi.runtime.stack import wait_for_rpcs

from components.specs import (
    FixedResponseAction,
    ForwardAction,
    GatewayClassSpec,
    GatewaySpec,
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
from lattice_program.program.mock_plan import PlannedResource, record_plan, record_program

GC = "amazon-vpc-lattice"
GW = "Gateway/infra/main"
ADOPTED = "Gateway/infra/legacy"
ROUTE = "HTTPRoute/shop/cart"
TG = "TargetGroup/shop/cart:8080"
LISTENER = f"{ROUTE}/80-HTTP"

# The engine qualifies a type with its parents' whole type chain.
CLASS_T = "lattice:index:GatewayClass"
GATEWAY_T = f"{CLASS_T}$lattice:index:Gateway"
ROUTE_T = f"{CLASS_T}$lattice:index:HTTPRoute"


def urn(chain: str, name: str) -> str:
    return f"urn:pulumi:dev::lattice-gateway::{chain}::{name}"


GC_URN = urn(CLASS_T, GC)
GW_URN = urn(GATEWAY_T, GW)
NETWORK_URN = urn(f"{GATEWAY_T}$aws:vpclattice/serviceNetwork:ServiceNetwork", GW)
ROUTE_URN = urn(ROUTE_T, ROUTE)
SERVICE_URN = urn(f"{ROUTE_T}$aws:vpclattice/service:Service", ROUTE)
TG_URN = urn(f"{ROUTE_T}$aws:vpclattice/targetGroup:TargetGroup", TG)
LISTENER_URN = urn(f"{ROUTE_T}$aws:vpclattice/listener:Listener", LISTENER)


def small_model(route_key: str = ROUTE) -> LatticeModel:
    route = RouteSpec(
        key=route_key,
        kind="HTTPRoute",
        service=ServiceSpec(name="cart-shop"),
        associations=(
            ServiceNetworkAssociationSpec(gateway=GW),
            ServiceNetworkAssociationSpec(gateway=ADOPTED),
        ),
        listeners=(
            ListenerSpec(
                key="80-HTTP",
                name="cart-80",
                port=80,
                protocol="HTTP",
                default_action=FixedResponseAction(status_code=404),
                rules=(
                    RuleSpec(
                        key="api",
                        name="cart-api",
                        priority=1,
                        match=HttpMatchSpec(path=PathMatchSpec(kind="prefix", value="/api")),
                        action=ForwardAction((WeightedTargetGroup(TG, 1),)),
                    ),
                ),
            ),
        ),
        target_groups=(
            TargetGroupSpec(
                key=TG,
                name="cart-8080",
                port=8080,
                protocol="HTTP",
                protocol_version="HTTP1",
                vpc_identifier="vpc-aaa",
            ),
        ),
    )
    return LatticeModel(
        gateway_classes=(
            GatewayClassSpec(
                key=GC,
                controller_name="application-networking.k8s.aws/gateway-api-controller",
                gateways=(
                    GatewaySpec(
                        key=GW,
                        service_network=ServiceNetworkSpec(name="main-infra"),
                        vpc_associations=(
                            VpcAssociationSpec(key="cluster-a", vpc_identifier="vpc-aaa"),
                        ),
                    ),
                    GatewaySpec(
                        key=ADOPTED,
                        service_network=ServiceNetworkSpec(
                            name="legacy", existing="sn-0aaaaaaaaaaaaaaaa"
                        ),
                    ),
                ),
                routes=(route,),
            ),
        )
    )


EXPECTED = [
    PlannedResource(GC_URN, "lattice:index:GatewayClass", GC, None, {}),
    PlannedResource(GW_URN, "lattice:index:Gateway", GW, GC_URN, {}),
    PlannedResource(
        NETWORK_URN,
        "aws:vpclattice/serviceNetwork:ServiceNetwork",
        GW,
        GW_URN,
        {"authType": "NONE", "name": "main-infra"},
    ),
    PlannedResource(
        urn(f"{GATEWAY_T}$aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation", f"{GW}/cluster-a"),
        "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation",
        f"{GW}/cluster-a",
        GW_URN,
        {"serviceNetworkIdentifier": f"ref:{NETWORK_URN}", "vpcIdentifier": "vpc-aaa"},
    ),
    PlannedResource(urn(GATEWAY_T, ADOPTED), "lattice:index:Gateway", ADOPTED, GC_URN, {}),
    PlannedResource(ROUTE_URN, "lattice:index:HTTPRoute", ROUTE, GC_URN, {}),
    PlannedResource(
        SERVICE_URN, "aws:vpclattice/service:Service", ROUTE, ROUTE_URN, {"authType": "NONE", "name": "cart-shop"}
    ),
    PlannedResource(
        urn(f"{ROUTE_T}$aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation", f"{ROUTE}->{GW}"),
        "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation",
        f"{ROUTE}->{GW}",
        ROUTE_URN,
        {"serviceIdentifier": f"ref:{SERVICE_URN}", "serviceNetworkIdentifier": f"ref:{NETWORK_URN}"},
    ),
    PlannedResource(
        urn(f"{ROUTE_T}$aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation", f"{ROUTE}->{ADOPTED}"),
        "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation",
        f"{ROUTE}->{ADOPTED}",
        ROUTE_URN,
        {"serviceIdentifier": f"ref:{SERVICE_URN}", "serviceNetworkIdentifier": "sn-0aaaaaaaaaaaaaaaa"},
    ),
    PlannedResource(
        TG_URN,
        "aws:vpclattice/targetGroup:TargetGroup",
        TG,
        ROUTE_URN,
        {
            "config": {
                "ipAddressType": "IPV4",
                "port": 8080,
                "protocol": "HTTP",
                "protocolVersion": "HTTP1",
                "vpcIdentifier": "vpc-aaa",
            },
            "name": "cart-8080",
            "type": "IP",
        },
    ),
    PlannedResource(
        LISTENER_URN,
        "aws:vpclattice/listener:Listener",
        LISTENER,
        ROUTE_URN,
        {
            "defaultAction": {"fixedResponse": {"statusCode": 404}},
            "name": "cart-80",
            "port": 80,
            "protocol": "HTTP",
            "serviceIdentifier": f"ref:{SERVICE_URN}",
        },
    ),
    PlannedResource(
        urn(f"{ROUTE_T}$aws:vpclattice/listenerRule:ListenerRule", f"{LISTENER}/api"),
        "aws:vpclattice/listenerRule:ListenerRule",
        f"{LISTENER}/api",
        ROUTE_URN,
        {
            "action": {
                "forward": {"targetGroups": [{"targetGroupIdentifier": f"ref:{TG_URN}", "weight": 1}]}
            },
            "listenerIdentifier": f"ref:{LISTENER_URN}",
            "match": {
                "httpMatch": {"pathMatch": {"caseSensitive": True, "match": {"prefix": "/api"}}}
            },
            "name": "cart-api",
            "priority": 1,
            "serviceIdentifier": f"ref:{SERVICE_URN}",
        },
    ),
]


def test_plan_lists_every_resource_in_declaration_order_with_refs():
    assert record_plan(small_model()) == EXPECTED


def test_numbers_are_ints_and_keys_sorted():
    plan = {p.name: p for p in record_plan(small_model())}
    listener = plan[LISTENER].inputs
    assert type(listener["port"]) is int
    assert type(listener["defaultAction"]["fixedResponse"]["statusCode"]) is int
    assert list(listener) == sorted(listener)


def test_plan_is_deterministic_and_repeatable_in_one_process():
    first = record_plan(small_model())
    for _ in range(3):
        assert record_plan(small_model()) == first


def test_project_and_stack_name_the_urns_and_nothing_else():
    def moved(value):
        return value.replace("urn:pulumi:dev::lattice-gateway::", "urn:pulumi:prod::other::") if value else value

    expected = [PlannedResource(moved(r.urn), r.type, r.name, moved(r.parent),
                                json.loads(moved(json.dumps(r.inputs)))) for r in EXPECTED]
    assert record_plan(small_model(), project="other", stack="prod") == expected


def test_a_bad_model_raises_and_the_next_plan_still_works():
    doubled = small_model()
    gateway_class = doubled.gateway_classes[0]
    doubled = LatticeModel(
        gateway_classes=(
            GatewayClassSpec(
                key=gateway_class.key,
                controller_name=gateway_class.controller_name,
                gateways=gateway_class.gateways,
                routes=gateway_class.routes + gateway_class.routes,
            ),
        )
    )
    with pytest.raises(ValueError, match=f"'{ROUTE}' appears 2 times"):
        record_plan(doubled)
    assert record_plan(small_model()) == EXPECTED


def test_empty_model_plans_only_nothing():
    assert record_plan(LatticeModel()) == []


class _CallerMocks(Mocks):
    def __init__(self) -> None:
        self.names: list = []

    def new_resource(self, args: MockResourceArgs):
        self.names.append(args.name)
        return f"{args.name}-id", {}

    def call(self, args: MockCallArgs):
        return {}


def test_plan_leaves_the_callers_pulumi_runtime_alone():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        reset_options(project="caller", stack="mine")
        caller = _CallerMocks()
        set_mocks(caller, project="caller", stack="mine", preview=False)

        assert record_plan(small_model()) == EXPECTED

        assert get_project() == "caller"
        pulumi.ComponentResource("test:index:Probe", "after-the-plan")
        loop.run_until_complete(wait_for_rpcs())
        assert caller.names == ["after-the-plan"]
    finally:
        loop.run_until_complete(wait_for_rpcs())
        reset_options()
        asyncio.set_event_loop(None)
        loop.close()


def test_plan_can_be_recorded_from_inside_a_running_event_loop():
    async def caller():
        return record_plan(small_model())

    assert asyncio.run(caller()) == EXPECTED


def test_tokens_inside_longer_strings_become_refs_too():
    # e.g. a future auth policy embedding a service ARN in its JSON document
    from lattice_program.program.mock_plan import _PlanRecorder

    recorder = _PlanRecorder()
    recorder._urns[("aws:vpclattice/service:Service", "svc")] = "urn:pulumi:dev::p::aws:vpclattice/service:Service::svc"
    arn = recorder.new_resource(
        MockResourceArgs("aws:vpclattice/service:Service", "svc", {"name": "svc-a"}, custom=True)
    )[1]["arn"]
    document = {"Statement": [{"Resource": f"{arn}/*", "Effect": "Allow"}], "n": 2.5}
    assert recorder._plain(document) == {
        "Statement": [{"Effect": "Allow", "Resource": "ref:urn:pulumi:dev::p::aws:vpclattice/service:Service::svc/*"}],
        "n": 2.5,
    }


def test_two_resources_of_one_type_and_name_are_refused_naming_them():
    """The engine would refuse the duplicate URN at `pulumi up`; the plan says so first."""
    def program():
        aws.vpclattice.ServiceNetwork("shared", name="one")
        aws.vpclattice.ServiceNetwork("shared", name="two")

    with pytest.raises(ValueError, match="two resources of type aws:vpclattice/serviceNetwork:ServiceNetwork "
                                         "are named 'shared'"):
        record_program(program)
    assert record_plan(small_model()) == EXPECTED


def test_a_provider_function_call_is_refused_offline_rather_than_answered():
    def program():
        aws.get_caller_identity()

    with pytest.raises(Exception, match="the program called the provider function aws:index/getCallerIdentity"):
        record_program(program)
