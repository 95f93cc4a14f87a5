"""Live resources by kind, ID and ARN, and List* pagination over them."""

from __future__ import annotations

import base64
import datetime
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from .errors import not_found, validation
from .ids import KINDS, Namer


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def resource_type(kind: str) -> str:
    """The ``resourceType`` an error names: ``TargetGroup`` -> ``TARGET_GROUP``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).upper()


@dataclass
class Resource:
    kind: str
    id: str
    arn: str
    seq: int
    # API member names, as Get<kind> returns them.
    attrs: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    # The service ID for a listener; service and listener IDs for a rule.
    parents: tuple[str, ...] = ()


class Store:
    def __init__(self, namer: Namer) -> None:
        self.namer = namer
        self._by_kind: dict[str, dict[str, Resource]] = {kind: {} for kind in KINDS}
        self._by_arn: dict[str, Resource] = {}
        self._seq = itertools.count()

    def add(
        self,
        kind: str,
        attrs: Mapping[str, Any],
        *,
        tags: Mapping[str, str] | None = None,
        parents: tuple[str, ...] = (),
    ) -> Resource:
        resource_id = self.namer.new_id(kind)
        while resource_id in self._by_kind[kind]:
            resource_id = self.namer.new_id(kind)
        arn = self.namer.arn(kind, resource_id, *parents)
        stamp = now()
        resource = Resource(
            kind,
            resource_id,
            arn,
            next(self._seq),
            {"id": resource_id, "arn": arn, "createdAt": stamp, "lastUpdatedAt": stamp, **attrs},
            dict(tags or {}),
            parents,
        )
        self._by_kind[kind][resource_id] = resource
        self._by_arn[arn] = resource
        return resource

    def drop(self, resource: Resource) -> None:
        del self._by_kind[resource.kind][resource.id]
        del self._by_arn[resource.arn]

    def find(self, kind: str, identifier: str) -> Resource | None:
        """The resource an ID or ARN names; an ARN of another account or Region names none."""
        if identifier.startswith("arn:"):
            found = self._by_arn.get(identifier)
            return found if found is not None and found.kind == kind else None
        return self._by_kind[kind].get(identifier)

    def get(self, kind: str, identifier: str) -> Resource:
        found = self.find(kind, identifier)
        if found is None:
            raise not_found(resource_type(kind), identifier)
        return found

    def by_arn(self, arn: str) -> Resource:
        found = self._by_arn.get(arn)
        if found is None:
            raise not_found("RESOURCE", arn)
        return found

    def all(self, kind: str) -> list[Resource]:
        return sorted(self._by_kind[kind].values(), key=lambda resource: resource.seq)

    def children(self, kind: str, parent_id: str) -> list[Resource]:
        return [r for r in self.all(kind) if r.parents and r.parents[-1] == parent_id]

    def __iter__(self) -> Iterator[Resource]:
        for kind in KINDS:
            yield from self.all(kind)


# --- pagination ----------------------------------------------------------------------
# A token names the operation and the sort key of the next item, so a page boundary
# survives deletions between calls and a token from another List* call is refused.


def _encode(operation: str, key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([operation, key]).encode()).decode()


def _decode(operation: str, token: str) -> list[Any]:
    try:
        name, key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise validation(f"nextToken {token!r} is not a token this service issued")
    if name != operation:
        raise validation(f"nextToken was issued by {name}, not {operation}")
    return key


def paginate(
    operation: str,
    params: Mapping[str, Any],
    rows: list[tuple[list[Any], dict[str, Any]]],
    default_page_size: int,
) -> dict[str, Any]:
    """One page of ``rows`` (sort key, item): ``{"items": [...], "nextToken"?: ...}``."""
    rows = sorted(rows, key=lambda row: row[0])
    start = 0
    if params.get("nextToken"):
        key = _decode(operation, params["nextToken"])
        start = next((i for i, (row_key, _) in enumerate(rows) if row_key >= key), len(rows))
    size = params.get("maxResults", default_page_size)
    page = {"items": [item for _, item in rows[start : start + size]]}
    if start + size < len(rows):
        page["nextToken"] = _encode(operation, rows[start + size][0])
    return page
