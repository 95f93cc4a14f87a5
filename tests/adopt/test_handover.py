"""The hand-over's own logic, without the engine: the post-import check, the import
targets, the recorded adoption, and a dry run that changes nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult

from lattice_program.adopt.handover import (AdoptError, AdoptRequest, _import_targets, _post_import_destructive,
                                            adopt, adoption_record, vanished)
from lattice_program.adopt.inventory import read_inventory
from lattice_program.adopt.ownership import parse_managed_by
from lattice_program.adopt.survey import survey
from lattice_program.vocabulary.settings import AdoptedResourceSettings
from tests.adopt.controller_seed import CONTROLLER

SERVICE_URN = "urn:pulumi:dev::lattice-gateway::lattice:index:GatewayClass$lattice:index:HTTPRoute$aws:vpclattice/service:Service::HTTPRoute/default/rates"
OURS = "lattice-gateway/lattice-gateway/dev"


def pre_event(urn: str, op: str, keys=()):
    metadata = SimpleNamespace(urn=urn, op=op, type="aws:vpclattice/service:Service", keys=list(keys), diffs=list(keys))
    return SimpleNamespace(resource_pre_event=SimpleNamespace(metadata=metadata))


class Previewing:
    def __init__(self, events, fails_with: str = "") -> None:
        self.events, self.fails_with = events, fails_with

    def preview(self, on_event):
        for event in self.events:
            on_event(event)
        if self.fails_with:
            raise auto.CommandError(CommandResult(stdout="", stderr=self.fails_with, code=255))


def test_a_protected_replacement_in_the_post_import_preview_is_named_with_its_input():
    stack = Previewing([pre_event(SERVICE_URN, "update", ["customDomainName"])],
                       fails_with=f'error: unable to replace resource "{SERVICE_URN}"\nas it is currently marked for protection')
    (refusal,) = _post_import_destructive(stack, {SERVICE_URN})
    assert "replace HTTPRoute/default/rates" in refusal and "customDomainName" in refusal


def test_a_plain_replacement_event_is_refused_and_updates_are_not():
    assert _post_import_destructive(Previewing([pre_event(SERVICE_URN, "update", ["tags"])]), {SERVICE_URN}) == []
    (refusal,) = _post_import_destructive(Previewing([pre_event(SERVICE_URN, "replace", ["name"])]), {SERVICE_URN})
    assert refusal.startswith("replace ") and "name" in refusal


def test_another_preview_failure_stops_adoption_with_the_engine_error():
    with pytest.raises(AdoptError, match="post-import preview.*provider crashed"):
        _post_import_destructive(Previewing([], fails_with="error: provider crashed"), {SERVICE_URN})


def test_import_targets_are_the_imports_and_their_components_only(emulator, seeded, objects, settings):
    found = survey(objects, settings, read_inventory(emulator.client()), parse_managed_by(CONTROLLER), OURS,
                   stack="dev", project="lattice-gateway")
    targets = set(_import_targets(found))
    imported = {m.planned.urn for m in found.report.imports}
    components = {urn for urn in targets - imported}
    assert imported <= targets
    assert {urn.split("::")[-2].rsplit("$", 1)[-1] for urn in components} == {
        "lattice:index:GatewayClass", "lattice:index:Gateway", "lattice:index:HTTPRoute"}
    # Nothing of the objects that are not found or left alone.
    assert not any("checkout" in urn or "inventory" in urn for urn in targets)


def test_the_record_keeps_earlier_entries_and_physical_names(emulator, seeded, objects, settings):
    inventory = read_inventory(emulator.client())
    found = survey(objects, settings, inventory, parse_managed_by(CONTROLLER), OURS, stack="dev",
                   project="lattice-gateway")
    first = adoption_record(found, OURS, None, inventory)
    assert len(first.resources) == 8
    names = {entry.logical_name: entry.physical_name for entry in first.resources}
    assert names["HTTPRoute/default/rates"] == "rates-default"
    assert names["HTTPRoute/default/rates->Gateway/default/my-hotel"] is None  # associations have no name
    assert adoption_record(found, OURS, first, inventory) == first


def test_the_record_drops_entries_whose_resources_no_longer_exist(emulator, seeded, objects, settings):
    """An import that failed because a resource vanished left its ID in the record: every
    later update would try to import it.  A full inventory without it drops the entry."""
    inventory = read_inventory(emulator.client())
    found = survey(objects, settings, inventory, parse_managed_by(CONTROLLER), OURS, stack="dev",
                   project="lattice-gateway")
    first = adoption_record(found, OURS, None, inventory)
    gone = AdoptedResourceSettings(type="aws:vpclattice/targetGroup:TargetGroup", logical_name="HTTPRoute/default/old",
                                   id="tg-0123456789abcdef0", physical_name="old-default-80")
    stale = first.model_copy(update={"resources": [*first.resources, gone]})
    assert vanished(stale, inventory) == [gone]
    assert adoption_record(found, OURS, stale, inventory) == first
    assert vanished(first, inventory) == []


def test_a_dry_run_changes_nothing(tmp_path, emulator, seeded, objects, settings):
    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\n")
    start = len(emulator.mutating_calls)
    request = AdoptRequest(stack="dev", project_dir=root, controller=parse_managed_by(CONTROLLER),
                           objects=objects, settings=settings, dry_run=True)
    outcome = adopt(request, emulator.client(), read_inventory(emulator.client()))
    assert [(s.name, s.status) for s in outcome.steps] == [
        ("record", "would"), ("import", "would"), ("retag", "would"), ("hand-over", "would")]
    assert emulator.mutating_calls[start:] == [] and sorted(p.name for p in root.iterdir()) == ["Pulumi.yaml"]


def test_an_account_without_the_controllers_resources_imports_nothing(tmp_path, emulator, objects, settings):
    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\n")
    request = AdoptRequest(stack="dev", project_dir=root, controller=parse_managed_by(CONTROLLER),
                           objects=objects, settings=settings)
    outcome = adopt(request, emulator.client(), read_inventory(emulator.client()))
    assert [(s.name, s.status, s.detail) for s in outcome.steps] == [
        ("import", "skipped", "nothing the controller made matches an object of the stack")]
    assert not outcome.refused and outcome.report.imports == ()
    assert emulator.mutating_calls == [] and sorted(p.name for p in root.iterdir()) == ["Pulumi.yaml"]


def test_the_project_name_comes_from_pulumi_yaml_or_the_error_says_what_to_pass(tmp_path):
    from lattice_program.adopt.handover import project_name

    with pytest.raises(AdoptError, match=f"no Pulumi.yaml in {tmp_path}: pass the project root as --project-dir"):
        project_name(tmp_path)
    (tmp_path / "Pulumi.yml").write_text("name: [unclosed\n")
    with pytest.raises(AdoptError, match=f"{tmp_path / 'Pulumi.yml'} is not valid YAML"):
        project_name(tmp_path)
    (tmp_path / "Pulumi.yml").write_text("name: platform\nruntime: python\n")
    assert project_name(tmp_path) == "platform"


def test_a_replacement_the_engine_refuses_after_the_import_stops_before_retagging(tmp_path, emulator, seeded, objects,
                                                                                   settings):
    """The post-import preview is the engine's word: when it would replace an adopted resource
    (protected, the engine refuses it), adoption stops there and retags nothing."""
    from pulumi.automation import CommandResult as Result

    from lattice_program.vocabulary.settings import ServiceNetworkSettings, merged
    from tests.support.pulumi_cli import FakePulumiCLI

    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\n")
    inventory = read_inventory(emulator.client())
    found = survey(objects, settings, inventory, parse_managed_by(CONTROLLER), OURS, stack="dev",
                   project="lattice-gateway")
    # Recorded by an earlier adopt that stopped before its import: only the import and what follows remain.
    recorded = merged(settings, adoption=adoption_record(found, OURS, None, inventory), service_networks={
        "my-hotel": ServiceNetworkSettings(existing=seeded.network["id"])})
    service = next(m.planned.urn for m in found.report.imports if m.planned.name == "HTTPRoute/default/rates")
    cli = FakePulumiCLI(stacks=("dev",), changes={"up": {"same": 8}})
    cli.failures["preview"] = Result(stdout="", code=255, stderr=f'error: unable to replace resource "{service}"\n'
                                     "as it is currently marked for protection")
    start = len(emulator.mutating_calls)
    request = AdoptRequest(stack="dev", project_dir=root, controller=parse_managed_by(CONTROLLER), objects=objects,
                           settings=recorded, pulumi_command=cli)
    outcome = adopt(request, emulator.client(), read_inventory(emulator.client()))
    assert [(s.name, s.status) for s in outcome.steps] == [("record", "already"), ("import", "done"),
                                                            ("check", "refused")]
    assert outcome.steps[-1].detail.startswith(
        "the post-import preview would replace HTTPRoute/default/rates because of inputs the engine did not name. "
        "The resources stay protected")
    assert outcome.refused and emulator.mutating_calls[start:] == []  # no ManagedBy retagged
    sent = [command for command in cli.commands() if command[0] in ("up", "preview")]
    assert [command[0] for command in sent] == ["up", "preview"]
    targeted = [sent[0][i + 1] for i, arg in enumerate(sent[0]) if arg == "--target"]
    assert sorted(targeted) == _import_targets(found)  # the import touches the adopted resources only
