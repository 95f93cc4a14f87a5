"""What `pulumi up` runs (__main__.py → stack_program.run): config in, resources out."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from lattice_program.contract.pipeline import plan
from lattice_program.program.digest import model_digest
from lattice_program.program.stack import config_values, run
from lattice_program.sources.files import load_paths
from lattice_program.vocabulary.settings import StackSettings

ROOT = Path(__file__).resolve().parents[2]
RULE = "aws:vpclattice/listenerRule:ListenerRule"
TG = "aws:vpclattice/targetGroup:TargetGroup"


def set_config(values):
    pulumi.runtime.set_all_config({f"lattice-gateway:{k}": v if isinstance(v, str) else json.dumps(v)
                                   for k, v in values.items()})


@pytest.fixture(autouse=True)
def clean_config():
    yield
    pulumi.runtime.set_all_config({})


def test_config_values_reads_plain_and_structured_values(runtime):
    set_config({"vpcId": "vpc-0a1b2c3d4e5f60789", "sources": ["examples/checkout-ab"], "rulesPerListener": 20,
                "tags": {"team": "a"}})
    assert config_values(pulumi.Config("lattice-gateway")) == {
        "vpcId": "vpc-0a1b2c3d4e5f60789", "sources": ["examples/checkout-ab"], "rulesPerListener": 20,
        "tags": {"team": "a"}}


def test_run_declares_the_example_with_the_stack_settings(runtime):
    set_config({"vpcId": "vpc-0a1b2c3d4e5f60789", "sources": ["examples/checkout-ab"]})
    handles = run(ROOT)
    mocks = runtime.settle()
    groups = mocks.of_type(TG)
    assert len(groups) == 2
    assert {g.inputs["config"]["vpcIdentifier"] for g in groups.values()} == {"vpc-0a1b2c3d4e5f60789"}
    assert len(mocks.of_type(RULE)) == 4  # two named rules, each PathPrefix an exact and a prefix rule
    outputs = runtime.resolve(dict(handles.exports))
    assert set(outputs["targetGroups"]) == set(groups)
    assert outputs["rulePriorities"]["HTTPRoute/shop/checkout/http-80"] == {
        "pinned-to-b.exact": 10, "pinned-to-b": 20, "split.exact": 30, "split": 40}
    # What a restarted watch daemon compares with the clusters' desired model.
    stack = StackSettings(vpc_id="vpc-0a1b2c3d4e5f60789")
    desired = plan(load_paths([str(ROOT / "examples/checkout-ab")]), stack)
    assert outputs["modelDigest"] == model_digest(desired.model, stack)


def test_run_keeps_previous_priorities(runtime):
    previous = {"rulePriorities": {"HTTPRoute/shop/checkout/http-80": {"pinned-to-b": 500, "split": 700}}}
    set_config({"vpcId": "vpc-0a1b2c3d4e5f60789", "sources": ["examples/checkout-ab"]})
    run(ROOT, previous=previous)
    rules = {r.inputs["priority"]: r for r in runtime.settle().of_type(RULE).values()}
    # The named rules keep theirs; each new exact half takes a free value just before its rule.
    assert 500 in rules and 700 in rules and len(rules) == 4
    low, mid = sorted(set(rules) - {500, 700})
    assert low < 500 < mid < 700


def test_run_without_sources_fails_with_the_key_to_set(runtime):
    set_config({"vpcId": "vpc-0a1b2c3d4e5f60789"})
    with pytest.raises(pulumi.RunError, match="lattice-gateway:sources"):
        run(ROOT)


def test_run_with_bad_settings_names_the_key(runtime):
    set_config({"vpcId": "not-a-vpc", "sources": ["examples/checkout-ab"]})
    with pytest.raises(pulumi.RunError, match="lattice-gateway:vpcId"):
        run(ROOT)


def test_the_entry_point_runs_the_stack_program(runtime):
    """__main__.py, as `pulumi up` runs it: the stack's manifests declared (a stack with no
    settings file of its own is neither pinned nor protected)."""
    import runpy

    set_config({"vpcId": "vpc-0a1b2c3d4e5f60789", "sources": ["examples/checkout-ab"]})
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
    mocks = runtime.settle()
    assert len(mocks.of_type(RULE)) == 4 and len(mocks.of_type(TG)) == 2
