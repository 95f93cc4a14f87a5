"""Bad input never crashes a plan: the examples, mangled at random, still plan.

Every mangled object must end as problems and conditions (or plan as valid), never as
an exception from parse, translate, the contract check or the program under mocks.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lattice_program.program.mock_plan import record_plan
from lattice_program.contract.pipeline import plan
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.sources.files import load_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# Single-cluster examples (two-cluster is planned through its stack elsewhere).
DOCUMENTS = [doc for path in sorted(EXAMPLES.rglob("*.yaml")) if "two-cluster" not in path.parts
             for doc in yaml.safe_load_all(path.read_text()) if doc]
ODD_VALUES = [None, 0, -1, "", "x" * 300, [], {}, True, 1e9, "ü/../%2F", "*.", "svc-", "a--b"]


def mangle(value, rng: random.Random) -> None:
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value))
        roll = rng.random()
        if roll < 0.2:
            value.pop(key)
        elif roll < 0.4:
            value[key] = rng.choice(ODD_VALUES)
        else:
            mangle(value[key], rng)
    elif isinstance(value, list) and value:
        index = rng.randrange(len(value))
        if rng.random() < 0.3:
            value.append(copy.deepcopy(value[index]))
        else:
            mangle(value[index], rng)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), changes=st.integers(min_value=1, max_value=6))
def test_mangled_examples_plan_without_raising(seed, changes):
    rng = random.Random(seed)
    documents = copy.deepcopy(DOCUMENTS)
    for _ in range(changes):
        mangle(rng.choice(documents), rng)
    result = plan(load_text(yaml.safe_dump_all(documents)), StackSettings())
    record_plan(result.model)
    # Whatever was refused is said, object by object.
    assert all(problem.message for problem in result.problems)
