"""What `graph` and `targets sync` do with what they read: a partial cluster read draws
nothing, a failing `dot` is exit 1 with its words, and `targets sync` says which groups
the stack does not know yet, shows its report, and exits 1 when a group could not be synced."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from tests.sources.test_cluster import _objects as cluster_objects
from tests.support.automation_double import answer_operations
from tests.support.kube_double import KubeDouble, write_kubeconfig
from tests.support.lattice_emulator import LatticeEmulator

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "examples" / "checkout-ab"
V1 = "HTTPRoute/shop/checkout/backend/shop/checkout-v1:80"
V2 = "HTTPRoute/shop/checkout/backend/shop/checkout-v2:80"
runner = CliRunner()


def test_graph_of_a_partial_cluster_read_draws_nothing(tmp_path):
    with KubeDouble() as double:
        double.store.put_all(cluster_objects())
        double.fail(plural="endpointslices", code=500, message="etcdserver: request timed out")
        result = runner.invoke(app, ["graph", "--context", "east"],
                               env={"KUBECONFIG": write_kubeconfig(tmp_path, double.url)})

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "latticectl: the cluster read is incomplete (1 kind(s) not listed: context east: EndpointSlice: HTTP 500 "
        "Internal Server Error: etcdserver: request timed out); fix the access and draw again")


def test_a_dot_that_fails_is_exit_1_with_its_words(tmp_path, monkeypatch):
    dot = tmp_path / "bin" / "dot"
    dot.parent.mkdir()
    dot.write_text("#!/bin/sh\necho 'Error: syntax error in line 3' >&2\nexit 1\n")
    dot.chmod(dot.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{dot.parent}{os.pathsep}{os.environ['PATH']}")

    result = runner.invoke(app, ["graph", str(CHECKOUT), "--format", "svg"])

    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == "latticectl: `dot -Tsvg` failed (exit 1): Error: syntax error in line 3"


def test_targets_sync_of_unreadable_sources_is_bad_usage(monkeypatch, tmp_path):
    answer_operations(monkeypatch, {})
    missing = tmp_path / "absent.yaml"

    result = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(missing)])

    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"latticectl: {missing}: no such file or directory"


@pytest.fixture
def emulator(monkeypatch):
    with LatticeEmulator() as running:
        for name, value in running.environ().items():
            monkeypatch.setenv(name, value)
        yield running


def _target_group(emulator) -> str:
    return emulator.client().create_target_group(
        name="checkout-v1", type="IP",
        config={"port": 8080, "protocol": "HTTP", "vpcIdentifier": "vpc-0a1b2c3d4e5f60789"})["id"]


def test_targets_sync_names_groups_not_yet_applied_and_fills_the_others(monkeypatch, emulator):
    group = _target_group(emulator)
    answer_operations(monkeypatch, {}, previous={"targetGroups": {V1: group}})

    result = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(CHECKOUT), "--region", "us-west-2"],
                           env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (f"latticectl: target group {V2} is not in the stack's outputs yet; "
                                     "run `latticectl up --stack dev` first")
    assert "target sync" in result.stdout and "(dry run)" not in result.stdout
    assert f"{group}: +2 -0 =0, 0 draining left alone" in result.stdout
    registered = emulator.client().list_targets(targetGroupIdentifier=group)["items"]
    assert sorted((t["id"], t["port"]) for t in registered) == [("10.42.1.17", 8080), ("10.42.2.31", 8080)]


def test_a_dry_run_shows_the_changes_and_makes_none(monkeypatch, emulator):
    group = _target_group(emulator)
    answer_operations(monkeypatch, {}, previous={"targetGroups": {V1: group, V2: _other_group(emulator)}})

    result = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(CHECKOUT), "--dry-run"],
                           env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "target sync (dry run)" in result.stdout and f"{group}: +2 -0 =0" in result.stdout
    assert emulator.client().list_targets(targetGroupIdentifier=group)["items"] == []


def _other_group(emulator) -> str:
    return emulator.client().create_target_group(
        name="checkout-v2", type="IP",
        config={"port": 8080, "protocol": "HTTP", "vpcIdentifier": "vpc-0a1b2c3d4e5f60789"})["id"]


def test_a_group_that_cannot_be_synced_is_exit_1_and_named(monkeypatch, emulator):
    gone = "tg-" + "9" * 17  # in the stack's outputs, deleted from Lattice since
    other = _other_group(emulator)
    answer_operations(monkeypatch, {}, previous={"targetGroups": {V1: gone, V2: other}})

    result = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(CHECKOUT)], env={"COLUMNS": "400"})

    assert result.exit_code == 1, result.output
    assert f"{other}: +1 -0 =0" in result.stdout  # the other group is still synced
    assert (f"{gone}: +0 -0 =0, 0 draining left alone error: An error occurred (ResourceNotFoundException) when "
            f"calling the ListTargets operation: TARGET_GROUP {gone} was not found") in result.stdout
    assert [t["id"] for t in emulator.client().list_targets(targetGroupIdentifier=other)["items"]] == ["10.42.4.5"]


def _without_v1_endpoints(tmp_path: Path) -> Path:
    manifests = tmp_path / "manifests"
    shutil.copytree(CHECKOUT, manifests)
    slices = manifests / "30-endpointslices.yaml"
    kept = [body for body in yaml.safe_load_all(slices.read_text())
            if body and body["metadata"]["labels"]["kubernetes.io/service-name"] != "checkout-v1"]
    slices.write_text(yaml.safe_dump_all(kept))
    return manifests


def test_a_group_whose_service_has_no_endpoints_is_held_unless_allowed_empty(monkeypatch, emulator, tmp_path):
    group = _target_group(emulator)
    client = emulator.client()
    client.register_targets(targetGroupIdentifier=group, targets=[{"id": "10.42.1.17", "port": 8080}])
    answer_operations(monkeypatch, {}, previous={"targetGroups": {V1: group, V2: _other_group(emulator)}})
    manifests = _without_v1_endpoints(tmp_path)

    held = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(manifests)], env={"COLUMNS": "300"})

    assert held.exit_code == 0, held.output
    line = next(line for line in held.stdout.splitlines() if group in line)
    assert line.strip().startswith(f"{group}: +0 -0 =1, 0 draining left alone skipped: ")
    assert [t["id"] for t in client.list_targets(targetGroupIdentifier=group)["items"]] == ["10.42.1.17"]

    emptied = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(manifests), "--allow-empty"],
                            env={"COLUMNS": "300"})

    assert emptied.exit_code == 0, emptied.output
    assert f"{group}: +0 -1 =0" in emptied.stdout
    assert [t["status"] for t in client.list_targets(targetGroupIdentifier=group)["items"]] == ["DRAINING"]


def test_targets_lattice_refuses_are_listed_one_by_one_and_exit_1(monkeypatch, emulator):
    ipv6_group = emulator.client().create_target_group(
        name="checkout-v1", type="IP", config={"port": 8080, "protocol": "HTTP", "ipAddressType": "IPV6",
                                               "vpcIdentifier": "vpc-0a1b2c3d4e5f60789"})["id"]
    answer_operations(monkeypatch, {}, previous={"targetGroups": {V1: ipv6_group, V2: _other_group(emulator)}})

    result = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(CHECKOUT)], env={"COLUMNS": "300"})

    assert result.exit_code == 1, result.output
    failed = sorted(line.strip() for line in result.stdout.splitlines() if line.strip().startswith("failed "))
    assert failed == [
        f"failed 10.42.{host}:8080: RegisterTargets: InvalidTarget: 10.42.{host} is not an IPv6 address, as this "
        "target group requires" for host in ("1.17", "2.31")]
