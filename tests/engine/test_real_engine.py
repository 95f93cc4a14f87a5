"""``latticectl`` against the real Pulumi engine, the provider double and the emulator.

The scenarios the engines issue names: plan equals apply, a second up changes nothing, a
weight change is one update, a target group replacement is created before the old one
goes, destroy empties the emulator, and targets sync registers what the plan says.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from tests.support.engines import REPO, RealPulumi

runner = CliRunner()
pytestmark = pytest.mark.needs_pulumi_cli
VPC = "vpc-0a1b2c3d4e5f60789"
TYPE_OF = {  # pulumi-aws type → the emulator's kind
    "aws:vpclattice/serviceNetwork:ServiceNetwork": "ServiceNetwork",
    "aws:vpclattice/service:Service": "Service",
    "aws:vpclattice/listener:Listener": "Listener",
    "aws:vpclattice/listenerRule:ListenerRule": "Rule",
    "aws:vpclattice/targetGroup:TargetGroup": "TargetGroup",
    "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation": "ServiceNetworkVpcAssociation",
    "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation":
        "ServiceNetworkServiceAssociation",
}


def project(tmp_path: Path, example: str, stack: str = "realtest") -> Path:
    """A project root like the repo's, with one stack whose source is a copy of ``example``."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(REPO / "examples" / example, root / "manifests")
    config = {"aws:region": "us-west-2", "aws:skipCredentialsValidation": True,
              "lattice-gateway:vpcId": VPC, "lattice-gateway:clusterName": "real",
              "lattice-gateway:sources": ["manifests"]}
    (root / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return root


def latticectl(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def summary(result) -> Dict[str, int]:
    """The ``<op> of stack <s>: kind n, …`` line latticectl ends with."""
    line = result.stdout.strip().splitlines()[-1]
    counts = line.split(": ", 1)[1]
    return {} if counts == "no changes" else {k: int(n) for k, n in (part.rsplit(" ", 1) for part in counts.split(", "))}


def planned(root: Path, stack: str = "realtest") -> List[Dict[str, Any]]:
    document = json.loads(latticectl("plan", "--stack", stack, "--project-dir", str(root), "--output", "json").stdout)
    return document["resources"]


def held(emulator) -> Dict[str, Dict[str, Dict[str, Any]]]:
    return {kind: items for kind, items in emulator.inventory().items() if items}


def test_up_holds_what_plan_listed_then_changes_nothing_then_one_update(real_pulumi: RealPulumi, tmp_path: Path):
    root = project(tmp_path, "checkout-ab")
    resources = planned(root)
    first = latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    assert summary(first).get("create", 0) == len(resources) + 1  # + the stack itself

    inventory = held(real_pulumi.emulator)
    aws = [r for r in resources if r["type"] in TYPE_OF]
    expected_counts: Dict[str, int] = {}
    for resource in aws:
        expected_counts[TYPE_OF[resource["type"]]] = expected_counts.get(TYPE_OF[resource["type"]], 0) + 1
    assert {kind: len(items) for kind, items in inventory.items()} == expected_counts
    by_name = {(kind, item.get("name")): item for kind, items in inventory.items() for item in items.values()}
    for resource in aws:
        inputs = resource["inputs"]
        if "name" not in inputs:
            continue
        item = by_name[(TYPE_OF[resource["type"]], inputs["name"])]
        if resource["type"].endswith(":ListenerRule"):
            assert item["priority"] == inputs["priority"]
            weights = [g["weight"] for g in inputs["action"]["forward"]["targetGroups"]]
            assert [g["weight"] for g in item["action"]["forward"]["targetGroups"]] == weights
            assert item["match"]["httpMatch"]["pathMatch"] == inputs["match"]["httpMatch"]["pathMatch"]
        elif resource["type"].endswith(":TargetGroup"):
            for key in ("port", "protocol", "protocolVersion", "vpcIdentifier"):
                assert item["config"][key] == inputs["config"][key], key
        elif resource["type"].endswith(":Listener"):
            assert (item["protocol"], item["port"]) == (inputs["protocol"], inputs["port"])

    again = latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    assert set(summary(again)) == {"same"}

    route = root / "manifests" / "40-httproute.yaml"
    route.write_text(route.read_text().replace("weight: 90", "weight: 80").replace("weight: 10", "weight: 20"))
    before = len(real_pulumi.emulator.mutating_calls)
    changed = latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    # The weighted rule's PathPrefix is two Lattice rules (exact and prefix): both change weights.
    assert summary(changed).get("update") == 2 and "replace" not in summary(changed)
    assert [op for op, _ in real_pulumi.emulator.mutating_calls[before:]] == ["UpdateRule", "UpdateRule"]

    latticectl("destroy", "--yes", "--stack", "realtest", "--project-dir", str(root))
    assert held(real_pulumi.emulator) == {}


def test_targets_sync_registers_what_the_plan_says(real_pulumi: RealPulumi, tmp_path: Path):
    root = project(tmp_path, "checkout-ab")
    latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    document = json.loads(latticectl("plan", "--stack", "realtest", "--project-dir", str(root), "--output",
                                     "json").stdout)
    wanted = sorted((t["id"], t["port"]) for t in document["targets"])
    report = json.loads(latticectl("targets", "sync", "--stack", "realtest", "--project-dir", str(root),
                                   "--output", "json").stdout)
    assert report["ok"]
    client = real_pulumi.emulator.client()
    registered = sorted((t["id"], t["port"]) for group in client.list_target_groups()["items"]
                        for t in client.list_targets(targetGroupIdentifier=group["id"])["items"])
    assert registered == wanted and wanted


ROUTE_HEAD = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: checkout, namespace: shop}
spec:
  parentRefs: [{name: storefront, sectionName: web}]
  rules:
"""
RULES = {
    "cart": "  - name: cart\n    matches: [{path: {type: PathPrefix, value: /cart}}]\n"
            "    backendRefs: [{name: checkout-v1, port: 80}]\n",
    "auth": "  - name: auth\n    matches: [{path: {type: PathPrefix, value: /auth}}]\n"
            "    backendRefs: [{name: checkout-v2, port: 80}]\n",
    "health": "  - name: health\n    matches: [{path: {type: Exact, value: /health}}]\n"
              "    backendRefs: [{name: checkout-v1, port: 80}]\n",
}


def rules_held(emulator) -> Dict[str, int]:
    return {item["name"].rsplit("-", 1)[0]: item["priority"] for item in emulator.inventory()["Rule"].values()
            if not item.get("isDefault")}


def test_inserted_and_swapped_rules_never_meet_a_taken_priority(real_pulumi: RealPulumi, tmp_path: Path):
    """The emulator refuses a priority taken on the listener at any step of the real
    engine's ordering: these ups passing is the property."""
    root = project(tmp_path, "checkout-ab")
    route = root / "manifests" / "40-httproute.yaml"
    up = ("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    # Prefixes of one length: the rules' order breaks the tie.
    route.write_text(ROUTE_HEAD + RULES["cart"] + RULES["auth"])
    latticectl(*up)
    first = rules_held(real_pulumi.emulator)
    assert first["cart"] < first["auth"]

    route.write_text(ROUTE_HEAD + RULES["health"] + RULES["cart"] + RULES["auth"])  # in front: exact first
    latticectl(*up)
    second = rules_held(real_pulumi.emulator)
    assert second["health"] < second["cart"] < second["auth"]
    assert (second["cart"], second["auth"]) == (first["cart"], first["auth"])  # kept, not renumbered

    route.write_text(ROUTE_HEAD + RULES["health"] + RULES["auth"] + RULES["cart"])  # two rules swapped
    latticectl(*up)
    third = rules_held(real_pulumi.emulator)
    assert third["health"] < third["auth"] < third["cart"]


def test_a_protocol_version_change_creates_the_new_group_before_the_old_goes(real_pulumi: RealPulumi,
                                                                              tmp_path: Path):
    root = project(tmp_path, "checkout-ab")
    up = ("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    latticectl(*up)
    old = {g["name"]: g["config"]["protocolVersion"] for g in real_pulumi.emulator.inventory()["TargetGroup"].values()}
    assert set(old.values()) == {"HTTP1"}
    (root / "manifests" / "50-policy.yaml").write_text(
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: TargetGroupPolicy\n"
        "metadata: {name: v2-h2, namespace: shop}\n"
        "spec: {targetRef: {group: '', kind: Service, name: checkout-v2}, protocol: HTTP, protocolVersion: HTTP2}\n")
    result = latticectl(*up)
    assert summary(result).get("replace") == 1
    groups = {g["name"]: g["config"]["protocolVersion"] for g in real_pulumi.emulator.inventory()["TargetGroup"].values()}
    assert sorted(groups.values()) == ["HTTP1", "HTTP2"] and set(groups) != set(old)
    operations = [op for op, _ in real_pulumi.emulator.mutating_calls]
    created = len(operations) - 1 - operations[::-1].index("CreateTargetGroup")
    deleted = operations.index("DeleteTargetGroup")
    assert created < deleted  # create before delete: no moment without a group, no name clash


def start_up(root: Path, stack: str = "realtest") -> subprocess.Popen:
    """``latticectl up`` in a process of its own, as a person or a CI job runs it."""
    return subprocess.Popen([sys.executable, "-m", "cli.main", "up", "--yes", "--stack", stack, "--project-dir", str(root)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_call(emulator, operation: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not any(op == operation for op, _ in emulator.calls):
        assert time.monotonic() < deadline, f"no {operation} within {timeout}s"
        time.sleep(0.05)


def locks(real: RealPulumi) -> list:
    return sorted(real.backend.rglob(".pulumi/locks/**/*.json"))


def test_sigterm_mid_update_leaves_no_lock_and_the_next_up_converges(real_pulumi: RealPulumi, tmp_path: Path):
    root = project(tmp_path, "checkout-ab")
    real_pulumi.emulator.latency["CreateRule"] = 3.0  # an update still in flight when the signal comes
    process = start_up(root)
    wait_for_call(real_pulumi.emulator, "CreateRule")
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output
    assert "cancelled by SIGTERM" in output and "not locked" in output
    assert locks(real_pulumi) == []
    real_pulumi.emulator.latency.clear()
    latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    assert len(real_pulumi.emulator.inventory()["Rule"]) == 4  # each once: the one in flight was saved
    assert set(summary(latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root)))) == {"same"}


def test_a_second_up_during_an_update_reports_the_lock_and_changes_nothing(real_pulumi: RealPulumi,
                                                                            tmp_path: Path):
    root = project(tmp_path, "checkout-ab")
    real_pulumi.emulator.latency["CreateRule"] = 2.0
    first = start_up(root)
    try:
        wait_for_call(real_pulumi.emulator, "CreateRule")
        calls = len(real_pulumi.emulator.mutating_calls)
        second = runner.invoke(app, ["up", "--yes", "--stack", "realtest", "--project-dir", str(root)])
        assert second.exit_code == 4, second.output
        assert "locked" in second.output and "pulumi cancel" in second.output
        # Whatever changed meanwhile is the first update's own rule creates.
        assert [op for op, _ in real_pulumi.emulator.mutating_calls[calls:] if op != "CreateRule"] == []
    finally:
        output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output
    assert locks(real_pulumi) == []


def kill_mid_update(real: RealPulumi, root: Path) -> None:
    """SIGKILL (nothing can be cleaned up) to latticectl mid-update: the CLI loses its
    program and dies, and its lock stays behind."""
    real.emulator.latency["CreateRule"] = 2.0
    process = start_up(root)
    wait_for_call(real.emulator, "CreateRule")
    process.kill()
    process.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while any(not LockHolderOf(path).gone for path in locks(real)):
        assert time.monotonic() < deadline, "the killed update's CLI is still running"
        time.sleep(0.2)
    real.emulator.latency.clear()
    assert locks(real), "a killed update should have left its lock"


def LockHolderOf(path: Path):  # noqa: N802 (reads like the type it builds)
    from lattice_program.engine.locks import LockHolder

    entry = json.loads(path.read_text())
    return LockHolder(entry["pid"], entry["username"], entry["hostname"], entry["timestamp"], path)


def test_a_lock_left_by_a_killed_update_is_named_as_such(real_pulumi: RealPulumi, tmp_path: Path):
    root = project(tmp_path, "checkout-ab")
    kill_mid_update(real_pulumi, root)
    result = runner.invoke(app, ["up", "--yes", "--stack", "realtest", "--project-dir", str(root)])
    assert result.exit_code == 4, result.output
    assert "which is no longer running" in result.output and "pulumi cancel" in result.output
