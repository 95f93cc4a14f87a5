"""Per-object outcome in Gateway API vocabulary: conditions, parent statuses, problems.

The translator never raises for bad input.  Everything it has to say about an object
lands here, keyed by the object's identity, so the CLI can print it, the plan can carry
it, and the watch daemon can write it back as ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional, Tuple

Severity = Literal["error", "warning"]

# The kinds whose status this tool writes (the watch daemon), and those it also puts the
# AWS controller's annotations or a reconcile acknowledgement on; the daemon's RBAC
# grants exactly these writes.
STATUS_KINDS = ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute",
                "TargetGroupPolicy", "VpcAssociationPolicy", "IAMAuthPolicy", "AccessLogPolicy")
ANNOTATED_KINDS = ("Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute")


@dataclass(frozen=True, order=True)
class ObjectRef:
    kind: str
    namespace: Optional[str]
    name: str
    api_version: str = field(default="", compare=False)
    cluster: str = ""  # the stack's name for the cluster the object lives in

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}" + (f" in cluster {self.cluster}" if self.cluster else "")

    @property
    def key(self) -> str:
        """Stable identity used for logical names and stack outputs: ``Kind/ns/name``."""
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Condition:
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str = ""


@dataclass(frozen=True)
class Problem:
    """Something wrong with one object (or one input document), and how to fix it."""

    object: Optional[ObjectRef]
    field: str
    message: str
    severity: Severity = "error"
    origin: str = ""

    def __str__(self) -> str:
        where = str(self.object) if self.object else self.origin
        path = f" {self.field}" if self.field else ""
        return f"{where}{path}: {self.message}"


@dataclass
class ParentStatus:
    parent_ref: Dict[str, object]
    conditions: Dict[str, Condition] = field(default_factory=dict)


@dataclass
class ListenerStatus:
    """A Gateway listener's status: what it accepts and how many routes attach."""

    name: str
    supported_kinds: List[str] = field(default_factory=list)
    attached_routes: int = 0
    conditions: Dict[str, Condition] = field(default_factory=dict)


@dataclass
class ObjectStatus:
    ref: ObjectRef
    conditions: Dict[str, Condition] = field(default_factory=dict)
    parents: List[ParentStatus] = field(default_factory=list)
    listeners: Dict[str, ListenerStatus] = field(default_factory=dict)  # Gateways only


class StatusBook:
    """Collects conditions and problems for every object the translator looked at."""

    def __init__(self) -> None:
        self._statuses: Dict[ObjectRef, ObjectStatus] = {}
        self._by_key: Dict[str, ObjectRef] = {}
        self.problems: List[Problem] = []

    def status(self, ref: ObjectRef) -> ObjectStatus:
        found = self._statuses.get(ref)
        if found is None:
            found = self._statuses[ref] = ObjectStatus(ref)
            self._by_key.setdefault(ref.key, ref)
        return found

    def ref_for_key(self, key: str) -> Optional[ObjectRef]:
        """The first object seen with this identity (``Kind/ns/name``), in any cluster."""
        return self._by_key.get(key)

    def condition(self, ref: ObjectRef, condition: Condition) -> None:
        self.status(ref).conditions[condition.type] = condition

    def parent(self, ref: ObjectRef, parent_ref: Dict[str, object]) -> ParentStatus:
        status = self.status(ref)
        for existing in status.parents:
            if existing.parent_ref == parent_ref:
                return existing
        created = ParentStatus(parent_ref)
        status.parents.append(created)
        return created

    def on_accepted_parents(self, ref: ObjectRef, condition: Condition) -> None:
        """Set ``condition`` on every parent status of ``ref`` whose ``Accepted`` is True."""
        for parent in self.status(ref).parents:
            accepted = parent.conditions.get("Accepted")
            if accepted is not None and accepted.status == "True":
                parent.conditions[condition.type] = condition

    def problem(self, problem: Problem) -> None:
        self.problems.append(problem)
        if problem.object is not None:
            self.status(problem.object)

    def statuses(self) -> Tuple[ObjectStatus, ...]:
        return tuple(self._statuses[ref] for ref in sorted(self._statuses))

    def errors_for(self, ref: ObjectRef) -> List[Problem]:
        return [p for p in self.problems if p.object == ref and p.severity == "error"]
