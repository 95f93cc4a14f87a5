"""check.py at the edges of every bound: a value exactly at ``min`` or ``max`` passes,
one past fails, for each kind of shape and each combination of enum and pattern; and a
value refused for one reason is not also blamed for a bound it meets."""

from __future__ import annotations

import enum
import io

import pytest
from botocore.model import ServiceModel

from lattice_program.contract.check import RequestContract

SHAPES = {
    "Input": {"type": "structure", "required": ["must"], "members": {
        "must": {"shape": "Plain"},
        "plain": {"shape": "Plain"},
        "choice": {"shape": "Choice"},
        "word": {"shape": "Word"},
        "lowerChoice": {"shape": "LowerChoice"},
        "count": {"shape": "Count"},
        "capped": {"shape": "Capped"},
        "floor": {"shape": "Floor"},
        "any": {"shape": "AnyInt"},
        "items": {"shape": "Items"},
        "table": {"shape": "Table"},
        "blob": {"shape": "Blob"},
        "either": {"shape": "Either"},
        "host": {"shape": "Free", "location": "uri", "locationName": "host", "hostLabel": True},
        "meta": {"shape": "Meta", "location": "header", "locationName": "x-meta"},
        "free": {"shape": "Free"},
        "share": {"shape": "Share"},
        "slot": {"shape": "AnyInt", "location": "uri", "locationName": "slot", "hostLabel": True},
    }},
    "Share": {"type": "float", "min": 0, "max": 1},
    "Plain": {"type": "string", "min": 2, "max": 4},
    "Free": {"type": "string"},
    "Choice": {"type": "string", "min": 2, "max": 4, "enum": ["ab", "abcd", "abcde", "z"]},
    "Word": {"type": "string", "min": 2, "max": 4, "pattern": "[a-z]+"},
    "LowerChoice": {"type": "string", "min": 2, "max": 4, "pattern": "[a-z]+", "enum": ["ab", "abcd", "AB", "abcde"]},
    "Count": {"type": "integer", "min": 2, "max": 4},
    "Capped": {"type": "integer", "max": 4},
    "Floor": {"type": "integer", "min": 2},
    "AnyInt": {"type": "integer"},
    "Items": {"type": "list", "member": {"shape": "Plain"}, "min": 1, "max": 2},
    "Table": {"type": "map", "key": {"shape": "Plain"}, "value": {"shape": "Plain"}, "min": 1, "max": 2},
    "Blob": {"type": "blob", "min": 2, "max": 4},
    "Either": {"type": "structure", "union": True, "members": {"a": {"shape": "Plain"}, "b": {"shape": "Plain"}}},
    "Meta": {"type": "string", "jsonvalue": True},
}
OPERATIONS = {name: {"name": name, "input": {"shape": "Input"}, "http": {}} for name in ("Do", "Do1", "Do2", "Do3")}
OPERATIONS["Ping"] = {"name": "Ping", "http": {}}


@pytest.fixture(scope="module")
def contract() -> RequestContract:
    return RequestContract(ServiceModel({
        "metadata": {"protocol": "rest-json", "serviceId": "Bounds", "endpointPrefix": "x"},
        "operations": OPERATIONS, "shapes": SHAPES}, service_name="bounds"))


def found(contract, **params):
    return {(v.path, v.message) for v in contract.check("Do", {"must": "ok", **params})}


@pytest.mark.parametrize("member", ["plain", "word"])
@pytest.mark.parametrize("value", ["ab", "abcd"])
def test_strings_exactly_at_a_bound_pass(contract, member, value):
    assert found(contract, **{member: value}) == set()


@pytest.mark.parametrize("value", ["ab", "abcd"])
def test_enum_strings_exactly_at_a_bound_pass(contract, value):
    assert found(contract, choice=value) == set()
    assert found(contract, lowerChoice=value) == set()


@pytest.mark.parametrize(("member", "value", "message"), [
    ("plain", "a", "length must be at least 2 (got 1: 'a')"),
    ("plain", "abcde", "length must be at most 4 (got 5: 'abcde')"),
    ("word", "a", "length must be at least 2 (got 1: 'a')"),
    ("word", "abcde", "length must be at most 4 (got 5: 'abcde')"),
    ("choice", "z", "length must be at least 2 (got 1: 'z')"),        # in the enum, too short
    ("choice", "abcde", "length must be at most 4 (got 5: 'abcde')"),  # in the enum, too long
    ("lowerChoice", "abcde", "length must be at most 4 (got 5: 'abcde')"),
])
def test_strings_one_past_a_bound_fail(contract, member, value, message):
    assert found(contract, **{member: value}) == {(member, message)}


def test_a_string_refused_for_its_enum_or_pattern_is_not_blamed_for_a_bound_it_meets(contract):
    assert found(contract, choice="zz") == {("choice", "must be one of ab, abcd, abcde, z (got 'zz')")}
    assert found(contract, choice="zzzz") == {("choice", "must be one of ab, abcd, abcde, z (got 'zzzz')")}
    assert found(contract, word="AB") == {("word", "must match the pattern [a-z]+ (got 'AB')")}
    assert found(contract, word="ABCD") == {("word", "must match the pattern [a-z]+ (got 'ABCD')")}
    # In the enum but not the pattern, and the other way round.
    assert found(contract, lowerChoice="AB") == {("lowerChoice", "must match the pattern [a-z]+ (got 'AB')")}
    assert found(contract, lowerChoice="abc") == {
        ("lowerChoice", "must be one of ab, abcd, AB, abcde (got 'abc')")}


def test_a_host_label_needs_at_least_one_character(contract):
    assert found(contract, host="h") == set()
    assert found(contract, host="") == {("host", "length must be at least 1 (got 0: '')")}
    assert found(contract, free="") == set()  # no bound at all elsewhere


@pytest.mark.parametrize(("member", "value", "message"), [
    ("count", 1, "must be at least 2 (got 1)"),
    ("count", 5, "must be at most 4 (got 5)"),
    ("capped", 5, "must be at most 4 (got 5)"),
    ("floor", 1, "must be at least 2 (got 1)"),
    ("any", True, "must be an integer (got bool True)"),
])
def test_integers_past_a_bound_fail(contract, member, value, message):
    assert found(contract, **{member: value}) == {(member, message)}


class Port(enum.IntEnum):
    HTTP = 3


@pytest.mark.parametrize(("member", "value"), [("count", 2), ("count", 4), ("capped", 4), ("floor", 10**12),
                                               ("any", -1), ("count", Port.HTTP)])
def test_integers_within_their_bounds_pass(contract, member, value):
    assert found(contract, **{member: value}) == set()


def test_lists_and_maps_at_and_past_their_bounds(contract):
    assert found(contract, items=["ab"]) == set() and found(contract, items=["ab", "cd"]) == set()
    assert found(contract, items=[]) == {("items", "must have at least 1 items (got 0)")}
    assert found(contract, items=["ab", "cd", "ef"]) == {("items", "must have at most 2 items (got 3)")}
    assert found(contract, table={"ab": "cd"}) == set() and found(contract, table={"ab": "cd", "ef": "gh"}) == set()
    assert found(contract, table={}) == {("table", "must have at least 1 entries (got 0)")}
    assert found(contract, table={"ab": "1", "cd": "2", "ef": "3"}) == {
        ("table", "must have at most 2 entries (got 3)"), ("table.ab", "length must be at least 2 (got 1: '1')"),
        ("table.cd", "length must be at least 2 (got 1: '2')"), ("table.ef", "length must be at least 2 (got 1: '3')")}


def test_a_container_at_a_bound_with_a_bad_item_is_blamed_for_the_item_only(contract):
    assert found(contract, items=["x"]) == {("items[0]", "length must be at least 2 (got 1: 'x')")}
    assert found(contract, items=["ab", "x"]) == {("items[1]", "length must be at least 2 (got 1: 'x')")}
    assert found(contract, table={"x": "ab"}) == {("table.x", "key length must be at least 2 (got 1: 'x')")}
    assert found(contract, table={"ab": "cd", "ef": "x"}) == {("table.ef", "length must be at least 2 (got 1: 'x')")}


def test_blobs_at_and_past_their_bounds(contract):
    assert found(contract, blob=b"ab") == set() and found(contract, blob=b"abcd") == set()
    assert found(contract, blob=b"a") == {("blob", "length must be at least 2 (got 1)")}
    assert found(contract, blob=b"abcde") == {("blob", "length must be at most 4 (got 5)")}
    assert found(contract, blob=1) == {("blob", "must be bytes, str or a file-like object (got int)")}


def test_a_union_takes_exactly_one_member(contract):
    assert found(contract, either={"a": "ab"}) == set()
    assert found(contract, either={"a": "ab", "b": "cd"}) == {("either", "must set exactly one of a, b (got a, b)")}
    assert found(contract, either={}) == {("either", "must set exactly one of a, b (got none)")}


def test_required_members_and_unknown_members(contract):
    assert {(v.path, v.message) for v in contract.check("Do", {})} == {("must", "is required by Input but missing")}
    assert found(contract, other=1) == {("other", "is not a member of Input (members: must, plain, choice, word, "
                                                  "lowerChoice, count, capped, floor, any, items, table, blob, "
                                                  "either, host, meta, free, share, slot)")}


def test_a_json_value_header_takes_anything_json_can_encode(contract):
    assert found(contract, meta={"a": [1, None]}) == set()
    [(path, message)] = found(contract, meta={"a": object()})
    assert path == "meta" and message.startswith("must be JSON-encodable (got dict {'a': <object object")


def test_an_operation_without_input_takes_no_parameters(contract):
    assert contract.check("Ping", {}) == []
    assert [(v.path, v.message) for v in contract.check("Ping", {"x": 1})] == [("x", "Ping takes no parameters")]


def test_an_unknown_operation_suggests_at_most_three_close_names(contract):
    with pytest.raises(ValueError) as raised:
        contract.check("Do4", {})  # four operations are close to it
    suggested = str(raised.value).split("did you mean ")[1].rstrip("?").split(", ")
    assert len(suggested) == 3 and set(suggested) <= set(OPERATIONS)


def test_long_values_are_shown_cut_to_sixty_characters(contract):
    [(path, message)] = found(contract, plain="x" * 100)
    assert message == f"length must be at most 4 (got 100: {('x' * 100)!r:.59}…)"


def test_a_value_shown_in_exactly_sixty_characters_is_shown_whole(contract):
    value = "x" * 58  # its repr, quotes included, is 60 characters
    [(path, message)] = found(contract, plain=value)
    assert message == f"length must be at most 4 (got 58: {value!r})"


# The fast path (``accepts``) and the explanation must agree on every value: a laxer fast
# path lets a broken request through, a stricter one only costs time, but both are bugs.
EDGE_VALUES = [
    {"plain": "ab"}, {"plain": "abcd"}, {"plain": "a"}, {"plain": "abcde"},
    {"word": "ab"}, {"word": "abcd"}, {"word": "AB"}, {"word": "abcde"},
    {"choice": "ab"}, {"choice": "abcd"}, {"choice": "z"}, {"choice": "abcde"}, {"choice": "zz"},
    {"lowerChoice": "ab"}, {"lowerChoice": "abcd"}, {"lowerChoice": "AB"}, {"lowerChoice": "abcde"},
    {"count": 2}, {"count": 4}, {"count": 1}, {"count": 5}, {"capped": 4}, {"capped": 5}, {"floor": 2},
    {"floor": 1}, {"any": 7}, {"any": True}, {"count": float("nan")},
    {"items": ["ab"]}, {"items": ["ab", "cd"]}, {"items": []}, {"items": ["ab", "cd", "ef"]}, {"items": ["x"]},
    {"table": {"ab": "cd"}}, {"table": {"ab": "cd", "ef": "gh"}}, {"table": {}}, {"table": {"x": "ab"}},
    {"table": {"ab": "cd", "ef": "gh", "ij": "kl"}},
    {"blob": b"ab"}, {"blob": b"abcd"}, {"blob": b"a"}, {"blob": b"abcde"}, {"blob": "abcd"},
    {"either": {"a": "ab"}}, {"either": {"a": "ab", "b": "cd"}}, {"either": {}},
    {"host": "h"}, {"host": ""}, {"free": ""}, {"meta": {"a": 1}}, {"share": 0.5}, {"share": 2.0},
    {"slot": 1}, {"slot": 0},
]


@pytest.mark.parametrize("params", EDGE_VALUES, ids=lambda params: repr(params)[:40])
def test_the_fast_path_agrees_with_the_explanation(contract, params):
    request = {"must": "ok", **params}
    validator = contract._input_validator("Do")
    findings: list = []
    validator.explain(request, "", findings)
    assert bool(validator.accepts(request)) is (findings == []), findings


def test_a_file_like_object_is_a_blob(contract):
    assert found(contract, blob=io.BytesIO(b"anything, however long")) == set()


def test_floats_are_numbers_within_their_bounds(contract):
    assert found(contract, share=0.5) == set() and found(contract, share=1) == set()
    assert found(contract, share=1.5) == {("share", "must be at most 1 (got 1.5)")}
    assert found(contract, share="half") == {("share", "must be a number (got str 'half')")}


def test_a_number_bound_to_the_host_is_at_least_one(contract):
    assert found(contract, slot=1) == set()
    assert found(contract, slot=0) == {("slot", "must be at least 1 (got 0)")}


def test_an_unknown_operation_with_nothing_close_suggests_nothing(contract):
    with pytest.raises(ValueError) as raised:
        contract.check("ListEverything", {})
    assert str(raised.value) == "'ListEverything' is not an operation of the bounds service model"
