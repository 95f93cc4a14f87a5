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
from lattice_program.contract.check import check_request
from lattice_program.contract.pipeline import plan
from lattice_program.contract.requests import model_requests
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
    # What is planned is what VPC Lattice accepts: the contract left nothing breaking it.
    for owner, operation, params in model_requests(result.model):
        assert check_request(operation, params) == [], f"{owner}: {operation} breaks the contract yet was planned"
    # Whatever was refused is said, object by object.
    for problem in result.problems:
        assert problem.message and (problem.object is not None or problem.origin), f"a problem naming nothing: {problem}"
    # A route of the examples that is no longer planned, though still in the input as
    # a route with parents, is explained: a problem of its own, or a condition that is not True.
    planned = {route.key for route in result.model.routes()}
    explained = {p.object.key for p in result.problems if p.object is not None}
    explained |= {status.ref.key for status in result.statuses
                  if any(c.status != "True" for c in status.conditions.values())
                  or any(c.status != "True" for parent in status.parents for c in parent.conditions.values())}
    for key in CLEAN_ROUTES - planned:
        if key in _route_keys(documents):
            assert key in explained, f"{key} left the plan without a problem or condition saying why"


def _route_keys(documents) -> set:
    keys = set()
    for doc in documents:
        if isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str) \
                and doc["kind"].endswith("Route") \
                and isinstance(doc.get("metadata"), dict) and isinstance(doc["metadata"].get("name"), str) \
                and isinstance(doc.get("spec"), dict) and doc["spec"].get("parentRefs"):
            namespace = doc["metadata"].get("namespace") or "default"
            keys.add(f"{doc['kind']}/{namespace}/{doc['metadata']['name']}")
    return keys


CLEAN_ROUTES = {route.key for route in plan(load_text(yaml.safe_dump_all(DOCUMENTS)), StackSettings()).model.routes()}
