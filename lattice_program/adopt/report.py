"""The adoption report: per Kubernetes object, what was found and what adoption does with it.

Statuses, per object:

* ``matched``: every resource the program declares for it was found, owned by the
  controller being adopted (or adopted already), with no input to change;
* ``matched-with-differences``: found and adoptable, but inputs differ (each named, with
  why and what the first ``up`` does), or some of its resources were not found (the first
  ``up`` creates those);
* ``not-found``: nothing of it exists; the first ``up`` creates it;
* ``left-alone``: what exists is another owner's (another cluster's controller, another
  stack, or untagged: not made by the controller); nothing of it is adopted.
* ``refused``: adopting it would replace a resource (the input is named); the whole
  adoption stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

from lattice_program.adopt.inventory import Found
from lattice_program.adopt.matching import ResourceMatch
from lattice_program.adopt.ownership import MANAGED_BY, Owner
from lattice_program.engine.changes import object_of

MATCHED, DIFFERENCES, NOT_FOUND, LEFT_ALONE, REFUSED = (
    "matched", "matched-with-differences", "not-found", "left-alone", "refused")


@dataclass(frozen=True)
class ObjectReport:
    object: str  # Kind/namespace/name
    status: str
    resources: Tuple[ResourceMatch, ...]
    reasons: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        return {
            "object": self.object, "status": self.status, "reasons": list(self.reasons),
            "resources": [_resource_dict(m) for m in self.resources],
        }


@dataclass(frozen=True)
class AdoptionReport:
    objects: Tuple[ObjectReport, ...]
    unclaimed: Tuple[Found, ...] = ()  # the controller's, matching no object of the stack
    notes: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def imports(self) -> Tuple[ResourceMatch, ...]:
        """What adoption brings under the stack: every importable match of every object
        that is not left alone."""
        return tuple(m for o in self.objects if o.status in (MATCHED, DIFFERENCES) for m in o.resources
                     if m.importable)

    @property
    def refused(self) -> Tuple[ObjectReport, ...]:
        return tuple(o for o in self.objects if o.status == REFUSED)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "objects": [o.to_dict() for o in self.objects],
            "imports": [{"urn": m.planned.urn, "type": m.planned.type, "id": m.found.import_id,
                         "name": m.found.name} for m in self.imports if m.found is not None],
            "unclaimed": [{"type": f.type, "id": f.id, "name": f.name} for f in self.unclaimed],
            "notes": list(self.notes),
        }


def build_report(matches: Sequence[ResourceMatch], unclaimed: Sequence[Found] = (),
                 notes: Sequence[str] = ()) -> AdoptionReport:
    grouped: Dict[str, List[ResourceMatch]] = {}
    for match in matches:
        grouped.setdefault(object_of(match.planned.urn), []).append(match)
    return AdoptionReport(tuple(_object_report(key, tuple(items)) for key, items in sorted(grouped.items())),
                          tuple(unclaimed), tuple(notes))


def _object_report(key: str, resources: Tuple[ResourceMatch, ...]) -> ObjectReport:
    found = [m for m in resources if m.found is not None]
    if not found:
        return ObjectReport(key, NOT_FOUND, resources, tuple(_missing(resources)))
    foreign = [m for m in found if not m.importable]
    if foreign:
        return ObjectReport(key, LEFT_ALONE, resources, tuple(_left_alone(m) for m in foreign) + (
            f"nothing of {key} is adopted; the first up declares the stack's own resources for it beside these "
            "(remove the object from the stack's sources to leave it to its owner)",))
    replacing = [(m, d) for m in found for d in m.replaces]
    if replacing:
        return ObjectReport(key, REFUSED, resources, tuple(
            f"{m.found.describe()} would be replaced: {d.describe()}" for m, d in replacing))
    reasons = [f"{m.planned.name} ({m.found.id}): {d.describe()}" for m in found for d in m.differences
               if d.effect != "kept"]
    reasons += _missing(resources)
    return ObjectReport(key, DIFFERENCES if reasons else MATCHED, resources, tuple(reasons))


def _missing(resources: Sequence[ResourceMatch]) -> List[str]:
    return [f"{m.planned.type.rsplit(':', 1)[-1]} {m.planned.name}: {m.note}; the first up creates it"
            for m in resources if m.found is None]


def _left_alone(match: ResourceMatch) -> str:
    found = match.found
    assert found is not None
    why = {
        Owner.UNTAGGED: f"has no {MANAGED_BY} tag: the controller did not make it",
        Owner.OTHER: f"is another owner's ({MANAGED_BY}={found.tags.get(MANAGED_BY)!r})",
        Owner.OTHER_STACK: f"is owned by another lattice-gateway stack ({MANAGED_BY}={found.tags.get(MANAGED_BY)!r}); "
                           "refused: adopt it from that stack, or move it there first",
    }[match.owner]
    return f"{found.describe()} {why}"


def _resource_dict(match: ResourceMatch) -> Dict[str, Any]:
    found = match.found
    return {
        "type": match.planned.type, "logicalName": match.planned.name, "urn": match.planned.urn,
        "found": None if found is None else {"id": found.id, "importId": found.import_id, "name": found.name,
                                             "owner": match.owner.value if match.owner else None},
        "differences": [{"input": d.input, "ours": d.ours, "theirs": d.theirs, "effect": d.effect}
                        for d in match.differences],
        "note": match.note,
    }
