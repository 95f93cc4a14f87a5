"""The daemon's engine: its inline program is the plan, and it drives the CLI as asked."""

from __future__ import annotations

from pathlib import Path

from lattice_program.contract.pipeline import plan
from lattice_program.program.mock_plan import record_plan, record_program
from lattice_program.program.stack import run_objects
from lattice_program.sources.files import load_paths
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.watch.converge import observation_of
from lattice_program.watch.stack_engine import AutomationStackEngine
from tests.support.pulumi_cli import FakePulumiCLI

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = StackSettings(vpc_id="vpc-0a1b2c3d4e5f60789", cluster_name="east")


def checkout() -> dict:
    return {"east": tuple(load_paths([str(ROOT / "examples" / "checkout-ab")]))}


def test_what_the_daemon_applies_is_what_plan_shows_for_the_same_objects():
    objects = checkout()
    engine = AutomationStackEngine("dev", SETTINGS, work_dir=ROOT)
    target = engine._target(observation_of(objects), {})
    daemon = record_program(target.program)
    planned = record_plan(plan(objects, SETTINGS).model)
    assert daemon == planned
    assert len(daemon) > 10


def test_the_inline_program_keeps_the_previous_priorities():
    previous = {"rulePriorities": {"HTTPRoute/shop/checkout/http-80": {"pinned-to-b": 500, "split": 700}}}
    resources = record_program(lambda: run_objects(checkout(), SETTINGS, previous=previous))
    priorities = sorted(r.inputs["priority"] for r in resources if r.type.endswith("ListenerRule"))
    # The named rules keep theirs; each PathPrefix's new exact half takes a free value before its rule.
    assert 500 in priorities and 700 in priorities and len(priorities) == 4
    assert priorities[0] < 500 < priorities[2] < 700


def test_preview_and_up_go_through_the_cli_with_refresh_when_asked(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\n")
    cli = FakePulumiCLI(stacks=("dev",), changes={"preview": {"create": 2}, "up": {"create": 2}},
                        outputs={"modelDigest": "sha256:abc"})
    engine = AutomationStackEngine("dev", SETTINGS, work_dir=tmp_path, pulumi_command=cli)
    observation = observation_of(checkout())
    assert engine.preview(observation, {}, refresh=True) == {"create": 2}
    outputs = engine.up(observation, {}, refresh=False)
    assert outputs["modelDigest"] == "sha256:abc"
    sent = [call.args for call in cli.calls if call.args[0] in ("preview", "up")]
    assert "--refresh" in sent[0] and "--refresh" not in sent[1]


def test_the_digest_of_an_update_that_did_not_succeed_is_not_trusted(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\n")
    cli = FakePulumiCLI(stacks=("dev",))
    cli.current_outputs["dev"] = {"modelDigest": "sha256:abc", "targetGroups": {"k": "tg-1"}}
    engine = AutomationStackEngine("dev", SETTINGS, work_dir=tmp_path, pulumi_command=cli)
    cli.history["dev"] = [{"kind": "update", "result": "succeeded", "startTime": "2026-12-01T08:00:00.000Z",
                           "endTime": "2026-12-01T08:01:00.000Z", "message": "", "version": 1,
                           "environment": {}, "config": {}}]
    assert engine.outputs()["modelDigest"] == "sha256:abc"
    cli.history["dev"].insert(0, dict(cli.history["dev"][0], result="failed", version=2))  # cancelled mid-way
    found = engine.outputs()
    assert "modelDigest" not in found and found["targetGroups"] == {"k": "tg-1"}
