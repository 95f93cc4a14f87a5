"""Which Gateway listeners a route attaches to, per the Gateway API spec.

For each parentRef: the Gateway must exist and be ours; the listeners are narrowed by
``sectionName`` and ``port``; each must allow the route's kind (``allowedRoutes.kinds``
or the protocol's default kinds) and namespace (``Same``, ``All``, ``Selector``); and
when both sides name hostnames, at least one must intersect (wildcards included).
Each parentRef ends with an ``Accepted`` condition whose reason is the spec's:
``Accepted``, ``NoMatchingParent``, ``NotAllowedByListeners`` or
``NoMatchingListenerHostname``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from lattice_program.sources import gateway_api as k8s
from lattice_program.vocabulary.status import Condition, ObjectRef, StatusBook

# Lattice listener protocol for each Gateway listener protocol (and TLS mode) we serve.
HTTP, HTTPS, TLS_PASSTHROUGH = "HTTP", "HTTPS", "TLS_PASSTHROUGH"
# Route kinds a listener accepts when allowedRoutes.kinds is not set (the spec's
# defaults for each protocol, as far as VPC Lattice can serve them).
DEFAULT_KINDS: Dict[str, Tuple[str, ...]] = {
    HTTP: ("HTTPRoute",),
    HTTPS: ("HTTPRoute", "GRPCRoute"),
    TLS_PASSTHROUGH: ("TLSRoute",),
}


def lattice_protocol(listener: k8s.Listener) -> Optional[str]:
    """The Lattice listener protocol for a Gateway listener, or None when Lattice has none."""
    if listener.protocol == HTTP:
        return HTTP
    if listener.protocol == HTTPS and (listener.tls is None or listener.tls.mode == "Terminate"):
        return HTTPS
    if listener.protocol == "TLS" and listener.tls is not None and listener.tls.mode == "Passthrough":
        return TLS_PASSTHROUGH
    return None


def client_validation(gateway: k8s.Gateway, listener: k8s.Listener) -> Optional[str]:
    """The frontend (client certificate) validation mode that applies to an HTTPS
    listener: ``spec.tls.frontend.perPort`` for its port, else ``frontend.default``
    (Gateway API v1.5 ``GatewayTLSConfig``); None when no validation is asked for."""
    if lattice_protocol(listener) != HTTPS or not gateway.spec.tls:
        return None
    frontend = gateway.spec.tls.get("frontend") or {}
    config = next((entry.get("tls") or {} for entry in frontend.get("perPort") or ()
                   if isinstance(entry, dict) and entry.get("port") == listener.port), frontend.get("default") or {})
    validation = config.get("validation") if isinstance(config, dict) else None
    if not validation:
        return None
    return validation.get("mode", "AllowValidOnly") if isinstance(validation, dict) else "AllowValidOnly"


def requires_client_certificates(gateway: k8s.Gateway, listener: k8s.Listener) -> bool:
    """VPC Lattice cannot validate client certificates, so a listener that must accept
    only verified clients is not served at all (AllowInsecureFallback lets clients in
    without a certificate, which is what Lattice does)."""
    mode = client_validation(gateway, listener)
    return mode is not None and mode != "AllowInsecureFallback"


@dataclass(frozen=True)
class Attachment:
    """A route accepted by one Gateway, on these of its listeners."""

    gateway: k8s.Gateway
    listeners: Tuple[k8s.Listener, ...]
    hostnames: Tuple[str, ...]  # the route's hostnames that intersect the listeners'

    @property
    def gateway_key(self) -> str:
        return f"Gateway/{self.gateway.metadata.namespace}/{self.gateway.metadata.name}"


@dataclass(frozen=True)
class Refusal:
    """Why a Gateway does not take a route: the Accepted condition's reason and message."""

    reason: str
    message: str


@dataclass(frozen=True)
class RouteIdentity:
    ref: ObjectRef
    kind: str
    namespace: str
    parent_refs: Sequence[k8s.ParentReference]
    hostnames: Sequence[str]
    protocols: Tuple[str, ...]  # Lattice listener protocols that can carry this kind


def parent_ref_dict(parent: k8s.ParentReference, route_namespace: str) -> Dict[str, object]:
    """The parentRef as it appears in ``status.parents[].parentRef`` (defaults filled in)."""
    out: Dict[str, object] = {"group": parent.group, "kind": parent.kind,
                              "namespace": parent.namespace or route_namespace, "name": parent.name}
    if parent.section_name is not None:
        out["sectionName"] = parent.section_name
    if parent.port is not None:
        out["port"] = parent.port
    return out


def attach(route: RouteIdentity, *, gateways: Mapping[Tuple[str, str], k8s.Gateway],
           ours: Mapping[Tuple[str, str], bool], namespace_labels, book: StatusBook) -> List[Attachment]:
    """Accepted attachments of ``route``; every parentRef of ours gets its condition.

    ``ours`` maps the key of every Gateway of our class to whether it was accepted.
    """
    attachments: List[Attachment] = []
    seen = set()
    for parent in route.parent_refs:
        if parent.group != k8s.GATEWAY_GROUP or parent.kind != "Gateway":
            continue  # parents of other kinds (a Service, for mesh) are not ours to judge
        key = (parent.namespace or route.namespace, parent.name)
        status_ref = parent_ref_dict(parent, route.namespace)
        if tuple(sorted(status_ref.items())) in seen:
            continue
        seen.add(tuple(sorted(status_ref.items())))
        gateway = gateways.get(key)
        if gateway is None:
            _accepted(book, route, status_ref, "False", "NoMatchingParent",
                      f"Gateway {key[0]}/{key[1]} not found; create it or fix parentRefs")
            continue
        if key not in ours:
            continue  # another controller's Gateway
        if not ours[key]:
            _accepted(book, route, status_ref, "False", "NoMatchingParent",
                      f"Gateway {key[0]}/{key[1]} is not accepted; see its conditions")
            continue
        attachment = _match_listeners(route, gateway, parent, namespace_labels)
        if isinstance(attachment, Refusal):
            _accepted(book, route, status_ref, "False", attachment.reason, attachment.message)
            continue
        _accepted(book, route, status_ref, "True", "Accepted", "accepted by " + ", ".join(
            f"listener {listener.name}" for listener in attachment.listeners))
        attachments.append(attachment)
    return attachments


LISTENER_SET_KINDS = ("ListenerSet", "XListenerSet")


def only_listener_sets(parent_refs: Sequence[k8s.ParentReference]) -> bool:
    """Whether every parent is a ListenerSet (whose Gateway is not named here, so no
    parent status of ours can say the route is not served)."""
    return bool(parent_refs) and all(p.kind in LISTENER_SET_KINDS for p in parent_refs)


def refuse_kind(route: RouteIdentity, *, ours: Mapping[Tuple[str, str], bool], book: StatusBook, message: str) -> bool:
    """Tell a route of a kind VPC Lattice cannot serve so, on each parent Gateway of ours
    (``Accepted=False``, ``NotAllowedByListeners``: no listener of ours can take it).
    Whether any parent was ours."""
    told = False
    for parent in route.parent_refs:
        if parent.group != k8s.GATEWAY_GROUP or parent.kind != "Gateway":
            continue
        if (parent.namespace or route.namespace, parent.name) in ours:
            _accepted(book, route, parent_ref_dict(parent, route.namespace), "False", "NotAllowedByListeners", message)
            told = True
    return told


def _accepted(book: StatusBook, route: RouteIdentity, status_ref, status: str, reason: str, message: str) -> None:
    book.parent(route.ref, status_ref).conditions["Accepted"] = Condition("Accepted", status, reason, message)


def _match_listeners(route: RouteIdentity, gateway: k8s.Gateway, parent: k8s.ParentReference,
                     namespace_labels) -> Attachment | Refusal:
    candidates = [
        listener for listener in gateway.spec.listeners
        if (parent.section_name is None or listener.name == parent.section_name)
        and (parent.port is None or listener.port == parent.port)
        and lattice_protocol(listener) is not None
    ]
    refused = [listener for listener in candidates if requires_client_certificates(gateway, listener)]
    candidates = [listener for listener in candidates if listener not in refused]
    if not candidates and refused:
        return Refusal("NotAllowedByListeners", (
            f"listener(s) {', '.join(l.name for l in refused)} require client certificates (the Gateway's "
            "spec.tls.frontend validation), which VPC Lattice cannot check; they are not accepted"))
    if not candidates:
        wanted = []
        if parent.section_name is not None:
            wanted.append(f"sectionName {parent.section_name!r}")
        if parent.port is not None:
            wanted.append(f"port {parent.port}")
        what = " and ".join(wanted) or "any"
        return Refusal("NoMatchingParent", f"no listener VPC Lattice can serve (HTTP, HTTPS, TLS Passthrough) with {what}")
    servable = [listener for listener in candidates if lattice_protocol(listener) in route.protocols]
    if not servable:
        return Refusal("NotAllowedByListeners", (
            f"VPC Lattice serves {route.kind} on {' or '.join(route.protocols)} listeners only; listener(s) "
            f"{', '.join(l.name for l in candidates)} are "
            f"{', '.join(sorted({str(lattice_protocol(l)) for l in candidates}))}"))
    allowed = [listener for listener in servable
               if _kind_allowed(listener, route.kind) and _namespace_allowed(listener, gateway, route.namespace, namespace_labels)]
    if not allowed:
        return Refusal("NotAllowedByListeners", (
            f"listener(s) {', '.join(l.name for l in servable)} do not allow {route.kind} from namespace "
            f"{route.namespace!r}; change allowedRoutes on the Gateway or move the route"))
    matching: List[k8s.Listener] = []
    hostnames: List[str] = []
    for listener in allowed:
        shared = intersect_hostnames(listener.hostname, route.hostnames)
        if shared is not None:
            matching.append(listener)
            hostnames.extend(h for h in shared if h not in hostnames)
    if not matching:
        return Refusal("NoMatchingListenerHostname", (
            f"none of the route's hostnames {list(route.hostnames)} match the listener hostname(s) "
            f"{[l.hostname for l in allowed]}"))
    return Attachment(gateway, tuple(matching), tuple(hostnames))


def _kind_allowed(listener: k8s.Listener, kind: str) -> bool:
    kinds = listener.allowed_routes.kinds
    if kinds is None:
        return kind in DEFAULT_KINDS.get(lattice_protocol(listener) or "", ())
    return any(k.kind == kind and k.group == k8s.GATEWAY_GROUP for k in kinds)


def _namespace_allowed(listener: k8s.Listener, gateway: k8s.Gateway, namespace: str, namespace_labels) -> bool:
    namespaces = listener.allowed_routes.namespaces
    if namespaces.from_ == "All":
        return True
    if namespaces.from_ == "Same":
        return namespace == gateway.metadata.namespace
    if namespaces.from_ == "Selector" and namespaces.selector is not None:
        return selector_matches(namespaces.selector, namespace_labels(namespace))
    return False


def selector_matches(selector: k8s.LabelSelector, labels: Mapping[str, str]) -> bool:
    if any(labels.get(key) != value for key, value in selector.match_labels.items()):
        return False
    for requirement in selector.match_expressions:
        present = requirement.key in labels
        value = labels.get(requirement.key)
        if requirement.operator == "In" and value not in requirement.values:
            return False
        if requirement.operator == "NotIn" and present and value in requirement.values:
            return False
        if requirement.operator == "Exists" and not present:
            return False
        if requirement.operator == "DoesNotExist" and present:
            return False
    return True


def intersect_hostnames(listener_hostname: Optional[str], route_hostnames: Sequence[str]) -> Optional[List[str]]:
    """The route hostnames that apply on the listener; None when there is no intersection.

    An empty list means "any hostname" (neither side or only one side restricts).
    """
    if listener_hostname is None:
        return list(route_hostnames)
    if not route_hostnames:
        return [listener_hostname]
    shared: List[str] = []
    for hostname in route_hostnames:
        if _hostname_matches(listener_hostname, hostname):
            # The route's is the more specific (a wildcard listener can only match another
            # wildcard by covering it), so it is what requests will carry.
            shared.append(hostname)
        elif _hostname_matches(hostname, listener_hostname):
            shared.append(listener_hostname)
    return shared or None


def _hostname_matches(pattern: str, hostname: str) -> bool:
    if pattern == hostname:
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com"
        return hostname.endswith(suffix) and len(hostname) > len(suffix)
    return False
