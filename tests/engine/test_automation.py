"""Tests for lattice_program.engine.automation, the Automation API driver.

The pulumi binary is not available here, so ``FakePulumiCLI`` stands in for it at the
seam the Automation API offers: a ``PulumiCommand`` subclass overriding ``run()``.  It
answers the argv the real API builds the way the CLI does, including the engine events
that ``Stack.preview()`` reads from ``--event-log`` (a file up to CLI 3.205, a gRPC
stream after).  One smoke test runs the real CLI where it is installed.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import stat
from pathlib import Path
from typing import Optional

import pytest
import yaml
from pulumi.automation import CommandResult
from semver import VersionInfo

from tests.support.engines import engine_bin_dir
from tests.support.pulumi_cli import (
    DIY_LOCK_STDERR,
    SERVICE_LOCK_STDERR,
    SERVICE_NETWORK_ARN,
    OPERATIONS,
    FakePulumiCLI,
    flag,
)

from lattice_program.engine.automation import (
    PULUMI_MISSING_EXIT_CODE,
    STACK_LOCKED_EXIT_CODE,
    AutomationError,
    OperationResult,
    PulumiCommandFailed,
    PulumiNotInstalled,
    StackLocked,
    StackNotFound,
    StackTarget,
    find_pulumi,
    make_pulumi_command,
    open_stack,
    read_stack_outputs,
    run_operation,
    stack_config_path,
)

@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory shaped like the repo root."""
    work_dir = tmp_path / "project"
    (work_dir / "stacks").mkdir(parents=True)
    (work_dir / "Pulumi.yaml").write_text(
        "name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n", encoding="utf-8"
    )
    (work_dir / "__main__.py").write_text("", encoding="utf-8")
    (work_dir / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    return work_dir


def _empty_program() -> None:
    return None


# -- argv sent for each operation -------------------------------------------------------


def test_preview_creates_missing_stack_and_sends_local_preview(project: Path) -> None:
    cli = FakePulumiCLI()

    result = run_operation(
        StackTarget(stack="dev", work_dir=project), "preview", pulumi_command=cli
    )

    assert cli.commands() == [
        ["stack", "select", "--stack", "dev"],
        ["stack", "init", "dev"],
        ["preview", "--exec-kind", "auto.local", "--event-log", "<event-log>", "--stack", "dev"],
    ]
    assert {call.cwd for call in cli.calls} == {str(project)}
    assert all(call.env.get("PULUMI_SKIP_UPDATE_CHECK") == "true" for call in cli.calls)
    assert result.operation == "preview"
    assert result.stack == "dev"


def test_up_on_existing_stack_runs_without_prompts_and_reads_outputs_and_history(
    project: Path,
) -> None:
    cli = FakePulumiCLI(stacks=("dev",))

    run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=cli)

    assert cli.commands() == [
        ["stack", "select", "--stack", "dev"],
        ["up", "--yes", "--skip-preview", "--exec-kind", "auto.local", "--stack", "dev"],
        ["stack", "output", "--json", "--stack", "dev"],
        ["stack", "output", "--json", "--show-secrets", "--stack", "dev"],
        [
            "stack",
            "history",
            "--json",
            "--show-secrets",
            "--page-size",
            "1",
            "--page",
            "1",
            "--stack",
            "dev",
        ],
    ]
    assert {call.cwd for call in cli.calls} == {str(project)}


def test_destroy_runs_without_prompts(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",), changes={"destroy": {"delete": 4}})

    result = run_operation(
        StackTarget(stack="dev", work_dir=project), "destroy", pulumi_command=cli
    )

    assert cli.commands()[1] == [
        "destroy",
        "--skip-preview",
        "--yes",
        "--exec-kind",
        "auto.local",
        "--stack",
        "dev",
    ]
    assert result.summary == {"delete": 4}
    assert result.outputs == {}


def test_refresh_flag_is_passed_to_up_and_preview(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",))
    target = StackTarget(stack="dev", work_dir=project)

    run_operation(target, "preview", refresh=True, pulumi_command=cli)
    run_operation(target, "up", refresh=True, pulumi_command=cli)

    sent = [args for args in cli.commands() if args[0] in OPERATIONS]
    assert sent[0][:2] == ["preview", "--refresh"]
    assert sent[1][:4] == ["up", "--yes", "--skip-preview", "--refresh"]


def test_refresh_operation(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",), changes={"refresh": {"same": 7, "update": 1}})

    result = run_operation(
        StackTarget(stack="dev", work_dir=project), "refresh", pulumi_command=cli
    )

    assert cli.commands()[1] == [
        "refresh",
        "--skip-preview",
        "--yes",
        "--exec-kind",
        "auto.local",
        "--stack",
        "dev",
    ]
    assert result.summary == {"same": 7, "update": 1}
    assert result.has_changes


def test_qualified_stack_name_is_passed_through(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("acme/lattice-gateway/dev",))

    run_operation(
        StackTarget(stack="acme/lattice-gateway/dev", work_dir=project), "up", pulumi_command=cli
    )

    assert cli.commands()[1][-2:] == ["--stack", "acme/lattice-gateway/dev"]


# -- what is parsed from the CLI's answers ----------------------------------------------


@pytest.mark.parametrize(
    "cli_version", ["3.200.0", "3.272.0"], ids=["event-log-file", "event-log-grpc"]
)
def test_preview_summary_comes_from_the_engine_summary_event(
    project: Path, cli_version: str
) -> None:
    cli = FakePulumiCLI(
        version=cli_version,
        stacks=("dev",),
        changes={"preview": {"create": 3, "same": 10, "delete": 1}},
    )
    seen: list[str] = []

    result = run_operation(
        StackTarget(stack="dev", work_dir=project),
        "preview",
        on_output=seen.append,
        pulumi_command=cli,
    )

    event_log = flag(cli.calls[-1].args, "--event-log")
    assert event_log is not None
    assert event_log.startswith("tcp://") == (cli_version == "3.272.0")
    assert result.summary == {"create": 3, "same": 10, "delete": 1}
    assert result.has_changes
    assert seen == list(cli.stdout_lines)
    assert result.stdout == "\n".join(cli.stdout_lines)


def test_up_summary_and_outputs_with_secrets_masked(project: Path) -> None:
    cli = FakePulumiCLI(
        stacks=("dev",),
        changes={"up": {"create": 5, "same": 2}},
        outputs={
            "service_network_arn": SERVICE_NETWORK_ARN,
            "token": "s3cr3t",
        },
        secret_outputs=("token",),
    )
    target = StackTarget(stack="dev", work_dir=project)

    result = run_operation(target, "up", pulumi_command=cli)

    assert result.summary == {"create": 5, "same": 2}
    assert result.outputs == {
        "service_network_arn": SERVICE_NETWORK_ARN,
        "token": "[secret]",
    }
    assert read_stack_outputs(target, pulumi_command=cli)["token"] == "[secret]"
    assert read_stack_outputs(target, show_secrets=True, pulumi_command=cli)["token"] == "s3cr3t"


def test_no_changes_is_reported_as_such(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",), changes={"preview": {"same": 12}})

    result = run_operation(
        StackTarget(stack="dev", work_dir=project), "preview", pulumi_command=cli
    )

    assert result.summary == {"same": 12}
    assert not result.has_changes


def test_preview_without_summary_event_is_a_typed_error(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",))
    cli.emit_summary = False

    with pytest.raises(AutomationError, match="stack 'dev'.*summary event"):
        run_operation(StackTarget(stack="dev", work_dir=project), "preview", pulumi_command=cli)


# -- failures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stderr", [DIY_LOCK_STDERR, SERVICE_LOCK_STDERR], ids=["diy-backend", "service"]
)
def test_locked_stack_is_a_typed_error_that_names_the_stack(project: Path, stderr: str) -> None:
    cli = FakePulumiCLI(stacks=("dev",))
    cli.failures["up"] = CommandResult(stdout="Updating (dev):", stderr=stderr, code=255)

    with pytest.raises(StackLocked) as caught:
        run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=cli)

    error = caught.value
    assert error.stack == "dev"
    assert error.exit_code == STACK_LOCKED_EXIT_CODE
    message = str(error)
    assert "stack 'dev' is locked" in message
    assert "pulumi cancel --stack dev" in message
    assert "Only if you know no update is running" in message
    assert stderr.splitlines()[-1].strip() in message
    assert error.__cause__ is None and error.__suppress_context__


def test_failed_update_carries_the_stderr_tail(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",))
    stderr = "\n".join(f"stderr line {n}" for n in range(30))
    cli.failures["up"] = CommandResult(
        stdout="Updating (dev):\n  error: boom", stderr=stderr, code=255
    )

    with pytest.raises(PulumiCommandFailed) as caught:
        run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=cli)

    error = caught.value
    assert error.cli_exit_code == 255
    assert error.command == "up"
    assert error.stderr_tail.splitlines() == [f"stderr line {n}" for n in range(10, 30)]
    assert str(error).startswith("pulumi up for stack 'dev' failed (exit code 255):")
    assert "stderr line 9\n" not in str(error)
    assert "Updating (dev)" not in str(error)


def test_failed_command_without_stderr_falls_back_to_stdout(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",))
    cli.failures["preview"] = CommandResult(stdout="error: program failed", stderr="", code=1)

    with pytest.raises(PulumiCommandFailed, match="error: program failed"):
        run_operation(StackTarget(stack="dev", work_dir=project), "preview", pulumi_command=cli)


def test_inline_refresh_on_a_cli_too_old_for_it(tmp_path: Path) -> None:
    cli = FakePulumiCLI(version="3.170.0", stacks=("dev",))
    target = StackTarget(stack="dev", work_dir=tmp_path, program=_empty_program)

    with pytest.raises(AutomationError, match="pulumi refresh for stack 'dev'.*3.181"):
        run_operation(target, "refresh", pulumi_command=cli)


def test_binary_removed_after_the_command_was_built(project: Path) -> None:
    class VanishedCLI(FakePulumiCLI):
        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            raise FileNotFoundError(2, "No such file or directory", "/opt/pulumi/bin/pulumi")

    with pytest.raises(PulumiNotInstalled, match="not found at /opt/pulumi/bin/pulumi"):
        run_operation(
            StackTarget(stack="dev", work_dir=project), "up", pulumi_command=VanishedCLI()
        )


@pytest.mark.parametrize("operation", ["destroy", "refresh"])
def test_destroy_and_refresh_do_not_create_a_missing_stack(project: Path, operation: str) -> None:
    cli = FakePulumiCLI()

    with pytest.raises(StackNotFound, match="stack 'prod' does not exist"):
        run_operation(StackTarget(stack="prod", work_dir=project), operation, pulumi_command=cli)

    assert cli.commands() == [["stack", "select", "--stack", "prod"]]


def test_read_outputs_of_missing_stack(project: Path) -> None:
    cli = FakePulumiCLI()

    with pytest.raises(StackNotFound):
        read_stack_outputs(StackTarget(stack="dev", work_dir=project), pulumi_command=cli)

    assert ["stack", "init", "dev"] not in cli.commands()


def test_local_program_needs_a_project_file(tmp_path: Path) -> None:
    cli = FakePulumiCLI()

    with pytest.raises(AutomationError, match="no Pulumi.yaml in"):
        run_operation(StackTarget(stack="dev", work_dir=tmp_path), "preview", pulumi_command=cli)

    assert cli.calls == []


@pytest.mark.parametrize("name", ["", "dev env", "a/b/c/d", "dev;rm"])
def test_invalid_stack_name(name: str) -> None:
    with pytest.raises(AutomationError, match="invalid stack name"):
        StackTarget(stack=name)


def test_unknown_operation(project: Path) -> None:
    with pytest.raises(ValueError, match="unknown operation 'apply'"):
        run_operation(
            StackTarget(stack="dev", work_dir=project), "apply", pulumi_command=FakePulumiCLI()
        )


def test_default_work_dir_is_the_repo_root() -> None:
    work_dir = StackTarget(stack="dev").work_dir
    assert (work_dir / "Pulumi.yaml").is_file() and (work_dir / "__main__.py").is_file(), work_dir


# -- inline programs --------------------------------------------------------------------


def test_inline_program_installs_the_aws_plugin_of_the_installed_sdk(tmp_path: Path) -> None:
    cli = FakePulumiCLI()
    expected_version = f"v{importlib.metadata.version('pulumi_aws')}"

    run_operation(
        StackTarget(stack="dev", work_dir=tmp_path, program=_empty_program),
        "preview",
        pulumi_command=cli,
    )

    assert cli.commands() == [
        ["stack", "select", "--stack", "dev"],
        ["stack", "init", "dev"],
        ["plugin", "install", "resource", "aws", expected_version],
        [
            "preview",
            "--client=<port>",
            "--exec-kind",
            "auto.inline",
            "--event-log",
            "<event-log>",
            "--stack",
            "dev",
        ],
    ]
    # Without a Pulumi.yaml in work_dir the Automation API writes one for the project.
    assert yaml.safe_load((tmp_path / "Pulumi.yaml").read_text())["name"] == "lattice-gateway"


def test_inline_program_in_project_dir_keeps_its_project_file(project: Path) -> None:
    before = (project / "Pulumi.yaml").read_text()
    cli = FakePulumiCLI(stacks=("dev",))

    open_stack(
        StackTarget(stack="dev", work_dir=project, program=_empty_program), pulumi_command=cli
    )

    assert (project / "Pulumi.yaml").read_text() == before


def test_local_program_installs_no_plugins(project: Path) -> None:
    cli = FakePulumiCLI(stacks=("dev",))

    run_operation(StackTarget(stack="dev", work_dir=project), "up", pulumi_command=cli)

    commands = cli.commands()
    assert [args for args in commands if args[0] == "up"], f"no up was run at all: {commands}"
    assert not [args for args in commands if args[0] == "plugin"], commands


def test_inline_program_needing_an_uninstalled_provider(tmp_path: Path) -> None:
    target = StackTarget(
        stack="dev", work_dir=tmp_path, program=_empty_program, plugins=("no-such-provider",)
    )

    with pytest.raises(AutomationError, match="pip install pulumi-no-such-provider"):
        run_operation(target, "preview", pulumi_command=FakePulumiCLI())


# -- stack config path ------------------------------------------------------------------


def test_stack_config_path_honours_stack_config_dir(project: Path) -> None:
    assert stack_config_path(project, "dev") == project / "stacks" / "Pulumi.dev.yaml"
    assert stack_config_path(project, "staging") == project / "stacks" / "Pulumi.staging.yaml"
    assert (
        stack_config_path(project, "acme/lattice-gateway/dev")
        == project / "stacks" / "Pulumi.dev.yaml"
    )


def test_stack_config_path_without_stack_config_dir(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")

    assert stack_config_path(tmp_path, "dev") == tmp_path / "Pulumi.dev.yaml"


def test_stack_config_path_prefers_an_existing_yml(project: Path) -> None:
    (project / "stacks" / "Pulumi.prod.yml").write_text("config: {}\n")

    assert stack_config_path(project, "prod") == project / "stacks" / "Pulumi.prod.yml"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no Pulumi.yaml in"),
        ("- just\n- a list\n", "must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
        (
            "name: p\nruntime: python\nstackConfigDir: 7\n",
            "stackConfigDir must be a directory path",
        ),
    ],
)
def test_stack_config_path_bad_project_file(
    tmp_path: Path, content: Optional[str], message: str
) -> None:
    if content is not None:
        (tmp_path / "Pulumi.yaml").write_text(content)

    with pytest.raises(AutomationError, match=message):
        stack_config_path(tmp_path, "dev")


# -- finding the binary -----------------------------------------------------------------


@pytest.fixture
def no_pulumi_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An environment with no pulumi on PATH, in PULUMI_HOME or in ~/.pulumi."""
    empty_path = tmp_path / "empty-path"
    empty_path.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PATH", str(empty_path))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    return tmp_path


def _fake_binary(path: Path, *, prints: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {prints}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def test_missing_binary_raises_the_one_line_install_hint(no_pulumi_anywhere: Path) -> None:
    with pytest.raises(PulumiNotInstalled) as caught:
        find_pulumi()

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "pulumi CLI not found on PATH; install it from https://www.pulumi.com/docs/install/"
    )
    assert caught.value.exit_code == PULUMI_MISSING_EXIT_CODE == 3


def test_operation_without_binary_raises_not_installed_not_file_not_found(
    no_pulumi_anywhere: Path, project: Path
) -> None:
    with pytest.raises(PulumiNotInstalled):
        run_operation(StackTarget(stack="dev", work_dir=project), "preview")


def test_explicit_path_that_does_not_exist(no_pulumi_anywhere: Path) -> None:
    missing = no_pulumi_anywhere / "opt" / "pulumi"

    with pytest.raises(
        PulumiNotInstalled, match=f"pulumi CLI not found at {re.escape(str(missing))}"
    ):
        find_pulumi(str(missing))


def test_binary_on_path_is_found_and_its_version_read(
    no_pulumi_anywhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = _fake_binary(no_pulumi_anywhere / "tools" / "bin" / "pulumi", prints="v3.200.0")
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")

    assert find_pulumi() == str(binary)
    command = make_pulumi_command()
    assert command.command == str(binary)
    assert command.version == VersionInfo(3, 200, 0)


def test_installer_location_is_found_when_not_on_path(no_pulumi_anywhere: Path) -> None:
    binary = _fake_binary(
        no_pulumi_anywhere / "home" / ".pulumi" / "bin" / "pulumi", prints="v3.210.1"
    )

    assert find_pulumi() == str(binary)
    assert make_pulumi_command().version == VersionInfo(3, 210, 1)


def test_explicit_install_root(no_pulumi_anywhere: Path) -> None:
    root = no_pulumi_anywhere / "opt" / "pulumi"
    binary = _fake_binary(root / "bin" / "pulumi", prints="v3.200.0")

    assert find_pulumi(str(root)) == str(binary)
    assert find_pulumi(str(binary)) == str(binary)


def test_binary_with_unusable_version(no_pulumi_anywhere: Path) -> None:
    root = no_pulumi_anywhere / "opt" / "pulumi"
    _fake_binary(root / "bin" / "pulumi", prints="v2.0.0")

    with pytest.raises(AutomationError, match="unusable pulumi CLI"):
        make_pulumi_command(str(root))


def test_operation_result_has_changes_ignores_same() -> None:
    unchanged = OperationResult(
        operation="preview", stack="dev", summary={"same": 3, "create": 0}, outputs={}, stdout=""
    )
    assert not unchanged.has_changes


# -- the real CLI -----------------------------------------------------------------------


@pytest.mark.needs_pulumi_cli
def test_real_cli_previews_an_empty_inline_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{engine_bin_dir('pulumi')}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    state = tmp_path / "state"
    state.mkdir()
    work_dir = tmp_path / "project"
    work_dir.mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{state}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    # An empty program needs no provider: installing none keeps the test offline.
    target = StackTarget(stack="smoke", work_dir=work_dir, program=_empty_program, plugins=())

    result = run_operation(target, "preview")

    assert result.operation == "preview"
    assert result.summary == {"create": 1}  # the pulumi:pulumi:Stack resource itself
