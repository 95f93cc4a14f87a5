"""Every VPC Lattice resource of the account and region that adoption could concern, with
its tags, read with boto3's vpc-lattice client.

Service networks, their VPC associations, services with their service-network
associations, listeners and (non-default) rules, and target groups; each with its Get
answer and its tags.  The read is all or nothing: a failed call raises
``InventoryIncomplete`` and nothing is adopted on what was half read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from botocore.exceptions import BotoCoreError, ClientError

# Pulumi type tokens of the resources adoption imports.
SERVICE_NETWORK = "aws:vpclattice/serviceNetwork:ServiceNetwork"
VPC_ASSOCIATION = "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"
SERVICE = "aws:vpclattice/service:Service"
SERVICE_ASSOCIATION = "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation"
LISTENER = "aws:vpclattice/listener:Listener"
RULE = "aws:vpclattice/listenerRule:ListenerRule"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"
# In matching order: each after the resources it refers to.
ADOPTABLE_TYPES = (SERVICE_NETWORK, VPC_ASSOCIATION, SERVICE, SERVICE_ASSOCIATION, TARGET_GROUP, LISTENER, RULE)


class InventoryIncomplete(Exception):
    """A Lattice call failed: the inventory would be partial, so nothing is adopted."""


@dataclass(frozen=True)
class Found:
    """One Lattice resource: ``type`` is the Pulumi type token that would import it,
    ``import_id`` the ID pulumi-aws imports it by, ``detail`` its Get answer."""

    type: str
    id: str
    arn: str
    name: Optional[str]
    import_id: str
    detail: Mapping[str, Any]
    tags: Mapping[str, str] = field(default_factory=dict)
    parent: Optional[str] = None  # the service of a listener, the listener of a rule

    def describe(self) -> str:
        kind = self.type.rsplit(":", 1)[-1]
        return f"{kind} {self.name or self.id} ({self.id})"


@dataclass(frozen=True)
class Inventory:
    items: Tuple[Found, ...]

    def of(self, type_: str) -> List[Found]:
        return [item for item in self.items if item.type == type_]


def read_inventory(client: Any) -> Inventory:
    """Everything, or InventoryIncomplete naming the call that failed."""
    reader = _Reader(client)
    items: List[Found] = []
    for network in reader.pages("list_service_networks"):
        items.append(reader.found(SERVICE_NETWORK, network, network["id"]))
        for association in reader.pages("list_service_network_vpc_associations", serviceNetworkIdentifier=network["id"]):
            detail = reader.call("get_service_network_vpc_association",
                                 serviceNetworkVpcAssociationIdentifier=association["id"])
            items.append(reader.found(VPC_ASSOCIATION, detail, detail["id"], name=None))
    for summary in reader.pages("list_services"):
        service = reader.call("get_service", serviceIdentifier=summary["id"])
        items.append(reader.found(SERVICE, service, service["id"]))
        for association in reader.pages("list_service_network_service_associations", serviceIdentifier=service["id"]):
            detail = reader.call("get_service_network_service_association",
                                 serviceNetworkServiceAssociationIdentifier=association["id"])
            items.append(reader.found(SERVICE_ASSOCIATION, detail, detail["id"], name=None))
        for listed in reader.pages("list_listeners", serviceIdentifier=service["id"]):
            listener = reader.call("get_listener", serviceIdentifier=service["id"], listenerIdentifier=listed["id"])
            items.append(reader.found(LISTENER, listener, f"{service['id']}/{listener['id']}", parent=service["id"]))
            for listed_rule in reader.pages("list_rules", serviceIdentifier=service["id"], listenerIdentifier=listener["id"]):
                if listed_rule.get("isDefault"):
                    continue  # the listener's default action, not a resource of its own
                rule = reader.call("get_rule", serviceIdentifier=service["id"], listenerIdentifier=listener["id"],
                                   ruleIdentifier=listed_rule["id"])
                items.append(reader.found(RULE, rule, f"{service['id']}/{listener['id']}/{rule['id']}",
                                          parent=listener["id"]))
    for summary in reader.pages("list_target_groups"):
        group = reader.call("get_target_group", targetGroupIdentifier=summary["id"])
        items.append(reader.found(TARGET_GROUP, group, group["id"]))
    return Inventory(tuple(items))


class _Reader:
    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, operation: str, **params: Any) -> Dict[str, Any]:
        try:
            answer = getattr(self.client, operation)(**params)
        except (ClientError, BotoCoreError) as error:
            raise InventoryIncomplete(f"VPC Lattice {operation}({_shown(params)}) failed: {error}; nothing was "
                                      "adopted, as adopting on a partial read could claim or miss resources") from None
        answer.pop("ResponseMetadata", None)
        return answer

    def pages(self, operation: str, **params: Any) -> Iterator[Dict[str, Any]]:
        try:
            for page in self.client.get_paginator(operation).paginate(**params):
                yield from page.get("items", ())
        except (ClientError, BotoCoreError) as error:
            raise InventoryIncomplete(f"VPC Lattice {operation}({_shown(params)}) failed: {error}; nothing was "
                                      "adopted, as adopting on a partial read could claim or miss resources") from None

    def found(self, type_: str, detail: Mapping[str, Any], import_id: str, *, name: Optional[str] = "",
              parent: Optional[str] = None) -> Found:
        tags = self.call("list_tags_for_resource", resourceArn=detail["arn"]).get("tags") or {}
        return Found(type=type_, id=detail["id"], arn=detail["arn"],
                     name=detail.get("name") if name == "" else name, import_id=import_id,
                     detail=dict(detail), tags=dict(tags), parent=parent)


def _shown(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in params.items())
