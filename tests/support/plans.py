"""Shared helpers for the translator tests: plan inline YAML, find what came out.

The translator tests read best as "these manifests give this model and these
conditions"; these helpers keep the finding part short and fail with a readable message
when the thing looked for is not there (or not alone).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from components.specs import LatticeModel, ListenerSpec, RouteSpec, RuleSpec, TargetGroupSpec
from lattice_program.contract.check import check_request
from lattice_program.contract.pipeline import PlanResult, plan
from lattice_program.contract.requests import model_requests
from lattice_program.vocabulary.settings import ClusterSettings, StackSettings
from lattice_program.sources.files import load_text
from lattice_program.vocabulary.status import Condition, ObjectStatus, ParentStatus, Problem
from tests.support.world import gateway_class, world

VPC = "vpc-0123456789abcdef0"
CONTROLLER = StackSettings().controller_name
# The GatewayClass most tests start from.
LATTICE_CLASS = world(gateway_class(controller=CONTROLLER))


def settings(**overrides: Any) -> StackSettings:
    values: Dict[str, Any] = {"vpc_id": VPC, "cluster_name": "test-cluster"}
    values.update(overrides)
    return StackSettings(**values)


def plan_yaml(text: str, *, previous_priorities: Optional[Mapping[str, Mapping[str, int]]] = None,
              previous_outputs: Optional[Mapping[str, Any]] = None, **overrides: Any) -> PlanResult:
    """Plan one YAML stream with test settings (``overrides`` are StackSettings fields).

    ``previous_outputs`` are the stack outputs of the last apply (per route key, such as
    ``{"HTTPRoute/ns/name": {"customDomainName": ...}}``); ``previous_priorities`` is
    the short way to give their ``rulePriorities``."""
    outputs: Dict[str, Any] = dict(previous_outputs or {})
    if previous_priorities:
        outputs["rulePriorities"] = previous_priorities
    return plan(load_text(text), settings(**overrides), previous_outputs=outputs or None)


def plan_clusters(texts: Mapping[str, str], clusters: Sequence[ClusterSettings], **overrides: Any) -> PlanResult:
    """Plan a stack of several clusters: each cluster's YAML stream by cluster name."""
    stack = StackSettings(clusters=list(clusters), **overrides)
    return plan({name: load_text(text, f"{name}.yaml") for name, text in texts.items()}, stack)


# --- the model -------------------------------------------------------------------------


def route_keys(result: PlanResult) -> List[str]:
    return [r.key for r in result.model.routes()]


def the_route(result: PlanResult, key: Optional[str] = None) -> RouteSpec:
    """The route with ``key``, or the only route of the model."""
    routes = result.model.routes()
    if key is not None:
        found = [r for r in routes if r.key == key]
        assert found, f"no route {key!r} in the model; routes: {[r.key for r in routes]}; problems: {_shown(result)}"
        return found[0]
    assert len(routes) == 1, f"expected exactly one route, got {[r.key for r in routes]}; problems: {_shown(result)}"
    return routes[0]


def the_listener(route: RouteSpec, key: Optional[str] = None) -> ListenerSpec:
    if key is not None:
        found = [l for l in route.listeners if l.key == key]
        assert found, f"no listener {key!r} on {route.key}; listeners: {[l.key for l in route.listeners]}"
        return found[0]
    assert len(route.listeners) == 1, f"expected one listener on {route.key}, got {[l.key for l in route.listeners]}"
    return route.listeners[0]


def rules_of(result: PlanResult, route_key: Optional[str] = None, listener_key: Optional[str] = None) -> List[RuleSpec]:
    """The rules of one listener of one route, in priority order (evaluation order)."""
    listener = the_listener(the_route(result, route_key), listener_key)
    return sorted(listener.rules, key=lambda rule: rule.priority)


def target_group(route: RouteSpec, key: str) -> TargetGroupSpec:
    found = [tg for tg in route.target_groups if tg.key == key]
    assert found, f"no target group {key!r} on {route.key}; has {[tg.key for tg in route.target_groups]}"
    return found[0]


def forwarded(rule: RuleSpec) -> List[tuple]:
    """A forward rule's (target group key, weight) pairs."""
    target_groups = getattr(rule.action, "target_groups", None)
    assert target_groups is not None, f"rule {rule.key} does not forward: {rule.action}"
    return [(entry.target_group, entry.weight) for entry in target_groups]


def assert_contract_clean(model: LatticeModel) -> None:
    """Every request the model implies passes the VPC Lattice API contract."""
    for owner, operation, params in model_requests(model):
        violations = check_request(operation, params)
        assert not violations, f"{owner} {operation}: {[str(v) for v in violations]}"


def assert_not_in_model(result: PlanResult, route_key: str) -> None:
    """Nothing of the route leaks into the model: no service, target group or targets."""
    model = result.model
    assert route_key not in route_keys(result), f"{route_key} is in the model"
    prefix = route_key + "/"
    leaked_groups = [tg.key for r in model.routes() for tg in r.target_groups
                     if tg.key.startswith(prefix) or tg.tags.get("lattice-gateway/route") == route_key]
    assert not leaked_groups, f"target groups of {route_key} leaked: {leaked_groups}"
    leaked_targets = [key for key in model.targets if key.startswith(prefix)]
    assert not leaked_targets, f"targets of {route_key} leaked: {leaked_targets}"
    leaked_rules = [rule.action for r in model.routes() for l in r.listeners for rule in l.rules
                    for entry in getattr(rule.action, "target_groups", ()) if entry.target_group.startswith(prefix)]
    assert not leaked_rules, f"rules forward to {route_key}'s target groups: {leaked_rules}"


# --- statuses and problems -------------------------------------------------------------


def status_of(result: PlanResult, kind: str, namespace: Optional[str], name: str) -> Optional[ObjectStatus]:
    for status in result.statuses:
        if (status.ref.kind, status.ref.namespace, status.ref.name) == (kind, namespace, name):
            return status
    return None


def route_parents(result: PlanResult, name: str, namespace: str = "default") -> List[ParentStatus]:
    status = status_of(result, "HTTPRoute", namespace, name)
    return list(status.parents) if status else []


def parent_conditions(result: PlanResult, name: str, namespace: str = "default") -> Dict[str, Condition]:
    """The conditions of the route's only parent status."""
    parents = route_parents(result, name, namespace)
    assert len(parents) == 1, (f"expected one parent status on HTTPRoute {namespace}/{name}, got "
                               f"{[p.parent_ref for p in parents]}; problems: {_shown(result)}")
    return parents[0].conditions


def condition_of(result: PlanResult, name: str, kind: str = "Accepted", namespace: str = "default") -> Condition:
    conditions = parent_conditions(result, name, namespace)
    assert kind in conditions, f"no {kind} condition on HTTPRoute {namespace}/{name}: {conditions}"
    return conditions[kind]


def route_condition(result: PlanResult, kind: str, name: str, condition: str = "Accepted",
                    namespace: str = "default") -> Condition:
    """A condition of the only parent status of a route of any kind (GRPCRoute, TLSRoute, …)."""
    status = status_of(result, kind, namespace, name)
    parents = list(status.parents) if status else []
    assert len(parents) == 1, (f"expected one parent status on {kind} {namespace}/{name}, got "
                               f"{[p.parent_ref for p in parents]}; problems: {_shown(result)}")
    assert condition in parents[0].conditions, f"no {condition} condition on {kind} {namespace}/{name}: {parents[0].conditions}"
    return parents[0].conditions[condition]


def problems_for(result: PlanResult, kind: str, namespace: Optional[str], name: str,
                 severity: Optional[str] = None) -> List[Problem]:
    return [p for p in result.problems
            if p.object is not None and (p.object.kind, p.object.namespace, p.object.name) == (kind, namespace, name)
            and (severity is None or p.severity == severity)]


def problem_fields(problems: Sequence[Problem]) -> List[str]:
    return [p.field for p in problems]


def _shown(result: PlanResult) -> List[str]:
    return [str(p) for p in result.problems]


# --- the recorded plan ------------------------------------------------------------------


def _field(resource: Any, name: str) -> Any:
    return resource[name] if isinstance(resource, Mapping) else getattr(resource, name)


def planned(resources: Sequence[Any], kind: str, name: str) -> Any:
    """The one planned resource (``PlannedResource`` or plan-JSON entry) named ``name``
    whose type is ``kind``: a whole type token, or the last part of a pulumi-aws one
    (``ServiceNetwork`` is ``aws:vpclattice/serviceNetwork:ServiceNetwork``, never the
    component ``lattice:index:ServiceNetwork`` of the same name)."""
    def is_kind(type_: str) -> bool:
        return type_ == kind if ":" in kind else type_.startswith("aws:") and type_.rsplit(":", 1)[-1] == kind
    found = [r for r in resources if is_kind(_field(r, "type")) and _field(r, "name") == name]
    assert len(found) == 1, f"expected one {kind} named {name!r}, found {len(found)}"
    return found[0]


def ref_to(resources: Sequence[Any], kind: str, name: str) -> str:
    """How an input refers to that resource: ``ref:<URN>``."""
    return "ref:" + _field(planned(resources, kind, name), "urn")


def referenced_name(resources: Sequence[Any], reference: str) -> str:
    """The logical name of the resource a ``ref:<URN>`` input points at (exactly one)."""
    assert reference.startswith("ref:urn:pulumi:"), f"{reference!r} is not a reference to a URN"
    found = [_field(r, "name") for r in resources if _field(r, "urn") == reference[4:]]
    assert len(found) == 1, f"{reference!r} resolves to {len(found)} resources"
    return found[0]
