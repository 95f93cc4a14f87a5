"""The driver's less travelled paths, each with its outcome: a lock seen in the backend's
lock files (not in the error text), whether the last update succeeded, ``pulumi cancel``,
the ways a ``pulumi`` binary can be unusable, and errors that carry no CLI result."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest
from pulumi import automation as auto
from pulumi.automation import CommandResult

from lattice_program.engine.automation import (
    AutomationError,
    PulumiCommandFailed,
    PulumiNotInstalled,
    StackLocked,
    StackNotFound,
    StackTarget,
    cancel_update,
    last_update_succeeded,
    make_pulumi_command,
    run_operation,
)
from lattice_program.engine.locks import LockHolder
from tests.support.pulumi_cli import CliCall, FakePulumiCLI

FREE_PID = 2 ** 22 + 1  # above any kernel's pid_max: no process has it


class BackendCLI(FakePulumiCLI):
    """The double, also answering ``whoami`` with a file backend and ``cancel``."""

    def __init__(self, backend: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.backend = backend
        self.cancelled = False

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):
        if list(args[:1]) == ["whoami"]:
            self.calls.append(CliCall(args=list(args), cwd=cwd, env=dict(additional_env)))
            return CommandResult(stdout=json.dumps({"user": "ci", "url": f"file://{self.backend}"}),
                                 stderr="", code=0)
        if list(args[:1]) == ["cancel"]:
            super().run(["stack", "select", "--stack", args[args.index("--stack") + 1]], cwd, additional_env)
            self.cancelled = True
            return CommandResult(stdout="The currently running update has been canceled.", stderr="", code=0)
        return super().run(args, cwd, additional_env, on_output, on_error)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    work_dir = tmp_path / "project"
    (work_dir / "stacks").mkdir(parents=True)
    (work_dir / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (work_dir / "__main__.py").write_text("")
    return work_dir


def _lock_file(backend: Path, pid: int, hostname: str) -> Path:
    path = backend / ".pulumi" / "locks" / "organization" / "lattice-gateway" / "dev" / "3f1c.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "username": "ci", "hostname": hostname,
                                "timestamp": "2026-01-01T00:00:00Z"}))
    return path


# -- locks from the backend ---------------------------------------------------------------


def test_a_failure_whose_text_says_nothing_of_a_lock_is_a_lock_when_the_backend_holds_one(project, tmp_path):
    backend = tmp_path / "state"
    lock = _lock_file(backend, FREE_PID, socket.gethostname())
    cli = BackendCLI(backend, stacks=("dev",))
    cli.failures["up"] = CommandResult(stdout="", stderr="error: could not write checkpoint", code=255)

    with pytest.raises(StackLocked) as caught:
        run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=cli)

    error = caught.value
    assert error.holders == [LockHolder(FREE_PID, "ci", socket.gethostname(), "2026-01-01T00:00:00Z", lock)]
    assert error.holders_gone
    assert f"Held by ci@{socket.gethostname()} (pid {FREE_PID}" in str(error)
    assert "which is no longer running" in str(error)
    assert error.detail == "error: could not write checkpoint"


def test_the_same_failure_without_a_lock_file_stays_a_failed_command(project, tmp_path):
    cli = BackendCLI(tmp_path / "state", stacks=("dev",))
    cli.failures["up"] = CommandResult(stdout="", stderr="error: could not write checkpoint", code=255)

    with pytest.raises(PulumiCommandFailed, match="could not write checkpoint"):
        run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=cli)


def test_holders_gone_needs_every_holder_known_and_gone(tmp_path):
    here, elsewhere = socket.gethostname(), socket.gethostname() + "-elsewhere"
    dead = LockHolder(FREE_PID, "ci", here, "t", tmp_path / "a.json")
    remote = LockHolder(FREE_PID, "ci", elsewhere, "t", tmp_path / "b.json")

    def locked(holders):
        return StackLocked("dev", work_dir=tmp_path, detail="", holders=holders)

    assert locked([dead]).holders_gone
    assert not locked([dead, remote]).holders_gone
    assert not locked([]).holders_gone
    assert not locked(None).holders_gone
    assert "Held by" not in str(locked(None))


# -- history and cancel ---------------------------------------------------------------------


def test_last_update_succeeded_reads_the_newest_history_entry(project, tmp_path):
    cli = BackendCLI(tmp_path / "state", stacks=("dev",))
    target = StackTarget(stack="dev", work_dir=project)
    assert last_update_succeeded(target, pulumi_command=cli) is False  # no update yet

    run_operation(target, "up", pulumi_command=cli)
    assert last_update_succeeded(target, pulumi_command=cli) is True
    assert ["stack", "history", "--json", "--page-size", "1", "--page", "1", "--stack", "dev"] in cli.commands()

    cli.history["dev"].insert(0, {**cli.history["dev"][0], "result": "failed", "version": 2})
    assert last_update_succeeded(target, pulumi_command=cli) is False


def test_last_update_of_a_missing_stack_is_stack_not_found(project, tmp_path):
    with pytest.raises(StackNotFound, match="stack 'prod' does not exist"):
        last_update_succeeded(StackTarget(stack="prod", work_dir=project),
                              pulumi_command=BackendCLI(tmp_path / "state"))


def test_cancel_update_runs_pulumi_cancel_on_the_stack(project, tmp_path):
    cli = BackendCLI(tmp_path / "state", stacks=("dev",))
    cancel_update(StackTarget(stack="dev", work_dir=project), pulumi_command=cli)
    assert cli.cancelled
    with pytest.raises(StackNotFound):
        cancel_update(StackTarget(stack="prod", work_dir=project), pulumi_command=cli)


# -- unusable binaries --------------------------------------------------------------------


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def empty_path(tmp_path, monkeypatch) -> Path:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    return empty


def test_a_binary_on_path_outside_a_bin_directory_is_run_from_path(tmp_path, empty_path, monkeypatch):
    binary = _script(tmp_path / "tools" / "pulumi", "#!/bin/sh\necho v3.200.0\n")
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{empty_path}")
    command = make_pulumi_command()
    assert (command.command, str(command.version)) == ("pulumi", "3.200.0")


def test_a_binary_outside_bin_and_off_path_is_refused_with_what_to_pass(tmp_path, empty_path):
    binary = _script(tmp_path / "tools" / "pulumi", "#!/bin/sh\necho v3.200.0\n")
    with pytest.raises(AutomationError, match="not inside a bin/ directory; pass its install root"):
        make_pulumi_command(str(binary))


def test_a_binary_whose_interpreter_is_gone_is_not_installed(tmp_path, empty_path):
    root = tmp_path / "opt" / "pulumi"
    _script(root / "bin" / "pulumi", "#!/nonexistent/interpreter\n")
    with pytest.raises(PulumiNotInstalled, match=f"pulumi CLI at {root}/bin/pulumi could not be run"):
        make_pulumi_command(str(root))


@pytest.mark.parametrize("body, why", [("#!/bin/sh\necho broken >&2\nexit 3\n", "returned non-zero exit status 3"),
                                       ("\x7fELF not really\n", "Exec format error")],
                         ids=["exits-non-zero", "not-an-executable"])
def test_a_binary_whose_version_fails_is_an_error_naming_it(tmp_path, empty_path, body, why):
    root = tmp_path / "opt" / "pulumi"
    _script(root / "bin" / "pulumi", body)
    with pytest.raises(AutomationError, match=f"`{root}/bin/pulumi version` failed: .*{why}") as caught:
        make_pulumi_command(str(root))
    assert not isinstance(caught.value, PulumiNotInstalled)


# -- errors without a CLI result ------------------------------------------------------------


def test_a_project_directory_that_does_not_exist(tmp_path):
    with pytest.raises(AutomationError, match=f"project directory {tmp_path}/nowhere does not exist"):
        run_operation(StackTarget(stack="dev", work_dir=tmp_path / "nowhere"), "preview",
                      pulumi_command=FakePulumiCLI())


def test_a_missing_file_that_is_not_the_binary_is_not_reported_as_a_missing_cli(project):
    class MissingConfigCLI(FakePulumiCLI):
        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            raise FileNotFoundError(2, "No such file or directory", "/project/stacks/Pulumi.dev.yaml")

    with pytest.raises(FileNotFoundError) as caught:
        run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=MissingConfigCLI())
    assert not isinstance(caught.value, PulumiNotInstalled)
    assert caught.value.filename == "/project/stacks/Pulumi.dev.yaml"


def test_a_command_error_without_the_cli_result_text_keeps_its_whole_text(project):
    class OddCLI(FakePulumiCLI):
        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            if args[0] == "up":
                raise auto.CommandError("the engine's connection was reset")
            return super().run(args, cwd, additional_env, on_output, on_error)

    with pytest.raises(PulumiCommandFailed) as caught:
        run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=OddCLI(stacks=("dev",)))
    assert caught.value.cli_exit_code is None
    assert str(caught.value) == "pulumi up for stack 'dev' failed (failed):\nthe engine's connection was reset"
