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


def adopt(root: Path, *extra: str):
    return runner.invoke(app, ["adopt", "--stack", "hotel", "--managed-by", CONTROLLER, "--project-dir", str(root),
                               *extra])


def test_an_output_format_that_is_neither_tree_nor_json_is_a_usage_error(tmp_path: Path):
    result = adopt(project(tmp_path), "--output", "yaml")
    assert result.exit_code == 2 and "--output 'yaml': use tree or json" in result.output


def test_a_partial_cluster_read_adopts_nothing(tmp_path: Path, monkeypatch):
    from lattice_program.sources import cluster
    from lattice_program.sources.cluster import ClusterRead

    root = project(tmp_path)
    config = {"aws:region": "us-west-2",
              "lattice-gateway:clusters": [{"name": "hotel", "vpcId": VPC, "context": "hotel-context"}]}
    (root / "stacks" / "Pulumi.hotel.yaml").write_text(yaml.safe_dump({"config": config}))
    monkeypatch.setattr(cluster, "read_cluster", lambda *, context, cluster_name: ClusterRead(
        objects=(), complete=False, failures=("HTTPRoute: 503 Service Unavailable",), resource_versions={}))
    result = adopt(root)
    assert result.exit_code == 1 and "could not all be read; adopting on a partial read could leave resources out" \
        in result.output
    assert "context hotel-context: cluster read incomplete: HTTPRoute: 503 Service Unavailable" in result.output


def test_a_lattice_api_that_cannot_be_reached_adopts_nothing(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_VPC_LATTICE", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    root = project(tmp_path)
    before = (root / "stacks" / "Pulumi.hotel.yaml").read_text()
    result = adopt(root)
    assert result.exit_code == 1, result.output
    assert "VPC Lattice list_service_networks() failed" in result.output and "nothing was adopted" in result.output
    assert (root / "stacks" / "Pulumi.hotel.yaml").read_text() == before


def test_a_dry_run_prints_the_report_and_the_steps_for_people(tmp_path: Path, emulator, seeded, monkeypatch):
    for key, value in emulator.environ().items():
        monkeypatch.setenv(key, value)
    result = adopt(project(tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "adoption (dry run) into stack hotel, ManagedBy lattice-gateway/lattice-gateway/hotel"
    assert "  HTTPRoute/default/rates: matched-with-differences" in lines
    assert "  HTTPRoute/default/checkout: not-found" in lines
    assert any(line.startswith("    - HTTPRoute/default/rates/http-80/") and line.endswith(
        "updated in place by the first up") for line in lines)
    left_alone = [line for line in lines if line.startswith("  left alone, no object of the stack declares it: ")]
    assert len(left_alone) == 5 and any(seeded.services["legacy"]["id"] in line for line in left_alone)
    assert any(line.startswith("  note: Gateway my-hotel: service network " + seeded.network["id"]) for line in lines)
    assert [line.split(":")[0] for line in lines if not line.startswith(" ")][1:] == ["record", "import", "retag",
                                                                                      "hand-over"]
    assert "import: would: import 8 resources with protect" in lines


def test_adopting_without_the_pulumi_cli_stops_with_its_exit_code(tmp_path: Path, emulator, seeded, monkeypatch):
    for key, value in emulator.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "no-pulumi-home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = project(tmp_path)
    before = (root / "stacks" / "Pulumi.hotel.yaml").read_text()
    start = len(emulator.mutating_calls)
    result = adopt(root)
    assert result.exit_code == 3, result.output
    assert "pulumi CLI not found on PATH" in result.output
    assert emulator.mutating_calls[start:] == [] and (root / "stacks" / "Pulumi.hotel.yaml").read_text() == before
