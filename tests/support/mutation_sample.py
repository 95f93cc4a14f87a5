"""A module for tools/mutate.py to mutate in its own test (tests/support_tests/test_mutate_tool.py)."""


def clamp(value: int, low: int, high: int) -> int:
    if value < low:
        return low
    if value > high:
        return high
    return value
