"""Parse raw objects into a typed, indexed snapshot.

One invalid object becomes one :class:`Problem` naming its kind, namespace, name and
the field at fault; it never stops the others.  Kinds we do not read are reported as
warnings and skipped, so a directory of mixed manifests (Deployments, ConfigMaps …)
plans without complaint about what it does not concern.

Three registries of kinds are read: the Gateway API and core subset (``gateway_api``),
our own backend kind (``lattice_crds``) and the AWS controller's policies (``aws_crds``), which are indexed by kind in
``Snapshot.policies`` for ``policies.PolicyIndex`` to resolve.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from pydantic import ValidationError

from lattice_program.sources import aws_crds, lattice_crds
from lattice_program.sources import gateway_api as k8s
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.status import ObjectRef, Problem

NamespacedName = Tuple[str, str]

DEFAULT_NAMESPACE = "default"


@dataclass
class Snapshot:
    gateway_classes: Dict[str, k8s.GatewayClass] = field(default_factory=dict)
    gateways: Dict[NamespacedName, k8s.Gateway] = field(default_factory=dict)
    http_routes: Dict[NamespacedName, k8s.HTTPRoute] = field(default_factory=dict)
    grpc_routes: Dict[NamespacedName, k8s.GRPCRoute] = field(default_factory=dict)
    tls_routes: Dict[NamespacedName, k8s.TLSRoute] = field(default_factory=dict)
    # TCPRoutes and UDPRoutes, by (kind, namespace, name): only told that they are not served.
    unserved_routes: Dict[Tuple[str, str, str], k8s.UnservedRoute] = field(default_factory=dict)
    backend_tls_policies: Dict[str, List[k8s.BackendTLSPolicy]] = field(default_factory=lambda: defaultdict(list))
    services: Dict[NamespacedName, k8s.Service] = field(default_factory=dict)
    namespaces: Dict[str, k8s.Namespace] = field(default_factory=dict)
    reference_grants: Dict[str, List[k8s.ReferenceGrant]] = field(default_factory=lambda: defaultdict(list))
    endpoint_slices: Dict[NamespacedName, List[k8s.EndpointSlice]] = field(default_factory=lambda: defaultdict(list))
    # Policy kind (``TargetGroupPolicy``, …) → its objects, in input order.
    policies: Dict[str, List[aws_crds.Policy]] = field(default_factory=lambda: defaultdict(list))
    service_exports: Dict[NamespacedName, aws_crds.ServiceExport] = field(default_factory=dict)
    service_networks: Dict[str, aws_crds.ServiceNetwork] = field(default_factory=dict)
    service_imports: Dict[NamespacedName, aws_crds.ServiceImport] = field(default_factory=dict)
    lattice_backends: Dict[NamespacedName, lattice_crds.LatticeBackend] = field(default_factory=dict)
    origins: Dict[ObjectRef, str] = field(default_factory=dict)
    # Targets per (namespace, Service, port name, port, address type), filled by backends.
    targets_cache: Dict[Tuple[Any, ...], Tuple[Any, ...]] = field(default_factory=dict, repr=False)

    def namespace_labels(self, namespace: str) -> Dict[str, str]:
        """Labels of a namespace; the automatic name label when the object was not given."""
        found = self.namespaces.get(namespace)
        labels = dict(found.metadata.labels) if found else {}
        labels.setdefault("kubernetes.io/metadata.name", namespace)
        return labels


@dataclass(frozen=True)
class ParseResult:
    snapshot: Snapshot
    problems: Tuple[Problem, ...]


def parse(raw_objects: Iterable[RawObject], *, default_namespace: str = DEFAULT_NAMESPACE,
          cluster: str = "") -> ParseResult:
    """``cluster`` is the stack's name for the cluster the objects come from."""
    snapshot = Snapshot()
    problems: List[Problem] = []
    for raw in raw_objects:
        parsed = _parse_one(raw, default_namespace, cluster, problems)
        if parsed is not None:
            _index(snapshot, parsed, raw.origin, cluster, problems)
    return ParseResult(snapshot, tuple(problems))


def _parse_one(raw: RawObject, default_namespace: str, cluster: str, problems: List[Problem]) -> Optional[k8s.BaseModel]:
    body = raw.body
    if not isinstance(body, dict):
        problems.append(Problem(None, "", f"document is a {type(body).__name__}, not a Kubernetes object; remove it", origin=raw.origin))
        return None
    api_version, kind = body.get("apiVersion"), body.get("kind")
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    name = metadata.get("name") if isinstance(metadata.get("name"), str) else "<unnamed>"
    if not isinstance(api_version, str) or not isinstance(kind, str):
        missing = "apiVersion" if not isinstance(api_version, str) else "kind"
        problems.append(Problem(None, missing, f"missing or not a string; every object needs apiVersion and kind (object {_shown({'type': 'name', 'loc': (), 'input': name})})", origin=raw.origin))
        return None
    group, _, version = api_version.rpartition("/")
    model = _MODELS.get((group, kind))
    namespace = None if kind in _CLUSTER_SCOPED else (metadata.get("namespace") or default_namespace)
    ref = ObjectRef(kind, namespace if namespace is None or isinstance(namespace, str) else str(namespace),
                    name, api_version, cluster)
    if model is None:
        problems.append(Problem(ref, "kind", f"{api_version} {kind} is not read by lattice-gateway; ignored", "warning", raw.origin))
        return None
    served_versions = _served_versions(group, kind)
    if version not in served_versions:
        served = ", ".join(sorted(f"{group}/{v}" if group else v for v in served_versions))
        problems.append(Problem(ref, "apiVersion", f"version {api_version!r} is not supported; use {served}", origin=raw.origin))
        return None
    # Namespaced objects default to the default namespace; a namespace written on a
    # cluster-scoped object means nothing and must not make two objects distinct.
    body = {**body, "metadata": {**metadata, "namespace": namespace}}
    try:
        return model.model_validate(body)
    except ValidationError as error:
        for detail in error.errors():
            problems.append(Problem(ref, _field_path(detail["loc"]), _message(detail), origin=raw.origin))
        return None


_MODELS = {**k8s.MODELS, **aws_crds.MODELS, **lattice_crds.MODELS}
_CLUSTER_SCOPED = k8s.CLUSTER_SCOPED | aws_crds.CLUSTER_SCOPED | lattice_crds.CLUSTER_SCOPED


def _served_versions(group: str, kind: str) -> frozenset[str]:
    if (group, kind) in lattice_crds.MODELS:
        return lattice_crds.served_versions(group, kind)
    return aws_crds.served_versions(group, kind) if (group, kind) in aws_crds.MODELS else k8s.served_versions(group, kind)


def _field_path(loc: Tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("function-") or part in ("str", "int", "literal"):
            continue  # pydantic's names for validator branches, not fields
        else:
            path += f".{part}" if path else str(part)
    return path


# What a value matching each schema pattern looks like, said in words.
_PATTERN_WORDS = {
    k8s.DNS_LABEL: "a DNS label: up to 63 lower-case letters, digits and '-', starting and ending with a letter or digit",
    k8s.DNS_SUBDOMAIN: "a DNS subdomain: dot-separated DNS labels of lower-case letters, digits and '-'",
    k8s.HOSTNAME: "a DNS name such as shop.example.com, optionally starting with '*.'",
    k8s.CONTROLLER_NAME: "a domain-prefixed path such as example.com/my-controller",
    k8s.HEADER_NAME: "an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces)",
    k8s.GROUP: "an API group such as gateway.networking.k8s.io, or empty for the core group",
    k8s.KIND: "a kind such as Service: a letter, then letters, digits and '-'",
    k8s.PROTOCOL: "a protocol name such as HTTP, or a domain-prefixed one such as example.com/proto",
    aws_crds.DESTINATION_ARN: "an ARN (arn:partition:service:region:account:resource)",
    aws_crds.SECURITY_GROUP_ID: "a security group ID such as sg-0123456789abcdef0",
    lattice_crds.LAMBDA_FUNCTION_ARN: "a Lambda function ARN such as arn:aws:lambda:eu-west-1:123456789012:function:checkout",
    lattice_crds.LAMBDA_FUNCTION_NAME: "a Lambda function name: 1 to 64 letters, digits, '-' and '_'",
    lattice_crds.INSTANCE_ID: "an EC2 instance ID such as i-0123456789abcdef0",
    lattice_crds.ALB_ARN: "an Application Load Balancer ARN (…:loadbalancer/app/NAME/ID)",
    lattice_crds.VPC_ID: "a VPC ID such as vpc-0123456789abcdef0",
}
# Values are shown only when they are short scalars, and never from these fields.
_SHOWN_UP_TO = 64
_NEVER_SHOWN = ("annotations", "policy", "document")


def _message(detail: Dict[str, Any]) -> str:
    message = detail["msg"]
    message = message.removeprefix("Value error, ")
    if detail["type"] == "missing":
        return "required field is missing; add it"
    context = detail.get("ctx") or {}
    if detail["type"] == "too_long" and "actual_length" in context:
        return f"has {context['actual_length']} items; at most {context['max_length']} are allowed: remove some"
    if detail["type"] == "too_short" and "actual_length" in context:
        return f"has {context['actual_length']} items; at least {context['min_length']} are needed"
    if detail["type"] == "string_pattern_mismatch":
        words = _PATTERN_WORDS.get(context.get("pattern", ""))
        message = f"must be {words}" if words else "is not in the form this field takes"
    shown = _shown(detail)
    return f"{message} (got {shown})" if shown else message


def _shown(detail: Dict[str, Any]) -> str:
    """The offending value, when it is a short scalar of a field that may be shown."""
    value = detail.get("input")
    if detail["type"] == "model_type" or isinstance(value, (dict, list, tuple)) or value is None:
        return ""
    if any(isinstance(part, str) and any(word in part.lower() for word in _NEVER_SHOWN) for part in detail["loc"]):
        return ""
    if isinstance(value, str) and len(value) > _SHOWN_UP_TO:
        return f"{value[:20]!r}… ({len(value)} characters)"
    return repr(value)


def _index(snapshot: Snapshot, obj: Any, origin: str, cluster: str, problems: List[Problem]) -> None:
    meta = obj.metadata
    ref = ObjectRef(obj.kind, meta.namespace, meta.name, obj.api_version, cluster)
    if ref in snapshot.origins:
        problems.append(Problem(ref, "metadata.name", f"defined again (first at {snapshot.origins[ref]}); the first definition is kept", origin=origin))
        return
    snapshot.origins[ref] = origin
    key = (meta.namespace or "", meta.name)
    if isinstance(obj, k8s.GatewayClass):
        snapshot.gateway_classes[meta.name] = obj
    elif isinstance(obj, k8s.Namespace):
        snapshot.namespaces[meta.name] = obj
    elif isinstance(obj, k8s.Gateway):
        snapshot.gateways[key] = obj
    elif isinstance(obj, k8s.HTTPRoute):
        snapshot.http_routes[key] = obj
    elif isinstance(obj, k8s.GRPCRoute):
        snapshot.grpc_routes[key] = obj
    elif isinstance(obj, k8s.TLSRoute):
        snapshot.tls_routes[key] = obj
    elif isinstance(obj, k8s.UnservedRoute):
        snapshot.unserved_routes[(obj.kind, *key)] = obj
    elif isinstance(obj, k8s.BackendTLSPolicy):
        snapshot.backend_tls_policies[meta.namespace or ""].append(obj)
    elif isinstance(obj, k8s.Service):
        snapshot.services[key] = obj
    elif isinstance(obj, (aws_crds.TargetGroupPolicy, aws_crds.VpcAssociationPolicy, aws_crds.IAMAuthPolicy,
                          aws_crds.AccessLogPolicy)):
        snapshot.policies[obj.kind].append(obj)
    elif isinstance(obj, aws_crds.ServiceNetwork):
        snapshot.service_networks[meta.name] = obj
    elif isinstance(obj, aws_crds.ServiceExport):
        snapshot.service_exports[key] = obj
    elif isinstance(obj, aws_crds.ServiceImport):
        snapshot.service_imports[key] = obj
    elif isinstance(obj, lattice_crds.LatticeBackend):
        snapshot.lattice_backends[key] = obj
    elif isinstance(obj, k8s.ReferenceGrant):
        snapshot.reference_grants[meta.namespace or ""].append(obj)
    elif isinstance(obj, k8s.EndpointSlice):
        service = obj.service_name
        if not service:
            problems.append(Problem(ref, "metadata.labels", "EndpointSlice has no kubernetes.io/service-name label; it feeds no Service and is ignored", "warning", origin))
            return
        snapshot.endpoint_slices[(meta.namespace or "", service)].append(obj)
