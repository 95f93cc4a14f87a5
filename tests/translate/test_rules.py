"""rules.py at its limits: gRPC service and method names, header name and value lengths,
the header count, and the precedence tie of "no path" with prefix ``/``."""

from __future__ import annotations

from typing import Any, Dict, List

import botocore.session
import pytest

from components.specs import HeaderMatchSpec, HttpMatchSpec, PathMatchSpec
from lattice_program.sources import gateway_api as k8s
from lattice_program.translate import rules
from lattice_program.translate.rules import (MAX_HEADER_MATCHES, MAX_HEADER_NAME, MAX_HEADER_VALUE, MAX_PATH_LENGTH,
                                             MatchItem, convert_grpc_match, convert_match)

from tests.support.plans import CONTROLLER, plan_yaml, problems_for, route_condition
from tests.support.world import gateway, gateway_class, http_route, world


def grpc_match(**method: Any) -> k8s.GRPCRouteMatch:
    return k8s.GRPCRouteMatch.model_validate({"method": method})


def http_match(headers: List[Dict[str, str]]) -> k8s.HTTPRouteMatch:
    return k8s.HTTPRouteMatch.model_validate({"headers": headers})


# --- gRPC service and method ------------------------------------------------------------------


def test_a_grpc_service_and_method_become_an_exact_post_path():
    [converted], errors, _ = convert_grpc_match(grpc_match(service="shop.Cart", method="Add"), "m")
    assert errors == []
    assert converted.match == HttpMatchSpec(method="POST", path=PathMatchSpec("exact", "/shop.Cart/Add"))


def test_a_grpc_service_alone_becomes_a_prefix_of_its_methods():
    [converted], _, _ = convert_grpc_match(grpc_match(service="shop.Cart"), "m")
    assert converted.match.path == PathMatchSpec("prefix", "/shop.Cart/")


@pytest.mark.parametrize(("service", "method", "fits"), [
    ("s" * (MAX_PATH_LENGTH - 3), "m", True),      # /s…s/m is exactly the limit
    ("s" * (MAX_PATH_LENGTH - 2), "m", False),
    ("s" * (MAX_PATH_LENGTH - 2), None, True),     # /s…s/ is the limit
    ("s" * (MAX_PATH_LENGTH - 1), None, False),
])
def test_a_grpc_path_longer_than_lattice_allows_is_refused_naming_the_method(service, method, fits):
    converted, errors, _ = convert_grpc_match(grpc_match(service=service, method=method), "spec.rules[0].matches[0]")
    if fits:
        assert errors == [] and len(converted) == 1
    else:
        assert converted == [] and [e.field for e in errors] == ["spec.rules[0].matches[0].method"]


def test_a_grpc_method_without_a_service_is_refused():
    converted, errors, _ = convert_grpc_match(grpc_match(method="Add"), "m")
    assert converted == [] and [e.field for e in errors] == ["m.method.service"]


def test_a_grpc_regular_expression_is_refused():
    converted, errors, _ = convert_grpc_match(grpc_match(type="RegularExpression", service="shop\\..*"), "m")
    assert converted == [] and [e.field for e in errors] == ["m.method.type"]


GRPC_WORLD = [gateway_class(controller=CONTROLLER),
              gateway("edge", listeners=[{"name": "https", "port": 443, "protocol": "HTTPS",
                                          "tls": {"mode": "Terminate"}}])]


@pytest.mark.parametrize("method", [{"service": "shop cart", "method": "Add"}, {"service": "shop.Cart", "method": "A/dd"},
                                    {"service": "1shop", "method": "Add"}])
def test_an_invalid_grpc_service_or_method_name_is_the_route_s_problem(method):
    route = http_route("cart", kind="GRPCRoute", parents=["edge"],
                       rules=[{"matches": [{"method": method}], "backendRefs": [{"name": "cart", "port": 80}]}])
    ok = http_route("ok", kind="GRPCRoute", parents=["edge"], rules=[{"backendRefs": [{"name": "cart", "port": 80}]}])
    result = plan_yaml(world(*GRPC_WORLD, route, ok))
    problems = problems_for(result, "GRPCRoute", "default", "cart")
    assert problems and all(p.severity == "error" for p in problems)
    assert any("method" in p.field for p in problems), [str(p) for p in problems]
    assert "GRPCRoute/default/cart" not in [r.key for r in result.model.routes()]
    # The other route of the same Gateway converges.
    assert route_condition(result, "GRPCRoute", "ok").status == "True"


# --- headers -------------------------------------------------------------------------------------


def header(name: str, value: str = "v") -> Dict[str, str]:
    return {"name": name, "value": value}


def test_header_name_and_value_at_the_limits_are_kept():
    converted, errors, _ = convert_match(http_match([header("n" * MAX_HEADER_NAME, "v" * MAX_HEADER_VALUE)]), "m")
    assert errors == []
    assert converted[0].match.headers == (HeaderMatchSpec("n" * MAX_HEADER_NAME, "v" * MAX_HEADER_VALUE),)


@pytest.mark.parametrize(("name", "value", "field"), [
    ("n" * (MAX_HEADER_NAME + 1), "v", "m.headers[0].name"),
    ("n", "v" * (MAX_HEADER_VALUE + 1), "m.headers[0].value"),
])
def test_a_header_name_or_value_past_the_limit_is_refused(name, value, field):
    converted, errors, _ = convert_match(http_match([header(name, value)]), "m")
    assert converted == [] and [e.field for e in errors] == [field]


def test_the_same_limits_hold_for_grpc_headers():
    match = k8s.GRPCRouteMatch.model_validate({"headers": [header("n" * (MAX_HEADER_NAME + 1))]})
    converted, errors, _ = convert_grpc_match(match, "m")
    assert converted == [] and [e.field for e in errors] == ["m.headers[0].name"]


def test_as_many_header_matches_as_lattice_allows_and_one_more():
    names = [f"x-h{i}" for i in range(MAX_HEADER_MATCHES + 1)]
    converted, errors, _ = convert_match(http_match([header(n) for n in names[:-1]]), "m")
    assert errors == [] and len(converted[0].match.headers) == MAX_HEADER_MATCHES
    converted, errors, _ = convert_match(http_match([header(n) for n in names]), "m")
    assert converted == [] and [e.field for e in errors] == ["m.headers"]


# --- precedence -----------------------------------------------------------------------------------


def item(rule_index: int, match: HttpMatchSpec, path_prefix=None) -> MatchItem:
    return MatchItem(rule_index, 0, f"r{rule_index}", match, path_prefix)


def test_no_path_ties_with_prefix_root_so_the_method_decides():
    root_prefix = item(0, HttpMatchSpec(path=PathMatchSpec("prefix", "/")), "/")
    method_only = item(1, HttpMatchSpec(method="GET"))
    assert [i.key for i in rules.ordered([root_prefix, method_only])] == ["r1", "r0"]


def test_no_path_ties_with_prefix_root_so_the_header_count_decides():
    root_prefix = item(0, HttpMatchSpec(path=PathMatchSpec("prefix", "/")), "/")
    header_only = item(1, HttpMatchSpec(headers=(HeaderMatchSpec("x-a", "1"),)))
    assert [i.key for i in rules.ordered([root_prefix, header_only])] == ["r1", "r0"]


def test_no_path_and_prefix_root_tie_fully_so_rule_order_decides():
    header_only = item(0, HttpMatchSpec(headers=(HeaderMatchSpec("x-a", "1"),)))
    root_with_header = item(1, HttpMatchSpec(path=PathMatchSpec("prefix", "/"), headers=(HeaderMatchSpec("x-b", "1"),)),
                            "/")
    assert [i.key for i in rules.ordered([root_with_header, header_only])] == ["r0", "r1"]


def test_any_longer_prefix_beats_no_path():
    method_only = item(0, HttpMatchSpec(method="GET"))
    prefix = item(1, HttpMatchSpec(path=PathMatchSpec("prefix", "/a/")), "/a")
    assert [i.key for i in rules.ordered([method_only, prefix])] == ["r1", "r0"]


def test_the_match_limits_and_path_pattern_are_the_api_models():
    """botocore's vpc-lattice model: HttpMatch.headerMatches, PathMatchType, HeaderMatch."""
    model = botocore.session.get_session().get_service_model("vpc-lattice")
    assert MAX_HEADER_MATCHES == model.shape_for("HttpMatch").members["headerMatches"].metadata["max"]
    for kind in ("exact", "prefix"):
        path = model.shape_for("PathMatchType").members[kind].metadata
        assert (MAX_PATH_LENGTH, rules.LATTICE_PATH.pattern) == (path["max"], path["pattern"])
    header = model.shape_for("HeaderMatch").members
    assert MAX_HEADER_NAME == header["name"].metadata["max"]
    assert MAX_HEADER_VALUE == header["match"].members["exact"].metadata["max"]


def path_match(kind: str, value: str) -> k8s.HTTPRouteMatch:
    return k8s.HTTPRouteMatch.model_validate({"path": {"type": kind, "value": value}})


@pytest.mark.parametrize(("kind", "value", "fits"), [
    ("Exact", "/" + "a" * 199, True),          # 200: the limit
    ("Exact", "/" + "a" * 200, False),
    ("PathPrefix", "/" + "a" * 198, True),     # its prefix half /a…a/ is 200
    ("PathPrefix", "/" + "a" * 199, False),    # its prefix half would be 201
    ("PathPrefix", "/" + "a" * 198 + "/", True),
])
def test_a_path_is_held_to_the_limit_as_the_lattice_rules_it_becomes(kind, value, fits):
    converted, errors, _ = convert_match(path_match(kind, value), "m")
    assert all(len(c.match.path.value) <= MAX_PATH_LENGTH for c in converted)
    if fits:
        assert errors == [] and converted
    else:
        assert converted == [] and [e.field for e in errors] == ["m.path.value"]
        assert "at most 200" in errors[0].message


def test_a_prefix_ending_in_a_capital_x_keeps_it():
    converted, _, _ = convert_match(path_match("PathPrefix", "/TAX"), "m")
    assert [(c.match.path.kind, c.match.path.value) for c in converted] == [("exact", "/TAX"), ("prefix", "/TAX/")]


def test_headers_after_a_repeated_one_are_still_matched():
    converted, _, warnings = convert_match(http_match([header("X-Team", "a"), header("x-team", "b"),
                                                       header("X-Env", "c")]), "m")
    assert [(h.name, h.value) for h in converted[0].match.headers] == [("X-Team", "a"), ("X-Env", "c")]
    assert [w.field for w in warnings] == ["m.headers[1]"]


def test_match_keys_are_stable_across_releases():
    """A match's key names its rule and keeps its priority between applies: a new key
    format would rename every rule and forget every priority."""
    match = HttpMatchSpec(method="GET", path=PathMatchSpec("prefix", "/cart/"),
                          headers=(HeaderMatchSpec("X-Team", "a"),))
    assert rules.match_key(match) == "m-f42a25c9f2"


def test_a_path_with_characters_lattice_refuses_names_just_those():
    converted, errors, _ = convert_match(path_match("Exact", "/a b^c"), "m")
    assert converted == [] and [e.field for e in errors] == ["m.path.value"]
    assert errors[0].message.endswith("(found ' ^')")
