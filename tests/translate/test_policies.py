"""The AWS controller's four policies: parsing, resolution, status, lookups, requests.

Each test names the anchor behaviour row it covers (aws-controller-behaviour.md):
row 5 VpcAssociationPolicy, row 19 TargetGroupPolicy, row 30 IAMAuthPolicy, row 31
AccessLogPolicy.  Where this tool is stricter than the anchor (ReferenceGrant for a
cross-namespace targetRef, Lattice limits checked on the policy), the test says so.
"""

from __future__ import annotations

import json
from typing import Dict, List, Optional

import pytest

from components.specs import (
    AccessLogSpec,
    GatewayClassSpec,
    GatewaySpec,
    HealthCheckSpec,
    LatticeModel,
    RouteSpec,
    ServiceNetworkSpec,
    ServiceSpec,
)
from lattice_program.contract.check import check_request
from lattice_program.contract.probes import API_PROBES
from lattice_program.translate.policies import (
    AUTH_POLICY_MAX_BYTES,
    PolicyIndex,
    TargetGroupPolicyEffect,
    VpcAssociationEffect,
    destination_type,
)
from lattice_program.contract.requests import PLACEHOLDER_SERVICE_ID, PLACEHOLDER_SERVICE_NETWORK_ID, model_requests
from lattice_program.sources.snapshot import Snapshot, parse
from lattice_program.sources.files import load_text
from lattice_program.vocabulary.status import Condition, ObjectRef, Problem, StatusBook

AWS = "application-networking.k8s.aws/v1alpha1"
GW_GROUP = "gateway.networking.k8s.io"
ALLOW_ALL = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}'
S3_ARN = "arn:aws:s3:::my-bucket"
LOGS_ARN = "arn:aws:logs:us-west-2:123456789012:log-group:myloggroup:*"
FIREHOSE_ARN = "arn:aws:firehose:us-west-2:123456789012:deliverystream/my-stream"

WORLD = f"""
apiVersion: {GW_GROUP}/v1
kind: Gateway
metadata: {{name: main, namespace: infra}}
spec: {{gatewayClassName: amazon-vpc-lattice, listeners: [{{name: http, port: 80, protocol: HTTP}}]}}
---
apiVersion: {GW_GROUP}/v1
kind: HTTPRoute
metadata: {{name: cart, namespace: shop}}
spec: {{parentRefs: [{{name: main, namespace: infra}}]}}
---
apiVersion: {GW_GROUP}/v1
kind: GRPCRoute
metadata: {{name: greeter, namespace: shop}}
spec: {{parentRefs: [{{name: main, namespace: infra}}]}}
---
apiVersion: {GW_GROUP}/v1
kind: TLSRoute
metadata: {{name: secure, namespace: shop}}
spec: {{hostnames: [secure.example.com], rules: [{{backendRefs: [{{name: web, port: 443}}]}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec: {{ports: [{{port: 80}}]}}
"""


def policy(kind: str, name: str, spec: str, *, namespace: str = "shop", created: Optional[str] = None) -> str:
    """One policy document; ``spec`` is the YAML flow mapping of its spec."""
    stamp = f", creationTimestamp: '{created}'" if created else ""
    return f"---\napiVersion: {AWS}\nkind: {kind}\nmetadata: {{name: {name}, namespace: {namespace}{stamp}}}\nspec: {spec}\n"


def target(kind: str, name: str, *, group: str = GW_GROUP, namespace: Optional[str] = None) -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"{{group: '{group}', kind: {kind}, name: {name}{ns}}}"


def tgp(name: str, body: str = "", *, service: str = "web", **kwargs) -> str:
    return policy("TargetGroupPolicy", name, f"{{targetRef: {target('Service', service, group='')}{body}}}", **kwargs)


def auth(name: str, text: str = ALLOW_ALL, *, ref: Optional[str] = None, **kwargs) -> str:
    ref = ref or target("Gateway", "main")
    return policy("IAMAuthPolicy", name, f"{{targetRef: {ref}, policy: {json.dumps(text)}}}", **kwargs)


def access_log(name: str, arn: str, *, ref: Optional[str] = None, **kwargs) -> str:
    ref = ref or target("HTTPRoute", "cart")
    return policy("AccessLogPolicy", name, f"{{targetRef: {ref}, destinationArn: '{arn}'}}", **kwargs)


def vap(name: str, body: str, **kwargs) -> str:
    return policy("VpcAssociationPolicy", name, f"{{targetRef: {target('Gateway', 'main')}{body}}}",
                  namespace="infra", **kwargs)


class Resolved:
    """PolicyIndex.build over WORLD plus some policies, with what it said."""

    def __init__(self, text: str, **build_options) -> None:
        parsed = parse(load_text(WORLD + text, "policies.yaml"))
        assert not [p for p in parsed.problems if p.severity == "error"], [str(p) for p in parsed.problems]
        self.snapshot: Snapshot = parsed.snapshot
        self.book = StatusBook()
        self.index = PolicyIndex.build(self.snapshot, self.book, contract=API_PROBES, **build_options)

    def accepted(self, kind: str, name: str, namespace: str = "shop") -> Condition:
        for status in self.book.statuses():
            if (status.ref.kind, status.ref.namespace, status.ref.name) == (kind, namespace, name):
                return status.conditions["Accepted"]
        raise AssertionError(f"no status for {kind} {namespace}/{name}")

    def problems(self, kind: str, name: str, namespace: str = "shop") -> List[Problem]:
        return [p for p in self.book.problems
                if p.object is not None and (p.object.kind, p.object.namespace, p.object.name) == (kind, namespace, name)]

    def fields(self, kind: str, name: str, namespace: str = "shop") -> List[str]:
        return [p.field for p in self.problems(kind, name, namespace)]


def assert_refused(result: Resolved, kind: str, name: str, reason: str, field: str, *, namespace: str = "shop") -> str:
    condition = result.accepted(kind, name, namespace)
    assert (condition.status, condition.reason) == ("False", reason), condition
    assert field in result.fields(kind, name, namespace), result.fields(kind, name, namespace)
    return condition.message


# --- parsing ------------------------------------------------------------------------------


def test_policies_are_parsed_and_indexed_by_kind():
    """rows 5, 19, 30, 31: all four kinds are read from application-networking.k8s.aws/v1alpha1."""
    result = Resolved(tgp("t") + auth("a") + access_log("l", S3_ARN) + vap("v", ", securityGroupIds: [sg-01234567]"))
    assert {kind: [p.metadata.name for p in items] for kind, items in result.snapshot.policies.items()} == {
        "TargetGroupPolicy": ["t"], "IAMAuthPolicy": ["a"], "AccessLogPolicy": ["l"], "VpcAssociationPolicy": ["v"],
    }
    assert ObjectRef("IAMAuthPolicy", "shop", "a") in result.snapshot.origins


@pytest.mark.parametrize("document, field", [
    (tgp("t", ", healthCheck: {intervalSeconds: 3}"), "spec.healthCheck.intervalSeconds"),
    (tgp("t", ", healthCheck: {healthyThresholdCount: 11}"), "spec.healthCheck.healthyThresholdCount"),
    (tgp("t", ", healthCheck: {protocol: TCP}"), "spec.healthCheck.protocol"),
    (tgp("t", ", healthCheck: {intervalSeconds: '10'}"), "spec.healthCheck.intervalSeconds"),
    (vap("v", ", associateWithVpc: 'false'"), "spec.associateWithVpc"),
    (vap("v", ", securityGroupIds: []"), "spec.securityGroupIds"),
    (vap("v", ", securityGroupIds: [SG-1]"), "spec.securityGroupIds[0]"),
    (policy("IAMAuthPolicy", "a", f"{{targetRef: {target('Gateway', 'main')}}}"), "spec.policy"),
    (access_log("l", "not-an-arn"), "spec.destinationArn"),
    (policy("AccessLogPolicy", "l", f"{{targetRef: {{kind: Gateway, name: main}}, destinationArn: '{S3_ARN}'}}"),
     "spec.targetRef.group"),
])
def test_crd_schema_violations_are_parse_problems_with_the_field(document: str, field: str):
    """rows 5, 19, 30, 31: the CRDs' own constraints (min/max, enums, patterns, required)."""
    parsed = parse(load_text(document))
    assert field in [p.field for p in parsed.problems], [str(p) for p in parsed.problems]
    assert not any(parsed.snapshot.policies.values())


def test_unserved_version_is_refused_naming_the_served_one():
    """rows 5, 19, 30, 31: only v1alpha1 exists."""
    parsed = parse(load_text(tgp("t").replace("v1alpha1", "v1beta1")))
    assert [(p.field, p.message) for p in parsed.problems] == [
        ("apiVersion", "version 'application-networking.k8s.aws/v1beta1' is not supported; use "
                       "application-networking.k8s.aws/v1alpha1")]


# --- TargetGroupPolicy (row 19) --------------------------------------------------------------


def test_target_group_policy_effect():
    """row 19: protocol, version and the health check, field by field; unset enabled means on."""
    result = Resolved(tgp("t", ", protocol: HTTPS, protocolVersion: HTTP2, healthCheck: {path: /healthz, "
                               "statusMatch: '200-299', intervalSeconds: 10, timeoutSeconds: 2, port: 8081, "
                               "healthyThresholdCount: 3, unhealthyThresholdCount: 4, protocol: HTTP, "
                               "protocolVersion: HTTP1}"))
    source = ObjectRef("TargetGroupPolicy", "shop", "t")
    assert result.index.target_group("shop", "web") == TargetGroupPolicyEffect(
        protocol="HTTPS", protocol_version="HTTP2",
        health_check=HealthCheckSpec(enabled=True, protocol="HTTP", protocol_version="HTTP1", path="/healthz",
                                     port=8081, matcher="200-299", interval_seconds=10, timeout_seconds=2,
                                     healthy_threshold_count=3, unhealthy_threshold_count=4),
        source=source)
    assert result.accepted("TargetGroupPolicy", "t") == Condition("Accepted", "True", "Accepted",
                                                                  "applies to Service shop/web")
    assert result.index.target_group("shop", "other") is None
    assert result.index.target_group("infra", "web") is None


def test_target_group_policy_that_sets_nothing_leaves_defaults():
    """row 19: no protocol, version or health check means the route kind's defaults."""
    effect = Resolved(tgp("t", ", healthCheck: {enabled: false}")).index.target_group("shop", "web")
    assert (effect.protocol, effect.protocol_version) == (None, None)
    assert effect.health_check == HealthCheckSpec(enabled=False)


def test_tcp_with_protocol_version_is_invalid():
    """row 19: protocol TCP with a protocolVersion is an error in the anchor too."""
    result = Resolved(tgp("t", ", protocol: TCP, protocolVersion: HTTP1"))
    message = assert_refused(result, "TargetGroupPolicy", "t", "Invalid", "spec.protocolVersion")
    assert "TCP target group has no protocol version" in message
    assert result.index.target_group("shop", "web") is None


def test_tcp_alone_is_accepted_without_a_version():
    """row 19: TCP target groups (TLS passthrough) have no protocol version."""
    effect = Resolved(tgp("t", ", protocol: TCP")).index.target_group("shop", "web")
    assert (effect.protocol, effect.protocol_version, effect.health_check) == ("TCP", None, None)


@pytest.mark.parametrize("body, field, words", [
    (", protocol: UDP", "spec.protocol", "use HTTP, HTTPS, TCP"),
    (", protocolVersion: HTTP3", "spec.protocolVersion", "use HTTP1 or HTTP2"),
    (", protocolVersion: GRPC", "spec.protocolVersion", "GRPCRoute"),
    (", healthCheck: {path: 'no-slash'}", "spec.healthCheck.path", "would refuse this health check"),
    (", healthCheck: {statusMatch: '2xx'}", "spec.healthCheck.statusMatch", "would refuse this health check"),
])
def test_target_group_policy_values_lattice_refuses_are_invalid_on_the_policy(body: str, field: str, words: str):
    """row 19: the CRD leaves protocol and version free strings and the health check path
    and status codes unchecked; Lattice would refuse them (anchor passes them through)."""
    result = Resolved(tgp("t", body))
    assert words in assert_refused(result, "TargetGroupPolicy", "t", "Invalid", field)
    assert result.index.target_group("shop", "web") is None


@pytest.mark.parametrize("ref, field", [
    (target("Gateway", "main"), "spec.targetRef.kind"),
    (target("Service", "web", group="apps"), "spec.targetRef.group"),
])
def test_target_group_policy_on_a_kind_it_cannot_target_is_invalid(ref: str, field: str):
    """row 19: Service (core group) or ServiceExport (application-networking.k8s.aws) only."""
    result = Resolved(policy("TargetGroupPolicy", "t", f"{{targetRef: {ref}}}"))
    message = assert_refused(result, "TargetGroupPolicy", "t", "Invalid", field)
    assert "Service (group '')" in message and "ServiceExport (group 'application-networking.k8s.aws')" in message


def test_target_group_policy_on_a_missing_service_is_target_not_found():
    """row 19: TargetNotFound names the target; the policy applies once it exists."""
    result = Resolved(tgp("t", service="gone"))
    message = assert_refused(result, "TargetGroupPolicy", "t", "TargetNotFound", "spec.targetRef.name")
    assert "Service shop/gone not found" in message


EXPORT_REF = target("ServiceExport", "web", group="application-networking.k8s.aws")


def test_target_group_policy_on_a_service_export_needs_exports_to_be_read():
    """row 19: without ServiceExports in the snapshot the target cannot be found, and the
    message says why rather than pretending the export is missing."""
    result = Resolved(policy("TargetGroupPolicy", "e", f"{{targetRef: {EXPORT_REF}, protocol: HTTPS}}"))
    message = assert_refused(result, "TargetGroupPolicy", "e", "TargetNotFound", "spec.targetRef.name")
    assert "does not read ServiceExport objects" in message
    assert result.index.export_target_group("shop", "web") is None


def test_export_lookup_prefers_the_export_policy_and_falls_back_to_the_service_one():
    """row 19: an export's target groups take the ServiceExport's policy, else the
    Service's (the anchor looks at the Service first; the export's policy is the more
    specific one)."""
    exported = frozenset({("shop", "web")})
    both = Resolved(tgp("s", ", protocol: HTTP") +
                    policy("TargetGroupPolicy", "e", f"{{targetRef: {EXPORT_REF}, protocol: HTTPS}}"),
                    service_exports=exported)
    assert both.accepted("TargetGroupPolicy", "e").status == "True"
    assert both.index.export_target_group("shop", "web").protocol == "HTTPS"
    assert both.index.target_group("shop", "web").protocol == "HTTP"
    service_only = Resolved(tgp("s", ", protocol: HTTP"), service_exports=exported)
    assert service_only.index.export_target_group("shop", "web").source == ObjectRef("TargetGroupPolicy", "shop", "s")


# --- conflicts (rows 19, 30) ----------------------------------------------------------------


def test_oldest_policy_wins_and_the_loser_is_conflicted_naming_the_winner():
    """row 19: oldest creationTimestamp first, whatever the names; the loser's condition
    names the winner."""
    result = Resolved(tgp("a-young", ", protocol: HTTPS", created="2024-06-01T00:00:00Z") +
                      tgp("z-old", ", protocol: TCP", created="2024-01-01T00:00:00Z"))
    assert result.index.target_group("shop", "web").protocol == "TCP"
    assert result.accepted("TargetGroupPolicy", "z-old").status == "True"
    message = assert_refused(result, "TargetGroupPolicy", "a-young", "Conflicted", "spec.targetRef")
    assert message.startswith("TargetGroupPolicy shop/z-old also targets Service shop/web")


def test_same_age_is_decided_by_namespace_then_name():
    """row 30: equal timestamps fall back to namespace/name order (a grant lets another
    namespace's policy compete)."""
    grant = f"""---
apiVersion: {GW_GROUP}/v1beta1
kind: ReferenceGrant
metadata: {{name: policies, namespace: infra}}
spec:
  from: [{{group: application-networking.k8s.aws, kind: IAMAuthPolicy, namespace: apps}}]
  to: [{{group: {GW_GROUP}, kind: Gateway}}]
"""
    stamp = "2024-01-01T00:00:00Z"
    deny = ALLOW_ALL.replace("Allow", "Deny")
    result = Resolved(grant + auth("b", created=stamp, namespace="infra") + auth("c", created=stamp, namespace="infra")
                      + auth("a", deny, ref=target("Gateway", "main", namespace="infra"), created=stamp,
                             namespace="apps"))
    assert result.accepted("IAMAuthPolicy", "a", "apps").status == "True"
    assert '"Deny"' in result.index.auth_policy("Gateway", "infra", "main")
    for loser in ("b", "c"):
        assert result.accepted("IAMAuthPolicy", loser, "infra").reason == "Conflicted"
        assert "IAMAuthPolicy apps/a" in result.accepted("IAMAuthPolicy", loser, "infra").message


def test_a_policy_without_timestamp_counts_as_newest():
    """row 19: an object not yet created (a manifest on disk) loses to one that exists."""
    result = Resolved(tgp("a-new", ", protocol: HTTPS") + tgp("b-live", ", protocol: TCP", created="2024-01-01T00:00:00Z"))
    assert result.index.target_group("shop", "web").protocol == "TCP"
    assert result.accepted("TargetGroupPolicy", "a-new").reason == "Conflicted"


def test_an_invalid_older_policy_does_not_block_a_valid_one():
    """row 19: only valid policies compete (the anchor lets an invalid oldest policy win
    and nothing apply)."""
    result = Resolved(tgp("old", ", protocol: UDP", created="2024-01-01T00:00:00Z") +
                      tgp("new", ", protocol: HTTPS", created="2024-06-01T00:00:00Z"))
    assert result.accepted("TargetGroupPolicy", "old").reason == "Invalid"
    assert result.accepted("TargetGroupPolicy", "new").status == "True"
    assert result.index.target_group("shop", "web").protocol == "HTTPS"


# --- cross-namespace targetRef (GEP-713; the anchor ignores targetRef.namespace) ---------------


def test_cross_namespace_target_without_reference_grant_is_invalid():
    """row 30: a policy in 'shop' may not attach to Gateway infra/main on its own say-so."""
    result = Resolved(auth("a", ref=target("Gateway", "main", namespace="infra")))
    message = assert_refused(result, "IAMAuthPolicy", "a", "Invalid", "spec.targetRef.namespace")
    assert "no ReferenceGrant in 'infra' allows IAMAuthPolicy from 'shop'" in message
    assert result.index.auth_policy("Gateway", "infra", "main") is None
    assert result.index.invalid_policies("Gateway", "infra", "main") == ()  # no say over another namespace


@pytest.mark.parametrize("to, applies", [
    (f"{{group: {GW_GROUP}, kind: Gateway, name: main}}", True),
    (f"{{group: {GW_GROUP}, kind: Gateway}}", True),
    (f"{{group: {GW_GROUP}, kind: Gateway, name: other}}", False),
    (f"{{group: {GW_GROUP}, kind: HTTPRoute}}", False),
])
def test_cross_namespace_target_with_reference_grant(to: str, applies: bool):
    """row 31: a ReferenceGrant in the target's namespace, from the policy kind and
    namespace, to that target (or all of its kind), lets the policy attach."""
    grant = f"""---
apiVersion: {GW_GROUP}/v1beta1
kind: ReferenceGrant
metadata: {{name: logs, namespace: infra}}
spec:
  from: [{{group: application-networking.k8s.aws, kind: AccessLogPolicy, namespace: shop}}]
  to: [{to}]
"""
    result = Resolved(grant + access_log("l", S3_ARN, ref=target("Gateway", "main", namespace="infra")))
    logs = result.index.access_logs("Gateway", "infra", "main")
    if applies:
        assert result.accepted("AccessLogPolicy", "l").status == "True"
        assert [spec.destination_arn for spec in logs] == [S3_ARN]
    else:
        assert_refused(result, "AccessLogPolicy", "l", "Invalid", "spec.targetRef.namespace")
        assert logs == ()


def test_a_grant_for_another_kind_does_not_hide_a_later_grant_that_allows_the_policy():
    """Grants are read in name order: 'a-routes' (for HTTPRoutes) comes before 'b-logs'."""
    grants = "".join(f"""---
apiVersion: {GW_GROUP}/v1beta1
kind: ReferenceGrant
metadata: {{name: {name}, namespace: infra}}
spec:
  from: [{{group: {group}, kind: {kind}, namespace: shop}}]
  to: [{{group: {GW_GROUP}, kind: Gateway}}]
""" for name, group, kind in (("a-routes", GW_GROUP, "HTTPRoute"),
                              ("b-logs", "application-networking.k8s.aws", "AccessLogPolicy")))
    result = Resolved(grants + access_log("l", S3_ARN, ref=target("Gateway", "main", namespace="infra")))
    assert result.accepted("AccessLogPolicy", "l").status == "True"
    assert [spec.destination_arn for spec in result.index.access_logs("Gateway", "infra", "main")] == [S3_ARN]


def test_an_unreadable_creation_timestamp_counts_as_newest():
    result = Resolved(tgp("a-garbled", ", protocol: HTTPS", created="not-a-time") +
                      tgp("b-live", ", protocol: TCP", created="2024-01-01T00:00:00Z"))
    assert result.index.target_group("shop", "web").protocol == "TCP"
    assert result.accepted("TargetGroupPolicy", "a-garbled").reason == "Conflicted"


def test_a_timestamp_without_a_zone_is_read_as_utc():
    """2024-01-01T05:00 (no zone) is 05:00 UTC, older than 06:00+00:00 and newer than 04:00+00:00."""
    older = Resolved(tgp("a-zoned", ", protocol: HTTPS", created="2024-01-01T06:00:00+00:00") +
                     tgp("b-naive", ", protocol: TCP", created="2024-01-01T05:00:00"))
    assert older.index.target_group("shop", "web").protocol == "TCP"
    newer = Resolved(tgp("a-zoned", ", protocol: HTTPS", created="2024-01-01T04:00:00+00:00") +
                     tgp("b-naive", ", protocol: TCP", created="2024-01-01T05:00:00"))
    assert newer.index.target_group("shop", "web").protocol == "HTTPS"


# --- VpcAssociationPolicy (row 5) ---------------------------------------------------------


def test_vpc_association_policy_effect():
    """row 5: security groups in order; associateWithVpc unset means true."""
    result = Resolved(vap("v", ", securityGroupIds: [sg-0123456789abcdef0, sg-01234567]"))
    assert result.index.vpc_association("infra", "main") == VpcAssociationEffect(
        security_group_ids=("sg-0123456789abcdef0", "sg-01234567"), associate=True,
        source=ObjectRef("VpcAssociationPolicy", "infra", "v"))
    assert result.index.vpc_association("shop", "main") is None


def test_vpc_association_policy_can_turn_the_association_off():
    """row 5: associateWithVpc false means no association; security groups with it are a warning."""
    result = Resolved(vap("v", ", associateWithVpc: false, securityGroupIds: [sg-01234567]"))
    effect = result.index.vpc_association("infra", "main")
    assert effect.associate is False
    assert result.accepted("VpcAssociationPolicy", "v", "infra").status == "True"
    [warning] = result.problems("VpcAssociationPolicy", "v", "infra")
    assert (warning.severity, warning.field) == ("warning", "spec.securityGroupIds")


@pytest.mark.parametrize("groups, field, words", [
    ([f"sg-0000000{i}" for i in range(6)], "spec.securityGroupIds", "1 to 5 security groups"),
    (["sg-01234567", "sg-123"], "spec.securityGroupIds[1]", "must match the pattern"),
    (["sg-01234567", "sg-01234567"], "spec.securityGroupIds", "listed more than once"),
])
def test_security_groups_lattice_refuses_are_invalid(groups: List[str], field: str, words: str):
    """row 5: at most 5 (quota, not adjustable), each sg- plus 8 or 17 characters; the
    anchor checks neither."""
    result = Resolved(vap("v", f", securityGroupIds: [{', '.join(groups)}]"))
    assert words in assert_refused(result, "VpcAssociationPolicy", "v", "Invalid", field, namespace="infra")
    assert result.index.vpc_association("infra", "main") is None
    assert result.index.invalid_policies("Gateway", "infra", "main") == (
        ObjectRef("VpcAssociationPolicy", "infra", "v"),)


def test_vpc_association_policy_targets_gateways_only():
    """row 5: a route is not a VpcAssociationPolicy target."""
    result = Resolved(policy("VpcAssociationPolicy", "v", f"{{targetRef: {target('HTTPRoute', 'cart')}}}"))
    assert "Gateway (group 'gateway.networking.k8s.io')" in assert_refused(
        result, "VpcAssociationPolicy", "v", "Invalid", "spec.targetRef.kind")


# --- IAMAuthPolicy (row 30) ------------------------------------------------------------------


def test_auth_policy_on_gateway_and_routes_normalised():
    """row 30: Gateway, HTTPRoute and GRPCRoute targets; the text is compact JSON with
    sorted keys, so reformatting a policy changes nothing."""
    spaced = json.dumps(json.loads(ALLOW_ALL), indent=4)
    result = Resolved(auth("gw") + auth("http", spaced, ref=target("HTTPRoute", "cart"))
                      + auth("grpc", ref=target("GRPCRoute", "greeter")))
    expected = '{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}'
    assert result.index.auth_policy("Gateway", "shop", "main") is None  # the Gateway lives in infra
    assert result.index.auth_policy("HTTPRoute", "shop", "cart") == expected
    assert result.index.auth_policy("GRPCRoute", "shop", "greeter") == expected
    assert result.accepted("IAMAuthPolicy", "gw").reason == "TargetNotFound"


def test_auth_policy_on_tls_route_is_invalid():
    """row 30: TLSRoute is not a valid IAMAuthPolicy target."""
    result = Resolved(auth("a", ref=target("TLSRoute", "secure")))
    assert_refused(result, "IAMAuthPolicy", "a", "Invalid", "spec.targetRef.kind")


@pytest.mark.parametrize("text, words", [
    ('{"Statement": [', "is not valid JSON"),
    ('{"Statement": [], "Version": NaN}', "NaN is not a JSON value"),
    ('["Allow"]', "is a JSON list, not an object"),
    ('{"Version": "2012-10-17"}', "has no Statement"),
])
def test_auth_policy_that_is_not_an_iam_policy_is_invalid(text: str, words: str):
    """row 30: the policy must be a JSON IAM policy document (the anchor sends any string)."""
    result = Resolved(auth("a", text, ref=target("HTTPRoute", "cart")))
    assert words in assert_refused(result, "IAMAuthPolicy", "a", "Invalid", "spec.policy")
    assert result.index.auth_policy("HTTPRoute", "shop", "cart") is None
    assert result.index.invalid_policies("HTTPRoute", "shop", "cart") == (ObjectRef("IAMAuthPolicy", "shop", "a"),)


def _policy_of_size(size: int) -> str:
    """A valid policy whose compact form is exactly ``size`` bytes."""
    base = '{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*","Sid":""}]}'
    return base.replace('"Sid":""', '"Sid":"' + "x" * (size - len(base)) + '"')


def test_auth_policy_over_the_10_kb_quota_is_invalid_naming_the_quota():
    """row 30: quota 10 KB (10,240 bytes), below the API field's own limit."""
    at_limit = Resolved(auth("a", _policy_of_size(AUTH_POLICY_MAX_BYTES), ref=target("HTTPRoute", "cart")))
    assert at_limit.accepted("IAMAuthPolicy", "a").status == "True"
    over = Resolved(auth("a", _policy_of_size(AUTH_POLICY_MAX_BYTES + 1), ref=target("HTTPRoute", "cart")))
    message = assert_refused(over, "IAMAuthPolicy", "a", "Invalid", "spec.policy")
    assert "10,241 bytes" in message and "10 KB (10,240 bytes)" in message


# --- AccessLogPolicy (row 31) --------------------------------------------------------------


def test_destination_type_comes_from_the_arn_service():
    """row 31: S3 bucket, CloudWatch Logs group, Firehose stream."""
    assert [destination_type(arn) for arn in (S3_ARN, LOGS_ARN, FIREHOSE_ARN)] == ["s3", "cloudwatch-logs", "firehose"]
    assert destination_type("arn:aws:sqs:us-west-2:123456789012:queue") is None
    assert destination_type("nonsense") is None


def test_one_access_log_per_destination_type_per_target():
    """row 31: two S3 destinations on one route conflict (oldest wins); an S3 bucket, a
    log group and a Firehose stream together all apply, sorted by type."""
    result = Resolved(access_log("s3-old", S3_ARN, created="2024-01-01T00:00:00Z")
                      + access_log("s3-new", "arn:aws:s3:::other-bucket", created="2024-02-01T00:00:00Z")
                      + access_log("logs", LOGS_ARN) + access_log("hose", FIREHOSE_ARN)
                      + access_log("on-grpc", "arn:aws:s3:::other-bucket", ref=target("GRPCRoute", "greeter")),
                      tags={"team": "platform"})
    logs = result.index.access_logs("HTTPRoute", "shop", "cart")
    assert logs == (
        AccessLogSpec("cloudwatch-logs", LOGS_ARN, {"team": "platform", "lattice-gateway/policy": "AccessLogPolicy/shop/logs"}),
        AccessLogSpec("firehose", FIREHOSE_ARN, {"team": "platform", "lattice-gateway/policy": "AccessLogPolicy/shop/hose"}),
        AccessLogSpec("s3", S3_ARN, {"team": "platform", "lattice-gateway/policy": "AccessLogPolicy/shop/s3-old"}),
    )
    message = assert_refused(result, "AccessLogPolicy", "s3-new", "Conflicted", "spec.targetRef")
    assert "AccessLogPolicy shop/s3-old also targets HTTPRoute shop/cart" in message
    assert "one AccessLogPolicy with an S3 bucket destination applies per target" in message
    # Another target's S3 destination does not compete with this one's.
    assert [spec.key for spec in result.index.access_logs("GRPCRoute", "shop", "greeter")] == ["s3"]
    assert result.index.access_logs("Gateway", "infra", "main") == ()


@pytest.mark.parametrize("arn, words", [
    ("arn:aws:sqs:us-west-2:123456789012:my-queue", "ARN of service 'sqs'"),
    ("arn:aws:logs:us-west-2:123456789012:destination:d", "not of a CloudWatch Logs log group"),
    ("arn:aws:firehose:us-west-2:123456789012:deliverystream/", "not of a Firehose delivery stream"),
    ("arn:aws:s3:::", "must be at least 20"),
])
def test_destination_that_is_not_a_log_destination_is_invalid(arn: str, words: str):
    """row 31: the ARN must name an S3 bucket, a log group or a Firehose stream."""
    result = Resolved(access_log("l", arn))
    assert words in assert_refused(result, "AccessLogPolicy", "l", "Invalid", "spec.destinationArn")
    assert result.index.access_logs("HTTPRoute", "shop", "cart") == ()


def test_access_log_policy_with_the_wrong_group_is_invalid():
    """row 31: Gateway/HTTPRoute/GRPCRoute of group gateway.networking.k8s.io only."""
    result = Resolved(access_log("l", S3_ARN, ref=target("HTTPRoute", "cart", group="example.com")))
    assert "HTTPRoute (group 'gateway.networking.k8s.io')" in assert_refused(
        result, "AccessLogPolicy", "l", "Invalid", "spec.targetRef.group")


def test_access_log_policy_on_a_missing_route_is_target_not_found():
    """row 31: TargetNotFound."""
    result = Resolved(access_log("l", S3_ARN, ref=target("GRPCRoute", "cart")))
    assert "GRPCRoute shop/cart not found" in assert_refused(
        result, "AccessLogPolicy", "l", "TargetNotFound", "spec.targetRef.name")


def test_statuses_carry_the_cluster_and_problems_the_origin():
    """rows 5, 19, 30, 31: statuses are keyed like every other object of the cluster."""
    parsed = parse(load_text(WORLD + tgp("t", service="gone"), "policies.yaml"), cluster="east")
    book = StatusBook()
    PolicyIndex.build(parsed.snapshot, book, contract=API_PROBES, cluster="east")
    [status] = book.statuses()
    assert status.ref == ObjectRef("TargetGroupPolicy", "shop", "t", cluster="east")
    [problem] = book.problems
    assert problem.origin == "policies.yaml#5"


# --- the requests the model implies (contract coverage) ----------------------------------


def _model(*, network_policy: Optional[str] = None, service_policy: Optional[str] = None,
           existing: Optional[str] = None) -> LatticeModel:
    logs = (AccessLogSpec("s3", S3_ARN, {"lattice-gateway/policy": "AccessLogPolicy/shop/l"}),)
    gateway = GatewaySpec(key="Gateway/infra/main",
                          service_network=ServiceNetworkSpec(name="main", auth_type="AWS_IAM", existing=existing,
                                                             auth_policy=network_policy),
                          access_logs=logs)
    route = RouteSpec(key="HTTPRoute/shop/cart", kind="HTTPRoute",
                      service=ServiceSpec(name="cart-shop", auth_type="AWS_IAM", auth_policy=service_policy),
                      access_logs=logs)
    return LatticeModel((GatewayClassSpec("GatewayClass/amazon-vpc-lattice", "x", (gateway,), (route,)),))


def _requests(model: LatticeModel, operation: str) -> Dict[str, dict]:
    return {owner: params for owner, op, params in model_requests(model) if op == operation}


def test_auth_policy_and_access_logs_imply_requests_that_pass_the_contract():
    """rows 30, 31: PutAuthPolicy and CreateAccessLogSubscription on the network and the service."""
    model = _model(network_policy=ALLOW_ALL, service_policy=ALLOW_ALL)
    puts = _requests(model, "PutAuthPolicy")
    assert puts == {"Gateway/infra/main": {"resourceIdentifier": PLACEHOLDER_SERVICE_NETWORK_ID, "policy": ALLOW_ALL},
                    "HTTPRoute/shop/cart": {"resourceIdentifier": PLACEHOLDER_SERVICE_ID, "policy": ALLOW_ALL}}
    subscriptions = _requests(model, "CreateAccessLogSubscription")
    assert subscriptions["HTTPRoute/shop/cart"] == {
        "resourceIdentifier": PLACEHOLDER_SERVICE_ID, "destinationArn": S3_ARN,
        "tags": {"lattice-gateway/policy": "AccessLogPolicy/shop/l"}}
    for owner, operation, params in model_requests(model):
        assert check_request(operation, params) == [], (owner, operation)


def test_adopted_network_gets_its_policy_on_the_given_identifier():
    """row 30: an adopted network is named by its ID or ARN in both requests."""
    arn = "arn:aws:vpc-lattice:us-east-1:111122223333:servicenetwork/sn-0123456789abcdef0"
    model = _model(network_policy=ALLOW_ALL, existing=arn)
    assert _requests(model, "PutAuthPolicy")["Gateway/infra/main"]["resourceIdentifier"] == arn
    assert _requests(model, "CreateAccessLogSubscription")["Gateway/infra/main"]["resourceIdentifier"] == arn
    assert "CreateServiceNetwork" not in {op for _, op, _ in model_requests(model)}


def test_put_auth_policy_over_the_api_limit_is_caught_by_the_contract():
    """row 30: one character over the API field's limit is a violation at 'policy'.  The
    limit is read from botocore's model, which has raised it over time (36,864 in
    botocore 1.43, 102,400 in 1.44)."""
    import botocore.session

    model_shape = botocore.session.get_session().get_service_model("vpc-lattice").operation_model("PutAuthPolicy")
    limit = model_shape.input_shape.members["policy"].metadata["max"]
    model = _model(service_policy="x" * (limit + 1))
    [violation] = check_request("PutAuthPolicy", _requests(model, "PutAuthPolicy")["HTTPRoute/shop/cart"])
    assert violation.path == "policy" and f"at most {limit}" in violation.message
    assert _requests(_model(), "PutAuthPolicy") == {}
