"""One table of exit codes: the commands use it, docs/exit-codes.md is generated from it,
and the engine's codes agree with it. Shell completion comes with the CLI."""

from __future__ import annotations

import ast
import subprocess
import typing
from enum import Enum
from pathlib import Path

from typer.testing import CliRunner

from cli.exit_codes import ExitCode, markdown
from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_the_exit_code_document_is_generated_from_the_table():
    document = (ROOT / "docs" / "exit-codes.md").read_text()
    assert document == markdown(), "docs/exit-codes.md drifted: run `python -m cli.exit_codes > docs/exit-codes.md`"
    for code in ExitCode:
        assert f"| {code.value} | `{code.name}` |" in document and code.description


def test_the_engine_raises_the_codes_of_the_table():
    from lattice_program.engine import automation

    assert automation.PULUMI_MISSING_EXIT_CODE == ExitCode.TOOL_MISSING
    assert automation.STACK_LOCKED_EXIT_CODE == ExitCode.STACK_LOCKED
    assert automation.AutomationError.exit_code == ExitCode.FAILED


def _literal_exit_codes(path: Path, root: Path = ROOT):
    """``typer.Exit(2)`` or ``_fail(message, 2)``: an exit code written as a bare number."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        codes = node.args[:1] if name == "Exit" else node.args[1:2] if name == "_fail" else []
        codes += [kw.value for kw in node.keywords if kw.arg in ("code", "exit_code")] if name in ("Exit", "_fail") else []
        for code in codes:
            if isinstance(code, ast.Constant) and isinstance(code.value, int) and code.value != 0:
                yield f"{path.relative_to(root)}:{node.lineno}"


def test_every_command_exits_through_the_table(tmp_path):
    found = [where for path in sorted((ROOT / "cli").glob("*.py")) for where in _literal_exit_codes(path)]
    assert found == [], f"exit codes written as numbers (use cli/exit_codes.ExitCode): {found}"
    bad = tmp_path / "bad.py"
    bad.write_text("import typer\nraise typer.Exit(2)\n")
    bad_fail = tmp_path / "bad_fail.py"
    bad_fail.write_text("_fail('no', 3)\n")
    # The checker itself finds a bare number.
    assert list(_literal_exit_codes(bad, tmp_path)) == ["bad.py:2"]
    assert list(_literal_exit_codes(bad_fail, tmp_path)) == ["bad_fail.py:1"]


def test_usage_errors_exit_with_the_usage_code():
    result = runner.invoke(app, ["plan", "examples/checkout-ab", "--stack", "no-such-stack"])
    assert result.exit_code == ExitCode.USAGE


def test_bash_completion_is_offered_for_latticectl():
    # As a person types it in bash: typer finds the shell among the command's parents
    # (shellingham), so the command runs under a bash that does not exec it away.
    command = f"{ROOT / '.venv' / 'bin' / 'latticectl'} --show-completion; exit $?"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "_LATTICECTL_COMPLETE=complete_bash" in done.stdout and "complete -o default -F" in done.stdout
    assert "latticectl" in done.stdout.split("complete -o default -F", 1)[1]
    help_text = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_the_installed_command_completes_its_own_subcommands():
    """Through the console script, as a shell would call it: typing `latticectl gr<TAB>`."""
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "latticectl")], capture_output=True, text=True, timeout=60,
                          env={"_LATTICECTL_COMPLETE": "complete_bash", "COMP_WORDS": "latticectl gr",
                               "COMP_CWORD": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["graph"]


# Commands that print no data of their own: `watch` logs (and takes --log-format json).
PRINTS_NO_DATA = {"watch"}


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def _choices(param) -> set:
    """The values an option's enum annotation allows (typer keeps the annotation)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return {member.value for member in candidate}
    return set(getattr(getattr(param, "type", None), "choices", ()))


def _offers_json(command) -> bool:
    """An ``--output`` or ``--format`` option with ``json`` among its choices."""
    return any({"--output", "--format"} & set(param.opts) and "json" in _choices(param) for param in command.params)


def test_every_command_that_prints_data_can_print_json():
    import typer

    # The commands of cli/main.py; those registered from their own modules test their own output.
    commands = {name: command for name, command in _commands(typer.main.get_command(app))
                if command.callback.__module__ == "cli.main"}
    assert {"plan", "graph", "preview", "up", "destroy", "render-daemon", "targets sync"} <= set(commands)
    missing = [name for name, command in commands.items() if name not in PRINTS_NO_DATA and not _offers_json(command)]
    assert missing == [], f"commands without --output json: {missing}"


def test_render_daemon_json_is_the_yaml_objects():
    import json

    import yaml

    args = ["render-daemon", "--stack", "prod", "--image", "registry.example/lattice-gateway:1"]
    as_yaml = runner.invoke(app, args)
    as_json = runner.invoke(app, [*args, "--output", "json"])
    assert as_yaml.exit_code == 0 and as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document["kind"] == "List" and document["items"] == list(yaml.safe_load_all(as_yaml.stdout))
