"""Promotion dev → staging → prod with the engine double and the Lattice emulator: each
gate blocks and can be waived, the rewrite, idempotence, a failed update, rollback and
hold, freeze, approvals tied to a preview, and bad input."""

from __future__ import annotations

import pytest

from lattice_program.promote import history
from lattice_program.promote.gates import GatesBlocked
from lattice_program.promote.pin import set_frozen
from lattice_program.promote.preview import Step
from lattice_program.promote.promotion import ApprovalRequired
from lattice_program.promote.errors import BadInput, PromotionError
from tests.promote.doubles import SN_TYPE, STAGING_VPC


def promote(world, source="dev", target="staging", **options):
    apply_options = {k: options.pop(k) for k in ("allow_replace",) if k in options}
    plan = world.promoter.plan_promotion(source, target, **options)
    return plan, world.promoter.apply(plan, **apply_options)


def test_a_verified_soaked_release_moves_to_staging_rewritten_pinned_and_verified(world):
    release = world.verified_dev()
    world.serving("staging")
    plan, outcome = promote(world)
    assert plan.release.digest == release.digest and [g.blocks for g in plan.gates] == [False] * 4
    staged = [raw.body for raws in world.engine.seen_objects["staging"].values() for raw in raws]
    assert list(world.engine.seen_objects["staging"]) == ["staging-eks"]
    route = next(body for body in staged if body["kind"] == "HTTPRoute")
    assert route["spec"]["hostnames"] == ["shop.staging.example.com"]
    assert any("shop.dev.example.com -> shop.staging.example.com" in line for line in plan.rewrites)
    assert outcome.applied and outcome.pinned and outcome.verification.passed
    text = world.stack_file("staging")
    assert f"digest: {release.digest}" in text and "from: dev" in text
    assert "# soak in dev first" in text  # the edit kept the file's comments
    events = world.promoter.events(world.promoter.stack("staging"))
    assert history.current_digest(events) == release.digest and history.is_verified(events, release.digest)


def test_promoting_the_same_release_twice_changes_nothing(world):
    world.verified_dev()
    world.serving("staging")
    promote(world)
    before_file, before_events = world.stack_file("staging"), len(world.promoter.events(world.promoter.stack("staging")))
    _, outcome = promote(world)
    assert not outcome.applied and outcome.verification is None
    assert world.engine.ups("staging") == 1
    assert world.stack_file("staging") == before_file
    assert len(world.promoter.events(world.promoter.stack("staging"))) == before_events


@pytest.mark.parametrize("gate, break_it", [
    ("last-update", lambda world: world.engine.last_update_ok.update(dev=False)),
    ("drift", lambda world: world.engine.drifted.update(dev=2)),
    ("soak", lambda world: world.later(minutes=-30)),
])
def test_each_gate_blocks_and_can_be_waived(world, gate, break_it):
    world.verified_dev()
    world.serving("staging")
    break_it(world)
    with pytest.raises(GatesBlocked) as blocked:
        world.promoter.plan_promotion("dev", "staging")
    assert [g.name for g in blocked.value.gates if g.blocks] == [gate]
    assert world.engine.ups() == 0 and "digest" not in world.stack_file("staging")
    plan, outcome = promote(world, waive=(gate,))
    assert [g.name for g in plan.gates if g.waived] == [gate] and outcome.applied


def test_an_unverified_release_is_not_promoted_unless_named_and_waived(world):
    release = world.up_dev()
    world.later(hours=1)
    with pytest.raises(PromotionError, match="no verified release"):
        world.promoter.plan_promotion("dev", "staging")
    with pytest.raises(GatesBlocked, match="not verified in dev"):
        world.promoter.plan_promotion("dev", "staging", digest=release.digest)
    world.serving("staging")
    _, outcome = promote(world, digest=release.digest, waive=("verification",))
    assert outcome.applied


def test_drift_waived_in_the_settings_runs_no_refresh_preview(world):
    world.verified_dev()
    world.engine.drifted["dev"] = 3
    path = world.root / "stacks" / "Pulumi.staging.yaml"
    path.write_text(path.read_text().replace("soakTime: 30m", "soakTime: 30m\n      allowDrift: true"))
    plan = world.promoter.plan_promotion("dev", "staging")
    assert [g.name for g in plan.gates if g.waived] == ["drift"]
    assert ("preview", "dev", True) not in world.engine.calls


def test_a_failed_up_leaves_the_pin_unchanged_and_is_in_the_history(world):
    world.verified_dev()
    world.engine.failing_up.add("staging")
    before = world.stack_file("staging")
    plan = world.promoter.plan_promotion("dev", "staging")
    with pytest.raises(PromotionError, match="failed; its release pin .* is unchanged"):
        world.promoter.apply(plan)
    assert world.stack_file("staging") == before
    rows = history.rows(world.promoter.events(world.promoter.stack("staging")))
    assert [(r.result, r.verification) for r in rows] == [("failed", "not run")]


def test_a_failed_verification_leaves_the_release_unverified_there(world):
    world.verified_dev()
    world.serving("staging", healthy=False)
    _, outcome = promote(world)
    assert outcome.applied and not outcome.verification.passed
    failed = [c for c in outcome.verification.checks if c.result == "failed"]
    assert [c.subject for c in failed] == ["target group checkout"] and "no targets" in failed[0].detail
    events = world.promoter.events(world.promoter.stack("staging"))
    assert not history.is_verified(events, history.current_digest(events))


def test_a_settings_error_names_the_stack_and_the_key(world):
    path = world.root / "stacks" / "Pulumi.staging.yaml"
    path.write_text(path.read_text().replace("soakTime: 30m", "soakTime: soon"))
    with pytest.raises(BadInput) as refused:
        world.promoter.plan_promotion("dev", "staging")
    assert "stack staging" in str(refused.value) and "lattice-gateway:promotion.gates.soakTime" in str(refused.value)


def test_a_value_of_dev_that_staging_does_not_map_is_refused_by_object_and_field(world):
    path = world.root / "stacks" / "Pulumi.staging.yaml"
    text = path.read_text()
    path.write_text(text.replace(text[text.index("      vpcs:"):text.index("      domains:")], ""))
    (world.root / "manifests" / "zz-policy.yaml").write_text(
        "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: VpcAssociationPolicy\n"
        "metadata: {name: assoc, namespace: shop}\nspec:\n  vpcId: vpc-0a1b2c3d4e5f60789\n")
    world.verified_dev()
    with pytest.raises(BadInput) as refused:
        world.promoter.plan_promotion("dev", "staging")
    assert "VpcAssociationPolicy shop/assoc spec.vpcId: vpc-0a1b2c3d4e5f60789" in str(refused.value)
    assert "promotion.rewrite.vpcs" in str(refused.value) and world.engine.ups() == 0


def test_rollback_goes_to_the_previous_verified_release_and_holds_it(world):
    first = world.verified_dev()
    world.serving("staging")
    promote(world)
    (world.root / "manifests" / "00-extra.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n")
    second = world.verified_dev()
    assert second.digest != first.digest
    promote(world)
    plan = world.promoter.plan_rollback("staging")
    assert plan.release.digest == first.digest
    outcome = world.promoter.apply(plan, reason="checkout 500s")
    assert outcome.applied and outcome.verification.passed
    text = world.stack_file("staging")
    assert f"digest: {first.digest}" in text and "reason: checkout 500s" in text
    with pytest.raises(PromotionError, match="held at .* until `latticectl unhold staging`"):
        world.promoter.plan_promotion("dev", "staging")
    rows = history.rows(world.promoter.events(world.promoter.stack("staging")))
    assert [r.operation for r in rows] == ["promote", "promote", "rollback"]


def test_a_frozen_stack_refuses_promotions_but_not_rollbacks(world):
    first = world.verified_dev()
    world.serving("staging")
    promote(world)
    (world.root / "manifests" / "00-extra.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    world.verified_dev()
    promote(world)
    assert set_frozen(world.root / "stacks" / "Pulumi.staging.yaml", True)
    with pytest.raises(PromotionError, match="frozen .* only rollbacks run"):
        world.promoter.plan_promotion("dev", "staging")
    plan = world.promoter.plan_rollback("staging", to=first.digest)
    assert world.promoter.apply(plan).applied


def test_a_protected_stack_needs_an_approval_of_this_very_preview(world):
    world.verified_dev()
    world.serving("staging")
    promote(world)
    world.serving("prod")
    replace = Step("urn:pulumi:prod::lattice-gateway::aws:vpclattice/service:Service::HTTPRoute/shop/checkout/svc",
                   "aws:vpclattice/service:Service", "replace")
    world.engine.destructive["prod"] = [replace]
    plan = world.promoter.plan_promotion("staging", "prod")
    with pytest.raises(ApprovalRequired) as needed:
        world.promoter.apply(plan)
    assert needed.value.preview_hash == plan.preview_hash and world.engine.ups("prod") == 0
    world.promoter.store(world.promoter.stack("prod")).approve("prod", plan.preview_hash)
    # The preview changes before the approved promotion runs: the approval does not carry over.
    world.engine.destructive["prod"] = [replace, Step(replace.urn.replace("svc", "svc2"), replace.type, "delete")]
    changed = world.promoter.plan_promotion("staging", "prod")
    assert changed.preview_hash != plan.preview_hash and not changed.approved
    with pytest.raises(ApprovalRequired):
        world.promoter.apply(changed)
    world.engine.destructive["prod"] = [replace]
    same = world.promoter.plan_promotion("staging", "prod")
    assert same.approved and world.promoter.apply(same).applied


def test_protected_service_networks_are_never_replaced_without_allow_replace(world):
    world.verified_dev()
    world.serving("staging")
    promote(world)
    world.serving("prod")
    step = Step("urn:pulumi:prod::lattice-gateway::aws:vpclattice/serviceNetwork:ServiceNetwork::Gateway/shop/storefront/sn",
                SN_TYPE, "replace")
    world.engine.destructive["prod"] = [step]
    plan = world.promoter.plan_promotion("staging", "prod")
    assert plan.violations == [step]
    with pytest.raises(PromotionError, match="(?s)protected resources.*--allow-replace"):
        world.promoter.apply(plan)
    world.promoter.store(world.promoter.stack("prod")).approve("prod", plan.preview_hash)
    assert world.promoter.apply(plan, allow_replace=True).applied


def test_bad_input_is_a_clear_error_and_loses_nothing(world):
    world.verified_dev()
    before = world.stack_file("staging")
    with pytest.raises(BadInput, match="unknown stack 'qa'.*the stacks are dev, prod, staging"):
        world.promoter.plan_promotion("dev", "qa")
    with pytest.raises(BadInput, match="never recorded in stack dev"):
        world.promoter.plan_promotion("dev", "staging", digest="sha256:" + "1" * 64)
    with pytest.raises(BadInput, match="cannot be promoted into itself"):
        world.promoter.plan_promotion("dev", "dev")
    with pytest.raises(BadInput, match="no such gate"):
        world.promoter.plan_promotion("dev", "staging", waive=("speed",))
    assert world.stack_file("staging") == before and world.engine.ups() == 0


def test_a_promoted_stack_reapplying_its_pin_keeps_its_release(world):
    from lattice_program.promote import recorder

    release = world.verified_dev()
    world.serving("staging")
    promote(world)
    staging = world.promoter.stack("staging")
    objects = recorder.read_inputs(world.root, staging)
    assert next(b for raws in objects.values() for b in (r.body for r in raws)
                if b["kind"] == "HTTPRoute")["spec"]["hostnames"] == ["shop.staging.example.com"]
    assert recorder.record_applied(world.root, "staging", objects).digest == release.digest
    assert staging.settings.clusters[0].vpc_id == STAGING_VPC
