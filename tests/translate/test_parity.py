"""Parity with the AWS Gateway API Controller's own acceptance cases (the anchor).

One test per case of /work/shared/reference/aws-controller-cases.md that concerns
HTTPRoutes on HTTP/HTTPS listeners with Service backends; the case id is in each
test's name.  Where lattice-gateway deliberately does something else, the test asserts
our behaviour and its docstring says why.  Differences that hold throughout:

* priorities are allocated with gaps (10, 20, …) in Gateway API precedence order
  instead of 1, 2, … in rule order, so a rule can later be inserted without
  renumbering the others (see ``lattice_program/translate/priorities.py``);
* names carry a hash of the full identity, so truncation cannot make two routes share
  one Lattice service;
* a target group's port is the backendRef's Service port (the anchor hard-codes 80);
* the ServiceImport backends of the anchor's rule cases are Services here: these tests
  are about rules; ServiceImport resolution has its own tests (test_multicluster.py).
"""

from __future__ import annotations

from pathlib import Path

from components.specs import FixedResponseAction, ForwardAction, HeaderMatchSpec, PathMatchSpec
from lattice_program.contract.pipeline import plan
from lattice_program.contract.requests import action_request, match_request
from lattice_program.sources.files import load_paths

from tests.support.plans import (
    CONTROLLER,
    VPC,
    assert_contract_clean,
    assert_not_in_model,
    condition_of,
    forwarded,
    parent_conditions,
    plan_yaml,
    problem_fields,
    problems_for,
    route_parents,
    rules_of,
    settings,
    status_of,
    target_group,
    the_listener,
    the_route,
)

CLASS = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: amazon-vpc-lattice}}
spec: {{controllerName: {CONTROLLER}}}
"""

# The rule tests' world: Gateway gw1 with an HTTP listener named "http", two Services.
RULE_WORLD = CLASS + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw1, namespace: default}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: v1
kind: Service
metadata: {name: targetgroup1, namespace: default}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: targetgroup2, namespace: default}
spec: {ports: [{port: 8090}]}
"""

TG1 = "HTTPRoute/default/service1/backend/default/targetgroup1:8080"
TG2 = "HTTPRoute/default/service1/backend/default/targetgroup2:8090"


def route_with_rules(rules_yaml: str, *, name: str = "service1") -> str:
    return RULE_WORLD + f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default}}
spec:
  parentRefs: [{{name: gw1, sectionName: http}}]
  rules:
{rules_yaml}"""


# --- A. rules ---------------------------------------------------------------------------


def test_A1_no_matches_single_service_backend_is_catch_all_prefix():
    """A1: a rule without matches becomes one catch-all ``prefix /`` rule forwarding to
    the Service's target group with the weight as written (priority 10: gaps)."""
    result = plan_yaml(route_with_rules("""\
  - backendRefs: [{kind: Service, name: targetgroup1, port: 8080, weight: 10}]
"""))
    assert not result.errors
    [rule] = rules_of(result)
    assert rule.priority == 10
    assert rule.match.path == PathMatchSpec("prefix", "/")
    assert rule.match.method is None and rule.match.headers == ()
    assert forwarded(rule) == [(TG1, 10)]
    assert match_request(rule.match) == {"pathMatch": {"match": {"prefix": "/"}, "caseSensitive": True}}
    assert action_request(rule.action)["forward"]["targetGroups"][0]["weight"] == 10
    assert_contract_clean(result.model)


def test_A4_exact_and_prefix_two_rules():
    """A4: Exact /ver1 and PathPrefix /ver2, the exact one first.  The anchor sends
    ``prefix /ver2``, which also takes ``/ver2example``; the Gateway API's PathPrefix is
    element-wise, so ours is two Lattice rules, exact ``/ver2`` and prefix ``/ver2/``.
    The second backend is a Service here (ServiceImports: test_multicluster.py)."""
    result = plan_yaml(route_with_rules("""\
  - matches: [{path: {type: Exact, value: /ver1}}]
    backendRefs: [{name: targetgroup1, port: 8080, weight: 10}]
  - matches: [{path: {type: PathPrefix, value: /ver2}}]
    backendRefs: [{name: targetgroup2, port: 8090, weight: 90}]
"""))
    first, second, third = rules_of(result)
    assert (first.priority, first.match.path, forwarded(first)) == (10, PathMatchSpec("exact", "/ver1"), [(TG1, 10)])
    assert (second.priority, second.match.path, forwarded(second)) == (20, PathMatchSpec("exact", "/ver2"), [(TG2, 90)])
    assert (third.priority, third.match.path, forwarded(third)) == (30, PathMatchSpec("prefix", "/ver2/"), [(TG2, 90)])
    assert_contract_clean(result.model)


def test_A5_method_matches_have_no_path_match():
    """A5: a method-only match sends ``httpMatch.method`` and no ``pathMatch``; equal
    precedence, so rule order decides (GET before POST)."""
    result = plan_yaml(route_with_rules("""\
  - matches: [{method: GET}]
    backendRefs: [{name: targetgroup1, port: 8080, weight: 10}]
  - matches: [{method: POST}]
    backendRefs: [{name: targetgroup2, port: 8090, weight: 90}]
"""))
    first, second = rules_of(result)
    assert (first.match.method, first.match.path, first.priority) == ("GET", None, 10)
    assert (second.match.method, second.match.path, second.priority) == ("POST", None, 20)
    assert match_request(first.match) == {"method": "GET"}
    assert_contract_clean(result.model)


def test_A11_header_matches_keep_order_with_and_without_path():
    """A11: header matches keep their order and match exactly, with no path, an Exact
    path or a PathPrefix path alongside.  The anchor sends ``caseSensitive: false``; the
    spec's Exact header value match is case-sensitive, so we send ``true``."""
    cases = {
        "": [None],
        "path: {type: Exact, value: /ver1}": [PathMatchSpec("exact", "/ver1")],
        "path: {type: PathPrefix, value: /ver1}": [PathMatchSpec("exact", "/ver1"), PathMatchSpec("prefix", "/ver1/")],
    }
    for path_line, expected_path in cases.items():
        for headers in (["env1"], ["env1", "env2"]):
            header_yaml = ", ".join(f"{{type: Exact, name: {h}, value: test{h[-1]}}}" for h in headers)
            result = plan_yaml(route_with_rules(f"""\
  - matches:
    - {{{path_line}{', ' if path_line else ''}headers: [{header_yaml}]}}
    backendRefs: [{{name: targetgroup1, port: 8080, weight: 10}}]
"""))
            planned = rules_of(result)
            assert [rule.match.path for rule in planned] == expected_path, path_line
            for rule in planned:
                assert rule.match.headers == tuple(HeaderMatchSpec(h, f"test{h[-1]}") for h in headers)
                assert forwarded(rule) == [(TG1, 10)]
                sent = match_request(rule.match)["headerMatches"]
                assert sent == [{"name": h, "match": {"exact": f"test{h[-1]}"}, "caseSensitive": True} for h in headers]
            assert planned[0].priority == 10
            assert_contract_clean(result.model)


def test_A13_six_header_matches_reject_the_route():
    """A13: six headers on one match are more than Lattice's five.  The anchor fails the
    whole build; we reject this route only, ``Accepted=False, UnsupportedValue``, naming
    the field, and plan nothing of it."""
    headers = ", ".join(f"{{name: h{i}, value: v{i}}}" for i in range(6))
    result = plan_yaml(route_with_rules(f"""\
  - matches: [{{headers: [{headers}]}}]
    backendRefs: [{{name: targetgroup1, port: 8080}}]
"""))
    accepted = condition_of(result, "service1")
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
    assert "spec.rules[0].matches[0].headers" in accepted.message
    assert "spec.rules[0].matches[0].headers" in problem_fields(problems_for(result, "HTTPRoute", "default", "service1", "error"))
    assert_not_in_model(result, "HTTPRoute/default/service1")
    # The Gateway is unaffected.
    assert [g.key for g in result.model.gateways()] == ["Gateway/default/gw1"]


def test_A14_several_matches_in_one_rule_fan_out():
    """A14: the anchor refuses a rule with several matches (its issue #520).  We give
    each distinct match its own Lattice rule with the same action; an exact duplicate
    (the anchor's own input) can never be reached, so it is left out with a warning."""
    result = plan_yaml(route_with_rules("""\
  - matches:
    - path: {type: Exact, value: /ver1}
    - path: {type: Exact, value: /ver1}
    - path: {type: PathPrefix, value: /ver2}
    backendRefs: [{name: targetgroup1, port: 8080, weight: 10}]
"""))
    rules = rules_of(result)
    assert [r.match.path for r in rules] == [PathMatchSpec("exact", "/ver1"), PathMatchSpec("exact", "/ver2"),
                                             PathMatchSpec("prefix", "/ver2/")]
    assert all(forwarded(r) == [(TG1, 10)] for r in rules)
    assert len({r.key for r in rules}) == 3 and len({r.name for r in rules}) == 3
    warnings = problems_for(result, "HTTPRoute", "default", "service1", "warning")
    assert problem_fields(warnings) == ["spec.rules[0].matches[1]"]
    assert condition_of(result, "service1").status == "True"
    assert_contract_clean(result.model)


def test_A15_invalid_backend_only_gives_fixed_response_500():
    """A15: a rule whose only backend does not resolve answers 500 (as the anchor, and as
    the spec asks); the route stays accepted and ``ResolvedRefs=False, BackendNotFound``
    says why.  Same when every backend of the rule is invalid."""
    for backends in ("[{name: invalid, port: 8080, weight: 90}]",
                     "[{name: invalid, port: 8080, weight: 90}, {name: missing, port: 80, weight: 10}]"):
        result = plan_yaml(route_with_rules(f"""\
  - backendRefs: {backends}
"""))
        [rule] = rules_of(result)
        assert rule.match.path == PathMatchSpec("prefix", "/") and rule.priority == 10
        assert rule.action == FixedResponseAction(500)
        assert action_request(rule.action) == {"fixedResponse": {"statusCode": 500}}
        assert the_route(result).target_groups == ()
        conditions = parent_conditions(result, "service1")
        assert conditions["Accepted"].status == "True"
        assert (conditions["ResolvedRefs"].status, conditions["ResolvedRefs"].reason) == ("False", "BackendNotFound")
        assert "spec.rules[0].backendRefs[0]" in problem_fields(problems_for(result, "HTTPRoute", "default", "service1"))
        assert_contract_clean(result.model)


def test_A17_default_priorities_follow_rule_order_with_gaps():
    """A17 (without annotations): rules of equal precedence are evaluated in rule order.
    The anchor numbers them 1, 2; we leave gaps (10, 20).  The anchor's input has two
    catch-all rules with the same match: the second can never be reached (the first
    takes every request), so we plan the first only and warn about the second."""
    result = plan_yaml(route_with_rules("""\
  - matches: [{path: {type: PathPrefix, value: /aa}}]
    backendRefs: [{name: targetgroup1, port: 8080, weight: 10}]
  - matches: [{path: {type: PathPrefix, value: /bb}}]
    backendRefs: [{name: targetgroup2, port: 8090, weight: 90}]
"""))
    assert [(r.match.path.value, r.priority) for r in rules_of(result)] == [
        ("/aa", 10), ("/aa/", 20), ("/bb", 30), ("/bb/", 40)]

    duplicate = plan_yaml(route_with_rules("""\
  - backendRefs: [{name: targetgroup1, port: 8080, weight: 10}]
  - backendRefs: [{name: targetgroup2, port: 8090, weight: 90}]
"""))
    [rule] = rules_of(duplicate)
    assert (rule.priority, forwarded(rule)) == (10, [(TG1, 10)])
    assert problem_fields(problems_for(duplicate, "HTTPRoute", "default", "service1", "warning")) == ["spec.rules[1].matches[0]"]


# --- B. the Lattice service -----------------------------------------------------------

SERVICE_WORLD = CLASS + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway1, namespace: default}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes: {namespaces: {from: All}}
"""


def test_B1_first_hostname_is_the_custom_domain():
    """B1: the first hostname becomes the service's custom domain; the service is
    associated with the Gateway's network.  A Lattice service has one custom domain, so
    we also warn that the second hostname is not served (the anchor is silent)."""
    result = plan_yaml(SERVICE_WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: service1, namespace: test}
spec:
  parentRefs: [{name: gateway1, namespace: default}]
  hostnames: [test1.test.com, test2.test.com]
""")
    route = the_route(result)
    assert route.key == "HTTPRoute/test/service1"
    assert route.service.custom_domain_name == "test1.test.com"
    assert route.service.certificate_arn is None
    assert [a.gateway for a in route.associations] == ["Gateway/default/gateway1"]
    assert route.service.name.startswith("service1-test-")
    warnings = problems_for(result, "HTTPRoute", "test", "service1", "warning")
    assert problem_fields(warnings) == ["spec.hostnames"] and "test2.test.com" in warnings[0].message
    assert_contract_clean(result.model)


def test_B2_plain_httproute_has_no_domain_and_one_association():
    """B2 (HTTPRoute): no hostnames, no custom domain; associated with gateway1.  The
    anchor names the service ``service1-default``; ours adds a hash of the identity."""
    result = plan_yaml(SERVICE_WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: service1, namespace: default}
spec:
  parentRefs: [{name: gateway1}]
""")
    route = the_route(result)
    assert route.kind == "HTTPRoute" and route.service.custom_domain_name is None
    assert [a.gateway for a in route.associations] == ["Gateway/default/gateway1"]
    assert route.service.name.startswith("service1-default-") and len(route.service.name) <= 40
    assert not result.errors
    assert_contract_clean(result.model)


CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def https_world(options: str) -> str:
    return CLASS + f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gateway1, namespace: default}}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - name: tls
    port: 443
    protocol: HTTPS
    tls: {{mode: Terminate{options}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: service1, namespace: default}}
spec:
  parentRefs: [{{name: gateway1, namespace: default, sectionName: tls}}]
"""


def test_B4_https_listener_certificate_arn_option():
    """B4: the listener's certificate-arn TLS option becomes the service's certificate.
    (The anchor's test value ``cert-arn`` is not an ARN the API accepts; we use a real
    form, since the contract check would rightly refuse the other.)  Without the
    option there is no certificate, and without hostnames nothing to warn about."""
    with_cert = plan_yaml(https_world(f", options: {{application-networking.k8s.aws/certificate-arn: '{CERT}'}}"))
    route = the_route(with_cert)
    assert route.service.certificate_arn == CERT
    assert [a.gateway for a in route.associations] == ["Gateway/default/gateway1"]
    assert the_listener(route).protocol == "HTTPS"
    assert_contract_clean(with_cert.model)

    without = plan_yaml(https_world(""))
    assert the_route(without).service.certificate_arn is None
    assert not problems_for(without, "HTTPRoute", "default", "service1")


def test_B5_missing_parent_gateway_is_no_matching_parent():
    """B5: the anchor fails to build; we set ``Accepted=False, NoMatchingParent`` on the
    parent and plan nothing for the route."""
    result = plan_yaml(CLASS + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: service1, namespace: default}
spec:
  parentRefs: [{name: gateway1}]
""")
    accepted = condition_of(result, "service1")
    assert (accepted.status, accepted.reason) == ("False", "NoMatchingParent")
    assert "gateway1" in accepted.message
    assert_not_in_model(result, "HTTPRoute/default/service1")


# --- C. listeners ---------------------------------------------------------------------


def listener_world(listener: str, section: str) -> str:
    return CLASS + f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gateway1, namespace: default}}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{listener}]
---
apiVersion: v1
kind: Service
metadata: {{name: targetgroup1, namespace: default}}
spec: {{ports: [{{port: 80}}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: service1, namespace: default}}
spec:
  parentRefs: [{{name: gateway1, sectionName: {section}}}]
  rules: [{{backendRefs: [{{kind: Service, name: targetgroup1, port: 80}}]}}]
"""


def test_C1_http_listener_defaults_to_404():
    """C1: an HTTP listener on port 80 whose default action is a fixed 404."""
    result = plan_yaml(listener_world("{name: my-gw-listener, port: 80, protocol: HTTP}", "my-gw-listener"))
    listener = the_listener(the_route(result))
    assert (listener.port, listener.protocol) == (80, "HTTP")
    assert listener.default_action == FixedResponseAction(404)
    assert_contract_clean(result.model)


def test_C2_https_terminate_listener():
    """C2: an HTTPS listener (TLS Terminate) on 443, default 404 as well."""
    result = plan_yaml(listener_world("{name: tls, port: 443, protocol: HTTPS, tls: {mode: Terminate}}", "tls"))
    listener = the_listener(the_route(result))
    assert (listener.port, listener.protocol, listener.default_action) == (443, "HTTPS", FixedResponseAction(404))
    assert_contract_clean(result.model)


def test_C4_no_listener_cases():
    """C4: no parentRefs gives nothing and no error (as the anchor).  A missing Gateway
    and a sectionName that matches no listener give ``NoMatchingParent`` (the anchor
    errors, or silently builds nothing).  A Gateway of another class is not ours to
    judge: the route gets no status for that parent at all."""
    no_parents = plan_yaml(RULE_WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: service1, namespace: default}
spec:
  rules: [{backendRefs: [{name: targetgroup1, port: 8080}]}]
""")
    assert no_parents.model.routes() == () and not no_parents.errors
    assert route_parents(no_parents, "service1") == []

    missing = plan_yaml(route_with_rules("  - backendRefs: [{name: targetgroup1, port: 8080}]\n").replace(
        "{name: gw1, sectionName: http}", "{name: absent}"))
    assert condition_of(missing, "service1").reason == "NoMatchingParent"
    assert_not_in_model(missing, "HTTPRoute/default/service1")

    section_miss = plan_yaml(route_with_rules("  - backendRefs: [{name: targetgroup1, port: 8080}]\n").replace(
        "sectionName: http", "sectionName: miss"))
    accepted = condition_of(section_miss, "service1")
    assert (accepted.status, accepted.reason) == ("False", "NoMatchingParent") and "miss" in accepted.message
    assert_not_in_model(section_miss, "HTTPRoute/default/service1")

    other_class = plan_yaml(RULE_WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: someone-else}
spec: {controllerName: example.com/other-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: foreign, namespace: default}
spec:
  gatewayClassName: someone-else
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: service1, namespace: default}
spec:
  parentRefs: [{name: foreign}]
  rules: [{backendRefs: [{name: targetgroup1, port: 8080}]}]
""")
    assert route_parents(other_class, "service1") == []
    assert other_class.model.routes() == () and not other_class.errors
    assert status_of(other_class, "Gateway", "default", "foreign") is None


# --- D. target groups -------------------------------------------------------------------

TARGET_GROUP_WORLD = CLASS + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway1, namespace: ns1}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: service1, namespace: ns1}
spec:
  parentRefs: [{name: gateway1, namespace: ns1}]
  rules: [{backendRefs: [{kind: Service, name: service1-tg1, namespace: ns11, port: 8443}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: let-ns1-in, namespace: ns11}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ns1}]
  to: [{group: "", kind: Service}]
"""


def target_group_service(families: str) -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: service1-tg1, namespace: ns11}}
spec: {{ipFamilies: [{families}], ports: [{{port: 8443}}]}}
"""


def test_D1_route_backend_service_gives_route_scoped_target_group():
    """D1: one IP target group per (route, Service, port) in the cluster's VPC, tagged
    with cluster, route and backend.  Differences: the port is the backendRef's Service
    port (the anchor hard-codes 80); the name is readable plus a hash, not random; and
    the cross-namespace reference needs a ReferenceGrant (the anchor needs none)."""
    result = plan_yaml(TARGET_GROUP_WORLD + target_group_service("IPv4"))
    route = the_route(result)
    key = "HTTPRoute/ns1/service1/backend/ns11/service1-tg1:8443"
    group = target_group(route, key)
    assert (group.type, group.port, group.protocol, group.protocol_version) == ("IP", 8443, "HTTP", "HTTP1")
    assert (group.ip_address_type, group.vpc_identifier) == ("IPV4", VPC)
    assert group.tags["lattice-gateway/cluster"] == "test-cluster"
    assert group.tags["lattice-gateway/route"] == "HTTPRoute/ns1/service1"
    assert group.tags["lattice-gateway/backend"] == "ns11/service1-tg1:8443"
    assert group.name.startswith("service1-tg1-ns11-8443-")
    assert condition_of(result, "service1", "ResolvedRefs", "ns1").status == "True"
    assert_contract_clean(result.model)


def test_D1_ipv6_service_gives_ipv6_target_group():
    """D1 (IPv6 variant): a single-stack IPv6 Service gives an IPV6 target group, whose
    name differs from the IPv4 one (address type cannot change in place)."""
    ipv6 = plan_yaml(TARGET_GROUP_WORLD + target_group_service("IPv6"))
    ipv4 = plan_yaml(TARGET_GROUP_WORLD + target_group_service("IPv4"))
    [group6] = the_route(ipv6).target_groups
    [group4] = the_route(ipv4).target_groups
    assert group6.ip_address_type == "IPV6"
    assert group6.name != group4.name
    assert_contract_clean(ipv6.model)


def test_D1_missing_service_is_backend_not_found():
    """D1 (missing Service): ``ResolvedRefs=False, BackendNotFound`` and, since the
    rule has no other backend, a fixed 500; no target group is planned."""
    result = plan_yaml(TARGET_GROUP_WORLD)
    route = the_route(result)
    assert route.target_groups == ()
    [rule] = rules_of(result)
    assert rule.action == FixedResponseAction(500)
    resolved = condition_of(result, "service1", "ResolvedRefs", "ns1")
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    assert "ns11/service1-tg1" in resolved.message


# --- E. targets ---------------------------------------------------------------------------


def test_E1_targets_keep_unready_and_drop_terminating():
    """E1: every endpoint address with the EndpointSlice's port; not-ready endpoints are
    registered (Lattice health checks decide), terminating ones are not."""
    result = plan_yaml(CLASS + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gateway1, namespace: ns1}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: export1, namespace: ns1}
spec: {ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: export1-abcde, namespace: ns1, labels: {kubernetes.io/service-name: export1}}
addressType: IPv4
ports: [{port: 8675}]
endpoints:
- {addresses: [10.10.1.1], conditions: {ready: true}}
- {addresses: [10.10.2.2], conditions: {ready: false}}
- {addresses: [10.10.3.3], conditions: {ready: false, terminating: true}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route1, namespace: ns1}
spec:
  parentRefs: [{name: gateway1}]
  rules: [{backendRefs: [{name: export1, port: 80}]}]
""")
    [group] = the_route(result).target_groups
    assert [(t.id, t.port) for t in result.model.targets[group.key]] == [("10.10.1.1", 8675), ("10.10.2.2", 8675)]
    assert_contract_clean(result.model)


def test_example_checkout_ab_plans_cleanly():
    """The shipped example: header-pinned rule before the 90/10 split, both on /checkout."""
    example = Path(__file__).resolve().parents[2] / "examples" / "checkout-ab"
    result = plan(load_paths([str(example)]), settings())
    assert not result.errors, [str(p) for p in result.errors]
    # PathPrefix /checkout is element-wise: each rule is an exact /checkout and a prefix /checkout/ rule.
    planned = rules_of(result)
    assert [(r.key, r.match.path) for r in planned] == [
        ("pinned-to-b.exact", PathMatchSpec("exact", "/checkout")), ("pinned-to-b", PathMatchSpec("prefix", "/checkout/")),
        ("split.exact", PathMatchSpec("exact", "/checkout")), ("split", PathMatchSpec("prefix", "/checkout/"))]
    for pinned in planned[:2]:
        assert pinned.match.headers == (HeaderMatchSpec("x-checkout-variant", "b"),)
    for split in planned[2:]:
        assert [w for _, w in forwarded(split)] == [90, 10] and isinstance(split.action, ForwardAction)
    assert_contract_clean(result.model)
