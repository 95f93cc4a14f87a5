"""Adoption, as the program sees it: networks adopted by name resolved to their ARNs, and
the resources ``latticectl adopt`` took over from the AWS controller declared with Pulumi's
``import`` option.

Stack settings may name the network to adopt by ID, by ARN or by name.  The VPC Lattice
API takes only IDs and ARNs as identifiers, so a name is looked up (ListServiceNetworks)
when the stack is applied; the offline plan shows the name as given.  The lookup is I/O
and lives here, outside the pure translator.
"""

from __future__ import annotations

import copy
import json
import threading
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Set

import pulumi
from pydantic import ValidationError

from components.specs import GatewaySpec, LatticeModel
from lattice_program.translate.naming import is_identifier
from lattice_program.vocabulary.settings import CONFIG_NAMESPACE, AdoptionSettings, described

class AdoptionError(Exception):
    """A network to adopt by name was not found, or the name is ambiguous; or the
    recorded adoption is unreadable."""


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


# --- resources taken over from the AWS controller (latticectl adopt) -----------------------

MANAGED_BY_TAG = "application-networking.k8s.aws/ManagedBy"
_ADOPTION_KEY = "adoption"
# Set only while `latticectl adopt` runs its import (see importing_run).
_importing = threading.Event()


@contextmanager
def importing_run() -> Iterator[None]:
    """While set, every adopted resource takes all its inputs from what AWS holds.

    Pulumi refuses an import whose declared inputs differ from the resource read back; the
    adopt step must change nothing in AWS, so its import keeps AWS's values (ignore_changes
    on every input) and the first ``up`` after it updates in place what differs.  A flag in
    the process, not a setting: the inline program runs in this process, and an adopt
    interrupted half-way must not leave later runs ignoring changes."""
    _importing.set()
    try:
        yield
    finally:
        _importing.clear()


def recorded_adoption(raw: Optional[str]) -> Optional[AdoptionSettings]:
    """The adoption recorded in stack config (``lattice-gateway:adoption``, JSON text)."""
    if raw is None:
        return None
    try:
        return AdoptionSettings.model_validate(json.loads(raw) if isinstance(raw, str) else raw)
    except ValidationError as error:
        why = described(error)
    except ValueError as error:  # not JSON
        why = str(error)
    raise AdoptionError(f"lattice-gateway:{_ADOPTION_KEY} is not an adoption record latticectl adopt wrote "
                        f"({why}); rerun `latticectl adopt`, or remove the key to adopt afresh")


def register_adoption() -> None:
    """Declare the stack's adopted resources with ``import`` and ``protect``, under their
    adopted physical names and with our ManagedBy tag (so an update never clears it and the
    controller never reclaims them).  Does nothing without an adoption record."""
    try:
        adoption = recorded_adoption(pulumi.Config(CONFIG_NAMESPACE).get(_ADOPTION_KEY))
    except AdoptionError as error:
        raise pulumi.RunError(str(error)) from None
    if adoption is None or not adoption.resources:
        return
    pulumi.runtime.register_stack_transformation(adoption_transformation(adoption, importing=_importing.is_set))


def adoption_transformation(adoption: AdoptionSettings, *, importing: Callable[[], bool] = lambda: False
                            ) -> Callable[[pulumi.ResourceTransformationArgs], Optional[pulumi.ResourceTransformationResult]]:
    """The stack transformation ``register_adoption`` installs (separate, to be testable)."""
    by_identity = {(entry.type, entry.logical_name): entry for entry in adoption.resources}

    def transform(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        entry = by_identity.get((args.type_, args.name))
        if entry is None:
            return None
        if importing():
            # Every input from AWS, and no reference to a resource of the program: the
            # import is a targeted update, and a dependency on a resource it does not
            # create (a rule to be added beside an adopted one) would be left dangling.
            props = {key: None for key in args.props}
            opts = copy.copy(args.opts)
            opts.depends_on = None
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                import_=entry.id, protect=True, ignore_changes=sorted({_camel(key) for key in props} | {"tagsAll"})))
            return pulumi.ResourceTransformationResult(props, opts)
        props = dict(args.props)
        if entry.physical_name is not None and "name" in props:
            props["name"] = entry.physical_name
        if "tags" in props:
            props["tags"] = {**(props.get("tags") or {}), MANAGED_BY_TAG: adoption.managed_by}
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(import_=entry.id, protect=True))
        return pulumi.ResourceTransformationResult(props, opts)

    return transform


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
