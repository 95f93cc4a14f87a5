"""latticectl's reads and messages (issue 14): honest reads through the command line,
cluster reads that fail the plan, paths against the project, no tracebacks, messages a
person can act on, --version and -h."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service, world

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "examples" / "checkout-ab"
VPC = "vpc-0a1b2c3d4e5f60789"
runner = CliRunner()


def latticectl(*args: str, cwd: Path = ROOT, stdin: bytes | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def one_line_error(result) -> str:
    err = result.stderr.decode() if isinstance(result.stderr, bytes) else result.stderr
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, err
    return err


# -- honest reads, from the command line ---------------------------------------------------------

def test_plan_excludes_globs_and_says_what_it_skipped(tmp_path: Path):
    shutil.copytree(CHECKOUT, tmp_path / "app")
    (tmp_path / "app" / ".git").mkdir()
    (tmp_path / "app" / ".git" / "x.yaml").write_text("not: [yaml")
    (tmp_path / "app" / "chart").mkdir()
    (tmp_path / "app" / "chart" / "broken.yaml").write_text("not: [yaml")
    (tmp_path / "app" / "values.yml").write_text("replicas: 3\n")
    result = runner.invoke(app, ["plan", str(tmp_path / "app"), "--exclude", "chart", "--exclude", "*.md"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("hidden directories skipped") == 1 and ".git" in result.stdout
    assert "1 path(s) left out by --exclude" in result.stdout
    assert "1 YAML document(s) with neither apiVersion nor kind" in result.stdout
    assert "forward 90 to checkout-v1" in result.stdout  # the rest planned as before


def test_without_the_exclude_the_broken_file_refuses_the_read(tmp_path: Path):
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "broken.yaml").write_text("not: [yaml")
    result = runner.invoke(app, ["plan", str(tmp_path)])
    assert result.exit_code == 2 and "chart/broken.yaml: malformed YAML" in result.stderr


def test_non_utf8_standard_input_is_one_line_and_exit_2():
    for run in (lambda: runner.invoke(app, ["plan", "-"], input=b"apiVersion: v1\nkind: \xff\xfe\n"),
                lambda: latticectl("plan", "-", stdin=b"apiVersion: v1\nkind: \xff\xfe\n")):
        result = run()
        code = getattr(result, "exit_code", None)
        assert (code if code is not None else result.returncode) == 2
        assert "<stdin>: line 2: not UTF-8 text (byte 0xff)" in one_line_error(result)


# -- stack settings: paths and messages ------------------------------------------------------------

def project(tmp_path: Path, settings: str, manifests: str = "") -> Path:
    root = tmp_path / "platform"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: platform\nruntime: python\nstackConfigDir: stacks\n")
    (root / "stacks" / "Pulumi.dev.yaml").write_text(settings)
    if manifests:
        (root / "manifests").mkdir()
        (root / "manifests" / "all.yaml").write_text(manifests)
    (root / "deep" / "er").mkdir(parents=True)
    return root


def small_world() -> str:
    return world(gateway_class(), gateway("edge"), service("web"), endpoint_slice("web"),
                 http_route("web", parents=["edge"], backends=[("web", 80)]))


def test_plan_stack_finds_the_project_upward_and_reads_its_sources_against_it(tmp_path: Path):
    root = project(tmp_path, f"config:\n  lattice-gateway:vpcId: {VPC}\n  lattice-gateway:sources: [manifests]\n",
                   small_world())
    result = latticectl("plan", "--stack", "dev", "--output", "json", cwd=root / "deep" / "er")
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert any(r["name"] == "HTTPRoute/default/web" for r in document["resources"])
    assert {r["inputs"]["config"]["vpcIdentifier"] for r in document["resources"]
            if r["type"] == "aws:vpclattice/targetGroup:TargetGroup"} == {VPC}


def test_outside_any_project_the_stack_message_says_where_it_looked(tmp_path: Path):
    result = latticectl("plan", "--stack", "dev", cwd=tmp_path)
    assert result.returncode == 2
    message = one_line_error(result)
    assert f"no Pulumi.yaml in {tmp_path.resolve()} or any directory above it" in message and "--project-dir" in message


def test_project_dir_given_wins(tmp_path: Path):
    root = project(tmp_path, f"config:\n  lattice-gateway:vpcId: {VPC}\n  lattice-gateway:sources: [manifests]\n",
                   small_world())
    result = latticectl("plan", "--stack", "dev", "--project-dir", str(root), "--output", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()


def test_a_malformed_stack_settings_file_is_one_line_and_exit_2(tmp_path: Path):
    root = project(tmp_path, "config:\n  lattice-gateway:vpcId: [unclosed\n")
    result = latticectl("plan", "--stack", "dev", cwd=root)
    assert result.returncode == 2
    message = one_line_error(result)
    assert "Pulumi.dev.yaml: malformed stack settings:" in message and "line 3" in message


@pytest.mark.parametrize("settings", ["- just\n- a list\n", "config: [a, b]\n", "config: 42\n"])
def test_stack_settings_of_the_wrong_shape_are_one_line_and_exit_2(tmp_path: Path, settings: str):
    root = project(tmp_path, settings)
    result = latticectl("plan", "--stack", "dev", cwd=root)
    assert result.returncode == 2
    assert "Pulumi.dev.yaml: config is not a mapping of keys to values" in one_line_error(result)


def test_settings_messages_say_what_a_valid_value_looks_like(tmp_path: Path):
    root = project(tmp_path, "config:\n  lattice-gateway:clusters:\n"
                             "  - {name: Bad_Name, vpcId: vpc-12345678, accountId: '12'}\n"
                             "  lattice-gateway:vpcIdd: x\n")
    result = runner.invoke(app, ["plan", "--stack", "dev", "--project-dir", str(root)])
    assert result.exit_code == 2
    message = result.stderr
    assert ("lattice-gateway:clusters[0].name: 'Bad_Name' is not valid: write lower-case letters, digits and '-', "
            "starting and ending with a letter or digit") in message
    assert "lattice-gateway:clusters[0].accountId: '12' is not valid: write an AWS account ID: 12 digits" in message
    assert "lattice-gateway:vpcIdd: not a setting lattice-gateway knows" in message
    for raw in ("^", "\\d", "[a-z0-9]", "pydantic", "https://", "validation error"):
        assert raw not in message, raw


def test_an_option_is_named_as_typed(tmp_path: Path):
    result = runner.invoke(app, ["plan", str(CHECKOUT), "--vpc-id", "vpc-XYZ"])
    assert result.exit_code == 2
    assert result.stderr.startswith("latticectl: --vpc-id: 'vpc-XYZ': not a VPC ID: write vpc- followed by 8 or 17")
    assert "vpc_id" not in result.stderr and "pydantic" not in result.stderr


# -- cluster reads -------------------------------------------------------------------------------------

def unreachable_kubeconfig(tmp_path: Path) -> Path:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "gone",
              "clusters": [{"name": "gone", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
              "users": [{"name": "u", "user": {"token": "t"}}],
              "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("extra", [[], ["--strict"], ["--output", "json"]])
def test_an_unreachable_context_fails_the_plan_whatever_the_options(tmp_path: Path, extra):
    kubeconfig = unreachable_kubeconfig(tmp_path)
    result = runner.invoke(app, ["plan", "--context", "gone", *extra], env={"KUBECONFIG": str(kubeconfig)})
    assert result.exit_code == 1, result.output
    assert "the cluster read is incomplete" in result.stderr and "cannot reach the API server" in result.stderr
    assert "this plan is partial" in result.stderr


def test_an_unknown_context_is_bad_usage(tmp_path: Path):
    kubeconfig = unreachable_kubeconfig(tmp_path)
    result = runner.invoke(app, ["plan", "--context", "nope"], env={"KUBECONFIG": str(kubeconfig)})
    assert result.exit_code == 2 and "it has: gone" in result.stderr and "--kubeconfig" not in result.stderr


# -- the tree: lines, counts -------------------------------------------------------------------------

def test_the_tree_gives_file_and_line_of_each_error(tmp_path: Path):
    file = tmp_path / "routes.yaml"
    broken = http_route("broken", parents=["edge"], backends=[{"name": "web"}])  # no port
    before = small_world() + "---\n"
    file.write_text(before + yaml.safe_dump(broken))
    line = before.count("\n") + 1  # the broken route starts right after the separator
    result = runner.invoke(app, ["plan", str(file)])
    assert result.exit_code == 0, result.output
    [error] = [row for row in result.stdout.splitlines() if row.strip().startswith("error")]
    assert f"HTTPRoute default/broken ({file}:{line})" in error, (error, line)


def test_thousands_of_identical_warnings_are_one_line_with_a_count(tmp_path: Path):
    deployments = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"d{i}"}} for i in range(2000)]
    file = tmp_path / "many.yaml"
    file.write_text(small_world() + "---\n" + yaml.safe_dump_all(deployments))
    result = runner.invoke(app, ["plan", str(file)])
    assert result.exit_code == 0, result.output
    rows = [row for row in result.stdout.splitlines() if "Deployment" in row]
    assert len(rows) == 1, rows[:5]
    assert "×2,000 kind: apps/v1 Deployment is not read by lattice-gateway; ignored" in rows[0]
    assert "Deployment default/d0, Deployment default/d1, Deployment default/d2 and 1,997 more" in rows[0]


def test_a_few_identical_warnings_stay_one_per_object(tmp_path: Path):
    deployments = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"d{i}"}} for i in range(2)]
    result = runner.invoke(app, ["plan", "-"], input=small_world() + "---\n" + yaml.safe_dump_all(deployments))
    assert result.exit_code == 0, result.output
    assert len([row for row in result.stdout.splitlines() if "Deployment default/d" in row]) == 2


# -- the command itself --------------------------------------------------------------------------------

def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    from importlib.metadata import version

    assert result.stdout == f"latticectl {version('lattice-gateway')}\n"


@pytest.mark.parametrize("args", [["-h"], ["plan", "-h"], ["targets", "sync", "-h"]])
def test_dash_h_is_help(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_top_level_help_does_not_cut_descriptions():
    result = latticectl("--help", env={"COLUMNS": "80"})
    text = result.stdout.decode()
    assert result.returncode == 0
    assert not [row for row in text.splitlines() if row.endswith("...") and not row.startswith("Usage:")]
    flat = " ".join(text.split())
    assert "Show the VPC Lattice resources and targets the program would create. Offline: no AWS, no cluster, no Pulumi CLI." in flat


class _Terminal:
    def __init__(self, tty: bool):
        self.tty, self.written = tty, []

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.written.append(text)

    def flush(self) -> None:
        pass


def test_long_reads_show_progress_on_stderr_only_when_it_is_a_terminal(monkeypatch):
    from cli import terminal

    assert terminal.progress_on_stderr(_Terminal(tty=False)) is None
    monkeypatch.setattr(terminal, "PROGRESS_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(terminal, "PROGRESS_EVERY_SECONDS", 0.0)
    stream = _Terminal(tty=True)
    report = terminal.progress_on_stderr(stream)
    report(1, 2, 1_048_576)
    report(2, 2, 3 * 1_048_576)
    assert stream.written == ["\rreading sources: 1/2 files, 1.0 MiB", "\rreading sources: 2/2 files, 3.0 MiB", "\n"]


def test_a_short_read_shows_no_progress(monkeypatch):
    from cli import terminal

    stream = _Terminal(tty=True)
    report = terminal.progress_on_stderr(stream)
    report(1, 1, 10)  # done well within PROGRESS_AFTER_SECONDS
    assert stream.written == []


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv (util-linux) to run latticectl as another user")
def test_an_unreadable_subdirectory_and_file_are_refused_for_real():
    import tempfile

    # Not under tmp_path: pytest's base directory is closed to other users.
    with tempfile.TemporaryDirectory(dir="/tmp") as base:
        root = Path(base)
        root.chmod(0o755)
        shutil.copytree(CHECKOUT, root / "app")
        (root / "app").chmod(0o755)
        (root / "app" / "locked").mkdir(mode=0o700)
        (root / "app" / "locked" / "x.yaml").write_text("apiVersion: v1\n")
        secret = root / "secret.yaml"
        secret.write_text("apiVersion: v1\n")
        secret.chmod(0o600)

        # Under coverage, nobody could not write the measuring user's data file: leave it unmeasured.
        unmeasured = {key: value for key, value in os.environ.items() if not key.startswith("COVERAGE_")}

        def as_nobody(*args: str):
            return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                                   "-m", "cli.main", *args], cwd=ROOT, capture_output=True, timeout=120,
                                  env=unmeasured)

        listed = as_nobody("plan", str(root / "app"))
        assert listed.returncode == 2
        assert f"{root / 'app' / 'locked'}: cannot list the directory (Permission denied)" in one_line_error(listed)
        read = as_nobody("plan", str(secret))
        assert read.returncode == 2 and f"{secret}: cannot read (Permission denied)" in one_line_error(read)
        excluded = as_nobody("plan", str(root / "app"), "--exclude", "locked", "--output", "json")
        assert excluded.returncode == 0, excluded.stderr.decode()


def test_every_command_finds_the_project_the_same_way():
    """--project-dir defaults to the nearest directory upward holding Pulumi.yaml for
    every command that takes it, never the install location."""
    import typer.main

    from cli import options
    from cli.main import app

    def commands(group, prefix=""):
        context = group.context_class(group, info_name="latticectl")
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            if hasattr(command, "list_commands"):
                yield from commands(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command

    taking = {name: param for name, command in commands(typer.main.get_command(app)) for param in command.params
              if param.name == "project_dir"}
    assert {"plan", "up", "doctor", "adopt", "services", "promote", "graph"} <= set(taking)
    # typer wraps each callback; the wrapper keeps the original as __wrapped__.
    assert [name for name, param in taking.items()
            if getattr(param.callback, "__wrapped__", None) is not options._project_dir] == []
