"""What a promotion asks of Pulumi, and the Automation API answer to it.

The promotion runs the stack program inline on the release's objects (rewritten) and the
receiving stack's settings, through ``engine/automation.py``; tests answer the same
questions with a double.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Protocol, Sequence

from lattice_program.engine import automation
from lattice_program.promote.preview import Preview
from lattice_program.promote.protection import protecting
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.settings import StackSettings


class PromotionEngine(Protocol):
    def last_update_succeeded(self, stack: str) -> bool: ...
    def outputs(self, stack: str) -> Dict[str, Any]: ...
    def preview(self, stack: str, objects: Mapping[str, Sequence[RawObject]], settings: StackSettings, *,
                refresh: bool = False) -> Preview: ...
    def up(self, stack: str, objects: Mapping[str, Sequence[RawObject]], settings: StackSettings) -> Dict[str, int]: ...


class AutomationPromotionEngine:
    """The stack program inline, on the given objects and settings (no manifests read)."""

    def __init__(self, project_dir: Path, *, pulumi_command: Any = None,
                 on_output: Optional[Callable[[str], None]] = None) -> None:
        self.project_dir = Path(project_dir)
        self.pulumi_command = pulumi_command
        self.on_output = on_output

    def _target(self, stack: str, objects: Mapping[str, Sequence[RawObject]] = None,
                settings: Optional[StackSettings] = None, previous: Optional[Mapping[str, Any]] = None):
        def program() -> None:
            from lattice_program.program.stack import run_objects

            run_objects(objects, settings, previous=previous)
        return automation.StackTarget(stack=stack, work_dir=self.project_dir,
                                      program=protecting(program, settings) if objects is not None else None)

    def last_update_succeeded(self, stack: str) -> bool:
        try:
            return automation.last_update_succeeded(self._target(stack), pulumi_command=self.pulumi_command)
        except automation.StackNotFound:
            return False

    def outputs(self, stack: str) -> Dict[str, Any]:
        try:
            return automation.read_stack_outputs(self._target(stack), pulumi_command=self.pulumi_command)
        except automation.StackNotFound:
            return {}

    def preview(self, stack, objects, settings, *, refresh=False) -> Preview:
        preview = Preview()
        result = automation.run_operation(self._target(stack, objects, settings, self.outputs(stack)), "preview",
                                          on_output=self.on_output, on_event=preview.on_event, refresh=refresh,
                                          pulumi_command=self.pulumi_command)
        preview.summary = dict(result.summary)
        return preview

    def up(self, stack, objects, settings) -> Dict[str, int]:
        result = automation.run_operation(self._target(stack, objects, settings, self.outputs(stack)), "up",
                                          on_output=self.on_output, pulumi_command=self.pulumi_command)
        return dict(result.summary)


def count_changes(summary: Mapping[str, int]) -> int:
    return sum(count for kind, count in summary.items() if kind not in ("same", "read"))
