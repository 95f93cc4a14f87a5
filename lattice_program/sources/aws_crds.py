"""Typed, frozen models of the AWS Gateway API Controller's four policy kinds.

TargetGroupPolicy, VpcAssociationPolicy, IAMAuthPolicy and AccessLogPolicy
(``application-networking.k8s.aws/v1alpha1``) are how users of the AWS controller say
what the Gateway API cannot: target group protocol and health check, the security
groups of the VPC association, IAM auth, access logs.  Reading them unchanged lets
those users bring their manifests along.

The models carry exactly the constraints of the controller's CRD schemas (v2.1.3), so
that what the API server would refuse is refused here, with its field path.  What the
CRDs let through but VPC Lattice would refuse (a protocol name the CRD leaves as a free
string, more than five security groups, an auth policy over the 10 KB quota, ...) is
not a schema matter: ``policies`` checks it and reports it on the policy's own status.
"""

from __future__ import annotations

from typing import Annotated, Dict, List, Literal, Optional, Tuple, Union

from pydantic import Field, StringConstraints

from lattice_program.sources.gateway_api import Group, Kind, NamespaceName, ObjectMeta, PortNumber, _Model

GROUP = "application-networking.k8s.aws"
VERSIONS = frozenset({"v1alpha1"})

# From the CRDs: a policy's targetRef name has a length but no pattern (it may name a
# Service, a Gateway or a route), and the destination ARN pattern is anchored at the
# start only.
TargetName = Annotated[str, StringConstraints(min_length=1, max_length=253)]
DESTINATION_ARN = r"^arn(:[a-z0-9]+([.-][a-z0-9]+)*){2}(:([a-z0-9]+([.-][a-z0-9]+)*)?){2}:([^/].*)?"
SECURITY_GROUP_ID = r"^sg-[0-9a-z]+$"
# strict, as the API server is: "10" or true is not an integer, "true" is not a boolean.
Flag = Annotated[bool, Field(strict=True)]
IntervalSeconds = Annotated[int, Field(ge=5, le=300, strict=True)]
TimeoutSeconds = Annotated[int, Field(ge=1, le=120, strict=True)]
ThresholdCount = Annotated[int, Field(ge=2, le=10, strict=True)]


class PolicyTargetReference(_Model):
    """The CRDs' targetRef (Gateway API's NamespacedPolicyTargetReference)."""

    group: Group
    kind: Kind
    name: TargetName
    namespace: Optional[NamespaceName] = None


# --- TargetGroupPolicy --------------------------------------------------------------


class HealthCheckConfig(_Model):
    enabled: Optional[Flag] = None
    interval_seconds: Optional[IntervalSeconds] = None
    timeout_seconds: Optional[TimeoutSeconds] = None
    healthy_threshold_count: Optional[ThresholdCount] = None
    unhealthy_threshold_count: Optional[ThresholdCount] = None
    status_match: Optional[str] = None
    path: Optional[str] = None
    port: Optional[PortNumber] = None
    protocol: Optional[Literal["HTTP", "HTTPS"]] = None
    protocol_version: Optional[Literal["HTTP1", "HTTP2"]] = None


class TargetGroupPolicySpec(_Model):
    target_ref: PolicyTargetReference
    # Free strings in the CRD (documented values HTTP/HTTPS/TCP and HTTP1/HTTP2); the
    # policy check refuses the others on the policy's status.
    protocol: Optional[str] = None
    protocol_version: Optional[str] = None
    health_check: Optional[HealthCheckConfig] = None


class TargetGroupPolicy(_Model):
    api_version: str
    kind: Literal["TargetGroupPolicy"]
    metadata: ObjectMeta
    spec: TargetGroupPolicySpec


# --- VpcAssociationPolicy -----------------------------------------------------------


SecurityGroupId = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=SECURITY_GROUP_ID)]


class VpcAssociationPolicySpec(_Model):
    target_ref: PolicyTargetReference
    security_group_ids: Optional[Annotated[list[SecurityGroupId], Field(min_length=1)]] = None
    associate_with_vpc: Optional[Flag] = None  # unset means true


class VpcAssociationPolicy(_Model):
    api_version: str
    kind: Literal["VpcAssociationPolicy"]
    metadata: ObjectMeta
    spec: VpcAssociationPolicySpec


# --- IAMAuthPolicy ------------------------------------------------------------------


class IAMAuthPolicySpec(_Model):
    target_ref: PolicyTargetReference
    policy: str  # IAM policy JSON, as text


class IAMAuthPolicy(_Model):
    api_version: str
    kind: Literal["IAMAuthPolicy"]
    metadata: ObjectMeta
    spec: IAMAuthPolicySpec


# --- AccessLogPolicy ----------------------------------------------------------------


class AccessLogPolicySpec(_Model):
    target_ref: PolicyTargetReference
    destination_arn: Annotated[str, StringConstraints(pattern=DESTINATION_ARN)]


class AccessLogPolicy(_Model):
    api_version: str
    kind: Literal["AccessLogPolicy"]
    metadata: ObjectMeta
    spec: AccessLogPolicySpec


Policy = Union[TargetGroupPolicy, VpcAssociationPolicy, IAMAuthPolicy, AccessLogPolicy]


# --- ServiceNetwork: a service network with a lifetime of its own (cluster-scoped) -----


class ServiceNetwork(_Model):
    api_version: str
    kind: Literal["ServiceNetwork"]
    metadata: ObjectMeta


CLUSTER_SCOPED = frozenset({"ServiceNetwork"})


# --- multi-cluster: ServiceExport, ServiceImport (the controller's own CRDs) ------------

FEDERATION = GROUP + "/federation"
FEDERATION_VALUE = "amazon-vpc-lattice"
LEGACY_PORTS = GROUP + "/port"
RouteType = Literal["HTTP", "GRPC", "TLS"]


class ExportedPort(_Model):
    port: PortNumber
    route_type: RouteType


class ServiceExportSpecModel(_Model):
    exported_ports: Optional[Annotated[List[ExportedPort], Field(max_length=100)]] = None


class ServiceExport(_Model):
    api_version: str
    kind: Literal["ServiceExport"]
    metadata: ObjectMeta
    spec: ServiceExportSpecModel = Field(default_factory=ServiceExportSpecModel)


class ServiceImport(_Model):
    api_version: str
    kind: Literal["ServiceImport"]
    metadata: ObjectMeta

POLICY_KINDS: Tuple[str, ...] = ("TargetGroupPolicy", "VpcAssociationPolicy", "IAMAuthPolicy", "AccessLogPolicy")

# (apiVersion group, kind) → model; merged with gateway_api.MODELS by the parser.
MODELS: Dict[Tuple[str, str], type[_Model]] = {
    (GROUP, "TargetGroupPolicy"): TargetGroupPolicy,
    (GROUP, "VpcAssociationPolicy"): VpcAssociationPolicy,
    (GROUP, "IAMAuthPolicy"): IAMAuthPolicy,
    (GROUP, "AccessLogPolicy"): AccessLogPolicy,
    (GROUP, "ServiceExport"): ServiceExport,
    (GROUP, "ServiceNetwork"): ServiceNetwork,
    (GROUP, "ServiceImport"): ServiceImport,
}


def served_versions(group: str, kind: str) -> frozenset[str]:
    """The versions we read of one of this module's kinds (empty for any other)."""
    return VERSIONS if (group, kind) in MODELS else frozenset()
