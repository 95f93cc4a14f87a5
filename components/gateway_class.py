"""The GatewayClass component: the root of everything one GatewayClass owns.

A GatewayClass has nothing in AWS of its own; as a component it groups its Gateways and
the routes attached to them, so the resource tree reads like the Kubernetes one and a
route can be handed the service network identifiers of its Gateways.

Opt-in (``lattice-gateway:install``), it also puts Kubernetes objects in each cluster
through pulumi-kubernetes: the GatewayClass object itself, and the Gateway API CRDs of
one pinned release, applied from the release's own ``<channel>-install.yaml`` (nothing
of them is copied here).  The GatewayClass object waits for the CRDs that define it.

Child names: see ``components._names``; the Kubernetes objects are
``<class key>/<cluster>/gateway-api-crds`` and ``<class key>/<cluster>/gateway-class``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

import pulumi

from components.gateway import Gateway, GatewayArgs
from components.route import Route, RouteArgs
from components.specs import GatewayClassSpec

TYPE_TOKEN = "lattice:index:GatewayClass"
GATEWAY_API_RELEASE_ASSET = "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/{channel}-install.yaml"


def gateway_api_crds_url(version: str, channel: str = "standard") -> str:
    """The release asset that installs every CRD of a Gateway API release's channel."""
    return GATEWAY_API_RELEASE_ASSET.format(version=version, channel=channel)


@dataclass(frozen=True)
class ClusterObjects:
    """What the class installs in each of ``clusters`` (by name; the provider is the one in
    ``GatewayClassArgs.kubernetes_providers``, else the ambient kubeconfig)."""

    class_name: str
    controller_name: str
    clusters: Tuple[str, ...]
    create_class: bool = False
    crds_url: Optional[str] = None


@dataclass(frozen=True)
class GatewayClassArgs:
    spec: GatewayClassSpec
    external_target_group_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Target group key -> ID of groups its routes may forward to without owning them."""
    external_service_networks: Mapping[str, Tuple[pulumi.Input[str], pulumi.Input[str]]] = field(default_factory=dict)
    """Key -> (ID, ARN) of service networks declared outside the class."""
    kubernetes_providers: Mapping[str, pulumi.ProviderResource] = field(default_factory=dict)
    """Cluster name -> provider for the Kubernetes objects its routes publish."""
    cluster_objects: Optional[ClusterObjects] = None
    """The GatewayClass object and Gateway API CRDs to install, if any."""


class GatewayClass(pulumi.ComponentResource):
    """``gateways`` by gateway key, ``routes`` by route key; ``crds`` (ConfigFiles) and
    ``class_objects`` (GatewayClass objects) by cluster name."""

    gateways: Dict[str, Gateway]
    routes: Dict[str, Route]
    crds: Dict[str, pulumi.ComponentResource]
    class_objects: Dict[str, pulumi.CustomResource]

    def __init__(
        self,
        name: str,
        args: GatewayClassArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)

        self.gateways = {
            gateway.key: Gateway(
                gateway.key,
                GatewayArgs(spec=gateway, external_service_networks=args.external_service_networks),
                child,
            )
            for gateway in spec.gateways
        }
        service_network_ids = {
            **{key: network_id for key, (network_id, _) in args.external_service_networks.items()},
            **{key: gateway.service_network_identifier for key, gateway in self.gateways.items()},
        }
        self.routes = {
            route.key: Route(
                route.key,
                RouteArgs(spec=route, service_network_ids=service_network_ids,
                          external_target_group_ids=args.external_target_group_ids,
                          kubernetes_provider=args.kubernetes_providers.get(route.dns_endpoint.cluster)
                          if route.dns_endpoint else None),
                child,
            )
            for route in spec.routes
        }
        self.crds, self.class_objects = {}, {}
        if args.cluster_objects is not None:
            self._install(name, args.cluster_objects, args.kubernetes_providers)

        self.register_outputs({"classObjects": {cluster: obj.metadata for cluster, obj in self.class_objects.items()},
                               "crds": {cluster: crds.resources for cluster, crds in self.crds.items()}})

    def _install(self, name: str, objects: ClusterObjects,
                 providers: Mapping[str, pulumi.ProviderResource]) -> None:
        from pulumi_kubernetes.apiextensions import CustomResource  # only stacks that install objects load it
        from pulumi_kubernetes.yaml.v2 import ConfigFile

        for cluster in objects.clusters:
            options = pulumi.ResourceOptions(parent=self, provider=providers.get(cluster))
            after: List[pulumi.Resource] = []
            if objects.crds_url:
                self.crds[cluster] = ConfigFile(f"{name}/{cluster}/gateway-api-crds", file=objects.crds_url,
                                                opts=options)
                after.append(self.crds[cluster])
            if objects.create_class:
                self.class_objects[cluster] = CustomResource(
                    f"{name}/{cluster}/gateway-class",
                    api_version="gateway.networking.k8s.io/v1",
                    kind="GatewayClass",
                    metadata={"name": objects.class_name},
                    spec={"controllerName": objects.controller_name,
                          "description": "Amazon VPC Lattice, provisioned by lattice-gateway"},
                    opts=pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(depends_on=after)))
