"""What a release must have shown in the sending stack before it moves on.

Each gate answers passed or not, with why; a gate is waived by the receiving stack's
settings (``promotion.gates``) or by name on the command line (``--waive drift``), and a
waiver is shown, never silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Collection, List, Mapping, Optional, Sequence

from lattice_program.promote import history
from lattice_program.promote.errors import PromotionError
from lattice_program.vocabulary.settings import GateSettings

LAST_UPDATE = "last-update"
DRIFT = "drift"
SOAK = "soak"
VERIFICATION = "verification"
GATES = (LAST_UPDATE, DRIFT, SOAK, VERIFICATION)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(s|m|h|d)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text: str) -> float:
    return sum(float(n) * _SECONDS[u] for n, u in _DURATION.findall(text))


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    detail: str
    waived: bool = False

    @property
    def blocks(self) -> bool:
        return not self.passed and not self.waived

    def line(self) -> str:
        mark = "pass" if self.passed else ("WAIVED" if self.waived else "BLOCKED")
        return f"{mark:7} {self.name}: {self.detail}"


class GatesBlocked(PromotionError):
    def __init__(self, gates: Sequence[Gate], source: str, target: str) -> None:
        self.gates = list(gates)
        blocked = [g for g in gates if g.blocks]
        super().__init__(f"promotion from {source} to {target} blocked by {len(blocked)} gate(s):\n  "
                         + "\n  ".join(g.line() for g in blocked)
                         + "\nwait, fix the cause, or waive a gate with --waive NAME (gates: " + ", ".join(GATES) + ")")


def evaluate(*, source: str, digest: str, events: Sequence[Mapping[str, Any]], settings: GateSettings,
             waived: Collection[str], last_update_succeeded: Callable[[], bool], drift: Callable[[], Optional[int]],
             clock: Optional[Callable[[], datetime]] = None) -> List[Gate]:
    """Every gate, in order; the costly ones (drift: a refresh preview) run only when needed."""
    unknown = sorted(set(waived) - set(GATES))
    if unknown:
        raise ValueError(f"--waive {', '.join(unknown)}: no such gate; the gates are {', '.join(GATES)}")
    now = (clock or (lambda: datetime.now(timezone.utc)))()
    gates = []

    ok = last_update_succeeded()
    gates.append(Gate(LAST_UPDATE, ok, f"the last update of {source} " + ("succeeded" if ok else
                      "did not succeed (failed, cancelled or none): its state may not be what it declares"),
                      waived=LAST_UPDATE in waived))

    drift_waived = DRIFT in waived or settings.allow_drift
    if drift_waived:
        gates.append(Gate(DRIFT, False, f"drift of {source} not looked for", waived=True))
    else:
        drifted = drift()
        if drifted is None:
            detail = f"{source} holds no recorded release: its drift cannot be looked for"
        elif drifted:
            detail = f"{source} has drifted: a refresh preview would change {drifted} resource(s)"
        else:
            detail = f"{source} matches its stack"
        gates.append(Gate(DRIFT, drifted == 0, detail))

    need = seconds(settings.soak_time)
    since = history.soaked_since(events, digest)
    soaked = (now - since).total_seconds() if since else 0.0
    if since is None:
        detail = f"{source} does not hold the release now; it cannot soak there"
    else:
        detail = f"in {source} for {_human(soaked)} (required {settings.soak_time})"
    gates.append(Gate(SOAK, since is not None and soaked >= need, detail, waived=SOAK in waived))

    if settings.require_verification:
        verified = history.is_verified(events, digest)
        gates.append(Gate(VERIFICATION, verified, f"verified in {source}" if verified else
                          f"not verified in {source} since it was last applied there", waived=VERIFICATION in waived))
    return gates


def _human(total: float) -> str:
    total = int(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else (f"{minutes}m{secs:02d}s" if minutes else f"{secs}s")
