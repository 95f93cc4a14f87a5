"""`latticectl watch` as a person starts it: options refused by name, a kubeconfig that
cannot be used, and `--once` against a cluster (the API server double): one preview, one
update, the release recorded, the new groups' targets registered in Lattice (the emulator)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from tests.support.automation_double import answer_operations
from tests.support.kube_double import KubeDouble, write_kubeconfig
from tests.support.lattice_emulator import LatticeEmulator

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "examples" / "checkout-ab"
VPC = "vpc-0a1b2c3d4e5f60789"
V1 = "HTTPRoute/shop/checkout/backend/shop/checkout-v1:80"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _process_state_restored():
    """`watch` routes the daemon's loggers to its standard error and takes SIGTERM and
    SIGINT for its clean stop; both are put back after each test."""
    logger = logging.getLogger("lattice_program")
    kept = (list(logger.handlers), logger.level, logger.propagate)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    logger.handlers[:], logger.level, logger.propagate = kept
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    config = {"aws:region": "us-west-2", "lattice-gateway:vpcId": VPC, "lattice-gateway:clusterName": "east"}
    (root / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))
    return root


def watch(root: Path, *args: str, env=None):
    return runner.invoke(app, ["watch", "--stack", "dev", "--project-dir", str(root), "--metrics-addr", "", *args],
                         env=env)


@pytest.mark.parametrize(("option", "value"), [("--debounce", "soon"), ("--max-wait", "30"),
                                               ("--resync", "10 minutes"), ("--grace-period", "1m-30s")])
def test_a_duration_that_is_not_one_is_refused_by_option(monkeypatch, tmp_path, option: str, value: str):
    answer_operations(monkeypatch, {})

    result = watch(project(tmp_path), option, value)

    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"latticectl: {option} {value!r}: write a duration such as 500ms, 2s, 10m or 1h30m"


def test_without_the_pulumi_cli_watch_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "no-pulumi-home"))
    monkeypatch.setenv("HOME", str(tmp_path))

    result = watch(project(tmp_path))

    assert result.exit_code == 3, result.output
    assert "pulumi" in result.stderr and "install" in result.stderr


def test_a_context_the_kubeconfig_lacks_is_bad_usage(monkeypatch, tmp_path):
    answer_operations(monkeypatch, {})
    kubeconfig = write_kubeconfig(tmp_path, "http://127.0.0.1:9")

    result = watch(project(tmp_path), "--context", "west", env={"KUBECONFIG": kubeconfig})

    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith(f"latticectl: cannot use context 'west': it is not in {kubeconfig} "
                                            "(it has: east)")


def _example_objects() -> list:
    return [body for path in sorted(CHECKOUT.glob("*.yaml")) for body in yaml.safe_load_all(path.read_text()) if body]


def test_once_converges_records_the_release_and_registers_targets(monkeypatch, tmp_path):
    from lattice_program.engine import automation

    operations = answer_operations(monkeypatch, {})
    with KubeDouble() as cluster, LatticeEmulator() as emulator:
        for name, value in emulator.environ().items():
            monkeypatch.setenv(name, value)
        group = emulator.client().create_target_group(
            name="checkout-v1", type="IP", config={"port": 8080, "protocol": "HTTP", "vpcIdentifier": VPC})["id"]

        def run_operation(target, operation, **kwargs):  # the update creates the v1 group
            operations.append(operation)
            summary = {"create": 12} if operation == "preview" else {"create": 12, "same": 0}
            outputs = {"targetGroups": {V1: group}} if operation == "up" else {}
            return automation.OperationResult(operation=operation, stack=target.stack, summary=summary,
                                              outputs=outputs, stdout="")

        monkeypatch.setattr(automation, "run_operation", run_operation)
        cluster.store.put_all(_example_objects())
        root = project(tmp_path)

        result = watch(root, "--once", "--context", "east", "--debounce", "0s",
                       env={"KUBECONFIG": write_kubeconfig(tmp_path, cluster.url)})

        registered = emulator.client().list_targets(targetGroupIdentifier=group)["items"]

    assert result.exit_code == 0, result.output
    assert operations == ["preview", "up"]
    assert sorted((t["id"], t["port"]) for t in registered) == [("10.42.1.17", 8080), ("10.42.2.31", 8080)]
    assert "stack dev: Ready (Applied): applied (12 create)" in result.stderr
    store = tmp_path / "releases" / "dev"  # where tests/conftest.py points every up's release
    assert len(list((store / "releases").glob("*.json"))) == 1
    assert [path.name.split("-", 1)[1] for path in (store / "events").iterdir()] == ["apply.json"]



def test_a_release_that_cannot_be_recorded_does_not_fail_the_update(monkeypatch, tmp_path):
    operations = answer_operations(monkeypatch, {"create": 12})
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("LATTICE_GATEWAY_RELEASE_STORE", str(blocker / "releases"))
    with KubeDouble() as cluster:
        cluster.store.put_all(_example_objects())

        result = watch(project(tmp_path), "--once", "--context", "east", "--debounce", "0s",
                       env={"KUBECONFIG": write_kubeconfig(tmp_path, cluster.url)})

    assert result.exit_code == 0, result.output
    assert operations == ["preview", "up"]
    assert "release not recorded: " in result.stderr


def test_sigterm_stops_a_replica_that_never_leads(monkeypatch, tmp_path):
    answer_operations(monkeypatch, {})
    with KubeDouble() as cluster:
        cluster.store.put_all(_example_objects())
        untouched = signal.getsignal(signal.SIGTERM)

        def stop_once_watch_takes_sigterm() -> None:  # before that, SIGTERM would end the test run itself
            if _eventually(lambda: signal.getsignal(signal.SIGTERM) != untouched, timeout=60):
                time.sleep(0.2)
                os.kill(os.getpid(), signal.SIGTERM)

        stopper = threading.Thread(target=stop_once_watch_takes_sigterm, daemon=True)
        stopper.start()
        # Leader election against a server that serves no Leases: this replica never leads, and must still stop.
        result = watch(project(tmp_path), "--context", "east", "--leader-elect",
                       env={"KUBECONFIG": write_kubeconfig(tmp_path, cluster.url)})
        stopper.join(timeout=5)

    assert result.exit_code == 0, result.output
    assert result.stderr.count("SIGTERM: stopping") == 1
    assert "stopped; stack dev was " in result.stderr


def _eventually(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_second_sigterm_during_an_update_cancels_it_the_clean_way(monkeypatch, tmp_path):
    """The first SIGTERM lets the update in flight finish; the second passes one SIGINT to
    the pulumi CLI (here a stand-in process named pulumi), its clean cancel."""
    from lattice_program.engine import automation

    operations = answer_operations(monkeypatch, {"create": 12})
    fake_pulumi = tmp_path / "pulumi"
    shutil.copy("/bin/sleep", fake_pulumi)
    seen = {}
    with KubeDouble() as cluster:
        def run_operation(target, operation, **kwargs):
            operations.append(operation)
            if operation == "up":
                child = subprocess.Popen([str(fake_pulumi), "30"])
                os.kill(os.getpid(), signal.SIGTERM)
                seen["first taken"] = _eventually(lambda: cluster.open_watches() == 0)  # the caches stop
                seen["alive after the first"] = child.poll() is None
                os.kill(os.getpid(), signal.SIGTERM)
                seen["exit"] = child.wait(timeout=10)
            return automation.OperationResult(operation=operation, stack=target.stack, summary={"create": 12},
                                              outputs={}, stdout="")

        monkeypatch.setattr(automation, "run_operation", run_operation)
        cluster.store.put_all(_example_objects())

        result = watch(project(tmp_path), "--context", "east", "--debounce", "0s",
                       env={"KUBECONFIG": write_kubeconfig(tmp_path, cluster.url)})

    assert result.exit_code == 0, result.output
    assert operations == ["preview", "up"]
    assert seen == {"first taken": True, "alive after the first": True, "exit": -signal.SIGINT}
    assert result.stderr.count("SIGTERM: stopping") == 2
