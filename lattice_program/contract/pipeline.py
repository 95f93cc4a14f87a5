"""Parse, translate and contract-check: from raw objects to a model safe to apply.

The one path every way of use goes through (offline plan, ``pulumi up``, the watch
daemon).  A request that breaks the VPC Lattice API contract becomes a problem of the
object that implied it, and that object leaves the model before anything reaches AWS;
the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from components.specs import ForwardAction, LatticeModel, RouteSpec

from lattice_program.sources.collector import collector_paused
from lattice_program.contract.check import ContractViolation, check_request
from lattice_program.contract.probes import API_PROBES
from lattice_program.contract.requests import model_requests
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.sources.snapshot import parse
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.status import Condition, ObjectRef, ObjectStatus, Problem, StatusBook
from lattice_program.vocabulary.outputs import Previous
from lattice_program.translate.translator import translate


@dataclass(frozen=True)
class PlanResult:
    model: LatticeModel
    statuses: Tuple[ObjectStatus, ...]
    problems: Tuple[Problem, ...]

    @property
    def errors(self) -> Tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


ClusterInputs = Mapping[str, Iterable[RawObject]]


def plan(inputs: Iterable[RawObject] | ClusterInputs, settings: StackSettings, *,
         previous_outputs: Optional[Mapping[str, Any]] = None) -> PlanResult:
    """``inputs``: each cluster's objects by cluster name, or one stream of objects for a
    stack of one cluster.  ``previous_outputs``: the stack's outputs from its last apply."""
    clusters = settings.cluster_list()
    if not isinstance(inputs, Mapping):
        if len(clusters) > 1:
            raise ValueError("the stack has several clusters: give each cluster's objects by cluster name")
        inputs = {clusters[0].name: inputs}
    unknown = sorted(set(inputs) - {c.name for c in clusters})
    if unknown:
        raise ValueError(f"objects given for cluster(s) {unknown} that the stack settings do not name")
    with collector_paused():
        snapshots = {}
        problems: list = []
        for name, objects in inputs.items():
            parsed = parse(objects, default_namespace=settings.default_namespace, cluster=name)
            snapshots[name] = parsed.snapshot
            problems.extend(parsed.problems)
        translation = translate(snapshots, settings, contract=API_PROBES,
                                previous=Previous.from_outputs(previous_outputs))
        book = translation.book
        model = enforce_contract(translation.model, book)
        return PlanResult(model, book.statuses(), tuple(problems) + tuple(book.problems))


def enforce_contract(model: LatticeModel, book: StatusBook) -> LatticeModel:
    """Check every implied request; drop the objects whose requests break the contract."""
    violations: Dict[str, List[ContractViolation]] = {}
    for owner, operation, params in model_requests(model):
        found = check_request(operation, params)
        if found:
            violations.setdefault(owner, []).extend(found)
    if not violations:
        return model
    for owner, found in sorted(violations.items()):
        ref = _owner_ref(book, owner)
        message = "; ".join(str(v) for v in found)
        book.problem(Problem(ref, "", f"the VPC Lattice API would refuse: {message}"))
        condition = Condition("Accepted", "False", "UnsupportedValue", f"the VPC Lattice API would refuse: {message}")
        if book.status(ref).parents:  # a route
            book.on_accepted_parents(ref, condition)
        else:
            book.condition(ref, condition)
    return _without(model, set(violations), book)


def _without(model: LatticeModel, dropped: Set[str], book: StatusBook) -> LatticeModel:
    exports = tuple(e for e in model.exports if e.key not in dropped)
    lost_groups = {tg.key: e.key for e in model.exports if e.key in dropped for tg in e.target_groups}
    classes = []
    for gateway_class in model.gateway_classes:
        gateways = tuple(g for g in gateway_class.gateways
                         if g.key not in dropped and g.service_network.provided_by not in dropped)
        dropped = dropped | {g.key for g in gateway_class.gateways if g not in gateways}
        routes = []
        for route in gateway_class.routes:
            if route.key in dropped:
                continue
            lost = [f"its network {a.gateway}" for a in route.associations if a.gateway in dropped]
            lost += [f"the target groups of {lost_groups[key]}" for key in _forwarded_groups(route) if key in lost_groups]
            if lost:
                book.problem(Problem(_owner_ref(book, route.key), "spec", f"left out because {lost[0]} was left out"))
                continue
            routes.append(route)
        classes.append(replace(gateway_class, gateways=gateways, routes=tuple(routes)))
    kept_groups = ({tg.key for c in classes for r in c.routes for tg in r.target_groups}
                   | {tg.key for e in exports for tg in e.target_groups})
    targets = {key: value for key, value in model.targets.items() if key in kept_groups}
    networks = tuple(n for n in model.service_networks if n.key not in dropped)
    return LatticeModel(tuple(classes), targets, exports, networks, model.external_target_groups,
                        model.kubernetes_contexts)


def _forwarded_groups(route: RouteSpec) -> Set[str]:
    actions = [l.default_action for l in route.listeners] + [r.action for l in route.listeners for r in l.rules]
    return {entry.target_group for action in actions if isinstance(action, ForwardAction) for entry in action.target_groups}


def _owner_ref(book: StatusBook, key: str) -> ObjectRef:
    """The object a model key stands for (an export's key also names its cluster)."""
    if key.startswith("ServiceExport/"):
        _, namespace, name, cluster = key.split("/", 3)
        return ObjectRef("ServiceExport", namespace, name, cluster=cluster)
    found = book.ref_for_key(key)
    if found is not None:
        return found
    parts = key.split("/", 2)
    if len(parts) == 2:  # cluster-scoped: Kind/name
        return ObjectRef(parts[0], None, parts[1])
    return ObjectRef(*parts)
