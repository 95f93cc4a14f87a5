"""check.py's pattern hints: a name that breaks a lookahead-chain pattern is told which
link of the chain it failed, not only the pattern."""

from __future__ import annotations

import pytest

from lattice_program.contract.check import _literal, _lookahead_reason, _pattern_hints, check_request

NAME_PATTERN = "(?!svc-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+"


@pytest.mark.parametrize(("name", "reasons"), [
    ("svc-abc", ["must not start with 'svc-'"]),
    ("-abc", ["must not start with '-'"]),
    ("abc-", ["must not end with '-'"]),
    ("ab--c", ["must not contain '--'"]),
    ("Abc", ["may only use the characters [a-z0-9-] (found 'A' at index 0)"]),
    ("a_b", ["may only use the characters [a-z0-9-] (found '_' at index 1)"]),
    ("svc--x-", ["must not start with 'svc-'", "must not end with '-'", "must not contain '--'"]),
    ("abc", []),
])
def test_each_failed_link_of_the_name_pattern_is_named(name, reasons):
    assert _pattern_hints(NAME_PATTERN)(name) == reasons


def test_the_hints_end_the_violation_message():
    [violation] = check_request("CreateService", {"name": "svc--x"})
    assert violation.path == "name"
    assert violation.message.endswith("(got 'svc--x'): must not start with 'svc-'; must not contain '--'")


def test_a_pattern_without_lookaheads_gives_no_hints():
    assert _pattern_hints("[a-z]+")("ABC") == []


def test_a_body_that_is_not_one_character_class_is_shown_whole():
    hints = _pattern_hints("(?!x)[a-z]{2}[0-9]")
    assert hints("ab1") == []
    assert hints("xb1") == ["must not start with 'x'"]
    assert hints("abc") == ["must match [a-z]{2}[0-9]"]


@pytest.mark.parametrize(("lookahead", "reason"), [
    (".*[-]$", "must not end with '-'"),
    (".*ab$", "must not end with 'ab'"),
    (".*[-]{2}", "must not contain '--'"),
    ("svc-", "must not start with 'svc-'"),
    ("\\.", "must not start with '.'"),
    (".*[a-z]+$", "must not match (?!.*[a-z]+$)"),
    (".*(a|b)", "must not match (?!.*(a|b))"),
    ("a|b", "must not match (?!a|b)"),
])
def test_lookahead_reasons(lookahead, reason):
    assert _lookahead_reason(lookahead) == reason


@pytest.mark.parametrize(("fragment", "literal"), [
    ("[-]{2}", "--"), ("svc-", "svc-"), ("\\.", "."), ("[.]", "."), ("a{3}b", "aaab"),
    ("", None), ("[a-z]", None), ("a+", None), ("(a)", None),
])
def test_literal_fragments(fragment, literal):
    assert _literal(fragment) == literal
