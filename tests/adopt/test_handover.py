"""The hand-over's own logic, without the engine: the post-import check, the import
targets, the recorded adoption, and a dry run that changes nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult

from lattice_program.adopt.handover import (AdoptError, AdoptRequest, _import_targets, _post_import_destructive,
                                            adopt, adoption_record)
from lattice_program.adopt.inventory import read_inventory
from lattice_program.adopt.ownership import parse_managed_by
from lattice_program.adopt.survey import survey
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
    found = survey(objects, settings, read_inventory(emulator.client()), parse_managed_by(CONTROLLER), OURS,
                   stack="dev", project="lattice-gateway")
    first = adoption_record(found, OURS, None)
    assert len(first.resources) == 8
    names = {entry.logical_name: entry.physical_name for entry in first.resources}
    assert names["HTTPRoute/default/rates"] == "rates-default"
    assert names["HTTPRoute/default/rates->Gateway/default/my-hotel"] is None  # associations have no name
    assert adoption_record(found, OURS, first) == first


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
