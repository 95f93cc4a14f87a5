"""What a promotion refuses, and what it leaves when it stops part-way: an unusable store
or history, a sending stack whose settings are gone, a declined confirmation, a store
that cannot be written before or after the update, a missing engine; and the recorder's
refusal to record a partial cluster read or an unreadable pin."""

from __future__ import annotations

import pulumi
import pytest

from lattice_program.engine.automation import PulumiNotInstalled
from lattice_program.promote import history, recorder
from lattice_program.promote.errors import BadInput, PromotionError
from lattice_program.promote.gates import GatesBlocked
from lattice_program.promote.preview import Step
from lattice_program.sources import cluster
from lattice_program.sources.cluster import ClusterRead
from lattice_program.sources.files import RawObject, SourceError
from tests.promote.doubles import SERVICE_TYPE


def promoted(world):
    """dev's release verified, soaked and promoted into staging; returns the release."""
    release = world.verified_dev()
    world.serving("staging")
    world.promoter.apply(world.promoter.plan_promotion("dev", "staging"))
    return release


def edit(world, stack, old, new):
    path = world.root / "stacks" / f"Pulumi.{stack}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_store_location_that_is_no_store_is_bad_input_naming_the_stack(world):
    edit(world, "dev", "  lattice-gateway:sources: [manifests]\n",
         "  lattice-gateway:sources: [manifests]\n  lattice-gateway:promotion: {store: 'gs://bucket/releases'}\n")
    with pytest.raises(BadInput) as refused:
        world.promoter.plan_promotion("dev", "staging")
    assert str(refused.value).startswith("stack dev: release store 'gs://bucket/releases': use a directory")
    assert refused.value.exit_code == 2


def test_a_corrupt_history_stops_the_promotion_before_any_gate(world):
    world.verified_dev()
    events = sorted((world.root / "releases" / "dev" / "events").iterdir())
    events[-1].write_text("{not json")
    with pytest.raises(PromotionError, match=f"history event {events[-1]} is corrupt") as refused:
        world.promoter.plan_promotion("dev", "staging")
    assert not isinstance(refused.value, BadInput) and world.engine.calls == []  # no gate ran


def test_a_release_whose_recording_stack_is_gone_cannot_be_rewritten(world):
    release = promoted(world)
    (world.root / "stacks" / "Pulumi.dev.yaml").unlink()
    with pytest.raises(BadInput) as refused:
        world.promoter.plan_rollback("staging", to=release.digest)
    assert f"release {release.digest} was recorded by stack 'dev', whose settings the rewrite into staging " \
           "starts from: unknown stack 'dev'" in str(refused.value)


def test_a_release_the_sender_holds_no_longer_blocks_on_drift_and_soak(world):
    release = world.verified_dev()
    world.engine.failing_up.add("staging")
    with pytest.raises(PromotionError):
        world.promoter.apply(world.promoter.plan_promotion("dev", "staging"))
    # staging keeps the release it failed to apply, but holds none.
    with pytest.raises(GatesBlocked) as blocked:
        world.promoter.plan_promotion("staging", "prod", digest=release.digest)
    details = {gate.name: gate.detail for gate in blocked.value.gates if gate.blocks}
    assert details == {"drift": "staging holds no recorded release: its drift cannot be looked for",
                       "soak": "staging does not hold the release now; it cannot soak there"}
    assert ("preview", "staging", True) not in world.engine.calls  # no release: no refresh preview


def test_a_rollback_needs_an_earlier_verified_release(world):
    promoted(world)
    with pytest.raises(PromotionError, match="stack staging has no earlier verified release to roll back to"):
        world.promoter.plan_rollback("staging")


def test_declining_the_confirmation_changes_nothing(world):
    world.verified_dev()
    before = world.stack_file("staging")
    plan = world.promoter.plan_promotion("dev", "staging")
    with pytest.raises(PromotionError, match="^nothing was changed$"):
        world.promoter.apply(plan, confirm=lambda _plan: False)
    assert world.engine.ups() == 0 and world.stack_file("staging") == before
    assert not (world.root / "releases" / "staging").exists()


def test_a_release_that_cannot_be_stored_stops_before_the_update(world):
    world.verified_dev()
    plan = world.promoter.plan_promotion("dev", "staging")
    (world.root / "releases" / "staging").mkdir(parents=True)
    (world.root / "releases" / "staging" / "releases").write_text("a file where the directory goes")
    with pytest.raises(PromotionError, match="cannot (read|write) .*staging/releases.*; nothing was changed"):
        world.promoter.apply(plan)
    assert world.engine.ups() == 0 and "digest" not in world.stack_file("staging")


def test_a_history_that_cannot_be_written_after_the_update_says_it_succeeded(world):
    world.verified_dev()
    plan = world.promoter.plan_promotion("dev", "staging")
    (world.root / "releases" / "staging").mkdir(parents=True)
    (world.root / "releases" / "staging" / "events").write_text("a file where the directory goes")
    with pytest.raises(PromotionError) as refused:
        world.promoter.apply(plan)
    assert str(refused.value).startswith("the update of staging succeeded, but its history could not be written: "
                                         "cannot write")
    assert world.engine.ups("staging") == 1 and "digest" not in world.stack_file("staging")  # not pinned


def test_protected_resources_named_in_the_settings_are_matched_by_urn_fragment(world):
    world.verified_dev()
    edit(world, "staging", "    from: dev\n", "    from: dev\n    protectedResources: ['HTTPRoute/shop/checkout']\n")
    step = Step("urn:pulumi:staging::lattice-gateway::aws:vpclattice/service:Service::HTTPRoute/shop/checkout/svc",
                SERVICE_TYPE, "replace")
    other = Step(step.urn.replace("checkout", "cart"), SERVICE_TYPE, "delete")
    world.engine.destructive["staging"] = [step, other]
    plan = world.promoter.plan_promotion("dev", "staging")
    assert plan.violations == [step] and not plan.needs_approval  # staging is not `protect`ed
    with pytest.raises(PromotionError, match="would replace or delete protected resources:\n  replace .*checkout/svc\n"):
        world.promoter.apply(plan)
    assert world.engine.ups() == 0


def test_verifying_a_stack_that_holds_nothing_is_refused(world):
    with pytest.raises(PromotionError, match="stack staging holds no recorded release: `latticectl up --stack staging`"):
        world.promoter.verify(world.promoter.stack("staging"))


def test_a_missing_engine_keeps_its_exit_code(world):
    world.verified_dev()

    def no_pulumi(*args, **kwargs):
        raise PulumiNotInstalled("the pulumi CLI is not installed: see https://www.pulumi.com/docs/install/")
    world.engine.preview = no_pulumi
    with pytest.raises(PromotionError, match="pulumi CLI is not installed") as refused:
        world.promoter.plan_promotion("dev", "staging", waive=("drift",))
    assert refused.value.exit_code == 3


# -- the recorder ---------------------------------------------------------------------------


def use_context(world):
    edit(world, "dev", "  lattice-gateway:sources: [manifests]\n", "  lattice-gateway:clusters:\n"
         "    - {name: dev-eks, vpcId: vpc-0a1b2c3d4e5f60789, context: dev-context}\n")


def test_a_partial_cluster_read_never_becomes_a_release(world, monkeypatch):
    use_context(world)
    route = RawObject({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "shop"}}, "cluster dev-eks")
    answers = {"dev-context": ClusterRead(objects=(route,), complete=False, failures=("HTTPRoute: 503", "Service: timed out"),
                                          resource_versions={})}
    monkeypatch.setattr(cluster, "read_cluster", lambda *, context, cluster_name: answers[context])
    with pytest.raises(SourceError, match="cluster dev-eks could not be read completely: HTTPRoute: 503; Service: timed out"):
        recorder.read_inputs(world.root, world.promoter.stack("dev"))
    line = recorder.begin_up(world.root, "dev").finish()
    assert line.startswith("release not recorded: cluster dev-eks could not be read completely")
    answers["dev-context"] = ClusterRead(objects=(route,), complete=True, failures=(), resource_versions={})
    assert recorder.read_inputs(world.root, world.promoter.stack("dev")) == {"dev-eks": [route]}


def test_a_recording_problem_after_the_update_is_a_warning(world):
    recording = recorder.begin_up(world.root, "dev")
    (world.root / "stacks" / "Pulumi.dev.yaml").unlink()  # the settings vanish while the update runs
    assert recording.finish().startswith("release not recorded: unknown stack 'dev'")
    assert not (world.root / "releases").exists()


def test_a_pinned_release_that_cannot_be_read_fails_the_program_by_name(world):
    release = promoted(world)
    (world.root / "releases" / "dev" / "releases" / f"{release.digest[7:]}.json").unlink()
    (world.root / "releases" / "staging" / "releases" / f"{release.digest[7:]}.json").unlink()
    ran = []
    program = recorder.stack_program(world.root, "staging", {}, lambda: ran.append("manifests"))
    with pytest.raises(pulumi.RunError, match=f"stack staging: its pinned release cannot be read: release {release.digest} "
                                              "was never recorded in stack staging"):
        program()
    assert ran == []
    events = history.rows(world.promoter.events(world.promoter.stack("staging")))
    assert [row.result for row in events] == ["succeeded"]
