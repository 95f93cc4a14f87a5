"""What differs between two environments: the releases they hold, by Kubernetes object
(as each stack applies them, after its rewrite) and by the Lattice resources the
translator makes of them under each stack's settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from lattice_program.contract.pipeline import plan
from lattice_program.promote.canonical import canonical_object, encode
from lattice_program.sources.files import RawObject
from lattice_program.vocabulary.settings import StackSettings


@dataclass(frozen=True)
class Difference:
    subject: str  # "HTTPRoute shop/checkout" or "Service checkout-shop-1a2b"
    change: str  # "only in A", "only in B", "differs"


def object_key(body: Any) -> str:
    metadata = body.get("metadata") if isinstance(body, Mapping) and isinstance(body.get("metadata"), Mapping) else {}
    name = "/".join(str(p) for p in (metadata.get("namespace"), metadata.get("name")) if p)
    return f"{body.get('kind', '?') if isinstance(body, Mapping) else '?'} {name}"


def _compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> List[Difference]:
    found = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            found.append(Difference(key, "only in A"))
        elif key not in a:
            found.append(Difference(key, "only in B"))
        elif encode(a[key]) != encode(b[key]):
            fields = sorted(f for f in set(a[key]) | set(b[key]) if encode(a[key].get(f)) != encode(b[key].get(f))) \
                if isinstance(a[key], dict) and isinstance(b[key], dict) else []
            found.append(Difference(key, "differs" + (f" ({', '.join(fields)})" if fields else "")))
    return found


def _by_object(objects: Mapping[str, Sequence[RawObject]]) -> Dict[str, Any]:
    return {f"{object_key(raw.body)}" + (f" (cluster {cluster})" if len(objects) > 1 else ""): canonical_object(raw.body)
            for cluster, raws in objects.items() for raw in raws}


def lattice_resources(objects: Mapping[str, Sequence[RawObject]], settings: StackSettings) -> Dict[str, Any]:
    """The Lattice resources the translator declares for these objects, keyed by what they
    are for (physical names carry environment hashes, so they are compared as fields);
    tags left out (they name the environment by design)."""
    model = plan(objects, settings).model
    resources: Dict[str, Any] = {}

    def add(kind: str, key: str, spec: Any) -> None:
        resources[f"{kind} {key}"] = _without_tags(dataclasses.asdict(spec))

    for gateway in list(model.gateways()) + list(model.service_networks):
        add("ServiceNetwork", gateway.key, gateway.service_network)
    for route in model.routes():
        add("Service", route.key, route.service)
        for listener in route.listeners:
            add("Listener", f"{route.key}/{listener.key}", listener)
        for group in route.target_groups:
            add("TargetGroup", group.key, group)
    for export in model.exports:
        for group in export.target_groups:
            add("TargetGroup", group.key, group)
    return resources


def _without_tags(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_tags(v) for k, v in value.items() if k != "tags"}
    if isinstance(value, (list, tuple)):
        return [_without_tags(v) for v in value]
    return value


def diff_stacks(a: Tuple[Mapping[str, Sequence[RawObject]], StackSettings],
                b: Tuple[Mapping[str, Sequence[RawObject]], StackSettings]) -> Dict[str, List[Difference]]:
    return {"objects": _compare(_by_object(a[0]), _by_object(b[0])),
            "lattice": _compare(lattice_resources(*a), lattice_resources(*b))}
