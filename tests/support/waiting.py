"""Waiting in tests for what happens on other threads and processes."""

from __future__ import annotations

import time
from typing import Callable


def eventually(condition: Callable[[], bool], timeout: float) -> float:
    """Poll ``condition`` until it holds (the seconds that took), failing after ``timeout``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"the condition did not hold within {timeout} s"
        time.sleep(0.005)
    return time.monotonic() - started
