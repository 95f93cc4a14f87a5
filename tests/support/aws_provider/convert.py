"""Values between the SDK's property shapes and the API's, and the names that tie them.

A property of the SDK and a member of the API mostly share a name (both are camelCase
renderings of the same field). Where the Terraform provider behind pulumi_aws shaped a
field differently, the rules in :func:`sdk_name` bridge it; values are walked along the
botocore shape, so whatever a member needs (an int, a struct, a list) comes from the
model, not from a table here.
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Optional

from botocore.model import Shape

from tests.support.aws_provider.sdk import LIST, OBJECT, ObjectType, Prop

# Terraform calls the target group health check's matcher ``value``; the API ``httpCode``.
_RENAMED = {"httpCode": "value"}


def sdk_name(member: str, props: Mapping[str, Prop], noun: str = "") -> Optional[str]:
    """The SDK property that carries API member ``member``, or None.

    Same name; or the plural (``forward`` -> ``forwards``, ``dnsEntry`` ->
    ``dnsEntries``: a block Terraform made a list of); or ``<x>Identifier`` for an
    output's ``<x>Id``; or ``<noun>Id`` (``ruleId``) for the resource's own ``id``.
    """
    candidates = [member, _RENAMED.get(member, ""), member + "s", member[:-1] + "ies" if member.endswith("y") else ""]
    if member.endswith("Id"):
        candidates.append(member[:-2] + "Identifier")
    if member == "id" and noun:
        candidates.append(noun[0].lower() + noun[1:] + "Id")
    for name in candidates:
        if name and name in props:
            return name
    return None


def to_api(shape: Shape, value: Any, obj: Optional[ObjectType] = None) -> Any:
    """An SDK value as the API member of ``shape`` takes it (None: leave it out).

    ``obj`` is the SDK object type where ``shape`` is a structure (or a list of them).
    """
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if isinstance(value, list):  # a Terraform block list the API takes one of
            if not value:
                return None
            value = value[0]
        out = {}
        for member, member_shape in shape.members.items():
            name = sdk_name(member, obj.props) if obj is not None else member
            if name is None:
                continue
            inner = obj.props[name].obj if obj is not None else None
            converted = to_api(member_shape, value.get(name), inner)
            if converted is not None:
                out[member] = converted
        return out
    if kind == "list":
        return [to_api(shape.member, item, obj) for item in value]
    if kind == "map":
        return {str(k): to_api(shape.value, v) for k, v in value.items()}
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    if kind == "boolean":
        return bool(value)
    return str(value)


def from_api(shape: Shape, value: Any, prop: Optional[Prop] = None) -> Any:
    """An API value as the SDK property ``prop`` holds it (a structure the SDK has as a
    list comes back as a list of one)."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        obj = prop.obj if prop is not None else None
        out = {}
        for member, member_shape in shape.members.items():
            if member not in value:
                continue
            name = sdk_name(member, obj.props) if obj is not None else member
            if name is not None:
                out[name] = from_api(member_shape, value[member], obj.props[name] if obj is not None else None)
        return [out] if prop is not None and prop.kind == LIST else out
    if kind == "list":
        element = None if prop is None else Prop(prop.name, prop.optional, OBJECT, prop.obj)
        return [from_api(shape.member, item, element) for item in value]
    if kind == "map":
        return {k: from_api(shape.value, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat()
    return value


def outputs_from_api(shape: Shape, response: Mapping[str, Any], outputs: ObjectType, noun: str) -> dict[str, Any]:
    """The SDK output properties an API response carries."""
    out = {}
    for member, member_shape in shape.members.items():
        if member not in response:
            continue
        name = sdk_name(member, outputs.props, noun)
        if name is not None:
            out[name] = from_api(member_shape, response[member], outputs.props[name])
    return out
