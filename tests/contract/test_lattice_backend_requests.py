"""The requests LAMBDA, INSTANCE, ALB and IP groups with declared targets imply, against
botocore's vpc-lattice model: each type's config, one RegisterTargets per attachment, and
the per-type table held to the model's own documentation."""

from __future__ import annotations

import re

import botocore.session
import pytest

from components.specs import CONFIG_FIELDS_BY_TYPE, DeclaredTarget, HealthCheckSpec, RouteSpec, ServiceSpec, TargetGroupSpec
from lattice_program.contract.check import check_request
from lattice_program.contract.requests import declared_target_requests, route_requests, target_group_request

VPC = "vpc-0123456789abcdef0"
LAMBDA_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:checkout-v2"
ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/legacy/0123456789abcdef"
HEALTH = HealthCheckSpec(enabled=True, path="/healthz")


def lambda_group(targets=(DeclaredTarget(LAMBDA_ARN),)) -> TargetGroupSpec:
    return TargetGroupSpec(key="r/lambda", name="checkout-v2-lambda", port=None, protocol=None, protocol_version=None,
                           vpc_identifier=None, ip_address_type=None, type="LAMBDA",
                           lambda_event_structure_version="V2", declared_targets=tuple(targets))


GROUPS = {
    "LAMBDA": lambda_group(),
    "INSTANCE": TargetGroupSpec(key="r/instances", name="web-instances", port=8080, protocol="HTTP",
                                protocol_version="HTTP1", vpc_identifier=VPC, ip_address_type=None, type="INSTANCE",
                                health_check=HEALTH,
                                declared_targets=(DeclaredTarget("i-0123456789abcdef0", 8080),)),
    "ALB": TargetGroupSpec(key="r/alb", name="legacy-alb", port=443, protocol="HTTPS", protocol_version="HTTP1",
                           vpc_identifier=VPC, ip_address_type=None, type="ALB",
                           declared_targets=(DeclaredTarget(ALB_ARN, 443),)),
    "IP": TargetGroupSpec(key="r/ips", name="fixed-ips", port=9000, protocol="HTTP", protocol_version="HTTP1",
                          vpc_identifier=VPC, ip_address_type="IPV6", type="IP", health_check=HEALTH,
                          declared_targets=(DeclaredTarget("fd00::1", 9000), DeclaredTarget("fd00::2", 9000))),
}
CONFIG_KEYS = {"port": "port", "protocol": "protocol", "protocol_version": "protocolVersion",
               "vpc_identifier": "vpcIdentifier", "ip_address_type": "ipAddressType", "health_check": "healthCheck",
               "lambda_event_structure_version": "lambdaEventStructureVersion"}


@pytest.mark.parametrize("group_type", sorted(GROUPS))
def test_each_type_sends_exactly_the_config_it_takes_and_the_model_accepts_it(group_type):
    request = target_group_request(GROUPS[group_type])
    assert request["type"] == group_type
    assert set(request["config"]) == {CONFIG_KEYS[name] for name in CONFIG_FIELDS_BY_TYPE[group_type]}
    assert check_request("CreateTargetGroup", request) == []


@pytest.mark.parametrize("group_type", sorted(GROUPS))
def test_each_declared_target_is_one_register_request_the_model_accepts(group_type):
    group = GROUPS[group_type]
    requests = list(declared_target_requests("r", group))
    assert [params["targets"] for _, _, params in requests] == [
        [{"id": t.id, **({"port": t.port} if t.port is not None else {})}] for t in group.declared_targets]
    for _, operation, params in requests:
        assert check_request(operation, params) == []


def test_a_route_registers_declared_targets_and_never_the_synced_members_of_that_group():
    route = RouteSpec(key="r", kind="HTTPRoute", service=ServiceSpec(name="checkout"),
                      target_groups=(GROUPS["LAMBDA"],))
    registers = [params for _, operation, params in route_requests(route, {}, {"r/lambda": ()})
                 if operation == "RegisterTargets"]
    assert registers and registers[0]["targets"] == [{"id": LAMBDA_ARN}]


def test_the_contract_catches_a_declared_target_the_api_would_refuse():
    too_long = lambda_group([DeclaredTarget("arn:aws:lambda:eu-west-1:111122223333:function:" + "f" * 200)])
    (_, operation, params), = declared_target_requests("r", too_long)
    violations = check_request(operation, params)
    assert [v.path for v in violations] == ["targets[0].id"]


@pytest.mark.parametrize("field, value", [("port", 80), ("protocol", "HTTP"), ("vpc_identifier", VPC),
                                          ("ip_address_type", "IPV4"), ("health_check", HEALTH)])
def test_a_lambda_group_spec_with_a_setting_lambda_does_not_take_is_refused_by_name(field, value):
    values = {"key": "r/lambda", "name": "x-lambda", "port": None, "protocol": None, "protocol_version": None,
              "vpc_identifier": None, "ip_address_type": None, "type": "LAMBDA", field: value}
    with pytest.raises(ValueError, match=rf"r/lambda.*\['{field}'\] are not settings of that type"):
        TargetGroupSpec(**values)


def test_the_per_type_table_agrees_with_the_api_models_own_words():
    """botocore documents, per TargetGroupConfig member, the types it is (not) supported
    for; the table the requests and specs follow says the same."""
    shape = botocore.session.get_session().get_service_model("vpc-lattice").shape_for("TargetGroupConfig")
    by_member = {member: name for name, member in CONFIG_KEYS.items()}
    checked = 0
    for member, member_shape in shape.members.items():
        text = re.sub(r"<[^>]+>", "", member_shape.documentation or "")
        excluded = set(re.findall(r"\b(LAMBDA|ALB|INSTANCE|IP)\b", text.split("Not supported if", 1)[1])) \
            if "Not supported if" in text else set()
        only = set(re.findall(r"\b(LAMBDA|ALB|INSTANCE|IP)\b", text.split("Supported only if", 1)[1])) \
            if "Supported only if" in text else None
        for group_type, fields in CONFIG_FIELDS_BY_TYPE.items():
            allowed = (group_type in only) if only is not None else (group_type not in excluded)
            assert (by_member[member] in fields) == allowed, (member, group_type, text)
            checked += 1
    assert checked == len(shape.members) * len(CONFIG_FIELDS_BY_TYPE) and checked >= 28
