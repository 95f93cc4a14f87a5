"""Path and header matches routed as the Gateway API says, on VPC Lattice's rules.

Two small matchers decide where a request goes:

- ``gateway_api_choice`` applies the spec (HTTPRoute ``HTTPPathMatch`` and the rule
  precedence documented on ``HTTPRouteRule``): ``Exact`` is string equality,
  ``PathPrefix`` matches element by element with a trailing ``/`` ignored (``/abc``,
  ``/abc/`` and ``/abc/def`` match ``/abc``; ``/abcd`` does not); among matching rules an
  exact match wins, then the longest prefix, then rule order.
- ``lattice_choice`` applies VPC Lattice's documented rule semantics to the translated
  rules: lowest priority number first, ``exact`` is equality, ``prefix`` a plain string
  prefix, both case-sensitive (``PathMatch.caseSensitive`` defaults to true in the API
  model); no match falls to the listener's default action.

A table of request paths and a property over generated routes check the two agree.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from components.specs import ForwardAction, RuleSpec
from lattice_program.contract.requests import model_requests
from tests.support.plans import CONTROLLER, plan_yaml, rules_of
from tests.support.world import gateway, gateway_class, http_route, service, world

Match = Tuple[str, str]  # (Exact | PathPrefix, value)


def gateway_api_choice(rules: Sequence[Match], path: str) -> Optional[int]:
    """The index of the rule the spec sends ``path`` to (one match per rule), or None."""
    def matches(match: Match) -> bool:
        kind, value = match
        if kind == "Exact":
            return path == value
        prefix = value.rstrip("/")
        return prefix == "" or path == prefix or path.startswith(prefix + "/")

    candidates = [(0 if kind == "Exact" else 1, -len(value.rstrip("/") or "/"), index)
                  for index, (kind, value) in enumerate(rules) if matches((kind, value))]
    return min(candidates)[2] if candidates else None


def lattice_choice(planned: Sequence[RuleSpec], path: str) -> Optional[str]:
    """The target group VPC Lattice forwards ``path`` to, or None for the default action."""
    for rule in sorted(planned, key=lambda r: r.priority):
        wanted = rule.match.path
        assert wanted is not None and wanted.case_sensitive
        hit = path == wanted.value if wanted.kind == "exact" else path.startswith(wanted.value)
        if hit:
            assert isinstance(rule.action, ForwardAction)
            return rule.action.target_groups[0].target_group
    return None


def _planned(rules: Sequence[Match]) -> Tuple[List[RuleSpec], List[str]]:
    """Plan one route whose rule i forwards to Service ``b<i>``; the rules and, per
    Gateway API rule index, the target group key it forwards to."""
    objects = [gateway("edge")]
    objects += [service(f"b{index}") for index in range(len(rules))]
    objects.append(http_route("r", parents=("edge",), rules=[
        {"matches": [{"path": {"type": kind, "value": value}}], "backendRefs": [{"name": f"b{index}", "port": 80}]}
        for index, (kind, value) in enumerate(rules)]))
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), *objects))
    assert not result.errors, [str(p) for p in result.errors]
    planned = rules_of(result, "HTTPRoute/default/r")
    groups = {tg.key for tg in result.model.routes()[0].target_groups}
    by_rule = [f"HTTPRoute/default/r/backend/default/b{index}:80" for index in range(len(rules))]
    assert groups == set(by_rule)
    return planned, by_rule


def _agree(rules: Sequence[Match], paths: Sequence[str]) -> None:
    planned, by_rule = _planned(rules)
    for path in paths:
        expected = gateway_api_choice(rules, path)
        assert lattice_choice(planned, path) == (None if expected is None else by_rule[expected]), (rules, path)


def test_path_prefix_is_element_wise():
    """HTTPPathMatch PathPrefix: ``/v2`` matches ``/v2`` and ``/v2/x``, never ``/v2example``;
    the route's other rule (``/``) takes what ``/v2`` does not."""
    rules = [("PathPrefix", "/"), ("PathPrefix", "/v2")]
    planned, by_rule = _planned(rules)
    table = {"/v2": 1, "/v2/": 1, "/v2/x": 1, "/v2example": 0, "/v": 0, "/": 0, "/V2": 0}
    for path, rule in table.items():
        assert lattice_choice(planned, path) == by_rule[rule], path
    assert [(r.match.path.kind, r.match.path.value) for r in sorted(planned, key=lambda r: r.priority)] == [
        ("exact", "/v2"), ("prefix", "/v2/"), ("prefix", "/")]


def test_trailing_slash_on_a_prefix_is_ignored():
    """HTTPPathMatch: "When specified, a trailing `/` is ignored" — ``/abc/`` matches ``/abc``."""
    rules = [("PathPrefix", "/abc/")]
    planned, by_rule = _planned(rules)
    assert lattice_choice(planned, "/abc") == by_rule[0]
    assert lattice_choice(planned, "/abc/def") == by_rule[0]
    assert lattice_choice(planned, "/abcd") is None


def test_an_exact_match_takes_precedence_over_the_exact_half_of_an_earlier_prefix():
    """HTTPRouteRule precedence: an Exact path match wins over any prefix, whatever the rule
    order; the prefix's own exact half is shadowed (and said so), not the user's Exact rule."""
    rules = [("PathPrefix", "/v2"), ("Exact", "/v2")]
    planned, by_rule = _planned(rules)
    assert lattice_choice(planned, "/v2") == by_rule[1]
    assert lattice_choice(planned, "/v2/x") == by_rule[0]
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"), service("b0"), service("b1"), http_route("r", parents=("edge",), rules=[
        {"matches": [{"path": {"type": kind, "value": value}}], "backendRefs": [{"name": f"b{i}", "port": 80}]}
        for i, (kind, value) in enumerate(rules)])))
    [warning] = [p for p in result.problems if p.severity == "warning"]
    assert warning.field == "spec.rules[0].matches[0]" and "PathPrefix '/v2'" in warning.message
    assert "spec.rules[1].matches[0]" in warning.message


def test_longer_prefixes_win_element_wise():
    rules = [("PathPrefix", "/api"), ("PathPrefix", "/api/v1"), ("Exact", "/api/v1/health")]
    _agree(rules, ["/api", "/api/", "/api/v1", "/api/v1/", "/api/v1x", "/api/v1/health", "/api/v1/healthz",
                   "/apiv1", "/other"])


def test_paths_match_case_sensitively():
    """HTTPPathMatch: "Matching is case-sensitive"."""
    planned, by_rule = _planned([("Exact", "/Admin")])
    assert lattice_choice(planned, "/Admin") == by_rule[0]
    assert lattice_choice(planned, "/admin") is None


def test_header_values_are_case_sensitive_and_names_are_not():
    """HTTPHeaderMatch: Exact value matching is case-sensitive; header names are
    case-insensitive (RFC 7230), which VPC Lattice applies to names on its own."""
    result = plan_yaml(world(gateway_class(controller=CONTROLLER), gateway("edge"), service("b0"), http_route("r", parents=("edge",), rules=[
        {"matches": [{"headers": [{"name": "X-Variant", "value": "Blue"}]}], "backendRefs": [{"name": "b0", "port": 80}]}])))
    [rule] = rules_of(result)
    [header] = rule.match.headers
    assert (header.name, header.value, header.case_sensitive) == ("X-Variant", "Blue", True)
    [sent] = [params for _, operation, params in model_requests(result.model) if operation == "CreateRule"]
    assert sent["match"]["httpMatch"]["headerMatches"][0]["caseSensitive"] is True


_SEGMENTS = st.sampled_from(["a", "ab", "b", "v2", "v2x"])
_PATHS = st.lists(_SEGMENTS, min_size=0, max_size=3).map(lambda parts: "/" + "/".join(parts))


@hypothesis_settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Exact", "PathPrefix"]),
                          st.tuples(_PATHS, st.booleans()).map(lambda p: p[0] + ("/" if p[1] and p[0] != "/" else ""))),
                min_size=1, max_size=4, unique_by=lambda m: (m[0], m[1].rstrip("/") if m[0] == "PathPrefix" else m[1])),
       st.lists(_PATHS.flatmap(lambda p: st.sampled_from([p, p + "/", p + "x"])), min_size=1, max_size=8))
def test_lattice_rules_route_every_request_as_the_spec_does(rules, paths):
    # The paths at every rule's edges, where a string prefix and an element-wise one differ.
    edges = [probe for _, value in rules for stem in (value, value.rstrip("/") or "/")
             for probe in (stem, stem + "/", stem + "x", stem + "/x")]
    _agree(rules, list(paths) + edges)
