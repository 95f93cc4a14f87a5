"""The AWS controller's annotations (behaviour rows 14, 32, 33, 34 and the tags rules)."""

from __future__ import annotations

from lattice_program.translate.annotations import parse_tags, read
from tests.support.plans import LATTICE_CLASS, condition_of, plan_yaml, problems_for, rules_of, the_route

WORLD = LATTICE_CLASS + """---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw1
  namespace: default
  annotations: {GATEWAY_ANNOTATIONS}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: targetgroup1, namespace: default}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: targetgroup2, namespace: default}
spec: {ports: [{port: 80}]}
"""


def route(annotations: str = "{}", rules: str | None = None) -> str:
    rules = rules or """
  - matches: [{path: {type: PathPrefix, value: /aa}}]
    backendRefs: [{name: targetgroup1, port: 80, weight: 10}]
  - matches: [{path: {type: PathPrefix, value: /bb}}]
    backendRefs: [{name: targetgroup2, port: 80, weight: 90}]"""
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: service1
  namespace: default
  annotations: {annotations}
spec:
  parentRefs: [{{name: gw1, sectionName: http}}]
  rules:{rules}
"""


def plan_with(route_annotations: str = "{}", gateway_annotations: str = "{}", rules: str | None = None):
    return plan_yaml(WORLD.replace("{GATEWAY_ANNOTATIONS}", gateway_annotations) + route(route_annotations, rules))


def test_row14_rule_priority_annotations_are_taken_literally():
    """Case A17 (:1555): rule-0 at 100 and rule-1 at 50, so rule 1 is evaluated first."""
    result = plan_with('{application-networking.k8s.aws/rule-0-priority: "100", '
                       'application-networking.k8s.aws/rule-1-priority: "50"}')
    ordered = [(rule.priority, rule.match.path.value) for rule in rules_of(result)]
    # Each PathPrefix is two Lattice rules; a rule's rules take consecutive values from its annotation.
    assert ordered == [(50, "/bb"), (51, "/bb/"), (100, "/aa"), (101, "/aa/")]


def test_row14_invalid_priority_is_a_warning_and_the_default_stays():
    """Case A17 (:1628): a non-integer priority is ignored (we also say so)."""
    result = plan_with('{application-networking.k8s.aws/rule-0-priority: "invalid"}')
    assert [rule.match.path.value for rule in rules_of(result)] == ["/aa", "/aa/", "/bb", "/bb/"]
    warnings = problems_for(result, "HTTPRoute", "default", "service1", severity="warning")
    assert any("rule-0-priority" in p.field and "ignored" in p.message for p in warnings)


def test_pinned_priority_with_several_matches_takes_consecutive_values():
    rules = """
  - matches: [{path: {type: Exact, value: /x}}, {path: {type: Exact, value: /y}}]
    backendRefs: [{name: targetgroup1, port: 80}]
  - backendRefs: [{name: targetgroup2, port: 80}]"""
    result = plan_with('{application-networking.k8s.aws/rule-0-priority: "500"}', rules=rules)
    pinned = sorted(rule.priority for rule in rules_of(result) if rule.match.path.kind == "exact")
    assert pinned == [500, 501]
    others = [rule.priority for rule in rules_of(result) if rule.match.path.kind == "prefix"]
    assert others and not set(others) & {500, 501}


def test_overlapping_pinned_priorities_reject_the_route():
    rules = """
  - matches: [{path: {type: Exact, value: /x}}, {path: {type: Exact, value: /y}}]
    backendRefs: [{name: targetgroup1, port: 80}]
  - backendRefs: [{name: targetgroup2, port: 80}]"""
    result = plan_with('{application-networking.k8s.aws/rule-0-priority: "7", '
                       'application-networking.k8s.aws/rule-1-priority: "8"}', rules=rules)
    assert not result.model.routes()
    assert condition_of(result, "service1", "Accepted", namespace="default").reason == "UnsupportedValue"


def test_row33_service_name_override_is_used_and_validated():
    result = plan_with("{application-networking.k8s.aws/service-name-override: checkout-api}")
    assert the_route(result).service.name == "checkout-api"
    bad = plan_with("{application-networking.k8s.aws/service-name-override: svc-checkout}")
    assert not bad.model.routes()
    errors = problems_for(bad, "HTTPRoute", "default", "service1", severity="error")
    assert any("service-name-override" in p.field and "svc-" in p.message for p in errors)


def test_row32_standalone_route_has_no_association():
    """Case B8 (:670)."""
    result = plan_with('{application-networking.k8s.aws/standalone: "true"}')
    assert the_route(result).associations == ()
    assert the_route(result).listeners  # still served, just not in a service network


def test_row32_standalone_gateway_and_route_override():
    """Cases B8 (:723, :784): the Gateway says standalone; the route may say otherwise."""
    gateway_says = '{application-networking.k8s.aws/standalone: "true"}'
    assert the_route(plan_with(gateway_annotations=gateway_says)).associations == ()
    overridden = plan_with('{application-networking.k8s.aws/standalone: "false"}', gateway_says)
    assert [a.gateway for a in the_route(overridden).associations] == ["Gateway/default/gw1"]


def test_row32_odd_standalone_value_reads_false_with_a_warning():
    result = plan_with('{application-networking.k8s.aws/standalone: "yes"}')
    assert the_route(result).associations
    assert problems_for(result, "HTTPRoute", "default", "service1", severity="warning")


def test_tags_annotation_reaches_every_route_resource():
    result = plan_with('{application-networking.k8s.aws/tags: "team=payments, cost-center=42"}')
    spec = the_route(result)
    for tags in [spec.service.tags, *(tg.tags for tg in spec.target_groups),
                 *(l.tags for l in spec.listeners), *(r.tags for l in spec.listeners for r in l.rules)]:
        assert tags["team"] == "payments" and tags["cost-center"] == "42"


def test_tag_parsing_follows_the_controller_rules():
    tags, notes = parse_tags("a=1, a=2, aws:x=1, application-networking.k8s.aws/y=2, bad, k=v!, é=ü, =v")
    assert tags == {"a": "1", "é": "ü"}
    assert len(notes) == 6
    many, notes = parse_tags(",".join(f"k{i}=v" for i in range(60)))
    assert len(many) == 50 and any("more than 50" in n for n in notes)


def test_row34_takeover_annotation_is_ignored_with_a_warning():
    notes = read({"application-networking.k8s.aws/allow-takeover-from": "111122223333/old/vpc-1"}).notes
    assert notes and notes[0][2] == "warning" and "ignored" in notes[0][1]


def test_tags_at_the_length_limits_are_kept_and_one_past_them_dropped():
    """AWS allows tag keys of 128 and values of 256 characters."""
    at_limit = {"k" * 128: "v" * 256}
    tags, notes = parse_tags(f"{'k' * 128}={'v' * 256}, {'x' * 129}=1, y={'v' * 257},, ,")
    assert tags == at_limit
    assert len(notes) == 2, "empty items between commas are skipped without a note"
    assert all("longer than 128 (key) or 256 (value)" in note for note in notes)


def test_a_pinned_rule_whose_matches_run_past_priority_2000_rejects_the_route():
    """PathPrefix /aa is two Lattice rules: pinned at 2000, its second would be 2001."""
    result = plan_with('{application-networking.k8s.aws/rule-0-priority: "2000"}')
    assert not result.model.routes()
    [error] = problems_for(result, "HTTPRoute", "default", "service1", severity="error")
    assert error.field == "metadata.annotations[application-networking.k8s.aws/rule-0-priority]"
    assert "rule 0's matches run past priority 2000" in error.message


def test_two_routes_overriding_to_one_service_name_keep_the_first_and_reject_the_second():
    second = route("{application-networking.k8s.aws/service-name-override: checkout-api}").replace(
        "name: service1", "name: service2")
    result = plan_yaml(WORLD.replace("{GATEWAY_ANNOTATIONS}", "{}")
                       + route("{application-networking.k8s.aws/service-name-override: checkout-api}") + second)
    assert [r.key for r in result.model.routes()] == ["HTTPRoute/default/service1"]
    [error] = problems_for(result, "HTTPRoute", "default", "service2", severity="error")
    assert error.field == "metadata.name"
    assert "service name 'checkout-api' is already used by HTTPRoute/default/service1" in error.message
