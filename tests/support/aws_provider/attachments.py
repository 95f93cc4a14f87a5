"""``aws:vpclattice/targetGroupAttachment:TargetGroupAttachment``: one target registered in
one target group, the one resource of the double that is not a Create/Get/Delete noun of
the API (``resources.py``) but RegisterTargets / ListTargets / DeregisterTargets.

As real pulumi-aws (Terraform's ``aws_vpclattice_target_group_attachment``): both inputs
force a replacement; the ID joins the group, the target ID and the port with ``,`` (a
Lambda or ALB ARN holds ``:`` and ``/``, never ``,``); a target no longer listed, or
draining, reads as gone; deleting one already gone succeeds.  Unlike AWS, nothing waits
for a deregistered target to finish draining (the emulator drains on request).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckResponse,
    CreateResponse,
    DiffResponse,
    PropertyDiff,
    PropertyDiffKind,
    ReadResponse,
)

from tests.support.aws_provider.api import service_model
from tests.support.aws_provider.values import plain_map, property_map

TOKEN = "aws:vpclattice/targetGroupAttachment:TargetGroupAttachment"
INPUTS = ("targetGroupIdentifier", "target")
NOT_FOUND = "ResourceNotFoundException"
DRAINING = "DRAINING"


def handles(type_token: str) -> bool:
    return type_token.rsplit("$", 1)[-1] == TOKEN


def _target(inputs: Mapping[str, Any]) -> dict[str, Any]:
    given = inputs.get("target") or {}
    target = {"id": given.get("id")}
    if given.get("port") is not None:
        target["port"] = given["port"]
    return target


def _resource_id(group: str, target: Mapping[str, Any]) -> str:
    return ",".join((group, target["id"], str(target.get("port", ""))))


def _parse_id(resource_id: str) -> tuple[str, dict[str, Any]]:
    parts = resource_id.split(",")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise ValueError(f"{TOKEN}: ID {resource_id!r} is not of the form targetGroupIdentifier,targetId,port")
    target: dict[str, Any] = {"id": parts[1]}
    if parts[2]:
        target["port"] = int(parts[2])
    return parts[0], target


def _state(group: str, target: Mapping[str, Any]) -> dict[str, Any]:
    return {"targetGroupIdentifier": group, "target": dict(target)}


def check(request) -> CheckResponse:
    inputs = {k: v for k, v in plain_map(request.new_inputs).items() if v is not None}
    failures = [CheckFailure(name, f"missing required property '{name}' of {TOKEN}") for name in INPUTS
                if name not in inputs]
    failures += [CheckFailure(name, f"{TOKEN} has no input property '{name}'") for name in sorted(inputs)
                 if name not in INPUTS and not name.startswith("__")]
    if "target" in inputs and not (inputs["target"] or {}).get("id"):
        failures.append(CheckFailure("target", f"{TOKEN} needs target.id"))
    return CheckResponse(inputs=property_map(inputs), failures=failures or None)


def diff(request) -> DiffResponse:
    olds, news = plain_map(request.old_state), plain_map(request.new_inputs)
    changed = [key for key in INPUTS if (_target(olds) if key == "target" else olds.get(key))
               != (_target(news) if key == "target" else news.get(key))]
    return DiffResponse(changes=bool(changed), replaces=changed, diffs=changed,
                        detailed_diff={key: PropertyDiff(PropertyDiffKind.UPDATE_REPLACE, input_diff=True)
                                       for key in changed},
                        delete_before_replace=False)


async def create(provider, request) -> CreateResponse:
    inputs = plain_map(request.properties)
    group, target = inputs.get("targetGroupIdentifier"), _target(inputs)
    if request.preview:
        return CreateResponse(resource_id="", properties=property_map(_state(group, target)))
    answer = await provider._call(_operation("RegisterTargets"), {"targetGroupIdentifier": group, "targets": [target]})
    failed = answer.get("unsuccessful") or []
    if failed:
        raise RuntimeError(f"{TOKEN}: RegisterTargets({group}, {target['id']}) failed: "
                           f"{failed[0].get('failureCode')}: {failed[0].get('failureMessage')}")
    return CreateResponse(resource_id=_resource_id(group, target), properties=property_map(_state(group, target)))


async def read(provider, request) -> ReadResponse:
    group, target = _parse_id(request.resource_id)
    found = await _listed(provider, group, target)
    if found is None or found.get("status") == DRAINING:
        return ReadResponse(resource_id="")
    state = property_map(_state(group, target))
    return ReadResponse(resource_id=request.resource_id, properties=state, inputs=state)


async def delete(provider, request) -> None:
    group, target = _parse_id(request.resource_id)
    try:
        await provider._call(_operation("DeregisterTargets"), {"targetGroupIdentifier": group, "targets": [target]})
    except Exception as error:  # ApiCallFailed: the group is gone, and the target with it
        if getattr(error, "code", None) != NOT_FOUND:
            raise


async def _listed(provider, group: str, target: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    try:
        answer = await provider._call(_operation("ListTargets"), {"targetGroupIdentifier": group,
                                                                   "targets": [dict(target)]})
    except Exception as error:
        if getattr(error, "code", None) == NOT_FOUND:
            return None
        raise
    return next((item for item in answer.get("items") or () if item.get("id") == target["id"]), None)


def _operation(name: str):
    return service_model().operation_model(name)
