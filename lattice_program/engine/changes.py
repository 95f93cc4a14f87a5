"""What an update would change, per Kubernetes object: the preview a person confirms.

The engine reports each planned step as a ``ResourcePreEvent`` (its operation and URN).
Every resource of ours is named after the Kubernetes object it came from
(``HTTPRoute/shop/checkout/http-80/split``, ``Gateway/shop/storefront/vpc/...``), so the
steps group back into objects: "HTTPRoute shop/checkout: 1 update, 1 replace".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict

# Kinds whose objects have no namespace: their names are Kind/name.
_CLUSTER_SCOPED = {"GatewayClass", "ServiceNetwork"}
_IGNORED_TYPES = ("pulumi:pulumi:Stack", "pulumi:providers:")


def object_of(urn: str) -> str:
    """The Kubernetes object (``Kind/ns/name``) a resource's URN belongs to."""
    logical = urn.rsplit("::", 1)[-1].split("->", 1)[0]
    parts = logical.split("/")
    width = 2 if parts[0] in _CLUSTER_SCOPED else 3
    return "/".join(parts[:width])


# Steps that change nothing: a refreshed preview reports a "refresh" step for every
# resource it read before diffing.
NOT_CHANGES = ("same", "read", "refresh")


@dataclass
class ObjectChanges:
    """Planned operations by Kubernetes object: ``{"HTTPRoute/shop/checkout": {"update": 1}}``."""

    by_object: Dict[str, Dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def on_event(self, event: Any) -> None:
        """An Automation API ``on_event`` callback."""
        pre = getattr(event, "resource_pre_event", None)
        if pre is None or pre.metadata is None:
            return
        metadata = pre.metadata
        if metadata.type.startswith(_IGNORED_TYPES) or metadata.type.startswith("lattice:index:"):
            return
        op = str(getattr(metadata.op, "value", metadata.op))
        if op in NOT_CHANGES:
            return
        counts = self.by_object[object_of(metadata.urn)]
        counts[op] = counts.get(op, 0) + 1

    def plain(self) -> Dict[str, Dict[str, int]]:
        return {key: dict(sorted(ops.items())) for key, ops in sorted(self.by_object.items())}

    @property
    def destructive(self) -> int:
        return sum(ops.get(kind, 0) for ops in self.by_object.values() for kind in ("delete", "replace"))
