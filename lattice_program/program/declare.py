"""The Pulumi program: a Lattice model in, components and stack outputs out.

This is the one program function behind every way of running the project: the root
``__main__.py`` (``pulumi up`` from a platform repo), the Automation API's inline program
(the watch daemon) and the offline plan (``mock_plan``, the same program under Pulumi's
mock runtime).  Keeping it one function is what makes the offline plan trustworthy.

Stack output keys are stable because other tools read them: the status writer reads a
route's ``dnsName`` under its key ``<Kind>/<namespace>/<name>``, the target sync reads
``targetGroups`` (target group key -> ID).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import pulumi

from components.gateway import Gateway, GatewayArgs, ServiceNetworkComponent
from components.gateway_class import ClusterObjects, GatewayClass, GatewayClassArgs, gateway_api_crds_url
from components.route import Route
from components.service_export import ServiceExport, ServiceExportArgs
from components.sharing import declare_share, reuse_vpc_associations, shares_for
from components.specs import GatewayClassSpec, LatticeModel

from lattice_program.program.adoption import register_adoption
from lattice_program.vocabulary import outputs
from lattice_program.vocabulary.settings import CONFIG_NAMESPACE, SettingsError, StackSettings

TARGET_GROUPS_OUTPUT = outputs.TARGET_GROUPS
RULE_PRIORITIES_OUTPUT = outputs.RULE_PRIORITIES


@dataclass(frozen=True)
class ProgramHandles:
    """What ``declare`` built: the components by key, and the exported stack outputs
    (key -> value, values being dicts of Outputs)."""

    gateway_classes: Mapping[str, GatewayClass]
    exports: Mapping[str, Any]
    service_exports: Mapping[str, ServiceExport] = field(default_factory=dict)
    # Sharing settings that name nothing planned or cannot be honoured (components/sharing.py).
    sharing_problems: Tuple[Tuple[str, str], ...] = ()  # (config key, message)

    @property
    def gateways(self) -> Dict[str, Gateway]:
        return {k: g for gc in self.gateway_classes.values() for k, g in gc.gateways.items()}

    @property
    def routes(self) -> Dict[str, Route]:
        return {k: r for gc in self.gateway_classes.values() for k, r in gc.routes.items()}


def declare(model: LatticeModel, *, digest: Optional[str] = None,
            settings: Optional[StackSettings] = None) -> ProgramHandles:
    """Declare every resource of ``model`` in the current Pulumi program and export its
    outputs, with ``digest`` (of the desired model, program/digest.py) when given.
    ``settings`` say which Kubernetes objects to install (``lattice-gateway:install``);
    without them they are read from the stack's config.
    Raises ValueError, before declaring anything, if keys collide."""
    _check_keys_unique(model)
    register_adoption()  # resources `latticectl adopt` took over: imported, protected, names kept
    stack = settings if settings is not None else _settings_when_asked()
    reuse = reuse_vpc_associations(stack.service_networks if stack else {}, model)
    model = reuse.model
    networks = {spec.key: ServiceNetworkComponent(spec.key, GatewayArgs(spec=spec)) for spec in model.service_networks}
    external_networks = {key: (n.service_network_identifier, n.service_network_arn) for key, n in networks.items()}
    service_exports = {spec.key: ServiceExport(spec.key, ServiceExportArgs(spec=spec)) for spec in model.exports}
    exported_ids = {key: group.id for export in service_exports.values() for key, group in export.target_groups.items()}
    forwardable_ids = {**model.external_target_groups, **exported_ids}
    install = _install(stack)
    providers = _kubernetes_providers(model, install.contexts if install else None)
    class_specs = list(model.gateway_classes)
    if install and install.spec.key not in {spec.key for spec in class_specs}:
        class_specs.append(install.spec)  # the class object does not exist yet: its component installs it
    gateway_classes = {
        spec.key: GatewayClass(spec.key, GatewayClassArgs(
            spec=spec, external_target_group_ids=forwardable_ids, external_service_networks=external_networks,
            kubernetes_providers=providers,
            cluster_objects=install.objects if install and install.spec.key == spec.key else None))
        for spec in class_specs
    }

    exported: Dict[str, Any] = {  # stack outputs
        key: {"serviceNetworkArn": network.service_network_arn, "serviceNetworkId": network.service_network_id}
        for key, network in networks.items()
    }
    target_group_ids: Dict[str, pulumi.Output[str]] = dict(exported_ids)
    for gateway_class in gateway_classes.values():
        for key, gateway in gateway_class.gateways.items():
            exported[key] = {
                "serviceNetworkArn": gateway.service_network_arn,
                "serviceNetworkId": gateway.service_network_id,
            }
        for key, route in gateway_class.routes.items():
            exported[key] = {
                "serviceArn": route.service.arn,
                "serviceId": route.service.id,
                "dnsName": route.dns_name,
                outputs.CUSTOM_DOMAIN: route.service.custom_domain_name,
            }
            for group_key, group in route.target_groups.items():
                target_group_ids[group_key] = group.id
    handles = ProgramHandles(gateway_classes=gateway_classes, exports=exported, service_exports=service_exports)
    gateway_handles, route_handles = handles.gateways, handles.routes
    sharing = shares_for(stack.sharing, model) if stack else None
    for share in sharing.shares if sharing else ():
        owner = gateway_handles.get(share.owner_key) or route_handles[share.owner_key]
        resource_arn = owner.service_network_arn if share.owner_key in gateway_handles else owner.service.arn
        declared = declare_share(share, resource_arn, owner)
        exported[share.owner_key] = {**exported[share.owner_key], outputs.SHARED_WITH: list(share.principals),
                                     outputs.RESOURCE_SHARE_ARN: declared.share.arn}
    for gateway_key, associations in reuse.by_gateway.items():
        if gateway_key in exported:
            exported[gateway_key] = {**exported[gateway_key], outputs.REUSED_VPC_ASSOCIATIONS: dict(associations)}
    problems = (sharing.problems if sharing else ()) + reuse.problems
    for setting, message in problems:
        pulumi.log.warn(f"error: {setting}: {message}")
    exported[TARGET_GROUPS_OUTPUT] = target_group_ids
    exported[RULE_PRIORITIES_OUTPUT] = rule_priorities(model)
    if digest is not None:
        exported[outputs.MODEL_DIGEST] = digest

    for key, value in exported.items():
        pulumi.export(key, value)
    return replace(handles, sharing_problems=problems)


def _settings_when_asked() -> Optional[StackSettings]:
    """The stack's settings, read only when its config asks to install, share or reuse something."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    if all(config.get(key) is None for key in ("install", "sharing", "serviceNetworks")):
        return None
    from lattice_program.program.stack import stack_settings  # stack.py imports this module

    try:
        return stack_settings()
    except SettingsError as error:
        raise pulumi.RunError(str(error)) from None


@dataclass(frozen=True)
class _Install:
    spec: GatewayClassSpec  # the class whose component installs the objects
    contexts: Mapping[str, Optional[str]]  # cluster -> kubeconfig context
    objects: ClusterObjects


def _install(settings: Optional[StackSettings]) -> Optional[_Install]:
    """What ``lattice-gateway:install`` asks for, or None."""
    if settings is None or not (settings.install.gateway_class or settings.install.gateway_api_crds):
        return None
    install = settings.install
    clusters = settings.cluster_list()
    spec = GatewayClassSpec(key=f"GatewayClass/{install.gateway_class_name}", controller_name=settings.controller_name)
    objects = ClusterObjects(
        class_name=install.gateway_class_name, controller_name=settings.controller_name,
        clusters=tuple(c.name for c in clusters), create_class=install.gateway_class,
        crds_url=gateway_api_crds_url(install.gateway_api_version, install.gateway_api_channel)
        if install.gateway_api_crds else None)
    return _Install(spec, {c.name: c.context for c in clusters}, objects)


def _kubernetes_providers(model: LatticeModel, more_contexts: Optional[Mapping[str, Optional[str]]] = None
                          ) -> Dict[str, pulumi.ProviderResource]:
    """One Kubernetes provider per cluster given by kubeconfig context (the ambient
    kubeconfig needs none): the clusters routes publish DNSEndpoints to, and
    ``more_contexts`` (those the GatewayClass installs objects in)."""
    contexts = {cluster: context for cluster, context in {**(more_contexts or {}), **model.kubernetes_contexts}.items()
                if context}
    if not contexts:
        return {}
    from pulumi_kubernetes import Provider

    return {cluster: Provider(f"kubernetes/{cluster}", context=context) for cluster, context in sorted(contexts.items())}


def rule_priorities(model: LatticeModel) -> Dict[str, Dict[str, int]]:
    return {f"{route.key}/{listener.key}": {rule.key: rule.priority for rule in listener.rules}
            for route in model.routes() for listener in route.listeners}


def _check_keys_unique(model: LatticeModel) -> None:
    """Keys become Pulumi logical names and stack output keys (see components._names):
    a duplicate would make two resources share a URN, which the engine refuses halfway
    through an update.  Refuse it here, naming every duplicate."""
    problems: List[str] = []

    def report(what: str, keys: Iterable[str]) -> None:
        problems.extend(
            f"{what} {key!r} appears {count} times"
            for key, count in Counter(keys).items()
            if count > 1
        )

    gateways = model.gateways()
    routes = model.routes()
    report("gateway class key", (gc.key for gc in model.gateway_classes))
    report(
        "gateway or route key (also a stack output key)",
        [g.key for g in gateways] + [r.key for r in routes] + [n.key for n in model.service_networks]
        + [TARGET_GROUPS_OUTPUT, RULE_PRIORITIES_OUTPUT],
    )
    report("target group key", [tg.key for r in routes for tg in r.target_groups]
           + [tg.key for e in model.exports for tg in e.target_groups])
    report("service export key", (e.key for e in model.exports))
    for gateway in gateways:
        report(f"{gateway.key}: VPC association key", (a.key for a in gateway.vpc_associations))
    for route in routes:
        report(f"{route.key}: association gateway", (a.gateway for a in route.associations))
        report(f"{route.key}: listener key", (lst.key for lst in route.listeners))
        for listener in route.listeners:
            report(
                f"{route.key}: listener {listener.key}: rule key", (r.key for r in listener.rules)
            )
    if problems:
        raise ValueError(
            "the Lattice model has duplicate keys, which would give two Pulumi resources "
            "the same name: "
            + "; ".join(problems)
            + ". Keys must be unique (they come from Kubernetes identity); this is a bug "
            "in whatever built the model."
        )
