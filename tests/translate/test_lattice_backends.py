"""LatticeBackend backendRefs: each target group type, their refusals (the share of a refused
backend fails), ReferenceGrants, the model's CRD rules (and the shipped CRD's, on a real API
server), and the target sync leaving declared groups alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

from components.specs import DeclaredTarget, LatticeModel, Target
from lattice_program.engine.targets import desired_by_group_id
from lattice_program.sources import lattice_crds
from lattice_program.sources.files import load_paths
from lattice_program.contract.pipeline import plan
from lattice_program.vocabulary.outputs import TARGET_GROUPS

from tests.support.plans import (CONTROLLER, VPC, assert_contract_clean, condition_of, forwarded, plan_yaml,
                                 route_condition, rules_of, settings, target_group, the_route)
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service, world

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "deploy" / "crds" / "latticebackends.yaml"
LAMBDA_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:checkout-v2"
ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/legacy/0123456789abcdef"
OPEN_LISTENERS = [{"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
                  {"name": "tls", "port": 443, "protocol": "TLS", "hostname": "pay.example.com",
                   "tls": {"mode": "Passthrough"}, "allowedRoutes": {"namespaces": {"from": "All"}}},
                  {"name": "grpc", "port": 8443, "protocol": "HTTPS", "allowedRoutes": {"namespaces": {"from": "All"},
                                                                                     "kinds": [{"kind": "GRPCRoute"}]},
                   "tls": {"mode": "Terminate", "options": {
                       "application-networking.k8s.aws/certificate-arn":
                           "arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7"}}}]
ROUTE_KEY = "HTTPRoute/shop/checkout"
V1_GROUP = f"{ROUTE_KEY}/backend/shop/checkout-v1:80"
V2_GROUP = f"{ROUTE_KEY}/lattice-backend/shop/checkout-v2"
UNRESOLVED_GROUP = f"{ROUTE_KEY}/unresolved-backends"


def lattice_backend(spec: Dict[str, Any], name: str = "checkout-v2", namespace: str = "shop") -> Dict[str, Any]:
    return {"apiVersion": "lattice-gateway.io/v1alpha1", "kind": "LatticeBackend",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def ref(name: str = "checkout-v2", weight: int = 10, **extra: Any) -> Dict[str, Any]:
    return {"group": "lattice-gateway.io", "kind": "LatticeBackend", "name": name, "weight": weight, **extra}


def plan_split(*objects, backend: Optional[Dict[str, Any]] = None, kind: str = "HTTPRoute", route_namespace="shop"):
    """checkout v1 (pods, weight 90) and the LatticeBackend reference (weight 10) in one rule."""
    rules = [{"backendRefs": [{"name": "checkout-v1", "namespace": "shop", "port": 80, "weight": 90},
                              backend or ref()]}]
    route = http_route("checkout", route_namespace, parents=[{"name": "edge", "namespace": "infra"}], kind=kind,
                       rules=rules, hostnames=["pay.example.com"] if kind == "TLSRoute" else ())
    return plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge", "infra", listeners=OPEN_LISTENERS),
                           service("checkout-v1", "shop"), endpoint_slice("checkout-v1", "shop", addresses=["10.0.0.7"]),
                           route, *objects))


def split_of(result, route_key: str = ROUTE_KEY) -> List[tuple]:
    return forwarded(rules_of(result, route_key)[0])


# --- each type ------------------------------------------------------------------------------


def test_the_shipped_example_splits_lambda_and_pods_90_10_in_one_rule():
    result = plan(load_paths([str(ROOT / "examples" / "checkout-lambda-ab")]), settings())
    assert result.errors == ()
    route = the_route(result)
    lambda_group = target_group(route, V2_GROUP)
    assert (lambda_group.type, lambda_group.port, lambda_group.protocol, lambda_group.vpc_identifier,
            lambda_group.ip_address_type, lambda_group.health_check) == ("LAMBDA", None, None, None, None, None)
    assert lambda_group.lambda_event_structure_version == "V2"
    assert lambda_group.declared_targets == (DeclaredTarget(LAMBDA_ARN),)
    assert target_group(route, V1_GROUP).type == "IP"
    for rule in rules_of(result):
        assert forwarded(rule) == [(V1_GROUP, 90), (V2_GROUP, 10)]
    # pods are synced directly; the Lambda group never is
    assert set(result.model.targets) == {V1_GROUP}
    assert_contract_clean(result.model)


def test_instances_become_an_instance_group_with_one_declared_target_per_instance():
    result = plan_split(lattice_backend({"instances": {"ids": ["i-0fedcba9876543210", "i-0123456789abcdef0"],
                                                       "port": 8443, "protocol": "HTTPS"},
                                         "healthCheck": {"path": "/healthz", "intervalSeconds": 10}}))
    group = target_group(the_route(result), V2_GROUP)
    assert (group.type, group.port, group.protocol, group.vpc_identifier, group.ip_address_type) == (
        "INSTANCE", 8443, "HTTPS", VPC, None)
    assert group.declared_targets == (DeclaredTarget("i-0123456789abcdef0", 8443),
                                      DeclaredTarget("i-0fedcba9876543210", 8443))
    assert (group.health_check.path, group.health_check.interval_seconds) == ("/healthz", 10)
    assert split_of(result) == [(V1_GROUP, 90), (V2_GROUP, 10)]
    assert_contract_clean(result.model)


def test_an_alb_becomes_an_alb_group_without_a_health_check():
    result = plan_split(lattice_backend({"alb": {"arn": ALB_ARN, "port": 443, "protocol": "HTTPS",
                                                 "vpcId": "vpc-0aaaabbbbccccdddd"}}))
    group = target_group(the_route(result), V2_GROUP)
    assert (group.type, group.port, group.protocol, group.vpc_identifier, group.health_check) == (
        "ALB", 443, "HTTPS", "vpc-0aaaabbbbccccdddd", None)
    assert group.declared_targets == (DeclaredTarget(ALB_ARN, 443),)
    assert_contract_clean(result.model)


@pytest.mark.parametrize("addresses, family", [(["10.1.0.5", "10.1.0.4"], "IPV4"), (["fd00::5"], "IPV6")])
def test_fixed_addresses_become_an_ip_group_of_their_family(addresses, family):
    result = plan_split(lattice_backend({"ips": {"addresses": addresses, "port": 9000}}))
    group = target_group(the_route(result), V2_GROUP)
    assert (group.type, group.ip_address_type, group.protocol) == ("IP", family, "HTTP")
    assert group.declared_targets == tuple(DeclaredTarget(a, 9000) for a in sorted(addresses))
    assert V2_GROUP not in result.model.targets
    assert_contract_clean(result.model)


def test_instances_behind_tls_passthrough_get_a_tcp_group():
    result = plan_split(lattice_backend({"instances": {"ids": ["i-0123456789abcdef0"], "port": 8443}}),
                        kind="TLSRoute")
    group = target_group(the_route(result, "TLSRoute/shop/checkout"), "TLSRoute/shop/checkout/lattice-backend/shop/checkout-v2")
    assert (group.protocol, group.protocol_version) == ("TCP", None)


def test_changing_the_event_structure_version_names_a_new_group():
    names = {version: target_group(the_route(plan_split(lattice_backend(
        {"lambda": {"functionArn": LAMBDA_ARN, "eventStructureVersion": version}}))), V2_GROUP).name
             for version in ("V1", "V2")}
    assert names["V1"] != names["V2"]


# --- refusals: the backend's share fails, the rest is served ----------------------------------


@pytest.mark.parametrize("spec, backend, kind, field, words", [
    ({"lambda": {"functionArn": LAMBDA_ARN}}, ref(), "GRPCRoute", "", "protocol version GRPC"),
    ({"lambda": {"functionArn": LAMBDA_ARN}}, ref(), "TLSRoute", "", "refer to it from an HTTPRoute"),
    ({"lambda": {"functionArn": LAMBDA_ARN}}, ref(port=80), "HTTPRoute", ".port", "remove port"),
    ({"lambda": {"functionName": "checkout-v2"}}, ref(), "HTTPRoute", "", "write spec.lambda.functionArn"),
    ({"alb": {"arn": ALB_ARN, "port": 443, "protocol": "HTTPS"}}, ref(), "TLSRoute", "", "ALB target group speaks"),
    ({"alb": {"arn": ALB_ARN, "port": 443, "protocol": "HTTPS"}}, ref(port=80), "HTTPRoute", ".port", "set port 443"),
    ({"instances": {"ids": ["i-0123456789abcdef0"], "port": 80, "protocol": "TCP"}}, ref(), "HTTPRoute", "",
     "set HTTP or HTTPS"),
    ({"ips": {"addresses": ["10.1.0.5"], "port": 80, "protocol": "HTTP"}}, ref(), "TLSRoute", "", "set protocol TCP"),
    ({"lambda": {"functionArn": LAMBDA_ARN}}, ref(kind="Function"), "HTTPRoute", "", "one backend kind"),
    ({"lambda": {"functionArn": LAMBDA_ARN}}, ref(name="checkout-v3"), "HTTPRoute", "", "not found"),
], ids=["lambda-grpc", "lambda-tls", "lambda-port", "lambda-by-name", "alb-tls", "alb-other-port", "tcp-for-http",
        "http-for-tls", "other-kind", "missing"])
def test_a_backend_lattice_cannot_serve_is_refused_by_field_and_its_share_fails(spec, backend, kind, field, words):
    result = plan_split(lattice_backend(spec), backend=backend, kind=kind)
    route_key = f"{kind}/shop/checkout"
    resolved = route_condition(result, kind, "checkout", "ResolvedRefs", "shop")
    assert resolved.status == "False" and words in resolved.message, resolved.message
    problem = next(p for p in result.problems if p.object and p.object.name == "checkout" and p.severity == "error")
    assert problem.field == f"spec.rules[0].backendRefs[1]{field}"
    groups = {g.key for g in the_route(result, route_key).target_groups}
    assert f"{route_key}/lattice-backend/shop/checkout-v2" not in groups
    if kind != "TLSRoute":  # a passthrough listener has one default forward, checked by the translator tests
        assert split_of(result, route_key) == [(f"{route_key}/backend/shop/checkout-v1:80", 90),
                                               (f"{route_key}/unresolved-backends", 10)]


def test_filters_on_a_lattice_backend_refuse_the_route_naming_the_filters():
    filters = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x", "value": "y"}]}}]
    result = plan_split(lattice_backend({"lambda": {"functionArn": LAMBDA_ARN}}), backend=ref(filters=filters))
    assert ROUTE_KEY not in [r.key for r in result.model.routes()]
    [error] = [p for p in result.problems if p.object and p.object.name == "checkout" and p.severity == "error"]
    assert error.field == "spec.rules[0].backendRefs[1].filters" and "no per-backend filters" in error.message


def test_another_namespace_needs_a_reference_grant_for_the_kind():
    backend = lattice_backend({"lambda": {"functionArn": LAMBDA_ARN}}, namespace="payments")
    refused = plan_split(backend, backend=ref(namespace="payments"))
    assert condition_of(refused, "checkout", "ResolvedRefs", "shop").reason == "RefNotPermitted"
    grant = {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
             "metadata": {"name": "checkout-to-lambda", "namespace": "payments"},
             "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "shop"}],
                      "to": [{"group": "lattice-gateway.io", "kind": "LatticeBackend", "name": "checkout-v2"}]}}
    granted = plan_split(backend, grant, backend=ref(namespace="payments"))
    assert condition_of(granted, "checkout", "ResolvedRefs", "shop").status == "True"
    assert split_of(granted) == [(V1_GROUP, 90), (f"{ROUTE_KEY}/lattice-backend/payments/checkout-v2", 10)]


# --- the model refuses what the CRD refuses ----------------------------------------------------

INVALID_SPECS = {
    "two-types": ({"lambda": {"functionArn": LAMBDA_ARN}, "ips": {"addresses": ["10.0.0.1"], "port": 80}},
                  "exactly one of lambda"),
    "no-type": ({}, "exactly one of lambda"),
    "lambda-port": ({"lambda": {"functionArn": LAMBDA_ARN, "port": 80}}, "remove lambda.port"),
    "lambda-arn-and-name": ({"lambda": {"functionArn": LAMBDA_ARN, "functionName": "x"}}, "exactly one of functionArn"),
    "lambda-health-check": ({"lambda": {"functionArn": LAMBDA_ARN}, "healthCheck": {"path": "/"}}, "no health check"),
    "alb-health-check": ({"alb": {"arn": ALB_ARN, "port": 80, "protocol": "HTTP"}, "healthCheck": {"path": "/"}},
                         "no health check"),
    "alb-tcp": ({"alb": {"arn": ALB_ARN, "port": 80, "protocol": "TCP"}}, "HTTP"),
    "bad-instance-id": ({"instances": {"ids": ["web-1"], "port": 80}}, "EC2 instance ID"),
    "mixed-families": ({"ips": {"addresses": ["10.0.0.1", "fd00::1"], "port": 80}}, "mix IPv4 and IPv6"),
    "not-an-address": ({"ips": {"addresses": ["host.example.com"], "port": 80}}, "IPv4 or IPv6"),
    "lambda-arn-of-s3": ({"lambda": {"functionArn": "arn:aws:s3:::bucket"}}, "Lambda function ARN"),
}
VALID_SPECS = {
    "lambda": {"lambda": {"functionArn": LAMBDA_ARN, "eventStructureVersion": "V2"}},
    "lambda-by-name": {"lambda": {"functionName": "checkout_v2"}},
    "instances": {"instances": {"ids": ["i-0123456789abcdef0"], "port": 80}, "healthCheck": {"enabled": False}},
    "alb": {"alb": {"arn": ALB_ARN, "port": 443, "protocol": "HTTPS"}},
    "ips": {"ips": {"addresses": ["fd00::1", "fd00::2"], "port": 80, "vpcId": "vpc-0123456789abcdef0"}},
}


@pytest.mark.parametrize("name", sorted(INVALID_SPECS))
def test_an_invalid_lattice_backend_is_one_problem_and_its_references_find_nothing(name):
    spec, words = INVALID_SPECS[name]
    result = plan_split(lattice_backend(spec))
    own = [p for p in result.problems if p.object and p.object.kind == "LatticeBackend"]
    assert own and all(p.severity == "error" for p in own)
    assert any(words in p.message for p in own), [p.message for p in own]
    assert all(p.field.startswith("spec") for p in own)
    assert condition_of(result, "checkout", "ResolvedRefs", "shop").reason == "BackendNotFound"
    assert split_of(result) == [(V1_GROUP, 90), (UNRESOLVED_GROUP, 10)]  # the Service backend is still served


@pytest.mark.needs_kube_apiserver
def test_the_shipped_crd_and_the_model_agree(kube_apiserver, kube_namespace):
    kube_apiserver.apply_crds([CRD])
    for name, spec in [*((n, s) for n, (s, _) in INVALID_SPECS.items()), *VALID_SPECS.items()]:
        body = lattice_backend(spec, name=name, namespace=kube_namespace)
        try:
            kube_apiserver.create(body)
            server_accepts = True
        except Exception as error:  # ApiException: 422 Invalid
            assert getattr(error, "status", None) == 422, error
            server_accepts = False
        try:
            lattice_crds.LatticeBackend.model_validate(body)
            model_accepts = True
        except ValueError:
            model_accepts = False
        assert (server_accepts, model_accepts) == ((name in VALID_SPECS),) * 2, name


def test_the_crd_names_the_kind_the_model_reads():
    crd = yaml.safe_load(CRD.read_text())
    assert (crd["spec"]["group"], crd["spec"]["names"]["kind"], crd["spec"]["names"]["plural"]) == (
        lattice_crds.GROUP, lattice_crds.KIND, lattice_crds.PLURAL)
    assert {v["name"] for v in crd["spec"]["versions"] if v["served"]} == set(lattice_crds.VERSIONS)


# --- the direct target sync never touches declared groups ----------------------------------------


def test_the_target_sync_leaves_attachment_managed_groups_alone():
    result = plan(load_paths([str(ROOT / "examples" / "checkout-lambda-ab")]), settings())
    outputs = {TARGET_GROUPS: {V1_GROUP: "tg-" + "1" * 17, V2_GROUP: "tg-" + "2" * 17}}
    desired, missing = desired_by_group_id(result.model, outputs, complete=True)
    assert set(desired) == {"tg-" + "1" * 17} and missing == []
    # even a model that lists members for a declared group (built elsewhere) is not synced there
    widened = LatticeModel(result.model.gateway_classes, {**result.model.targets, V2_GROUP: (Target("10.9.9.9", 80),)})
    desired, _ = desired_by_group_id(widened, outputs, complete=True)
    assert "tg-" + "2" * 17 not in desired


def test_a_lattice_backend_group_is_tagged_apart_from_service_backends():
    """Adoption reads ``lattice-gateway/backend`` as a Service's namespace/name:port and would
    look for the AWS controller's group of that Service: a LatticeBackend's group has its own tag."""
    result = plan_split(lattice_backend({"lambda": {"functionArn": LAMBDA_ARN}}))
    tags = target_group(the_route(result), V2_GROUP).tags
    assert tags["lattice-gateway/lattice-backend"] == "shop/checkout-v2" and "lattice-gateway/backend" not in tags
