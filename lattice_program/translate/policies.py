"""The AWS controller's four policies, resolved once per snapshot into plain lookups.

A policy (GEP-713 policy attachment) names one target object with ``targetRef`` and
changes how that target is programmed: TargetGroupPolicy the target groups of a Service
or ServiceExport, VpcAssociationPolicy the VPC association of a Gateway's service
network, IAMAuthPolicy the auth policy of a Gateway's network or a route's service,
AccessLogPolicy their access-log subscriptions.  ``PolicyIndex.build`` decides, for every
policy, whether it applies, and writes the answer on the policy's own status
(``Accepted`` with reason ``Accepted``, ``Invalid``, ``TargetNotFound`` or
``Conflicted``) with a problem naming the field.  The translator then only asks "what
applies to this object?" and gets plain data back.

Where the AWS controller is looser, this is stricter, and says so on the policy:

* A targetRef into another namespace needs a ReferenceGrant in the target's namespace
  (GEP-713); the controller silently reads the policy's own namespace instead.
* What the CRDs leave open but VPC Lattice would refuse is refused here, on the policy,
  before it can make a whole route fail the API contract: an unknown protocol, an
  auth policy over the 10 KB quota or not a JSON IAM policy, more than five security
  groups, a destination that is not an S3 bucket, log group or Firehose stream.
* Only valid policies compete for a target: an older but invalid policy does not
  block a valid one.  Among valid ones the oldest ``creationTimestamp`` wins, then
  namespace and name; an object without a timestamp (not yet created, e.g. a manifest
  on disk) counts as newest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, FrozenSet, List, Literal, Mapping, Optional, Protocol, Sequence, Tuple, cast

from components.specs import AccessLogSpec, HealthCheckSpec, TargetGroupSpec

from lattice_program.sources import aws_crds
from lattice_program.sources import gateway_api as k8s
from lattice_program.translate import naming
from lattice_program.sources.snapshot import NamespacedName, Snapshot
from lattice_program.vocabulary.status import Condition, ObjectRef, Problem, StatusBook

ACCEPTED = "Accepted"
INVALID = "Invalid"
TARGET_NOT_FOUND = "TargetNotFound"
CONFLICTED = "Conflicted"

AUTH_POLICY_MAX_BYTES = 10 * 1024  # Lattice quota "auth policy size: 10 KB", not adjustable

CORE_GROUP = ""
POLICY_TAG = "lattice-gateway/policy"

# Access-log destination type by the ARN's service: Lattice allows one subscription of
# each type per service network or service.  The value is the AccessLogSpec key.
DESTINATION_TYPES = {"s3": "s3", "logs": "cloudwatch-logs", "firehose": "firehose"}
_DESTINATION_NAMES = {"s3": "an S3 bucket", "cloudwatch-logs": "a CloudWatch Logs log group",
                      "firehose": "a Firehose delivery stream"}
# What follows the account in the ARN of each destination type.
_DESTINATION_RESOURCE_PREFIX = {"logs": "log-group:", "firehose": "deliverystream/"}

_NEWEST = datetime.max.replace(tzinfo=timezone.utc)


# --- what the translator gets ------------------------------------------------------------


@dataclass(frozen=True)
class TargetGroupPolicyEffect:
    """What an accepted TargetGroupPolicy sets on its target's target groups.

    ``None`` means the policy leaves it to the route kind's default (HTTP/HTTP1; GRPC for
    a GRPCRoute, which overrides any version).  ``protocol_version`` is always ``None``
    for TCP.  A ``health_check`` without ``enabled`` in the policy is enabled: writing a
    health check block asks for health checks.
    """

    protocol: Optional[Literal["HTTP", "HTTPS", "TCP"]]
    protocol_version: Optional[Literal["HTTP1", "HTTP2"]]
    health_check: Optional[HealthCheckSpec]
    source: ObjectRef


@dataclass(frozen=True)
class VpcAssociationEffect:
    """What an accepted VpcAssociationPolicy sets on its Gateway's VPC association:
    ``associate`` False means no association at all (``associateWithVpc: false``);
    an empty ``security_group_ids`` means the policy names none."""

    security_group_ids: Tuple[str, ...]
    associate: bool
    source: ObjectRef


@dataclass
class PolicyIndex:
    """Every policy of one snapshot, resolved; build it with :meth:`build`."""

    _target_groups: Dict[NamespacedName, TargetGroupPolicyEffect] = field(default_factory=dict)
    _export_target_groups: Dict[NamespacedName, TargetGroupPolicyEffect] = field(default_factory=dict)
    _vpc_associations: Dict[NamespacedName, VpcAssociationEffect] = field(default_factory=dict)
    _auth_policies: Dict[Tuple[str, str, str], str] = field(default_factory=dict)
    _access_logs: Dict[Tuple[str, str, str], List[AccessLogSpec]] = field(default_factory=lambda: defaultdict(list))
    _invalid: Dict[Tuple[str, str, str], List[ObjectRef]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, snapshot: Snapshot, book: StatusBook, *, contract: "PolicyContract", cluster: str = "",
              tags: Optional[Mapping[str, str]] = None,
              service_exports: Optional[FrozenSet[NamespacedName]] = None) -> "PolicyIndex":
        """Resolve every policy of ``snapshot`` and record each one's status in ``book``.

        ``cluster`` is the snapshot's cluster name (it is part of every object's
        identity); ``tags`` are put on every access-log subscription, with the policy's
        identity added.  ``service_exports`` are the ServiceExports that exist, as
        (namespace, name); ``None`` while ServiceExports are not read at all, which makes
        every TargetGroupPolicy on a ServiceExport ``TargetNotFound`` with that reason.
        """
        index = cls()
        resolver = _Resolver(snapshot, book, cluster, dict(tags or {}), service_exports, index, contract)
        for rules in _RULES:
            resolver.resolve(rules)
        return index

    # --- lookups (plain data out) ---

    def target_group(self, namespace: str, service: str) -> Optional[TargetGroupPolicyEffect]:
        """The TargetGroupPolicy that applies to Service ``namespace/service``."""
        return self._target_groups.get((namespace, service))

    def export_target_group(self, namespace: str, name: str) -> Optional[TargetGroupPolicyEffect]:
        """The TargetGroupPolicy for the target groups of ServiceExport ``namespace/name``:
        one on the ServiceExport itself, else one on the Service it exports (same name).
        The AWS controller looks at the Service first; the policy written for the export
        is the more specific one, so it wins here."""
        return self._export_target_groups.get((namespace, name)) or self._target_groups.get((namespace, name))

    def vpc_association(self, namespace: str, gateway: str) -> Optional[VpcAssociationEffect]:
        """The VpcAssociationPolicy that applies to Gateway ``namespace/gateway``."""
        return self._vpc_associations.get((namespace, gateway))

    def auth_policy(self, kind: str, namespace: str, name: str) -> Optional[str]:
        """The IAM auth policy (compact JSON, keys sorted) for a Gateway, HTTPRoute or
        GRPCRoute; the translator sets ``auth_type="AWS_IAM"`` with it."""
        return self._auth_policies.get((kind, namespace, name))

    def access_logs(self, kind: str, namespace: str, name: str) -> Tuple[AccessLogSpec, ...]:
        """The access-log subscriptions of a Gateway, HTTPRoute or GRPCRoute, sorted by
        key (destination type), at most one per type."""
        return tuple(sorted(self._access_logs.get((kind, namespace, name), ()), key=lambda spec: spec.key))

    def invalid_policies(self, kind: str, namespace: str, name: str) -> Tuple[ObjectRef, ...]:
        """Policies that validly target this object (allowed kind, permitted namespace)
        but were refused as ``Invalid`` for their own content: for a caller that would
        rather not program an object whose auth or security groups were meant to be
        restricted than program it open."""
        return tuple(sorted(self._invalid.get((kind, namespace, name), ())))


# --- the rules of each policy kind ----------------------------------------------------------


class ContractBreach(Protocol):
    path: str  # the request member, such as ``config.healthCheck.path``
    message: str


class PolicyContract(Protocol):
    """What the policy checks ask of the VPC Lattice API model.

    The contract room answers (``lattice_program.contract.probes.API_PROBES``): the
    translator is handed it and never loads botocore itself.  Each method returns the
    breaches of the request a policy's content implies, with placeholder identifiers
    for what only exists once applied."""

    def target_group(self, spec: TargetGroupSpec) -> Sequence[ContractBreach]: ...

    def vpc_association(self, security_group_ids: Sequence[str]) -> Sequence[ContractBreach]: ...

    def access_log_subscription(self, destination_arn: str) -> Sequence[ContractBreach]: ...


@dataclass(frozen=True)
class _Finding:
    reason: str  # Invalid or TargetNotFound
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True, order=True)
class _Target:
    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class _Rules:
    kind: str
    targets: FrozenSet[Tuple[str, str]]  # allowed (group, kind)
    check: Callable[[Any, "PolicyContract"], List[_Finding]]  # the policy's own content, given its model
    # Within one target, policies compete per slot: one slot for most kinds, one per
    # destination type for access logs.
    slot: Callable[[Any], str] = lambda policy: ""


def _group_kinds(pairs: Sequence[Tuple[str, str]]) -> str:
    return " or ".join(f"{kind} (group {group!r})" for group, kind in pairs)


# --- TargetGroupPolicy ---

_TG_PROTOCOLS = ("HTTP", "HTTPS", "TCP")
_TG_PROTOCOL_VERSIONS = ("HTTP1", "HTTP2")
# CreateTargetGroup healthCheck members → the policy's field names.
_HEALTH_CHECK_FIELDS = {
    "enabled": "enabled", "protocol": "protocol", "protocolVersion": "protocolVersion", "path": "path",
    "port": "port", "healthCheckIntervalSeconds": "intervalSeconds", "healthCheckTimeoutSeconds": "timeoutSeconds",
    "healthyThresholdCount": "healthyThresholdCount", "unhealthyThresholdCount": "unhealthyThresholdCount",
    "matcher": "statusMatch",
}


def _check_target_group_policy(policy: aws_crds.TargetGroupPolicy, contract: PolicyContract) -> List[_Finding]:
    spec = policy.spec
    findings: List[_Finding] = []
    if spec.protocol is not None and spec.protocol not in _TG_PROTOCOLS:
        findings.append(_Finding(INVALID, "spec.protocol", f"protocol {spec.protocol!r} is not one VPC Lattice target "
                                 f"groups have; use {', '.join(_TG_PROTOCOLS)}"))
    if spec.protocol_version is not None:
        if spec.protocol == "TCP":
            findings.append(_Finding(INVALID, "spec.protocolVersion", "a TCP target group has no protocol version; "
                                     "remove protocolVersion or use protocol HTTP or HTTPS"))
        elif spec.protocol_version == "GRPC":
            findings.append(_Finding(INVALID, "spec.protocolVersion", "GRPC comes from the route: a GRPCRoute's target "
                                     "groups are always GRPC; use HTTP1 or HTTP2 here"))
        elif spec.protocol_version not in _TG_PROTOCOL_VERSIONS:
            findings.append(_Finding(INVALID, "spec.protocolVersion", f"protocolVersion {spec.protocol_version!r} is "
                                     f"not supported; use {' or '.join(_TG_PROTOCOL_VERSIONS)}"))
    if not findings and spec.health_check is not None:
        findings.extend(_health_check_findings(policy, contract))
    return findings


def _health_check_findings(policy: aws_crds.TargetGroupPolicy, contract: PolicyContract) -> List[_Finding]:
    """The health check as the CreateTargetGroup request will carry it, against the API
    model: its path and status-code patterns are the API's, not the CRD's."""
    effect = _target_group_effect(policy, ObjectRef(policy.kind, policy.metadata.namespace, policy.metadata.name))
    probe = TargetGroupSpec(key="policy-check", name="policy-check", port=80, protocol=effect.protocol or "HTTP",
                            protocol_version=effect.protocol_version, vpc_identifier="",
                            health_check=effect.health_check)
    findings = []
    for violation in contract.target_group(probe):
        member = violation.path.removeprefix("config.healthCheck.").split(".")[0]
        where = f"spec.healthCheck.{_HEALTH_CHECK_FIELDS.get(member, member)}"
        findings.append(_Finding(INVALID, where, f"VPC Lattice would refuse this health check: {violation.message}"))
    return findings


def _target_group_effect(policy: aws_crds.TargetGroupPolicy, source: ObjectRef) -> TargetGroupPolicyEffect:
    spec = policy.spec
    check = spec.health_check
    health_check = None
    if check is not None:
        health_check = HealthCheckSpec(
            enabled=True if check.enabled is None else check.enabled,
            protocol=check.protocol,
            protocol_version=check.protocol_version,
            path=check.path,
            port=check.port,
            matcher=check.status_match,
            interval_seconds=check.interval_seconds,
            timeout_seconds=check.timeout_seconds,
            healthy_threshold_count=check.healthy_threshold_count,
            unhealthy_threshold_count=check.unhealthy_threshold_count,
        )
    protocol_version = None if spec.protocol == "TCP" else spec.protocol_version
    # Both were checked against the supported values before any effect is built.
    return TargetGroupPolicyEffect(cast(Any, spec.protocol), cast(Any, protocol_version), health_check, source)


# --- VpcAssociationPolicy ---


def _check_vpc_association_policy(policy: aws_crds.VpcAssociationPolicy, contract: PolicyContract) -> List[_Finding]:
    spec = policy.spec
    groups = spec.security_group_ids or []
    findings: List[_Finding] = []
    repeated = sorted({group for group in groups if groups.count(group) > 1})
    if repeated:
        findings.append(_Finding(INVALID, "spec.securityGroupIds", f"{repeated} listed more than once; list each "
                                 "security group once"))
    for violation in contract.vpc_association(groups):
        message = violation.message
        if violation.path == "securityGroupIds":  # the count
            message += "; a VPC association takes 1 to 5 security groups (quota, not adjustable)"
        findings.append(_Finding(INVALID, f"spec.{violation.path}", f"VPC Lattice would refuse it: {message}"))
    if groups and spec.associate_with_vpc is False:
        findings.append(_Finding(INVALID, "spec.securityGroupIds", "security groups take no effect while "
                                 "associateWithVpc is false (there is no association to put them on); remove them",
                                 "warning"))
    return findings


# --- IAMAuthPolicy ---


def normalised_auth_policy(text: str) -> str:
    """The policy as sent: compact JSON with sorted keys, so the same policy written
    differently plans no change (and takes the least of the 10 KB quota)."""
    return json.dumps(_load_json(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _load_json(text: str) -> Any:
    """Strict JSON: Python's parser also takes NaN and Infinity, which JSON has not."""
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON value")
    return json.loads(text, parse_constant=refuse)


def _check_iam_auth_policy(policy: aws_crds.IAMAuthPolicy, contract: PolicyContract) -> List[_Finding]:
    try:
        document = _load_json(policy.spec.policy)
    except json.JSONDecodeError as error:
        return [_Finding(INVALID, "spec.policy", f"is not valid JSON ({error.msg} at line {error.lineno}, column "
                         f"{error.colno}); write the IAM policy as a JSON object")]
    except ValueError as error:
        return [_Finding(INVALID, "spec.policy", f"is not valid JSON ({error}); write the IAM policy as a JSON "
                         "object")]
    if not isinstance(document, dict):
        return [_Finding(INVALID, "spec.policy", f"is a JSON {type(document).__name__}, not an object; an IAM policy "
                         'is a JSON object such as {"Version": "2012-10-17", "Statement": [...]}')]
    if "Statement" not in document:
        return [_Finding(INVALID, "spec.policy", "has no Statement; an IAM policy needs at least one statement")]
    size = len(normalised_auth_policy(policy.spec.policy).encode("utf-8"))
    if size > AUTH_POLICY_MAX_BYTES:
        return [_Finding(INVALID, "spec.policy", f"is {size:,} bytes even as compact JSON; VPC Lattice takes at most "
                         f"10 KB ({AUTH_POLICY_MAX_BYTES:,} bytes) per auth policy (quota, not adjustable, and lower "
                         "than the API field's own limit): shorten the policy")]
    return []


# --- AccessLogPolicy ---


def destination_type(arn: str) -> Optional[str]:
    """``s3``, ``cloudwatch-logs`` or ``firehose`` for a destination ARN, else ``None``."""
    parts = arn.split(":", 5)
    return DESTINATION_TYPES.get(parts[2]) if len(parts) == 6 else None


def _check_access_log_policy(policy: aws_crds.AccessLogPolicy, contract: PolicyContract) -> List[_Finding]:
    arn = policy.spec.destination_arn
    violations = contract.access_log_subscription(arn)
    findings = [_Finding(INVALID, f"spec.{v.path}", f"VPC Lattice would refuse it: {v.message}") for v in violations]
    if findings:
        return findings
    service, resource = arn.split(":", 5)[2], arn.split(":", 5)[5]
    expected = ("arn:<partition>:s3:::<bucket>, arn:<partition>:logs:<region>:<account>:log-group:<name>, or "
                "arn:<partition>:firehose:<region>:<account>:deliverystream/<name>")
    if service not in DESTINATION_TYPES:
        return [_Finding(INVALID, "spec.destinationArn", f"is an ARN of service {service!r}; access logs go to an S3 "
                         f"bucket, a CloudWatch Logs log group or a Firehose delivery stream: {expected}")]
    prefix = _DESTINATION_RESOURCE_PREFIX.get(service, "")
    if not resource.startswith(prefix) or resource == prefix:
        return [_Finding(INVALID, "spec.destinationArn", f"is a {service} ARN but not of "
                         f"{_DESTINATION_NAMES[DESTINATION_TYPES[service]]}; expected {expected}")]
    return []


def _access_log_slot(policy: aws_crds.AccessLogPolicy) -> str:
    return destination_type(policy.spec.destination_arn) or ""


_GATEWAY = (k8s.GATEWAY_GROUP, "Gateway")
_HTTP_ROUTE = (k8s.GATEWAY_GROUP, "HTTPRoute")
_GRPC_ROUTE = (k8s.GATEWAY_GROUP, "GRPCRoute")
_SERVICE = (CORE_GROUP, "Service")
_SERVICE_EXPORT = (aws_crds.GROUP, "ServiceExport")

_RULES: Tuple[_Rules, ...] = (
    _Rules("TargetGroupPolicy", frozenset({_SERVICE, _SERVICE_EXPORT}), _check_target_group_policy),
    _Rules("VpcAssociationPolicy", frozenset({_GATEWAY}), _check_vpc_association_policy),
    _Rules("IAMAuthPolicy", frozenset({_GATEWAY, _HTTP_ROUTE, _GRPC_ROUTE}), _check_iam_auth_policy),
    _Rules("AccessLogPolicy", frozenset({_GATEWAY, _HTTP_ROUTE, _GRPC_ROUTE}), _check_access_log_policy,
           _access_log_slot),
)


# --- resolution -------------------------------------------------------------------------------


class _Resolver:
    def __init__(self, snapshot: Snapshot, book: StatusBook, cluster: str, tags: Dict[str, str],
                 service_exports: Optional[FrozenSet[NamespacedName]], index: PolicyIndex,
                 contract: PolicyContract) -> None:
        self.snapshot = snapshot
        self.contract = contract
        self.book = book
        self.cluster = cluster
        self.tags = tags
        self.service_exports = service_exports
        self.index = index

    def resolve(self, rules: _Rules) -> None:
        contenders: Dict[Tuple[_Target, str], List[Tuple[aws_crds.Policy, ObjectRef]]] = defaultdict(list)
        policies = sorted(self.snapshot.policies.get(rules.kind, ()),
                          key=lambda p: (p.metadata.namespace or "", p.metadata.name))
        for policy in policies:
            ref = ObjectRef(policy.kind, policy.metadata.namespace, policy.metadata.name, policy.api_version,
                            self.cluster)
            target = _target_of(policy)
            target_findings = self._target_findings(rules, policy, target)
            content_findings = rules.check(policy, self.contract)
            findings = target_findings + content_findings
            for finding in findings:
                self.book.problem(Problem(ref, finding.field, finding.message, finding.severity, self._origin(ref)))
            errors = [finding for finding in findings if finding.severity == "error"]
            if errors:
                message = "; ".join(f"{f.field}: {f.message}" for f in errors)
                self.book.condition(ref, Condition("Accepted", "False", errors[0].reason, message))
                if not target_findings:
                    self.index._invalid[(target.kind, target.namespace, target.name)].append(ref)
                continue
            contenders[(target, rules.slot(policy))].append((policy, ref))
        for (target, slot), entries in sorted(contenders.items()):
            ordered = sorted(entries, key=lambda entry: _precedence(entry[0]))
            winner, winner_ref = ordered[0]
            self.book.condition(winner_ref, Condition("Accepted", "True", ACCEPTED, f"applies to {target}"))
            self._record(winner, winner_ref, target, slot)
            for _, loser_ref in ordered[1:]:
                what = f"{rules.kind} with {_DESTINATION_NAMES[slot]} destination" if slot else rules.kind
                message = (f"{winner_ref.kind} {winner_ref.namespace}/{winner_ref.name} also targets {target} and takes "
                           f"precedence (older, or as old and first by namespace/name); one {what} applies per target: "
                           "remove one of them or point it elsewhere")
                self.book.condition(loser_ref, Condition("Accepted", "False", CONFLICTED, message))
                self.book.problem(Problem(loser_ref, "spec.targetRef", message, origin=self._origin(loser_ref)))

    def _target_findings(self, rules: _Rules, policy: aws_crds.Policy, target: _Target) -> List[_Finding]:
        allowed = sorted(rules.targets)
        if (target.group, target.kind) not in rules.targets:
            kinds = {kind for _, kind in rules.targets}
            field_path = "spec.targetRef.group" if target.kind in kinds else "spec.targetRef.kind"
            return [_Finding(INVALID, field_path, f"a {rules.kind} cannot target {target.kind} (group "
                             f"{target.group!r}); it targets {_group_kinds(allowed)}")]
        namespace = policy.metadata.namespace or ""
        if target.namespace != namespace and not self._granted(policy, target):
            return [_Finding(INVALID, "spec.targetRef.namespace", f"{target} is in another namespace and no "
                             f"ReferenceGrant in {target.namespace!r} allows {rules.kind} from {namespace!r}; add one "
                             "(from: group application-networking.k8s.aws, kind "
                             f"{rules.kind}; to: group {target.group!r}, kind {target.kind}) or move the policy")]
        if not self._exists(target):
            extra = ""
            if target.kind == "ServiceExport" and self.service_exports is None:
                extra = " (this version of lattice-gateway does not read ServiceExport objects)"
            return [_Finding(TARGET_NOT_FOUND, "spec.targetRef.name", f"{target} not found{extra}; the policy "
                             "applies once it exists")]
        return []

    def _granted(self, policy: aws_crds.Policy, target: _Target) -> bool:
        for grant in self.snapshot.reference_grants.get(target.namespace, ()):
            if not any(f.group == aws_crds.GROUP and f.kind == policy.kind and f.namespace == policy.metadata.namespace
                       for f in grant.spec.from_):
                continue
            if any(t.group == target.group and t.kind == target.kind and t.name in (None, target.name)
                   for t in grant.spec.to):
                return True
        return False

    def _exists(self, target: _Target) -> bool:
        """Whether the target object exists; only called for a kind the policy allows."""
        key = (target.namespace, target.name)
        if target.kind == "ServiceExport":
            return self.service_exports is not None and key in self.service_exports
        objects: Mapping[NamespacedName, object] = {
            "Gateway": self.snapshot.gateways, "HTTPRoute": self.snapshot.http_routes,
            "GRPCRoute": self.snapshot.grpc_routes, "Service": self.snapshot.services,
        }[target.kind]
        return key in objects

    def _record(self, policy: aws_crds.Policy, ref: ObjectRef, target: _Target, slot: str) -> None:
        index = self.index
        where = (target.namespace, target.name)
        if isinstance(policy, aws_crds.TargetGroupPolicy):
            effects = index._export_target_groups if target.kind == "ServiceExport" else index._target_groups
            effects[where] = _target_group_effect(policy, ref)
        elif isinstance(policy, aws_crds.VpcAssociationPolicy):
            groups = tuple(policy.spec.security_group_ids or ())
            index._vpc_associations[where] = VpcAssociationEffect(groups, policy.spec.associate_with_vpc is not False, ref)
        elif isinstance(policy, aws_crds.IAMAuthPolicy):
            index._auth_policies[(target.kind, *where)] = normalised_auth_policy(policy.spec.policy)
        elif isinstance(policy, aws_crds.AccessLogPolicy):
            tags = {**self.tags, POLICY_TAG: naming.tag_value(ref.key)}
            index._access_logs[(target.kind, *where)].append(
                AccessLogSpec(key=slot, destination_arn=policy.spec.destination_arn, tags=tags))

    def _origin(self, ref: ObjectRef) -> str:
        return self.snapshot.origins.get(ref, "")


def _target_of(policy: aws_crds.Policy) -> _Target:
    ref = policy.spec.target_ref
    return _Target(ref.group, ref.kind, ref.namespace or policy.metadata.namespace or "", ref.name)


def _precedence(policy: aws_crds.Policy) -> Tuple[datetime, str, str]:
    return (_created(policy.metadata.creation_timestamp), policy.metadata.namespace or "", policy.metadata.name)


def _created(timestamp: Optional[str]) -> datetime:
    """A creationTimestamp as an aware datetime; missing or unreadable counts as newest."""
    if not timestamp:
        return _NEWEST
    try:
        parsed = datetime.fromisoformat(timestamp)
    except ValueError:
        return _NEWEST
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
