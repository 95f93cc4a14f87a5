"""Hostile and awkward inputs: each gets the Gateway API condition the spec asks for, and
nothing of the offending object reaches the model, while everything else still plans.

Most route cases plan next to a well-formed "bystander" route on the same Gateway, to
show that one bad object never costs the others.
"""

from __future__ import annotations

import pytest

from components.specs import FixedResponseAction
from lattice_program.contract.pipeline import plan
from lattice_program.sources.files import RawObject, load_text

from tests.support.plans import (
    CONTROLLER,
    assert_contract_clean,
    assert_not_in_model,
    condition_of,
    forwarded,
    parent_conditions,
    plan_yaml,
    problem_fields,
    problems_for,
    route_keys,
    route_parents,
    rules_of,
    settings,
    status_of,
    the_listener,
    the_route,
)

WORLD = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: edge, namespace: infra}}
spec:
  gatewayClassName: lattice
  listeners:
  - name: same-only
    port: 80
    protocol: HTTP
  - name: everyone
    port: 8080
    protocol: HTTP
    allowedRoutes: {{namespaces: {{from: All}}}}
  - name: labelled
    port: 9090
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {{matchLabels: {{team: payments}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: infra}}
spec: {{ports: [{{port: 80}}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: bystander, namespace: infra}}
spec:
  parentRefs: [{{name: edge, sectionName: same-only}}]
  rules: [{{backendRefs: [{{name: web, port: 80}}]}}]
"""

BYSTANDER = "HTTPRoute/infra/bystander"


def http_route(name: str, namespace: str, body: str) -> str:
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {namespace}}}
spec:
{body}"""


def services(namespace: str, *names: str, port: int = 80) -> str:
    return "".join(f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{ports: [{{port: {port}}}]}}
""" for name in names)


def namespace(name: str, **labels: str) -> str:
    shown = ", ".join(f"{k}: {v}" for k, v in labels.items())
    return f"""
---
apiVersion: v1
kind: Namespace
metadata: {{name: {name}, labels: {{{shown}}}}}
"""


def assert_bystander_planned(result) -> None:
    route = the_route(result, BYSTANDER)
    assert route.listeners and route.target_groups


# --- attachment -------------------------------------------------------------------------


def test_route_from_another_namespace_on_a_same_namespace_listener_is_not_allowed():
    result = plan_yaml(WORLD + services("shop", "cart") + http_route("cart", "shop", """\
  parentRefs: [{name: edge, namespace: infra, sectionName: same-only}]
  rules: [{backendRefs: [{name: cart, port: 80}]}]
"""))
    accepted = condition_of(result, "cart", namespace="shop")
    assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
    assert "same-only" in accepted.message and "shop" in accepted.message
    assert_not_in_model(result, "HTTPRoute/shop/cart")
    assert_bystander_planned(result)


@pytest.mark.parametrize(
    ("namespace_yaml", "allowed"),
    [
        (namespace("payments", team="payments"), True),
        (namespace("payments", team="checkout"), False),
        ("", False),  # the Namespace object is not in the input: only its name label is known
    ],
    ids=["labels-match", "labels-differ", "namespace-not-given"],
)
def test_selector_listener_admits_only_namespaces_with_matching_labels(namespace_yaml, allowed):
    result = plan_yaml(WORLD + namespace_yaml + services("payments", "pay") + http_route("pay", "payments", """\
  parentRefs: [{name: edge, namespace: infra, sectionName: labelled}]
  rules: [{backendRefs: [{name: pay, port: 80}]}]
"""))
    accepted = condition_of(result, "pay", namespace="payments")
    if allowed:
        assert (accepted.status, accepted.reason) == ("True", "Accepted")
        assert the_listener(the_route(result, "HTTPRoute/payments/pay")).port == 9090
    else:
        assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
        assert_not_in_model(result, "HTTPRoute/payments/pay")
    assert_bystander_planned(result)


def test_selector_on_the_automatic_namespace_name_label():
    """``kubernetes.io/metadata.name`` is set on every namespace, given or not."""
    text = WORLD.replace("selector: {matchLabels: {team: payments}}",
                         "selector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [payments]}]}")
    result = plan_yaml(text + services("payments", "pay") + http_route("pay", "payments", """\
  parentRefs: [{name: edge, namespace: infra, sectionName: labelled}]
  rules: [{backendRefs: [{name: pay, port: 80}]}]
"""))
    assert condition_of(result, "pay", namespace="payments").status == "True"


def test_missing_gateway_and_unmatched_section_are_no_matching_parent():
    result = plan_yaml(WORLD + http_route("ghost", "infra", """\
  parentRefs: [{name: nowhere}]
""") + http_route("lost", "infra", """\
  parentRefs: [{name: edge, sectionName: no-such-listener}]
""") + http_route("wrong-port", "infra", """\
  parentRefs: [{name: edge, port: 443}]
"""))
    for name, hint in (("ghost", "nowhere"), ("lost", "no-such-listener"), ("wrong-port", "443")):
        accepted = condition_of(result, name, namespace="infra")
        assert (accepted.status, accepted.reason) == ("False", "NoMatchingParent"), name
        assert hint in accepted.message
        assert_not_in_model(result, f"HTTPRoute/infra/{name}")
    assert route_keys(result) == [BYSTANDER]


def test_gateway_of_another_class_is_ignored_entirely():
    result = plan_yaml(WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: istio}
spec: {controllerName: istio.io/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: mesh, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
""" + http_route("theirs", "infra", """\
  parentRefs: [{name: mesh}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
"""))
    assert route_parents(result, "theirs", "infra") == []
    assert status_of(result, "Gateway", "infra", "mesh") is None
    assert status_of(result, "GatewayClass", None, "istio") is None
    assert [g.key for g in result.model.gateways()] == ["Gateway/infra/edge"]
    assert_not_in_model(result, "HTTPRoute/infra/theirs")
    assert not result.errors


@pytest.mark.parametrize(
    ("listener_hostname", "route_hostnames", "reason", "domain"),
    [
        ("'*.example.com'", "[a.example.com]", "Accepted", "a.example.com"),
        ("'*.example.com'", "[example.net]", "NoMatchingListenerHostname", None),
        ("'*.example.com'", "[example.com]", "NoMatchingListenerHostname", None),  # a wildcard needs a label
        ("a.example.com", "['*.example.com']", "Accepted", "a.example.com"),
        ("'*.example.com'", "['*.example.com']", "Accepted", None),
        ("'*.example.com'", "[example.net, b.example.com]", "Accepted", "b.example.com"),
    ],
)
def test_hostname_intersection(listener_hostname, route_hostnames, reason, domain):
    text = WORLD.replace("name: everyone\n", f"name: everyone\n    hostname: {listener_hostname}\n")
    result = plan_yaml(text + http_route("named", "infra", f"""\
  parentRefs: [{{name: edge, sectionName: everyone}}]
  hostnames: {route_hostnames}
  rules: [{{backendRefs: [{{name: web, port: 80}}]}}]
"""))
    accepted = condition_of(result, "named", namespace="infra")
    assert accepted.reason == reason
    if reason == "Accepted":
        assert the_route(result, "HTTPRoute/infra/named").service.custom_domain_name == domain
        assert_contract_clean(result.model)
    else:
        assert accepted.status == "False"
        assert_not_in_model(result, "HTTPRoute/infra/named")


# --- backend references ---------------------------------------------------------------------

GRANT = """
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-infra, namespace: billing}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]
  to: [{group: "", kind: Service, name: ledger}]
"""

CROSS_NAMESPACE_ROUTE = http_route("books", "infra", """\
  parentRefs: [{name: edge, sectionName: same-only}]
  rules: [{backendRefs: [{name: ledger, namespace: billing, port: 80}]}]
""")


def test_backend_in_another_namespace_needs_a_reference_grant():
    denied = plan_yaml(WORLD + services("billing", "ledger") + CROSS_NAMESPACE_ROUTE)
    conditions = parent_conditions(denied, "books", "infra")
    assert conditions["Accepted"].status == "True"
    resolved = conditions["ResolvedRefs"]
    assert (resolved.status, resolved.reason) == ("False", "RefNotPermitted")
    assert "ReferenceGrant" in resolved.message and "billing" in resolved.message
    route = the_route(denied, "HTTPRoute/infra/books")
    assert route.target_groups == ()
    assert not any("billing" in key for key in denied.model.targets)
    [rule] = rules_of(denied, "HTTPRoute/infra/books")
    assert rule.action == FixedResponseAction(500)

    granted = plan_yaml(WORLD + services("billing", "ledger") + GRANT + CROSS_NAMESPACE_ROUTE)
    assert condition_of(granted, "books", "ResolvedRefs", "infra").status == "True"
    [group] = the_route(granted, "HTTPRoute/infra/books").target_groups
    assert group.key.endswith("/backend/billing/ledger:80")


@pytest.mark.parametrize(
    "grant",
    [
        GRANT.replace("namespace: infra}", "namespace: elsewhere}"),  # from another namespace
        GRANT.replace("name: ledger", "name: journal"),  # to another Service
        GRANT.replace("kind: HTTPRoute", "kind: GRPCRoute"),  # for another route kind
        GRANT.replace("namespace: billing", "namespace: infra"),  # in the route's namespace, not the target's
    ],
    ids=["other-from-namespace", "other-service", "other-kind", "grant-in-wrong-namespace"],
)
def test_reference_grant_that_does_not_cover_the_reference(grant):
    result = plan_yaml(WORLD + services("billing", "ledger") + grant + CROSS_NAMESPACE_ROUTE)
    assert condition_of(result, "books", "ResolvedRefs", "infra").reason == "RefNotPermitted"
    assert the_route(result, "HTTPRoute/infra/books").target_groups == ()


def test_service_import_without_any_export_is_backend_not_found():
    result = plan_yaml(WORLD + http_route("imported", "infra", """\
  parentRefs: [{name: edge, sectionName: same-only}]
  rules: [{backendRefs: [{group: multicluster.x-k8s.io, kind: ServiceImport, name: web}]}]
"""))
    resolved = condition_of(result, "imported", "ResolvedRefs", "infra")
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    assert "exports infra/web" in resolved.message
    assert the_route(result, "HTTPRoute/infra/imported").target_groups == ()


# --- weights ----------------------------------------------------------------------------------


def weighted_route(*weights: int) -> str:
    names = [f"v{i}" for i in range(len(weights))]
    refs = ", ".join(f"{{name: {n}, port: 80, weight: {w}}}" for n, w in zip(names, weights))
    return services("infra", *names) + http_route("weighted", "infra", f"""\
  parentRefs: [{{name: edge, sectionName: same-only}}]
  rules: [{{backendRefs: [{refs}]}}]
""")


def test_all_zero_weights_answer_500():
    result = plan_yaml(WORLD + weighted_route(0, 0))
    [rule] = rules_of(result, "HTTPRoute/infra/weighted")
    assert rule.action == FixedResponseAction(500)
    assert condition_of(result, "weighted", namespace="infra").status == "True"


def test_large_weights_are_scaled_with_a_warning():
    result = plan_yaml(WORLD + weighted_route(1_000_000, 500_000))
    [rule] = rules_of(result, "HTTPRoute/infra/weighted")
    assert [weight for _, weight in forwarded(rule)] == [999, 500]
    warnings = problems_for(result, "HTTPRoute", "infra", "weighted", "warning")
    assert problem_fields(warnings) == ["spec.rules[0].backendRefs"] and "scaled" in warnings[0].message
    assert_contract_clean(result.model)


# --- routes refused whole: Accepted=False, UnsupportedValue, naming the field ------------------

SIX_HEADERS = ", ".join(f"{{name: x-h{i}, value: v}}" for i in range(6))
ELEVEN = [1] * 11


def rule_route(rule: str, extra: str = "") -> str:
    return extra + http_route("hostile", "infra", f"""\
  parentRefs: [{{name: edge, sectionName: same-only}}]
  rules:
  - {rule}
""")


UNSUPPORTED = {
    "six-headers": (rule_route(f"{{matches: [{{headers: [{SIX_HEADERS}]}}], backendRefs: [{{name: web, port: 80}}]}}"),
                    "spec.rules[0].matches[0].headers"),
    "unicode-path": (rule_route("{matches: [{path: {value: /caf\u00e9}}], backendRefs: [{name: web, port: 80}]}"),
                     "spec.rules[0].matches[0].path.value"),
    "long-path": (rule_route("{matches: [{path: {value: /" + "p" * 299 + "}}], backendRefs: [{name: web, port: 80}]}"),
                  "spec.rules[0].matches[0].path.value"),
    "query-params": (rule_route("{matches: [{queryParams: [{name: q, value: x}]}], backendRefs: [{name: web, port: 80}]}"),
                     "spec.rules[0].matches[0].queryParams"),
    "regex-path": (rule_route("{matches: [{path: {type: RegularExpression, value: '/v[0-9]+'}}], "
                              "backendRefs: [{name: web, port: 80}]}"),
                   "spec.rules[0].matches[0].path.type"),
    "regex-header": (rule_route("{matches: [{headers: [{type: RegularExpression, name: x, value: 'a.*'}]}], "
                                "backendRefs: [{name: web, port: 80}]}"),
                     "spec.rules[0].matches[0].headers[0].type"),
    "rule-filters": (rule_route("{filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}], "
                                "backendRefs: [{name: web, port: 80}]}"),
                     "spec.rules[0].filters"),
    "timeouts": (rule_route("{timeouts: {request: 5s}, backendRefs: [{name: web, port: 80}]}"),
                 "spec.rules[0].timeouts"),
    "retry": (rule_route("{retry: {attempts: 3}, backendRefs: [{name: web, port: 80}]}"),
              "spec.rules[0].retry"),
    "backend-filters": (rule_route("{backendRefs: [{name: web, port: 80, filters: [{type: RequestMirror}]}]}"),
                        "spec.rules[0].backendRefs[0].filters"),
    "ratio-over-999": (rule_route("{backendRefs: [{name: v0, port: 80, weight: 1000000}, {name: v1, port: 80, weight: 1}]}",
                                  services("infra", "v0", "v1")),
                       "spec.rules[0].backendRefs"),
    "eleven-backends": (rule_route("{backendRefs: [" + ", ".join(f"{{name: v{i}, port: 80}}" for i in range(11)) + "]}",
                                   services("infra", *[f"v{i}" for i in range(11)])),
                        "spec.rules[0].backendRefs"),
    "external-name-service": (rule_route("{backendRefs: [{name: outside, port: 80}]}", """
---
apiVersion: v1
kind: Service
metadata: {name: outside, namespace: infra}
spec: {type: ExternalName, ports: [{port: 80}]}
"""), "spec.rules[0].backendRefs[0]"),
    "dual-stack-service": (rule_route("{backendRefs: [{name: both, port: 80}]}", """
---
apiVersion: v1
kind: Service
metadata: {name: both, namespace: infra}
spec: {ipFamilies: [IPv4, IPv6], ports: [{port: 80}]}
"""), "spec.rules[0].backendRefs[0]"),
}


@pytest.mark.parametrize(("text", "field"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_unsupported_route_is_refused_naming_the_field(text, field):
    result = plan_yaml(WORLD + text)
    accepted = condition_of(result, "hostile", namespace="infra")
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
    assert field in accepted.message
    errors = problems_for(result, "HTTPRoute", "infra", "hostile", "error")
    assert field in problem_fields(errors), [str(p) for p in errors]
    assert all(p.message for p in errors)
    assert_not_in_model(result, "HTTPRoute/infra/hostile")
    assert_bystander_planned(result)
    assert_contract_clean(result.model)


def test_backend_filter_problem_names_the_filters_field_once():
    result = plan_yaml(WORLD + UNSUPPORTED["backend-filters"][0])
    [problem] = problems_for(result, "HTTPRoute", "infra", "hostile", "error")
    assert problem.field == "spec.rules[0].backendRefs[0].filters"
    assert "backendRefs" not in problem.message


# --- quotas -----------------------------------------------------------------------------------


def test_more_lattice_rules_than_the_listener_quota_is_refused():
    matches = ", ".join(f"{{path: {{value: /p{i}}}}}" for i in range(4))
    text = WORLD + http_route("busy", "infra", f"""\
  parentRefs: [{{name: edge, sectionName: same-only}}]
  rules: [{{matches: [{matches}], backendRefs: [{{name: web, port: 80}}]}}]
""")
    refused = plan_yaml(text, rules_per_listener=3)
    accepted = condition_of(refused, "busy", namespace="infra")
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
    # Each PathPrefix /pN is two Lattice rules (exact /pN, prefix /pN/): eight rules for four matches.
    assert "spec.rules" in accepted.message and "rulesPerListener" in accepted.message
    assert "8 Lattice rules needed" in accepted.message and "8 of them are the two halves" in accepted.message
    assert_not_in_model(refused, "HTTPRoute/infra/busy")
    assert_bystander_planned(refused)

    raised = plan_yaml(text, rules_per_listener=8)
    assert len(rules_of(raised, "HTTPRoute/infra/busy")) == 8


def test_more_listeners_than_the_service_quota_is_refused():
    text = WORLD.replace("""  - name: same-only
    port: 80
    protocol: HTTP
""", """  - name: same-only
    port: 80
    protocol: HTTP
  - name: secure
    port: 443
    protocol: HTTPS
    tls: {mode: Terminate}
""") + http_route("wide", "infra", """\
  parentRefs:
  - {name: edge, sectionName: same-only}
  - {name: edge, sectionName: secure}
  - {name: edge, sectionName: everyone}
  rules: [{backendRefs: [{name: web, port: 80}]}]
""")
    refused = plan_yaml(text)
    parents = route_parents(refused, "wide", "infra")
    assert len(parents) == 3
    for parent in parents:
        accepted = parent.conditions["Accepted"]
        assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
        assert "listenersPerService" in accepted.message and "3 listeners" in accepted.message
    assert "spec.parentRefs" in problem_fields(problems_for(refused, "HTTPRoute", "infra", "wide", "error"))
    assert_not_in_model(refused, "HTTPRoute/infra/wide")
    assert_bystander_planned(refused)

    raised = plan_yaml(text, listeners_per_service=3)
    route = the_route(raised, "HTTPRoute/infra/wide")
    assert sorted((l.protocol, l.port) for l in route.listeners) == [("HTTP", 80), ("HTTP", 8080), ("HTTPS", 443)]
    assert_contract_clean(raised.model)


# --- names --------------------------------------------------------------------------------------


def test_long_route_names_differing_after_40_characters_get_distinct_valid_names():
    stem = "checkout-frontend-service-for-the-europe"  # 40 characters
    assert len(stem) == 40
    result = plan_yaml(WORLD + services("infra", "svc") + "".join(http_route(f"{stem}-{suffix}", "infra", """\
  parentRefs: [{name: edge, sectionName: same-only}]
  rules: [{backendRefs: [{name: svc, port: 80}]}]
""") for suffix in ("west", "east")))
    names = {r.key: r.service.name for r in result.model.routes() if r.key != BYSTANDER}
    assert len(names) == 2 and len(set(names.values())) == 2, names
    assert all(len(name) <= 40 for name in names.values())
    groups = [tg.name for r in result.model.routes() for tg in r.target_groups]
    assert len(groups) == len(set(groups))
    assert not result.errors
    assert_contract_clean(result.model)


def test_same_route_name_in_two_namespaces_gets_two_names():
    route = """\
  parentRefs: [{name: edge, namespace: infra, sectionName: everyone}]
  rules: [{backendRefs: [{name: api, port: 80}]}]
"""
    result = plan_yaml(WORLD + services("team-a", "api") + services("team-b", "api")
                       + http_route("api", "team-a", route) + http_route("api", "team-b", route))
    a = the_route(result, "HTTPRoute/team-a/api")
    b = the_route(result, "HTTPRoute/team-b/api")
    assert a.service.name != b.service.name
    assert {tg.name for tg in a.target_groups}.isdisjoint(tg.name for tg in b.target_groups)
    assert_contract_clean(result.model)


# --- Gateways -------------------------------------------------------------------------------------

TWO_GATEWAYS = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: shared, namespace: first, creationTimestamp: "2024-01-01T00:00:00Z"}}
spec:
  gatewayClassName: lattice
  listeners: [{{name: http, port: 80, protocol: HTTP}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: shared, namespace: alpha, creationTimestamp: "2025-01-01T00:00:00Z"}}
spec:
  gatewayClassName: lattice
  listeners: [{{name: http, port: 80, protocol: HTTP}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: alpha}}
spec: {{ports: [{{port: 80}}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: late, namespace: alpha}}
spec:
  parentRefs: [{{name: shared}}]
  rules: [{{backendRefs: [{{name: web, port: 80}}]}}]
"""


def test_two_gateways_with_one_name_the_younger_is_refused():
    """Service networks are named after the Gateway, so two Gateways named alike would
    share one network; the older (by creationTimestamp, whatever the namespace's sort
    order) keeps it, and routes of the younger are not attached."""
    result = plan_yaml(TWO_GATEWAYS)
    kept = status_of(result, "Gateway", "first", "shared")
    refused = status_of(result, "Gateway", "alpha", "shared")
    assert kept.conditions["Accepted"].status == "True"
    assert (refused.conditions["Accepted"].status, refused.conditions["Accepted"].reason) == ("False", "Invalid")
    assert "first" in refused.conditions["Accepted"].message
    assert problem_fields(problems_for(result, "Gateway", "alpha", "shared", "error")) == ["metadata.name"]
    assert [g.key for g in result.model.gateways()] == ["Gateway/first/shared"]
    accepted = condition_of(result, "late", namespace="alpha")
    assert (accepted.status, accepted.reason) == ("False", "NoMatchingParent")
    assert_not_in_model(result, "HTTPRoute/alpha/late")


def test_second_gateway_cannot_associate_the_same_vpc():
    result = plan_yaml(TWO_GATEWAYS.replace("name: shared, namespace: alpha", "name: other, namespace: alpha")
                       .replace("[{name: shared}]", "[{name: other}]"))
    gateways = {g.key: g for g in result.model.gateways()}
    assert set(gateways) == {"Gateway/first/shared", "Gateway/alpha/other"}
    assert len(gateways["Gateway/first/shared"].vpc_associations) == 1
    assert gateways["Gateway/alpha/other"].vpc_associations == ()
    warnings = problems_for(result, "Gateway", "alpha", "other", "warning")
    assert len(warnings) == 1 and "already associated" in warnings[0].message
    assert status_of(result, "Gateway", "alpha", "other").conditions["Accepted"].status == "True"
    # Its routes are still planned: the network is reachable from other VPCs.
    assert condition_of(result, "late", namespace="alpha").status == "True"
    assert_contract_clean(result.model)


# --- a mixed bag of broken input ------------------------------------------------------------------


def test_invalid_objects_do_not_stop_a_valid_route():
    text = WORLD + """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: infra}
---
just a string
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: broken, namespace: infra}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: web}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: Bad_Name, namespace: infra}
spec: {gatewayClassName: lattice, listeners: []}
---
apiVersion: v1
kind: Service
metadata: {namespace: infra}
---
kind: HTTPRoute
metadata: {name: versionless}
"""
    result = plan_yaml(text)
    assert route_keys(result) == [BYSTANDER]
    assert_bystander_planned(result)
    assert problem_fields(problems_for(result, "HTTPRoute", "infra", "broken")) == ["spec.rules[0].backendRefs[0].port"]
    assert any(p.object is None and "str" in p.message for p in result.problems)
    assert any(p.field == "apiVersion" for p in result.problems)
    assert [p.severity for p in problems_for(result, "Deployment", "infra", "web")] == ["warning"]
    assert_contract_clean(result.model)


def test_non_mapping_bodies_and_odd_scalars_are_problems_not_tracebacks():
    raw = [RawObject(["a", "list"], "x#0"), RawObject(42, "x#1"), RawObject(None, "x#2"),
           RawObject({"apiVersion": 1, "kind": "Gateway"}, "x#3"),
           RawObject({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": "oops"}, "x#4"),
           RawObject({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                      "metadata": {"name": "r", "namespace": 7}, "spec": {}}, "x#5")]
    result = plan(raw + load_text(WORLD), settings())
    assert route_keys(result) == [BYSTANDER]
    origins = {p.origin for p in result.problems if p.severity == "error"}
    assert {"x#0", "x#1", "x#2", "x#3", "x#4", "x#5"} <= origins


def test_one_port_with_two_protocols_across_parents_is_refused():
    text = WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: secure, namespace: infra}
spec:
  gatewayClassName: lattice
  listeners: [{name: tls, port: 80, protocol: HTTPS, tls: {mode: Terminate}}]
""" + http_route("split-brain", "infra", """\
  parentRefs: [{name: edge, sectionName: same-only}, {name: secure}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
""")
    result = plan_yaml(text)
    parents = route_parents(result, "split-brain", "infra")
    assert len(parents) == 2
    assert all(p.conditions["Accepted"].reason == "UnsupportedValue" for p in parents)
    assert "port 80" in parents[0].conditions["Accepted"].message
    assert_not_in_model(result, "HTTPRoute/infra/split-brain")
    assert_bystander_planned(result)


def test_route_on_two_gateways_is_one_service_associated_with_both():
    text = WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: backup, namespace: infra}
spec:
  gatewayClassName: lattice
  listeners: [{name: http, port: 80, protocol: HTTP}]
""" + http_route("both", "infra", """\
  parentRefs: [{name: edge, sectionName: same-only}, {name: backup}, {name: edge, sectionName: everyone}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
""")
    result = plan_yaml(text)
    route = the_route(result, "HTTPRoute/infra/both")
    assert [a.gateway for a in route.associations] == ["Gateway/infra/edge", "Gateway/infra/backup"]
    assert sorted(l.port for l in route.listeners) == [80, 8080]
    assert [p.conditions["Accepted"].status for p in route_parents(result, "both", "infra")] == ["True"] * 3
    assert_contract_clean(result.model)


LONGEST_NAMESPACE = "n" * 63
LONG_ROUTE_NAME = ".".join(["r" * 63] * 3) + ".abcdefgh"  # 200 characters, a valid object name


def test_longest_valid_names_still_plan():
    assert len(LONG_ROUTE_NAME) == 200
    result = plan_yaml(WORLD + services(LONGEST_NAMESPACE, LONG_ROUTE_NAME)
                       + http_route(LONG_ROUTE_NAME, LONGEST_NAMESPACE, f"""\
  parentRefs: [{{name: edge, namespace: infra, sectionName: everyone}}]
  rules: [{{backendRefs: [{{name: {LONG_ROUTE_NAME}, port: 80}}]}}]
"""))
    assert condition_of(result, LONG_ROUTE_NAME, namespace=LONGEST_NAMESPACE).status == "True"
    the_route(result, f"HTTPRoute/{LONGEST_NAMESPACE}/{LONG_ROUTE_NAME}")
