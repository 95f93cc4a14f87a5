"""Check: the inputs as the real provider would accept them, or why not.

Defaults applied are the ones real pulumi-aws applies and our program relies on:
``tagsAll`` (the provider's default tags under the resource's own), a weight of 100
for a forwarded-to target group that names none (the Terraform schema default), and
an auto-name when the SDK lets ``name`` be omitted but the API needs one.
"""

from __future__ import annotations

import random
import re
from typing import Any, Mapping

from tests.support.aws_provider.resources import TAGS, TAGS_ALL, ResourceType
from tests.support.aws_provider.values import UNKNOWN, has_unknown

DEFAULT_WEIGHT = 100


def check(rt: ResourceType, urn_name: str, olds: Mapping[str, Any], news: Mapping[str, Any],
          random_seed: bytes, default_tags: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(checked inputs, failures as (property, reason))."""
    inputs = {k: v for k, v in news.items() if v is not None}
    failures = [
        (name, f"missing required property '{name}' of {rt.token}")
        for name in sorted(rt.sdk.required)
        if name not in inputs
    ]
    for member in rt.api.parents:
        if rt.parent_value(inputs, member) is None:
            failures.append((rt.sdk_input(member) or member, f"{rt.token} needs '{rt.sdk_input(member) or member}'"))
    unknown = sorted(k for k in set(inputs) - set(rt.sdk.inputs.props) - {TAGS_ALL} if not k.startswith("__"))
    failures += [(name, f"{rt.token} has no input property '{name}'") for name in unknown]

    if "name" in rt.sdk.inputs.props and "name" not in inputs and "name" in rt.api.create.input_shape.required_members:
        inputs["name"] = olds.get("name") or _autoname(rt, urn_name, random_seed)
    _default_weights(inputs)
    if rt.has_tags():
        tags = inputs.get(TAGS) or {}
        inputs[TAGS_ALL] = UNKNOWN if has_unknown(tags) else {**default_tags, **tags}
    return inputs, failures


def _autoname(rt: ResourceType, urn_name: str, random_seed: bytes) -> str:
    """``<resource name>-<7 hex>`` as pulumi's auto-naming does, within the API's
    length limit and in its alphabet (lowercase letters, digits, hyphens)."""
    shape = rt.api.create.input_shape.members["name"]
    limit = int(shape.metadata.get("max", 63))
    suffix = "%07x" % random.Random(random_seed or None).getrandbits(28)
    base = re.sub(r"[^a-z0-9-]+", "-", urn_name.lower()).strip("-") or "resource"
    return f"{base[: limit - len(suffix) - 1]}-{suffix}"


def _default_weights(value: Any) -> None:
    if isinstance(value, dict):
        if "targetGroupIdentifier" in value and value.get("weight") is None:
            value["weight"] = DEFAULT_WEIGHT
        for item in value.values():
            _default_weights(item)
    elif isinstance(value, list):
        for item in value:
            _default_weights(item)
