"""backendRefs to our LatticeBackend kind: target groups of type LAMBDA, INSTANCE, ALB or IP
whose targets are infrastructure, declared as Pulumi resources (not synced like pods).

The reference follows the rules of a Service backendRef: same namespace, or a
ReferenceGrant in the backend's namespace naming ``lattice-gateway.io``/``LatticeBackend``.
What VPC Lattice cannot do with a type on a route kind is refused here, naming the field
and the fix, and the backend's share of the rule then fails like any unresolved backend
(``backends.unresolved_share``).  The constraints, from botocore's vpc-lattice model
(TargetGroupConfig member docs) and the listener each route kind makes:

* LAMBDA groups take no port, protocol, protocol version, VPC or health check, so a
  Lambda serves HTTPRoutes only (gRPC needs protocol version GRPC, TLS passthrough TCP);
* ALB groups take HTTP or HTTPS and no health check; HTTPRoutes only (TLS passthrough
  needs TCP; gRPC to an ALB target group is not documented by VPC Lattice, so refused);
* INSTANCE and IP groups follow the route kind (TCP for TLS passthrough, HTTP or HTTPS
  otherwise).
"""

from __future__ import annotations

from typing import Optional, Tuple

from components.specs import DeclaredTarget, HealthCheckSpec, TargetGroupSpec

from lattice_program.sources import gateway_api as k8s
from lattice_program.sources import lattice_crds
from lattice_program.sources.aws_crds import HealthCheckConfig
from lattice_program.sources.snapshot import Snapshot
from lattice_program.translate import naming
from lattice_program.translate.backends import BackendContext, Resolved, Unresolved, granted

TARGET_GROUP_TYPE = {"lambda": "LAMBDA", "instances": "INSTANCE", "alb": "ALB", "ips": "IP"}
LATTICE_BACKEND_TAG = "lattice-gateway/lattice-backend"  # namespace/name of the LatticeBackend


def is_lattice_backend(ref: k8s.BackendRef) -> bool:
    return ref.group == lattice_crds.GROUP


def resolve_lattice_backend(ref: k8s.BackendRef, field: str, ctx: BackendContext,
                            snapshot: Snapshot) -> Resolved | Unresolved:
    if ref.kind != lattice_crds.KIND:
        return Unresolved("InvalidKind", field, f"backend kind {ref.group}/{ref.kind} is not supported; the "
                                                f"{lattice_crds.GROUP} group has one backend kind, {lattice_crds.KIND}")
    if ref.filters:
        return Unresolved("UnsupportedValue", f"{field}.filters", "VPC Lattice has no per-backend filters; remove them",
                          True)
    namespace = ref.namespace or ctx.route_namespace
    what = f"{lattice_crds.KIND} {namespace}/{ref.name}"
    if namespace != ctx.route_namespace and not granted(snapshot, ctx, namespace, lattice_crds.GROUP,
                                                        lattice_crds.KIND, ref.name):
        return Unresolved("RefNotPermitted", field, f"{what} is in another namespace and no ReferenceGrant in "
                                                    f"{namespace!r} allows {ctx.route_kind} from "
                                                    f"{ctx.route_namespace!r} to refer to it; add one")
    backend = snapshot.lattice_backends.get((namespace, ref.name))
    if backend is None:
        return Unresolved("BackendNotFound", field, f"{what} not found (one defined but invalid is refused with "
                                                    "its own problems; fix those)")
    spec = backend.spec
    block = spec.type_name
    target = spec.target(block)
    refusal = _route_kind_refusal(block, target, ctx, what)
    if refusal:
        return Unresolved("UnsupportedProtocol", field, refusal)
    port = getattr(target, "port", None)
    if ref.port is not None and ref.port != port:
        if port is None:
            message = f"{what} is a Lambda function, which has no port: remove port {ref.port}"
        else:
            message = f"{what} listens on port {port}, not {ref.port}: set port {port} or leave it out"
        return Unresolved("BackendNotFound", f"{field}.port", message)
    if block == "lambda" and target.function_arn is None:
        return Unresolved("UnsupportedValue", field, (
            f"{what}: spec.lambda.functionName {target.function_name!r} would need a Lambda look-up when the stack is "
            "applied, which lattice-gateway does not make yet (VPC Lattice registers a function by its ARN); "
            "write spec.lambda.functionArn instead"))
    return Resolved(_target_group(block, target, spec.health_check, ctx, namespace, ref.name))


def _route_kind_refusal(block: str, target, ctx: BackendContext, what: str) -> Optional[str]:
    kind = ctx.route_kind
    if block == "lambda" and kind != "HTTPRoute":
        needs = "protocol version GRPC" if kind == "GRPCRoute" else "protocol TCP to the target"
        return (f"{what} is a Lambda function: a {kind} needs a target group with {needs}, and VPC Lattice LAMBDA "
                "target groups take no protocol or protocol version; refer to it from an HTTPRoute")
    if block == "alb" and kind != "HTTPRoute":
        why = ("TLS passthrough sends TCP, and an ALB target group speaks HTTP or HTTPS" if kind == "TLSRoute"
               else "VPC Lattice does not document gRPC to ALB target groups")
        return f"{what} is an Application Load Balancer: {why}; refer to it from an HTTPRoute"
    protocol = getattr(target, "protocol", None)
    if protocol is None:
        return None
    if kind == "TLSRoute" and protocol != "TCP":
        return (f"{what} sets spec.{block}.protocol {protocol}, but TLS passthrough forwards TCP to the targets: "
                "set protocol TCP or leave it out")
    if kind != "TLSRoute" and protocol == "TCP":
        return (f"{what} sets spec.{block}.protocol TCP, which cannot serve the HTTP or HTTPS listener of a {kind}: "
                "set HTTP or HTTPS, or leave it out")
    return None


def _target_group(block: str, target, health: Optional[HealthCheckConfig], ctx: BackendContext, namespace: str,
                  name: str) -> TargetGroupSpec:
    group_type = TARGET_GROUP_TYPE[block]
    backend = f"{namespace}/{name}"
    # Not the Services' "lattice-gateway/backend" tag (namespace/name:port): adoption reads that
    # one as a Service backend, and the AWS controller has no group a LatticeBackend could take over.
    tags = {**ctx.tags, "lattice-gateway/route": naming.tag_value(ctx.route_key),
            LATTICE_BACKEND_TAG: naming.tag_value(backend), "lattice-gateway/cluster": naming.tag_value(ctx.cluster_name)}
    key = f"{ctx.route_key}/lattice-backend/{backend}"
    if block == "lambda":
        version = target.event_structure_version
        return TargetGroupSpec(
            key=key, name=_name(ctx, namespace, name, "lambda", f"LAMBDA/{version}"), port=None, protocol=None,
            protocol_version=None, vpc_identifier=None, ip_address_type=None, type="LAMBDA",
            lambda_event_structure_version=version, tags=tags,
            declared_targets=(DeclaredTarget(target.function_arn),))
    protocol = target.protocol or ctx.protocol
    version = None if protocol == "TCP" else ctx.protocol_version
    vpc = target.vpc_id or ctx.vpc_id
    address_type = target.ip_address_type if block == "ips" else None
    members = {"instances": lambda: target.ids, "alb": lambda: (target.arn,), "ips": lambda: target.addresses}[block]()
    declared: Tuple[DeclaredTarget, ...] = tuple(DeclaredTarget(member, target.port) for member in sorted(members))
    flavour = f"{group_type}/{protocol}/{version}/{address_type}/{vpc}"
    return TargetGroupSpec(
        key=key, name=_name(ctx, namespace, name, str(target.port), flavour), port=target.port, protocol=protocol,
        protocol_version=version, vpc_identifier=vpc, ip_address_type=address_type, type=group_type,
        health_check=None if block == "alb" else (_health_check(health) or ctx.health_check), tags=tags,
        declared_targets=declared)


def _name(ctx: BackendContext, namespace: str, name: str, readable: str, flavour: str) -> str:
    """Like a Service's group name: the flavour (every immutable setting) is in the hash,
    so changing one yields a new group, created before the old one goes."""
    return naming.hashed_name(name, namespace, readable,
                              identity=f"{ctx.route_key}|{lattice_crds.KIND}/{namespace}/{name}|{flavour}",
                              max_length=naming.TARGET_GROUP_NAME_MAX,
                              reserved_prefix=naming.RESERVED_PREFIXES["target_group"])


def _health_check(check: Optional[HealthCheckConfig]) -> Optional[HealthCheckSpec]:
    if check is None:
        return None
    return HealthCheckSpec(
        enabled=True if check.enabled is None else check.enabled, protocol=check.protocol,
        protocol_version=check.protocol_version, path=check.path, port=check.port, matcher=check.status_match,
        interval_seconds=check.interval_seconds, timeout_seconds=check.timeout_seconds,
        healthy_threshold_count=check.healthy_threshold_count,
        unhealthy_threshold_count=check.unhealthy_threshold_count)
