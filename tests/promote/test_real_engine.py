"""One promotion for real: the built pulumi CLI, the provider double, the Lattice emulator.

dev is applied from manifests (its release recorded by `up`), its targets synced and
verified; the release moves to staging, rewritten into staging's VPC; staging is verified
once its targets are in; a second promotion changes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from lattice_program.promote.stacks import STORE_ENV
from tests.support.engines import REPO, RealPulumi
from tests.support.lattice_emulator import LatticeEmulator

pytestmark = pytest.mark.needs_pulumi_cli
runner = CliRunner()
DEV_VPC, STAGING_VPC = "vpc-0a1b2c3d4e5f60789", "vpc-05a6b7c8d9e0f1234"


def project(tmp_path: Path, staging_endpoint: str) -> Path:
    """dev and staging in different accounts: staging's Lattice is another emulator, named
    by pulumi-aws's own `aws:endpoints` setting (physical names are the same in both)."""
    root = tmp_path / "platform"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(REPO / "examples" / "checkout-ab", root / "manifests")
    common = {"aws:region": "us-west-2", "aws:skipCredentialsValidation": True}
    dev = {**common, "lattice-gateway:vpcId": DEV_VPC, "lattice-gateway:clusterName": "dev-eks",
           "lattice-gateway:sources": ["manifests"]}
    staging = {**common, "aws:endpoints": [{"vpclattice": staging_endpoint}], "lattice-gateway:protect": True,
               "lattice-gateway:clusters": [{"name": "staging-eks", "vpcId": STAGING_VPC}],
               "lattice-gateway:promotion": {"from": "dev", "rewrite": {"vpcs": {DEV_VPC: STAGING_VPC}}}}
    (root / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": dev}))
    (root / "stacks" / "Pulumi.staging.yaml").write_text("# staging: promoted from dev\n"
                                                         + yaml.safe_dump({"config": staging}))
    return root


def protected_networks(real_pulumi: RealPulumi, root: Path, stack: str) -> list:
    exported = subprocess.run([real_pulumi.pulumi, "stack", "export", "--stack", stack], cwd=root, check=True,
                              capture_output=True, text=True).stdout
    return [bool(r.get("protect")) for r in json.loads(exported)["deployment"]["resources"]
            if r["type"] == "aws:vpclattice/serviceNetwork:ServiceNetwork"]


def latticectl(root: Path, *args: str, code: int = 0):
    result = runner.invoke(app, [*args, "--project-dir", str(root)])
    assert result.exit_code == code, result.output
    return result.output


def test_a_release_verified_in_dev_is_promoted_to_staging_for_real(real_pulumi: RealPulumi, tmp_path, monkeypatch):
    monkeypatch.delenv(STORE_ENV, raising=False)
    staging_account = LatticeEmulator(account_id="222233334444").start()
    try:
        _promote_for_real(real_pulumi, project(tmp_path, staging_account.url), staging_account)
        assert staging_account.internal_errors == []
    finally:
        staging_account.stop()


def _promote_for_real(real_pulumi: RealPulumi, root: Path, staging_account: LatticeEmulator) -> None:
    digest = re.search(r"release (sha256:[0-9a-f]{64}) recorded", latticectl(root, "up", "--stack", "dev", "--yes"))[1]
    lattice = real_pulumi.emulator.client()
    latticectl(root, "targets", "sync", "--stack", "dev", "--region", "us-west-2")
    assert "verified in dev" in latticectl(root, "verify", "dev")

    # Staging's target groups are empty until its own targets are synced: not verified yet.
    promoted = latticectl(root, "promote", "dev", "staging", "--yes", "--waive", "soak", code=1)
    assert "verification FAILED in staging" in promoted and f"digest: {digest}" in (
        root / "stacks" / "Pulumi.staging.yaml").read_text()
    assert "# staging: promoted from dev" in (root / "stacks" / "Pulumi.staging.yaml").read_text()
    assert sorted(g["vpcIdentifier"] for g in lattice.list_target_groups()["items"]) == [DEV_VPC] * 2
    staging = staging_account.client()
    groups = staging.list_target_groups()["items"]
    assert sorted(g["vpcIdentifier"] for g in groups) == [STAGING_VPC] * 2  # rewritten into staging's VPC
    for group in groups:
        staging.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.1.0.5", "port": 8080}])
    assert "verified in staging" in latticectl(root, "verify", "staging")
    # staging is protected: its service network carries Pulumi's protect, dev's does not.
    assert protected_networks(real_pulumi, root, "staging") == [True]
    assert protected_networks(real_pulumi, root, "dev") == [False]

    before = len(real_pulumi.emulator.mutating_calls), len(staging_account.mutating_calls)
    again = latticectl(root, "promote", "dev", "staging", "--yes", "--waive", "soak")
    assert "already holds release" in again
    assert (len(real_pulumi.emulator.mutating_calls), len(staging_account.mutating_calls)) == before
    history = latticectl(root, "history", "staging")
    assert "promote from dev  succeeded  verification passed" in history
