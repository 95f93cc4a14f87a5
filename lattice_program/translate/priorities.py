"""Rule priorities on one listener that never collide while an update is applied.

Lattice refuses two rules with the same priority on a listener, and Pulumi applies
creates, updates and deletes one resource at a time.  Renumbering rules 1..N on every
change therefore fails part-way: inserting a rule at the front gives the new rule
priority 1 while the old rule 1 still holds it.

So priorities are allocated with room between them (10, 20, 30 …), and when the
previous allocation is known, every rule that can keep its priority keeps it (the
longest run of rules whose old priorities are still in order).  Rules that are new or
that moved get a value inside the gap where they now stand that no rule on the listener
holds right now, so no order of applying the steps can produce a duplicate.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

MIN_PRIORITY = 1
MAX_PRIORITY = 2000  # CreateRule.priority in the VPC Lattice API model
STEP = 10


@dataclass(frozen=True)
class Allocation:
    priorities: Dict[str, int]
    warning: Optional[str] = None


def allocate(keys: Sequence[str], previous: Optional[Mapping[str, int]] = None,
             pinned: Optional[Mapping[str, int]] = None) -> Allocation:
    """Priorities for ``keys`` in evaluation order (first key = evaluated first).

    ``pinned`` keys get exactly the priority given (a user's explicit choice); the others
    keep their order among themselves and never take a pinned value.
    """
    pinned = dict(pinned or {})
    reserved = set(pinned.values())
    free_keys = [key for key in keys if key not in pinned]
    # A rule whose previous priority another rule now pins cannot keep it: it is placed anew.
    kept_previous = {k: v for k, v in (previous or {}).items() if k not in pinned and v not in reserved}
    allocation = _allocate(free_keys, kept_previous, reserved=reserved)
    return Allocation({**allocation.priorities, **pinned}, allocation.warning)


def _allocate(keys: Sequence[str], previous: Dict[str, int], reserved: set) -> Allocation:
    if len(keys) + len(reserved) > MAX_PRIORITY:
        raise ValueError(f"{len(keys) + len(reserved)} rules exceed the {MAX_PRIORITY} priorities of a listener")
    if not previous:
        return _fresh(keys, reserved)

    in_use = set(previous.values()) | reserved
    kept = _longest_increasing(keys, previous)
    result: Dict[str, int] = {key: previous[key] for key in kept}
    index = 0
    while index < len(keys):
        if keys[index] in result:
            index += 1
            continue
        run_end = index
        while run_end < len(keys) and keys[run_end] not in result:
            run_end += 1
        low = result[keys[index - 1]] if index > 0 else MIN_PRIORITY - 1
        high = result[keys[run_end]] if run_end < len(keys) else MAX_PRIORITY + 1
        free = [p for p in range(low + 1, high) if p not in in_use]
        wanted = run_end - index
        if len(free) < wanted:
            return _renumber_around(keys, in_use)
        for offset, key in enumerate(keys[index:run_end]):
            result[key] = free[(offset + 1) * len(free) // (wanted + 1)]
        index = run_end
    return Allocation(result)


def _fresh(keys: Sequence[str], reserved: set) -> Allocation:
    # Never past MAX_PRIORITY: with n keys and r reserved (n + r <= MAX_PRIORITY), the last
    # value is at most step * n + r, and step * (n + r + 1) <= MAX_PRIORITY (or step is 1).
    step = min(STEP, MAX_PRIORITY // (len(keys) + len(reserved) + 1)) or 1
    result: Dict[str, int] = {}
    last = MIN_PRIORITY - 1
    for index, key in enumerate(keys):
        value = max(step * (index + 1), last + 1)
        while value in reserved:
            value += 1
        result[key] = last = value
    return Allocation(result)


def _longest_increasing(keys: Sequence[str], previous: Mapping[str, int]) -> List[str]:
    """Keys (in order) forming the longest subsequence whose old priorities increase."""
    candidates = [key for key in keys if key in previous]
    tails: List[int] = []  # smallest tail priority of an increasing run of each length
    tail_index: List[int] = []
    parent: List[int] = []  # per candidate: the one before it in its run, or -1
    for i, key in enumerate(candidates):
        value = previous[key]
        slot = bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[slot] = value
            tail_index[slot] = i
        parent.append(tail_index[slot - 1] if slot else -1)
    chain: List[str] = []
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        chain.append(candidates[i])
        i = parent[i]
    return chain[::-1]


def _renumber_around(keys: Sequence[str], in_use: set) -> Allocation:
    free = [p for p in range(MIN_PRIORITY, MAX_PRIORITY + 1) if p not in in_use]
    if len(free) >= len(keys):
        spaced = {key: free[(i + 1) * len(free) // (len(keys) + 1)] for i, key in enumerate(keys)}
        return Allocation(spaced, "rules renumbered: no room was left between the existing priorities")
    dense = {key: i + 1 for i, key in enumerate(keys)}
    return Allocation(dense, "rules renumbered densely; an update may briefly see duplicate priorities and need a retry")
