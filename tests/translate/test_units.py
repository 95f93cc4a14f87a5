"""Unit tests of the translator's parts: weights, priorities, naming, match precedence,
and the translator's determinism."""

from __future__ import annotations

import random
import re
from typing import Dict, List

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from components.specs import HeaderMatchSpec, HttpMatchSpec, PathMatchSpec
from lattice_program.sources import gateway_api as k8s
from lattice_program.translate import naming, priorities, rules
from lattice_program.contract.check import check_request
from lattice_program.contract.pipeline import plan
from lattice_program.sources.snapshot import parse
from lattice_program.sources.files import load_text
from lattice_program.translate.translator import translate
from lattice_program.contract.probes import API_PROBES
from lattice_program.translate.weights import LATTICE_MAX_TARGET_GROUPS, LATTICE_MAX_WEIGHT, to_lattice_weights

from tests.support.plans import CONTROLLER, VPC, plan_yaml, rules_of, settings

# --- weights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", [[10, 90], [1], [0, 999], [999, 999, 1], [], [0, 0]])
def test_weights_that_fit_are_kept_as_written(weights):
    result = to_lattice_weights(weights)
    assert (result.weights, result.error, result.scaled) == (tuple(weights), None, False)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ([1_000_000, 500_000], (999, 500)),
        ([1000, 0, 1000], (999, 0, 999)),
        ([999_000, 1000], (999, 1)),  # exactly 999:1 still fits
        ([1_000_000, 1_000_000], (999, 999)),
    ],
)
def test_large_weights_are_scaled_proportionally(weights, expected):
    result = to_lattice_weights(weights)
    assert (result.weights, result.error, result.scaled) == (expected, None, True)


@pytest.mark.parametrize(
    ("weights", "needle"),
    [
        ([1_000_000, 1], "999:1"),
        ([1000, 1], "999:1"),
        ([1] * (LATTICE_MAX_TARGET_GROUPS + 1), "at most 10 target groups"),
    ],
)
def test_weights_that_cannot_be_expressed_are_refused(weights, needle):
    result = to_lattice_weights(weights)
    assert result.weights == () and result.error is not None and needle in result.error


@given(st.lists(st.integers(0, 1_000_000), min_size=1, max_size=LATTICE_MAX_TARGET_GROUPS))
def test_weight_conversion_properties(weights):
    result = to_lattice_weights(weights)
    if result.error:
        nonzero = [w for w in weights if w]
        assert max(nonzero) > min(nonzero) * LATTICE_MAX_WEIGHT
        return
    converted = result.weights
    assert len(converted) == len(weights)
    assert all(0 <= w <= LATTICE_MAX_WEIGHT for w in converted)
    # Zero stays zero, non-zero stays non-zero, and the order of weights is kept.
    assert [w == 0 for w in converted] == [w == 0 for w in weights]
    for a, b in zip(weights, weights[1:]):
        if a <= b:
            assert converted[weights.index(a)] <= converted[weights.index(b)]
    # Weights that fit are kept as written; larger ones are scaled in proportion (to
    # rounding), so the traffic split is the one asked for.
    largest = max(weights)
    if largest <= LATTICE_MAX_WEIGHT:
        assert converted == tuple(weights) and not result.scaled
    else:
        assert result.scaled and max(converted) == LATTICE_MAX_WEIGHT
        for original, lattice in zip(weights, converted):
            assert abs(lattice / LATTICE_MAX_WEIGHT - original / largest) <= 0.5 / LATTICE_MAX_WEIGHT


# --- priorities --------------------------------------------------------------------------------------


def increasing(keys: List[str], allocation: Dict[str, int]) -> bool:
    values = [allocation[key] for key in keys]
    return all(a < b for a, b in zip(values, values[1:]))


def test_fresh_allocation_leaves_gaps():
    allocation = priorities.allocate(["a", "b", "c"])
    assert allocation.priorities == {"a": 10, "b": 20, "c": 30} and allocation.warning is None


def test_fresh_allocation_of_many_rules_stays_within_the_api_range():
    keys = [f"k{i}" for i in range(500)]
    allocation = priorities.allocate(keys).priorities
    assert increasing(keys, allocation)
    assert min(allocation.values()) >= priorities.MIN_PRIORITY and max(allocation.values()) <= priorities.MAX_PRIORITY


def test_too_many_rules_for_one_listener_raise():
    with pytest.raises(ValueError, match="2000"):
        priorities.allocate([f"k{i}" for i in range(priorities.MAX_PRIORITY + 1)])


PREVIOUS = {"a": 10, "b": 20, "c": 30}


def test_unchanged_rules_keep_their_priorities():
    assert priorities.allocate(["a", "b", "c"], PREVIOUS).priorities == PREVIOUS


@pytest.mark.parametrize(
    ("keys", "low", "high"),
    [
        (["new", "a", "b", "c"], priorities.MIN_PRIORITY, 10),
        (["a", "new", "b", "c"], 10, 20),
        (["a", "b", "c", "new"], 30, priorities.MAX_PRIORITY + 1),
    ],
    ids=["front", "middle", "end"],
)
def test_inserted_rule_takes_a_free_value_in_its_gap(keys, low, high):
    allocation = priorities.allocate(keys, PREVIOUS).priorities
    assert {k: allocation[k] for k in PREVIOUS} == PREVIOUS
    assert low < allocation["new"] < high
    assert allocation["new"] not in PREVIOUS.values()
    assert increasing(keys, allocation)


def test_swapping_two_rules_moves_only_one():
    keys = ["a", "c", "b"]
    allocation = priorities.allocate(keys, PREVIOUS).priorities
    changed = [k for k in keys if allocation[k] != PREVIOUS[k]]
    assert len(changed) == 1
    assert allocation[changed[0]] not in PREVIOUS.values()
    assert increasing(keys, allocation)


def test_deleting_a_rule_keeps_the_others():
    assert priorities.allocate(["a", "c"], PREVIOUS).priorities == {"a": 10, "c": 30}


def test_no_room_left_renumbers_with_a_warning_and_still_avoids_values_in_use():
    previous = {"a": 1, "b": 2}
    allocation = priorities.allocate(["a", "new", "b"], previous)
    assert allocation.warning and "renumbered" in allocation.warning
    assert increasing(["a", "new", "b"], allocation.priorities)
    assert not set(allocation.priorities.values()) & set(previous.values())


@st.composite
def previous_and_order(draw):
    old_keys = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=20))
    values = draw(st.lists(st.integers(priorities.MIN_PRIORITY, priorities.MAX_PRIORITY),
                           min_size=len(old_keys), max_size=len(old_keys), unique=True))
    previous = dict(zip(old_keys, values))
    kept = draw(st.lists(st.sampled_from(old_keys), unique=True)) if old_keys else []
    new = draw(st.lists(st.text("xyz", min_size=1, max_size=3), unique=True, max_size=10))
    order = draw(st.permutations(kept + new))
    return previous, list(order)


@given(previous_and_order())
@hypothesis_settings(max_examples=300, deadline=None)
def test_allocation_is_ordered_and_never_reuses_a_value_in_use(case):
    previous, keys = case
    allocation = priorities.allocate(keys, previous).priorities
    assert set(allocation) == set(keys)
    assert increasing(keys, allocation)
    assert all(priorities.MIN_PRIORITY <= p <= priorities.MAX_PRIORITY for p in allocation.values())
    in_use = set(previous.values())
    for key in keys:
        if previous.get(key) != allocation[key]:
            assert allocation[key] not in in_use, (key, allocation[key])


# --- naming -------------------------------------------------------------------------------------------

SERVICE_ID = "svc-" + "0" * 17
LISTENER_ID = "listener-" + "0" * 17


def minimal_requests(kind: str, name: str):
    """The smallest request using ``name`` for each kind of named Lattice resource."""
    return {
        "service": ("CreateService", {"name": name}),
        "target_group": ("CreateTargetGroup", {"name": name, "type": "IP",
                                               "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC}}),
        "listener": ("CreateListener", {"serviceIdentifier": SERVICE_ID, "name": name, "protocol": "HTTP",
                                        "defaultAction": {"fixedResponse": {"statusCode": 404}}}),
        "rule": ("CreateRule", {"serviceIdentifier": SERVICE_ID, "listenerIdentifier": LISTENER_ID, "name": name,
                                "priority": 1, "match": {"httpMatch": {}},
                                "action": {"fixedResponse": {"statusCode": 404}}}),
    }[kind]


def assert_valid_name(kind: str, name: str) -> None:
    operation, params = minimal_requests(kind, name)
    violations = check_request(operation, params)
    assert not violations, f"{kind} name {name!r}: {[str(v) for v in violations]}"


dns_label = st.from_regex(re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"), fullmatch=True)
dns_subdomain = st.lists(dns_label, min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= 253)


@given(namespace=dns_label, name=dns_subdomain, service=dns_subdomain, port=st.integers(1, 65535))
@hypothesis_settings(max_examples=200, deadline=None)
def test_every_generated_name_passes_the_api_contract(namespace, name, service, port):
    route_key = f"HTTPRoute/{namespace}/{name}"
    assert_valid_name("service", naming.service_name("HTTPRoute", namespace, name))
    assert_valid_name("target_group", naming.target_group_name(route_key, namespace, service, port, "HTTP/HTTP1/IPV4/" + VPC))
    assert_valid_name("rule", naming.rule_name(name))
    assert_valid_name("rule", naming.rule_name(f"{name}.m-0123456789"))
    assert_valid_name("listener", naming.listener_name("HTTPS", port))


@pytest.mark.parametrize("name", ["svc-payments", "svc", "tg-x", "rule-one", "listener-a", "a", "a-b", "0"])
def test_names_that_start_like_reserved_prefixes_are_made_valid(name):
    assert_valid_name("service", naming.service_name("HTTPRoute", "default", name))
    assert_valid_name("target_group", naming.target_group_name("HTTPRoute/default/r", "default", name, 80, "f"))
    assert_valid_name("rule", naming.rule_name(name))
    assert not naming.service_name("HTTPRoute", "default", name).startswith("svc-")


def test_names_are_stable_across_versions():
    """Renaming would replace every Lattice resource of every existing stack: these
    values must only change on purpose (and with a migration)."""
    assert naming.service_name("HTTPRoute", "shop", "checkout") == "checkout-shop-" + naming.short_hash("HTTPRoute/shop/checkout")
    assert naming.short_hash("HTTPRoute/shop/checkout") == "12e81a"
    assert naming.listener_name("HTTP", 80) == "http-80"


def test_names_are_deterministic_and_distinct_per_identity():
    assert naming.service_name("HTTPRoute", "ns", "r") == naming.service_name("HTTPRoute", "ns", "r")
    # Joined with '-', these two identities read the same; the hash tells them apart.
    assert naming.service_name("HTTPRoute", "c", "a-b") != naming.service_name("HTTPRoute", "b-c", "a")
    assert naming.service_name("HTTPRoute", "ns", "r") != naming.service_name("GRPCRoute", "ns", "r")
    long = "x" * 60
    assert naming.service_name("HTTPRoute", "ns", long + "1") != naming.service_name("HTTPRoute", "ns", long + "2")
    flavours = {naming.target_group_name("HTTPRoute/ns/r", "ns", "s", 80, f) for f in ("HTTP/HTTP1/IPV4/v", "HTTP/HTTP1/IPV6/v")}
    assert len(flavours) == 2


@pytest.mark.parametrize(("text", "expected"), [("A.B_c", "a-b-c"), ("--x--", "x"), ("a..b", "a-b"), ("Ünï", "n")])
def test_sanitize(text, expected):
    assert naming.sanitize(text) == expected


# --- match precedence ---------------------------------------------------------------------------------


def item(rule_index: int, *, path=None, method=None, headers=0, match_index: int = 0) -> rules.MatchItem:
    match = HttpMatchSpec(method=method, path=path,
                          headers=tuple(HeaderMatchSpec(f"h{i}", "v") for i in range(headers)))
    return rules.MatchItem(rule_index, match_index, f"r{rule_index}m{match_index}", match)


def order_of(*items: rules.MatchItem) -> List[str]:
    return [i.key for i in rules.ordered(items)]


def test_exact_path_beats_any_prefix():
    assert order_of(item(0, path=PathMatchSpec("prefix", "/a/very/long/prefix")),
                    item(1, path=PathMatchSpec("exact", "/a"))) == ["r1m0", "r0m0"]


def test_longer_prefix_first():
    assert order_of(item(0, path=PathMatchSpec("prefix", "/")), item(1, path=PathMatchSpec("prefix", "/api")),
                    item(2, path=PathMatchSpec("prefix", "/api/v1"))) == ["r2m0", "r1m0", "r0m0"]


def test_method_then_header_count_break_path_ties():
    root = PathMatchSpec("prefix", "/")
    assert order_of(item(0, path=root), item(1, path=root, headers=2), item(2, path=root, method="GET"),
                    item(3, path=root, headers=1), item(4, path=root, method="GET", headers=1)) == [
        "r4m0", "r2m0", "r1m0", "r3m0", "r0m0"]


def test_full_ties_keep_rule_then_match_order():
    path = PathMatchSpec("prefix", "/x")
    assert order_of(item(1, path=path, match_index=1), item(0, path=path, match_index=0),
                    item(1, path=path, match_index=0)) == ["r0m0", "r1m0", "r1m1"]


def test_method_only_match_ranks_like_a_root_prefix():
    assert order_of(item(0, path=PathMatchSpec("prefix", "/a")), item(1, method="GET")) == ["r0m0", "r1m0"]


def test_convert_match_defaults_to_root_prefix_and_keys_ignore_header_name_case():
    converted, errors, warnings = rules.convert_match(k8s.HTTPRouteMatch(), "m")
    assert ([c.match for c in converted], errors, warnings) == ([HttpMatchSpec(path=PathMatchSpec("prefix", "/"))], [], [])
    upper = HttpMatchSpec(headers=(HeaderMatchSpec("X-Env", "a"),))
    lower = HttpMatchSpec(headers=(HeaderMatchSpec("x-env", "a"),))
    assert rules.match_key(upper) == rules.match_key(lower)
    assert rules.match_key(upper) != rules.match_key(HttpMatchSpec(headers=(HeaderMatchSpec("x-env", "b"),)))


def test_repeated_header_name_counts_once_with_a_warning():
    match = k8s.HTTPRouteMatch(headers=[k8s.HTTPHeaderMatch(name="x", value="1"), k8s.HTTPHeaderMatch(name="X", value="2")])
    [converted], errors, warnings = rules.convert_match(match, "m")
    assert converted.match.headers == (HeaderMatchSpec("x", "1"),) and not errors
    assert [w.field for w in warnings] == ["m.headers[1]"]


def test_precedence_across_rules_in_a_planned_route():
    """Rule order in the manifest is not evaluation order: the translator sorts by the
    spec's precedence before giving priorities."""
    result = plan_yaml(WORLD + route("""\
  - matches: [{path: {value: /}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {value: /api}, method: POST}, {path: {value: /api}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: Exact, value: /api/health}}]
    backendRefs: [{name: web, port: 80}]
"""))
    # Each half of an element-wise PathPrefix ranks as the prefix it serves.
    assert [(r.match.path.kind, r.match.path.value, r.match.method) for r in rules_of(result)] == [
        ("exact", "/api/health", None), ("exact", "/api", "POST"), ("prefix", "/api/", "POST"),
        ("exact", "/api", None), ("prefix", "/api/", None), ("prefix", "/", None)]


# --- priorities through the translator --------------------------------------------------------------

WORLD = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: lattice}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw1, namespace: default}}
spec:
  gatewayClassName: lattice
  listeners: [{{name: http, port: 80, protocol: HTTP}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: default}}
spec: {{ports: [{{port: 80}}]}}
"""


def route(rules_yaml: str, name: str = "r") -> str:
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default}}
spec:
  parentRefs: [{{name: gw1}}]
  rules:
{rules_yaml}"""


def test_previous_priorities_are_kept_and_an_inserted_rule_gets_a_free_value():
    two_rules = """\
  - matches: [{path: {value: /b}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {value: /c}}]
    backendRefs: [{name: web, port: 80}]
"""
    first = rules_of(plan_yaml(WORLD + route(two_rules)))
    previous = {"HTTPRoute/default/r/http-80": {rule.key: rule.priority for rule in first}}
    inserted = "  - matches: [{path: {type: Exact, value: /a}}]\n    backendRefs: [{name: web, port: 80}]\n" + two_rules
    second = rules_of(plan_yaml(WORLD + route(inserted), previous_priorities=previous))
    assert [r.match.path.value for r in second] == ["/a", "/b", "/b/", "/c", "/c/"]
    assert {r.key: r.priority for r in second[1:]} == previous["HTTPRoute/default/r/http-80"]
    assert second[0].priority < second[1].priority
    assert second[0].priority not in previous["HTTPRoute/default/r/http-80"].values()


def test_a_rule_inserted_where_no_priority_is_free_renumbers_the_listener_and_says_so():
    two_rules = """\
  - matches: [{path: {type: Exact, value: /b}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: Exact, value: /c}}]
    backendRefs: [{name: web, port: 80}]
"""
    first = rules_of(plan_yaml(WORLD + route(two_rules)))
    packed = {"HTTPRoute/default/r/http-80": {rule.key: index + 1 for index, rule in enumerate(first)}}
    inserted = "  - matches: [{path: {type: Exact, value: /a}}]\n    backendRefs: [{name: web, port: 80}]\n" + two_rules
    result = plan_yaml(WORLD + route(inserted), previous_priorities=packed)
    second = rules_of(result)
    assert [r.match.path.value for r in second] == ["/a", "/b", "/c"]
    assert len({r.priority for r in second}) == 3 and second[0].priority >= 1
    [warning] = [p for p in result.problems if p.field == "spec.rules"]
    assert warning.severity == "warning"
    assert warning.message.startswith("listener http-80: rules renumbered: no room was left")


def test_a_header_matched_twice_in_one_match_keeps_the_first_and_warns_on_the_route():
    """The spec: with several matches of one header name, only the first is considered."""
    rules_yaml = """\
  - matches: [{headers: [{name: X-Team, value: a}, {name: x-team, value: b}]}]
    backendRefs: [{name: web, port: 80}]
"""
    result = plan_yaml(WORLD + route(rules_yaml))
    [rule] = rules_of(result)
    assert [(h.name.lower(), h.value) for h in rule.match.headers] == [("x-team", "a")]
    [warning] = [p for p in result.problems if p.field == "spec.rules[0].matches[0].headers[1]"]
    assert warning.severity == "warning" and "matched earlier in this match" in warning.message


# --- determinism -----------------------------------------------------------------------------------------

RICH = WORLD + """
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: team}
spec: {ports: [{port: 8080, name: http}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-1, namespace: team, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
ports: [{name: http, port: 9000}]
endpoints: [{addresses: [10.1.0.2]}, {addresses: [10.1.0.1]}]
---
apiVersion: v1
kind: Namespace
metadata: {name: team, labels: {access: lattice}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw2, namespace: default}
spec:
  gatewayClassName: lattice
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {access: lattice}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: team}
spec:
  parentRefs: [{name: gw2, namespace: default}]
  hostnames: [api.example.com]
  rules:
  - matches: [{path: {value: /v1}}, {headers: [{name: x-v, value: "1"}]}]
    backendRefs: [{name: api, port: 8080, weight: 3}, {name: web, namespace: default, port: 80, weight: 1}]
""" + route("""\
  - backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: Exact, value: /x}}]
    backendRefs: [{name: missing, port: 80}]
""") + route("""\
  - matches: [{queryParams: [{name: a, value: b}]}]
    backendRefs: [{name: web, port: 80}]
""", name="refused")


def test_translating_the_same_snapshot_twice_gives_equal_models():
    snapshot = parse(load_text(RICH)).snapshot
    first = translate(snapshot, settings(), contract=API_PROBES)
    second = translate(snapshot, settings(), contract=API_PROBES)
    assert first.model == second.model
    assert first.book.statuses() == second.book.statuses()
    assert len(first.model.routes()) == 2


@given(st.randoms(use_true_random=False))
@hypothesis_settings(max_examples=25, deadline=None)
def test_input_order_does_not_change_the_model(rng: random.Random):
    raw = load_text(RICH)
    expected = plan(raw, settings())
    shuffled = list(raw)
    rng.shuffle(shuffled)
    result = plan(shuffled, settings())
    assert result.model == expected.model
    assert result.statuses == expected.statuses
    assert sorted(map(str, result.problems)) == sorted(map(str, expected.problems))
