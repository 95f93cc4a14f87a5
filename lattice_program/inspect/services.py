"""The service directory (``latticectl services``): every VPC Lattice service the stacks
manage, by the route that owns it, with where it runs and whom it is shared with.

Three layers, each overriding the one before where it knows better:

1. the offline plan of each stack (docs/plan-format.md): the service's name, custom
   domain, auth type, service networks, clusters, backend kinds and RAM principals;
2. the stack's outputs, when it has been applied: its ARN, ID, DNS name and custom domain
   as Lattice gave them (``vocabulary/outputs.py``);
3. the Lattice API (GetService, ListServices where the ID is not known), when there are
   credentials: DNS name, custom domain, auth type and status as they are now.

Backend kinds are the target groups' ``type`` inputs, read generically (IP today; any
type a target group of the plan carries shows as it is); a forward to a target group
outside the stack (an ARN) is ``external``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from lattice_program.vocabulary import outputs as output_names

SERVICE = "aws:vpclattice/service:Service"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"
SERVICE_ASSOCIATION = "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation"
SERVICE_NETWORK = "aws:vpclattice/serviceNetwork:ServiceNetwork"
PRINCIPAL_ASSOCIATION = "aws:ram/principalAssociation:PrincipalAssociation"
ROUTE_COMPONENT_PREFIX = "lattice:index:"
CLUSTER_TAG = "lattice-gateway/cluster"
EXTERNAL = "external"
_REF = "ref:"


@dataclass(frozen=True)
class ServiceInstance:
    """One Lattice service in one stack.  ``source`` says where its values last came from:
    ``plan``, ``outputs`` or ``api``."""

    stack: str
    name: str
    dns_name: Optional[str] = None
    custom_domain: Optional[str] = None
    auth_type: Optional[str] = None
    arn: Optional[str] = None
    id: Optional[str] = None
    status: Optional[str] = None
    networks: Tuple[str, ...] = ()
    clusters: Tuple[str, ...] = ()
    backend_kinds: Tuple[str, ...] = ()
    shared_with: Tuple[str, ...] = ()
    # Principals a network of the service is shared with, as "<principal> via <network>":
    # they reach the service through that network.
    shared_through_networks: Tuple[str, ...] = ()
    source: str = "plan"


@dataclass(frozen=True)
class DirectoryEntry:
    """A route (``Kind/namespace/name``) and its service in each stack that runs it."""

    route: str
    instances: Tuple[ServiceInstance, ...]

    @property
    def kind(self) -> str:
        return self.route.split("/", 1)[0]

    @property
    def namespace(self) -> str:
        return self.route.split("/")[1]

    @property
    def name(self) -> str:
        return self.route.split("/", 2)[2]

    @property
    def stacks(self) -> Tuple[str, ...]:
        return tuple(instance.stack for instance in self.instances)


@dataclass(frozen=True)
class Directory:
    entries: Tuple[DirectoryEntry, ...]
    notes: Tuple[str, ...] = ()  # per stack: what the values come from, what could not be read

    def as_dict(self) -> Dict[str, Any]:
        return {
            "services": [
                {"route": e.route, "kind": e.kind, "namespace": e.namespace, "name": e.name, "stacks": list(e.stacks),
                 "instances": [_plain(asdict(i)) for i in e.instances]}
                for e in self.entries
            ],
            "notes": list(self.notes),
        }


def _plain(values: Dict[str, Any]) -> Dict[str, Any]:
    renamed = {"dns_name": "dnsName", "custom_domain": "customDomain", "auth_type": "authType",
               "backend_kinds": "backendKinds", "shared_with": "sharedWith",
               "shared_through_networks": "sharedThroughNetworks"}
    return {renamed.get(k, k): list(v) if isinstance(v, tuple) else v for k, v in values.items()}


# --- 1. the plan ---------------------------------------------------------------------


def instances_from_plan(stack: str, document: Mapping[str, Any]) -> Dict[str, ServiceInstance]:
    """Route key -> its service as the plan document declares it."""
    resources = document.get("resources") or []
    by_urn = {r["urn"]: r for r in resources}
    children: Dict[Optional[str], List[Mapping[str, Any]]] = {}
    for resource in resources:
        children.setdefault(resource.get("parent"), []).append(resource)
    object_clusters: Dict[str, set] = {}
    for obj in document.get("objects") or []:
        key = f"{obj.get('kind')}/{obj.get('namespace')}/{obj.get('name')}"
        if obj.get("cluster"):
            object_clusters.setdefault(key, set()).add(obj["cluster"])

    found: Dict[str, ServiceInstance] = {}
    for service in resources:
        if service["type"] != SERVICE:
            continue
        component = by_urn.get(service.get("parent") or "")
        if component is None or not component["type"].startswith(ROUTE_COMPONENT_PREFIX):
            continue
        route_key = component["name"]
        owned = list(_descendants(component["urn"], children))
        groups = _target_groups(owned, by_urn)
        inputs = service.get("inputs") or {}
        found[route_key] = ServiceInstance(
            stack=stack,
            name=str(inputs.get("name") or route_key),
            custom_domain=inputs.get("customDomainName"),
            auth_type=inputs.get("authType") or "NONE",
            networks=tuple(sorted({_network_name(a, by_urn) for a in owned if a["type"] == SERVICE_ASSOCIATION})),
            clusters=tuple(sorted(object_clusters.get(route_key, set()) | _group_clusters(groups))),
            backend_kinds=tuple(sorted({_backend_kind(g) for g in groups})),
            shared_with=tuple(str((p.get("inputs") or {}).get("principal")) for p in owned
                              if p["type"] == PRINCIPAL_ASSOCIATION),
            shared_through_networks=tuple(_network_principals(owned, by_urn, children)),
        )
    return found


def _descendants(urn: str, children: Mapping[Optional[str], List[Mapping[str, Any]]]) -> Iterable[Mapping[str, Any]]:
    for child in children.get(urn, []):
        yield child
        yield from _descendants(child["urn"], children)


def _target_groups(owned: Sequence[Mapping[str, Any]], by_urn: Mapping[str, Mapping[str, Any]]) -> List[Any]:
    """The route's own target groups, those its rules forward to elsewhere in the stack
    (a ServiceExport's), and the ARN of each group outside the stack (a plain string)."""
    groups: Dict[str, Any] = {r["urn"]: r for r in owned if r["type"] == TARGET_GROUP}
    for resource in owned:
        for value in _strings(resource.get("inputs")):
            if value.startswith(_REF):
                target = by_urn.get(value[len(_REF):])
                if target is not None and target["type"] == TARGET_GROUP:
                    groups[target["urn"]] = target
            elif value.startswith("arn:") and ":targetgroup/" in value:
                groups[value] = value
    return list(groups.values())


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _group_clusters(groups: Sequence[Any]) -> set:
    """The clusters the target groups are tagged with (an export's groups: the exporting clusters)."""
    tagged = (((g.get("inputs") or {}).get("tags") or {}).get(CLUSTER_TAG) for g in groups if isinstance(g, Mapping))
    return {str(cluster) for cluster in tagged if cluster}


def _backend_kind(group: Any) -> str:
    if isinstance(group, str):
        return EXTERNAL
    return str((group.get("inputs") or {}).get("type") or "IP")


def _network_principals(owned: Sequence[Mapping[str, Any]], by_urn: Mapping[str, Mapping[str, Any]],
                        children: Mapping[Optional[str], List[Mapping[str, Any]]]) -> Iterable[str]:
    """The principals of the RAM shares of the networks the service is associated with (the
    shares are children of the network's Gateway component, as the network is)."""
    for association in owned:
        if association["type"] != SERVICE_ASSOCIATION:
            continue
        identifier = str((association.get("inputs") or {}).get("serviceNetworkIdentifier") or "")
        network = by_urn.get(identifier[len(_REF):]) if identifier.startswith(_REF) else None
        if network is None or network.get("parent") is None:
            continue
        name = _network_name(association, by_urn)
        for sibling in children.get(network["parent"], []):
            if sibling["type"] == PRINCIPAL_ASSOCIATION:
                yield f"{(sibling.get('inputs') or {}).get('principal')} via {name}"


def _network_name(association: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> str:
    identifier = str((association.get("inputs") or {}).get("serviceNetworkIdentifier") or "")
    if identifier.startswith(_REF):
        network = by_urn.get(identifier[len(_REF):])
        if network is not None and network["type"] == SERVICE_NETWORK:
            return str((network.get("inputs") or {}).get("name") or network["name"])
    return identifier  # an adopted network, by the ID or ARN given


# --- 2. the stack's outputs ------------------------------------------------------------


def with_outputs(instances: Mapping[str, ServiceInstance], stack_outputs: Optional[Mapping[str, Any]]
                 ) -> Dict[str, ServiceInstance]:
    """The plan's services with what the applied stack says of each (values not yet known
    are left out, never shown)."""
    values = output_names.known(dict(stack_outputs or {}))
    updated = dict(instances)
    for key, instance in instances.items():
        output = values.get(key)
        if not isinstance(output, Mapping):
            continue
        updated[key] = replace(
            instance,
            arn=output.get("serviceArn") or instance.arn,
            id=output.get("serviceId") or instance.id,
            dns_name=output.get("dnsName") or instance.dns_name,
            custom_domain=output.get(output_names.CUSTOM_DOMAIN) or instance.custom_domain,
            shared_with=tuple(output.get(output_names.SHARED_WITH) or instance.shared_with),
            source="outputs")
    return updated


# --- 3. the Lattice API ----------------------------------------------------------------


def with_lattice(instances: Mapping[str, ServiceInstance], client: Any) -> Tuple[Dict[str, ServiceInstance], List[str]]:
    """Each service as the vpc-lattice API answers for it now; a service the API does not
    know (not applied yet, or deleted) keeps its offline values.  A failed call is a note,
    never the end of the directory."""
    from botocore.exceptions import BotoCoreError, ClientError

    notes: List[str] = []
    updated = dict(instances)
    by_name: Optional[Dict[str, str]] = None
    for key, instance in instances.items():
        try:
            identifier = instance.id or instance.arn
            if identifier is None:
                if by_name is None:
                    by_name = _service_ids_by_name(client)
                identifier = by_name.get(instance.name)
            if identifier is None:
                continue
            answer = client.get_service(serviceIdentifier=identifier)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                notes.append(f"{instance.stack}: {key}: service {instance.name} not found in VPC Lattice")
                continue
            notes.append(f"{instance.stack}: {key}: the Lattice API refused GetService: {error}")
            continue
        except BotoCoreError as error:
            notes.append(f"{instance.stack}: the Lattice API could not be asked ({error}); offline values shown")
            break
        entry = answer.get("dnsEntry") or {}
        updated[key] = replace(
            instance, arn=answer.get("arn") or instance.arn, id=answer.get("id") or instance.id,
            dns_name=entry.get("domainName") or instance.dns_name,
            custom_domain=answer.get("customDomainName") or instance.custom_domain,
            auth_type=answer.get("authType") or instance.auth_type, status=answer.get("status"), source="api")
    return updated, notes


def _service_ids_by_name(client: Any) -> Dict[str, str]:
    ids: Dict[str, str] = {}
    for page in client.get_paginator("list_services").paginate():
        for summary in page.get("items", []):
            ids[summary["name"]] = summary["id"]
    return ids


# --- the directory ---------------------------------------------------------------------


@dataclass(frozen=True)
class StackView:
    """What is known of one stack: its plan document, its outputs (None: not applied, or
    not readable) and a Lattice client (None: offline)."""

    stack: str
    plan: Mapping[str, Any]
    outputs: Optional[Mapping[str, Any]] = None
    lattice: Optional[Any] = None
    notes: Tuple[str, ...] = field(default_factory=tuple)


def directory(views: Sequence[StackView]) -> Directory:
    by_route: Dict[str, List[ServiceInstance]] = {}
    notes: List[str] = []
    for view in views:
        notes.extend(view.notes)
        notes.extend(f"{view.stack}: {problem.get('field')}: {problem.get('message')}"
                     for problem in view.plan.get("problems") or []
                     if problem.get("severity") == "error" and problem.get("object") is None)
        instances = with_outputs(instances_from_plan(view.stack, view.plan), view.outputs)
        if view.lattice is not None:
            instances, api_notes = with_lattice(instances, view.lattice)
            notes.extend(api_notes)
        for key, instance in instances.items():
            by_route.setdefault(key, []).append(instance)
    entries = tuple(DirectoryEntry(route, tuple(instances)) for route, instances in sorted(by_route.items()))
    return Directory(entries=entries, notes=tuple(notes))
