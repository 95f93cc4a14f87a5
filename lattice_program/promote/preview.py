"""A promotion's preview: each planned step by resource, grouped back into Kubernetes
objects for people, hashed for approvals, and checked against protected resources."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

import orjson

from lattice_program.engine.changes import NOT_CHANGES as UNCHANGING, ObjectChanges

DESTRUCTIVE = ("delete", "replace", "create-replacement", "delete-replaced")
# What `protect` covers when a stack names no protected resources of its own.
SERVICE_NETWORK_TYPES = ("aws:vpclattice/serviceNetwork:ServiceNetwork",)


@dataclass(frozen=True)
class Step:
    urn: str
    type: str
    op: str


@dataclass
class Preview:
    summary: Dict[str, int] = field(default_factory=dict)
    steps: List[Step] = field(default_factory=list)
    changes: ObjectChanges = field(default_factory=ObjectChanges)

    def on_event(self, event: Any) -> None:
        """An Automation API ``on_event`` callback: keeps every step that changes something."""
        self.changes.on_event(event)
        pre = getattr(event, "resource_pre_event", None)
        if pre is None or pre.metadata is None:
            return
        op = str(getattr(pre.metadata.op, "value", pre.metadata.op))
        if op not in UNCHANGING:
            self.steps.append(Step(pre.metadata.urn, pre.metadata.type, op))

    @property
    def changes_anything(self) -> bool:
        return bool(self.steps) or any(count for kind, count in self.summary.items() if kind not in UNCHANGING)

    @property
    def destructive_steps(self) -> List[Step]:
        return [step for step in self.steps if step.op in DESTRUCTIVE]


def preview_hash(stack: str, digest: str, preview: Preview) -> str:
    """What an approval is tied to: the receiving stack, the release, and every planned
    step.  Any change to what the update would do gives another hash."""
    steps = sorted((step.urn, step.type, step.op) for step in preview.steps)
    summary = sorted((k, v) for k, v in preview.summary.items() if k not in UNCHANGING and v)
    body = orjson.dumps({"stack": stack, "release": digest, "steps": steps, "summary": summary})
    return "sha256:" + hashlib.sha256(body).hexdigest()


def protected_patterns(configured: Sequence[str], protect: bool) -> List[str]:
    if configured:
        return list(configured)
    return list(SERVICE_NETWORK_TYPES) if protect else []


def protected_violations(preview: Preview, patterns: Sequence[str]) -> List[Step]:
    """Steps that would replace or delete a protected resource (by type, or URN fragment)."""
    return [step for step in preview.destructive_steps
            if any(pattern == step.type or pattern in step.urn for pattern in patterns)]
