"""The promotion's Automation API engine against the PulumiCommand double: what it sends
the CLI, and how the answers become gates (last update, outputs) and previews."""

from __future__ import annotations

from lattice_program.promote.stack_engine import AutomationPromotionEngine
from lattice_program.promote.recorder import read_inputs
from lattice_program.promote.stacks import load_stack
from tests.promote.doubles import make_project
from tests.support.pulumi_cli import FakePulumiCLI


def test_a_stack_without_history_has_no_succeeded_update_until_an_up(tmp_path):
    root = make_project(tmp_path / "platform")
    cli = FakePulumiCLI(stacks=("staging",), outputs={"modelDigest": "sha256:x"},
                        changes={"preview": {"update": 2, "same": 3}, "up": {"update": 2, "same": 3}})
    engine = AutomationPromotionEngine(root, pulumi_command=cli)
    staging = load_stack(root, "staging")
    objects = read_inputs(root, load_stack(root, "dev"))
    assert engine.last_update_succeeded("staging") is False
    assert engine.last_update_succeeded("qa") is False  # no such stack: not a success
    preview = engine.preview("staging", objects, staging.settings)
    assert preview.summary == {"update": 2, "same": 3} and preview.changes_anything
    assert engine.up("staging", objects, staging.settings) == {"update": 2, "same": 3}
    assert engine.last_update_succeeded("staging") is True
    assert engine.outputs("staging") == {"modelDigest": "sha256:x"}
    sent = [command[0] for command in cli.commands() if command[0] in ("preview", "up")]
    assert sent == ["preview", "up"]
