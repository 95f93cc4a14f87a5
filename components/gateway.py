"""The Gateway component: a service network (created or adopted), its VPC associations,
its auth policy and its access-log subscriptions.

A Gateway is the cluster operator's entry point into Lattice.  Either we own its service
network, or ``ServiceNetworkSpec.existing`` names one that someone else owns: then no
ServiceNetwork resource is declared at all (so we can never change or delete it) and the
given ID or ARN is passed verbatim wherever an identifier is needed; the Lattice API
accepts either form.

An auth policy or access log asked for on an adopted network is still declared, on the
given identifier: the network's owner chose to let this stack manage them.  The network's
auth type stays the owner's, so the auth policy only takes effect where the owner has set
``AWS_IAM``.

Child names: see ``components._names``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import pulumi
from pulumi_aws.vpclattice import AccessLogSubscription, AuthPolicy, ServiceNetwork, ServiceNetworkVpcAssociation

from components import _names
from components.specs import AccessLogSpec, GatewaySpec

TYPE_TOKEN = "lattice:index:Gateway"


@dataclass(frozen=True)
class GatewayArgs:
    spec: GatewaySpec
    external_service_networks: Mapping[str, Tuple[pulumi.Input[str], pulumi.Input[str]]] = field(default_factory=dict)
    """Key -> (ID, ARN) of networks declared elsewhere (``ServiceNetworkSpec.provided_by``)."""


class Gateway(pulumi.ComponentResource):
    """A service network, one VPC association per cluster VPC, an optional auth policy
    and one access-log subscription per destination type.

    ``service_network_identifier`` is what other resources should pass as a service
    network identifier (an Output of the created network's ID, or the adopted ID/ARN as a
    plain string so plans show it verbatim).  ``service_network_id`` and
    ``service_network_arn`` are for stack outputs; an adopted network given by ID has no
    known ARN (``None``): we do not look it up.  ``access_logs`` are by access-log key.
    """

    service_network: Optional[ServiceNetwork]
    vpc_associations: Dict[str, ServiceNetworkVpcAssociation]
    auth_policy: Optional[AuthPolicy]
    access_logs: Dict[str, AccessLogSubscription]
    service_network_identifier: pulumi.Input[str]
    service_network_id: pulumi.Output[str]
    service_network_arn: pulumi.Output[Optional[str]]

    type_token = TYPE_TOKEN

    def __init__(
        self, name: str, args: GatewayArgs, opts: Optional[pulumi.ResourceOptions] = None
    ) -> None:
        super().__init__(self.type_token, name, None, opts)
        spec = args.spec
        check_access_log_keys(spec.key, spec.access_logs)
        network = spec.service_network
        child = pulumi.ResourceOptions(parent=self)

        # What access-log subscriptions name the network by: its ARN when we created it,
        # the given ID or ARN when adopted.
        log_target: pulumi.Input[str]
        if network.provided_by is not None:
            # Declared by a ServiceNetwork object of its own; this Gateway only uses it.
            provided_id, provided_arn = args.external_service_networks[network.provided_by]
            self.service_network = None
            self.service_network_identifier = provided_id
            self.service_network_id = pulumi.Output.from_input(provided_id)
            self.service_network_arn = pulumi.Output.from_input(provided_arn)
            log_target = provided_arn
        elif network.existing is not None:
            self.service_network = None
            self.service_network_identifier = network.existing
            adopted_id, adopted_arn = _adopted_identity(network.existing)
            self.service_network_id = pulumi.Output.from_input(adopted_id)
            self.service_network_arn = pulumi.Output.from_input(adopted_arn)
            log_target = network.existing
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
            log_target = self.service_network.arn

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
        self.auth_policy = (
            None
            if network.auth_policy is None
            else AuthPolicy(
                _names.auth_policy(spec.key),
                resource_identifier=self.service_network_identifier,
                policy=network.auth_policy,
                opts=child,
            )
        )
        self.access_logs = declare_access_logs(
            owner_key=spec.key, specs=spec.access_logs, resource_identifier=log_target, parent=self
        )

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


def check_access_log_keys(owner_key: str, specs: Sequence[AccessLogSpec]) -> None:
    """Refuse two access logs with one key before declaring anything: they would share a
    logical name, which the engine refuses halfway through an update."""
    keys = [spec.key for spec in specs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(
            f"{owner_key}: access log key(s) {repeated} appear more than once; VPC Lattice "
            "takes one access-log subscription per destination type per resource, so "
            "keep one AccessLogSpec per key"
        )


def declare_access_logs(
    *,
    owner_key: str,
    specs: Sequence[AccessLogSpec],
    resource_identifier: pulumi.Input[str],
    parent: pulumi.Resource,
) -> Dict[str, AccessLogSubscription]:
    """One subscription per spec, by key.  A new destination of the same type replaces
    the subscription; the old one must go first, as Lattice refuses a second
    subscription of one destination type on one resource."""
    opts = pulumi.ResourceOptions(parent=parent, delete_before_replace=True)
    return {
        spec.key: AccessLogSubscription(
            _names.access_log_subscription(owner_key, spec.key),
            resource_identifier=resource_identifier,
            destination_arn=spec.destination_arn,
            tags=dict(spec.tags) or None,
            opts=opts,
        )
        for spec in specs
    }


class ServiceNetworkComponent(Gateway):
    """A service network declared for its own sake (the AWS controller's ServiceNetwork
    object, or the stack's default network): the same resources as a Gateway's, with a
    lifetime of its own, so Gateways of the same name can come and go without it."""

    type_token = "lattice:index:ServiceNetwork"
