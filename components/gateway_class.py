"""The GatewayClass component: the root of everything one GatewayClass owns.

A GatewayClass has nothing in AWS of its own; as a component it groups its Gateways and
the routes attached to them, so the resource tree reads like the Kubernetes one and a
route can be handed the service network identifiers of its Gateways.

Child names: see ``components._names``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Tuple

import pulumi

from components.gateway import Gateway, GatewayArgs
from components.route import Route, RouteArgs
from components.specs import GatewayClassSpec

TYPE_TOKEN = "lattice:index:GatewayClass"


@dataclass(frozen=True)
class GatewayClassArgs:
    spec: GatewayClassSpec
    external_target_group_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Target group key -> ID of groups its routes may forward to without owning them."""
    external_service_networks: Mapping[str, Tuple[pulumi.Input[str], pulumi.Input[str]]] = field(default_factory=dict)
    """Key -> (ID, ARN) of service networks declared outside the class."""
    kubernetes_providers: Mapping[str, pulumi.ProviderResource] = field(default_factory=dict)
    """Cluster name -> provider for the Kubernetes objects its routes publish."""


class GatewayClass(pulumi.ComponentResource):
    """``gateways`` by gateway key, ``routes`` by route key."""

    gateways: Dict[str, Gateway]
    routes: Dict[str, Route]

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

        self.register_outputs({})
