"""The contract checker against botocore's vpc-lattice model and botocore's own validator."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import re
import subprocess
import sys
import timeit
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore.model import ServiceModel
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lattice_program.contract.check import (
    ContractViolation,
    RequestContract,
    _ShapeCompiler,
    _vpc_lattice,
    check_request,
    known_operations,
    python_pattern,
)

SVC = "svc-0123456789abcdef0"
SN = "sn-0123456789abcdef0"
LISTENER = "listener-0123456789abcdef0"
VPC = "vpc-0123456789abcdef0"
TAGS = {
    "app.kubernetes.io/managed-by": "lattice-gateway",
    "gateway.networking.k8s.io/route": "default/checkout",
}


def tg_id(index: int = 0) -> str:
    return f"tg-0123456789abcde{index:02d}"


@functools.cache
def lattice_model() -> Any:
    return botocore.session.get_session().get_service_model("vpc-lattice")


# --- valid requests, one per operation the translator emits ------------------------------


def create_service_network() -> dict:
    return {"name": "gateway-default", "authType": "NONE", "tags": dict(TAGS)}


def create_vpc_association() -> dict:
    return {
        "serviceNetworkIdentifier": SN,
        "vpcIdentifier": VPC,
        "securityGroupIds": ["sg-0123456789abcdef0", "sg-01234567"],
        "tags": dict(TAGS),
    }


def create_service() -> dict:
    return {"name": "checkout-default", "authType": "AWS_IAM", "tags": dict(TAGS)}


def create_service_association() -> dict:
    return {"serviceIdentifier": SVC, "serviceNetworkIdentifier": SN, "tags": dict(TAGS)}


def forward(count: int = 2, weight: int = 50) -> dict:
    return {
        "forward": {
            "targetGroups": [
                {"targetGroupIdentifier": tg_id(i), "weight": weight} for i in range(count)
            ]
        }
    }


def create_listener() -> dict:
    return {
        "serviceIdentifier": SVC,
        "name": "http-80",
        "protocol": "HTTP",
        "port": 80,
        "defaultAction": {"fixedResponse": {"statusCode": 404}},
        "tags": dict(TAGS),
    }


def header_match(index: int) -> dict:
    return {"name": f"x-header-{index}", "match": {"exact": "yes"}, "caseSensitive": False}


def create_rule() -> dict:
    return {
        "serviceIdentifier": SVC,
        "listenerIdentifier": LISTENER,
        "name": "checkout-rule-1",
        "priority": 1,
        "match": {
            "httpMatch": {
                "method": "GET",
                "pathMatch": {"match": {"prefix": "/api/v1/orders"}, "caseSensitive": True},
                "headerMatches": [header_match(0)],
            }
        },
        "action": forward(),
        "tags": dict(TAGS),
    }


def create_target_group() -> dict:
    return {
        "name": "k8s-default-checkout-8080",
        "type": "IP",
        "config": {
            "port": 8080,
            "protocol": "HTTP",
            "protocolVersion": "HTTP1",
            "ipAddressType": "IPV4",
            "vpcIdentifier": VPC,
            "healthCheck": {
                "enabled": True,
                "protocol": "HTTP",
                "protocolVersion": "HTTP1",
                "path": "/healthz",
                "port": 8080,
                "healthCheckIntervalSeconds": 30,
                "healthCheckTimeoutSeconds": 5,
                "healthyThresholdCount": 5,
                "unhealthyThresholdCount": 2,
                "matcher": {"httpCode": "200-299"},
            },
        },
        "tags": dict(TAGS),
    }


def targets(count: int) -> list[dict]:
    return [{"id": f"10.0.{i // 250}.{i % 250 + 1}", "port": 8080} for i in range(count)]


def register_targets() -> dict:
    return {"targetGroupIdentifier": tg_id(), "targets": targets(3)}


def deregister_targets() -> dict:
    return {"targetGroupIdentifier": tg_id(), "targets": targets(1)}


VALID: dict[str, Callable[[], dict]] = {
    "CreateServiceNetwork": create_service_network,
    "CreateServiceNetworkVpcAssociation": create_vpc_association,
    "CreateService": create_service,
    "CreateServiceNetworkServiceAssociation": create_service_association,
    "CreateListener": create_listener,
    "CreateRule": create_rule,
    "CreateTargetGroup": create_target_group,
    "RegisterTargets": register_targets,
    "DeregisterTargets": deregister_targets,
}


def botocore_error_paths(operation: str, params: Any) -> set[str]:
    """botocore's findings, named the way ContractViolation.path names them."""
    shape = lattice_model().operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    paths = set()
    # ValidationErrors keeps (reason, name, details) tuples; it has no public accessor.
    for reason, name, details in report._errors:
        name = re.sub(r" \(key: (.*)\)$", r".\1", name).lstrip(".")
        if reason == "missing required field":
            name = f"{name}.{details['required_name']}".lstrip(".")
        elif reason == "unknown field":
            name = f"{name}.{details['unknown_param']}".lstrip(".")
        paths.add(name)
    return paths


@pytest.mark.parametrize("operation", sorted(VALID))
def test_valid_requests_pass(operation: str) -> None:
    params = VALID[operation]()
    assert check_request(operation, params) == []
    assert botocore_error_paths(operation, params) == set()


def test_valid_requests_with_every_rule_variant_pass() -> None:
    rule = create_rule()
    rule["match"]["httpMatch"]["pathMatch"]["match"] = {"exact": "/a-b_c.d~e/%20?x=1&y=#z@:+"}
    rule["match"]["httpMatch"]["headerMatches"] = [header_match(i) for i in range(5)]
    rule["match"]["httpMatch"]["headerMatches"][1]["match"] = {"contains": "canary"}
    rule["action"] = forward(count=10, weight=999)
    rule["priority"] = 2000
    assert check_request("CreateRule", rule) == []
    assert (
        check_request(
            "RegisterTargets", {"targetGroupIdentifier": tg_id(), "targets": targets(100)}
        )
        == []
    )
    tagged = create_service()
    tagged["tags"] = {"k" * 128: "v" * 256}
    assert check_request("CreateService", tagged) == []


# --- broken requests ----------------------------------------------------------------------


def set_at(params: dict, path: str, value: Any) -> dict:
    *parents, leaf = path.split(".")
    target = params
    for name in parents:
        target = target[name]
    target[leaf] = value
    return params


def without(params: dict, name: str) -> dict:
    del params[name]
    return params


def with_header_matches(count: int) -> dict:
    rule = create_rule()
    rule["match"]["httpMatch"]["headerMatches"] = [header_match(i) for i in range(count)]
    return rule


def with_weight(weight: int) -> dict:
    rule = create_rule()
    rule["action"] = forward(count=4)
    rule["action"]["forward"]["targetGroups"][3]["weight"] = weight
    return rule


BROKEN = {
    "service name 41 chars": (
        "CreateService",
        lambda: set_at(create_service(), "name", "a" * 41),
        "name",
        "length must be at most 40 (got 41",
    ),
    "service name svc- prefix": (
        "CreateService",
        lambda: set_at(create_service(), "name", "svc-checkout"),
        "name",
        "must not start with 'svc-'",
    ),
    "service name with --": (
        "CreateService",
        lambda: set_at(create_service(), "name", "checkout--default"),
        "name",
        "must not contain '--'",
    ),
    "service name ending in -": (
        "CreateService",
        lambda: set_at(create_service(), "name", "checkout-"),
        "name",
        "must not end with '-'",
    ),
    "service name with upper case": (
        "CreateService",
        lambda: set_at(create_service(), "name", "checkOut"),
        "name",
        "(found 'O' at index 5)",
    ),
    "weight 1000": (
        "CreateRule",
        lambda: with_weight(1000),
        "action.forward.targetGroups[3].weight",
        "must be at most 999 (got 1000)",
    ),
    "negative weight": (
        "CreateRule",
        lambda: with_weight(-1),
        "action.forward.targetGroups[3].weight",
        "must be at least 0 (got -1)",
    ),
    "11 target groups": (
        "CreateRule",
        lambda: set_at(create_rule(), "action", forward(count=11)),
        "action.forward.targetGroups",
        "must have at most 10 items (got 11)",
    ),
    "no target groups": (
        "CreateRule",
        lambda: set_at(create_rule(), "action", forward(count=0)),
        "action.forward.targetGroups",
        "must have at least 1 items (got 0)",
    ),
    "6 header matches": (
        "CreateRule",
        lambda: with_header_matches(6),
        "match.httpMatch.headerMatches",
        "must have at most 5 items (got 6)",
    ),
    "path prefix with a space": (
        "CreateRule",
        lambda: set_at(create_rule(), "match.httpMatch.pathMatch.match", {"prefix": "/api v1"}),
        "match.httpMatch.pathMatch.match.prefix",
        "must match the pattern",
    ),
    "exact path with unicode": (
        "CreateRule",
        lambda: set_at(create_rule(), "match.httpMatch.pathMatch.match", {"exact": "/café"}),
        "match.httpMatch.pathMatch.match.exact",
        "(got '/café')",
    ),
    "path without leading slash": (
        "CreateRule",
        lambda: set_at(create_rule(), "match.httpMatch.pathMatch.match", {"prefix": "api"}),
        "match.httpMatch.pathMatch.match.prefix",
        "must match the pattern",
    ),
    "priority 0": (
        "CreateRule",
        lambda: set_at(create_rule(), "priority", 0),
        "priority",
        "must be at least 1 (got 0)",
    ),
    "priority 2001": (
        "CreateRule",
        lambda: set_at(create_rule(), "priority", 2001),
        "priority",
        "must be at most 2000 (got 2001)",
    ),
    "listener protocol GRPC": (
        "CreateListener",
        lambda: set_at(create_listener(), "protocol", "GRPC"),
        "protocol",
        "must be one of HTTP, HTTPS, TLS_PASSTHROUGH (got 'GRPC')",
    ),
    "missing required name": (
        "CreateService",
        lambda: without(create_service(), "name"),
        "name",
        "is required",
    ),
    "missing required identifier": (
        "CreateRule",
        lambda: without(create_rule(), "listenerIdentifier"),
        "listenerIdentifier",
        "is required",
    ),
    "action with forward and fixedResponse": (
        "CreateRule",
        lambda: set_at(
            create_rule(), "action", {**forward(), "fixedResponse": {"statusCode": 404}}
        ),
        "action",
        "must set exactly one of forward, fixedResponse (got forward, fixedResponse)",
    ),
    "empty action": (
        "CreateListener",
        lambda: set_at(create_listener(), "defaultAction", {}),
        "defaultAction",
        "must set exactly one of forward, fixedResponse (got none)",
    ),
    "port as string": (
        "CreateTargetGroup",
        lambda: set_at(create_target_group(), "config.port", "8080"),
        "config.port",
        "must be an integer (got str '8080')",
    ),
    "port as bool": (
        "CreateListener",
        lambda: set_at(create_listener(), "port", True),
        "port",
        "must be an integer (got bool True)",
    ),
    "name as None": (
        "CreateService",
        lambda: set_at(create_service(), "name", None),
        "name",
        "must be a string (got NoneType None)",
    ),
    "unknown top-level member": (
        "CreateRule",
        lambda: set_at(create_rule(), "hostname", "shop.example.com"),
        "hostname",
        "is not a member of CreateRuleRequest",
    ),
    "unknown nested member": (
        "CreateTargetGroup",
        lambda: set_at(create_target_group(), "config.healthCheck.intervalSeconds", 5),
        "config.healthCheck.intervalSeconds",
        "is not a member of HealthCheckConfig",
    ),
    "101 targets": (
        "RegisterTargets",
        lambda: set_at(register_targets(), "targets", targets(101)),
        "targets",
        "must have at most 100 items (got 101)",
    ),
    "target port 0": (
        "DeregisterTargets",
        lambda: set_at(deregister_targets(), "targets", [{"id": "10.0.0.1", "port": 0}]),
        "targets[0].port",
        "must be at least 1 (got 0)",
    ),
    "tag value 257 chars": (
        "CreateService",
        lambda: set_at(create_service(), "tags", {"owner": "v" * 257}),
        "tags.owner",
        "length must be at most 256 (got 257",
    ),
    "tag key 129 chars": (
        "CreateTargetGroup",
        lambda: set_at(create_target_group(), "tags", {"k" * 129: "v"}),
        "tags." + "k" * 129,
        "key length must be at most 128 (got 129",
    ),
    "tag value not a string": (
        "CreateListener",
        lambda: set_at(create_listener(), "tags", {"replicas": 3}),
        "tags.replicas",
        "must be a string (got int 3)",
    ),
    "tags as a list": (
        "CreateServiceNetwork",
        lambda: set_at(create_service_network(), "tags", [("a", "b")]),
        "tags",
        "must be a mapping",
    ),
    "vpc id pattern": (
        "CreateServiceNetworkVpcAssociation",
        lambda: set_at(create_vpc_association(), "vpcIdentifier", "vpc-XYZ"),
        "vpcIdentifier",
        "must match the pattern vpc-",
    ),
    "six security groups": (
        "CreateServiceNetworkVpcAssociation",
        lambda: set_at(
            create_vpc_association(), "securityGroupIds", [f"sg-0000000{i}" for i in range(6)]
        ),
        "securityGroupIds",
        "must have at most 5 items (got 6)",
    ),
    "service network id placeholder that is not an id": (
        "CreateServiceNetworkServiceAssociation",
        lambda: set_at(create_service_association(), "serviceNetworkIdentifier", "<sn>"),
        "serviceNetworkIdentifier",
        "must match the pattern",
    ),
    "health check path pattern": (
        "CreateTargetGroup",
        lambda: set_at(create_target_group(), "config.healthCheck.path", "healthz"),
        "config.healthCheck.path",
        "must match the pattern",
    ),
    "health check matcher member this model lacks": (
        "CreateTargetGroup",
        lambda: set_at(create_target_group(), "config.healthCheck.matcher", {"grpcCode": "0"}),
        "config.healthCheck.matcher.grpcCode",
        "is not a member of Matcher",
    ),
    "target group protocol version enum": (
        "CreateTargetGroup",
        lambda: set_at(create_target_group(), "config.protocolVersion", "HTTP3"),
        "config.protocolVersion",
        "must be one of HTTP1, HTTP2, GRPC (got 'HTTP3')",
    ),
    "account id with non-ASCII digits": (
        "CreateService",
        lambda: set_at(
            create_service(), "certificateArn", "arn:aws:acm:us-east-1:١٢٣٤٥٦٧٨٩٠١٢:certificate/abc"
        ),
        "certificateArn",
        "must match the pattern",
    ),
    "client token with a carriage return": (
        "CreateService",
        lambda: set_at(create_service(), "clientToken", "token\r"),
        "clientToken",
        "must match the pattern",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_request_is_caught_at_the_right_path(case: str) -> None:
    operation, build, path, fragment = BROKEN[case]
    violations = check_request(operation, build())
    assert [v.path for v in violations] == [path], violations
    (violation,) = violations
    assert violation.operation == operation
    assert fragment in violation.message


def test_header_match_union_with_two_members() -> None:
    rule = create_rule()
    rule["match"]["httpMatch"]["headerMatches"][0]["match"] = {"exact": "a", "prefix": "b"}
    (violation,) = check_request("CreateRule", rule)
    assert violation.path == "match.httpMatch.headerMatches[0].match"
    assert "exactly one of exact, prefix, contains" in violation.message


def test_every_violation_in_a_request_is_reported() -> None:
    rule = create_rule()
    rule["priority"] = 0
    rule["name"] = "Rule"
    rule["action"] = forward(count=11, weight=1000)
    del rule["serviceIdentifier"]
    paths = [v.path for v in check_request("CreateRule", rule)]
    assert "priority" in paths and "name" in paths and "serviceIdentifier" in paths
    assert "action.forward.targetGroups" in paths
    assert [f"action.forward.targetGroups[{i}].weight" for i in range(11)] == [
        p for p in paths if p.endswith(".weight")
    ]


def test_one_string_can_break_several_constraints() -> None:
    messages = [v.message for v in check_request("CreateService", {"name": "SVC-" + "x" * 40})]
    assert len(messages) == 2
    assert messages[0].startswith("length must be at most 40")
    assert "(found 'S' at index 0)" in messages[1]


def test_violation_reads_as_a_sentence() -> None:
    (violation,) = check_request("CreateRule", with_weight(1000))
    assert str(violation) == (
        "CreateRule action.forward.targetGroups[3].weight: must be at most 999 (got 1000)"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        violation.path = "x"  # type: ignore[misc]


def test_request_that_is_not_a_mapping() -> None:
    (violation,) = check_request("CreateService", ["name"])  # type: ignore[arg-type]
    assert violation.path == ""
    assert "must be a mapping of CreateServiceRequest members (got list" in violation.message
    assert str(violation).startswith("CreateService <request>:")


def test_read_only_mapping_is_accepted_at_the_top() -> None:
    from types import MappingProxyType

    assert check_request("CreateService", MappingProxyType(create_service())) == []


def test_unknown_operation_is_a_value_error_with_a_suggestion() -> None:
    with pytest.raises(
        ValueError, match=r"'CreateRoute' is not an operation .*did you mean.*CreateRule"
    ):
        check_request("CreateRoute", {})


def test_known_operations_are_the_models() -> None:
    operations = known_operations()
    assert isinstance(operations, frozenset)
    assert operations == frozenset(lattice_model().operation_names)
    assert set(VALID) <= operations


def test_service_model_is_loaded_lazily() -> None:
    code = (
        "import sys, lattice_program.contract.check as c\n"
        "assert 'botocore' not in sys.modules, 'botocore imported at import time'\n"
        "assert c._vpc_lattice.cache_info().currsize == 0\n"
        "c.known_operations()\n"
        "assert 'botocore.session' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_repo_root()))


def _repo_root() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


# --- patterns -----------------------------------------------------------------------------


def model_patterns() -> set[str]:
    model = lattice_model()
    return {
        model.shape_for(name).metadata["pattern"]
        for name in model.shape_names
        if "pattern" in model.shape_for(name).metadata
    }


def test_every_model_pattern_compiles_in_python() -> None:
    patterns = model_patterns()
    assert len(patterns) > 30
    for pattern in patterns:
        re.compile(pattern)
        python_pattern(pattern)


def test_python_pattern_keeps_java_meanings() -> None:
    assert python_pattern(r"\d{2}").fullmatch("12")
    assert python_pattern(r"\d{2}").fullmatch("١٢") is None
    assert python_pattern(r".*\S.*").fullmatch("\u00a0") is not None  # Java \S: not ASCII space
    assert python_pattern(".+").fullmatch("a\rb") is None
    assert python_pattern(".+").fullmatch("a\u2028b") is None
    # dots inside a class or escaped stay literal dots
    assert python_pattern(r"[.]\.").fullmatch("..")
    assert python_pattern(r"[.]\.").fullmatch("ab") is None


# --- superset of botocore -----------------------------------------------------------------


def our_paths(operation: str, params: Any) -> set[str]:
    return {v.path for v in check_request(operation, params)}


SUPERSET_CASES = [
    (operation, build()) for operation, build, _path, _fragment in BROKEN.values()
] + [
    ("CreateRule", {}),
    ("CreateRule", {**create_rule(), "action": {}, "priority": "1", "name": "ab"}),
    ("CreateListener", {**create_listener(), "defaultAction": {"forward": {"targetGroups": [{}]}}}),
    ("CreateTargetGroup", {**create_target_group(), "config": []}),
    ("CreateService", {"name": "x", "tags": {"": "v", "k": None}}),
    ("RegisterTargets", {"targetGroupIdentifier": "tg-1", "targets": [{"id": ""}, "10.0.0.1"]}),
    ("CreateServiceNetworkVpcAssociation", {"vpcIdentifier": 5, "securityGroupIds": "sg-01234567"}),
]


@pytest.mark.parametrize("operation,params", SUPERSET_CASES)
def test_whatever_botocore_flags_we_flag(operation: str, params: dict) -> None:
    assert botocore_error_paths(operation, params) <= our_paths(operation, params)


ODD_VALUES = st.sampled_from(
    [None, "", "x" * 300, "svc-a", "/a b", -1, 0, 1000, 10**6, True, 1.5, [], {}, "8080", [{}]]
)


def paths_in(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for name, item in value.items():
            found += paths_in(item, prefix + (name,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_in(item, prefix + (index,))
    return found


@st.composite
def mutated_requests(draw: Any) -> tuple[str, dict]:
    operation = draw(st.sampled_from(sorted(VALID)))
    params = copy.deepcopy(VALID[operation]())
    for _ in range(draw(st.integers(1, 3))):
        spots = paths_in(params)
        if not spots:
            break
        spot = draw(st.sampled_from(spots))
        parent = params
        for step in spot[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add-unknown"]))
        if action == "replace" or not isinstance(parent, dict):
            parent[spot[-1]] = copy.deepcopy(draw(ODD_VALUES))
        elif action == "delete":
            del parent[spot[-1]]
        else:
            parent["unexpected"] = copy.deepcopy(draw(ODD_VALUES))
    return operation, params


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_requests())
def test_superset_of_botocore_on_random_mutations(case: tuple[str, dict]) -> None:
    operation, params = case
    ours = our_paths(operation, params)
    assert botocore_error_paths(operation, params) <= ours
    # the fast path and the explaining path agree: rejected means at least one reason
    fast_path = _vpc_lattice()._input_validator(operation)
    assert fast_path.accepts(params) == (not check_request(operation, params))
    assert all(v.message for v in check_request(operation, params))


# --- shapes vpc-lattice does not use in its inputs (other models, forward compatibility) ---


def synthetic_contract() -> RequestContract:
    shapes = {
        "Input": {
            "type": "structure",
            "required": ["when"],
            "members": {
                "when": {"shape": "When"},
                "ratio": {"shape": "Ratio"},
                "blob": {"shape": "Blob"},
                "big": {"shape": "Big"},
                "tree": {"shape": "Tree"},
                "doc": {"shape": "Doc"},
            },
        },
        "When": {"type": "timestamp"},
        "Ratio": {"type": "double", "min": 0, "max": 1},
        "Blob": {"type": "blob", "max": 4},
        "Big": {"type": "long", "min": 1},
        "Tree": {
            "type": "structure",
            "members": {"children": {"shape": "Trees"}, "label": {"shape": "Label"}},
        },
        "Trees": {"type": "list", "member": {"shape": "Tree"}},
        "Label": {"type": "string", "max": 3},
        "Doc": {"type": "structure", "members": {}, "document": True},
    }
    model = ServiceModel(
        {
            "metadata": {"protocol": "rest-json", "serviceId": "Synthetic", "endpointPrefix": "x"},
            "operations": {"Do": {"name": "Do", "input": {"shape": "Input"}, "http": {}}},
            "shapes": shapes,
        },
        service_name="synthetic",
    )
    return RequestContract(model)


def test_other_scalar_types_and_recursive_shapes() -> None:
    contract = synthetic_contract()
    deep = {"label": "a", "children": [{"children": [{"label": "abcd"}]}]}
    good = {
        "when": "2024-01-01T00:00:00Z",
        "ratio": 0.5,
        "blob": b"ab",
        "big": 2**40,
        "doc": {"a": [1, "b", None]},
        "tree": {"label": "a"},
    }
    assert contract.check("Do", good) == []
    found = {
        v.path: v.message
        for v in contract.check(
            "Do",
            {
                "when": "not a date",
                "ratio": 1.5,
                "blob": b"abcde",
                "big": 0,
                "tree": deep,
                "doc": {"a": object()},
            },
        )
    }
    assert set(found) == {
        "when",
        "ratio",
        "blob",
        "big",
        "tree.children[0].children[0].label",
        "doc",
    }
    assert found["ratio"] == "must be at most 1 (got 1.5)"
    assert found["blob"] == "length must be at most 4 (got 5)"
    (nan,) = contract.check("Do", {"when": datetime.datetime(2024, 1, 1), "ratio": float("nan")})
    assert (nan.path, nan.message) == ("ratio", "must be a number from 0 to 1 (got nan)")
    assert contract.operations == frozenset({"Do"})


# --- speed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["CreateRule", "CreateTargetGroup"])
def test_faster_than_botocore_param_validator(operation: str) -> None:
    params = VALID[operation]()
    shape = lattice_model().operation_model(operation).input_shape
    validator = ParamValidator()
    check_request(operation, params)  # compile outside the timing
    ours = min(timeit.repeat(lambda: check_request(operation, params), number=2000, repeat=5))
    theirs = min(timeit.repeat(lambda: validator.validate(params, shape), number=2000, repeat=5))
    # measured at about a quarter of botocore's time; fail only if that is lost entirely
    assert ours < theirs, (ours, theirs)


def test_violation_type_is_plain_data() -> None:
    violation = ContractViolation("CreateRule", "priority", "must be at least 1 (got 0)")
    assert violation == ContractViolation("CreateRule", "priority", "must be at least 1 (got 0)")


def test_a_shape_type_botocore_does_not_define_fails_closed_naming_it():
    """A model from a newer botocore with a type we cannot check is refused, not passed."""
    odd = SimpleNamespace(name="Quaternion", type_name="quaternion", serialization={})
    with pytest.raises(ValueError, match="shape 'Quaternion' has type 'quaternion', which botocore does not define"):
        _ShapeCompiler().compile(odd)


@pytest.mark.parametrize(("weight", "passes"), [(-1, False), (0, True), (999, True), (1000, False)])
def test_a_number_exactly_at_its_bounds_passes_and_one_past_fails(weight: int, passes: bool) -> None:
    """TargetGroupWeight is 0..999 in the model: both ends are allowed values."""
    assert (check_request("CreateRule", with_weight(weight)) == []) is passes


@pytest.mark.parametrize(("name", "passes"), [("ab", False), ("abc", True), ("a" * 63, True), ("a" * 64, False)])
def test_a_string_exactly_at_its_length_bounds_passes_and_one_past_fails(name: str, passes: bool) -> None:
    """ServiceNetworkName is 3..63 characters in the model."""
    assert (check_request("CreateServiceNetwork", set_at(create_service_network(), "name", name)) == []) is passes
