"""`latticectl doctor` wiring: each cluster of a stack checked under the context given for
it, a --context naming no cluster of the stack one failed check (the others still run), and
no quota plan from a cluster read that came back incomplete (the loopback API server double
failing one kind)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.doctor import _plan_model
from cli.main import app
from lattice_program.vocabulary.settings import StackSettings
from tests.support.kube_double import KubeDouble
from tests.support.offline import no_ambient_aws

runner = CliRunner()
TWO_CLUSTERS = """\
config:
  aws:region: us-west-2
  lattice-gateway:clusters:
    - {name: east, vpcId: vpc-0e1a2b3c4d5e6f701, sources: [manifests/east]}
    - {name: west, vpcId: vpc-0f9e8d7c6b5a40312, sources: [manifests/west]}
"""


@pytest.fixture
def offline(tmp_path, monkeypatch) -> Path:
    """No pulumi, no AWS configuration, a kubeconfig with no contexts: every outside check
    fails fast, so what is asserted is the wiring."""
    no_ambient_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "no-pulumi"))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [],
                                          "contexts": []}))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (project / "stacks" / "Pulumi.prod.yaml").write_text(TWO_CLUSTERS)
    return project


def doctor(project: Path, *args: str) -> dict:
    outcome = runner.invoke(app, ["doctor", "--stack", "prod", "--output", "json", "--project-dir", str(project),
                                  *args])
    assert outcome.exit_code == 1, outcome.output  # pulumi and AWS are missing here
    return {check["name"]: check for check in json.loads(outcome.stdout)["checks"]}


def test_each_cluster_of_the_stack_is_checked_under_its_given_context(offline):
    checks = doctor(offline, "--context", "east=ctx-east", "--context", "west=ctx-west")
    reachable = {name: check for name, check in checks.items() if name.endswith(": reachable")}
    assert set(reachable) == {"cluster east (context ctx-east): reachable",
                              "cluster west (context ctx-west): reachable"}
    assert all(check["status"] == "fail" and "ctx-" in check["detail"] for check in reachable.values())


def test_a_context_for_no_cluster_of_the_stack_is_one_failed_check(offline):
    checks = doctor(offline, "--context", "north=ctx-north")
    clusters = checks["clusters"]
    assert clusters["status"] == "fail"
    assert clusters["detail"] == "--context 'north=ctx-north': the stack has no cluster 'north' (it has east, west)"
    assert clusters["fix"] == "pass --context CLUSTER=CTX for each cluster of the stack"
    assert checks["stack settings"]["status"] == "pass"  # the others still ran
    assert checks["pulumi CLI"]["status"] == "fail"


def test_an_incomplete_cluster_read_gives_no_plan_to_check_quotas_against(tmp_path, monkeypatch):
    with KubeDouble() as double:
        double.fail(plural="httproutes", code=500, message="etcdserver: request timed out")
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "live",
            "clusters": [{"name": "double", "cluster": {"server": double.url}}],
            "users": [{"name": "tester", "user": {"token": "not-checked"}}],
            "contexts": [{"name": "live", "context": {"cluster": "double", "user": "tester"}}]}))
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        settings = StackSettings.model_validate({"clusters": [{"name": "a", "vpcId": "vpc-0a1b2c3d",
                                                               "context": "live"}]})
        model, note = _plan_model(settings, tmp_path)
        assert any(request.path.endswith("/httproutes") for request in double.requests)
    assert (model, note) == (None, "no plan: a cluster could not be read completely")
