"""Safe output (issue 14): whatever a manifest holds, what latticectl prints cannot steer
the terminal: control characters and bidirectional overrides are shown as escapes, on
the tree, on stderr, in JSON, through CliRunner and on a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import render
from cli.main import app
from cli.terminal import echo_tool_line, printable
from lattice_program.vocabulary.text import shorten
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service, world

ROOT = Path(__file__).resolve().parents[2]
HIDE = "\x1b[8m"  # SGR 8, conceal: every line after it vanishes from a terminal
FLIP = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
runner = CliRunner()


def hostile_world(tmp_path: Path) -> Path:
    """A valid route whose header match carries the sequences, and an invalid one named with them."""
    route = http_route("r", parents=["edge"], backends=[("web", 80)])
    route["spec"]["rules"][0]["matches"] = [{"headers": [{"name": "x-evil", "value": f"{HIDE}hidden{FLIP}txt.exe"}]}]
    bad = http_route(f"bad{HIDE}{FLIP}\rname", parents=["edge"], backends=[("web", 80)])
    file = tmp_path / "hostile.yaml"
    file.write_text(world(gateway_class(), gateway("edge"), service("web"), endpoint_slice("web"), route, bad))
    return file


def assert_escaped(text: str) -> None:
    assert HIDE not in text and FLIP not in text and "\r" not in text
    assert "\\x1b[8mhidden\\u202etxt.exe" in text  # the value is still there, visibly


def test_the_tree_escapes_every_value_from_a_manifest(tmp_path: Path):
    result = runner.invoke(app, ["plan", str(hostile_world(tmp_path))])
    assert result.exit_code == 0, result.output
    assert_escaped(result.stdout)
    assert "HTTPRoute default/bad\\x1b[8m\\u202e\\rname" in result.stdout


def test_json_output_carries_the_values_exactly_and_escaped(tmp_path: Path):
    result = runner.invoke(app, ["plan", str(hostile_world(tmp_path)), "--output", "json"])
    assert result.exit_code == 0, result.output
    assert HIDE not in result.stdout and FLIP not in result.stdout
    document = json.loads(result.stdout)
    assert any(p["object"] and p["object"]["name"] == f"bad{HIDE}{FLIP}\rname" for p in document["problems"])


def test_an_error_naming_a_hostile_path_is_escaped_and_one_line(tmp_path: Path):
    missing = tmp_path / f"x{HIDE}\n{FLIP}.yaml"
    result = runner.invoke(app, ["plan", str(missing)])
    assert result.exit_code == 2
    assert HIDE not in result.stderr and FLIP not in result.stderr
    assert result.stderr.count("\n") == 1 and "x\\x1b[8m\\n\\u202e.yaml: no such file or directory" in result.stderr


def _run_on_a_terminal(*args: str, timeout: float = 60) -> bytes:
    """latticectl with stdout and stderr on a pseudo-terminal; everything it wrote."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                               stdout=terminal, stderr=terminal, env={**os.environ, "COLUMNS": "200"})
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed: the child is done
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        process.wait(timeout=10)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    return output


def test_on_a_real_terminal_the_sequences_are_escaped_while_our_colours_stay(tmp_path: Path):
    output = _run_on_a_terminal("plan", str(hostile_world(tmp_path))).decode("utf-8", "replace")
    assert HIDE not in output and FLIP not in output
    assert "\\x1b[8mhidden\\u202etxt.exe" in output
    assert "\x1b[" in output  # rich still colours the tree on a terminal: only manifest text is escaped


def test_a_tool_line_loses_its_colours_and_keeps_no_control_sequence(capsys):
    echo_tool_line(f"\x1b[32m+ Service r-{HIDE}x{FLIP} create\x1b[0m\r\n")
    printed = capsys.readouterr().out
    assert printed == "+ Service r-x\\u202e create\\r\n"


@pytest.mark.parametrize(("text", "shown"), [
    ("plain name", "plain name"),
    ("a\x1b[8mb", "a\\x1b[8mb"),
    ("line\nfaked", "line\\nfaked"),
    ("tab\there", "tab\\there"),
    ("\u202eabc\u2066", "\\u202eabc\\u2066"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("c1\x9bcsi", "c1\\x9bcsi"),
    ("del\x7f", "del\\x7f"),
    ("tag\U000e0041", "tag\\ue0041"),  # a Unicode tag character (category Cf)
    ("undecodable\udcff", "undecodable\\udcff"),
    ("café ünïcode 日本", "café ünïcode 日本"),
])
def test_printable(text, shown):
    assert printable(text) == shown


def test_printable_keeps_lines_we_wrote_when_asked():
    assert printable("one\ntwo\x1b", keep_lines=True) == "one\ntwo\\x1b"


def test_shorten_keeps_messages_short():
    assert shorten("x" * 100, 10) == "x" * 9 + "…"
    assert shorten("short", 40) == "short"


def test_a_huge_message_is_cut_in_the_tree(capsys):
    document = {"resources": [], "targets": [], "objects": [],
                "problems": [{"severity": "error", "object": None, "field": "", "origin": "f.yaml#0",
                              "message": "y" * 100_000}]}
    render.print_tree(document)
    printed = capsys.readouterr().out.replace("\n", "")  # rich wraps at 400 columns off a terminal
    assert "y" * (render.MESSAGE_CHARS - 1) + "…" in printed and "y" * (render.MESSAGE_CHARS + 1) not in printed
