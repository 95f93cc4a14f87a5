"""Gateway API rules held where VPC Lattice can express them, and refused where it cannot.

Each test is named for the spec rule it follows; the docstring quotes or points at the
field documentation in the Gateway API v1.5.0 CRDs (``gateway.networking.k8s.io_*.yaml``).
"""

from __future__ import annotations

from typing import Any, Dict

from components.specs import FixedResponseAction, ForwardAction
from tests.support.plans import (CONTROLLER, assert_contract_clean, condition_of, forwarded, parent_conditions,
                                 plan_yaml, problems_for, route_condition, rules_of, status_of, the_route)
from tests.support.world import gateway, gateway_class, http_route, service, world

GATEWAY_API = "gateway.networking.k8s.io/v1"


def plan_world(*objects: Any, **settings: Any):
    return plan_yaml(world(gateway_class(controller=CONTROLLER), *objects), **settings)


# --- HTTPBackendRef: the share of an invalid backend fails --------------------------------------


def test_invalid_backend_share_receives_errors_not_the_other_backends():
    """HTTPRouteRule.backendRefs: "If multiple backendRefs are specified and some are invalid,
    the proportion of requests that would otherwise have been routed to an invalid backend
    MUST receive a 500 status code."  A typo in the 90% backend must not send 100% to the
    10% canary: the 90% goes to a target group without targets."""
    result = plan_world(gateway("edge"), service("canary"), http_route(
        "checkout", parents=("edge",), backends=(("stable-typo", 80, 90), ("canary", 80, 10))))
    [rule] = rules_of(result)
    route = the_route(result)
    unresolved = f"{route.key}/unresolved-backends"
    assert forwarded(rule) == [(f"{route.key}/backend/default/canary:80", 10), (unresolved, 90)]
    assert unresolved in result.model.targets and result.model.targets[unresolved] == ()
    assert {tg.key for tg in route.target_groups} == {f"{route.key}/backend/default/canary:80", unresolved}
    resolved = parent_conditions(result, "checkout")["ResolvedRefs"]
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    [warning] = [p for p in problems_for(result, "HTTPRoute", "default", "checkout", "warning")]
    assert warning.field == "spec.rules[0].backendRefs" and "weight 90 of 100" in warning.message
    assert_contract_clean(result.model)


def test_all_backends_invalid_still_answers_500():
    """The same rule, when no backend is valid: a fixed 500, as before."""
    result = plan_world(gateway("edge"), http_route("checkout", parents=("edge",), backends=(("gone", 80, 1),)))
    [rule] = rules_of(result)
    assert rule.action == FixedResponseAction(500)
    assert the_route(result).target_groups == ()


def test_shares_of_several_rules_use_one_empty_group():
    result = plan_world(gateway("edge"), service("web"), http_route("r", parents=("edge",), rules=[
        {"matches": [{"path": {"type": "Exact", "value": "/a"}}], "backendRefs": [{"name": "web", "port": 80},
                                                                                 {"name": "x", "port": 80}]},
        {"matches": [{"path": {"type": "Exact", "value": "/b"}}], "backendRefs": [{"name": "web", "port": 80, "weight": 3},
                                                                                 {"name": "y", "port": 80}]}]))
    first, second = rules_of(result)
    assert [w for _, w in forwarded(first)] == [1, 1] and [w for _, w in forwarded(second)] == [3, 1]
    assert len([tg for tg in the_route(result).target_groups if tg.key.endswith("/unresolved-backends")]) == 1


# --- Hostname ---------------------------------------------------------------------------------


def test_ip_address_hostnames_are_refused():
    """Hostname: "1. IPs are not allowed." (the CRD pattern alone accepts 10.0.0.1)."""
    result = plan_world(gateway("edge"), service("web"), http_route(
        "r", parents=("edge",), hostnames=("10.0.0.1",), backends=(("web", 80),)))
    assert result.model.routes() == ()
    [problem] = problems_for(result, "HTTPRoute", "default", "r", "error")
    assert problem.field == "spec.hostnames[0]" and "IP address" in problem.message


def test_wildcard_route_hostname_is_warned_not_dropped_silently():
    """HTTPRoute.spec.hostnames may hold ``*.example.com``; a VPC Lattice custom domain is
    one exact name, so the wildcard is not served, and the route says so."""
    result = plan_world(gateway("edge"), service("web"), http_route(
        "r", parents=("edge",), hostnames=("*.example.com", "shop.example.com"), backends=(("web", 80),)))
    assert the_route(result).service.custom_domain_name == "shop.example.com"
    [warning] = [p for p in problems_for(result, "HTTPRoute", "default", "r", "warning") if "wildcard" in p.message]
    assert "'*.example.com'" in warning.message and "'shop.example.com' is served" in warning.message

    only = plan_world(gateway("edge"), service("web"), http_route(
        "r", parents=("edge",), hostnames=("*.example.com",), backends=(("web", 80),)))
    assert the_route(only).service.custom_domain_name is None
    [warning] = [p for p in problems_for(only, "HTTPRoute", "default", "r", "warning") if "wildcard" in p.message]
    assert "generated DNS name only" in warning.message


# --- Service appProtocol ------------------------------------------------------------------------


def _app_protocol_plan(app_protocol: str):
    return plan_world(gateway("edge"), service("web", ports=({"port": 80, "appProtocol": app_protocol},)),
                      service("fallback"), http_route("r", parents=("edge",),
                                                      backends=(("web", 80, 1), ("fallback", 80, 1))))


def test_h2c_app_protocol_gives_an_http2_target_group():
    """Gateway API (GEP-1911) backend protocol selection: ``kubernetes.io/h2c`` is HTTP/2
    over cleartext, a target group protocol version HTTP2."""
    result = _app_protocol_plan("kubernetes.io/h2c")
    groups = {tg.key.rsplit("/", 1)[-1]: tg for tg in the_route(result).target_groups}
    assert (groups["web:80"].protocol, groups["web:80"].protocol_version) == ("HTTP", "HTTP2")
    assert groups["fallback:80"].protocol_version == "HTTP1"
    assert_contract_clean(result.model)


def test_websocket_app_protocols_refuse_the_backend_naming_service_and_port():
    """GEP-1911: an implementation that does not support a backend's appProtocol sets
    ``ResolvedRefs=False`` with reason ``UnsupportedProtocol``; VPC Lattice does not carry
    WebSockets, so the backend's share fails."""
    for value in ("kubernetes.io/ws", "kubernetes.io/wss"):
        result = _app_protocol_plan(value)
        resolved = parent_conditions(result, "r")["ResolvedRefs"]
        assert (resolved.status, resolved.reason) == ("False", "UnsupportedProtocol")
        assert "Service default/web port 80" in resolved.message and value in resolved.message
        [rule] = rules_of(result)
        assert [key.rsplit("/", 1)[-1] for key, _ in forwarded(rule)] == ["fallback:80", "unresolved-backends"]


def test_unknown_app_protocol_is_warned():
    result = _app_protocol_plan("example.com/custom")
    [warning] = [p for p in problems_for(result, "HTTPRoute", "default", "r", "warning") if "appProtocol" in p.message]
    assert "'example.com/custom'" in warning.message and warning.field == "spec.rules[0].backendRefs[0]"
    assert parent_conditions(result, "r")["ResolvedRefs"].status == "True"


# --- BackendTLSPolicy ---------------------------------------------------------------------------


def _backend_tls_policy(service_name: str, section: str | None = None) -> Dict[str, Any]:
    target: Dict[str, Any] = {"group": "", "kind": "Service", "name": service_name}
    if section:
        target["sectionName"] = section
    return {"apiVersion": GATEWAY_API, "kind": "BackendTLSPolicy", "metadata": {"name": "tls", "namespace": "default"},
            "spec": {"targetRefs": [target], "validation": {"hostname": "web.internal",
                                                           "wellKnownCACertificates": "System"}}}


def test_backend_tls_policy_fails_closed():
    """BackendTLSPolicy asks for TLS to the backend, verified; we cannot verify a target's
    certificate, so the backend is refused (its requests fail), never sent in plain HTTP."""
    result = plan_world(gateway("edge"), service("web"), _backend_tls_policy("web"),
                        http_route("r", parents=("edge",), backends=(("web", 80),)))
    [rule] = rules_of(result)
    assert rule.action == FixedResponseAction(500)
    resolved = parent_conditions(result, "r")["ResolvedRefs"]
    assert (resolved.status, resolved.reason) == ("False", "UnsupportedProtocol")
    assert "BackendTLSPolicy default/tls" in resolved.message
    assert problems_for(result, "BackendTLSPolicy", "default", "tls", "warning")


def test_backend_tls_policy_for_another_port_name_leaves_the_backend_alone():
    result = plan_world(gateway("edge"), service("web", ports=({"port": 80, "name": "http"},)),
                        _backend_tls_policy("web", section="https"),
                        http_route("r", parents=("edge",), backends=(("web", 80),)))
    [rule] = rules_of(result)
    assert isinstance(rule.action, ForwardAction)


# --- Gateway spec.tls.frontend (client certificate validation) ------------------------------------


def _mtls_gateway(mode: str | None, per_port: bool = False) -> Dict[str, Any]:
    gw = gateway("edge", listeners=(("https", 443, "HTTPS"), ("http", 80, "HTTP")))
    validation: Dict[str, Any] = {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}]}
    if mode:
        validation["mode"] = mode
    frontend = ({"perPort": [{"port": 443, "tls": {"validation": validation}}]} if per_port
                else {"default": {"validation": validation}})
    gw["spec"]["tls"] = {"frontend": frontend}
    return gw


def test_client_certificate_validation_is_not_served_without_the_check():
    """GatewayTLSConfig.frontend: validation "will result in mutual authentication"; with
    mode AllowValidOnly (the default) the gateway accepts only verified clients.  VPC
    Lattice cannot validate client certificates, so the HTTPS listener is not accepted and
    routes do not attach to it; the HTTP listener is unaffected."""
    for per_port in (False, True):
        result = plan_world(_mtls_gateway(None, per_port), service("web"), http_route(
            "secure", parents=({"name": "edge", "sectionName": "https"},), backends=(("web", 80),)),
            http_route("plain", parents=({"name": "edge", "sectionName": "http"},), backends=(("web", 80),)))
        listeners = status_of(result, "Gateway", "default", "edge").listeners
        assert listeners["https"].conditions["Accepted"].status == "False"
        assert listeners["http"].conditions["Accepted"].status == "True"
        accepted = condition_of(result, "secure")
        assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
        assert "client certificates" in accepted.message
        assert [r.key for r in result.model.routes()] == ["HTTPRoute/default/plain"]
        assert problems_for(result, "Gateway", "default", "edge", "error")


def test_insecure_fallback_is_served_with_a_warning():
    """Mode AllowInsecureFallback accepts clients without a valid certificate: what
    Lattice does anyway, so the listener serves, and the Gateway is warned."""
    result = plan_world(_mtls_gateway("AllowInsecureFallback"), service("web"), http_route(
        "secure", parents=({"name": "edge", "sectionName": "https"},), backends=(("web", 80),)))
    assert condition_of(result, "secure").status == "True"
    warnings = problems_for(result, "Gateway", "default", "edge", "warning")
    assert any(p.field == "spec.tls.frontend" and "AllowInsecureFallback" in p.message for p in warnings)


# --- TLSRoute references ------------------------------------------------------------------------


def _tls_world(backend: Dict[str, Any], *extra: Any) -> str:
    tls_gateway = gateway("edge", listeners=(("tls", 443, "TLS"),))
    route = http_route("pass", parents=("edge",), kind="TLSRoute", hostnames=("db.example.com",),
                       rules=[{"backendRefs": [backend]}])
    return world(gateway_class(controller=CONTROLLER), tls_gateway, route, *extra)


def test_tls_route_backend_reasons_match_http_route():
    """Route ResolvedRefs reasons apply to every route kind: BackendNotFound, InvalidKind,
    RefNotPermitted; the TLSRoute stays accepted and its connections are refused (the
    passthrough listener forwards to a target group without targets)."""
    cases = {
        "BackendNotFound": ({"name": "missing", "port": 5432}, ()),
        "InvalidKind": ({"group": "example.com", "kind": "Database", "name": "db", "port": 5432}, ()),
        "RefNotPermitted": ({"name": "db", "namespace": "data", "port": 5432}, (service("db", "data", ports=(5432,)),)),
    }
    for reason, (backend, extra) in cases.items():
        result = plan_yaml(_tls_world(backend, *extra))
        assert route_condition(result, "TLSRoute", "pass").status == "True", reason
        resolved = route_condition(result, "TLSRoute", "pass", "ResolvedRefs")
        assert (resolved.status, resolved.reason) == ("False", reason)
        listener = the_route(result).listeners[0]
        assert isinstance(listener.default_action, ForwardAction)
        [(group, weight)] = [(g.target_group, g.weight) for g in listener.default_action.target_groups]
        assert group.endswith("/unresolved-backends") and result.model.targets[group] == ()
        assert_contract_clean(result.model)


# --- kinds and parents we do not serve ----------------------------------------------------------


def _unserved(kind: str) -> Dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": kind,
            "metadata": {"name": "stream", "namespace": "default"},
            "spec": {"parentRefs": [{"name": "edge"}, {"name": "theirs"}], "rules": [{"backendRefs": [{"name": "x", "port": 9}]}]}}


def test_tcp_and_udp_routes_on_our_gateways_are_told_we_do_not_serve_them():
    """RouteParentStatus: an implementation sets conditions for the parents it controls;
    VPC Lattice has no TCP or UDP listener, so our parent says ``Accepted=False``
    (``NotAllowedByListeners``); another controller's Gateway gets nothing from us."""
    theirs = gateway("theirs", class_name="other")
    other_class = gateway_class("other", controller="example.com/other")
    for kind in ("TCPRoute", "UDPRoute"):
        result = plan_world(gateway("edge"), theirs, other_class, _unserved(kind))
        status = status_of(result, kind, "default", "stream")
        [parent] = status.parents
        assert parent.parent_ref["name"] == "edge"
        accepted = parent.conditions["Accepted"]
        assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
        assert kind in accepted.message
        assert result.model.routes() == ()


def test_a_route_whose_parents_are_all_listener_sets_is_told_so():
    result = plan_world(gateway("edge"), service("web"), http_route(
        "r", parents=({"name": "set", "kind": "ListenerSet"},), backends=(("web", 80),)))
    [warning] = problems_for(result, "HTTPRoute", "default", "r", "warning")
    assert warning.field == "spec.parentRefs" and "ListenerSet" in warning.message


def test_backend_tls_policy_naming_the_port_refuses_and_passthrough_is_exempt():
    """A targetRef's sectionName names the Service port it covers; TLS passthrough carries
    the client's own TLS to the pod, so a BackendTLSPolicy there asks nothing of Lattice."""
    named = plan_world(gateway("edge"), service("web", ports=({"port": 80, "name": "https"},)),
                       _backend_tls_policy("web", section="https"),
                       http_route("r", parents=("edge",), backends=(("web", 80),)))
    assert parent_conditions(named, "r")["ResolvedRefs"].reason == "UnsupportedProtocol"
    passthrough = plan_yaml(_tls_world({"name": "db", "port": 5432}, service("db", ports=(5432,)),
                                       _backend_tls_policy("db")))
    assert route_condition(passthrough, "TLSRoute", "pass", "ResolvedRefs").status == "True"


def test_a_listener_set_named_like_our_gateway_is_not_taken_for_it():
    """Parents that are not Gateways are not ours to judge, whatever their name; a Gateway
    parent after one is still told."""
    only_set = _unserved("TCPRoute")
    only_set["spec"]["parentRefs"] = [{"group": "gateway.networking.k8s.io", "kind": "ListenerSet", "name": "edge"}]
    result = plan_world(gateway("edge"), only_set)
    status = status_of(result, "TCPRoute", "default", "stream")
    assert status is None or status.parents == ()
    assert problems_for(result, "TCPRoute", "default", "stream", "warning") == []
    set_then_gateway = _unserved("TCPRoute")
    set_then_gateway["spec"]["parentRefs"] = [{"kind": "ListenerSet", "name": "set"}, {"name": "edge"}]
    told = plan_world(gateway("edge"), set_then_gateway)
    [parent] = status_of(told, "TCPRoute", "default", "stream").parents
    assert parent.parent_ref["name"] == "edge" and parent.conditions["Accepted"].reason == "NotAllowedByListeners"
    [warning] = problems_for(told, "TCPRoute", "default", "stream", "warning")
    assert warning.field == "kind"


def test_a_gateway_with_no_listener_lattice_can_serve_says_so_for_any_section():
    tcp_only = gateway("edge", listeners=(("tcp", 9000, "TCP"),))
    result = plan_world(tcp_only, service("web"), http_route("r", parents=("edge",), backends=(("web", 80),)))
    accepted = condition_of(result, "r")
    assert (accepted.status, accepted.reason) == ("False", "NoMatchingParent")
    assert accepted.message.endswith("(HTTP, HTTPS, TLS Passthrough) with any")
