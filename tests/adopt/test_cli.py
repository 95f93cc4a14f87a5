"""``latticectl adopt`` without the engine: usage errors, and refusals that stop it before
anything changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from cli.main import app
from tests.adopt.controller_seed import CONTROLLER, MANAGED_BY_KEY, MANIFESTS, VPC
from tests.support.engines import REPO

runner = CliRunner()


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "manifests").mkdir()
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "manifests" / "hotel.yaml").write_text(MANIFESTS)
    config = {"aws:region": "us-west-2", "lattice-gateway:vpcId": VPC, "lattice-gateway:clusterName": "hotel",
              "lattice-gateway:sources": ["manifests"]}
    (root / "stacks" / "Pulumi.hotel.yaml").write_text(yaml.safe_dump({"config": config}))
    return root


def test_a_managed_by_that_is_not_account_cluster_vpc_is_a_usage_error(tmp_path: Path):
    result = runner.invoke(app, ["adopt", "--stack", "hotel", "--managed-by", "hotel-cluster",
                                 "--project-dir", str(project(tmp_path))])
    assert result.exit_code == 2 and "ACCOUNT/CLUSTER/VPC" in result.output and "Traceback" not in result.output


def test_a_managed_by_of_a_vpc_the_stack_does_not_use_is_a_usage_error(tmp_path: Path):
    result = runner.invoke(app, ["adopt", "--stack", "hotel", "--managed-by", "123456789012/c/vpc-0fedcba9876543210",
                                 "--project-dir", str(project(tmp_path))])
    assert result.exit_code == 2 and "vpc-0fedcba9876543210" in result.output and VPC in result.output


def test_a_predicted_replacement_refuses_before_anything_changes(tmp_path: Path, emulator, seeded, monkeypatch):
    for key, value in emulator.environ().items():
        monkeypatch.setenv(key, value)
    client = emulator.client()
    service = seeded.services["rates"]["id"]
    client.delete_listener(serviceIdentifier=service, listenerIdentifier=seeded.listeners["rates"]["id"])
    client.create_listener(serviceIdentifier=service, name="rates-default-80-https", port=80, protocol="HTTPS",
                           defaultAction={"fixedResponse": {"statusCode": 404}}, tags={MANAGED_BY_KEY: CONTROLLER})
    root = project(tmp_path)
    settings = (root / "stacks" / "Pulumi.hotel.yaml").read_text()
    start = len(emulator.mutating_calls)
    result = runner.invoke(app, ["adopt", "--stack", "hotel", "--managed-by", CONTROLLER, "--project-dir", str(root),
                                 "--output", "json"])
    assert result.exit_code == 1, result.output
    outcome = json.loads(result.stdout)
    assert outcome["refused"] and [s["step"] for s in outcome["steps"]] == ["check"]
    assert "protocol" in outcome["steps"][0]["detail"]
    assert emulator.mutating_calls[start:] == [] and (root / "stacks" / "Pulumi.hotel.yaml").read_text() == settings
