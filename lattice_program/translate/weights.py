"""Gateway API backend weights (0..1,000,000) to Lattice forward weights (0..999).

Weights that already fit are kept as written, so what a user reads in the plan is what
they wrote.  Larger ones are scaled down proportionally.  What cannot be expressed is
refused rather than approximated: a non-zero weight that would round to zero, or a
ratio of more than 999:1 between two non-zero weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

LATTICE_MAX_WEIGHT = 999  # VPC Lattice WeightedTargetGroup.weight (API model): 0..999
LATTICE_MAX_TARGET_GROUPS = 10  # ForwardAction.targetGroups (API model): 1..10


@dataclass(frozen=True)
class WeightResult:
    weights: Tuple[int, ...] = ()
    error: Optional[str] = None
    scaled: bool = False


def to_lattice_weights(weights: Sequence[int]) -> WeightResult:
    if len(weights) > LATTICE_MAX_TARGET_GROUPS:
        return WeightResult(error=f"{len(weights)} backends in one rule; VPC Lattice forwards to at most "
                                  f"{LATTICE_MAX_TARGET_GROUPS} target groups: split the rule or drop backends")
    largest = max(weights, default=0)
    if largest <= LATTICE_MAX_WEIGHT:
        return WeightResult(tuple(weights))
    nonzero = [w for w in weights if w > 0]
    smallest = min(nonzero)
    if largest > smallest * LATTICE_MAX_WEIGHT:
        return WeightResult(error=f"weights {smallest} and {largest} differ by more than {LATTICE_MAX_WEIGHT}:1, "
                                  f"which VPC Lattice (weights 0..{LATTICE_MAX_WEIGHT}) cannot express; "
                                  "use weights whose ratio is at most 999:1")
    scaled = tuple(round(w * LATTICE_MAX_WEIGHT / largest) if w else 0 for w in weights)
    return WeightResult(scaled, scaled=True)
