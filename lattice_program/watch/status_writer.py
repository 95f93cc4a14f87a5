"""What the daemon knows, written back onto the objects: status, and the anchor's annotations.

Each object's status goes to its own cluster, by server-side apply under our field
manager.  Gateways, GatewayClasses and the AWS policies are ours alone (their condition
and listener lists are maps keyed by type and name, so apply owns just our entries).  A
route's ``status.parents`` is an atomic list that other controllers write too: their
entries are carried over as read, ours replaced, and the apply names the
resourceVersion read, so a concurrent writer makes it fail and retry rather than lose
an entry.  Nothing is written when it would not change (no write storms from our own
watch events), and ``lastTransitionTime`` moves only when a condition's status does.

``Programmed`` is the Lattice outcome: Unknown/Pending in a plan, True once an update
succeeded, False/Pending with the reason while the stack is Stalled or failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from lattice_program.vocabulary.settings import CONTROLLER_NAME
from lattice_program.sources.cluster import GATEWAY_GROUP, KINDS
from lattice_program.vocabulary.status import STATUS_KINDS, Condition, ObjectRef, ObjectStatus

log = logging.getLogger("lattice_program.watch")

FIELD_MANAGER = "lattice-gateway"
APPLY_PATCH = "application/apply-patch+yaml"
DOMAIN_ANNOTATION = "application-networking.k8s.aws/lattice-assigned-domain-name"
ARN_ANNOTATION = "application-networking.k8s.aws/lattice-service-arn"
PROGRAMMED = "Programmed"
# A route parent's Lattice outcome, before the daemon knows it.
_PENDING = Condition(PROGRAMMED, "Unknown", "Pending", "waiting for the stack to be applied")

_GATEWAY_GROUP = GATEWAY_GROUP
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")  # status.parents kinds
# kind -> (group, plural, namespaced), from the kinds the informers read
WRITABLE: Dict[str, Tuple[str, str, bool]] = {
    kind.kind: (kind.group, kind.plural, kind.namespaced) for kind in KINDS if kind.kind in STATUS_KINDS}


@dataclass(frozen=True)
class LatticeOutcome:
    """How the last converge ended, for ``Programmed``: ``None`` while undecided."""

    programmed: Optional[bool]
    message: str


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _programmed(condition: Condition, outcome: LatticeOutcome) -> Condition:
    if condition.type != PROGRAMMED or condition.status != "Unknown" or outcome.programmed is None:
        return condition
    if outcome.programmed:
        return Condition(PROGRAMMED, "True", "Programmed", outcome.message)
    return Condition(PROGRAMMED, "False", "Pending", outcome.message)


def conditions_for(conditions: Sequence[Condition], current: Sequence[Mapping[str, Any]], *, generation: int,
                   outcome: LatticeOutcome, now: Callable[[], str] = _now) -> List[Dict[str, Any]]:
    """Conditions as the API takes them; a condition whose status is unchanged keeps
    its ``lastTransitionTime``."""
    before = {entry.get("type"): entry for entry in current}
    written = []
    for condition in conditions:
        condition = _programmed(condition, outcome)
        previous = before.get(condition.type) or {}
        same = previous.get("status") == condition.status and previous.get("lastTransitionTime")
        written.append({"type": condition.type, "status": condition.status, "reason": condition.reason,
                        "message": condition.message[:32768], "observedGeneration": generation,
                        "lastTransitionTime": previous["lastTransitionTime"] if same else now()})
    return written


def desired_status(status: ObjectStatus, live: Mapping[str, Any], *, outcome: LatticeOutcome,
                   controller_name: str = CONTROLLER_NAME, now: Callable[[], str] = _now) -> Dict[str, Any]:
    """The ``status`` to apply to ``live`` (the object as the cache holds it)."""
    generation = int((live.get("metadata") or {}).get("generation") or 0)
    current = live.get("status") or {}
    kind = status.ref.kind
    if kind in ROUTE_KINDS:
        ours, others = [], [p for p in current.get("parents") or [] if p.get("controllerName") != controller_name]
        current_ours = {_ref_key(p.get("parentRef") or {}): p for p in current.get("parents") or []
                        if p.get("controllerName") == controller_name}
        for parent in status.parents:
            before = current_ours.get(_ref_key(parent.parent_ref), {})
            conditions = list(parent.conditions.values())
            accepted = parent.conditions.get("Accepted")
            if accepted is not None and accepted.status == "True" and PROGRAMMED not in parent.conditions:
                conditions.append(_PENDING)
            ours.append({"parentRef": dict(parent.parent_ref), "controllerName": controller_name,
                         "conditions": conditions_for(conditions, before.get("conditions") or [],
                                                      generation=generation, outcome=outcome, now=now)})
        return {"parents": others + ours}
    written: Dict[str, Any] = {"conditions": conditions_for(list(status.conditions.values()),
                                                            current.get("conditions") or [], generation=generation,
                                                            outcome=outcome, now=now)}
    if kind == "Gateway" and status.listeners:
        current_listeners = {entry.get("name"): entry for entry in current.get("listeners") or []}
        written["listeners"] = [
            {"name": listener.name,
             "supportedKinds": [{"group": _GATEWAY_GROUP, "kind": k} for k in listener.supported_kinds],
             "attachedRoutes": listener.attached_routes,
             "conditions": conditions_for(list(listener.conditions.values()),
                                          (current_listeners.get(listener.name) or {}).get("conditions") or [],
                                          generation=generation, outcome=outcome, now=now)}
            for listener in status.listeners.values()]
    return written


def _ref_key(parent_ref: Mapping[str, Any]) -> Tuple:
    return tuple(sorted((k, str(v)) for k, v in parent_ref.items()))


def _without_times(status: Mapping[str, Any]) -> Any:
    """For comparing: a status with no times in it (a rewrite of equal content is no change)."""
    if isinstance(status, Mapping):
        return {k: _without_times(v) for k, v in status.items() if k != "lastTransitionTime"}
    if isinstance(status, list):
        return [_without_times(v) for v in status]
    return status


def route_annotations(ref: ObjectRef, outputs: Mapping[str, Any]) -> Dict[str, str]:
    """The anchor's annotations for a route, from the stack outputs (``Kind/ns/name``)."""
    entry = outputs.get(ref.key)
    if not isinstance(entry, Mapping):
        return {}
    found = {}
    domain = entry.get("customDomainName") or entry.get("dnsName")
    if domain:
        found[DOMAIN_ANNOTATION] = str(domain)
    if entry.get("serviceArn"):
        found[ARN_ANNOTATION] = str(entry["serviceArn"])
    return found


@dataclass
class WriteReport:
    written: List[str] = field(default_factory=list)
    unchanged: int = 0
    failed: List[str] = field(default_factory=list)


class StatusWriter:
    """Writes to each cluster through its API client (``clients`` by cluster name)."""

    def __init__(self, clients: Mapping[str, Any], *, controller_name: str = CONTROLLER_NAME,
                 field_manager: str = FIELD_MANAGER) -> None:
        from kubernetes import client as k8s_client

        self._api = {name: k8s_client.CustomObjectsApi(api_client) for name, api_client in clients.items()}
        self._core = {name: k8s_client.CoreV1Api(api_client) for name, api_client in clients.items()}
        self.controller_name = controller_name
        self.field_manager = field_manager

    def write(self, statuses: Sequence[ObjectStatus], live: Callable[[ObjectRef], Optional[Mapping[str, Any]]],
              outputs: Mapping[str, Any], outcome: LatticeOutcome) -> WriteReport:
        """Apply each object's status (and a route's annotations) where it changed;
        ``live(ref)`` is the object as the cache holds it, ``None`` when it is gone."""
        report = WriteReport()
        for status in statuses:
            ref = status.ref
            if ref.kind not in WRITABLE or ref.cluster not in self._api:
                continue
            current = live(ref)
            if current is None:
                continue
            try:
                changed = self._apply_status(ref, status, current, outcome)
                if ref.kind in ROUTE_KINDS:
                    changed = self._apply_annotations(ref, current, route_annotations(ref, outputs)) or changed
            except Exception as error:  # one object's failure must not stop the others
                report.failed.append(f"{ref}: {_reason(error)}")
                log.warning("status of %s not written: %s", ref, _reason(error))
                continue
            if changed:
                report.written.append(ref.key)
            else:
                report.unchanged += 1
        return report

    def _apply_status(self, ref: ObjectRef, status: ObjectStatus, current: Mapping[str, Any],
                      outcome: LatticeOutcome) -> bool:
        wanted = desired_status(status, current, outcome=outcome, controller_name=self.controller_name)
        have = current.get("status") or {}
        if all(_without_times(wanted[key]) == _without_times(have.get(key)) for key in wanted):
            return False
        metadata = {"name": ref.name}
        if ref.kind in ROUTE_KINDS:  # the atomic list carries others' entries: apply on what was read
            metadata["resourceVersion"] = (current.get("metadata") or {}).get("resourceVersion")
        self._patch(ref, current, metadata, {"status": wanted}, status_subresource=True)
        return True

    def acknowledge(self, ref: ObjectRef, current: Mapping[str, Any], annotations: Mapping[str, str]) -> None:
        """Write annotations of ours (a handled reconcile request) onto any writable object."""
        try:
            self._apply_annotations(ref, current, annotations)
        except Exception as error:
            log.warning("annotations of %s not written: %s", ref, _reason(error))

    def _apply_annotations(self, ref: ObjectRef, current: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
        have = (current.get("metadata") or {}).get("annotations") or {}
        if not wanted or all(have.get(key) == value for key, value in wanted.items()):
            return False
        self._patch(ref, current, {"name": ref.name, "annotations": dict(wanted)}, {}, status_subresource=False)
        return True

    def _patch(self, ref: ObjectRef, current: Mapping[str, Any], metadata: Dict[str, Any], body: Dict[str, Any],
               *, status_subresource: bool) -> None:
        group, plural, namespaced = WRITABLE[ref.kind]
        api_version = current.get("apiVersion") or ref.api_version
        version = api_version.split("/", 1)[1]
        if namespaced:
            metadata["namespace"] = ref.namespace
        document = {"apiVersion": api_version, "kind": ref.kind, "metadata": metadata, **body}
        api = self._api[ref.cluster]
        options = {"field_manager": self.field_manager, "force": True, "_content_type": APPLY_PATCH}
        if namespaced:
            call = api.patch_namespaced_custom_object_status if status_subresource else api.patch_namespaced_custom_object
            call(group, version, ref.namespace, plural, ref.name, document, **options)
        else:
            call = api.patch_cluster_custom_object_status if status_subresource else api.patch_cluster_custom_object
            call(group, version, plural, ref.name, document, **options)

    def event(self, ref: ObjectRef, current: Mapping[str, Any], reason: str, message: str,
              kind: str = "Warning") -> None:
        """A core/v1 Event on the object, as controllers report what a person must see."""
        from kubernetes import client as k8s_client

        metadata = current.get("metadata") or {}
        now = datetime.now(timezone.utc)
        event = k8s_client.CoreV1Event(
            metadata=k8s_client.V1ObjectMeta(generate_name=f"{ref.name}.", namespace=ref.namespace),
            involved_object=k8s_client.V1ObjectReference(
                api_version=current.get("apiVersion"), kind=ref.kind, name=ref.name, namespace=ref.namespace,
                uid=metadata.get("uid"), resource_version=metadata.get("resourceVersion")),
            reason=reason, message=message[:1024], type=kind, first_timestamp=now, last_timestamp=now, count=1,
            source=k8s_client.V1EventSource(component=self.field_manager), reporting_component=self.field_manager)
        try:
            self._core[ref.cluster].create_namespaced_event(ref.namespace, event)
        except Exception as error:
            log.warning("event on %s not written: %s", ref, _reason(error))


def _reason(error: Exception) -> str:
    status = getattr(error, "status", None)
    reason = getattr(error, "reason", None)
    return f"HTTP {status} {reason}" if status else str(error)
