"""Multi-cluster services: ServiceExport makes target groups, ServiceImport finds them.

A ServiceExport (the AWS controller's CRD, annotated for federation with VPC Lattice)
in one cluster of the stack becomes one target group per exported port, in that
cluster's VPC, filled with that cluster's endpoints.  A route in any cluster of the
stack that names a ServiceImport of the same namespace and name (namespace sameness,
as in the Kubernetes multi-cluster services API) forwards to the exports of *every*
cluster that has one, splitting the backendRef's weight evenly among them.  The AWS
controller picks one exporter at random (its issue #777).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from components.specs import HealthCheckSpec, Target, TargetGroupSpec

from lattice_program.translate import naming
from lattice_program.translate.backends import Resolved, Unresolved, service_targets, with_policy
from lattice_program.sources.aws_crds import FEDERATION, FEDERATION_VALUE, GROUP, LEGACY_PORTS, RouteType, ServiceExport
from lattice_program.translate.route_kinds import RouteKind
from lattice_program.vocabulary.settings import ClusterSettings
from lattice_program.sources.snapshot import Snapshot
from lattice_program.vocabulary.status import Condition, ObjectRef, Problem, StatusBook

IMPORT_GROUPS = ("", GROUP, "multicluster.x-k8s.io")
EXPORT_NAME = GROUP + "/export-name"
IMPORT_CLUSTER = GROUP + "/aws-eks-cluster-name"
IMPORT_VPC = GROUP + "/aws-vpc"
IMPORT_TARGET_GROUP_ARN = GROUP + "/target-group-arn"
TARGET_GROUP_ARN = re.compile(r"arn:[a-z0-9-]+:vpc-lattice:[a-zA-Z0-9-]+:\d{12}:targetgroup/tg-[0-9a-z]{17}")

ROUTE_TYPE_OF_KIND: Dict[str, RouteType] = {"HTTPRoute": "HTTP", "GRPCRoute": "GRPC", "TLSRoute": "TLS"}
# Target group protocol and version for each exported route type (reference row 28).
TARGET_PROTOCOL: Dict[str, Tuple[str, Optional[str]]] = {"HTTP": ("HTTP", "HTTP1"), "GRPC": ("HTTP", "GRPC"),
                                                         "TLS": ("TCP", None)}


@dataclass(frozen=True)
class ExportedGroup:
    """One exported port of one cluster's ServiceExport, as a target group."""

    cluster: str
    vpc_id: str
    namespace: str
    name: str
    port: int
    route_type: RouteType
    target_group: TargetGroupSpec
    targets: Tuple[Target, ...]


def export_groups(cluster: ClusterSettings, snapshot: Snapshot, book: StatusBook, tags: Dict[str, str],
                  target_group_policy: Callable[[str, str], Any] = lambda namespace, name: None) -> List[ExportedGroup]:
    """The target groups of every federated ServiceExport of one cluster, with the
    TargetGroupPolicy that applies to the export (or its Service)."""
    groups: List[ExportedGroup] = []
    for (namespace, name), export in sorted(snapshot.service_exports.items()):
        ref = ObjectRef("ServiceExport", namespace, name, export.api_version, cluster.name)
        origin = snapshot.origins.get(ref, "")
        if export.metadata.deleting:
            book.problem(Problem(ref, "metadata.deletionTimestamp", "being deleted: its target groups are removed at "
                                 "the next apply", "warning", origin))
            continue
        if export.metadata.annotations.get(FEDERATION) != FEDERATION_VALUE:
            book.problem(Problem(ref, f"metadata.annotations[{FEDERATION}]", f"not set to {FEDERATION_VALUE!r}; the "
                                 "export is not federated with VPC Lattice and is ignored", "warning", origin))
            continue
        service = snapshot.services.get((namespace, name))
        if service is None:
            _invalid(book, ref, origin, "metadata.name", f"Service {namespace}/{name} not found in cluster {cluster.name}")
            continue
        ports, error = _ports(export)
        if error:
            _invalid(book, ref, origin, f"metadata.annotations[{LEGACY_PORTS}]", error)
            continue
        exported: List[ExportedGroup] = []
        for index, (port, route_type) in enumerate(ports):
            service_port = next((p for p in service.spec.ports if p.port == port), None)
            if service_port is None:
                _invalid(book, ref, origin, f"spec.exportedPorts[{index}].port",
                         f"Service {namespace}/{name} has no port {port}")
                exported = []
                break
            address_type = "IPV6" if service.spec.ip_families[:1] == ["IPv6"] else "IPV4"
            kind = {"HTTP": "HTTPRoute", "GRPC": "GRPCRoute", "TLS": "TLSRoute"}[route_type]
            default_check = None if route_type == "HTTP" else HealthCheckSpec(enabled=False)
            protocol, version, health_check = with_policy(kind, *TARGET_PROTOCOL[route_type], default_check,
                                                          target_group_policy(namespace, name))
            key = f"ServiceExport/{namespace}/{name}/{cluster.name}/{route_type.lower()}-{port}"
            flavour = f"{protocol}/{version}/{address_type}/{cluster.vpc_id}"
            group = TargetGroupSpec(
                key=key,
                name=naming.hashed_name(name, namespace, cluster.name, str(port), identity=f"{key}|{flavour}",
                                        max_length=naming.TARGET_GROUP_NAME_MAX,
                                        reserved_prefix=naming.RESERVED_PREFIXES["target_group"]),
                port=port, protocol=protocol, protocol_version=version, vpc_identifier=cluster.vpc_id,
                ip_address_type=address_type,
                health_check=health_check,
                tags={**tags, "lattice-gateway/export": naming.tag_value(f"{namespace}/{name}"),
                      "lattice-gateway/cluster": naming.tag_value(cluster.name)},
            )
            targets = service_targets(snapshot, namespace, name, service_port, address_type)
            exported.append(ExportedGroup(cluster.name, cluster.vpc_id, namespace, name, port, route_type, group, targets))
        if exported:
            book.condition(ref, Condition("Valid", "True", "Exported", "exported on " + ", ".join(
                f"{g.route_type} port {g.port}" for g in exported)))
            groups.extend(exported)
    return groups


def _ports(export: ServiceExport) -> Tuple[List[Tuple[int, RouteType]], Optional[str]]:
    if export.spec.exported_ports:
        return [(p.port, p.route_type) for p in export.spec.exported_ports], None
    legacy = export.metadata.annotations.get(LEGACY_PORTS)
    if legacy is None:
        return [(80, "HTTP")], None  # the AWS controller's default for an export without ports
    ports: List[Tuple[int, RouteType]] = []
    for text in legacy.split(","):
        if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
            return [], f"{legacy!r} is not a comma-separated list of ports; use spec.exportedPorts"
        ports.append((int(text), "HTTP"))
    return ports, None


def _invalid(book: StatusBook, ref: ObjectRef, origin: str, field: str, message: str) -> None:
    book.problem(Problem(ref, field, message, origin=origin))
    book.condition(ref, Condition("Valid", "False", "Invalid", message))


def resolve_import(*, field: str, name: str, namespace: str, port: Optional[int], kind: RouteKind,
                   snapshot: Snapshot, exports: Sequence[ExportedGroup]) -> List[Tuple[Resolved, Fraction]] | Unresolved:
    """The exported target groups a ServiceImport backendRef forwards to, each with its
    share of the backendRef's weight."""
    imported = snapshot.service_imports.get((namespace, name))
    annotations = imported.metadata.annotations if imported else {}
    arn = annotations.get(IMPORT_TARGET_GROUP_ARN)
    filters = {IMPORT_CLUSTER, IMPORT_VPC, EXPORT_NAME} & set(annotations)
    if arn is not None:
        if filters:
            return Unresolved("ConflictingServiceImportAnnotations", field,
                              f"ServiceImport {namespace}/{name} sets {IMPORT_TARGET_GROUP_ARN} together with "
                              f"{', '.join(sorted(filters))}; use one or the other")
        if not TARGET_GROUP_ARN.fullmatch(arn):
            return Unresolved("InvalidExternalTargetGroup", field, f"{arn!r} is not a VPC Lattice target group ARN")
        # A group someone else owns (another stack, another controller): forwarded to as is,
        # never created, changed or deleted here.
        return [(Resolved(None, owned=False, external_arn=arn), Fraction(1))]
    export_name = annotations.get(EXPORT_NAME, name)
    route_type = ROUTE_TYPE_OF_KIND[kind.name]
    found = [g for g in exports
             if (g.namespace, g.name) == (namespace, export_name) and g.route_type == route_type
             and (port is None or g.port == port)
             and annotations.get(IMPORT_CLUSTER, g.cluster) == g.cluster
             and annotations.get(IMPORT_VPC, g.vpc_id) == g.vpc_id]
    if not found:
        wanted = f"{route_type}" + (f" port {port}" if port else "")
        return Unresolved("BackendNotFound", field, f"no cluster of the stack exports {namespace}/{export_name} for "
                                                     f"{wanted} (a ServiceExport with the federation annotation)")
    share = Fraction(1, len(found))
    return [(Resolved(g.target_group, g.targets, owned=False), share) for g in found]

