"""Each resource our program would declare, matched to the Lattice resource the AWS
controller made for the same Kubernetes object, with the inputs that differ.

The program's resources come from its offline plan (``program/mock_plan.py``): type,
logical name, URN, parent and inputs, exactly what ``up`` registers.  Matching follows the
controller's own identities (../shared/reference/aws-controller-behaviour.md §0, rows 6,
7, 14): a service network by name; a service by its RouteName/RouteNamespace tags, else by
``trunc(route,20)-trunc(ns,18)``; a listener by port on its service; a rule by its match
on its listener; a target group by its identity tags (its name ends in a random suffix);
associations by the two resources they join.  Which differing inputs force a
replacement comes from botocore's model: what a Create takes and the Update cannot set.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

import botocore.session

from lattice_program.adopt import inventory as inv
from lattice_program.adopt.inventory import Found, Inventory
from lattice_program.adopt.ownership import TAG_BASE, ControllerIdentity, Owner, controller_service_name, owner_of
from lattice_program.program.mock_plan import REF_PREFIX, PlannedResource

_ROUTE_TYPE_TAG = {"HTTPRoute": "http", "GRPCRoute": "grpc", "TLSRoute": "tls"}
# Pulumi type -> (API Create, API Update) whose members say what can change in place.
_OPERATIONS = {
    inv.SERVICE_NETWORK: ("CreateServiceNetwork", "UpdateServiceNetwork"),
    inv.VPC_ASSOCIATION: ("CreateServiceNetworkVpcAssociation", "UpdateServiceNetworkVpcAssociation"),
    inv.SERVICE: ("CreateService", "UpdateService"),
    inv.SERVICE_ASSOCIATION: ("CreateServiceNetworkServiceAssociation", None),
    inv.LISTENER: ("CreateListener", "UpdateListener"),
    inv.RULE: ("CreateRule", "UpdateRule"),
    inv.TARGET_GROUP: ("CreateTargetGroup", "UpdateTargetGroup"),
}
# Inputs compared, per type; names are compared apart (adopted resources keep theirs).
_COMPARED = {
    inv.SERVICE_NETWORK: ("authType",),
    inv.VPC_ASSOCIATION: ("securityGroupIds",),
    inv.SERVICE: ("customDomainName", "certificateArn", "authType"),
    inv.SERVICE_ASSOCIATION: (),
    inv.LISTENER: ("protocol", "defaultAction"),
    inv.RULE: ("priority", "match", "action"),
    inv.TARGET_GROUP: ("type", "config"),
}


@dataclass(frozen=True)
class Difference:
    """One input where our program and the adopted resource disagree.  ``effect``:
    ``kept`` (the adopted value stays: its physical name), ``update`` (the first up
    changes it in place) or ``replace`` (it cannot change in place: adoption refuses)."""

    input: str
    ours: Any
    theirs: Any
    effect: str

    def describe(self) -> str:
        how = {"kept": "kept as adopted", "update": "updated in place by the first up",
               "replace": "cannot change in place (the resource would be replaced)"}[self.effect]
        return f"{self.input}: ours {self.ours!r}, theirs {self.theirs!r}: {how}"


@dataclass(frozen=True)
class ResourceMatch:
    planned: PlannedResource
    found: Optional[Found]
    owner: Optional[Owner] = None
    differences: Tuple[Difference, ...] = ()
    note: str = ""  # why nothing was matched

    @property
    def replaces(self) -> Tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.effect == "replace")

    @property
    def importable(self) -> bool:
        return self.found is not None and self.owner in (Owner.CONTROLLER, Owner.THIS_STACK)


def match_plan(planned: Sequence[PlannedResource], inventory: Inventory, controller: ControllerIdentity,
               ours: str) -> Tuple[List[ResourceMatch], List[Found]]:
    """Every planned Lattice resource matched (or not), in plan order; and the resources the
    controller owns that no planned resource matched (left alone, reported)."""
    matcher = _Matcher(inventory, controller, ours)
    by_urn: Dict[str, ResourceMatch] = {}
    order = {type_: index for index, type_ in enumerate(inv.ADOPTABLE_TYPES)}
    # Parents first: associations, listeners and rules are found under what matched before.
    for resource in sorted((r for r in planned if r.type in order), key=lambda r: order[r.type]):
        by_urn[resource.urn] = matcher.match(resource)
    matches = [by_urn[r.urn] for r in planned if r.urn in by_urn]
    claimed = {m.found.id for m in matches if m.found is not None}
    unclaimed = [item for item in inventory.items if item.id not in claimed
                 and owner_of(item.tags, controller, ours) in (Owner.CONTROLLER, Owner.THIS_STACK)]
    return matches, unclaimed


class _Matcher:
    def __init__(self, inventory: Inventory, controller: ControllerIdentity, ours: str) -> None:
        self.inventory = inventory
        self.controller = controller
        self.ours = ours
        self.found_by_urn: Dict[str, Found] = {}
        self.taken: set = set()

    def match(self, resource: PlannedResource) -> ResourceMatch:
        finder = {
            inv.SERVICE_NETWORK: self._service_network, inv.VPC_ASSOCIATION: self._vpc_association,
            inv.SERVICE: self._service, inv.SERVICE_ASSOCIATION: self._service_association,
            inv.LISTENER: self._listener, inv.RULE: self._rule, inv.TARGET_GROUP: self._target_group,
        }[resource.type]
        candidates = [c for c in finder(resource.inputs, resource) if c.id not in self.taken]
        if not candidates:
            return ResourceMatch(resource, None, note="not found")
        if len(candidates) > 1:
            ids = ", ".join(c.id for c in candidates)
            return ResourceMatch(resource, None, note=f"ambiguous: {len(candidates)} candidates ({ids}); "
                                 "none is adopted, as picking one could take over the wrong resource")
        found = candidates[0]
        self.taken.add(found.id)
        self.found_by_urn[resource.urn] = found
        owner = owner_of(found.tags, self.controller, self.ours)
        return ResourceMatch(resource, found, owner, tuple(self._differences(resource, found)))

    # --- identities -----------------------------------------------------------------

    def _resolved(self, value: Any) -> Optional[str]:
        """An identifier input as a Lattice ID: a reference to a matched resource, or an
        ID or ARN given verbatim (an existing service network)."""
        if not isinstance(value, str):
            return None
        if value.startswith(REF_PREFIX):
            found = self.found_by_urn.get(value[len(REF_PREFIX):])
            return None if found is None else found.id
        return value.rsplit("/", 1)[-1]

    def _service_network(self, inputs: Mapping[str, Any], _: PlannedResource) -> List[Found]:
        return [f for f in self.inventory.of(inv.SERVICE_NETWORK) if f.name == inputs.get("name")]

    def _vpc_association(self, inputs: Mapping[str, Any], _: PlannedResource) -> List[Found]:
        network = self._resolved(inputs.get("serviceNetworkIdentifier"))
        return [f for f in self.inventory.of(inv.VPC_ASSOCIATION)
                if network and f.detail.get("serviceNetworkId") == network
                and f.detail.get("vpcId") == inputs.get("vpcIdentifier")]

    def _service(self, inputs: Mapping[str, Any], resource: PlannedResource) -> List[Found]:
        kind, namespace, name = resource.name.split("/", 2)
        services = self.inventory.of(inv.SERVICE)
        tagged = [f for f in services if f.tags.get(TAG_BASE + "RouteName") == name
                  and f.tags.get(TAG_BASE + "RouteNamespace") == namespace
                  and f.tags.get(TAG_BASE + "RouteType", _ROUTE_TYPE_TAG.get(kind)) == _ROUTE_TYPE_TAG.get(kind)]
        if tagged:
            return tagged
        names = {controller_service_name(name, namespace), inputs.get("name")}
        return [f for f in services if f.name in names]

    def _service_association(self, inputs: Mapping[str, Any], _: PlannedResource) -> List[Found]:
        service = self._resolved(inputs.get("serviceIdentifier"))
        network = self._resolved(inputs.get("serviceNetworkIdentifier"))
        return [f for f in self.inventory.of(inv.SERVICE_ASSOCIATION)
                if service and network and f.detail.get("serviceId") == service
                and f.detail.get("serviceNetworkId") == network]

    def _listener(self, inputs: Mapping[str, Any], _: PlannedResource) -> List[Found]:
        service = self._resolved(inputs.get("serviceIdentifier"))
        return [f for f in self.inventory.of(inv.LISTENER)
                if service and f.parent == service and f.detail.get("port") == inputs.get("port")]

    def _rule(self, inputs: Mapping[str, Any], _: PlannedResource) -> List[Found]:
        listener = self._resolved(inputs.get("listenerIdentifier"))
        wanted = _match_identity(inputs.get("match"))
        return [f for f in self.inventory.of(inv.RULE)
                if listener and f.parent == listener and _match_identity(f.detail.get("match")) == wanted]

    def _target_group(self, inputs: Mapping[str, Any], _: PlannedResource) -> List[Found]:
        tags = inputs.get("tags") or {}
        wanted = {TAG_BASE + "ClusterName": self.controller.cluster}
        if "lattice-gateway/export" in tags:
            namespace, name = tags["lattice-gateway/export"].split("/", 1)
            wanted.update({TAG_BASE + "SourceTypeKey": "ServiceExport", TAG_BASE + "ServiceName": name,
                           TAG_BASE + "ServiceNamespace": namespace})
        elif "lattice-gateway/backend" in tags and "lattice-gateway/route" in tags:
            backend, _port = tags["lattice-gateway/backend"].rsplit(":", 1)
            namespace, name = backend.split("/", 1)
            kind, route_namespace, route = tags["lattice-gateway/route"].split("/", 2)
            wanted.update({TAG_BASE + "SourceTypeKey": kind, TAG_BASE + "ServiceName": name,
                           TAG_BASE + "ServiceNamespace": namespace, TAG_BASE + "RouteName": route,
                           TAG_BASE + "RouteNamespace": route_namespace})
        else:
            return []
        config = inputs.get("config") or {}
        candidates = [f for f in self.inventory.of(inv.TARGET_GROUP)
                      if all(f.tags.get(k) == v for k, v in wanted.items())
                      and (f.detail.get("config") or {}).get("vpcIdentifier") == config.get("vpcIdentifier")]
        if len(candidates) > 1:  # one per port and protocol, when a Service is a backend on several ports
            exact = [f for f in candidates if all((f.detail.get("config") or {}).get(k) == config.get(k)
                                                  for k in ("port", "protocol", "protocolVersion"))]
            return exact or candidates
        return candidates

    # --- differences ----------------------------------------------------------------

    def _differences(self, resource: PlannedResource, found: Found) -> Iterable[Difference]:
        inputs = resource.inputs
        if "name" in inputs and found.name is not None and inputs["name"] != found.name:
            yield Difference("name", inputs["name"], found.name, "kept")
        fixed = replacement_inputs(resource.type)
        for key in _COMPARED[resource.type]:
            ours = self._comparable(key, inputs.get(key), planned=True)
            theirs = self._comparable(key, found.detail.get(key), planned=False)
            if key == "config" and isinstance(ours, dict):
                yield from self._config_differences(ours, theirs or {})
                continue
            if ours is None or ours == theirs:
                continue  # what we do not set, AWS keeps or defaults
            yield Difference(key, ours, theirs, "replace" if key in fixed else "update")

    def _config_differences(self, ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> Iterable[Difference]:
        # ``ours`` went through _plain: a member the plan leaves unset is not there at all.
        for key, value in sorted(ours.items()):
            actual = theirs.get(key)
            if key == "healthCheck":
                changed = {k: v for k, v in _plain(value).items() if _plain(actual or {}).get(k) != v}
                if changed:
                    yield Difference("config.healthCheck", changed, actual, "update")
            elif actual != value:
                # UpdateTargetGroup takes only the health check: the rest is fixed at creation.
                yield Difference(f"config.{key}", value, actual, "replace")

    def _comparable(self, key: str, value: Any, *, planned: bool) -> Any:
        if key in ("defaultAction", "action"):
            return _action(value, self._resolved if planned else (lambda v: v))
        if key == "match":
            return _plain(value)
        if key == "securityGroupIds" and value is not None:
            return sorted(value)
        return _plain(value)


def _plain(value: Any) -> Any:
    """Without None members: the plan leaves unset inputs out, the API its unset fields."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _action(value: Any, resolve: Any) -> Any:
    """A listener default action or rule action as ('fixed', status) or ('forward', ((id, weight), ...))."""
    if not isinstance(value, dict):
        return None
    if value.get("fixedResponse"):
        return ("fixed", value["fixedResponse"].get("statusCode"))
    forwards = value.get("forwards") or ([value["forward"]] if value.get("forward") else [])
    groups = [group for forward in forwards for group in (forward.get("targetGroups") or ())]
    return ("forward", tuple(sorted((resolve(g.get("targetGroupIdentifier")) or "?", g.get("weight", 1))
                                    for g in groups)))


def _match_identity(match: Any) -> Tuple[Any, ...]:
    """What makes two rule matches the same rule, the differences left to UpdateRule
    (it can change a match in place).  A PathPrefix the controller passed through verbatim
    (``/parking``, which Lattice also matches for ``/parkingX``) is the same rule as our
    segment prefix ``/parking/``; ours adds an exact ``/parking`` rule beside it, created."""
    http = (match or {}).get("httpMatch") or {}
    path = http.get("pathMatch") or {}
    kind = next(iter(sorted((path.get("match") or {}).items())), (None, None))
    if kind[0] == "prefix" and isinstance(kind[1], str):
        kind = ("prefix", kind[1].rstrip("/") or "/")
    headers = tuple(sorted((h.get("name", "").lower(), tuple(sorted((h.get("match") or {}).items())))
                           for h in http.get("headerMatches") or ()))
    return (http.get("method"), kind, headers)


@lru_cache(maxsize=None)
def _api() -> Any:
    return botocore.session.get_session().get_service_model("vpc-lattice")


@lru_cache(maxsize=None)
def replacement_inputs(type_: str) -> FrozenSet[str]:
    """The inputs of a type that cannot change in place: taken by its Create, not by its Update."""
    create, update = _OPERATIONS[type_]
    created = set(_api().operation_model(create).input_shape.members)
    updated = set(_api().operation_model(update).input_shape.members) if update else set()
    return frozenset(created - updated - {"clientToken", "tags"})
