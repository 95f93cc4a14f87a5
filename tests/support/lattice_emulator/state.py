"""The VPC Lattice operations: resources and the rules AWS applies to them.

One method per operation, named as boto3 names it (``create_rule`` for CreateRule),
taking the already contract-checked parameters and returning a superset of the output
shape's members (the protocol layer keeps only the modeled ones).  Where AWS behaviour
comes from the model's documentation it is followed; the choices made without a
source are marked "Unverified" and listed in the package docstring.
"""

from __future__ import annotations

import copy
import json
import random
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from botocore import xform_name

from . import target_groups
from .errors import conflict, not_found, not_implemented, quota_exceeded, validation
from .ids import KINDS, Namer
from .model import service_model, update_paths
from .quotas import Quotas
from .store import Resource, Store, now, paginate, resource_type

Params = Mapping[str, Any]

DELETING = "DELETE_IN_PROGRESS"
DRAINING = "DRAINING"
TARGET_STATUSES = frozenset(service_model().shape_for("TargetStatus").enum)
DEFAULT_RULE_NAME = "default"
# Sorts the default rule after every priority (1..2000) in ListRules.
_DEFAULT_RULE_SORT = 10_000
_MAX_TAGS = 200
_LOG_DESTINATIONS = {"s3": "S3", "logs": "CLOUDWATCH_LOGS", "firehose": "FIREHOSE"}
_POLICY_OWNERS = {"sn": "ServiceNetwork", "svc": "Service"}


@dataclass
class _Member:
    """A registered target: ``status`` None derives it from the group."""

    seq: int
    status: str | None = None


def _forwarded(action: Mapping[str, Any]) -> list[str]:
    """Target group IDs a rule action forwards to (identifiers may be ARNs)."""
    groups = (action.get("forward") or {}).get("targetGroups", [])
    return [entry["targetGroupIdentifier"].rsplit("/", 1)[-1] for entry in groups]


def _prefix(identifier: str) -> str:
    """'sn' for sn-… or …:servicenetwork/sn-…."""
    return identifier.rsplit("/", 1)[-1].split("-", 1)[0]


class LatticeState:
    """All resources of one account and Region.

    ``handle`` and the test helpers (``inventory``, ``finish_draining``,
    ``set_target_status``) hold ``lock``; the operation methods assume it is held.
    """

    def __init__(
        self,
        account_id: str,
        region: str,
        quotas: Quotas | None = None,
        *,
        seed: int | None = None,
        default_page_size: int = 100,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.quotas = quotas or Quotas()
        self.default_page_size = default_page_size
        self.lock = threading.RLock()
        self.namer = Namer(account_id, region, random.Random(seed))
        self.store = Store(self.namer)
        self._targets: dict[str, dict[tuple[str, int | None], _Member]] = {}
        self._target_seq = 0
        self._auth_policies: dict[str, dict[str, Any]] = {}
        self._client_tokens: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}

    # --- dispatch ------------------------------------------------------------------

    def handle(self, operation: str, params: Params) -> dict[str, Any]:
        if operation not in IMPLEMENTED:
            raise not_implemented(operation)
        method: Callable[[Params], dict[str, Any]] = getattr(self, xform_name(operation))
        with self.lock:
            token = params.get("clientToken")
            if token is None:
                return method(params)
            # The model: "If you retry a request that completed successfully using the
            # same client token and parameters, the retry succeeds without performing
            # any actions. If the parameters aren't identical, the retry fails."
            key = (operation, token)
            rest = {name: value for name, value in params.items() if name != "clientToken"}
            if key in self._client_tokens:
                seen, result = self._client_tokens[key]
                if seen != rest:
                    raise conflict(
                        f"clientToken {token!r} was used with different parameters",
                        resource_type(operation.removeprefix("Create")),
                        token,
                    )
                return copy.deepcopy(result)
            result = method(params)
            self._client_tokens[key] = (copy.deepcopy(rest), copy.deepcopy(result))
            return result

    # --- shared rules --------------------------------------------------------------

    def _unique_name(self, kind: str, name: str, siblings: list[Resource], scope: str) -> None:
        for sibling in siblings:
            if sibling.attrs["name"] == name:
                raise conflict(
                    f"a {resource_type(kind).lower().replace('_', ' ')} named {name!r} "
                    f"already exists in this {scope} ({sibling.id})",
                    resource_type(kind),
                    sibling.id,
                )

    def _under_quota(self, quota: str, count: int, kind: str, parent: str | None = None) -> None:
        """Refuse one more ``kind`` when ``count`` already reach the quota."""
        limit = getattr(self.quotas, quota)
        if count >= limit:
            raise quota_exceeded(
                f"quota {quota} ({limit}) reached" + (f" for {parent}" if parent else ""),
                resource_type(kind),
                quota,
                parent,
            )

    def _checked_action(self, action: Mapping[str, Any], listener_protocol: str) -> dict[str, Any]:
        """The action as stored: target groups checked, omitted weights made 1 (the default)."""
        action = copy.deepcopy(dict(action))
        forward = action.get("forward")
        if forward is None:
            if listener_protocol == "TLS_PASSTHROUGH":
                raise validation("a TLS_PASSTHROUGH listener can only forward to TCP target groups")
            return action
        groups = forward["targetGroups"]
        limit = self.quotas.target_groups_per_forward_action
        if len(groups) > limit:
            raise quota_exceeded(
                f"quota target_groups_per_forward_action ({limit}) exceeded: "
                f"{len(groups)} target groups in one forward action",
                "TARGET_GROUP",
                "target_groups_per_forward_action",
            )
        seen: set[str] = set()
        for entry in groups:
            group = self.store.get("TargetGroup", entry["targetGroupIdentifier"])
            if group.id in seen:
                # Unverified: AWS's answer to a repeated target group is not documented.
                raise validation(f"target group {group.id} appears twice in one forward action")
            seen.add(group.id)
            protocol = group.attrs.get("config", {}).get("protocol")
            if listener_protocol == "TLS_PASSTHROUGH" and protocol != "TCP":
                raise validation(
                    f"a TLS_PASSTHROUGH listener can only forward to TCP target groups; "
                    f"{group.id} is {protocol or group.attrs['type']}"
                )
            if listener_protocol != "TLS_PASSTHROUGH" and protocol == "TCP":
                raise validation(
                    f"an {listener_protocol} listener cannot forward to TCP target group {group.id}"
                )
            entry.setdefault("weight", 1)
        return action

    def _apply_update(self, resource: Resource, params: Params) -> None:
        for member, path in update_paths(resource.kind).items():
            if member in params:
                target = resource.attrs
                for key in path[:-1]:
                    target = target.setdefault(key, {})
                target[path[-1]] = copy.deepcopy(params[member])
        resource.attrs["lastUpdatedAt"] = now()

    def _drop(self, resource: Resource) -> None:
        self.store.drop(resource)
        self._auth_policies.pop(resource.id, None)
        self._targets.pop(resource.id, None)

    def _drop_log_subscriptions(self, owner: Resource) -> None:
        for subscription in self.store.all("AccessLogSubscription"):
            if subscription.attrs["resourceId"] == owner.id:
                self._drop(subscription)

    def _users_of(self, group_id: str) -> list[Resource]:
        """Listeners (default action) and rules whose action forwards to the group."""
        users = [
            listener
            for listener in self.store.all("Listener")
            if group_id in _forwarded(listener.attrs["defaultAction"])
        ]
        users += [
            rule
            for rule in self.store.all("Rule")
            if not rule.attrs["isDefault"] and group_id in _forwarded(rule.attrs["action"])
        ]
        return users

    def _view(self, resource: Resource) -> dict[str, Any]:
        """The resource as Get<kind> shows it, derived members included."""
        view = copy.deepcopy(resource.attrs)
        if resource.kind == "ServiceNetwork":
            view["numberOfAssociatedVPCs"] = len(self._vpc_associations(network=resource.id))
            view["numberOfAssociatedServices"] = len(
                self._service_associations(network=resource.id)
            )
        elif resource.kind == "TargetGroup":
            services = {user.parents[0] for user in self._users_of(resource.id)}
            view["serviceArns"] = sorted(self.store.get("Service", s).arn for s in services)
        elif resource.kind == "Rule" and view["isDefault"]:
            listener = self.store.get("Listener", resource.parents[1])
            view["action"] = copy.deepcopy(listener.attrs["defaultAction"])
        return view

    def _vpc_associations(
        self, *, network: str | None = None, vpc: str | None = None
    ) -> list[Resource]:
        return [
            a
            for a in self.store.all("ServiceNetworkVpcAssociation")
            if (network is None or a.attrs["serviceNetworkId"] == network)
            and (vpc is None or a.attrs["vpcId"] == vpc)
        ]

    def _service_associations(
        self, *, network: str | None = None, service: str | None = None
    ) -> list[Resource]:
        return [
            a
            for a in self.store.all("ServiceNetworkServiceAssociation")
            if (network is None or a.attrs["serviceNetworkId"] == network)
            and (service is None or a.attrs["serviceId"] == service)
        ]

    def _page(self, operation: str, params: Params, resources: list[Resource]) -> dict[str, Any]:
        rows = [([r.seq], self._view(r)) for r in resources]
        return paginate(operation, params, rows, self.default_page_size)

    # --- service networks ------------------------------------------------------------

    def create_service_network(self, p: Params) -> dict[str, Any]:
        networks = self.store.all("ServiceNetwork")
        self._unique_name("ServiceNetwork", p["name"], networks, "account")
        self._under_quota("service_networks_per_region", len(networks), "ServiceNetwork")
        attrs = {"name": p["name"], "authType": p.get("authType", "NONE")}
        if "sharingConfig" in p:
            attrs["sharingConfig"] = copy.deepcopy(p["sharingConfig"])
        return self._view(self.store.add("ServiceNetwork", attrs, tags=p.get("tags")))

    def get_service_network(self, p: Params) -> dict[str, Any]:
        return self._view(self.store.get("ServiceNetwork", p["serviceNetworkIdentifier"]))

    def update_service_network(self, p: Params) -> dict[str, Any]:
        network = self.store.get("ServiceNetwork", p["serviceNetworkIdentifier"])
        self._apply_update(network, p)
        return self._view(network)

    def delete_service_network(self, p: Params) -> dict[str, Any]:
        network = self.store.get("ServiceNetwork", p["serviceNetworkIdentifier"])
        # The model: "You can only delete the service network if there are no services,
        # VPCs, resource configurations, or service network endpoints associated with it."
        associations = self._vpc_associations(network=network.id) + self._service_associations(
            network=network.id
        )
        if associations:
            raise conflict(
                f"service network {network.id} still has associations: "
                + ", ".join(a.id for a in associations),
                "SERVICE_NETWORK",
                network.id,
            )
        self._drop_log_subscriptions(network)
        self._drop(network)
        return {}

    def list_service_networks(self, p: Params) -> dict[str, Any]:
        return self._page("ListServiceNetworks", p, self.store.all("ServiceNetwork"))

    # --- services ----------------------------------------------------------------------

    def create_service(self, p: Params) -> dict[str, Any]:
        services = self.store.all("Service")
        self._unique_name("Service", p["name"], services, "account")
        self._under_quota("services_per_region", len(services), "Service")
        attrs: dict[str, Any] = {
            "name": p["name"],
            "authType": p.get("authType", "NONE"),
            "status": "ACTIVE",
        }
        for name in ("customDomainName", "certificateArn", "idleTimeoutSeconds"):
            if name in p:
                attrs[name] = p[name]
        service = self.store.add("Service", attrs, tags=p.get("tags"))
        service.attrs["dnsEntry"] = self.namer.service_dns(service.attrs["name"], service.id)
        return self._view(service)

    def get_service(self, p: Params) -> dict[str, Any]:
        return self._view(self.store.get("Service", p["serviceIdentifier"]))

    def update_service(self, p: Params) -> dict[str, Any]:
        service = self.store.get("Service", p["serviceIdentifier"])
        self._apply_update(service, p)
        return self._view(service)

    def delete_service(self, p: Params) -> dict[str, Any]:
        service = self.store.get("Service", p["serviceIdentifier"])
        # The model: "A service can't be deleted if it's associated with a service network.
        # If you delete a service, all resources related to the service, such as the
        # resource policy, auth policy, listeners, listener rules, and access log
        # subscriptions, are also deleted."
        associations = self._service_associations(service=service.id)
        if associations:
            raise conflict(
                f"service {service.id} is still associated with service networks: "
                + ", ".join(a.attrs["serviceNetworkId"] for a in associations),
                "SERVICE",
                service.id,
            )
        for listener in self.store.children("Listener", service.id):
            self._drop_listener(listener)
        self._drop_log_subscriptions(service)
        self._drop(service)
        return {**service.attrs, "status": DELETING}

    def list_services(self, p: Params) -> dict[str, Any]:
        return self._page("ListServices", p, self.store.all("Service"))

    # --- listeners ---------------------------------------------------------------------

    def _listener(self, p: Params) -> tuple[Resource, Resource]:
        service = self.store.get("Service", p["serviceIdentifier"])
        listener = self.store.get("Listener", p["listenerIdentifier"])
        if listener.parents[0] != service.id:
            raise not_found("LISTENER", p["listenerIdentifier"])
        return service, listener

    def create_listener(self, p: Params) -> dict[str, Any]:
        service = self.store.get("Service", p["serviceIdentifier"])
        listeners = self.store.children("Listener", service.id)
        protocol = p["protocol"]
        # The model: "For HTTP, the default is 80. For HTTPS, the default is 443."
        # Unverified: 443 for TLS_PASSTHROUGH too.
        port = p.get("port", 80 if protocol == "HTTP" else 443)
        self._unique_name("Listener", p["name"], listeners, "service")
        for listener in listeners:
            if listener.attrs["port"] == port:
                raise conflict(
                    f"service {service.id} already has a listener on port {port} ({listener.id})",
                    "LISTENER",
                    listener.id,
                )
        self._under_quota("listeners_per_service", len(listeners), "Listener", service.id)
        if protocol == "TLS_PASSTHROUGH" and "customDomainName" not in service.attrs:
            raise validation(
                f"a TLS_PASSTHROUGH listener needs a service with a custom domain name; "
                f"{service.id} has none"
            )
        action = self._checked_action(p["defaultAction"], protocol)
        listener = self.store.add(
            "Listener",
            {
                "name": p["name"],
                "protocol": protocol,
                "port": port,
                "defaultAction": action,
                "serviceId": service.id,
                "serviceArn": service.arn,
            },
            tags=p.get("tags"),
            parents=(service.id,),
        )
        self.store.add(
            "Rule",
            {"name": DEFAULT_RULE_NAME, "isDefault": True},
            parents=(service.id, listener.id),
        )
        return self._view(listener)

    def get_listener(self, p: Params) -> dict[str, Any]:
        return self._view(self._listener(p)[1])

    def update_listener(self, p: Params) -> dict[str, Any]:
        _, listener = self._listener(p)
        action = self._checked_action(p["defaultAction"], listener.attrs["protocol"])
        self._apply_update(listener, {**p, "defaultAction": action})
        return self._view(listener)

    def _drop_listener(self, listener: Resource) -> None:
        for rule in self.store.children("Rule", listener.id):
            self._drop(rule)
        self._drop(listener)

    def delete_listener(self, p: Params) -> dict[str, Any]:
        self._drop_listener(self._listener(p)[1])
        return {}

    def list_listeners(self, p: Params) -> dict[str, Any]:
        service = self.store.get("Service", p["serviceIdentifier"])
        return self._page("ListListeners", p, self.store.children("Listener", service.id))

    # --- rules -------------------------------------------------------------------------

    def _rule(self, p: Params) -> tuple[Resource, Resource]:
        _, listener = self._listener(p)
        rule = self.store.get("Rule", p["ruleIdentifier"])
        if rule.parents[1] != listener.id:
            raise not_found("RULE", p["ruleIdentifier"])
        return listener, rule

    def _free_priority(self, listener: Resource, priority: int, rule: Resource | None) -> None:
        for other in self.store.children("Rule", listener.id):
            if other is not rule and other.attrs.get("priority") == priority:
                raise conflict(
                    f"listener {listener.id} already has a rule with priority {priority} "
                    f"({other.id})",
                    "RULE",
                    other.id,
                )

    def create_rule(self, p: Params) -> dict[str, Any]:
        _, listener = self._listener(p)
        if listener.attrs["protocol"] == "TLS_PASSTHROUGH":
            raise validation("a TLS_PASSTHROUGH listener has only its default rule")
        rules = self.store.children("Rule", listener.id)
        self._unique_name("Rule", p["name"], rules, "listener")
        self._free_priority(listener, p["priority"], None)
        extra = [rule for rule in rules if not rule.attrs["isDefault"]]
        self._under_quota("rules_per_listener", len(extra), "Rule", listener.id)
        action = self._checked_action(p["action"], listener.attrs["protocol"])
        rule = self.store.add(
            "Rule",
            {
                "name": p["name"],
                "isDefault": False,
                "match": copy.deepcopy(p["match"]),
                "priority": p["priority"],
                "action": action,
            },
            tags=p.get("tags"),
            parents=listener.parents + (listener.id,),
        )
        return self._view(rule)

    def get_rule(self, p: Params) -> dict[str, Any]:
        return self._view(self._rule(p)[1])

    def update_rule(self, p: Params) -> dict[str, Any]:
        listener, rule = self._rule(p)
        if rule.attrs["isDefault"]:
            # The model: "You can't modify a default listener rule. To modify a default
            # listener rule, use UpdateListener."
            raise validation(f"{rule.id} is the default rule of {listener.id}; use UpdateListener")
        changes = dict(p)
        if "priority" in p:
            self._free_priority(listener, p["priority"], rule)
        if "action" in p:
            changes["action"] = self._checked_action(p["action"], listener.attrs["protocol"])
        self._apply_update(rule, changes)
        return self._view(rule)

    def delete_rule(self, p: Params) -> dict[str, Any]:
        listener, rule = self._rule(p)
        if rule.attrs["isDefault"]:
            # The model: "You can delete additional listener rules, but you cannot delete
            # the default rule."  Unverified: that AWS says so with a ValidationException.
            raise validation(
                f"{rule.id} is the default rule of {listener.id} and cannot be deleted"
            )
        self._drop(rule)
        return {}

    def list_rules(self, p: Params) -> dict[str, Any]:
        _, listener = self._listener(p)
        rows = []
        for rule in self.store.children("Rule", listener.id):
            order = _DEFAULT_RULE_SORT if rule.attrs["isDefault"] else rule.attrs["priority"]
            rows.append(([order, rule.seq], self._view(rule)))
        return paginate("ListRules", p, rows, self.default_page_size)

    # --- target groups -----------------------------------------------------------------

    def create_target_group(self, p: Params) -> dict[str, Any]:
        groups = self.store.all("TargetGroup")
        self._unique_name("TargetGroup", p["name"], groups, "account")
        self._under_quota("target_groups_per_region", len(groups), "TargetGroup")
        attrs = {
            "name": p["name"],
            "type": p["type"],
            "config": target_groups.checked_config(p["type"], p.get("config")),
            "status": "ACTIVE",
        }
        group = self.store.add("TargetGroup", attrs, tags=p.get("tags"))
        self._targets[group.id] = {}
        return self._view(group)

    def get_target_group(self, p: Params) -> dict[str, Any]:
        return self._view(self.store.get("TargetGroup", p["targetGroupIdentifier"]))

    def update_target_group(self, p: Params) -> dict[str, Any]:
        group = self.store.get("TargetGroup", p["targetGroupIdentifier"])
        if group.attrs["type"] in ("LAMBDA", "ALB"):
            raise validation(
                f"health checks are not supported for {group.attrs['type']} target groups"
            )
        # Unverified: the new health check replaces the old one (defaults refilled)
        # rather than merging into it.
        check = target_groups.health_check(group.attrs["config"], p["healthCheck"])
        self._apply_update(group, {"healthCheck": check})
        return self._view(group)

    def delete_target_group(self, p: Params) -> dict[str, Any]:
        group = self.store.get("TargetGroup", p["targetGroupIdentifier"])
        # The model: "You can't delete a target group if it is used in a listener rule";
        # a listener's default action is its default rule.
        users = self._users_of(group.id)
        if users:
            raise conflict(
                f"target group {group.id} is used by " + ", ".join(u.id for u in users),
                "TARGET_GROUP",
                group.id,
            )
        self._drop(group)
        return {**group.attrs, "status": DELETING}

    def list_target_groups(self, p: Params) -> dict[str, Any]:
        vpc, group_type = p.get("vpcIdentifier"), p.get("targetGroupType")
        groups = [
            g
            for g in self.store.all("TargetGroup")
            if vpc in (None, g.attrs["config"].get("vpcIdentifier"))
            and group_type in (None, g.attrs["type"])
        ]
        page = self._page("ListTargetGroups", p, groups)
        for item in page["items"]:
            # TargetGroupSummary carries the config members at its top level.
            item.update({k: v for k, v in item["config"].items() if k != "healthCheck"})
        return page

    # --- targets -----------------------------------------------------------------------

    def _target_key(self, group: Resource, target: Mapping[str, Any]) -> tuple[str, int | None]:
        return target["id"], target_groups.target_port(group.attrs, target)

    @staticmethod
    def _target_entry(key: tuple[str, int | None], **extra: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": key[0], **extra}
        if key[1] is not None:
            entry["port"] = key[1]
        return entry

    def register_targets(self, p: Params) -> dict[str, Any]:
        group = self.store.get("TargetGroup", p["targetGroupIdentifier"])
        members = self._targets[group.id]
        successful, unsuccessful, accepted = [], [], []
        for target in p["targets"]:
            key = self._target_key(group, target)
            problem = target_groups.target_problem(group.attrs, target)
            if problem is None:
                accepted.append(key)
                successful.append(self._target_entry(key))
            else:
                # Unverified: the failureCode AWS uses for a malformed target.
                unsuccessful.append(
                    self._target_entry(key, failureCode="InvalidTarget", failureMessage=problem)
                )
        if group.attrs["type"] == "LAMBDA" and len(set(members) | set(accepted)) > 1:
            # The model: "If it's a Lambda target, you can only have one target in a target group."
            raise validation(f"LAMBDA target group {group.id} can have only one target")
        for key in accepted:
            member = members.get(key)
            if member is None:
                self._target_seq += 1
                members[key] = _Member(self._target_seq)
            else:
                member.status = None  # a DRAINING target registered again is back
        return {"successful": successful, "unsuccessful": unsuccessful}

    def deregister_targets(self, p: Params) -> dict[str, Any]:
        group = self.store.get("TargetGroup", p["targetGroupIdentifier"])
        members = self._targets[group.id]
        successful, unsuccessful = [], []
        for target in p["targets"]:
            key = self._target_key(group, target)
            member = members.get(key)
            if member is None:
                # Unverified: AWS's answer for a target that is not registered.
                unsuccessful.append(
                    self._target_entry(
                        key,
                        failureCode="TargetNotFound",
                        failureMessage=f"{key[0]} is not registered with {group.id}",
                    )
                )
                continue
            member.status = DRAINING
            successful.append(self._target_entry(key))
        return {"successful": successful, "unsuccessful": unsuccessful}

    def _target_status(self, group: Resource, member: _Member) -> str:
        if member.status is not None:
            return member.status
        if not self._users_of(group.id):
            return "UNUSED"  # "Target group is not used in a service."
        if not target_groups.health_checked(group.attrs):
            return "UNAVAILABLE"  # "Health checks are unavailable for the target group."
        return "HEALTHY"

    def list_targets(self, p: Params) -> dict[str, Any]:
        group = self.store.get("TargetGroup", p["targetGroupIdentifier"])
        wanted = {self._target_key(group, t) for t in p.get("targets", [])}
        rows = [
            ([member.seq], self._target_entry(key, status=self._target_status(group, member)))
            for key, member in self._targets[group.id].items()
            if not wanted or key in wanted
        ]
        return paginate("ListTargets", p, rows, self.default_page_size)

    # --- service network associations --------------------------------------------------

    def _association_fields(self, network: Resource) -> dict[str, Any]:
        return {
            "status": "ACTIVE",
            "createdBy": self.account_id,
            "serviceNetworkId": network.id,
            "serviceNetworkName": network.attrs["name"],
            "serviceNetworkArn": network.arn,
        }

    def create_service_network_vpc_association(self, p: Params) -> dict[str, Any]:
        network = self.store.get("ServiceNetwork", p["serviceNetworkIdentifier"])
        vpc = p["vpcIdentifier"]
        for existing in self._vpc_associations(vpc=vpc):
            # A VPC connects to only one service network through an association.
            where = "this" if existing.attrs["serviceNetworkId"] == network.id else "another"
            raise conflict(
                f"VPC {vpc} is already associated with {where} service network "
                f"{existing.attrs['serviceNetworkId']} ({existing.id})",
                "SERVICE_NETWORK_VPC_ASSOCIATION",
                existing.id,
            )
        self._under_quota(
            "vpc_associations_per_service_network",
            len(self._vpc_associations(network=network.id)),
            "ServiceNetworkVpcAssociation",
            network.id,
        )
        attrs = {**self._association_fields(network), "vpcId": vpc}
        for name in ("securityGroupIds", "privateDnsEnabled", "dnsOptions"):
            if name in p:
                attrs[name] = copy.deepcopy(p[name])
        return self._view(
            self.store.add("ServiceNetworkVpcAssociation", attrs, tags=p.get("tags"))
        )

    def get_service_network_vpc_association(self, p: Params) -> dict[str, Any]:
        return self._view(
            self.store.get(
                "ServiceNetworkVpcAssociation", p["serviceNetworkVpcAssociationIdentifier"]
            )
        )

    def update_service_network_vpc_association(self, p: Params) -> dict[str, Any]:
        association = self.store.get(
            "ServiceNetworkVpcAssociation", p["serviceNetworkVpcAssociationIdentifier"]
        )
        self._apply_update(association, p)
        return self._view(association)

    def delete_service_network_vpc_association(self, p: Params) -> dict[str, Any]:
        association = self.store.get(
            "ServiceNetworkVpcAssociation", p["serviceNetworkVpcAssociationIdentifier"]
        )
        self._drop(association)
        return {**association.attrs, "status": DELETING}

    def _network_filter(self, p: Params, operation: str, other: str) -> str | None:
        # The model: "You must provide either the service network identifier or the ..."
        if "serviceNetworkIdentifier" not in p and other not in p:
            raise validation(f"{operation} needs serviceNetworkIdentifier or {other}")
        identifier = p.get("serviceNetworkIdentifier")
        if identifier is None:
            return None
        # No ResourceNotFoundException is modeled for these lists: an unknown network
        # filters everything out.
        network = self.store.find("ServiceNetwork", identifier)
        return network.id if network else identifier

    def list_service_network_vpc_associations(self, p: Params) -> dict[str, Any]:
        network = self._network_filter(p, "ListServiceNetworkVpcAssociations", "vpcIdentifier")
        found = self._vpc_associations(network=network, vpc=p.get("vpcIdentifier"))
        return self._page("ListServiceNetworkVpcAssociations", p, found)

    def create_service_network_service_association(self, p: Params) -> dict[str, Any]:
        service = self.store.get("Service", p["serviceIdentifier"])
        network = self.store.get("ServiceNetwork", p["serviceNetworkIdentifier"])
        for existing in self._service_associations(network=network.id, service=service.id):
            raise conflict(
                f"service {service.id} is already associated with service network {network.id} "
                f"({existing.id})",
                "SERVICE_NETWORK_SERVICE_ASSOCIATION",
                existing.id,
            )
        self._under_quota(
            "service_associations_per_service_network",
            len(self._service_associations(network=network.id)),
            "ServiceNetworkServiceAssociation",
            network.id,
        )
        attrs = {
            **self._association_fields(network),
            "serviceId": service.id,
            "serviceName": service.attrs["name"],
            "serviceArn": service.arn,
            "dnsEntry": copy.deepcopy(service.attrs["dnsEntry"]),
        }
        if "customDomainName" in service.attrs:
            attrs["customDomainName"] = service.attrs["customDomainName"]
        return self._view(
            self.store.add("ServiceNetworkServiceAssociation", attrs, tags=p.get("tags"))
        )

    def get_service_network_service_association(self, p: Params) -> dict[str, Any]:
        return self._view(
            self.store.get(
                "ServiceNetworkServiceAssociation", p["serviceNetworkServiceAssociationIdentifier"]
            )
        )

    def delete_service_network_service_association(self, p: Params) -> dict[str, Any]:
        association = self.store.get(
            "ServiceNetworkServiceAssociation", p["serviceNetworkServiceAssociationIdentifier"]
        )
        self._drop(association)
        return {**association.attrs, "status": DELETING}

    def list_service_network_service_associations(self, p: Params) -> dict[str, Any]:
        network = self._network_filter(
            p, "ListServiceNetworkServiceAssociations", "serviceIdentifier"
        )
        service = None
        if "serviceIdentifier" in p:
            found = self.store.find("Service", p["serviceIdentifier"])
            service = found.id if found else p["serviceIdentifier"]
        associations = self._service_associations(network=network, service=service)
        return self._page("ListServiceNetworkServiceAssociations", p, associations)

    # --- auth policies and access logs (on a service network or a service) -------------

    def _owner(self, identifier: str) -> Resource:
        kind = _POLICY_OWNERS.get(_prefix(identifier))
        if kind is None:
            # Resource configurations (rcfg-) are not emulated.
            raise not_found("RESOURCE_CONFIGURATION", identifier)
        return self.store.get(kind, identifier)

    def _policy_view(self, owner: Resource) -> dict[str, Any]:
        # The model: "The auth policy is only active when the auth type is set to AWS_IAM."
        state = "Active" if owner.attrs["authType"] == "AWS_IAM" else "Inactive"
        return {**self._auth_policies[owner.id], "state": state}

    def put_auth_policy(self, p: Params) -> dict[str, Any]:
        owner = self._owner(p["resourceIdentifier"])
        policy = p["policy"]
        if "\n" in policy or "\r" in policy:
            raise validation("the policy must not contain newlines or blank lines")
        try:
            document = json.loads(policy)
        except ValueError as exc:
            raise validation(f"the policy is not JSON: {exc}")
        if not isinstance(document, dict):
            raise validation("the policy must be a JSON object")
        size = len(policy.encode())
        if size > self.quotas.auth_policy_bytes:
            raise validation(
                f"the policy is {size} bytes; the limit is {self.quotas.auth_policy_bytes}"
            )
        stamp = now()
        previous = self._auth_policies.get(owner.id, {})
        self._auth_policies[owner.id] = {
            "policy": policy,
            "createdAt": previous.get("createdAt", stamp),
            "lastUpdatedAt": stamp,
        }
        return self._policy_view(owner)

    def get_auth_policy(self, p: Params) -> dict[str, Any]:
        owner = self._owner(p["resourceIdentifier"])
        if owner.id not in self._auth_policies:
            # Unverified: AWS may instead answer 200 with no policy.
            raise not_found("AUTH_POLICY", p["resourceIdentifier"])
        return self._policy_view(owner)

    def delete_auth_policy(self, p: Params) -> dict[str, Any]:
        owner = self._owner(p["resourceIdentifier"])
        if self._auth_policies.pop(owner.id, None) is None:
            raise not_found("AUTH_POLICY", p["resourceIdentifier"])
        return {}

    @staticmethod
    def _destination_type(arn: str) -> str:
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service not in _LOG_DESTINATIONS:
            raise validation(
                f"destinationArn {arn!r} is not an S3 bucket, a CloudWatch Logs group "
                "or a Firehose stream"
            )
        return _LOG_DESTINATIONS[service]

    def _free_destination(
        self, owner: Resource, destination: str, log_type: str | None, subscription: Resource | None
    ) -> None:
        kind = self._destination_type(destination)
        for other in self.store.all("AccessLogSubscription"):
            if (
                other is not subscription
                and other.attrs["resourceId"] == owner.id
                and self._destination_type(other.attrs["destinationArn"]) == kind
                and other.attrs.get("serviceNetworkLogType") == log_type
            ):
                # Unverified: one subscription per destination type (and log type) per resource.
                raise conflict(
                    f"{owner.id} already sends {kind} access logs through {other.id}",
                    "ACCESS_LOG_SUBSCRIPTION",
                    other.id,
                )

    def create_access_log_subscription(self, p: Params) -> dict[str, Any]:
        owner = self._owner(p["resourceIdentifier"])
        log_type = p.get("serviceNetworkLogType")
        if owner.kind == "ServiceNetwork":
            log_type = log_type or "SERVICE"
        elif log_type is not None:
            raise validation("serviceNetworkLogType applies only to a service network")
        self._free_destination(owner, p["destinationArn"], log_type, None)
        attrs = {
            "resourceId": owner.id,
            "resourceArn": owner.arn,
            "destinationArn": p["destinationArn"],
        }
        if log_type is not None:
            attrs["serviceNetworkLogType"] = log_type
        return self._view(self.store.add("AccessLogSubscription", attrs, tags=p.get("tags")))

    def get_access_log_subscription(self, p: Params) -> dict[str, Any]:
        return self._view(
            self.store.get("AccessLogSubscription", p["accessLogSubscriptionIdentifier"])
        )

    def update_access_log_subscription(self, p: Params) -> dict[str, Any]:
        subscription = self.store.get("AccessLogSubscription", p["accessLogSubscriptionIdentifier"])
        owner = self.store.get(
            "ServiceNetwork" if _prefix(subscription.attrs["resourceId"]) == "sn" else "Service",
            subscription.attrs["resourceId"],
        )
        log_type = subscription.attrs.get("serviceNetworkLogType")
        self._free_destination(owner, p["destinationArn"], log_type, subscription)
        self._apply_update(subscription, p)
        return self._view(subscription)

    def delete_access_log_subscription(self, p: Params) -> dict[str, Any]:
        self._drop(self.store.get("AccessLogSubscription", p["accessLogSubscriptionIdentifier"]))
        return {}

    def list_access_log_subscriptions(self, p: Params) -> dict[str, Any]:
        identifier = p["resourceIdentifier"]
        # No ResourceNotFoundException is modeled here: an unknown resource has none.
        kind = _POLICY_OWNERS.get(_prefix(identifier))
        owner = self.store.find(kind, identifier) if kind else None
        found = [
            s
            for s in self.store.all("AccessLogSubscription")
            if owner is not None and s.attrs["resourceId"] == owner.id
        ]
        return self._page("ListAccessLogSubscriptions", p, found)

    # --- tags --------------------------------------------------------------------------

    def tag_resource(self, p: Params) -> dict[str, Any]:
        resource = self.store.by_arn(p["resourceArn"])
        merged = {**resource.tags, **p["tags"]}
        if len(merged) > _MAX_TAGS:
            raise validation(
                f"{resource.id} would have {len(merged)} tags; the limit is {_MAX_TAGS}"
            )
        resource.tags = merged
        return {}

    def untag_resource(self, p: Params) -> dict[str, Any]:
        resource = self.store.by_arn(p["resourceArn"])
        for key in p["tagKeys"]:
            resource.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, p: Params) -> dict[str, Any]:
        return {"tags": dict(self.store.by_arn(p["resourceArn"]).tags)}

    # --- for tests -----------------------------------------------------------------------

    def inventory(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every live resource by kind and ID, as Get shows it, with ``tags``.

        Default rules are left out (they are their listener's ``defaultAction``); target
        groups carry ``targets``; auth policies are listed under ``AuthPolicy`` by the ID
        of the resource they belong to.
        """
        with self.lock:
            out: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
            for resource in self.store:
                if resource.kind == "Rule" and resource.attrs["isDefault"]:
                    continue
                view = {**self._view(resource), "tags": dict(resource.tags)}
                if resource.kind == "TargetGroup":
                    view["targets"] = [
                        self._target_entry(key, status=self._target_status(resource, member))
                        for key, member in self._targets[resource.id].items()
                    ]
                out[resource.kind][resource.id] = view
            out["AuthPolicy"] = {}
            for owner_id in self._auth_policies:
                owner = self._owner(owner_id)
                out["AuthPolicy"][owner_id] = {
                    "resourceId": owner_id,
                    "resourceArn": owner.arn,
                    **self._policy_view(owner),
                }
            return out

    def finish_draining(self, target_group: str | None = None) -> int:
        """Remove DRAINING targets (of one group, or all); returns how many."""
        with self.lock:
            if target_group is None:
                groups = list(self._targets)
            else:
                groups = [self.store.get("TargetGroup", target_group).id]
            removed = 0
            for group_id in groups:
                members = self._targets[group_id]
                for key in [k for k, m in members.items() if m.status == DRAINING]:
                    del members[key]
                    removed += 1
            return removed

    def set_target_status(
        self, target_group: str, target_id: str, status: str, port: int | None = None
    ) -> None:
        """Pin a registered target's ListTargets status (``UNHEALTHY``, ``INITIAL``…)."""
        if status not in TARGET_STATUSES:
            known = ", ".join(sorted(TARGET_STATUSES))
            raise ValueError(f"{status!r} is not a TargetStatus ({known})")
        with self.lock:
            group = self.store.get("TargetGroup", target_group)
            target = {"id": target_id} if port is None else {"id": target_id, "port": port}
            key = self._target_key(group, target)
            if key not in self._targets[group.id]:
                raise KeyError(f"{key} is not registered with {group.id}")
            self._targets[group.id][key].status = status


IMPLEMENTED = frozenset(
    name for name in service_model().operation_names if hasattr(LatticeState, xform_name(name))
)
