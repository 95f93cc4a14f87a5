"""The mapping as a graph, built from the plan document (``docs/plan-format.md``).

Kubernetes objects on one side, the VPC Lattice resources the plan registers on the
other. An object points at the resources it made that nothing else of its own leads to
(a route at its service network association, a Gateway at its service network); the
resources point along the way traffic goes (network → association → service → listener →
rule → target group), the rule's edges carrying their Lattice weights. An object the
translator refused is marked with the reason it gives; one refused in part (a backend
not found, a duplicate left out) keeps its resources and carries the reason too.

Node ids are generated (``k0``, ``l0``, …): names from manifests only ever reach a
renderer as label text, which each renderer escapes for its format.
"""

from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from lattice_program.engine.changes import object_of
from lattice_program.program.plan_document import SHORT_TYPES
from lattice_program.vocabulary.text import shorten

KUBERNETES = "kubernetes"
LATTICE = "lattice"
# The two sides, as every picture titles them.
SIDES = ((KUBERNETES, "Kubernetes"), (LATTICE, "VPC Lattice"))
# What an edge is, as the renderers draw it apart.
MADE, WEIGHTED, LEADS = "made", "weighted", "leads"  # object -> resource; rule -> group; resource -> resource

ACCEPTED = "accepted"
PARTLY_REFUSED = "partly-refused"
REJECTED = "rejected"

_COMPONENT_PREFIX = "lattice:index:"
_CLUSTER_SCOPED = {"GatewayClass", "ServiceNetwork"}
# A refusal is a False condition of these types (object, route parent or listener).
_REFUSING_CONDITIONS = ("Accepted", "ResolvedRefs")
_SERVICE_ASSOCIATION = "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation"
# A refusal can quote a whole pattern; a picture shows the start, the tables all of it.
LABEL_REASON_LENGTH = 90
LABEL_WIDTH = 48


@dataclass(frozen=True)
class Node:
    id: str
    side: str  # KUBERNETES or LATTICE
    kind: str  # Kubernetes kind, or the Lattice resource's short type
    name: str  # ns/name (or name) of an object; the physical or logical name of a resource
    cluster: Optional[str] = None
    detail: str = ""  # one line more: a listener's protocol and port, a group's target count
    status: str = ACCEPTED
    reason: str = ""  # why it was refused, for REJECTED and PARTLY_REFUSED
    urn: Optional[str] = None  # a resource's URN in the plan


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    weight: Optional[int] = None  # the Lattice weight of a forward to a target group


@dataclass(frozen=True)
class Graph:
    nodes: Tuple[Node, ...]
    edges: Tuple[Edge, ...]

    @cached_property
    def _by_id(self) -> Dict[str, Node]:
        return {node.id: node for node in self.nodes}

    @cached_property
    def _spans_clusters(self) -> bool:
        return len({n.cluster for n in self.side(KUBERNETES)}) > 1

    def node(self, node_id: str) -> Node:
        return self._by_id[node_id]

    def edge_kind(self, edge: Edge) -> str:
        if self.node(edge.source).side == KUBERNETES:
            return MADE
        return WEIGHTED if edge.weight is not None else LEADS

    def side(self, side: str) -> List[Node]:
        return [node for node in self.nodes if node.side == side]

    def label_lines(self, node: Node) -> List[str]:
        """What a picture writes in a node, as plain text (each renderer escapes it):
        the kind, the name, the cluster when the graph spans several, the detail and the
        reason it was refused."""
        lines = [node.kind, node.name]
        if node.side == KUBERNETES and self._spans_clusters:
            lines.append(f"cluster {node.cluster}")
        if node.detail:
            lines.append(node.detail)
        if node.status != ACCEPTED:
            prefix = "rejected" if node.status == REJECTED else "refused in part"
            lines += textwrap.wrap(f"{prefix}: {shorten(node.reason, LABEL_REASON_LENGTH)}", LABEL_WIDTH,
                                   break_on_hyphens=False)
        return [printable(line) for line in lines]

    def as_dict(self) -> Dict[str, Any]:
        return {"nodes": [asdict(node) for node in self.nodes], "edges": [asdict(edge) for edge in self.edges]}


def graph_of(document: Mapping[str, Any]) -> Graph:
    """The graph of one plan document."""
    objects = _object_nodes(document)
    resources, by_urn = _resource_nodes(document)
    edges = _resource_edges(document["resources"], by_urn)
    edges += _ownership_edges(objects, document["resources"], by_urn, edges)
    return Graph(tuple(node for node, _ in objects) + tuple(resources), tuple(_unique(edges)))


def printable(text: str) -> str:
    """Control characters (a manifest may hold any) shown as U+FFFD, never passed on."""
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


# -- Kubernetes objects --------------------------------------------------------------


def _key(kind: str, namespace: Optional[str], name: str) -> str:
    """The object key resources are named after (``engine/changes.py`` object_of)."""
    return f"{kind}/{name}" if kind in _CLUSTER_SCOPED or not namespace else f"{kind}/{namespace}/{name}"


def _object_nodes(document: Mapping[str, Any]) -> List[Tuple[Node, str]]:
    """Every object looked at, then every object refused before it could be (an invalid
    manifest), each with the key its resources carry."""
    errors: Dict[Tuple[str, Optional[str], str, str], List[str]] = {}
    for problem in document["problems"]:
        ref = problem.get("object")
        if ref and problem["severity"] == "error":
            identity = (ref["kind"], ref["namespace"], ref["name"], ref["cluster"])
            errors.setdefault(identity, []).append(f"{problem['field']}: {problem['message']}")
    nodes: List[Tuple[Node, str]] = []
    seen = set()
    for index, item in enumerate(document["objects"]):
        identity = (item["kind"], item["namespace"], item["name"], item["cluster"])
        seen.add(identity)
        status, reason = _status_of(item, errors.get(identity, []))
        nodes.append((Node(id=f"k{index}", side=KUBERNETES, kind=item["kind"], name=_display(item["namespace"], item["name"]),
                           cluster=item["cluster"], status=status, reason=reason), _key(*identity[:3])))
    for identity, messages in errors.items():
        if identity not in seen:
            kind, namespace, name, cluster = identity
            nodes.append((Node(id=f"k{len(nodes)}", side=KUBERNETES, kind=kind, name=_display(namespace, name),
                               cluster=cluster, status=REJECTED, reason=messages[0]), _key(kind, namespace, name)))
    return nodes


def _display(namespace: Optional[str], name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def _status_of(item: Mapping[str, Any], errors: Sequence[str]) -> Tuple[str, str]:
    """Rejected when the object itself, or every parent it names, does not accept it;
    refused in part when anything else of it was refused; the first reason given."""
    own = _refusals(item["conditions"])
    parents = [_refusals(parent["conditions"]) for parent in item["parents"]]
    accepted_parents = [parent for parent in item["parents"]
                        if any(c["type"] == "Accepted" and c["status"] == "True" for c in parent["conditions"])]
    listeners = [refusal for listener in item["listeners"] for refusal in _refusals(listener["conditions"])]
    refused_itself = any(c["type"] == "Accepted" and c["status"] == "False" for c in item["conditions"])
    refused_by_every_parent = bool(item["parents"]) and not accepted_parents
    reasons = list(errors) + own + [r for refusals in parents for r in refusals] + listeners
    if refused_itself or refused_by_every_parent:
        return REJECTED, reasons[0] if reasons else "not accepted"
    if reasons:
        return PARTLY_REFUSED, reasons[0]
    return ACCEPTED, ""


def _refusals(conditions: Sequence[Mapping[str, str]]) -> List[str]:
    return [f"{c['reason']}: {c['message']}" for c in conditions
            if c["type"] in _REFUSING_CONDITIONS and c["status"] == "False"]


# -- Lattice resources ---------------------------------------------------------------


def _resource_nodes(document: Mapping[str, Any]) -> Tuple[List[Node], Dict[str, str]]:
    targets: Dict[str, int] = {}
    for target in document["targets"]:
        targets[target["targetGroup"]] = targets.get(target["targetGroup"], 0) + 1
    nodes: List[Node] = []
    by_urn: Dict[str, str] = {}
    for resource in document["resources"]:
        if resource["type"].startswith(_COMPONENT_PREFIX):
            continue
        node_id = f"l{len(nodes)}"
        by_urn[resource["urn"]] = node_id
        kind = SHORT_TYPES.get(resource["type"], resource["type"].rsplit(":", 1)[-1])
        nodes.append(Node(id=node_id, side=LATTICE, kind=kind, name=_resource_name(kind, resource),
                          detail=_resource_detail(kind, resource, targets), urn=resource["urn"]))
    return nodes, by_urn


def _resource_name(kind: str, resource: Mapping[str, Any]) -> str:
    inputs = resource["inputs"]
    if kind == "TargetGroup" and "lattice-gateway/backend" in (inputs.get("tags") or {}):
        return inputs["tags"]["lattice-gateway/backend"]
    if kind == "VpcAssociation" and isinstance(inputs.get("vpcIdentifier"), str):
        return inputs["vpcIdentifier"]
    if kind == "ServiceNetworkAssociation" and "->" in resource["name"]:
        return "with " + resource["name"].split("->", 1)[1]  # the Gateway whose network it joins
    name = inputs.get("name")
    return name if isinstance(name, str) and name else resource["name"]


def _resource_detail(kind: str, resource: Mapping[str, Any], targets: Mapping[str, int]) -> str:
    inputs = resource["inputs"]
    if kind == "Listener":
        return f"{inputs.get('protocol', '')} {inputs.get('port', '')}".strip()
    if kind == "Rule" and "priority" in inputs:
        return f"priority {inputs['priority']}"
    if kind == "TargetGroup":
        count = targets.get(resource["name"], 0)
        return f"{count} target{'s' if count != 1 else ''}"
    return ""


def _references(value: Any, path: Tuple[str, ...] = ()) -> Iterator[Tuple[Tuple[str, ...], str, Optional[int]]]:
    """Every ``ref:<URN>`` in a resource's inputs with its path, and the weight beside it."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str) and item.startswith("ref:"):
                weight = value.get("weight")
                yield path + (key,), item[len("ref:"):], weight if isinstance(weight, int) else None
            else:
                yield from _references(item, path + (key,))
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, path)


def _resource_edges(resources: Sequence[Mapping[str, Any]], by_urn: Mapping[str, str]) -> List[Edge]:
    edges: List[Edge] = []
    for resource in resources:
        here = by_urn.get(resource["urn"])
        if here is None:
            continue
        inputs = resource["inputs"]
        for path, urn, weight in _references(inputs):
            there = by_urn.get(urn)
            if there is None:
                continue
            if "targetGroups" in path:  # a forward: traffic goes from here to the group
                edges.append(Edge(here, there, weight))
            elif path == ("serviceIdentifier",) and resource["type"] == _SERVICE_ASSOCIATION:
                edges.append(Edge(here, there))  # network → association → service
            elif path == ("serviceIdentifier",) and "listenerIdentifier" in inputs:
                continue  # a rule hangs off its listener, which hangs off the service
            else:
                edges.append(Edge(there, here))
    return edges


def _ownership_edges(objects: Sequence[Tuple[Node, str]], resources: Sequence[Mapping[str, Any]],
                     by_urn: Mapping[str, str], resource_edges: Sequence[Edge]) -> List[Edge]:
    """Each object to the resources it made that none of its own other resources leads to."""
    owned: Dict[str, List[str]] = {}
    for resource in resources:
        if resource["urn"] in by_urn:
            owned.setdefault(resource["name"], []).append(by_urn[resource["urn"]])
    edges: List[Edge] = []
    for node, key in objects:
        mine = [node_id for name, ids in owned.items() if _belongs(name, key, node, objects) for node_id in ids]
        inside = {edge.target for edge in resource_edges if edge.source in mine and edge.target in mine}
        edges += [Edge(node.id, node_id) for node_id in mine if node_id not in inside]
    return edges


def _belongs(logical_name: str, key: str, node: Node, objects: Sequence[Tuple[Node, str]]) -> bool:
    """Whether a resource's logical name is this object's. Objects of one key in several
    clusters share the resources of that key, except where the name goes on with one of
    their clusters (a ServiceExport's groups are made per cluster)."""
    if object_of("::" + logical_name) != key:
        return False
    rest = logical_name[len(key):].lstrip("/").split("/", 1)[0]
    clusters = {other.cluster for other, other_key in objects if other_key == key}
    if len(clusters) > 1 and rest in clusters:
        return rest == node.cluster
    return True


def _unique(edges: Sequence[Edge]) -> Iterator[Edge]:
    seen = set()
    for edge in edges:
        if edge not in seen:
            seen.add(edge)
            yield edge
