"""The Automation API driver answered in-process, for CLI tests that must see which
operations a command asks for without a pulumi CLI."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional


def answer_operations(monkeypatch, summary: Mapping[str, int], *,
                      previous: Optional[Dict[str, Any]] = None) -> List[str]:
    """Make ``find_pulumi``, ``read_stack_outputs`` (``previous``, or none) and
    ``run_operation`` (each answered with ``summary``) in-process; the operations asked
    for are appended to the list returned."""
    from lattice_program.engine import automation

    operations: List[str] = []

    def run_operation(target, operation, **kwargs):
        operations.append(operation)
        return automation.OperationResult(operation=operation, stack=target.stack, summary=dict(summary),
                                          outputs={}, stdout="")

    monkeypatch.setattr(automation, "find_pulumi", lambda explicit=None: "/usr/bin/pulumi")
    monkeypatch.setattr(automation, "read_stack_outputs", lambda target, **kw: dict(previous or {}))
    monkeypatch.setattr(automation, "run_operation", run_operation)
    return operations
