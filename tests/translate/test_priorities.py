"""priorities.py beyond order: where values land, pinned priorities, the 2,000 limit and
the renumbering fallbacks."""

from __future__ import annotations

from typing import Dict, List

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from lattice_program.translate import priorities
from lattice_program.translate.priorities import MAX_PRIORITY, MIN_PRIORITY, STEP, allocate


def values_in_order(keys: List[str], allocation: Dict[str, int]) -> List[int]:
    return [allocation[key] for key in keys]


def strictly_increasing(values: List[int]) -> bool:
    return all(a < b for a, b in zip(values, values[1:]))


def test_fresh_allocation_is_spaced_by_the_step():
    keys = [f"k{i}" for i in range(7)]
    assert values_in_order(keys, allocate(keys).priorities) == [STEP * (i + 1) for i in range(7)]


@pytest.mark.parametrize(("count", "step"), [(500, 3), (249, 8)])
def test_many_rules_are_spaced_as_widely_as_leaves_room_after_the_last(count, step):
    """249 rules at 8 apart end at 1992, with one step (to 2000) free for a rule added at the end."""
    keys = [f"k{i}" for i in range(count)]
    values = values_in_order(keys, allocate(keys).priorities)
    assert values == [step * (i + 1) for i in range(count)]


def test_more_rules_than_fit_spaced_are_numbered_from_the_minimum_one_apart():
    keys = [f"k{i}" for i in range(1500)]
    assert values_in_order(keys, allocate(keys).priorities) == list(range(1, 1501))  # the API's minimum is 1


def test_a_listener_full_to_the_limit_is_numbered_one_to_the_maximum_without_renumbering():
    keys = [f"k{i}" for i in range(MAX_PRIORITY)]
    allocation = allocate(keys)
    assert values_in_order(keys, allocation.priorities) == list(range(1, MAX_PRIORITY + 1))
    assert allocation.warning is None


def test_fresh_allocation_steps_over_pinned_values_and_keeps_order():
    allocation = allocate(["a", "pinned", "b", "c"], pinned={"pinned": 20}).priorities
    assert allocation["pinned"] == 20
    # b would take 20: it takes the next value instead, and c keeps its place.
    assert values_in_order(["a", "b", "c"], allocation) == [10, 21, 30]


def test_fresh_allocation_steps_over_a_run_of_pinned_values():
    allocation = allocate(["a", "b", "x", "y"], pinned={"x": 20, "y": 21}).priorities
    assert values_in_order(["a", "b"], allocation) == [10, 22]
    assert (allocation["x"], allocation["y"]) == (20, 21)


def test_a_run_of_pinned_values_longer_than_the_step_pushes_the_following_rules_up():
    pinned = {f"p{value}": value for value in range(10, 26)}  # 10..25
    allocation = allocate(["a", "b", "c"] + list(pinned), pinned=pinned).priorities
    assert values_in_order(["a", "b", "c"], allocation) == [26, 27, 30]


def test_pinned_rules_narrow_the_spacing_so_every_rule_of_the_listener_fits():
    pinned = {f"p{i}": MAX_PRIORITY - i for i in range(100)}
    keys = [f"k{i}" for i in range(150)]
    values = values_in_order(keys, allocate(keys + list(pinned), pinned=pinned).priorities)
    step = MAX_PRIORITY // (len(keys) + len(pinned) + 1)  # 7, where 150 rules alone would get 10
    assert values == [step * (i + 1) for i in range(len(keys))]


def test_pinned_rules_count_toward_the_limit_of_a_listener():
    pinned = {f"p{i}": 1990 + i for i in range(10)}
    free = [f"k{i}" for i in range(MAX_PRIORITY - len(pinned) + 1)]
    with pytest.raises(ValueError, match=f"{MAX_PRIORITY + 1} rules exceed"):
        allocate(free + list(pinned), pinned=pinned)
    # One fewer fits.
    assert len(allocate(free[1:] + list(pinned), pinned=pinned).priorities) == MAX_PRIORITY


def test_an_inserted_rule_lands_in_the_middle_of_its_gap():
    previous = {"a": 10, "b": 20, "c": 30}
    allocation = allocate(["a", "new", "b", "c"], previous).priorities
    assert allocation["new"] == 15  # room on both sides for later inserts


def test_inserted_rules_share_their_gap_evenly():
    previous = {"a": 10, "b": 50}
    allocation = allocate(["a", "n1", "n2", "n3", "b"], previous).priorities
    assert values_in_order(["n1", "n2", "n3"], allocation) == [20, 30, 40]


def test_rules_inserted_before_the_first_use_the_values_down_to_the_minimum():
    allocation = allocate(["new", "a"], {"a": 3}).priorities
    assert allocation == {"new": 2, "a": 3}  # 1 and 2 are free below 3: the middle one
    allocation = allocate(["new", "a"], {"a": 2})
    assert allocation.priorities == {"new": 1, "a": 2} and allocation.warning is None


def test_a_gap_with_exactly_as_many_free_values_as_new_rules_is_filled_without_renumbering():
    allocation = allocate(["a", "new", "b"], {"a": 10, "b": 12})
    assert allocation.priorities == {"a": 10, "new": 11, "b": 12} and allocation.warning is None


def test_a_rule_appended_after_the_last_may_take_the_maximum():
    allocation = allocate(["a", "new"], {"a": MAX_PRIORITY - 1})
    assert allocation.priorities == {"a": MAX_PRIORITY - 1, "new": MAX_PRIORITY} and allocation.warning is None


def test_renumbering_with_exactly_as_many_free_values_as_rules_still_avoids_every_value_in_use():
    # Deleted rules hold 1..1996 and a holds 1998: n1 and n2 cannot both fit below a.
    previous = {**{f"old{i}": i for i in range(1, 1997)}, "a": 1998}
    allocation = allocate(["n1", "n2", "a"], previous)
    assert values_in_order(["n1", "n2", "a"], allocation.priorities) == [1997, 1999, 2000]
    assert "no room was left" in allocation.warning


def test_no_room_in_the_gap_renumbers_spaced_around_every_value_in_use():
    previous = {"a": 1, "b": 2}
    allocation = allocate(["a", "new", "b"], previous)
    free = [p for p in range(MIN_PRIORITY, MAX_PRIORITY + 1) if p not in previous.values()]
    assert values_in_order(["a", "new", "b"], allocation.priorities) == [free[len(free) * i // 4] for i in (1, 2, 3)]
    assert "no room was left" in allocation.warning


def test_when_no_free_values_are_left_the_rules_are_renumbered_densely_with_a_warning():
    # 1,995 deleted rules still hold their values while the update runs; 10 new rules
    # cannot avoid them all.
    previous = {f"old{i}": i for i in range(1, 1996)}
    keys = [f"new{i}" for i in range(10)]
    allocation = allocate(keys, previous)
    assert values_in_order(keys, allocation.priorities) == list(range(1, 11))
    assert "densely" in allocation.warning and "retry" in allocation.warning


def test_a_previous_priority_that_is_now_pinned_by_another_rule_moves():
    allocation = allocate(["a", "b"], {"a": 10, "b": 20}, pinned={"b": 10}).priorities
    assert allocation["b"] == 10 and allocation["a"] != 10


@st.composite
def order_with_pinned(draw):
    keys = draw(st.lists(st.text("abcdef", min_size=1, max_size=3), unique=True, max_size=25))
    pinned_keys = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    values = draw(st.lists(st.integers(MIN_PRIORITY, 200), min_size=len(pinned_keys), max_size=len(pinned_keys),
                           unique=True))
    previous_keys = [k for k in keys if k not in pinned_keys]
    previous_values = draw(st.lists(st.integers(MIN_PRIORITY, 300).filter(lambda v: v not in values),
                                    min_size=len(previous_keys), max_size=len(previous_keys), unique=True))
    previous = dict(zip(previous_keys, previous_values)) if draw(st.booleans()) else {}
    return keys, dict(zip(pinned_keys, values)), previous


@given(order_with_pinned())
@hypothesis_settings(max_examples=300, deadline=None)
def test_pinned_priorities_are_exact_and_the_rest_keep_order_without_duplicates(case):
    keys, pinned, previous = case
    allocation = allocate(keys, previous, pinned=pinned).priorities
    assert set(allocation) == set(keys)
    assert {k: allocation[k] for k in pinned} == pinned
    free_keys = [k for k in keys if k not in pinned]
    free_values = values_in_order(free_keys, allocation)
    assert strictly_increasing(free_values)
    assert not set(free_values) & set(pinned.values()), "a rule took a pinned priority"
    assert all(MIN_PRIORITY <= v <= MAX_PRIORITY for v in allocation.values())
    in_use = set(previous.values()) | set(pinned.values())
    for key in free_keys:
        if previous.get(key) != allocation[key]:
            assert allocation[key] not in in_use, (key, allocation[key])


def test_longest_increasing_keeps_the_most_rules():
    previous = {"a": 10, "b": 20, "c": 30, "d": 40, "e": 50}
    assert priorities._longest_increasing(["e", "a", "b", "c", "d"], previous) == ["a", "b", "c", "d"]
    assert priorities._longest_increasing(["b", "a", "d", "c", "e"], previous) in (
        ["a", "c", "e"], ["a", "d", "e"], ["b", "c", "e"], ["b", "d", "e"])
    assert priorities._longest_increasing([], previous) == []
