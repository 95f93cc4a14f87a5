"""Parity rows and cases that no other test pinned yet.

Each test names the row of /work/shared/reference/aws-controller-behaviour.md (``rowN``)
or the case of aws-controller-cases.md (``A18``, ``B2``, ``B8``, ``D4``) it checks;
docs/anchor-parity.md maps every row and case to its tests.  Where lattice-gateway
deliberately does something other than the anchor, the test asserts our behaviour and
its docstring says why.  A test marked ``xfail(strict=True)`` pins a known gap: it
starts passing (and so fails the suite) the day the gap is closed.
"""

from __future__ import annotations


from components.specs import FixedResponseAction
from lattice_program.program.mock_plan import record_plan
from lattice_program.program.declare import declare, rule_priorities
from lattice_program.vocabulary.settings import ClusterSettings, DefaultServiceNetworkSettings

from tests.support.plans import (
    CONTROLLER,
    assert_contract_clean,
    assert_not_in_model,
    condition_of,
    forwarded,
    parent_conditions,
    plan_clusters,
    plan_yaml,
    problem_fields,
    problems_for,
    route_condition,
    route_keys,
    route_parents,
    rules_of,
    status_of,
    the_route,
)

AWS = "application-networking.k8s.aws"

# One Lattice Gateway with an HTTP listener, a listener Lattice cannot serve (TCP) and
# an HTTPS one; three Services with one endpoint each.
WORLD = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: amazon-vpc-lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw1, namespace: default}}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - {{name: http, port: 80, protocol: HTTP}}
  - {{name: raw, port: 9000, protocol: TCP}}
  - {{name: https, port: 443, protocol: HTTPS, tls: {{mode: Terminate}}}}
"""


def service(name: str, *, ports: str = "[{port: 80}]", slice_ports: str = "[{port: 8080}]",
            address: str = "10.0.0.1", spec_extra: str = "") -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec: {{ports: {ports}{spec_extra}}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}-1, namespace: default, labels: {{kubernetes.io/service-name: {name}}}}}
addressType: IPv4
ports: {slice_ports}
endpoints: [{{addresses: ["{address}"]}}]
"""


SERVICES = service("a", address="10.0.0.1") + service("b", address="10.0.0.2")


def http_route(name: str, rules: str, *, annotations: str = "{}", parents: str = "[{name: gw1, sectionName: http}]",
               hostnames: str = "[]") -> str:
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default, annotations: {annotations}}}
spec:
  parentRefs: {parents}
  hostnames: {hostnames}
  rules:
{rules}"""


TO_A = "  - backendRefs: [{name: a, port: 80}]\n"


def group_key(route: str, backend: str) -> str:
    return f"HTTPRoute/default/{route}/backend/default/{backend}"


# --- row 1: GatewayClass ----------------------------------------------------------------------


def test_row1_gateway_class_of_our_controller_is_accepted_and_another_gets_no_status():
    """Row 1: a GatewayClass whose controllerName is ours is ``Accepted=True``; one of
    another controller is not ours to judge and gets no status at all."""
    result = plan_yaml(WORLD + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: istio}
spec: {controllerName: istio.io/gateway-controller}
""")
    accepted = status_of(result, "GatewayClass", None, "amazon-vpc-lattice").conditions["Accepted"]
    assert (accepted.status, accepted.reason) == ("True", "Accepted")
    assert status_of(result, "GatewayClass", None, "istio") is None


def test_row1_controller_name_is_a_stack_setting():
    """Row 1: which classes are ours follows the controller name of the stack settings
    (the anchor's is fixed); with another name, the anchor's class is not ours."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", TO_A), controller_name="example.com/lattice")
    assert status_of(result, "GatewayClass", None, "amazon-vpc-lattice") is None
    assert result.model.gateways() == () and result.model.routes() == ()


# --- row 2: Gateway status ------------------------------------------------------------------------


def test_row2_gateway_is_accepted_and_programmed_is_pending_until_applied():
    """Row 2: the anchor sets ``Programmed=True`` with the network's ARN once it finds the
    network.  A plan has applied nothing yet, so ours says ``Programmed=Unknown, Pending``
    beside ``Accepted=True``."""
    conditions = status_of(plan_yaml(WORLD), "Gateway", "default", "gw1").conditions
    assert (conditions["Accepted"].status, conditions["Accepted"].reason) == ("True", "Accepted")
    assert (conditions["Programmed"].status, conditions["Programmed"].reason) == ("Unknown", "Pending")


# --- row 6: associations for accepted parents only --------------------------------------------


def test_row6_only_accepted_parents_get_a_service_network_association():
    """Row 6: one association per accepted parent Gateway; a parentRef that is not
    accepted (here its Gateway is missing) gets ``NoMatchingParent`` and no association,
    while the route is still served through the accepted one."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", TO_A, parents="[{name: gw1, sectionName: http}, {name: gone}]"))
    assert [a.gateway for a in the_route(result).associations] == ["Gateway/default/gw1"]
    reasons = {p.parent_ref["name"]: p.conditions["Accepted"].reason for p in route_parents(result, "r1")}
    assert reasons == {"gw1": "Accepted", "gone": "NoMatchingParent"}


# --- row 7: Gateway listeners VPC Lattice cannot serve -----------------------------------------


def test_row7_listener_lattice_cannot_serve_is_a_warning_and_takes_no_route():
    """Row 7: Lattice listeners are HTTP, HTTPS (TLS Terminate) and TLS_PASSTHROUGH.  A TCP
    listener on the Gateway is a warning naming it; a route that names it gets
    ``NoMatchingParent`` instead of a listener the API would refuse."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", TO_A, parents="[{name: gw1, sectionName: raw}]"))
    [warning] = problems_for(result, "Gateway", "default", "gw1", "warning")
    assert warning.field == "spec.listeners[1].protocol" and "'raw'" in warning.message
    accepted = condition_of(result, "r1")
    assert (accepted.status, accepted.reason) == ("False", "NoMatchingParent")
    assert_not_in_model(result, "HTTPRoute/default/r1")


# --- row 13: fields Lattice cannot honour --------------------------------------------------------


def test_row13_session_persistence_is_refused_naming_the_field():
    """Row 13: the anchor ignores ``sessionPersistence`` silently; we refuse the route
    (``Accepted=False, UnsupportedValue``) naming the field, so nobody relies on it."""
    result = plan_yaml(WORLD + SERVICES + http_route(
        "r1", "  - sessionPersistence: {sessionName: sticky}\n    backendRefs: [{name: a, port: 80}]\n"))
    accepted = condition_of(result, "r1")
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
    assert problem_fields(problems_for(result, "HTTPRoute", "default", "r1", "error")) == ["spec.rules[0].sessionPersistence"]
    assert_not_in_model(result, "HTTPRoute/default/r1")


# --- row 15: default weight ------------------------------------------------------------------------


def test_row15_service_backend_without_weight_forwards_with_weight_1():
    """Row 15: a backendRef without a weight forwards with weight 1, as the anchor does."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", "  - backendRefs: [{name: a, port: 80}, {name: b, port: 80}]\n"))
    [rule] = rules_of(result)
    assert forwarded(rule) == [(group_key("r1", "a:80"), 1), (group_key("r1", "b:80"), 1)]
    assert_contract_clean(result.model)


# --- row 16: invalid backends among valid ones ---------------------------------------------------


def test_row16_invalid_backends_among_valid_ones_keep_their_share_failing():
    """Row 16: the anchor drops a missing Service and a backend of an unknown kind from
    the rule's weighted list, so the valid backend takes all the traffic.  The spec asks
    that the invalid backends' share fail: their weights (5 + 2) go to a target group
    without targets; the route stays accepted with ``ResolvedRefs=False`` naming both
    fields (reason of the first: BackendNotFound)."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", """\
  - backendRefs:
    - {name: a, port: 80, weight: 3}
    - {name: missing, port: 80, weight: 5}
    - {group: example.com, kind: Widget, name: w, weight: 2}
"""))
    [rule] = rules_of(result)
    assert forwarded(rule) == [(group_key("r1", "a:80"), 3), ("HTTPRoute/default/r1/unresolved-backends", 7)]
    assert [tg.key for tg in the_route(result).target_groups] == [group_key("r1", "a:80"),
                                                                  "HTTPRoute/default/r1/unresolved-backends"]
    conditions = parent_conditions(result, "r1")
    assert conditions["Accepted"].status == "True"
    resolved = conditions["ResolvedRefs"]
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    assert "spec.rules[0].backendRefs[1]" in resolved.message and "spec.rules[0].backendRefs[2]" in resolved.message
    assert_contract_clean(result.model)


def test_row16_backend_of_an_unknown_kind_is_invalid_kind_and_the_rule_answers_500():
    """Rows 16 and 25: a backend of a kind we cannot serve is ``ResolvedRefs=False,
    InvalidKind``; with no other backend the rule answers a fixed 500."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", "  - backendRefs: [{group: example.com, kind: Widget, name: w}]\n"))
    [rule] = rules_of(result)
    assert rule.action == FixedResponseAction(500)
    resolved = condition_of(result, "r1", "ResolvedRefs")
    assert (resolved.status, resolved.reason) == ("False", "InvalidKind")
    assert "example.com/Widget" in resolved.message


# --- row 18: target group per route ---------------------------------------------------------------


def test_row18_one_service_used_by_two_routes_gets_one_target_group_per_route():
    """Row 18: route identity is part of a target group's identity, so the same Service
    behind two routes gives two target groups, with distinct valid names."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", TO_A) + http_route("r2", TO_A))
    groups = {route.key: [tg for tg in route.target_groups] for route in result.model.routes()}
    assert {key: [tg.key for tg in tgs] for key, tgs in groups.items()} == {
        "HTTPRoute/default/r1": [group_key("r1", "a:80")], "HTTPRoute/default/r2": [group_key("r2", "a:80")]}
    assert groups["HTTPRoute/default/r1"][0].name != groups["HTTPRoute/default/r2"][0].name
    assert_contract_clean(result.model)


# --- row 20: target ports ------------------------------------------------------------------------------


def test_row20_named_service_port_registers_only_the_endpoint_port_of_that_name():
    """Row 20: the referenced Service port is named, so only the EndpointSlice port of
    the same name is registered (the endpoint's port, not the Service port)."""
    backend = service("multi", ports="[{name: http, port: 80}, {name: admin, port: 81}]",
                      slice_ports="[{name: http, port: 8080}, {name: admin, port: 9091}]", address="10.0.5.5")
    result = plan_yaml(WORLD + backend + http_route("r1", "  - backendRefs: [{name: multi, port: 81}]\n"))
    key = group_key("r1", "multi:81")
    assert [(t.id, t.port) for t in result.model.targets[key]] == [("10.0.5.5", 9091)]


# --- row 23: TLSRoute has one rule --------------------------------------------------------------------


def test_row23_tls_route_with_two_rules_is_refused_naming_spec_rules():
    """Row 23: a TLS passthrough listener forwards with its default action only, so a
    TLSRoute has exactly one rule; two are refused naming ``spec.rules``."""
    text = WORLD.replace("  - {name: raw, port: 9000, protocol: TCP}\n",
                         "  - {name: tls, port: 8443, protocol: TLS, tls: {mode: Passthrough}}\n") + SERVICES + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: vault, namespace: default}
spec:
  parentRefs: [{name: gw1, sectionName: tls}]
  hostnames: [vault.example.com]
  rules:
  - backendRefs: [{name: a, port: 80}]
  - backendRefs: [{name: b, port: 80}]
"""
    result = plan_yaml(text)
    assert "spec.rules" in problem_fields(problems_for(result, "TLSRoute", "default", "vault", "error"))
    assert_not_in_model(result, "TLSRoute/default/vault")


# --- row 25 / F1: what is published per route --------------------------------------------------------


def test_row25_stack_outputs_carry_service_arn_and_dns_name_under_the_route_key(runtime):
    """Row 25 and case F1: the anchor writes the service ARN and Lattice DNS name onto the
    route as annotations.  We publish both as stack outputs under the route's key
    (``Kind/namespace/name``), straight from the translated model."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", TO_A))
    route = the_route(result)
    handles = declare(result.model)
    runtime.settle()
    outputs = runtime.resolve(dict(handles.exports))[route.key]
    assert outputs["serviceArn"] == f"arn:{route.key}"
    assert outputs["dnsName"] == f"{route.service.name}.lattice.example"


# --- row 29: ServiceImport annotations -----------------------------------------------------------------

EAST = ClusterSettings(name="east", vpc_id="vpc-0e1a2b3c4d5e6f701")
EXPORT = f"""
---
apiVersion: {AWS}/v1alpha1
kind: ServiceExport
metadata: {{name: ledger-v2, namespace: default, annotations: {{{AWS}/federation: amazon-vpc-lattice}}}}
spec: {{exportedPorts: [{{port: 80, routeType: HTTP}}]}}
"""


def import_route(annotations: str) -> str:
    return f"""
---
apiVersion: {AWS}/v1alpha1
kind: ServiceImport
metadata: {{name: ledger, namespace: default, annotations: {annotations}}}
""" + http_route("pay", f"  - backendRefs: [{{group: {AWS}, kind: ServiceImport, name: ledger}}]\n")


def test_row29_export_name_annotation_imports_the_export_of_that_name():
    """Row 29: ``export-name`` on the ServiceImport picks the ServiceExport to forward to."""
    text = WORLD + service("ledger-v2") + EXPORT + import_route(f"{{{AWS}/export-name: ledger-v2}}")
    result = plan_clusters({"east": text}, [EAST])
    [rule] = rules_of(result)
    assert forwarded(rule) == [("ServiceExport/default/ledger-v2/east/http-80", 1)]
    assert condition_of(result, "pay", "ResolvedRefs").status == "True"


def test_row29_backend_port_narrows_the_import_to_that_exported_port():
    """Row 29: the anchor ignores the backendRef port on a ServiceImport.  Here it picks
    the export of that port when the export has several, and an unexported port is
    ``BackendNotFound``."""
    two_ports = EXPORT.replace("[{port: 80, routeType: HTTP}]", "[{port: 80, routeType: HTTP}, {port: 81, routeType: HTTP}]")
    exported = WORLD + service("ledger", ports="[{port: 80}, {port: 81}]", slice_ports="[{port: 8080}]") + \
        two_ports.replace("name: ledger-v2", "name: ledger")

    def importing(port: int) -> str:
        return import_route("{}").replace("name: ledger}]", f"name: ledger, port: {port}}}]")

    result = plan_clusters({"east": exported + importing(81)}, [EAST])
    [rule] = rules_of(result)
    assert forwarded(rule) == [("ServiceExport/default/ledger/east/http-81", 1)]

    missing = plan_clusters({"east": exported + importing(82)}, [EAST])
    resolved = condition_of(missing, "pay", "ResolvedRefs")
    assert (resolved.status, resolved.reason) == ("False", "BackendNotFound")
    assert "port 82" in resolved.message


def test_row29_target_group_arn_is_forwarded_to_and_never_owned():
    """Row 29, mode 3: a ServiceImport naming a target group by ARN forwards to that group
    as it is; the stack neither creates nor registers targets in it."""
    arn = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0"
    result = plan_clusters({"east": WORLD + import_route(f"{{{AWS}/target-group-arn: '{arn}'}}")}, [EAST])
    [rule] = rules_of(result)
    assert [(entry.target_group, entry.weight) for entry in rule.action.target_groups] == [(f"external/{arn}", 1)]
    assert result.model.external_target_groups == {f"external/{arn}": arn}
    assert the_route(result).target_groups == ()
    assert condition_of(result, "pay", "ResolvedRefs").status == "True"
    plan = record_plan(result.model)
    [planned_rule] = [r for r in plan if r.type == "aws:vpclattice/listenerRule:ListenerRule"]
    assert planned_rule.inputs["action"]["forward"]["targetGroups"][0]["targetGroupIdentifier"] == arn
    assert not [r for r in plan if r.type == "aws:vpclattice/targetGroup:TargetGroup"]


def test_row29_malformed_target_group_arn_drops_the_backend():
    result = plan_clusters({"east": WORLD + import_route(f"{{{AWS}/target-group-arn: 'tg-nope'}}")}, [EAST])
    [rule] = rules_of(result)
    assert rule.action == FixedResponseAction(500)
    resolved = condition_of(result, "pay", "ResolvedRefs")
    assert (resolved.status, resolved.reason) == ("False", "InvalidExternalTargetGroup")


# --- row 32 / B8: standalone ----------------------------------------------------------------------------

STANDALONE = f'{{{AWS}/standalone: "true"}}'


def test_B8_standalone_route_beats_the_default_network_override():
    """Case B8 (:848), row 32: standalone wins over ENABLE_SERVICE_NETWORK_OVERRIDE (our
    ``defaultServiceNetwork.override``): the service joins no network at all."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", TO_A, annotations=STANDALONE),
                       default_service_network=DefaultServiceNetworkSettings(name="everything", override=True))
    route = the_route(result)
    assert route.associations == ()
    assert route.listeners
    assert_contract_clean(result.model)


def test_B8_standalone_route_keeps_its_custom_domain():
    """Case B8 (:901), row 32: standalone with a hostname: no association, custom domain kept."""
    result = plan_yaml(WORLD + SERVICES + http_route("r1", TO_A, annotations=STANDALONE,
                                                     hostnames="[standalone.example.com]"))
    route = the_route(result)
    assert route.associations == ()
    assert route.service.custom_domain_name == "standalone.example.com"


# --- row 41: unsupported Gateway API pieces ----------------------------------------------------------


def test_row41_gateway_addresses_are_refused_on_the_gateway():
    """Row 41: Lattice assigns addresses itself.  The anchor ignores ``spec.addresses``;
    we refuse the Gateway (``Accepted=False, UnsupportedAddress``) naming the field."""
    result = plan_yaml(WORLD.replace("gatewayClassName: amazon-vpc-lattice",
                                     "gatewayClassName: amazon-vpc-lattice\n  addresses: [{type: IPAddress, value: 10.9.9.9}]"))
    accepted = status_of(result, "Gateway", "default", "gw1").conditions["Accepted"]
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedAddress")
    assert problem_fields(problems_for(result, "Gateway", "default", "gw1", "error")) == ["spec.addresses"]
    assert result.model.gateways() == ()


def test_row41_headless_service_backend_registers_its_endpoints():
    """Row 41 lists headless Services as unsupported by the anchor.  Targets come from
    EndpointSlices here, not from a cluster IP, so a headless Service works like any other."""
    backend = service("headless", spec_extra=", clusterIP: None", address="10.0.7.7")
    result = plan_yaml(WORLD + backend + http_route("r1", "  - backendRefs: [{name: headless, port: 80}]\n"))
    assert not result.errors, [str(p) for p in result.errors]
    assert [(t.id, t.port) for t in result.model.targets[group_key("r1", "headless:80")]] == [("10.0.7.7", 8080)]


def test_row41_two_routes_with_one_custom_domain_in_one_network_are_refused():
    """Row 41 (identical custom domains across routes): the later route should be refused
    before apply, naming ``spec.hostnames``, instead of failing the update."""
    result = plan_yaml(WORLD + SERVICES
                       + http_route("r1", TO_A, hostnames="[same.example.com]")
                       + http_route("r2", "  - backendRefs: [{name: b, port: 80}]\n", hostnames="[same.example.com]"))
    assert route_keys(result) == ["HTTPRoute/default/r1"]
    assert "spec.hostnames" in problem_fields(problems_for(result, "HTTPRoute", "default", "r2", "error"))


# --- case A18: priorities at apply time ---------------------------------------------------------------


def test_A18_changed_action_on_an_unchanged_match_keeps_the_rule_and_its_priority():
    """Case A18: the anchor updates a rule in place when only its action changed.  Our
    rule key is the match, so the same rule (same key, same previous priority) is
    updated; only its forward target changes."""
    rules = """\
  - matches: [{{path: {{value: /x}}}}]
    backendRefs: [{{name: {backend}, port: 80}}]
  - matches: [{{path: {{value: /y}}}}]
    backendRefs: [{{name: a, port: 80}}]
"""
    before = plan_yaml(WORLD + SERVICES + http_route("r1", rules.format(backend="a")))
    applied = {key: {rule: priority + 3 for rule, priority in values.items()}
               for key, values in rule_priorities(before.model).items()}  # as a previous run left them
    after = plan_yaml(WORLD + SERVICES + http_route("r1", rules.format(backend="b")), previous_priorities=applied)
    old, new = rules_of(before), rules_of(after)
    assert [r.key for r in new] == [r.key for r in old]
    assert [r.priority for r in new] == [r.priority + 3 for r in old]
    # Rules 0 and 1 are the two halves of /x (exact, prefix /x/); 2 and 3 those of /y.
    assert forwarded(new[0]) == forwarded(new[1]) == [(group_key("r1", "b:80"), 1)]
    assert forwarded(new[2]) == forwarded(old[2]) and forwarded(new[3]) == forwarded(old[3])


# --- case B2: GRPCRoute ---------------------------------------------------------------------------------


def test_B2_plain_grpc_route_is_one_grpc_service_in_the_gateways_network():
    """Case B2 (:190): a GRPCRoute is one service of route kind GRPCRoute (the anchor's
    ``RouteType grpc`` tag), associated with its Gateway's network."""
    result = plan_yaml(WORLD + service("greeter", ports="[{port: 50051}]") + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: service1, namespace: default}
spec:
  parentRefs: [{name: gw1, sectionName: https}]
  rules: [{backendRefs: [{name: greeter, port: 50051}]}]
""")
    route = the_route(result)
    assert (route.key, route.kind) == ("GRPCRoute/default/service1", "GRPCRoute")
    assert route.service.custom_domain_name is None
    assert [a.gateway for a in route.associations] == ["Gateway/default/gw1"]
    assert route.service.tags["lattice-gateway/route"] == "GRPCRoute/default/service1"
    assert route_condition(result, "GRPCRoute", "service1").status == "True"


# --- case D4 / §2: default health checks --------------------------------------------------------------


def test_D4_default_health_checks_as_sent_to_the_api():
    """Case D4 and §2: HTTP/HTTP1 target groups send no health check, so VPC Lattice's
    defaults apply (enabled; the anchor does the same at create).  HTTP2 ones send none
    either: Lattice leaves HTTP2 health checks off by default, which is what the anchor's
    default (enabled false) says.  GRPC and TCP (TLS passthrough) groups send exactly
    ``{enabled: false}``."""
    text = WORLD.replace("  - {name: raw, port: 9000, protocol: TCP}\n",
                         "  - {name: tls, port: 8443, protocol: TLS, tls: {mode: Passthrough}}\n")
    text += service("web") + service("web2") + service("greeter", ports="[{port: 50051}]") + service("vault", ports="[{port: 443}]")
    text += f"""
---
apiVersion: {AWS}/v1alpha1
kind: TargetGroupPolicy
metadata: {{name: h2, namespace: default}}
spec: {{targetRef: {{group: "", kind: Service, name: web2}}, protocolVersion: HTTP2}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {{name: greeter, namespace: default}}
spec:
  parentRefs: [{{name: gw1, sectionName: https}}]
  rules: [{{backendRefs: [{{name: greeter, port: 50051}}]}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {{name: vault, namespace: default}}
spec:
  parentRefs: [{{name: gw1, sectionName: tls}}]
  hostnames: [vault.example.com]
  rules: [{{backendRefs: [{{name: vault, port: 443}}]}}]
""" + http_route("web", "  - backendRefs: [{name: web, port: 80}, {name: web2, port: 80}]\n")
    result = plan_yaml(text)
    assert not result.errors, [str(p) for p in result.errors]
    configs = {r.name: r.inputs["config"] for r in record_plan(result.model)
               if r.type == "aws:vpclattice/targetGroup:TargetGroup"}
    sent = {key: (config["protocol"], config.get("protocolVersion"), config.get("healthCheck"))
            for key, config in configs.items()}
    assert sent == {
        group_key("web", "web:80"): ("HTTP", "HTTP1", None),
        group_key("web", "web2:80"): ("HTTP", "HTTP2", None),
        "GRPCRoute/default/greeter/backend/default/greeter:50051": ("HTTP", "GRPC", {"enabled": False}),
        "TLSRoute/default/vault/backend/default/vault:443": ("TCP", None, {"enabled": False}),
    }


def test_row26_B3_a_route_being_deleted_leaves_the_plan():
    """Row 26 / case B3: a route with deletionTimestamp set is removed at the next apply."""
    deleting = http_route("r1", TO_A).replace("namespace: default,",
                                              "namespace: default, deletionTimestamp: '2026-11-21T10:00:00Z',", 1)
    result = plan_yaml(WORLD + SERVICES + deleting)
    assert route_keys(result) == []
    assert "metadata.deletionTimestamp" in problem_fields(problems_for(result, "HTTPRoute", "default", "r1"))


def test_row2_a_gateway_being_deleted_is_held_while_routes_attach():
    """Row 2 (the controller's Gateway finalizer): deletion waits for the routes."""
    world = WORLD.replace("{name: gw1, namespace: default}",
                          "{name: gw1, namespace: default, deletionTimestamp: '2026-11-21T10:00:00Z'}", 1)
    assert world != WORLD
    held = plan_yaml(world + SERVICES + http_route("r1", TO_A))
    assert [g.key for g in held.model.gateways()] == ["Gateway/default/gw1"]
    assert any("deletion held" in p.message for p in held.problems)
    gone = plan_yaml(world)
    assert gone.model.gateways() == ()


LISTENER_WORLD = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: amazon-vpc-lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw1, namespace: default}}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - {{name: http, port: 80, protocol: HTTP}}
  - {{name: raw, port: 9000, protocol: TCP}}
  - name: https
    port: 443
    protocol: HTTPS
    tls: {{mode: Terminate}}
    allowedRoutes:
      kinds: [{{kind: HTTPRoute}}, {{kind: TLSRoute}}]
"""


def test_row2_listener_status_kinds_conditions_and_attached_routes():
    """Row 2 (listener status): supportedKinds per protocol, InvalidRouteKinds for an
    allowed kind Lattice cannot serve there, UnsupportedProtocol, and attachedRoutes
    counting only routes that made it into the plan."""
    refused = http_route("r2", TO_A, annotations="{application-networking.k8s.aws/service-name-override: svc-bad}")
    result = plan_yaml(LISTENER_WORLD + SERVICES + http_route("r1", TO_A, parents="[{name: gw1}]")
                       + refused.replace("sectionName: http", "sectionName: https"))
    listeners = status_of(result, "Gateway", "default", "gw1").listeners
    assert listeners["http"].supported_kinds == ["HTTPRoute"] and listeners["http"].attached_routes == 1
    assert listeners["https"].supported_kinds == ["HTTPRoute"] and listeners["https"].attached_routes == 1
    invalid = listeners["https"].conditions["ResolvedRefs"]
    assert (invalid.status, invalid.reason) == ("False", "InvalidRouteKinds") and "TLSRoute" in invalid.message
    assert listeners["raw"].conditions["Accepted"].reason == "UnsupportedProtocol"
    assert listeners["raw"].attached_routes == 0
