"""The components' typed arguments: plain, frozen data shaped like the VPC Lattice API.

The translator produces these and the components consume them, so this module is the
Lattice model of the design.  It imports nothing but the standard library, so the pure
side (parse, translate, contract check) never loads Pulumi.

Every ``key`` is a stable logical identity derived from Kubernetes identity (namespace,
name, listener port, rule name or match), never from a list position; components use keys
to name their Pulumi children.  References between resources of one route (a rule
forwarding to a target group) use keys too, and the components resolve them to IDs.

Auth policies and access-log subscriptions hang off a service network or a service: a
Gateway or route carries at most one ``auth_policy`` (set together with
``auth_type="AWS_IAM"``) and any number of ``access_logs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping, Optional, Tuple, Union

Tags = Mapping[str, str]


# --- shared by service networks and services ----------------------------------------


@dataclass(frozen=True)
class AccessLogSpec:
    """CreateAccessLogSubscription on the owning service network or service.

    ``key`` is the destination type (``s3``, ``cloudwatch-logs``, ``firehose``): Lattice
    allows one subscription per destination type per resource, so the type is the
    subscription's identity there, and a new destination of the same type replaces the
    subscription in place of a second one that Lattice would refuse.
    """

    key: str
    destination_arn: str
    tags: Tags = field(default_factory=dict)


# --- service network side (Gateway) --------------------------------------------------


@dataclass(frozen=True)
class ServiceNetworkSpec:
    """A service network to create, or (``existing`` set) an existing one to adopt.

    ``existing`` is an ID (``sn-…``) or ARN; adopted networks are never created,
    changed or deleted by us.  ``auth_policy`` (IAM policy JSON) is put on the network,
    adopted or not; the network's ``auth_type`` is only ours to set when we created it.
    """

    name: str
    tags: Tags = field(default_factory=dict)
    auth_type: Literal["NONE", "AWS_IAM"] = "NONE"
    existing: Optional[str] = None
    # Key of a network declared on its own (LatticeModel.service_networks) that this one is.
    provided_by: Optional[str] = None
    auth_policy: Optional[str] = None


@dataclass(frozen=True)
class VpcAssociationSpec:
    """CreateServiceNetworkVpcAssociation for one cluster VPC."""

    key: str
    vpc_identifier: str
    security_group_ids: Tuple[str, ...] = ()
    tags: Tags = field(default_factory=dict)


@dataclass(frozen=True)
class GatewaySpec:
    """A Gateway: its service network and one VPC association per cluster VPC."""

    key: str
    service_network: ServiceNetworkSpec
    vpc_associations: Tuple[VpcAssociationSpec, ...] = ()
    access_logs: Tuple[AccessLogSpec, ...] = ()


# --- service side (routes) -----------------------------------------------------------


@dataclass(frozen=True)
class HealthCheckSpec:
    enabled: bool
    protocol: Optional[str] = None
    protocol_version: Optional[str] = None
    path: Optional[str] = None
    port: Optional[int] = None
    matcher: Optional[str] = None
    interval_seconds: Optional[int] = None
    timeout_seconds: Optional[int] = None
    healthy_threshold_count: Optional[int] = None
    unhealthy_threshold_count: Optional[int] = None


@dataclass(frozen=True)
class DeclaredTarget:
    """A target that is infrastructure, declared as a Pulumi TargetGroupAttachment: a
    Lambda function ARN (no port), an EC2 instance ID, an ALB ARN or a fixed IP address."""

    id: str
    port: Optional[int] = None


TargetGroupType = Literal["IP", "LAMBDA", "INSTANCE", "ALB"]
# What TargetGroupConfig takes per type (botocore vpc-lattice TargetGroupConfig member
# docs: port, protocol, protocolVersion and vpcIdentifier "not supported if the target
# group type is LAMBDA"; healthCheck not for LAMBDA or ALB; ipAddressType "supported only
# if the target group type is IP"; lambdaEventStructureVersion only for LAMBDA).
CONFIG_FIELDS_BY_TYPE: Mapping[str, frozenset] = {
    "IP": frozenset({"port", "protocol", "protocol_version", "vpc_identifier", "ip_address_type", "health_check"}),
    "INSTANCE": frozenset({"port", "protocol", "protocol_version", "vpc_identifier", "health_check"}),
    "ALB": frozenset({"port", "protocol", "protocol_version", "vpc_identifier"}),
    "LAMBDA": frozenset({"lambda_event_structure_version"}),
}


@dataclass(frozen=True)
class TargetGroupSpec:
    """CreateTargetGroup of any type.

    ``port`` is the group's nominal port; traffic goes to each target's own port.
    ``declared_targets`` is None for groups whose members are synced directly (a
    Service's pods, the daemon's fast path); otherwise the members, as Pulumi resources.
    Settings a type does not take (``CONFIG_FIELDS_BY_TYPE``) are None.
    """

    key: str
    name: str
    port: Optional[int]
    protocol: Optional[Literal["HTTP", "HTTPS", "TCP"]]
    protocol_version: Optional[Literal["HTTP1", "HTTP2", "GRPC"]]
    vpc_identifier: Optional[str]
    ip_address_type: Optional[Literal["IPV4", "IPV6"]] = "IPV4"
    type: TargetGroupType = "IP"
    health_check: Optional[HealthCheckSpec] = None
    tags: Tags = field(default_factory=dict)
    lambda_event_structure_version: Optional[Literal["V1", "V2"]] = None
    declared_targets: Optional[Tuple[DeclaredTarget, ...]] = None

    def __post_init__(self) -> None:
        allowed = CONFIG_FIELDS_BY_TYPE.get(self.type)
        if allowed is None:
            raise ValueError(f"target group {self.key!r}: type {self.type!r} is not one of {sorted(CONFIG_FIELDS_BY_TYPE)}")
        given = {name for name in ("port", "protocol", "protocol_version", "vpc_identifier", "ip_address_type",
                                   "health_check", "lambda_event_structure_version") if getattr(self, name) is not None}
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(f"target group {self.key!r} of type {self.type}: {extra} are not settings of that type "
                             f"(it takes {sorted(allowed)}); leave them None")


@dataclass(frozen=True)
class WeightedTargetGroup:
    """One entry of a forward action; ``target_group`` is a TargetGroupSpec key."""

    target_group: str
    weight: int


@dataclass(frozen=True)
class ForwardAction:
    target_groups: Tuple[WeightedTargetGroup, ...]


@dataclass(frozen=True)
class FixedResponseAction:
    status_code: int


Action = Union[ForwardAction, FixedResponseAction]


@dataclass(frozen=True)
class PathMatchSpec:
    kind: Literal["exact", "prefix"]
    value: str
    case_sensitive: bool = True


@dataclass(frozen=True)
class HeaderMatchSpec:
    name: str
    value: str
    case_sensitive: bool = True  # the value; Gateway API header values are case-sensitive


@dataclass(frozen=True)
class HttpMatchSpec:
    method: Optional[str] = None
    path: Optional[PathMatchSpec] = None
    headers: Tuple[HeaderMatchSpec, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """CreateRule on one listener; ``key`` is unique within the listener."""

    key: str
    name: str
    priority: int
    match: HttpMatchSpec
    action: Action
    tags: Tags = field(default_factory=dict)


@dataclass(frozen=True)
class ListenerSpec:
    """CreateListener; ``key`` is unique within the service (port and protocol)."""

    key: str
    name: str
    port: int
    protocol: Literal["HTTP", "HTTPS", "TLS_PASSTHROUGH"]
    default_action: Action
    rules: Tuple[RuleSpec, ...] = ()
    tags: Tags = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    custom_domain_name: Optional[str] = None
    certificate_arn: Optional[str] = None
    auth_type: Literal["NONE", "AWS_IAM"] = "NONE"
    tags: Tags = field(default_factory=dict)
    auth_policy: Optional[str] = None  # IAM policy JSON put on the service


@dataclass(frozen=True)
class ServiceNetworkAssociationSpec:
    """CreateServiceNetworkServiceAssociation; ``gateway`` is a GatewaySpec key."""

    gateway: str
    tags: Tags = field(default_factory=dict)


@dataclass(frozen=True)
class DnsEndpointSpec:
    """An ExternalDNS DNSEndpoint in the route's cluster: CNAME from the custom domain to
    the Lattice service's own DNS name."""

    cluster: str
    namespace: str
    name: str
    hostname: str
    ttl: int = 300


@dataclass(frozen=True)
class RouteSpec:
    """One route (HTTPRoute, …) as one Lattice service with everything under it."""

    key: str
    kind: str
    service: ServiceSpec
    associations: Tuple[ServiceNetworkAssociationSpec, ...] = ()
    listeners: Tuple[ListenerSpec, ...] = ()
    target_groups: Tuple[TargetGroupSpec, ...] = ()
    access_logs: Tuple[AccessLogSpec, ...] = ()
    dns_endpoint: Optional[DnsEndpointSpec] = None


@dataclass(frozen=True)
class GatewayClassSpec:
    key: str
    controller_name: str
    gateways: Tuple[GatewaySpec, ...] = ()
    routes: Tuple[RouteSpec, ...] = ()


@dataclass(frozen=True)
class ServiceExportSpec:
    """A ServiceExport of one cluster: target groups that routes anywhere in the stack
    may forward to (by target group key)."""

    key: str
    target_groups: Tuple[TargetGroupSpec, ...] = ()


@dataclass(frozen=True)
class Target:
    """RegisterTargets member: an endpoint IP and the endpoint's port."""

    id: str
    port: int


@dataclass(frozen=True)
class LatticeModel:
    """Everything one stack wants.  ``targets`` maps a target-group key to its
    desired members; they are synced directly, not through Pulumi state."""

    gateway_classes: Tuple[GatewayClassSpec, ...] = ()
    targets: Mapping[str, Tuple[Target, ...]] = field(default_factory=dict)
    exports: Tuple[ServiceExportSpec, ...] = ()
    # Service networks with a lifetime of their own (ServiceNetwork objects, the default
    # network); Gateways and routes refer to them by key.
    service_networks: Tuple[GatewaySpec, ...] = ()
    # Target groups outside the stack that routes forward to: key -> ARN.
    external_target_groups: Mapping[str, str] = field(default_factory=dict)
    # Kubeconfig context of each cluster the program writes to (DNSEndpoints); None for
    # the ambient kubeconfig.
    kubernetes_contexts: Mapping[str, Optional[str]] = field(default_factory=dict)

    def routes(self) -> Tuple[RouteSpec, ...]:
        return tuple(r for gc in self.gateway_classes for r in gc.routes)

    def gateways(self) -> Tuple[GatewaySpec, ...]:
        return tuple(g for gc in self.gateway_classes for g in gc.gateways)
