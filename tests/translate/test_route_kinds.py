"""GRPCRoute, TLSRoute (passthrough), HTTPS custom domains and IP families, translated.

Each test names the anchor row of /work/shared/reference/aws-controller-behaviour.md
(22 GRPCRoute, 23 TLSRoute, 24 HTTPS, 40 IPv6) or the case of aws-controller-cases.md
(A7, A8, A9, B7, D4) it checks.  The anchor's cases use ServiceImport backends; here
they are Services, which exercise the same match conversion.
"""

from __future__ import annotations

from typing import List


from components.specs import (
    FixedResponseAction,
    ForwardAction,
    HeaderMatchSpec,
    HealthCheckSpec,
    HttpMatchSpec,
    PathMatchSpec,
    Target,
)
from lattice_program.program.mock_plan import record_plan
from lattice_program.translate.naming import service_name

from tests.support.plans import (
    ref_to,
    CONTROLLER,
    assert_contract_clean,
    assert_not_in_model,
    forwarded,
    problem_fields,
    problems_for,
    route_condition,
    plan_yaml,
    rules_of,
    target_group,
    the_listener,
    the_route,
)

CERTIFICATE = "arn:aws:acm:us-west-2:123456789012:certificate/4f1c2d3e-5a6b-7c8d-9e0f-a1b2c3d4e5f6"

# One Gateway with the three listener kinds VPC Lattice has, and two versions of a
# gRPC service (each with one endpoint).
WORLD = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: amazon-vpc-lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: edge, namespace: default}}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      mode: Terminate
      options: {{application-networking.k8s.aws/certificate-arn: "{CERTIFICATE}"}}
  - {{name: http, port: 80, protocol: HTTP}}
  - {{name: passthrough, port: 8443, protocol: TLS, tls: {{mode: Passthrough}}}}
"""


def service(name: str, port: int, address: str, *, families: str = "[IPv4]", address_type: str = "IPv4") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec: {{ipFamilies: {families}, ports: [{{name: main, port: {port}}}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}-s1, namespace: default, labels: {{kubernetes.io/service-name: {name}}}}}
addressType: {address_type}
ports: [{{name: main, port: {port + 1000}}}]
endpoints: [{{addresses: ["{address}"]}}]
"""


SERVICES = (service("greeter-v1", 50051, "10.0.1.1") + service("greeter-v2", 50051, "10.0.1.2")
            + service("vault-blue", 443, "10.0.2.1") + service("vault-green", 443, "10.0.2.2")
            + service("web", 80, "10.0.3.1"))
V1 = "GRPCRoute/default/greeter/backend/default/greeter-v1:50051"
V2 = "GRPCRoute/default/greeter/backend/default/greeter-v2:50051"
BLUE = "TLSRoute/default/vault/backend/default/vault-blue:443"
GREEN = "TLSRoute/default/vault/backend/default/vault-green:443"


def grpc_route(rules: str, *, section: str = "https", hostnames: str = "[greeter.example.com]") -> str:
    return WORLD + SERVICES + f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {{name: greeter, namespace: default}}
spec:
  parentRefs: [{{name: edge, sectionName: {section}}}]
  hostnames: {hostnames}
  rules:
{rules}"""


def tls_route(hostnames: str, backends: str, *, section: str = "passthrough") -> str:
    return WORLD + SERVICES + f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {{name: vault, namespace: default}}
spec:
  parentRefs: [{{name: edge, sectionName: {section}}}]
  hostnames: {hostnames}
  rules:
  - backendRefs: {backends}
"""


def http_route(hostnames: str, *, backend: str = "{name: web, port: 80}", section: str = "https") -> str:
    return WORLD + SERVICES + f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: shop, namespace: default}}
spec:
  parentRefs: [{{name: edge, sectionName: {section}}}]
  hostnames: {hostnames}
  rules:
  - backendRefs: [{backend}]
"""


def errors_of(result, kind: str, name: str) -> List[str]:
    return problem_fields(problems_for(result, kind, "default", name, "error"))


# --- GRPCRoute (row 22) -------------------------------------------------------------------


def test_A7_grpc_rule_without_matches_is_post_on_root_prefix():
    result = plan_yaml(grpc_route("  - backendRefs: [{name: greeter-v1, port: 50051}]\n"))
    assert not result.errors, [str(p) for p in result.errors]
    [rule] = rules_of(result)
    assert rule.match == HttpMatchSpec(method="POST", path=PathMatchSpec("prefix", "/"))
    assert forwarded(rule) == [(V1, 1)]
    listener = the_listener(the_route(result))
    assert (listener.protocol, listener.port) == ("HTTPS", 443)
    assert listener.default_action == FixedResponseAction(404)
    assert route_condition(result, "GRPCRoute", "greeter").status == "True"
    assert_contract_clean(result.model)


def test_A8_service_and_method_is_an_exact_path():
    result = plan_yaml(grpc_route("""\
  - matches: [{method: {type: Exact, service: helloworld.Greeter, method: SayHello}}]
    backendRefs: [{name: greeter-v1, port: 50051, weight: 10}]
"""))
    [rule] = rules_of(result)
    assert rule.match == HttpMatchSpec(method="POST", path=PathMatchSpec("exact", "/helloworld.Greeter/SayHello"))
    assert forwarded(rule) == [(V1, 10)]


def test_A9_service_only_is_a_prefix_ending_in_a_slash():
    result = plan_yaml(grpc_route("""\
  - matches: [{method: {service: helloworld.Greeter}}]
    backendRefs: [{name: greeter-v1, port: 50051}]
"""))
    [rule] = rules_of(result)
    assert rule.match == HttpMatchSpec(method="POST", path=PathMatchSpec("prefix", "/helloworld.Greeter/"))


def test_method_matches_outrank_the_service_prefix_whatever_the_rule_order():
    """Gateway API precedence: the exact method path is evaluated before the service's
    prefix, even when the prefix rule is written first."""
    result = plan_yaml(grpc_route("""\
  - matches: [{method: {service: helloworld.Greeter}}]
    backendRefs: [{name: greeter-v1, port: 50051}]
  - matches: [{method: {service: helloworld.Greeter, method: SayHelloAgain}}]
    backendRefs: [{name: greeter-v2, port: 50051}]
"""))
    first, second = rules_of(result)
    assert first.match.path == PathMatchSpec("exact", "/helloworld.Greeter/SayHelloAgain")
    assert forwarded(first) == [(V2, 1)]
    assert second.match.path == PathMatchSpec("prefix", "/helloworld.Greeter/")
    assert first.priority < second.priority


def test_grpc_header_matches_become_header_matches_beside_the_path():
    result = plan_yaml(grpc_route("""\
  - matches:
    - method: {service: helloworld.Greeter, method: SayHello}
      headers:
      - {name: x-tenant, value: acme}
      - {type: Exact, name: x-canary, value: "true"}
    backendRefs: [{name: greeter-v2, port: 50051}]
"""))
    [rule] = rules_of(result)
    assert rule.match.method == "POST"
    assert rule.match.path == PathMatchSpec("exact", "/helloworld.Greeter/SayHello")
    assert rule.match.headers == (HeaderMatchSpec("x-tenant", "acme"), HeaderMatchSpec("x-canary", "true"))
    assert_contract_clean(result.model)


def test_grpc_header_match_without_method_keeps_the_root_prefix():
    result = plan_yaml(grpc_route("""\
  - matches: [{headers: [{name: x-tenant, value: acme}]}]
    backendRefs: [{name: greeter-v2, port: 50051}]
"""))
    [rule] = rules_of(result)
    assert rule.match == HttpMatchSpec(method="POST", path=PathMatchSpec("prefix", "/"),
                                       headers=(HeaderMatchSpec("x-tenant", "acme"),))


def test_method_without_service_is_refused_naming_the_field():
    result = plan_yaml(grpc_route("""\
  - matches: [{method: {method: SayHello}}]
    backendRefs: [{name: greeter-v1, port: 50051}]
"""))
    assert errors_of(result, "GRPCRoute", "greeter") == ["spec.rules[0].matches[0].method.service"]
    accepted = route_condition(result, "GRPCRoute", "greeter")
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
    assert "name the service" in accepted.message
    assert_not_in_model(result, "GRPCRoute/default/greeter")


def test_regular_expression_method_match_is_refused():
    result = plan_yaml(grpc_route("""\
  - matches: [{method: {type: RegularExpression, service: "helloworld\\\\..*"}}]
    backendRefs: [{name: greeter-v1, port: 50051}]
"""))
    assert errors_of(result, "GRPCRoute", "greeter") == ["spec.rules[0].matches[0].method.type"]
    assert route_condition(result, "GRPCRoute", "greeter").status == "False"
    assert_not_in_model(result, "GRPCRoute/default/greeter")


def test_D4_grpc_target_groups_are_http_grpc_with_health_checks_off():
    result = plan_yaml(grpc_route("""\
  - backendRefs: [{name: greeter-v1, port: 50051}]
"""))
    group = target_group(the_route(result), V1)
    assert (group.protocol, group.protocol_version) == ("HTTP", "GRPC")
    assert group.health_check == HealthCheckSpec(enabled=False)
    assert group.port == 50051
    assert result.model.targets[V1] == (Target("10.0.1.1", 51051),)


def test_grpc_route_on_an_http_listener_that_allows_it_is_not_allowed_naming_https():
    """An HTTP listener whose allowedRoutes admit GRPCRoute still cannot carry it:
    VPC Lattice serves gRPC on HTTPS listeners only."""
    text = grpc_route("  - backendRefs: [{name: greeter-v1, port: 50051}]\n", section="http").replace(
        "{name: http, port: 80, protocol: HTTP}",
        "{name: http, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: GRPCRoute}, {kind: HTTPRoute}]}}")
    result = plan_yaml(text)
    accepted = route_condition(result, "GRPCRoute", "greeter")
    assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
    assert "HTTPS" in accepted.message
    assert_not_in_model(result, "GRPCRoute/default/greeter")


def test_grpc_route_on_a_default_http_listener_is_not_allowed_naming_https():
    result = plan_yaml(grpc_route("  - backendRefs: [{name: greeter-v1, port: 50051}]\n", section="http"))
    accepted = route_condition(result, "GRPCRoute", "greeter")
    assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
    assert "HTTPS" in accepted.message


def test_grpc_route_with_two_methods_to_two_versions_passes_the_mock_runtime():
    result = plan_yaml(grpc_route("""\
  - matches: [{method: {service: helloworld.Greeter, method: SayHello}}]
    backendRefs: [{name: greeter-v1, port: 50051}]
  - matches: [{method: {service: helloworld.Greeter, method: SayHelloAgain}}]
    backendRefs: [{name: greeter-v2, port: 50051}]
"""))
    planned = record_plan(result.model)
    rules = [r for r in planned if r.type == "aws:vpclattice/listenerRule:ListenerRule"]
    paths = {r.inputs["match"]["httpMatch"]["pathMatch"]["match"]["exact"]: r for r in rules}
    assert set(paths) == {"/helloworld.Greeter/SayHello", "/helloworld.Greeter/SayHelloAgain"}
    again = paths["/helloworld.Greeter/SayHelloAgain"].inputs
    assert again["match"]["httpMatch"]["method"] == "POST"
    assert again["action"]["forward"]["targetGroups"] == [{"targetGroupIdentifier": ref_to(planned, "TargetGroup", V2), "weight": 1}]
    groups = [r for r in planned if r.type == "aws:vpclattice/targetGroup:TargetGroup"]
    assert {g.inputs["config"]["protocolVersion"] for g in groups} == {"GRPC"}


# --- TLSRoute, passthrough (row 23) -------------------------------------------------------


def test_tls_route_is_a_passthrough_listener_whose_default_action_forwards_by_weight():
    result = plan_yaml(tls_route("[vault.example.com]",
                                 "[{name: vault-blue, port: 443, weight: 80}, {name: vault-green, port: 443, weight: 20}]"))
    assert not result.errors, [str(p) for p in result.errors]
    route = the_route(result)
    listener = the_listener(route)
    assert (listener.protocol, listener.port) == ("TLS_PASSTHROUGH", 8443)
    assert listener.rules == ()
    assert isinstance(listener.default_action, ForwardAction)
    assert [(e.target_group, e.weight) for e in listener.default_action.target_groups] == [(BLUE, 80), (GREEN, 20)]
    assert route.service.custom_domain_name == "vault.example.com"
    assert route.service.certificate_arn is None  # TLS ends at the targets
    assert route_condition(result, "TLSRoute", "vault").status == "True"
    assert_contract_clean(result.model)


def test_D4_tls_target_groups_are_tcp_without_version_and_health_checks_off():
    result = plan_yaml(tls_route("[vault.example.com]", "[{name: vault-blue, port: 443}]"))
    group = target_group(the_route(result), BLUE)
    assert (group.protocol, group.protocol_version) == ("TCP", None)
    assert group.health_check == HealthCheckSpec(enabled=False)
    assert result.model.targets[BLUE] == (Target("10.0.2.1", 1443),)


def test_first_hostname_without_a_wildcard_is_the_custom_domain_and_the_rest_are_named():
    result = plan_yaml(tls_route('["*.vault.example.com", vault.example.com, vault2.example.com]',
                                 "[{name: vault-blue, port: 443}]"))
    assert the_route(result).service.custom_domain_name == "vault.example.com"
    extra, wildcard = problems_for(result, "TLSRoute", "default", "vault", "warning")
    assert extra.field == "spec.hostnames" and "vault2.example.com" in extra.message
    assert wildcard.field == "spec.hostnames" and "'*.vault.example.com'" in wildcard.message


def test_B7_tls_route_with_only_a_wildcard_hostname_is_refused():
    """B7: the anchor refuses a TLSRoute without a hostname; a wildcard alone cannot be
    a custom domain (SNI) either."""
    result = plan_yaml(tls_route('["*.example.com"]', "[{name: vault-blue, port: 443}]"))
    assert errors_of(result, "TLSRoute", "vault") == ["spec.hostnames"]
    accepted = route_condition(result, "TLSRoute", "vault")
    assert accepted.status == "False" and "wildcard" in accepted.message
    assert_not_in_model(result, "TLSRoute/default/vault")


def test_B7_tls_route_without_hostnames_is_refused_when_read():
    result = plan_yaml(tls_route("[]", "[{name: vault-blue, port: 443}]"))
    assert any(p.field.startswith("spec.hostnames") for p in result.errors), [str(p) for p in result.errors]
    assert_not_in_model(result, "TLSRoute/default/vault")


def test_tls_route_whose_backends_all_fail_is_accepted_and_refuses_its_connections():
    """Route ResolvedRefs: the reasons of the first unresolved reference, as for HTTPRoute;
    the passthrough listener forwards every connection to a target group without targets."""
    result = plan_yaml(tls_route("[vault.example.com]", "[{name: missing, port: 443}, {name: vault-blue, port: 9999}]"))
    assert errors_of(result, "TLSRoute", "vault") == ["spec.rules[0].backendRefs[0]", "spec.rules[0].backendRefs[1].port"]
    assert route_condition(result, "TLSRoute", "vault").status == "True"
    resolved = route_condition(result, "TLSRoute", "vault", "ResolvedRefs")
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    listener = the_listener(the_route(result))
    assert forwarded_default(listener) == [("TLSRoute/default/vault/unresolved-backends", 1)]


def test_tls_route_with_one_invalid_backend_keeps_its_share_failing():
    """The invalid backend's half of the connections goes to a target group without
    targets (refused), never onto the valid backend."""
    result = plan_yaml(tls_route("[vault.example.com]",
                                 "[{name: missing, port: 443, weight: 50}, {name: vault-blue, port: 443, weight: 50}]"))
    listener = the_listener(the_route(result))
    assert forwarded_default(listener) == [(BLUE, 50), ("TLSRoute/default/vault/unresolved-backends", 50)]
    resolved = route_condition(result, "TLSRoute", "vault", "ResolvedRefs")
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")


def test_tls_route_on_an_http_listener_is_not_allowed():
    result = plan_yaml(tls_route("[vault.example.com]", "[{name: vault-blue, port: 443}]", section="http"))
    accepted = route_condition(result, "TLSRoute", "vault")
    assert (accepted.status, accepted.reason) == ("False", "NotAllowedByListeners")
    assert_not_in_model(result, "TLSRoute/default/vault")


def test_tls_passthrough_listener_and_its_groups_under_the_mock_runtime():
    result = plan_yaml(tls_route("[vault.example.com]",
                                 "[{name: vault-blue, port: 443, weight: 3}, {name: vault-green, port: 443, weight: 1}]"))
    planned = record_plan(result.model)
    [listener] = [r for r in planned if r.type == "aws:vpclattice/listener:Listener"]
    assert listener.inputs["protocol"] == "TLS_PASSTHROUGH"
    # pulumi-aws spells the listener's default forward as a one-element list ``forwards``.
    assert listener.inputs["defaultAction"]["forwards"] == [{"targetGroups": [
        {"targetGroupIdentifier": ref_to(planned, "TargetGroup", BLUE), "weight": 3},
        {"targetGroupIdentifier": ref_to(planned, "TargetGroup", GREEN), "weight": 1}]}]
    assert not [r for r in planned if r.type == "aws:vpclattice/listenerRule:ListenerRule"]
    [svc] = [r for r in planned if r.type == "aws:vpclattice/service:Service"]
    assert svc.inputs["customDomainName"] == "vault.example.com"
    groups = [r for r in planned if r.type == "aws:vpclattice/targetGroup:TargetGroup"]
    assert [g.inputs["config"]["protocol"] for g in groups] == ["TCP", "TCP"]
    assert all("protocolVersion" not in g.inputs["config"] for g in groups)


def forwarded_default(listener) -> List[tuple]:
    assert isinstance(listener.default_action, ForwardAction), listener.default_action
    return [(e.target_group, e.weight) for e in listener.default_action.target_groups]


# --- HTTPS and custom domains (row 24) ----------------------------------------------------


def test_https_listener_takes_the_certificate_from_the_listener_option():
    result = plan_yaml(http_route("[shop.example.com]"))
    route = the_route(result)
    assert route.service.certificate_arn == CERTIFICATE
    assert route.service.custom_domain_name == "shop.example.com"
    assert the_listener(route).protocol == "HTTPS"
    assert_contract_clean(result.model)


def test_only_the_first_hostname_is_the_custom_domain():
    result = plan_yaml(http_route("[shop.example.com, store.example.com]"))
    assert the_route(result).service.custom_domain_name == "shop.example.com"
    warnings = problems_for(result, "HTTPRoute", "default", "shop", "warning")
    assert any("store.example.com" in w.message for w in warnings), [str(w) for w in warnings]


def test_route_without_hostnames_gets_no_custom_domain_but_keeps_the_certificate():
    route = the_route(plan_yaml(http_route("[]")))
    assert route.service.custom_domain_name is None
    assert route.service.certificate_arn == CERTIFICATE


def test_custom_domain_without_certificate_option_is_a_warning_naming_the_option():
    text = http_route("[shop.example.com]").replace(
        f'options: {{application-networking.k8s.aws/certificate-arn: "{CERTIFICATE}"}}', "options: {}")
    result = plan_yaml(text)
    route = the_route(result)
    assert route.service.certificate_arn is None
    [warning] = problems_for(result, "HTTPRoute", "default", "shop", "warning")
    assert "application-networking.k8s.aws/certificate-arn" in warning.message


def test_http_listener_carries_no_certificate():
    route = the_route(plan_yaml(http_route("[shop.example.com]", section="http")))
    assert route.service.certificate_arn is None
    assert route.service.custom_domain_name == "shop.example.com"


def test_changed_custom_domain_replaces_the_service_under_a_new_name_with_a_warning():
    previous = {"HTTPRoute/default/shop": {"customDomainName": "old.example.com"}}
    result = plan_yaml(http_route("[new.example.com]"), previous_outputs=previous)
    route = the_route(result)
    assert route.service.custom_domain_name == "new.example.com"
    [warning] = problems_for(result, "HTTPRoute", "default", "shop", "warning")
    assert warning.field == "spec.hostnames"
    assert "old.example.com" in warning.message and "replaced" in warning.message
    old_name = the_route(plan_yaml(http_route("[old.example.com]"))).service.name
    assert old_name == service_name("HTTPRoute", "default", "shop", "old.example.com")
    assert route.service.name != old_name  # a new name lets Pulumi create the new one first


def test_unchanged_custom_domain_gives_no_warning():
    previous = {"HTTPRoute/default/shop": {"customDomainName": "shop.example.com"}}
    result = plan_yaml(http_route("[shop.example.com]"), previous_outputs=previous)
    assert not problems_for(result, "HTTPRoute", "default", "shop")
    # Still planned, under the name it already has: nothing is replaced.
    route = the_route(result, "HTTPRoute/default/shop")
    assert route.service.custom_domain_name == "shop.example.com"
    assert route.service.name == service_name("HTTPRoute", "default", "shop", "shop.example.com")


def test_dropping_the_custom_domain_is_a_replacement_too():
    previous = {"HTTPRoute/default/shop": {"customDomainName": "shop.example.com"}}
    result = plan_yaml(http_route("[]"), previous_outputs=previous)
    [warning] = problems_for(result, "HTTPRoute", "default", "shop", "warning")
    assert "replaced" in warning.message


# --- IP families (row 40) -----------------------------------------------------------------


def test_ipv6_single_stack_service_gets_an_ipv6_target_group_with_ipv6_targets():
    text = http_route("[]", backend="{name: web6, port: 80}") + service(
        "web6", 80, "fd00:10:96::a", families="[IPv6]", address_type="IPv6")
    result = plan_yaml(text)
    key = "HTTPRoute/default/shop/backend/default/web6:80"
    group = target_group(the_route(result), key)
    assert group.ip_address_type == "IPV6"
    assert result.model.targets[key] == (Target("fd00:10:96::a", 1080),)
    assert_contract_clean(result.model)


def test_ipv6_and_ipv4_services_of_one_name_and_port_get_distinct_group_names():
    """The address type is immutable, so it is part of the target group's name: moving a
    Service to IPv6 replaces its group create-before-delete."""
    four = the_route(plan_yaml(http_route("[]", backend="{name: web6, port: 80}") + service("web6", 80, "10.0.9.9")))
    six = the_route(plan_yaml(http_route("[]", backend="{name: web6, port: 80}") + service(
        "web6", 80, "fd00::9", families="[IPv6]", address_type="IPv6")))
    assert four.target_groups[0].key == six.target_groups[0].key
    assert four.target_groups[0].name != six.target_groups[0].name


def test_dual_stack_service_is_refused_naming_the_backend():
    text = http_route("[]", backend="{name: web46, port: 80}") + service("web46", 80, "10.0.9.9", families="[IPv4, IPv6]")
    result = plan_yaml(text)
    assert errors_of(result, "HTTPRoute", "shop") == ["spec.rules[0].backendRefs[0]"]
    accepted = route_condition(result, "HTTPRoute", "shop")
    assert accepted.status == "False" and "single-stack" in accepted.message
    assert_not_in_model(result, "HTTPRoute/default/shop")
