"""When a burst of changes is over: a quiet window, bounded by a longest wait.

A rollout or a GitOps sync changes many objects within seconds; one converge after the
burst serves them all.  The converge is due ``quiet`` seconds after the last change, but
never later than ``max_wait`` after the first one, so a steady trickle of changes cannot
postpone it forever.
"""

from __future__ import annotations

from typing import Optional


class Debouncer:
    def __init__(self, quiet: float, max_wait: float) -> None:
        if quiet < 0 or max_wait < quiet:
            raise ValueError(f"debounce {quiet}s and max-wait {max_wait}s: need 0 <= debounce <= max-wait")
        self.quiet = quiet
        self.max_wait = max_wait
        self._first: Optional[float] = None
        self._last: Optional[float] = None

    def touch(self, now: float) -> None:
        """A change arrived at ``now``."""
        if self._first is None:
            self._first = now
        self._last = now

    def due_at(self) -> Optional[float]:
        """When the converge is due, or ``None`` with no change pending."""
        if self._first is None or self._last is None:
            return None
        return min(self._last + self.quiet, self._first + self.max_wait)

    def take(self) -> None:
        """The converge started: changes from now on belong to the next one."""
        self._first = self._last = None
