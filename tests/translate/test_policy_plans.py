"""The four policies as the translator applies them: what ends up in the model and plan.

``test_policies.py`` covers how each policy is judged (accepted, invalid, conflicted);
these tests cover what an accepted one changes in the Lattice model, what a refused one
leaves alone, and the resources the mock runtime records for them.  Rows of
/work/shared/reference/aws-controller-behaviour.md: 5 VpcAssociationPolicy, 19
TargetGroupPolicy, 30 IAMAuthPolicy, 31 AccessLogPolicy.
"""

from __future__ import annotations

import json
from typing import Optional


from components.specs import AccessLogSpec, GatewaySpec, HealthCheckSpec, TargetGroupSpec
from lattice_program.program.mock_plan import PlannedResource, record_plan
from lattice_program.contract.pipeline import PlanResult

from tests.support.plans import (
    ref_to,
    CONTROLLER,
    VPC,
    assert_contract_clean,
    plan_yaml,
    problems_for,
    route_condition,
    status_of,
    target_group,
    the_route,
)

AWS = "application-networking.k8s.aws/v1alpha1"
GW_GROUP = "gateway.networking.k8s.io"
CERTIFICATE = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
READ_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "vpc-lattice-svcs:Invoke",
     "Resource": "*", "Condition": {"StringEquals": {"vpc-lattice-svcs:RequestMethod": "GET"}}}]}
ALLOW_ACCOUNT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "vpc-lattice-svcs:Invoke",
     "Resource": "*"}]}
LOG_GROUP = "arn:aws:logs:us-west-2:123456789012:log-group:/lattice/main"
BUCKET = "arn:aws:s3:::lattice-access-logs"

GATEWAY = "Gateway/infra/main"
CART = "HTTPRoute/shop/cart"
GREETER = "GRPCRoute/shop/greeter"
CART_GROUP = f"{CART}/backend/shop/web:80"
GREETER_GROUP = f"{GREETER}/backend/shop/grpc:50051"

# A Gateway with an HTTP and an HTTPS listener, an HTTPRoute and a GRPCRoute on it.
WORLD = f"""
apiVersion: {GW_GROUP}/v1
kind: GatewayClass
metadata: {{name: amazon-vpc-lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: {GW_GROUP}/v1
kind: Gateway
metadata: {{name: main, namespace: infra}}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: All}}}}}}
  - name: https
    port: 443
    protocol: HTTPS
    allowedRoutes: {{namespaces: {{from: All}}}}
    tls: {{mode: Terminate, options: {{application-networking.k8s.aws/certificate-arn: "{CERTIFICATE}"}}}}
---
apiVersion: {GW_GROUP}/v1
kind: HTTPRoute
metadata: {{name: cart, namespace: shop}}
spec:
  parentRefs: [{{name: main, namespace: infra, sectionName: http}}]
  rules: [{{backendRefs: [{{name: web, port: 80}}]}}]
---
apiVersion: {GW_GROUP}/v1
kind: GRPCRoute
metadata: {{name: greeter, namespace: shop}}
spec:
  parentRefs: [{{name: main, namespace: infra, sectionName: https}}]
  rules: [{{backendRefs: [{{name: grpc, port: 50051}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec: {{ports: [{{port: 80}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: grpc, namespace: shop}}
spec: {{ports: [{{port: 50051}}]}}
"""


def policy(kind: str, name: str, spec: str, *, namespace: str = "shop", created: Optional[str] = None) -> str:
    stamp = f", creationTimestamp: '{created}'" if created else ""
    return f"---\napiVersion: {AWS}\nkind: {kind}\nmetadata: {{name: {name}, namespace: {namespace}{stamp}}}\nspec: {spec}\n"


def ref(kind: str, name: str, *, group: str = GW_GROUP) -> str:
    return f"{{group: '{group}', kind: {kind}, name: {name}}}"


def target_group_policy(name: str, service: str, body: str, **kwargs) -> str:
    return policy("TargetGroupPolicy", name, f"{{targetRef: {ref('Service', service, group='')}{body}}}", **kwargs)


def auth_policy(name: str, target: str, document: object = ALLOW_ACCOUNT, *, namespace: str = "shop", **kwargs) -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    return policy("IAMAuthPolicy", name, f"{{targetRef: {target}, policy: {json.dumps(text)}}}", namespace=namespace,
                  **kwargs)


def access_log_policy(name: str, target: str, arn: str, *, namespace: str = "shop") -> str:
    return policy("AccessLogPolicy", name, f"{{targetRef: {target}, destinationArn: '{arn}'}}", namespace=namespace)


def vpc_policy(name: str, body: str) -> str:
    return policy("VpcAssociationPolicy", name, f"{{targetRef: {ref('Gateway', 'main')}{body}}}", namespace="infra")


def compact(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def planned(policies: str = "", **overrides) -> PlanResult:
    result = plan_yaml(WORLD + policies, **overrides)
    assert not result.errors, [str(p) for p in result.errors]
    return result


def the_gateway(result: PlanResult) -> GatewaySpec:
    [gateway] = result.model.gateways()
    return gateway


def policy_accepted(result: PlanResult, kind: str, name: str, namespace: str = "shop"):
    status = status_of(result, kind, namespace, name)
    assert status is not None, f"no status for {kind} {namespace}/{name}"
    return status.conditions["Accepted"]


def cart_group(result: PlanResult) -> TargetGroupSpec:
    return target_group(the_route(result, CART), CART_GROUP)


def greeter_group(result: PlanResult) -> TargetGroupSpec:
    return target_group(the_route(result, GREETER), GREETER_GROUP)


# --- TargetGroupPolicy (row 19) ----------------------------------------------------------

HEALTH_CHECK = (", healthCheck: {path: /healthz, statusMatch: '200-299', intervalSeconds: 10, timeoutSeconds: 3, "
                "healthyThresholdCount: 3, unhealthyThresholdCount: 2}")
EXPECTED_CHECK = HealthCheckSpec(enabled=True, path="/healthz", matcher="200-299", interval_seconds=10,
                                 timeout_seconds=3, healthy_threshold_count=3, unhealthy_threshold_count=2)


def test_target_group_policy_sets_protocol_version_and_health_check_of_an_http_route_backend():
    result = planned(target_group_policy("tls-to-pods", "web", ", protocol: HTTPS, protocolVersion: HTTP2" + HEALTH_CHECK))
    group = cart_group(result)
    assert (group.protocol, group.protocol_version) == ("HTTPS", "HTTP2")
    assert group.health_check == EXPECTED_CHECK
    assert policy_accepted(result, "TargetGroupPolicy", "tls-to-pods").status == "True"
    assert_contract_clean(result.model)


def test_protocol_change_gives_a_new_target_group_name_under_the_same_key():
    """row 19: protocol and version are immutable in Lattice.  The key (logical name)
    stays and the physical name changes, so Pulumi creates the new group before it
    deletes the old one."""
    before = cart_group(planned())
    after = cart_group(planned(target_group_policy("tls-to-pods", "web", ", protocol: HTTPS")))
    assert after.key == before.key
    assert after.name != before.name
    assert (before.protocol, after.protocol) == ("HTTP", "HTTPS")


def test_health_check_change_keeps_the_target_group_name():
    """row 19: a health check is updated in place, so it must not rename the group."""
    before = cart_group(planned())
    after = cart_group(planned(target_group_policy("checks", "web", HEALTH_CHECK)))
    assert after.name == before.name
    assert after.health_check == EXPECTED_CHECK and before.health_check is None


def test_target_group_policy_on_a_grpc_route_backend_keeps_grpc_and_takes_the_health_check():
    result = planned(target_group_policy("grpc-checks", "grpc", ", protocolVersion: HTTP2" + HEALTH_CHECK))
    group = greeter_group(result)
    assert group.protocol_version == "GRPC"
    assert group.health_check == EXPECTED_CHECK
    assert_contract_clean(result.model)


def test_target_group_policy_https_on_a_grpc_route_backend_gives_https_grpc():
    group = greeter_group(planned(target_group_policy("tls-to-pods", "grpc", ", protocol: HTTPS")))
    assert (group.protocol, group.protocol_version) == ("HTTPS", "GRPC")


def test_target_group_policy_on_another_service_changes_nothing():
    group = cart_group(planned(target_group_policy("elsewhere", "grpc", ", protocol: HTTPS")))
    assert (group.protocol, group.protocol_version, group.health_check) == ("HTTP", "HTTP1", None)


def test_conflicted_target_group_policy_does_not_apply():
    result = plan_yaml(WORLD + target_group_policy("older", "web", HEALTH_CHECK, created="2024-01-01T00:00:00Z")
                       + target_group_policy("newer", "web", ", protocol: HTTPS", created="2024-05-01T00:00:00Z"))
    group = cart_group(result)
    assert (group.protocol, group.protocol_version, group.health_check) == ("HTTP", "HTTP1", EXPECTED_CHECK)
    assert policy_accepted(result, "TargetGroupPolicy", "newer").reason == "Conflicted"


def test_target_group_policy_with_only_a_protocol_version_applies_it():
    group = cart_group(planned(target_group_policy("h2", "web", ", protocolVersion: HTTP2")))
    assert (group.protocol, group.protocol_version) == ("HTTP", "HTTP2")


def test_invalid_target_group_policy_does_not_apply():
    result = plan_yaml(WORLD + target_group_policy("udp", "web", ", protocol: UDP"))
    group = cart_group(result)
    assert (group.protocol, group.protocol_version) == ("HTTP", "HTTP1")
    accepted = policy_accepted(result, "TargetGroupPolicy", "udp")
    assert (accepted.status, accepted.reason) == ("False", "Invalid")
    assert route_condition(result, "HTTPRoute", "cart", namespace="shop").status == "True"


# --- VpcAssociationPolicy (row 5) --------------------------------------------------------


def test_vpc_association_policy_puts_security_groups_on_the_association():
    result = planned(vpc_policy("locked-down", ", securityGroupIds: [sg-0123456789abcdef0, sg-0fedcba9]"))
    [association] = the_gateway(result).vpc_associations
    assert association.vpc_identifier == VPC
    assert association.security_group_ids == ("sg-0123456789abcdef0", "sg-0fedcba9")
    assert_contract_clean(result.model)


def test_associate_with_vpc_false_leaves_the_network_without_an_association():
    result = planned(vpc_policy("no-vpc", ", associateWithVpc: false"))
    gateway = the_gateway(result)
    assert gateway.vpc_associations == ()
    assert gateway.service_network.name == "main"
    # The routes are still in the network; only the cluster's VPC is not.
    assert [a.gateway for a in the_route(result, CART).associations] == [GATEWAY]


def test_without_a_vpc_association_policy_the_association_has_no_security_groups():
    [association] = the_gateway(planned()).vpc_associations
    assert association.security_group_ids == ()


# --- IAMAuthPolicy (row 30) --------------------------------------------------------------


def test_auth_policy_on_the_gateway_makes_the_network_aws_iam_with_the_policy():
    result = planned(auth_policy("network-auth", ref("Gateway", "main"), namespace="infra"))
    network = the_gateway(result).service_network
    assert network.auth_type == "AWS_IAM"
    assert network.auth_policy == compact(ALLOW_ACCOUNT)
    assert the_route(result, CART).service.auth_type == "NONE"  # the network's policy is not the service's
    assert_contract_clean(result.model)


def test_auth_policy_on_a_route_makes_its_service_aws_iam():
    result = planned(auth_policy("cart-auth", ref("HTTPRoute", "cart"), READ_ONLY)
                     + auth_policy("greeter-auth", ref("GRPCRoute", "greeter")))
    cart = the_route(result, CART).service
    assert (cart.auth_type, cart.auth_policy) == ("AWS_IAM", compact(READ_ONLY))
    greeter = the_route(result, GREETER).service
    assert (greeter.auth_type, greeter.auth_policy) == ("AWS_IAM", compact(ALLOW_ACCOUNT))
    assert the_gateway(result).service_network.auth_type == "NONE"
    assert_contract_clean(result.model)


def test_removing_the_auth_policy_returns_to_auth_type_none():
    with_policy = planned(auth_policy("cart-auth", ref("HTTPRoute", "cart")))
    assert the_route(with_policy, CART).service.auth_type == "AWS_IAM"
    without = the_route(planned(), CART).service
    assert (without.auth_type, without.auth_policy) == ("NONE", None)


def test_conflicted_auth_policy_loses_to_the_older_one():
    result = plan_yaml(WORLD + auth_policy("old", ref("HTTPRoute", "cart"), READ_ONLY, created="2024-01-01T00:00:00Z")
                       + auth_policy("new", ref("HTTPRoute", "cart"), ALLOW_ACCOUNT, created="2024-03-01T00:00:00Z"))
    assert the_route(result, CART).service.auth_policy == compact(READ_ONLY)
    assert policy_accepted(result, "IAMAuthPolicy", "new").reason == "Conflicted"


def test_invalid_auth_policy_fails_closed_and_says_so_on_the_policy():
    """Row 30, deliberately stricter: the anchor leaves the service open when its auth
    policy is broken; we deny everyone (AWS_IAM without a policy) until it is fixed."""
    result = plan_yaml(WORLD + auth_policy("broken", ref("HTTPRoute", "cart"), '{"Statement": ['))
    service = the_route(result, CART).service
    assert (service.auth_type, service.auth_policy) == ("AWS_IAM", None)
    warnings = problems_for(result, "HTTPRoute", "shop", "cart", severity="warning")
    assert any("denied to everyone" in p.message for p in warnings)
    accepted = policy_accepted(result, "IAMAuthPolicy", "broken")
    assert (accepted.status, accepted.reason) == ("False", "Invalid")
    assert [p.field for p in problems_for(result, "IAMAuthPolicy", "shop", "broken")] == ["spec.policy"]


# --- AccessLogPolicy (row 31) ------------------------------------------------------------


def test_access_log_policies_on_the_gateway_and_a_route():
    result = planned(access_log_policy("network-logs", ref("Gateway", "main"), LOG_GROUP, namespace="infra")
                     + access_log_policy("cart-logs", ref("HTTPRoute", "cart"), BUCKET), tags={"team": "payments"})
    [network_log] = the_gateway(result).access_logs
    assert network_log == AccessLogSpec(key="cloudwatch-logs", destination_arn=LOG_GROUP, tags={
        "team": "payments", "lattice-gateway/policy": "AccessLogPolicy/infra/network-logs"})
    [cart_log] = the_route(result, CART).access_logs
    assert (cart_log.key, cart_log.destination_arn) == ("s3", BUCKET)
    assert the_route(result, GREETER).access_logs == ()
    assert_contract_clean(result.model)


def test_one_route_logs_to_each_destination_type():
    result = planned(access_log_policy("to-s3", ref("HTTPRoute", "cart"), BUCKET)
                     + access_log_policy("to-logs", ref("HTTPRoute", "cart"), LOG_GROUP))
    assert [(log.key, log.destination_arn) for log in the_route(result, CART).access_logs] == [
        ("cloudwatch-logs", LOG_GROUP), ("s3", BUCKET)]


def test_second_access_log_policy_of_one_destination_type_does_not_apply():
    result = plan_yaml(WORLD + access_log_policy("a-first", ref("HTTPRoute", "cart"), BUCKET)
                       + access_log_policy("b-second", ref("HTTPRoute", "cart"), "arn:aws:s3:::other-bucket"))
    assert [log.destination_arn for log in the_route(result, CART).access_logs] == [BUCKET]
    assert policy_accepted(result, "AccessLogPolicy", "b-second").reason == "Conflicted"


def test_access_log_policy_to_something_that_is_not_a_log_destination_is_not_applied():
    result = plan_yaml(WORLD + access_log_policy("to-sqs", ref("HTTPRoute", "cart"),
                                                 "arn:aws:sqs:us-west-2:123456789012:queue"))
    assert the_route(result, CART).access_logs == ()
    assert policy_accepted(result, "AccessLogPolicy", "to-sqs").reason == "Invalid"


# --- through the mock runtime ------------------------------------------------------------


def by_type(resources, type_: str):
    return [r for r in resources if r.type == type_]


def the_resource(resources, type_: str, name: str) -> PlannedResource:
    found = [r for r in resources if (r.type, r.name) == (type_, name)]
    assert found, f"no {type_} {name!r}; have {[(r.type, r.name) for r in resources]}"
    return found[0]


def test_mock_plan_declares_auth_policies_on_the_network_and_the_service():
    result = planned(auth_policy("network-auth", ref("Gateway", "main"), namespace="infra")
                     + auth_policy("cart-auth", ref("HTTPRoute", "cart"), READ_ONLY))
    resources = record_plan(result.model)
    network = the_resource(resources, "aws:vpclattice/serviceNetwork:ServiceNetwork", GATEWAY)
    network_ref = ref_to(resources, "ServiceNetwork", GATEWAY)
    assert network.inputs["authType"] == "AWS_IAM"
    network_policy = the_resource(resources, "aws:vpclattice/authPolicy:AuthPolicy", f"{GATEWAY}/auth-policy")
    assert network_policy.inputs == {"policy": compact(ALLOW_ACCOUNT), "resourceIdentifier": network_ref}
    assert network_policy.parent == the_resource(resources, "lattice:index:Gateway", GATEWAY).urn
    service = the_resource(resources, "aws:vpclattice/service:Service", CART)
    assert service.inputs["authType"] == "AWS_IAM"
    service_policy = the_resource(resources, "aws:vpclattice/authPolicy:AuthPolicy", f"{CART}/auth-policy")
    assert service_policy.inputs == {"policy": compact(READ_ONLY), "resourceIdentifier": ref_to(resources, "Service", CART)}
    assert len(by_type(resources, "aws:vpclattice/authPolicy:AuthPolicy")) == 2


def test_mock_plan_declares_access_log_subscriptions_with_resolved_inputs():
    result = planned(access_log_policy("network-logs", ref("Gateway", "main"), LOG_GROUP, namespace="infra")
                     + access_log_policy("cart-logs", ref("HTTPRoute", "cart"), BUCKET))
    resources = record_plan(result.model)
    subscriptions = {r.name: r.inputs for r in by_type(resources, "aws:vpclattice/accessLogSubscription:AccessLogSubscription")}
    assert subscriptions == {
        f"{GATEWAY}/access-log/cloudwatch-logs": {
            "destinationArn": LOG_GROUP, "resourceIdentifier": ref_to(resources, "ServiceNetwork", GATEWAY),
            "tags": {"lattice-gateway/policy": "AccessLogPolicy/infra/network-logs"}},
        f"{CART}/access-log/s3": {
            "destinationArn": BUCKET, "resourceIdentifier": ref_to(resources, "Service", CART),
            "tags": {"lattice-gateway/policy": "AccessLogPolicy/shop/cart-logs"}},
    }


def test_mock_plan_of_a_vpc_association_with_security_groups():
    result = planned(vpc_policy("locked-down", ", securityGroupIds: [sg-0123456789abcdef0]"))
    resources = record_plan(result.model)
    [association] = by_type(resources, "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation")
    assert association.inputs["securityGroupIds"] == ["sg-0123456789abcdef0"]
    assert association.inputs["serviceNetworkIdentifier"] == ref_to(resources, "ServiceNetwork", GATEWAY)
    assert association.inputs["vpcIdentifier"] == VPC


def test_mock_plan_of_a_target_group_policy():
    result = planned(target_group_policy("tls-to-pods", "web", ", protocol: HTTPS, protocolVersion: HTTP2" + HEALTH_CHECK))
    group = the_resource(record_plan(result.model), "aws:vpclattice/targetGroup:TargetGroup", CART_GROUP)
    config = group.inputs["config"]
    assert (config["protocol"], config["protocolVersion"]) == ("HTTPS", "HTTP2")
    check = config["healthCheck"]
    assert check["enabled"] is True and check["path"] == "/healthz"
    assert check["matcher"] == {"value": "200-299"}
    assert (check["healthCheckIntervalSeconds"], check["healthCheckTimeoutSeconds"]) == (10, 3)
