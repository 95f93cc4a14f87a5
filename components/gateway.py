"""The Gateway component: a service network (created or adopted) and its VPC associations.

A Gateway is the cluster operator's entry point into Lattice.  Either we own its service
network, or ``ServiceNetworkSpec.existing`` names one that someone else owns: then no
ServiceNetwork resource is declared at all (so we can never change or delete it) and the
given ID or ARN is passed verbatim wherever an identifier is needed; the Lattice API
accepts either form.

Child names: see ``components._names``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import pulumi
from pulumi_aws.vpclattice import ServiceNetwork, ServiceNetworkVpcAssociation

from components import _names
from components.specs import GatewaySpec

TYPE_TOKEN = "lattice:index:Gateway"


@dataclass(frozen=True)
class GatewayArgs:
    spec: GatewaySpec


class Gateway(pulumi.ComponentResource):
    """A service network and one VPC association per cluster VPC.

    ``service_network_identifier`` is what other resources should pass as a service
    network identifier (an Output of the created network's ID, or the adopted ID/ARN as a
    plain string so plans show it verbatim).  ``service_network_id`` and
    ``service_network_arn`` are for stack outputs; an adopted network given by ID has no
    known ARN (``None``): we do not look it up.
    """

    service_network: Optional[ServiceNetwork]
    vpc_associations: Dict[str, ServiceNetworkVpcAssociation]
    service_network_identifier: pulumi.Input[str]
    service_network_id: pulumi.Output[str]
    service_network_arn: pulumi.Output[Optional[str]]

    def __init__(
        self, name: str, args: GatewayArgs, opts: Optional[pulumi.ResourceOptions] = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        spec = args.spec
        network = spec.service_network
        child = pulumi.ResourceOptions(parent=self)

        if network.existing is not None:
            self.service_network = None
            self.service_network_identifier = network.existing
            adopted_id, adopted_arn = _adopted_identity(network.existing)
            self.service_network_id = pulumi.Output.from_input(adopted_id)
            self.service_network_arn = pulumi.Output.from_input(adopted_arn)
        else:
            self.service_network = ServiceNetwork(
                _names.service_network(spec.key),
                name=network.name,
                auth_type=network.auth_type,
                tags=dict(network.tags) or None,
                opts=child,
            )
            self.service_network_identifier = self.service_network.id
            self.service_network_id = self.service_network.id
            self.service_network_arn = self.service_network.arn

        self.vpc_associations = {
            association.key: ServiceNetworkVpcAssociation(
                _names.vpc_association(spec.key, association.key),
                service_network_identifier=self.service_network_identifier,
                vpc_identifier=association.vpc_identifier,
                security_group_ids=list(association.security_group_ids) or None,
                tags=dict(association.tags) or None,
                opts=child,
            )
            for association in spec.vpc_associations
        }

        self.register_outputs(
            {
                "serviceNetworkId": self.service_network_id,
                "serviceNetworkArn": self.service_network_arn,
            }
        )


def _adopted_identity(existing: str) -> tuple[str, Optional[str]]:
    """(id, arn) of an adopted network given as ``sn-…`` or as its ARN
    (``arn:aws:vpc-lattice:<region>:<account>:servicenetwork/sn-…``)."""
    if existing.startswith("arn:"):
        return existing.rsplit("/", 1)[-1], existing
    return existing, None
