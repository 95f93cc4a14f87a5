"""Typed, frozen models of the Kubernetes objects we read.

The subset of Gateway API v1 (GatewayClass, Gateway, HTTPRoute, GRPCRoute, TLSRoute,
ReferenceGrant) and of core/discovery (Service, EndpointSlice, Namespace) that the
translator needs, with the constraints of the upstream CRD schemas (lengths, patterns,
enums, list sizes, integer types, and the simple CEL rules) so that an object the API
server would refuse is refused here too, with its field path, and one it would store is
read.  tests/test_crd_agreement.py holds us to that against the v1.5.0 CRDs and lists
the few deliberate differences.

Fields we cannot honour on VPC Lattice (filters, query-param matches, timeouts, …) are
modelled all the same: the translator must see them to reject a route loudly instead of
silently ignoring them.  Fields we neither use nor need to reject are ignored.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Dict, List, Literal, Optional, Tuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic.alias_generators import to_camel

GATEWAY_GROUP = "gateway.networking.k8s.io"

# Patterns and bounds from the Gateway API v1.5.0 CRDs and Kubernetes naming rules.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
HOSTNAME = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
CONTROLLER_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$"
GROUP = r"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
KIND = r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
PROTOCOL = r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$"
# The CRD's CEL rules (x-kubernetes-validations) on gRPC method matches.
GRPC_SERVICE = re.compile(r"\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*", re.IGNORECASE)
GRPC_METHOD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")

ObjectName = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
# The name in a reference (parentRef, backendRef, gatewayClassName, ReferenceGrant "to"):
# the CRDs bound its length only.  A name no object can have simply finds nothing.
ReferenceName = Annotated[str, StringConstraints(min_length=1, max_length=253)]
NamespaceName = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)]
SectionName = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]


def _not_an_ip_address(value: str) -> str:
    """The spec's Hostname: "IPs are not allowed" (the CRD pattern alone lets 10.0.0.1 through)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return value
    raise ValueError(f"{value!r} is an IP address; Gateway API hostnames must be DNS names (IPs are not allowed): "
                     "use a DNS name or leave hostnames out")


Hostname = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=HOSTNAME),
                     AfterValidator(_not_an_ip_address)]
Group = Annotated[str, StringConstraints(max_length=253, pattern=GROUP)]
Kind = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=KIND)]
# strict: the API server refuses "80" or true for an integer field; so do we.
PortNumber = Annotated[int, Field(ge=1, le=65535, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
    )


class ObjectMeta(_Model):
    name: ObjectName
    namespace: Optional[NamespaceName] = None
    labels: Dict[str, str] = Field(default_factory=dict)
    annotations: Dict[str, str] = Field(default_factory=dict)
    creation_timestamp: Optional[str] = None
    deletion_timestamp: Optional[str] = None
    generation: Optional[int] = None
    uid: Optional[str] = None

    @property
    def deleting(self) -> bool:
        return self.deletion_timestamp is not None

    @field_validator("creation_timestamp", "deletion_timestamp", mode="before")
    @classmethod
    def _timestamp_as_text(cls, value: Any) -> Any:
        # PyYAML turns an unquoted RFC 3339 timestamp into a datetime.
        return value.isoformat() if hasattr(value, "isoformat") else value


# --- shared references ---------------------------------------------------------------


class ParentReference(_Model):
    group: Group = GATEWAY_GROUP
    kind: Kind = "Gateway"
    namespace: Optional[NamespaceName] = None
    name: ReferenceName
    section_name: Optional[SectionName] = None
    port: Optional[PortNumber] = None


class LabelSelectorRequirement(_Model):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: List[str] = Field(default_factory=list)


class LabelSelector(_Model):
    match_labels: Dict[str, str] = Field(default_factory=dict)
    match_expressions: List[LabelSelectorRequirement] = Field(default_factory=list)


# --- GatewayClass, Gateway -----------------------------------------------------------


class GatewayClassSpec(_Model):
    controller_name: Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=CONTROLLER_NAME)]
    description: Optional[Annotated[str, StringConstraints(max_length=64)]] = None


class GatewayClass(_Model):
    api_version: str
    kind: Literal["GatewayClass"]
    metadata: ObjectMeta
    spec: GatewayClassSpec


class RouteNamespaces(_Model):
    from_: Literal["All", "Same", "Selector"] = Field("Same", alias="from")
    selector: Optional[LabelSelector] = None


class RouteGroupKind(_Model):
    group: Group = GATEWAY_GROUP
    kind: Kind


class AllowedRoutes(_Model):
    namespaces: RouteNamespaces = Field(default_factory=RouteNamespaces)
    kinds: Optional[Annotated[List[RouteGroupKind], Field(max_length=8)]] = None


class GatewayTLSConfig(_Model):
    mode: Literal["Terminate", "Passthrough"] = "Terminate"
    certificate_refs: List[Dict[str, Any]] = Field(default_factory=list)
    options: Annotated[Dict[str, Annotated[str, StringConstraints(max_length=4096)]], Field(max_length=16)] = Field(
        default_factory=dict)


class Listener(_Model):
    name: SectionName
    hostname: Optional[Hostname] = None
    port: PortNumber
    protocol: Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=PROTOCOL)]
    tls: Optional[GatewayTLSConfig] = None
    allowed_routes: AllowedRoutes = Field(default_factory=AllowedRoutes)


class GatewaySpecModel(_Model):
    gateway_class_name: ReferenceName
    listeners: Annotated[List[Listener], Field(min_length=1, max_length=64)]
    addresses: List[Dict[str, Any]] = Field(default_factory=list)
    infrastructure: Optional[Dict[str, Any]] = None
    # Read only to say that VPC Lattice cannot honour them.
    tls: Optional[Dict[str, Any]] = None
    allowed_listeners: Optional[Dict[str, Any]] = None

    @field_validator("listeners")
    @classmethod
    def _unique_listener_names(cls, listeners: List[Listener]) -> List[Listener]:
        seen: set[str] = set()
        for listener in listeners:
            if listener.name in seen:
                raise ValueError(f"listener name {listener.name!r} is used twice; listener names must be unique")
            seen.add(listener.name)
        return listeners


class Gateway(_Model):
    api_version: str
    kind: Literal["Gateway"]
    metadata: ObjectMeta
    spec: GatewaySpecModel


# --- HTTPRoute ------------------------------------------------------------------------


class HTTPPathMatch(_Model):
    type: Literal["Exact", "PathPrefix", "RegularExpression"] = "PathPrefix"
    value: Annotated[str, StringConstraints(max_length=1024)] = "/"

    @field_validator("value")
    @classmethod
    def _absolute_path(cls, value: str, info: Any) -> str:
        if info.data.get("type", "PathPrefix") != "RegularExpression":
            if not value.startswith("/"):
                raise ValueError(f"path {value!r} must be absolute and start with '/'")
            for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
                if bad in value:
                    raise ValueError(f"path {value!r} must not contain {bad!r}")
            for bad in ("/..", "/."):
                if value.endswith(bad):
                    raise ValueError(f"path {value!r} must not end with {bad!r}")
        return value


class HTTPHeaderMatch(_Model):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    name: Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=HEADER_NAME)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class HTTPQueryParamMatch(_Model):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    name: Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=HEADER_NAME)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


HTTPMethod = Literal["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]


class HTTPRouteMatch(_Model):
    path: Optional[HTTPPathMatch] = None
    headers: Annotated[List[HTTPHeaderMatch], Field(max_length=16)] = Field(default_factory=list)
    query_params: Annotated[List[HTTPQueryParamMatch], Field(max_length=16)] = Field(default_factory=list)
    method: Optional[HTTPMethod] = None


class BackendRef(_Model):
    group: Group = ""
    kind: Kind = "Service"
    name: ReferenceName
    namespace: Optional[NamespaceName] = None
    port: Optional[PortNumber] = Field(None, validate_default=True)
    weight: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 1
    filters: List[Dict[str, Any]] = Field(default_factory=list)

    @field_validator("port")
    @classmethod
    def _port_for_service(cls, port: Optional[int], info: Any) -> Optional[int]:
        if port is None and info.data.get("group") == "" and info.data.get("kind") == "Service":
            raise ValueError("port is required when referring to a Service; set the Service port to send traffic to")
        return port


class HTTPRouteRule(_Model):
    name: Optional[SectionName] = None
    matches: Annotated[List[HTTPRouteMatch], Field(max_length=64)] = Field(
        default_factory=lambda: [HTTPRouteMatch(path=HTTPPathMatch())]
    )
    filters: List[Dict[str, Any]] = Field(default_factory=list)
    backend_refs: Annotated[List[BackendRef], Field(max_length=16)] = Field(default_factory=list)
    timeouts: Optional[Dict[str, Any]] = None
    retry: Optional[Dict[str, Any]] = None
    session_persistence: Optional[Dict[str, Any]] = None


def _check_rules(rules: List[Any]) -> List[Any]:
    """The CRDs' limits across a route's rules (HTTPRoute and GRPCRoute alike)."""
    if sum(len(rule.matches) for rule in rules) > 128:
        raise ValueError("the total number of matches across all rules must be at most 128")
    names = [rule.name for rule in rules if rule.name]
    if len(names) != len(set(names)):
        raise ValueError("rule names must be unique within a route")
    return rules


class HTTPRouteSpec(_Model):
    parent_refs: Annotated[List[ParentReference], Field(max_length=32)] = Field(default_factory=list)
    hostnames: Annotated[List[Hostname], Field(max_length=16)] = Field(default_factory=list)
    rules: Annotated[List[HTTPRouteRule], Field(min_length=1, max_length=16)] = Field(
        default_factory=lambda: [HTTPRouteRule()]
    )

    @field_validator("rules")
    @classmethod
    def _rule_limits(cls, rules: List[Any]) -> List[Any]:
        return _check_rules(rules)


class HTTPRoute(_Model):
    api_version: str
    kind: Literal["HTTPRoute"]
    metadata: ObjectMeta
    spec: HTTPRouteSpec


# --- GRPCRoute -------------------------------------------------------------------------


class GRPCMethodMatch(_Model):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    service: Optional[Annotated[str, StringConstraints(max_length=1024)]] = None
    method: Optional[Annotated[str, StringConstraints(max_length=1024)]] = None

    @model_validator(mode="after")
    def _service_or_method(self) -> "GRPCMethodMatch":
        if self.service is None and self.method is None:
            raise ValueError("one or both of 'service' and 'method' must be set")
        if self.type == "Exact":
            if self.service is not None and not GRPC_SERVICE.fullmatch(self.service):
                raise ValueError(f"service {self.service!r} is not a gRPC service name (like helloworld.Greeter)")
            if self.method is not None and not GRPC_METHOD.fullmatch(self.method):
                raise ValueError(f"method {self.method!r} is not a gRPC method name (like SayHello)")
        return self


class GRPCRouteMatch(_Model):
    method: Optional[GRPCMethodMatch] = None
    headers: Annotated[List[HTTPHeaderMatch], Field(max_length=16)] = Field(default_factory=list)


class GRPCRouteRule(_Model):
    name: Optional[SectionName] = None
    matches: Annotated[List[GRPCRouteMatch], Field(max_length=64)] = Field(default_factory=list)
    filters: List[Dict[str, Any]] = Field(default_factory=list)
    backend_refs: Annotated[List[BackendRef], Field(max_length=16)] = Field(default_factory=list)
    session_persistence: Optional[Dict[str, Any]] = None


class GRPCRouteSpec(_Model):
    parent_refs: Annotated[List[ParentReference], Field(max_length=32)] = Field(default_factory=list)
    hostnames: Annotated[List[Hostname], Field(max_length=16)] = Field(default_factory=list)
    rules: Annotated[List[GRPCRouteRule], Field(max_length=16)] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _rule_limits(cls, rules: List[Any]) -> List[Any]:
        return _check_rules(rules)


class GRPCRoute(_Model):
    api_version: str
    kind: Literal["GRPCRoute"]
    metadata: ObjectMeta
    spec: GRPCRouteSpec


# --- TLSRoute --------------------------------------------------------------------------


class TLSRouteRule(_Model):
    name: Optional[SectionName] = None
    backend_refs: Annotated[List[BackendRef], Field(min_length=1, max_length=16)]


class TLSRouteSpec(_Model):
    parent_refs: Annotated[List[ParentReference], Field(max_length=32)] = Field(default_factory=list)
    hostnames: Annotated[List[Hostname], Field(min_length=1, max_length=16)]
    rules: Annotated[List[TLSRouteRule], Field(min_length=1, max_length=1)]


class TLSRoute(_Model):
    api_version: str
    kind: Literal["TLSRoute"]
    metadata: ObjectMeta
    spec: TLSRouteSpec


# --- route kinds VPC Lattice cannot serve ------------------------------------------------


class UnservedRouteSpec(_Model):
    parent_refs: Annotated[List[ParentReference], Field(max_length=32)] = Field(default_factory=list)


class UnservedRoute(_Model):
    """A TCPRoute or UDPRoute: read only for its parents, to tell it VPC Lattice has no
    such listener (its other fields are not needed for that)."""

    api_version: str
    kind: Literal["TCPRoute", "UDPRoute"]
    metadata: ObjectMeta
    spec: UnservedRouteSpec


# --- BackendTLSPolicy -----------------------------------------------------------------


class PolicyTargetReference(_Model):
    group: Group
    kind: Kind
    name: ReferenceName
    section_name: Optional[SectionName] = None


class BackendTLSPolicySpec(_Model):
    target_refs: Annotated[List[PolicyTargetReference], Field(min_length=1, max_length=16)]
    validation: Dict[str, Any] = Field(default_factory=dict)


class BackendTLSPolicy(_Model):
    """Read so that a backend meant to be reached over verified TLS is never reached in
    plain HTTP: the translator refuses such backends (fail closed)."""

    api_version: str
    kind: Literal["BackendTLSPolicy"]
    metadata: ObjectMeta
    spec: BackendTLSPolicySpec


# --- ReferenceGrant -------------------------------------------------------------------


class ReferenceGrantFrom(_Model):
    group: Group
    kind: Kind
    namespace: NamespaceName


class ReferenceGrantTo(_Model):
    group: Group
    kind: Kind
    name: Optional[ReferenceName] = None


class ReferenceGrantSpec(_Model):
    from_: Annotated[List[ReferenceGrantFrom], Field(min_length=1, max_length=16)] = Field(alias="from")
    to: Annotated[List[ReferenceGrantTo], Field(min_length=1, max_length=16)]


def _grants_nothing() -> ReferenceGrantSpec:
    # The CRD does not require spec; a ReferenceGrant without one is stored and allows nothing.
    return ReferenceGrantSpec.model_construct(from_=[], to=[])


class ReferenceGrant(_Model):
    api_version: str
    kind: Literal["ReferenceGrant"]
    metadata: ObjectMeta
    spec: ReferenceGrantSpec = Field(default_factory=_grants_nothing)


# --- core and discovery ---------------------------------------------------------------


class ServicePort(_Model):
    name: Optional[str] = None
    port: PortNumber
    target_port: Optional[int | str] = None
    protocol: str = "TCP"
    app_protocol: Optional[str] = None


class ServiceSpecModel(_Model):
    ports: List[ServicePort] = Field(default_factory=list)
    ip_families: List[Literal["IPv4", "IPv6"]] = Field(default_factory=list)
    type: str = "ClusterIP"
    cluster_ip: Optional[str] = Field(None, alias="clusterIP")


class Service(_Model):
    api_version: str
    kind: Literal["Service"]
    metadata: ObjectMeta
    spec: ServiceSpecModel = Field(default_factory=ServiceSpecModel)


class EndpointConditions(_Model):
    ready: Optional[bool] = None
    serving: Optional[bool] = None
    terminating: Optional[bool] = None


class Endpoint(_Model):
    addresses: Annotated[List[str], Field(min_length=1, max_length=100)]
    conditions: EndpointConditions = Field(default_factory=EndpointConditions)


class EndpointPort(_Model):
    name: Optional[str] = None
    port: Optional[PortNumber] = None
    protocol: str = "TCP"
    app_protocol: Optional[str] = None


class EndpointSlice(_Model):
    api_version: str
    kind: Literal["EndpointSlice"]
    metadata: ObjectMeta
    address_type: Literal["IPv4", "IPv6", "FQDN"]
    endpoints: Annotated[List[Endpoint], Field(max_length=1000)] = Field(default_factory=list)
    ports: Optional[Annotated[List[EndpointPort], Field(max_length=100)]] = None

    @property
    def service_name(self) -> Optional[str]:
        return self.metadata.labels.get("kubernetes.io/service-name")


class Namespace(_Model):
    api_version: str
    kind: Literal["Namespace"]
    metadata: ObjectMeta


# (apiVersion group, kind) → model; the kinds the parser accepts.
MODELS: Dict[Tuple[str, str], type[_Model]] = {
    (GATEWAY_GROUP, "GatewayClass"): GatewayClass,
    (GATEWAY_GROUP, "Gateway"): Gateway,
    (GATEWAY_GROUP, "HTTPRoute"): HTTPRoute,
    (GATEWAY_GROUP, "GRPCRoute"): GRPCRoute,
    (GATEWAY_GROUP, "TLSRoute"): TLSRoute,
    (GATEWAY_GROUP, "ReferenceGrant"): ReferenceGrant,
    (GATEWAY_GROUP, "TCPRoute"): UnservedRoute,
    (GATEWAY_GROUP, "UDPRoute"): UnservedRoute,
    (GATEWAY_GROUP, "BackendTLSPolicy"): BackendTLSPolicy,
    ("", "Service"): Service,
    ("", "Namespace"): Namespace,
    ("discovery.k8s.io", "EndpointSlice"): EndpointSlice,
}

CLUSTER_SCOPED = frozenset({"GatewayClass", "Namespace"})

# Versions we understand, per group, and per kind where a kind differs from its group;
# another version of a known kind is reported.
SERVED_VERSIONS: Dict[str, frozenset[str]] = {
    GATEWAY_GROUP: frozenset({"v1", "v1beta1"}),
    "": frozenset({"v1"}),
    "discovery.k8s.io": frozenset({"v1"}),
}
KIND_VERSIONS: Dict[str, frozenset[str]] = {
    # TLSRoute v1 (standard since Gateway API v1.5) shares its shape with v1alpha2/3.
    "TLSRoute": frozenset({"v1", "v1alpha2", "v1alpha3"}),
    "GRPCRoute": frozenset({"v1"}),
    "TCPRoute": frozenset({"v1alpha2"}),
    "UDPRoute": frozenset({"v1alpha2"}),
    # BackendTLSPolicy v1 since Gateway API v1.4; v1alpha3 before it.
    "BackendTLSPolicy": frozenset({"v1", "v1alpha3"}),
}


def served_versions(group: str, kind: str) -> frozenset[str]:
    return KIND_VERSIONS.get(kind, SERVED_VERSIONS.get(group, frozenset()))
