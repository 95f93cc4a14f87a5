"""Adopting an existing service network by name: resolved to its ID before the program runs.

Stack settings may name the network to adopt by ID, by ARN or by name.  The VPC Lattice
API takes only IDs and ARNs as identifiers, so a name is looked up (ListServiceNetworks)
when the stack is applied; the offline plan shows the name as given.  The lookup is I/O
and lives here, outside the pure translator.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, Iterable, Set

from components.specs import GatewaySpec, LatticeModel
from lattice_program.translate.naming import is_identifier

class AdoptionError(Exception):
    """A network to adopt by name was not found, or the name is ambiguous."""


def adopted_names(model: LatticeModel) -> Set[str]:
    return {spec.service_network.existing for spec in _networks(model)
            if spec.service_network.existing and not is_identifier(spec.service_network.existing)}


def resolve_names(model: LatticeModel, client: Any) -> LatticeModel:
    """The model with every network adopted by name given by its ARN instead."""
    names = adopted_names(model)
    if not names:
        return model
    found: Dict[str, list] = {name: [] for name in names}
    for page in client.get_paginator("list_service_networks").paginate():
        for item in page.get("items", ()):
            if item.get("name") in found:
                found[item["name"]].append(item["arn"])
    for name, arns in sorted(found.items()):
        if not arns:
            raise AdoptionError(f"service network {name!r} (lattice-gateway:serviceNetworks.*.existing) not found in "
                                "this account and region; check the name, or give its ID or ARN")
        if len(arns) > 1:
            raise AdoptionError(f"{len(arns)} service networks are named {name!r} (some may be shared with this "
                                f"account through AWS RAM): give the ARN of the one to adopt ({', '.join(arns)})")
    arn_of = {name: arns[0] for name, arns in found.items()}

    def resolved(spec: GatewaySpec) -> GatewaySpec:
        existing = spec.service_network.existing
        if existing in arn_of:
            return replace(spec, service_network=replace(spec.service_network, existing=arn_of[existing]))
        return spec

    classes = tuple(replace(c, gateways=tuple(resolved(g) for g in c.gateways)) for c in model.gateway_classes)
    return replace(model, gateway_classes=classes, service_networks=tuple(resolved(n) for n in model.service_networks))


def _networks(model: LatticeModel) -> Iterable[GatewaySpec]:
    return tuple(model.service_networks) + tuple(model.gateways())
