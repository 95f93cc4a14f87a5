"""`latticectl services` on its inputs: a project directory without a project, PATHs with
several stacks, where the Lattice client and the region come from, and a stack whose
outputs cannot be read because there is no pulumi CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.services import _region, lattice_client, read_outputs

from tests.support.offline import no_ambient_aws

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def no_aws(tmp_path, monkeypatch):
    no_ambient_aws(monkeypatch, tmp_path)
    return monkeypatch


def test_a_directory_without_a_project_is_a_usage_error_naming_the_option(tmp_path):
    result = runner.invoke(app, ["services", "--offline", "--project-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--project-dir" in result.output and "no Pulumi.yaml" in result.output


def test_paths_are_planned_with_one_stack_only(tmp_path):
    result = runner.invoke(app, ["services", str(ROOT / "examples" / "checkout-ab"), "--stack", "dev",
                                 "--stack", "prod", "--offline", "--project-dir", str(ROOT)])
    assert result.exit_code == 2
    assert "give at most one --stack" in result.output


def test_the_lattice_client_needs_credentials_and_a_region(no_aws):
    assert lattice_client("us-west-2") is None  # no credentials
    no_aws.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    no_aws.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    assert lattice_client(None) is None  # no region anywhere
    client = lattice_client("us-west-2")
    assert (client.meta.service_model.service_name, client.meta.region_name) == ("vpc-lattice", "us-west-2")
    no_aws.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert lattice_client(None).meta.region_name == "eu-west-1"


def test_the_region_is_the_stack_files_and_none_without_a_readable_one(tmp_path):
    assert _region(ROOT, "prod") == "us-east-1"
    assert _region(ROOT, "no-such-stack") is None


def test_outputs_that_cannot_be_read_are_a_note_not_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "no-pulumi"))
    outputs, note = read_outputs("dev", ROOT)
    assert outputs is None
    assert note.startswith("dev: its outputs could not be read (pulumi CLI not found on PATH; ")
    assert note.endswith("): its services are shown from its plan")


def test_a_stack_with_nothing_to_plan_yet_lists_no_services_and_says_why():
    result = runner.invoke(app, ["services", "--stack", "staging", "--offline", "--project-dir", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "no Lattice services in these stacks",
        "note: staging: no input yet (no sources, no cluster context, no promoted release): no services",
        "0 service(s) in 0 stack(s)"]
