"""What a stack's events say: which release it holds, since when, whether it was verified.

Events (``store.py``) are immutable: an ``apply`` per update that applied a release
(``up``, ``promote`` or ``rollback``, succeeded or failed) and a ``verify`` per
verification of the release the stack holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence

APPLY = "apply"
VERIFY = "verify"


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class HistoryRow:
    at: str
    by: str
    digest: str
    operation: str
    source: Optional[str]
    result: str
    verification: str  # "passed", "failed", "not run"


def _succeeded_applies(events: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    return [e for e in events if e.get("kind") == APPLY and e.get("result") == "succeeded"]


def current_digest(events: Sequence[Mapping[str, Any]]) -> Optional[str]:
    applies = _succeeded_applies(events)
    return applies[-1]["digest"] if applies else None


def soaked_since(events: Sequence[Mapping[str, Any]], digest: str) -> Optional[datetime]:
    """When the stack started holding ``digest`` without interruption, if it holds it now."""
    since = None
    for event in _succeeded_applies(events):
        if event["digest"] != digest:
            since = None
        elif since is None:
            since = parse_time(event["at"])
    return since if current_digest(events) == digest else None


def verification_of(events: Sequence[Mapping[str, Any]], digest: str) -> Optional[Mapping[str, Any]]:
    """The last verification of ``digest`` made after the last apply of it, if any."""
    found = None
    for event in events:
        if event.get("kind") == APPLY and event.get("digest") == digest and event.get("result") == "succeeded":
            found = None
        elif event.get("kind") == VERIFY and event.get("digest") == digest:
            found = event
    return found


def is_verified(events: Sequence[Mapping[str, Any]], digest: str) -> bool:
    verification = verification_of(events, digest)
    return bool(verification and verification.get("passed"))


def verified_digests(events: Sequence[Mapping[str, Any]]) -> List[str]:
    """Digests verified in the stack, newest verification last, each once."""
    order: Dict[str, None] = {}
    for event in events:
        if event.get("kind") == VERIFY and event.get("passed"):
            order.pop(event["digest"], None)
            order[event["digest"]] = None
    return list(order)


def last_verified(events: Sequence[Mapping[str, Any]]) -> Optional[str]:
    digests = verified_digests(events)
    return digests[-1] if digests else None


def previous_verified(events: Sequence[Mapping[str, Any]], current: Optional[str]) -> Optional[str]:
    """The newest verified release that is not ``current``: what a rollback goes back to."""
    for digest in reversed(verified_digests(events)):
        if digest != current:
            return digest
    return None


def rows(events: Sequence[Mapping[str, Any]]) -> List[HistoryRow]:
    """One row per apply, with the verification that followed it (before the next apply)."""
    table: List[HistoryRow] = []
    applies = [i for i, e in enumerate(events) if e.get("kind") == APPLY]
    for position, index in enumerate(applies):
        event = events[index]
        end = applies[position + 1] if position + 1 < len(applies) else len(events)
        checks = [e for e in events[index + 1:end] if e.get("kind") == VERIFY and e.get("digest") == event["digest"]]
        verification = "not run" if not checks else ("passed" if checks[-1].get("passed") else "failed")
        table.append(HistoryRow(at=event["at"], by=event.get("by", ""), digest=event["digest"],
                                operation=event.get("operation", "up"), source=event.get("from"),
                                result=event.get("result", ""), verification=verification))
    return table
