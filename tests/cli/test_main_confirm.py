"""Asking before a change: `up` and `destroy` at a terminal, a protected stack's name typed,
settings that cannot be read treated as protected, and an operation cancelled by a signal."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path

import pytest
import typer.testing
from typer.testing import CliRunner

from cli.main import app
from tests.support.automation_double import answer_operations

runner = CliRunner()


class _TerminalInput(io.BytesIO):
    """Standard input that is a terminal, holding what the person types."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def at_a_terminal(monkeypatch):
    monkeypatch.setattr(typer.testing, "make_input_stream",
                        lambda input, charset: _TerminalInput((input or "").encode(charset)))


def project(tmp_path: Path, settings: str) -> Path:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(settings)
    return tmp_path


PROTECTED = "config:\n  lattice-gateway:protect: true\n"


def test_up_declined_at_the_terminal_changes_nothing(monkeypatch, at_a_terminal):
    operations = answer_operations(monkeypatch, {"create": 2})

    result = runner.invoke(app, ["up", "--stack", "dev"], input="n\n")

    assert result.exit_code == 1, result.output
    assert "Do you want to up stack dev? [y/N]" in result.stdout
    assert result.stderr.strip() == "latticectl: nothing was changed"
    assert operations == ["preview"]


def test_up_accepted_at_the_terminal_applies(monkeypatch, at_a_terminal):
    operations = answer_operations(monkeypatch, {"create": 2})

    result = runner.invoke(app, ["up", "--stack", "dev"], input="y\n")

    assert result.exit_code == 0, result.output
    assert operations == ["preview", "up"]
    assert "Changes to stack dev, by Kubernetes object:" in result.stdout
    assert result.stdout.rstrip().endswith("up of stack dev: create 2")


def test_a_protected_stack_is_destroyed_when_its_name_is_typed(monkeypatch, tmp_path, at_a_terminal):
    operations = answer_operations(monkeypatch, {"delete": 12})
    root = project(tmp_path, PROTECTED)

    result = runner.invoke(app, ["destroy", "--stack", "prod", "--project-dir", str(root)], input="prod\n")

    assert result.exit_code == 0, result.output
    assert "Stack prod is protected. Type its name to destroy it" in result.stdout
    assert operations == ["preview-destroy", "destroy"]


def test_a_wrong_name_typed_destroys_nothing(monkeypatch, tmp_path, at_a_terminal):
    operations = answer_operations(monkeypatch, {"delete": 12})
    root = project(tmp_path, PROTECTED)

    result = runner.invoke(app, ["destroy", "--stack", "prod", "--yes", "--project-dir", str(root)], input="dev\n")

    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == "latticectl: the name did not match; nothing was changed"
    assert operations == ["preview-destroy"]


def test_settings_that_cannot_be_read_are_treated_as_protected(monkeypatch, tmp_path):
    operations = answer_operations(monkeypatch, {"delete": 12})
    # protect is set, but another key is invalid: the file as a whole cannot be read.
    root = project(tmp_path, PROTECTED + "  lattice-gateway:rulesPerListener: 0\n")

    refused = runner.invoke(app, ["destroy", "--stack", "prod", "--yes", "--project-dir", str(root)])

    assert refused.exit_code == 2, refused.output
    message = refused.stderr.strip()
    assert message.startswith("latticectl: stack prod may be protected: its settings cannot be read (")
    assert "lattice-gateway:rulesPerListener" in message
    assert message.endswith(": destroy it only with --confirm-stack prod, or from a terminal")
    assert operations == ["preview-destroy"]

    confirmed = runner.invoke(app, ["destroy", "--stack", "prod", "--confirm-stack", "prod",
                                    "--project-dir", str(root)])

    assert confirmed.exit_code == 0, confirmed.output
    assert operations == ["preview-destroy", "preview-destroy", "destroy"]


def test_an_operation_cancelled_by_a_signal_says_the_stack_is_not_locked(monkeypatch):
    from lattice_program.engine import automation

    answer_operations(monkeypatch, {"create": 2})

    def interrupted(target, operation, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # taken by latticectl's handler, not this process's death
        raise automation.AutomationError("the update was cancelled")

    monkeypatch.setattr(automation, "run_operation", interrupted)
    handler_before = signal.getsignal(signal.SIGTERM)

    result = runner.invoke(app, ["preview", "--stack", "dev"])

    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == (
        "latticectl: preview of stack dev was cancelled by SIGTERM: the operations in flight finished, state was "
        "saved and the stack is not locked; run it again to go on")
    assert signal.getsignal(signal.SIGTERM) == handler_before  # latticectl's handler is gone afterwards
