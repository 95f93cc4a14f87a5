"""Diff: which inputs changed, and whether a change can be made in place; and, for a
refresh, whether what the API reports still agrees with the inputs.

A change replaces the resource when it touches a member no Update call can set: the
emulator's ``replacement_members`` (derived from botocore: Create members absent from
Update, parents included, dotted paths where Update takes a structure apart, as for a
target group's ``config.healthCheck``). An input with no API member (``region``, a
listener's ``serviceArn``) also replaces; tags change in place.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional

from botocore.model import Shape

from tests.support.aws_provider.convert import sdk_name
from tests.support.aws_provider.resources import TAGS, TAGS_ALL, ResourceType
from tests.support.aws_provider.sdk import ObjectType
from tests.support.aws_provider.values import UNKNOWN, has_unknown

ADD, DELETE, UPDATE = "add", "delete", "update"


@dataclass
class Diff:
    kinds: dict[str, str] = field(default_factory=dict)
    """Changed top-level input -> ADD, DELETE or UPDATE."""
    replaces: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.kinds)


def replacement_paths(rt: ResourceType) -> frozenset[str]:
    if rt.api.put_style:
        # Put-style (an auth policy): one call sets everything but where it is put.
        return frozenset(rt.api.parents)
    return _replacement_members(rt.noun)


@functools.lru_cache(maxsize=None)
def _replacement_members(noun: str) -> frozenset[str]:
    from tests.support.lattice_emulator import replacement_members

    return frozenset(replacement_members(noun))


def compared_keys(rt: ResourceType) -> list[str]:
    keys = list(rt.sdk.inputs.props)
    if rt.has_tags():
        keys.append(TAGS_ALL)
    return keys


# Nested blocks pulumi-aws (terraform-provider-aws) marks Optional and Computed: left out
# by the program, the provider keeps what the API holds (the API's defaults after an import).
_COMPUTED_BLOCKS = {"aws:vpclattice/targetGroup:TargetGroup": (("config", "healthCheck"),)}


def _with_computed_blocks(rt: ResourceType, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Mapping[str, Any]:
    news = dict(news)
    for key, member in _COMPUTED_BLOCKS.get(rt.token, ()):
        old, new = olds.get(key), news.get(key)
        if isinstance(old, dict) and isinstance(new, dict) and new.get(member) is None and old.get(member) is not None:
            news[key] = {**new, member: old[member]}
    return news


def diff(rt: ResourceType, olds: Mapping[str, Any], news: Mapping[str, Any],
         ignore_changes: tuple[str, ...] = ()) -> Diff:
    result = Diff()
    news = _with_computed_blocks(rt, olds, news)
    ignored = {path.split(".")[0].split("[")[0] for path in ignore_changes}
    for key in compared_keys(rt):
        if key in ignored:
            continue
        old, new = normalized(olds.get(key)), normalized(news.get(key))
        if new is None:
            # Absent from the program: no opinion on a value the provider computes.
            if old is None or rt.sdk.computed(key):
                continue
            kind = DELETE
        elif old is None:
            kind = ADD
        elif has_unknown(new) or old != new:
            kind = UPDATE
        else:
            continue
        result.kinds[key] = kind
        if forces_replacement(rt, key, old, new):
            result.replaces.append(key)
    return result


def forces_replacement(rt: ResourceType, key: str, old: Any, new: Any) -> bool:
    if key in (TAGS, TAGS_ALL):
        return False
    fixed = replacement_paths(rt)
    member = _api_member(rt, key)
    if member is None:
        return True
    shape = rt.api.create.input_shape.members[member]
    return any(_fixed(path, fixed) for path in changed_paths(shape, old, new, rt.sdk.inputs.props[key].obj, member))


def _api_member(rt: ResourceType, key: str) -> Optional[str]:
    for member in rt.api.create.input_shape.members:
        if sdk_name(member, rt.sdk.inputs.props) == key:
            return member
    return None


def _fixed(path: str, fixed: frozenset[str]) -> bool:
    """Whether a change at ``path`` touches a replacement member: the member itself,
    one inside it, or (a whole structure changing) one it contains."""
    return any(path == f or path.startswith(f + ".") or f.startswith(path + ".") for f in fixed)


def changed_paths(shape: Shape, old: Any, new: Any, obj: Optional[ObjectType], path: str) -> Iterator[str]:
    """API paths (dotted) under ``path`` where ``old`` and ``new`` differ."""
    old, new = _one(old), _one(new)
    if shape.type_name != "structure" or not isinstance(old, dict) or not isinstance(new, dict) or obj is None:
        yield path
        return
    for member, member_shape in shape.members.items():
        name = sdk_name(member, obj.props)
        if name is None:
            continue
        o, n = old.get(name), new.get(name)
        if has_unknown(n) or o != n:
            yield from changed_paths(member_shape, o, n, obj.props[name].obj, f"{path}.{member}")


def _one(value: Any) -> Any:
    """A Terraform block list of one (``forwards``) as the structure the API takes."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    return value


def normalized(value: Any) -> Any:
    """Value for comparison: empty collections and None-valued keys are absent."""
    if value is UNKNOWN:
        return value
    if isinstance(value, dict):
        out = {k: normalized(v) for k, v in value.items()}
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(value, list):
        return [normalized(v) for v in value] or None
    return value


def refreshed_inputs(rt: ResourceType, old_inputs: Mapping[str, Any], actual: Mapping[str, Any],
                     ids: Mapping[str, str]) -> dict[str, Any]:
    """Inputs after a refresh: each old input the API still agrees with, as given;
    what the API has where it disagrees. With no old inputs (an import), whatever the
    API and the ID say."""
    inputs = {}
    for key in rt.sdk.inputs.props:
        old, now = old_inputs.get(key), actual.get(key)
        if old is not None:
            inputs[key] = old if now is None or covers(old, now) else now
        elif not old_inputs:
            inputs[key] = now
    if not old_inputs:
        for member, value in ids.items():
            key = rt.sdk_input(member)
            if key is not None and inputs.get(key) is None:
                inputs[key] = value
    return {k: v for k, v in inputs.items() if v is not None}


def covers(given: Any, actual: Any) -> bool:
    """Whether the API's ``actual`` agrees with what was ``given``: members it does not
    echo, defaults it filled in, and an ID given where it answers with the ARN (or the
    other way round) are agreement."""
    if isinstance(given, dict) and isinstance(actual, dict):
        return all(covers(v, actual[k]) for k, v in given.items() if v is not None and actual.get(k) is not None)
    if isinstance(given, list) and isinstance(actual, list):
        return len(given) == len(actual) and all(map(covers, given, actual))
    if isinstance(given, str) and isinstance(actual, str):
        return given == actual or given.endswith("/" + actual) or actual.endswith("/" + given)
    return given == actual
