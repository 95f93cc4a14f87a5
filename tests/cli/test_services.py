"""`latticectl services`: the stacks of this repo, one or several or all, in each format;
outputs and the Lattice API when they are there; a stack that cannot be planned is
reported and the others are still listed; sharing settings show up as principals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

import cli.services as services_command
from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["services", *args])


def listed(result) -> dict:
    document = json.loads(result.stdout)
    return {(s["route"], i["stack"]): i for s in document["services"] for i in s["instances"]}


def test_all_stacks_by_default_offline_with_the_stack_waiting_for_a_release_noted():
    result = run("--offline", "--output", "json", "--project-dir", str(ROOT))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    stacks = {i["stack"] for s in document["services"] for i in s["instances"]}
    assert stacks == {"dev", "prod"}
    assert any(note.startswith("staging: no input yet") for note in document["notes"])
    assert run("--all-stacks", "--offline", "-o", "json", "--project-dir", str(ROOT)).stdout == result.stdout


def test_one_stack_in_the_table_and_the_html_page():
    table = run("--stack", "dev", "--offline", "--project-dir", str(ROOT))
    assert table.exit_code == 0, table.output
    assert "checkout" in table.stdout and "storefront" in table.stdout and "prod" not in table.stdout
    page = run("--stack", "dev", "--stack", "prod", "--offline", "-o", "html", "--project-dir", str(ROOT))
    assert page.exit_code == 0
    assert page.stdout.startswith("<!DOCTYPE html>") and 'data-stack="prod"' in page.stdout


def test_stack_and_all_stacks_together_are_a_usage_error():
    result = run("--stack", "dev", "--all-stacks", "--project-dir", str(ROOT))
    assert result.exit_code == 2 and "--all-stacks" in result.output


def test_a_stack_that_cannot_be_planned_is_reported_and_the_others_still_listed():
    result = run("--stack", "nosuch", "--stack", "dev", "--offline", "-o", "json", "--project-dir", str(ROOT))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert {i["stack"] for s in document["services"] for i in s["instances"]} == {"dev"}
    assert any(note.startswith("nosuch: could not be planned") for note in document["notes"])


def test_outputs_and_the_lattice_api_enrich_the_plan(monkeypatch):
    route = "HTTPRoute/shop/checkout"
    monkeypatch.setattr(services_command, "read_outputs", lambda stack, project_dir: (
        {route: {"serviceId": "svc-0123456789abcdef0", "dnsName": "from-outputs.example"}}, None))
    client = boto3.client("vpc-lattice", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("get_service", {
        "id": "svc-0123456789abcdef0", "name": "checkout-shop-12e81a", "status": "ACTIVE", "authType": "NONE",
        "arn": "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0",
        "dnsEntry": {"domainName": "checkout-shop-12e81a-0123.7d67968.vpc-lattice-svcs.us-west-2.on.aws",
                     "hostedZoneId": "Z1"}}, {"serviceIdentifier": "svc-0123456789abcdef0"})
    regions = []
    monkeypatch.setattr(services_command, "lattice_client", lambda region: regions.append(region) or client)
    with stub:
        result = run("--stack", "dev", "-o", "json", "--project-dir", str(ROOT))
        stub.assert_no_pending_responses()
    assert result.exit_code == 0, result.output
    instance = listed(result)[(route, "dev")]
    assert instance["source"] == "api" and instance["status"] == "ACTIVE"
    assert instance["dnsName"].startswith("checkout-shop-12e81a-0123.")
    assert regions == ["us-west-2"]  # the stack's aws:region


def test_without_credentials_the_directory_says_it_is_offline(monkeypatch):
    monkeypatch.setattr(services_command, "read_outputs", lambda stack, project_dir: (None, f"{stack}: not applied"))
    monkeypatch.setattr(services_command, "lattice_client", lambda region: None)
    result = run("--stack", "dev", "-o", "json", "--project-dir", str(ROOT))
    notes = json.loads(result.stdout)["notes"]
    assert notes == ["dev: not applied", "dev: no AWS credentials or region: not checked against the Lattice API"]


@pytest.fixture
def sharing_project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "examples" / "checkout-ab", tmp_path / "examples" / "checkout-ab")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.shared.yaml").write_text("""\
config:
  lattice-gateway:vpcId: vpc-0a1b2c3d4e5f60789
  lattice-gateway:sources: [examples/checkout-ab]
  lattice-gateway:sharing:
    routes:
      shop/checkout:
        principals: ["111122223333", "arn:aws:organizations::444455556666:organization/o-abcdefghij"]
    gateways:
      nowhere:
        principals: ["111122223333"]
      storefront:
        principals: ["777788889999"]
""")
    return tmp_path


def test_sharing_settings_show_as_principals_and_in_the_plan(sharing_project: Path):
    result = run("--stack", "shared", "--offline", "-o", "json", "--project-dir", str(sharing_project))
    assert result.exit_code == 0, result.output
    instance = listed(result)[("HTTPRoute/shop/checkout", "shared")]
    assert instance["sharedWith"] == ["111122223333", "arn:aws:organizations::444455556666:organization/o-abcdefghij"]
    assert instance["sharedThroughNetworks"] == ["777788889999 via storefront"]
    notes = json.loads(result.stdout)["notes"]
    assert [n for n in notes if "sharing.gateways.nowhere" in n and "no Gateway named 'nowhere'" in n]
    plan = runner.invoke(app, ["plan", "--stack", "shared", "-o", "json", "--project-dir", str(sharing_project)])
    document = json.loads(plan.stdout)
    types = [r["type"] for r in document["resources"]]
    assert types.count("aws:ram/principalAssociation:PrincipalAssociation") == 3
    assert types.count("aws:ram/resourceShare:ResourceShare") == 2
    assert [p["field"] for p in document["problems"] if p["severity"] == "error"] == [
        "lattice-gateway:sharing.gateways.nowhere"]


@pytest.mark.needs_pulumi_cli
def test_against_the_real_engine_the_directory_goes_from_plan_to_outputs_and_api(real_pulumi, tmp_path: Path):
    from tests.engine.test_real_engine import latticectl, project

    root = project(tmp_path, "checkout-ab")
    before = run("--stack", "realtest", "-o", "json", "--project-dir", str(root))
    assert before.exit_code == 0, before.output
    (instance,) = listed(before).values()
    assert instance["source"] == "plan" and instance["dnsName"] is None
    assert any(note.startswith("realtest: not applied yet") for note in json.loads(before.stdout)["notes"])

    latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    after = run("--stack", "realtest", "-o", "json", "--project-dir", str(root))
    assert after.exit_code == 0, after.output
    (applied,) = listed(after).values()
    held = {item["name"]: item for item in real_pulumi.emulator.inventory()["Service"].values()}
    service = held[applied["name"]]
    assert applied["source"] == "api" and applied["status"] == service["status"]
    assert applied["id"] == service["id"] and applied["dnsName"] == service["dnsEntry"]["domainName"]
    assert json.loads(after.stdout)["notes"] == []
    offline = listed(run("--stack", "realtest", "--offline", "-o", "json", "--project-dir", str(root)))
    assert list(offline.values())[0]["source"] == "plan"
