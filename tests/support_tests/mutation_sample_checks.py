"""Checks of tests/support/mutation_sample.py that never go above ``high``, on purpose: the
mutation tool's test expects the mutants of that branch to survive and the others to die.
(Not named test_*, so the suite does not collect it; the tool runs it by path.)"""

from tests.support.mutation_sample import clamp


def test_inside_and_below():
    assert clamp(5, 0, 10) == 5
    assert clamp(-1, 0, 10) == 0
