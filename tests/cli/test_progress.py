"""Live progress of preview/up: per-resource engine events, played by the FakePulumiCLI
double through the Automation API's own event stream, shown on a terminal's stderr and
nowhere else."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli import progress
from cli.main import app
from tests.support.pulumi_cli import FakePulumiCLI

runner = CliRunner()
PREFIX = "urn:pulumi:dev::lattice-gateway::"
NETWORK = ("aws:vpclattice/serviceNetwork:ServiceNetwork", "Gateway/shop/storefront")
LISTENER = ("aws:vpclattice/listener:Listener", "HTTPRoute/shop/checkout/http-80")
RULE = ("aws:vpclattice/listenerRule:ListenerRule", "HTTPRoute/shop/checkout/http-80/split")


def _metadata(op: str, type_: str, name: str) -> dict:
    return {"op": op, "urn": f"{PREFIX}{type_}::{name}", "type": type_, "provider": ""}


STEPS = [
    {"resourcePreEvent": {"metadata": _metadata("same", "pulumi:pulumi:Stack", "lattice-gateway-dev")}},
    {"resourcePreEvent": {"metadata": _metadata("create", "lattice:index:Gateway", "Gateway/shop/storefront")}},
    {"resourcePreEvent": {"metadata": _metadata("create", *NETWORK)}},
    {"resOutputsEvent": {"metadata": _metadata("create", *NETWORK)}},
    {"resourcePreEvent": {"metadata": _metadata("update", *LISTENER)}},
    {"resOutputsEvent": {"metadata": _metadata("update", *LISTENER)}},
    {"resourcePreEvent": {"metadata": _metadata("delete", *RULE)}},
    {"resOpFailedEvent": {"metadata": _metadata("delete", *RULE), "status": 1, "steps": 1}},
]


class SteppingPulumiCLI(FakePulumiCLI):
    """The double, with the engine's per-resource step events before its summary."""

    def _send_engine_events(self, event_log, events):  # noqa: D401 (same seam as the double)
        FakePulumiCLI._send_engine_events(event_log, events[:1] + STEPS + events[1:])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    return tmp_path


@pytest.fixture
def fake_cli(monkeypatch) -> SteppingPulumiCLI:
    from lattice_program.engine import automation

    cli = SteppingPulumiCLI(stacks=("dev",), changes={"preview": {"create": 1, "update": 1, "delete": 1},
                                                      "up": {"create": 1, "update": 1, "delete": 1}})
    monkeypatch.setattr(automation, "find_pulumi", lambda explicit=None: "/usr/bin/pulumi")
    monkeypatch.setattr(automation, "read_stack_outputs", lambda target, **kw: {})
    monkeypatch.setattr(automation, "run_operation",
                        functools.partial(automation.run_operation, pulumi_command=cli))
    return cli


def _at_a_terminal(monkeypatch) -> None:
    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: True)


def test_a_preview_at_a_terminal_shows_each_resource_step(monkeypatch, project, fake_cli):
    _at_a_terminal(monkeypatch)
    result = runner.invoke(app, ["preview", "--stack", "dev", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert any("ServiceNetwork Gateway/shop/storefront would be created" in line for line in lines), lines
    assert any("Listener HTTPRoute/shop/checkout/http-80 would be updated" in line for line in lines), lines
    assert any(line.startswith("failed ListenerRule HTTPRoute/shop/checkout/http-80/split") for line in lines), lines
    # Our components and the stack itself are not resources anyone waits for.
    assert not any(line.split()[1] in ("Gateway", "Stack") for line in lines), lines
    assert "preview of stack dev:" in result.stdout  # the summary is unchanged


def test_without_a_terminal_nothing_extra_is_shown(project, fake_cli):
    result = runner.invoke(app, ["preview", "--stack", "dev", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert "would be" not in result.output and result.stderr == ""


def test_json_output_gets_no_progress_even_at_a_terminal(monkeypatch, project, fake_cli):
    _at_a_terminal(monkeypatch)
    result = runner.invoke(app, ["preview", "--stack", "dev", "--output", "json", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert json.loads(result.stdout)["operation"] == "preview"


def test_an_up_at_a_terminal_shows_each_step_as_it_finishes(monkeypatch, project, fake_cli):
    _at_a_terminal(monkeypatch)
    result = runner.invoke(app, ["up", "--stack", "dev", "--yes", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert "ok ServiceNetwork Gateway/shop/storefront created" in result.stderr


def test_the_display_times_each_step_and_escapes_markup():
    from pulumi.automation import events

    output = io.StringIO()
    ticks = iter([10.0, 12.5])
    display = progress.LiveProgress(Console(file=output, width=200, color_system=None), planning=False,
                                    clock=lambda: next(ticks))
    name = "HTTPRoute/shop/[bold]odd[/bold]"
    for payload in ({"resourcePreEvent": {"metadata": _metadata("create", RULE[0], name)}},
                    {"resOutputsEvent": {"metadata": _metadata("create", RULE[0], name)}}):
        display.on_event(events.EngineEvent.from_json({"sequence": 1, "timestamp": 1, **payload}))
    text = output.getvalue()
    assert f"ListenerRule {name} creating" in text
    assert f"ok ListenerRule {name} created (2.5s)" in text
    assert display.steps == 1 and display.failed == 0


def test_live_progress_is_off_for_json_and_off_a_terminal(monkeypatch):
    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: False)
    assert progress.live_progress(enabled=True, planning=True) is None
    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: True)
    assert progress.live_progress(enabled=False, planning=True) is None
    assert isinstance(progress.live_progress(enabled=True, planning=True), progress.LiveProgress)
