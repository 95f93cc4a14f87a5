"""Sharing through AWS RAM, both sides.  The owner's: a Gateway's service network, or a
route's service, shared with accounts, organizational units or the whole organization.
The consumer's: a VPC association with a network shared to us that exists already is
reused, not declared (``reuse_vpc_associations``).

``shares_for`` is pure: stack settings (``lattice-gateway:sharing``) and the model in, one
``ShareSpec`` per Gateway or route shared, and a problem for every share that names nothing
of the model or that cannot be honoured (a network adopted from elsewhere is its owner's
to share).  ``declare_share`` declares the ResourceShare, its ResourceAssociation and one
PrincipalAssociation per principal as children of the owning component.

``allow_external_principals`` is always passed: RAM's own default is true, which would
silently let in an account outside the organization.

Child names (beside ``components._names``): ``<owner key>/share``,
``<owner key>/share/resource``, ``<owner key>/share/principal/<principal id>``, where the
principal ID is the account ID, ``ou-…`` or ``o-…`` (an ARN's ``::`` cannot be in a URN).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Mapping, Tuple

import pulumi
from pulumi_aws.ram import PrincipalAssociation, ResourceAssociation, ResourceShare

from components.specs import GatewaySpec, LatticeModel
from lattice_program.vocabulary.settings import (CONFIG_NAMESPACE, ServiceNetworkSettings, ShareSettings, SharingSettings,
                                                 StackSettings)
from lattice_program.vocabulary.status import Problem

Tags = Mapping[str, str]
SettingProblem = Tuple[str, str]  # (config key, what is wrong and the fix)


@dataclass(frozen=True)
class ShareSpec:
    """One RAM share of the Gateway or route ``owner_key``."""

    owner_key: str
    name: str
    principals: Tuple[str, ...]
    allow_external_principals: bool
    tags: Tags = field(default_factory=dict)


@dataclass(frozen=True)
class SharingPlan:
    shares: Tuple[ShareSpec, ...]
    problems: Tuple[SettingProblem, ...]


def shares_for(sharing: SharingSettings, model: LatticeModel) -> SharingPlan:
    shares: List[ShareSpec] = []
    problems: List[SettingProblem] = []
    gateways = model.gateways()
    for name, share in sorted(sharing.gateways.items()):
        setting = f"{CONFIG_NAMESPACE}:sharing.gateways.{name}"
        matched = [g for g in gateways if g.key.rsplit("/", 1)[-1] == name]
        if not matched:
            problems.append((setting, f"no Gateway named {name!r} is planned in this stack (missing, or refused: see "
                            "its problems); name a Gateway of the stack's sources or remove the share"))
            continue
        for gateway in matched:
            network = gateway.service_network
            if network.existing is not None:
                problems.append((setting, f"{gateway.key} uses the adopted service network {network.existing!r}, "
                                "which its owner shares, not this stack; share it from the owner's account, "
                                "or remove the share"))
                continue
            shares.append(_spec(gateway.key, network.name, share, network.tags))
    routes = model.routes()
    for reference, share in sorted(sharing.routes.items()):
        setting = f"{CONFIG_NAMESPACE}:sharing.routes.{reference}"
        matched = [r for r in routes if r.key == reference or r.key.split("/", 1)[-1] == reference]
        if not matched:
            problems.append((setting, f"no route {reference!r} is planned in this stack (missing, or refused: see "
                            "its problems); name a route of the stack's sources or remove the share"))
        elif len(matched) > 1:
            kinds = ", ".join(sorted(r.key for r in matched))
            problems.append((setting, f"{reference!r} names several routes ({kinds}); write Kind/namespace/name"))
        else:
            route = matched[0]
            shares.append(_spec(route.key, route.service.name, share, route.service.tags))
    return SharingPlan(shares=tuple(shares), problems=tuple(problems))


def _spec(owner_key: str, physical_name: str, share: ShareSettings, tags: Tags) -> ShareSpec:
    return ShareSpec(owner_key=owner_key, name=share.name or f"lattice-gateway-{physical_name}",
                     principals=tuple(share.principals), allow_external_principals=share.allow_external_principals,
                     tags=dict(tags))


def principal_id(principal: str) -> str:
    """The account ID, ``ou-…`` or ``o-…`` a principal names: unique, and fit for a logical name."""
    return principal.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DeclaredShare:
    share: ResourceShare
    resource: ResourceAssociation
    principals: Dict[str, PrincipalAssociation]  # by principal as written


def declare_share(spec: ShareSpec, resource_arn: pulumi.Input[str], parent: pulumi.Resource) -> DeclaredShare:
    opts = pulumi.ResourceOptions(parent=parent)
    share = ResourceShare(f"{spec.owner_key}/share", name=spec.name,
                          allow_external_principals=spec.allow_external_principals,
                          tags=dict(spec.tags) or None, opts=opts)
    resource = ResourceAssociation(f"{spec.owner_key}/share/resource", resource_arn=resource_arn,
                                   resource_share_arn=share.arn, opts=opts)
    principals = {
        principal: PrincipalAssociation(f"{spec.owner_key}/share/principal/{principal_id(principal)}",
                                        principal=principal, resource_share_arn=share.arn, opts=opts)
        for principal in spec.principals
    }
    return DeclaredShare(share=share, resource=resource, principals=principals)


@dataclass(frozen=True)
class ReusedAssociations:
    model: LatticeModel  # without the associations reused
    by_gateway: Mapping[str, Mapping[str, str]]  # gateway key -> VPC ID -> snva-… reused
    problems: Tuple[SettingProblem, ...]


def reuse_vpc_associations(networks: Mapping[str, ServiceNetworkSettings], model: LatticeModel) -> ReusedAssociations:
    """Leave out of ``model`` each VPC association that ``serviceNetworks.<gateway>.
    existingVpcAssociations`` says exists: Lattice refuses a second association of one VPC
    with one network, so declaring it would fail; not declaring it means this stack never
    changes or deletes an association it did not make."""
    wanted = {name: dict(n.existing_vpc_associations) for name, n in networks.items() if n.existing_vpc_associations}
    if not wanted:
        return ReusedAssociations(model, {}, ())
    reused: Dict[str, Dict[str, str]] = {}
    used: Dict[str, set] = {name: set() for name in wanted}

    def without_reused(gateway: GatewaySpec) -> GatewaySpec:
        name = gateway.key.rsplit("/", 1)[-1]  # keyed by Gateway name, as the translator reads serviceNetworks
        existing = wanted.get(name, {})
        kept = tuple(a for a in gateway.vpc_associations if a.vpc_identifier not in existing)
        if len(kept) == len(gateway.vpc_associations):
            return gateway
        reused[gateway.key] = {a.vpc_identifier: existing[a.vpc_identifier] for a in gateway.vpc_associations
                               if a.vpc_identifier in existing}
        used[name].update(reused[gateway.key])
        return replace(gateway, vpc_associations=kept)

    classes = tuple(replace(gc, gateways=tuple(without_reused(g) for g in gc.gateways)) for gc in model.gateway_classes)
    networks_alone = tuple(without_reused(n) for n in model.service_networks)
    problems = tuple(
        (f"{CONFIG_NAMESPACE}:serviceNetworks.{name}.existingVpcAssociations.{vpc}", f"no planned Gateway {name!r} "
         f"associates {vpc} with its network, so {association} is not reused; name a cluster VPC of the stack "
         "or remove the entry")
        for name, associations in sorted(wanted.items()) for vpc, association in sorted(associations.items())
        if vpc not in used[name])
    return ReusedAssociations(replace(model, gateway_classes=classes, service_networks=networks_alone),
                              reused, problems)


def setting_problems(settings: StackSettings, model: LatticeModel) -> List[Problem]:
    """Both sides' problems as the plan reports them (a setting's, so no object)."""
    pairs = reuse_vpc_associations(settings.service_networks, model).problems + shares_for(settings.sharing, model).problems
    return [Problem(None, setting, message, "error", "settings") for setting, message in pairs]
