"""The tree: when one Gateway API match became two Lattice rules (issue 12), and what a\ntarget group that is not a pod group holds (issue 11)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from cli.render import element_wise_halves

CHECKOUT = Path(__file__).resolve().parents[2] / "examples" / "checkout-ab"


def _rule(urn: str, path: dict, action: str = "a", method=None) -> dict:
    return {"urn": urn, "inputs": {"match": {"httpMatch": {"method": method, "pathMatch": {"match": path}}},
                                   "action": action}}


def test_pairs_are_an_exact_and_a_slash_prefix_with_the_same_match_and_action():
    rules = [_rule("e", {"exact": "/v2"}), _rule("p", {"prefix": "/v2/"}), _rule("root", {"prefix": "/"}),
             _rule("other-action", {"prefix": "/v3/"}), _rule("e3", {"exact": "/v3"}, action="b"),
             _rule("get", {"prefix": "/v4/"}, method="GET"), _rule("e4", {"exact": "/v4"})]
    assert element_wise_halves(rules) == {"e": "/v2", "p": "/v2"}


def test_the_checkout_tree_names_the_prefix_each_pair_serves():
    result = CliRunner().invoke(app, ["plan", str(CHECKOUT)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert result.stdout.count("half of PathPrefix /checkout: one match, two rules") == 4


def test_a_lambda_group_shows_its_type_and_declared_target():
    result = CliRunner().invoke(app, ["plan", str(CHECKOUT.parent / "checkout-lambda-ab")], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "LAMBDA event structure V2" in result.stdout and "None" not in result.stdout
    assert "target arn:aws:lambda:eu-west-1:111122223333:function:checkout-v2 (declared)" in result.stdout
