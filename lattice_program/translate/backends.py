"""backendRefs to target groups and their desired targets.

A backendRef to a Service resolves to one IP target group per (route, Service, port) in
the cluster's VPC.  Cross-namespace references need a ReferenceGrant in the Service's
namespace (the AWS controller has none and lets any route reach any namespace).  An
unresolved reference is dropped from the rule and reported with the spec's
``ResolvedRefs`` reason: ``BackendNotFound``, ``RefNotPermitted`` or ``InvalidKind``.
Backends that are not pods (our LatticeBackend kind) are ``lattice_backends``'s.

Targets come from the Service's EndpointSlices: each endpoint address with the
EndpointSlice port that backs the referenced Service port (by name when the Service port
is named), terminating endpoints left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from components.specs import HealthCheckSpec, Target, TargetGroupSpec

from lattice_program.sources import gateway_api as k8s
from lattice_program.translate import naming
from lattice_program.sources.snapshot import Snapshot

IP_FAMILY = {"IPv4": "IPV4", "IPv6": "IPV6"}
SLICE_ADDRESS_TYPE = {"IPV4": "IPv4", "IPV6": "IPv6"}


@dataclass(frozen=True)
class Resolved:
    """A backendRef that resolved to a target group.  ``owned``: the route creates the
    group (False for a group another object, such as a ServiceExport, creates).  A group
    outside the stack has no spec, only its ARN."""

    target_group: Optional[TargetGroupSpec]
    targets: Tuple[Target, ...] = ()
    owned: bool = True
    external_arn: Optional[str] = None
    notes: Tuple[str, ...] = ()  # warnings about the reference, said once per rule field

    @property
    def key(self) -> str:
        return self.target_group.key if self.target_group is not None else f"external/{self.external_arn}"


@dataclass(frozen=True)
class Unresolved:
    reason: str  # ResolvedRefs reason
    field: str  # path of the offending field within the route
    message: str
    rejects_route: bool = False  # True when the route as a whole cannot be honoured


@dataclass(frozen=True)
class BackendContext:
    route_key: str
    route_kind: str
    route_namespace: str
    vpc_id: str
    cluster_name: str
    tags: Dict[str, str]
    protocol: str
    protocol_version: Optional[str]
    health_check: Optional[HealthCheckSpec] = None
    # (namespace, Service name) -> the TargetGroupPolicy effect that applies, if any
    target_group_policy: Optional[Callable[[str, str], Any]] = None


def resolve(ref: k8s.BackendRef, field: str, ctx: BackendContext, snapshot: Snapshot) -> Resolved | Unresolved:
    if ref.filters:
        return Unresolved("UnsupportedValue", f"{field}.filters", "VPC Lattice has no per-backend filters; remove them", True)
    if ref.group != "" or ref.kind != "Service":
        return Unresolved("InvalidKind", field, f"backend kind {ref.group or 'core'}/{ref.kind} is not supported; "
                                                "refer to a Service, or to a LatticeBackend (group "
                                                "lattice-gateway.io) for Lambda, EC2, ALB or fixed-IP targets")
    namespace = ref.namespace or ctx.route_namespace
    if namespace != ctx.route_namespace and not granted(snapshot, ctx, namespace, "", "Service", ref.name):
        return Unresolved("RefNotPermitted", field, f"Service {namespace}/{ref.name} is in another namespace and no "
                                             f"ReferenceGrant in {namespace!r} allows {ctx.route_kind} from "
                                             f"{ctx.route_namespace!r}; add one")
    service = snapshot.services.get((namespace, ref.name))
    if service is None:
        return Unresolved("BackendNotFound", field, f"Service {namespace}/{ref.name} not found")
    service_port = next((p for p in service.spec.ports if p.port == ref.port), None)
    if service_port is None:
        ports = [p.port for p in service.spec.ports]
        return Unresolved("BackendNotFound", f"{field}.port", f"Service {namespace}/{ref.name} has no port {ref.port} "
                                             f"(it has {ports})")
    if service.spec.type == "ExternalName":
        return Unresolved("UnsupportedValue", field, f"Service {namespace}/{ref.name} is of type ExternalName, which "
                                              "has no endpoints to register", True)
    if len(service.spec.ip_families) > 1:
        return Unresolved("UnsupportedValue", field, f"Service {namespace}/{ref.name} is dual-stack; VPC Lattice target "
                                              "groups are IPv4 or IPv6: make the Service single-stack", True)
    tls_policy = backend_tls_policy(snapshot, namespace, ref.name, service_port)
    if tls_policy is not None and ctx.route_kind != "TLSRoute":  # passthrough: the client's own TLS reaches the pod
        return Unresolved("UnsupportedProtocol", field, (
            f"Service {namespace}/{ref.name} port {service_port.port} is a target of BackendTLSPolicy "
            f"{namespace}/{tls_policy.metadata.name}, which asks for TLS to the backend verified against a CA and "
            "hostname; VPC Lattice target groups cannot verify a target's certificate, so requests for this "
            "backend fail rather than travel without that check (remove the policy to send them as written)"))
    speaks = app_protocol(ctx, f"Service {namespace}/{ref.name} port {service_port.port}", service_port.app_protocol)
    if isinstance(speaks, str):
        return Unresolved("UnsupportedProtocol", f"{field}.port", speaks)
    protocol, version, notes = speaks
    address_type = IP_FAMILY[service.spec.ip_families[0]] if service.spec.ip_families else "IPV4"
    target_group = _target_group(replace(ctx, protocol=protocol, protocol_version=version), namespace, ref.name,
                                 service_port.port, address_type)
    return Resolved(target_group, service_targets(snapshot, namespace, ref.name, service_port, address_type),
                    notes=notes)


def backend_tls_policy(snapshot: Snapshot, namespace: str, service: str,
                       port: k8s.ServicePort) -> Optional[k8s.BackendTLSPolicy]:
    """The BackendTLSPolicy that targets this Service port (a targetRef with no
    sectionName covers every port; one naming the port's name covers that port)."""
    for policy in snapshot.backend_tls_policies.get(namespace, ()):
        for target in policy.spec.target_refs:
            if target.group == "" and target.kind == "Service" and target.name == service and (
                    target.section_name is None or target.section_name == port.name):
                return policy
    return None


# Service port appProtocol values (KEP-3726's kubernetes.io/ names, and IANA service names).
H2C, WEBSOCKET, SECURE_WEBSOCKET = "kubernetes.io/h2c", "kubernetes.io/ws", "kubernetes.io/wss"
PLAIN_HTTP = ("http", "http1")


def app_protocol(ctx: BackendContext, port: str, value: Optional[str]):
    """(target group protocol, version, warnings) for a Service port's ``appProtocol``, or
    the reason the backend cannot be served.  The spec: an implementation that does not
    support a backend's application protocol sets ``ResolvedRefs=False`` with
    ``UnsupportedProtocol``."""
    protocol, version = ctx.protocol, ctx.protocol_version
    if value is None or ctx.route_kind != "HTTPRoute":
        return protocol, version, ()  # gRPC and TLS passthrough groups are fixed by the route kind
    if value in (WEBSOCKET, SECURE_WEBSOCKET):
        return (f"{port} has appProtocol {value}: VPC Lattice does not carry WebSocket connections, so requests "
                "for this backend fail; serve it another way or remove it from the route")
    if value == H2C:
        return protocol, "HTTP2", ()
    if value.lower() in PLAIN_HTTP:
        return protocol, version, ()
    if value.lower() == "https":
        return "HTTPS", version, ()
    return protocol, version, (f"{port} has appProtocol {value!r}, which lattice-gateway does not know; it is sent "
                               f"{protocol}/{version}",)


UNRESOLVED_BACKENDS = "unresolved-backends"


def unresolved_share(ctx: BackendContext, port: int) -> Resolved:
    """The target group that takes the share of a rule's requests meant for backends that
    did not resolve: it has no targets, so those requests fail, as the spec asks ("the
    proportion of requests that would otherwise have been routed to an invalid backend
    MUST receive a 500"), rather than landing on the backends that did resolve."""
    flavour = f"{ctx.protocol}/{ctx.protocol_version}/IPV4/{ctx.vpc_id}"
    return Resolved(TargetGroupSpec(
        key=f"{ctx.route_key}/{UNRESOLVED_BACKENDS}",
        name=naming.target_group_name(ctx.route_key, ctx.route_namespace, UNRESOLVED_BACKENDS, port, flavour),
        port=port, protocol=ctx.protocol, protocol_version=ctx.protocol_version, vpc_identifier=ctx.vpc_id,
        health_check=ctx.health_check,
        tags={**ctx.tags, "lattice-gateway/route": naming.tag_value(ctx.route_key),
              "lattice-gateway/backend": UNRESOLVED_BACKENDS}))


def service_targets(snapshot: Snapshot, namespace: str, service: str, service_port: k8s.ServicePort,
                    address_type: str) -> Tuple[Target, ...]:
    """The Service's endpoints that back ``service_port``, as targets (worked out once per
    snapshot: every rule of every route naming the Service port asks again)."""
    key = (namespace, service, service_port.name, service_port.port, address_type)
    found = snapshot.targets_cache.get(key)
    if found is None:
        found = snapshot.targets_cache[key] = _targets(snapshot.endpoint_slices.get((namespace, service), ()),
                                                       service_port, address_type)
    return found


def granted(snapshot: Snapshot, ctx: BackendContext, namespace: str, group: str, kind: str, name: str) -> bool:
    """Whether a ReferenceGrant in ``namespace`` lets this route refer to the object."""
    for grant in snapshot.reference_grants.get(namespace, ()):
        if not any(f.group == k8s.GATEWAY_GROUP and f.kind == ctx.route_kind and f.namespace == ctx.route_namespace
                   for f in grant.spec.from_):
            continue
        if any(t.group == group and t.kind == kind and t.name in (None, name) for t in grant.spec.to):
            return True
    return False


def _target_group(ctx: BackendContext, namespace: str, service: str, port: int, address_type: str) -> TargetGroupSpec:
    policy = ctx.target_group_policy(namespace, service) if ctx.target_group_policy else None
    protocol, version, health_check = with_policy(ctx.route_kind, ctx.protocol, ctx.protocol_version,
                                                  ctx.health_check, policy)
    flavour = f"{protocol}/{version}/{address_type}/{ctx.vpc_id}"
    backend = f"{namespace}/{service}:{port}"
    return TargetGroupSpec(
        key=f"{ctx.route_key}/backend/{backend}",
        name=naming.target_group_name(ctx.route_key, namespace, service, port, flavour),
        port=port,
        protocol=protocol,
        protocol_version=version,
        vpc_identifier=ctx.vpc_id,
        ip_address_type=address_type,
        health_check=health_check,
        tags={**ctx.tags, "lattice-gateway/route": naming.tag_value(ctx.route_key),
              "lattice-gateway/backend": naming.tag_value(backend), "lattice-gateway/cluster": naming.tag_value(ctx.cluster_name)},
    )


def _targets(slices: Sequence[k8s.EndpointSlice], service_port: k8s.ServicePort, address_type: str) -> Tuple[Target, ...]:
    wanted_type = SLICE_ADDRESS_TYPE[address_type]
    found: Dict[Tuple[str, int], Target] = {}
    for endpoint_slice in slices:
        if endpoint_slice.address_type != wanted_type:
            continue
        ports = _slice_ports(endpoint_slice, service_port)
        for endpoint in endpoint_slice.endpoints:
            if endpoint.conditions.terminating:
                continue
            for address in endpoint.addresses:
                for port in ports:
                    found.setdefault((address, port), Target(address, port))
    return tuple(found[key] for key in sorted(found))


def _slice_ports(endpoint_slice: k8s.EndpointSlice, service_port: k8s.ServicePort) -> List[int]:
    ports = [p for p in endpoint_slice.ports or () if p.port is not None]
    if service_port.name:
        return [p.port for p in ports if p.name == service_port.name]
    return [p.port for p in ports if not p.name] or [p.port for p in ports]


def merge_duplicates(entries: Sequence[Tuple[Resolved, int]]) -> List[Tuple[Resolved, int]]:
    """Two backendRefs to the same Service port in one rule share one target group."""
    merged: Dict[str, Tuple[Resolved, int]] = {}
    for resolved, weight in entries:
        key = resolved.key
        if key in merged:
            merged[key] = (merged[key][0], merged[key][1] + weight)
        else:
            merged[key] = (resolved, weight)
    return list(merged.values())


def with_policy(kind: str, protocol: str, version: Optional[str], health_check: Optional[HealthCheckSpec],
                policy: Any) -> Tuple[str, Optional[str], Optional[HealthCheckSpec]]:
    """A TargetGroupPolicy's protocol, version and health check over the route kind's own.

    What the kind fixes stays: gRPC target groups speak GRPC and TLS passthrough ones TCP
    (as in the AWS controller); and TCP target groups cannot serve HTTP listeners, so an
    HTTP route keeps an HTTP protocol.
    """
    if policy is None:
        return protocol, version, health_check
    if kind in ("HTTPRoute", "GRPCRoute") and policy.protocol in ("HTTP", "HTTPS"):
        protocol = policy.protocol
    if kind == "HTTPRoute" and policy.protocol_version:
        version = policy.protocol_version
    return protocol, version, policy.health_check or health_check
