"""Pausing CPython's cyclic garbage collector while building large acyclic data.

Reading and planning allocate millions of objects that all stay alive until the step
returns, and the cyclic collector walks every one of them on each full collection,
finding no garbage: that was over half of the time of planning 10,000 routes
(bench/plan_scale.py), and a fifth of reading their YAML.  Whatever a paused step does
leave behind is collected once the collector resumes.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
