"""Capped exponential backoff with jitter, for failed converges and lost connections."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Backoff:
    """``delay(n)`` for the n-th consecutive failure (n >= 1): ``base * 2**(n-1)``, at most
    ``cap``, scaled by a random factor in [1 - jitter, 1] so that daemons failing together
    do not retry together."""

    base: float = 1.0
    cap: float = 300.0
    jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, repr=False)

    def delay(self, failures: int) -> float:
        if failures < 1:
            return 0.0
        ceiling = min(self.cap, self.base * 2 ** min(failures - 1, 62))
        return ceiling * (1.0 - self.jitter * self.random())
