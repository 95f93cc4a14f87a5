"""The promotion commands through typer's CliRunner: `up` records releases, then
promote, history, diff, freeze, approve, with the engine double and the emulator."""

from __future__ import annotations

import json
import re

from tests.promote.doubles import FakeEngine
from tests.support.automation_double import answer_operations


def test_every_successful_up_records_the_release_it_applied(world, cli, monkeypatch):
    operations = answer_operations(monkeypatch, {"create": 3})
    first = cli("up", "--stack", "dev", "--yes")
    digest = re.search(r"release (sha256:[0-9a-f]{64}) recorded for stack dev", first.stdout)[1]
    assert operations == ["preview", "up"]
    assert (world.root / "releases" / "dev" / "releases" / f"{digest[7:]}.json").is_file()
    cli("up", "--stack", "dev", "--yes")
    history = cli("history", "dev").stdout.strip().splitlines()
    assert len(history) == 1 and digest[:19] in history[0] and "succeeded  verification not run" in history[0]


def test_an_up_that_fails_records_nothing(world, cli, monkeypatch):
    from lattice_program.engine import automation

    def run_operation(target, operation, **kwargs):
        if operation == "up":
            raise automation.PulumiCommandFailed(command="up", stack="dev", cli_exit_code=255, stderr_tail="boom")
        return automation.OperationResult(operation=operation, stack="dev", summary={"create": 3}, outputs={}, stdout="")
    answer_operations(monkeypatch, {"create": 3})
    monkeypatch.setattr(automation, "run_operation", run_operation)
    cli("up", "--stack", "dev", "--yes", code=1)
    assert not (world.root / "releases").exists()


def test_promote_shows_gates_rewrite_and_changes_then_applies_pins_and_verifies(world, cli):
    release = world.verified_dev()
    world.serving("staging")
    refused = cli("promote", "dev", "staging", code=2)  # no terminal and no --yes
    assert "no terminal to ask" in refused.output and "digest" not in world.stack_file("staging")
    preview = cli("promote", "dev", "staging", "--no-apply").stdout
    assert "pass    soak" in preview and "shop.dev.example.com -> shop.staging.example.com" in preview
    assert "HTTPRoute/shop/checkout: 1 update" in preview and "nothing was changed" in preview
    done = cli("promote", "dev", "staging", "--yes").stdout
    assert "verified in staging" in done and f"digest: {release.digest}" in world.stack_file("staging")
    again = cli("promote", "dev", "staging", "--yes").stdout
    assert "already holds release" in again and world.engine.ups("staging") == 1
    diff = cli("diff", "dev", "staging").stdout
    assert "HTTPRoute shop/checkout: differs (spec)" in diff  # its hostname
    lattice = diff[diff.index("Lattice resources:"):]
    assert "Service HTTPRoute/shop/checkout: differs (custom_domain_name, name)" in lattice
    assert re.search(r"TargetGroup \S+: differs \(name, vpc_identifier\)", lattice)
    assert "only in" not in lattice


def test_a_blocked_gate_exits_1_naming_it_and_a_waiver_passes_it(world, cli):
    world.verified_dev(soak_minutes=0)
    world.serving("staging")
    blocked = cli("promote", "dev", "staging", "--yes", code=1)
    assert "BLOCKED soak" in blocked.output and "--waive NAME" in blocked.output
    assert "WAIVED  soak" in cli("promote", "dev", "staging", "--yes", "--waive", "soak").stdout


def test_freeze_and_unfreeze_edit_the_stack_file_and_block_promotions(world, cli):
    world.verified_dev()
    assert "is frozen" in cli("freeze", "staging").stdout
    assert "frozen: true" in world.stack_file("staging")
    assert "frozen" in cli("promote", "dev", "staging", "--yes", code=1).output
    cli("unfreeze", "staging")
    assert "frozen: false" in world.stack_file("staging")


def test_bad_input_exits_2_with_a_clear_message(world, cli):
    assert "unknown stack 'qa'" in cli("promote", "dev", "qa", code=2).output
    assert "is not a preview hash" in cli("approve", "prod", "abc", code=2).output
    assert "never recorded in stack dev" in cli("promote", "dev", "staging", "--release", "sha256:" + "2" * 64,
                                                code=2).output
    assert "holds no recorded release" in cli("diff", "dev", "staging", code=1).output
    assert FakeEngine().ups() == 0


def test_an_input_edited_during_the_up_is_not_recorded_as_applied(world, cli, monkeypatch):
    from lattice_program.engine import automation

    def run_operation(target, operation, **kwargs):
        if operation == "up":  # someone edits the manifests while the update runs
            (world.root / "manifests" / "00-late.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: late}\n")
        return automation.OperationResult(operation=operation, stack="dev", summary={"create": 3}, outputs={}, stdout="")
    answer_operations(monkeypatch, {"create": 3})
    monkeypatch.setattr(automation, "run_operation", run_operation)
    result = cli("up", "--stack", "dev", "--yes")
    assert "release not recorded: the input of stack dev changed during the update" in result.output
    assert not (world.root / "releases").exists()


def test_the_daemon_is_told_not_to_converge_a_frozen_stack_except_to_roll_back(world):
    from lattice_program.promote.pin import set_frozen
    from lattice_program.promote.recorder import converge_refusal

    assert converge_refusal(world.promoter.stack("staging").settings) is None
    set_frozen(world.root / "stacks" / "Pulumi.staging.yaml", True)
    frozen = world.promoter.stack("staging").settings
    assert "frozen" in converge_refusal(frozen) and converge_refusal(frozen, rollback=True) is None


def test_up_of_a_promoted_stack_runs_the_program_on_its_pinned_release(world, cli, monkeypatch):
    from lattice_program.engine import automation
    from lattice_program.program.mock_plan import record_program

    release = world.verified_dev()
    world.serving("staging")
    cli("promote", "dev", "staging", "--yes")
    declared = []

    def run_operation(target, operation, **kwargs):
        declared.extend(record_program(target.program))
        return automation.OperationResult(operation=operation, stack="staging", summary={"same": 9}, outputs={}, stdout="")
    answer_operations(monkeypatch, {"create": 3})
    monkeypatch.setattr(automation, "run_operation", run_operation)
    result = cli("up", "--stack", "staging", "--yes")
    groups = [r.inputs for r in declared if r.type == "aws:vpclattice/targetGroup:TargetGroup"]
    services = [r.inputs for r in declared if r.type == "aws:vpclattice/service:Service"]
    assert groups and {g["config"]["vpcIdentifier"] for g in groups} == {"vpc-05a6b7c8d9e0f1234"}
    assert [s.get("customDomainName") for s in services] == ["shop.staging.example.com"]
    # What it applied is the pinned release itself, already current there: no second history row.
    assert f"release {release.digest} recorded for stack staging" in result.output
    assert len(cli("history", "staging").stdout.strip().splitlines()) == 1


def test_plan_of_a_promoted_stack_shows_its_pinned_release_not_the_manifests(world, cli):
    """`latticectl plan --stack staging` shows what its `up` applies: the release promoted
    into it, rewritten for staging, even after dev's manifests moved on."""
    from tests.promote.doubles import set_hostname

    world.verified_dev()
    world.serving("staging")
    cli("promote", "dev", "staging", "--yes")
    set_hostname(world.root, "shop.next.example.com")  # the manifests move on; the pin does not
    document = json.loads(cli("plan", "--stack", "staging", "--output", "json").stdout)
    domains = [r["inputs"].get("customDomainName") for r in document["resources"]
               if r["type"] == "aws:vpclattice/service:Service"]
    assert domains == ["shop.staging.example.com"]
    assert any("pinned to a promoted release" in p["message"] for p in document["problems"])


def test_rollback_applies_the_previous_release_and_unhold_lifts_its_hold(world, cli):
    first = world.verified_dev()
    world.serving("staging")
    cli("promote", "dev", "staging", "--yes")
    (world.root / "manifests" / "00-extra.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    world.verified_dev()
    cli("promote", "dev", "staging", "--yes")
    done = cli("rollback", "staging", "--yes", "--reason", "checkout 500s").stdout
    assert f"rollback of release {first.digest} into staging: same 4, update 1" in done
    assert "verified in staging" in done and "reason: checkout 500s" in world.stack_file("staging")
    lifted = cli("unhold", "staging").stdout
    assert "stack staging is not held (" in lifted and "hold:" not in world.stack_file("staging")
    assert cli("unhold", "staging").stdout.strip() == "stack staging is not held already"


def test_verify_exits_1_when_a_check_fails(world, cli):
    world.up_dev()
    world.serving("dev", healthy=False)
    failed = cli("verify", "dev", code=1).stdout
    assert "failed  target group checkout: no targets registered" in failed
    assert failed.strip().endswith("verification FAILED in dev")


def test_approve_records_the_approval_of_that_preview(world, cli):
    preview = "sha256:" + "b" * 64
    assert cli("approve", "prod", preview, "--note", "planned").stdout.strip() == \
        f"preview {preview} of stack prod approved"
    store = world.promoter.store(world.promoter.stack("prod"))
    assert store.approved("prod", preview) and not store.approved("staging", preview)


def test_history_of_a_stack_that_applied_nothing_says_so(world, cli):
    assert cli("history", "staging").stdout.strip() == "stack staging has applied no recorded release"
