"""The converge loop's engine: the stack program as an inline program, through the
Automation API (``engine/automation.py``).

The inline program is the stack program itself (``program/stack.run_objects``) on the
objects the caches held when the pass began, with the daemon's settings and the stack's
previous outputs: what the daemon applies is what ``latticectl plan`` shows for the same
objects.  The stack's config (``stacks/Pulumi.<stack>.yaml``) still reaches the program
through the CLI, for the provider's settings such as ``aws:region``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional

from pulumi import automation as auto

from lattice_program.engine import automation
from lattice_program.program.stack import run_objects
from lattice_program.vocabulary.outputs import MODEL_DIGEST
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.converge import Observation


class AutomationStackEngine:
    def __init__(self, stack: str, settings: StackSettings, *, work_dir: Path,
                 pulumi_command: Optional[auto.PulumiCommand] = None,
                 on_output: Optional[Callable[[str], None]] = None) -> None:
        self.stack = stack
        self.settings = settings
        self.work_dir = work_dir
        self.pulumi_command = pulumi_command
        self.on_output = on_output

    def _target(self, observation: Optional[Observation], previous: Mapping[str, Any]) -> automation.StackTarget:
        if observation is None:  # the project's own program: enough to read outputs
            return automation.StackTarget(stack=self.stack, work_dir=self.work_dir)
        objects = dict(observation.objects)
        settings = self.settings
        prior = dict(previous)

        def program() -> None:
            run_objects(objects, settings, previous=prior)

        return automation.StackTarget(stack=self.stack, work_dir=self.work_dir, program=program)

    def outputs(self) -> Mapping[str, Any]:
        """The stack's outputs; their digest only when the latest update succeeded (one
        cancelled mid-way records the digest of what it did not finish)."""
        target = self._target(None, {})
        try:
            found = dict(automation.read_stack_outputs(target, pulumi_command=self.pulumi_command))
        except automation.StackNotFound:
            return {}
        if MODEL_DIGEST in found and not automation.last_update_succeeded(target, pulumi_command=self.pulumi_command):
            del found[MODEL_DIGEST]
        return found

    def preview(self, observation: Observation, previous: Mapping[str, Any], *,
                refresh: bool = False) -> Mapping[str, int]:
        result = automation.run_operation(self._target(observation, previous), "preview", on_output=self.on_output,
                                          refresh=refresh, pulumi_command=self.pulumi_command)
        return result.summary

    def up(self, observation: Observation, previous: Mapping[str, Any], *, refresh: bool = False) -> Dict[str, Any]:
        result = automation.run_operation(self._target(observation, previous), "up", on_output=self.on_output,
                                          refresh=refresh, pulumi_command=self.pulumi_command)
        return result.outputs

    def cancel(self) -> None:
        automation.cancel_update(self._target(None, {}), pulumi_command=self.pulumi_command)
