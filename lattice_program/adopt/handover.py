"""The hand-over, in order, each step reported: record the adoption in the stack settings,
import the matched resources with ``protect`` (a targeted ``up`` that takes every input from
AWS, so nothing in AWS changes), check the post-import preview replaces and deletes none of
them, retag ManagedBy to the stack's value, then tell the person what only they can do.

``adopt`` changes nothing in AWS but the ManagedBy tags; ``dry_run`` changes nothing at all
(no stack file write, no stack created, no engine run).  Every step is idempotent, so an
adopt interrupted anywhere is finished by running it again, and a second adopt of the
same installation changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml
from pulumi import automation as auto

from lattice_program.adopt.inventory import Inventory
from lattice_program.adopt.ownership import MANAGED_BY, ControllerIdentity, Owner, our_value
from lattice_program.adopt.report import AdoptionReport
from lattice_program.adopt.survey import Survey, survey
from lattice_program.engine import automation
from lattice_program.program import stack as stack_program
from lattice_program.program.adoption import importing_run
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.settings import (CONFIG_NAMESPACE, AdoptedResourceSettings, AdoptionSettings,
                                                 StackSettings)

_DESTRUCTIVE = ("delete", "replace", "create-replacement", "delete-replaced", "discard", "discard-replaced")
# How the engine refuses to replace or delete a protected resource.
_PROTECTED = re.compile(r'unable to (replace|delete) resource "(urn:pulumi:[^"]+)"')


class AdoptError(Exception):
    """Adoption stopped; the message says at which step, why, and what to do."""


@dataclass
class Step:
    name: str
    status: str  # done | already | would | skipped | refused
    detail: str = ""

    def to_dict(self) -> Dict[str, str]:
        return {"step": self.name, "status": self.status, "detail": self.detail}


@dataclass
class Outcome:
    stack: str
    managed_by: str
    report: AdoptionReport
    steps: List[Step] = field(default_factory=list)
    dry_run: bool = False

    @property
    def refused(self) -> bool:
        return any(step.status == "refused" for step in self.steps)

    def to_dict(self) -> Dict[str, Any]:
        return {"stack": self.stack, "managedBy": self.managed_by, "dryRun": self.dry_run,
                "refused": self.refused, "steps": [s.to_dict() for s in self.steps], **self.report.to_dict()}


@dataclass(frozen=True)
class AdoptRequest:
    stack: str
    project_dir: Path
    controller: ControllerIdentity
    objects: Mapping[str, Sequence[RawObject]]
    settings: StackSettings
    dry_run: bool = False
    pulumi_command: Optional[auto.PulumiCommand] = None


def adopt(request: AdoptRequest, client: Any, inventory: Inventory,
          on_output: Optional[Callable[[str], None]] = None) -> Outcome:
    """Run the hand-over on an inventory already read in full (``read_inventory``)."""
    project = project_name(request.project_dir)
    ours = our_value(project, request.stack)
    found = survey(request.objects, request.settings, inventory, request.controller, ours,
                   stack=request.stack, project=project)
    outcome = Outcome(request.stack, ours, found.report, dry_run=request.dry_run)
    steps = outcome.steps
    if found.report.refused:
        steps.append(Step("check", "refused", "; ".join(r for o in found.report.refused for r in o.reasons)
                          + ". Nothing was changed: make the manifests agree with what runs (or recreate "
                          "that object on purpose), then adopt again"))
        return outcome
    imports = found.report.imports
    record = adoption_record(found, ours, request.settings.adoption, inventory)
    gone = "".join(f"; dropped {entry.logical_name}, whose resource {entry.id} no longer exists"
                   for entry in vanished(request.settings.adoption, inventory))
    pending_tags = [m for m in imports if m.owner is Owner.CONTROLLER]
    recorded = record == request.settings.adoption and not _new_references(found, request.settings)
    if request.dry_run:
        steps.append(Step("record", "already" if recorded else "would",
                          f"{len(record.resources)} adopted resources in {CONFIG_NAMESPACE}:adoption"
                          + _references_text(found) + gone))
        steps.append(Step("import", "would" if imports else "skipped",
                          f"import {len(imports)} resources with protect" if imports else "nothing matched"))
        steps.append(Step("retag", "would" if pending_tags else "already",
                          f"{MANAGED_BY}={ours} on {len(pending_tags)} resources"))
        steps.append(Step("hand-over", "would", handover_text(request.controller)))
        return outcome
    if not imports and not found.network_references:
        steps.append(Step("import", "skipped", "nothing the controller made matches an object of the stack"))
        return outcome
    if recorded and not pending_tags:
        steps.append(Step("import", "already", f"{len(imports)} resources adopted already; nothing to do"))
        steps.append(Step("hand-over", "done", handover_text(request.controller)))
        return outcome

    previous = dict(found.previous_outputs)
    # The preview after the import sees what the first up will: the controller's rule priorities kept.
    stack = automation.open_stack(_target(request, previous=previous), pulumi_command=request.pulumi_command)
    if not recorded:
        _engine("record the adoption in the stack settings", lambda: _write_record(stack, record, found))
    steps.append(Step("record", "already" if recorded else "done",
                      f"{len(record.resources)} adopted resources in {CONFIG_NAMESPACE}:adoption" + _references_text(found)
                      + gone))

    importer = automation.open_stack(_target(request, previous=previous), pulumi_command=request.pulumi_command)
    targets = _import_targets(found)
    with importing_run():
        result = _engine("import", lambda: importer.up(target=targets, on_output=on_output))
    counts = dict(result.summary.resource_changes or {})
    steps.append(Step("import", "done", f"{len(imports)} resources under stack {request.stack} with protect "
                      f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"))

    destructive = _post_import_destructive(stack, {m.planned.urn for m in imports})
    if destructive:
        steps.append(Step("check", "refused", "the post-import preview would " + "; ".join(destructive)
                          + ". The resources stay protected (an up cannot replace or delete them) and their "
                          "ManagedBy is unchanged; fix the input named, then adopt again"))
        return outcome
    steps.append(Step("check", "done", "the post-import preview replaces and deletes none of the adopted resources"))

    for match in pending_tags:
        assert match.found is not None
        _aws(f"TagResource {match.found.arn}",
             lambda arn=match.found.arn: client.tag_resource(resourceArn=arn, tags={MANAGED_BY: ours}))
    steps.append(Step("retag", "done" if pending_tags else "already", f"{MANAGED_BY}={ours} on {len(pending_tags)} "
                      "resources (the controller now leaves them alone)"))
    steps.append(Step("hand-over", "done", handover_text(request.controller)))
    return outcome


def adoption_record(found: Survey, ours: str, previous: Optional[AdoptionSettings],
                    inventory: Inventory) -> AdoptionSettings:
    """What the stack settings keep: every imported resource, by type and logical name,
    with its import ID and the physical name it keeps.  Earlier entries stay unless the
    same resource is now matched anew, or it no longer exists: the inventory is read in
    full, and an import ID of a deleted resource would fail every later update."""
    gone = vanished(previous, inventory)
    entries: Dict[Tuple[str, str], AdoptedResourceSettings] = {}
    for entry in (previous.resources if previous else ()):
        if entry not in gone:
            entries[(entry.type, entry.logical_name)] = entry
    for match in found.report.imports:
        assert match.found is not None
        entries[(match.planned.type, match.planned.name)] = AdoptedResourceSettings(
            type=match.planned.type, logical_name=match.planned.name, id=match.found.import_id,
            physical_name=match.found.name if "name" in match.planned.inputs else None)
    return AdoptionSettings(managed_by=ours, resources=[entries[key] for key in sorted(entries)])


def vanished(previous: Optional[AdoptionSettings], inventory: Inventory) -> List[AdoptedResourceSettings]:
    """The recorded resources that no longer exist (an import that failed halfway, or a
    resource deleted since)."""
    existing = {(item.type, item.import_id) for item in inventory.items}
    return [entry for entry in (previous.resources if previous else ()) if (entry.type, entry.id) not in existing]


def handover_text(controller: ControllerIdentity) -> str:
    return ("now, in the cluster " + controller.cluster + ": (1) scale the AWS Gateway API Controller to zero "
            "(kubectl -n aws-application-networking-system scale deployment --all --replicas=0); "
            "(2) remove its finalizers from the Gateways, routes, ServiceExports, ServiceImports and policies "
            "(kubectl patch <kind> <name> -n <ns> --type=merge -p '{\"metadata\":{\"finalizers\":null}}' for "
            "each finalizer ending in k8s.aws/resources and application-networking.k8s.aws/iam-auth-policy); "
            "(3) run latticectl preview, then up: what differs is updated in place; `latticectl doctor` "
            "reports a controller still running")


def project_name(project_dir: Path) -> str:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        path = Path(project_dir) / name
        if path.is_file():
            try:
                return str((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("name")
                           or automation.DEFAULT_PROJECT_NAME)
            except yaml.YAMLError as error:
                raise AdoptError(f"{path} is not valid YAML: {error}") from None
    raise AdoptError(f"no Pulumi.yaml in {project_dir}: pass the project root as --project-dir")


# --- steps ---------------------------------------------------------------------------------


def _target(request: AdoptRequest, *, previous: Mapping[str, Any]) -> automation.StackTarget:
    def program() -> None:
        stack_program.run(request.project_dir, previous=previous)

    return automation.StackTarget(stack=request.stack, work_dir=request.project_dir, program=program)


def _import_targets(found: Survey) -> List[str]:
    """The imported resources and their components, up to the top of the program: a
    targeted update creates nothing else and deletes nothing."""
    by_urn = {resource.urn: resource for resource in found.planned}
    targets = set()
    for match in found.report.imports:
        urn: Optional[str] = match.planned.urn
        while urn is not None and urn not in targets:
            targets.add(urn)
            urn = by_urn[urn].parent if urn in by_urn else None
    return sorted(targets)


def _post_import_destructive(stack: Any, imported: set) -> List[str]:
    """What the preview would replace or delete among the imported resources, each with the
    inputs that cause it.  Protected, they make the engine fail the preview instead
    ("unable to replace resource"): that is read as the same answer."""
    found: List[str] = []
    diffs: Dict[str, str] = {}

    def on_event(event: Any) -> None:
        pre = getattr(event, "resource_pre_event", None)
        if pre is None or pre.metadata is None:
            return
        metadata = pre.metadata
        op = str(getattr(metadata.op, "value", metadata.op))
        if metadata.urn in imported and (op in _DESTRUCTIVE or metadata.keys):
            diffs[metadata.urn] = ", ".join(metadata.keys or metadata.diffs or ()) or "inputs the engine did not name"
            if op in _DESTRUCTIVE:
                found.append(f"{op} {metadata.urn.rsplit('::', 1)[-1]} ({metadata.type}) because of {diffs[metadata.urn]}")

    try:
        stack.preview(on_event=on_event)
    except auto.CommandError as error:
        refused = sorted(set(_PROTECTED.findall(str(error))))
        if not refused:
            raise AdoptError(f"adopt stopped at step 'post-import preview': the pulumi CLI failed: "
                             f"{_error_lines(str(error))}. The resources are imported and protected; fix the cause "
                             "and run the same adopt again") from None
        found.extend(f"{op} {urn.rsplit('::', 1)[-1]} because of {diffs.get(urn, 'inputs the engine did not name')}"
                     for op, urn in refused if urn in imported)
    return found


def _write_record(stack: auto.Stack, record: AdoptionSettings, found: Survey) -> None:
    key = f"{CONFIG_NAMESPACE}:adoption"
    values: Dict[str, auto.ConfigValue] = {f"{key}.managedBy": auto.ConfigValue(record.managed_by)}
    for index, entry in enumerate(record.resources):
        for name, value in (("type", entry.type), ("logicalName", entry.logical_name), ("id", entry.id),
                            ("physicalName", entry.physical_name)):
            if value is not None:
                values[f"{key}.resources[{index}].{name}"] = auto.ConfigValue(value)
    for gateway, network_id in found.network_references.items():
        values[f'{CONFIG_NAMESPACE}:serviceNetworks[{json.dumps(gateway)}].existing'] = auto.ConfigValue(network_id)
    if key in stack.get_all_config():
        stack.remove_config(key)
    stack.set_all_config(values, path=True)


def _new_references(found: Survey, settings: StackSettings) -> bool:
    return any(settings.service_networks.get(name) is None or settings.service_networks[name].existing != network_id
               for name, network_id in found.network_references.items())


def _references_text(found: Survey) -> str:
    return "".join(f"; Gateway {name} uses service network {network_id} as it stands"
                   for name, network_id in sorted(found.network_references.items()))


def _engine(step: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except auto.CommandError as error:
        raise AdoptError(f"adopt stopped at step '{step}': the pulumi CLI failed:\n{_error_lines(str(error))}\n"
                         "What was done so far stays; fix the cause and run the same adopt again (every step is "
                         "idempotent)") from None


def _error_lines(text: str) -> str:
    lines = text.strip().splitlines()
    return "\n".join([line for line in lines if "error" in line.lower()][:12] or lines[-12:])


def _aws(call_name: str, call: Callable[[], Any]) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except (ClientError, BotoCoreError) as error:
        raise AdoptError(f"adopt stopped at step 'retag': {call_name} failed: {error}. The resources are imported "
                         "and protected; run the same adopt again to finish retagging") from None
