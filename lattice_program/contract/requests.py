"""The VPC Lattice API requests a model implies, for checking against the API contract.

Each spec maps to the Create* (or Put*) request the provider will send for it.  IDs that
only exist after creation (service, listener, target group, service network) are filled
with placeholders of the right form, so the check covers everything the model decides
and nothing it cannot know.  The auth type travels in CreateServiceNetwork and
CreateService; the auth policy itself is a PutAuthPolicy on the network or service.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple

from components.specs import (
    AccessLogSpec,
    Action,
    FixedResponseAction,
    GatewaySpec,
    HttpMatchSpec,
    LatticeModel,
    RouteSpec,
    Target,
    TargetGroupSpec,
)

from lattice_program.translate.naming import is_identifier

PLACEHOLDER_SERVICE_NETWORK_ID = "sn-" + "0" * 17
PLACEHOLDER_SERVICE_ID = "svc-" + "0" * 17
PLACEHOLDER_LISTENER_ID = "listener-" + "0" * 17
PLACEHOLDER_TARGET_GROUP_ID = "tg-" + "0" * 17
REGISTER_BATCH = 100  # RegisterTargets.targets (API model): 1..100

# (owner key, operation, params): the owner is the Gateway or route key the request belongs to.
Request = Tuple[str, str, Dict[str, Any]]


def model_requests(model: LatticeModel) -> Iterator[Request]:
    for gateway in model.service_networks + model.gateways():
        yield from gateway_requests(gateway)
    networks = {g.key: _network_identifier(g) for g in model.service_networks + model.gateways()}
    for route in model.routes():
        yield from route_requests(route, networks, model.targets)
    for export in model.exports:
        for target_group in export.target_groups:
            yield export.key, "CreateTargetGroup", target_group_request(target_group)
            yield from _register_requests(export.key, model.targets.get(target_group.key, ()))


def gateway_requests(gateway: GatewaySpec) -> Iterator[Request]:
    network = gateway.service_network
    network_id = _network_identifier(gateway)
    if network.existing is None and network.provided_by is None:
        yield gateway.key, "CreateServiceNetwork", _with_tags({"name": network.name, "authType": network.auth_type}, network.tags)
    for association in gateway.vpc_associations:
        params: Dict[str, Any] = {"serviceNetworkIdentifier": network_id, "vpcIdentifier": association.vpc_identifier}
        if association.security_group_ids:
            params["securityGroupIds"] = list(association.security_group_ids)
        yield gateway.key, "CreateServiceNetworkVpcAssociation", _with_tags(params, association.tags)
    yield from _policy_requests(gateway.key, network_id, network.auth_policy, gateway.access_logs)


def route_requests(route: RouteSpec, networks: Mapping[str, str],
                   targets_by_group: Mapping[str, Sequence[Target]]) -> Iterator[Request]:
    """``networks`` maps Gateway keys to service network identifiers."""
    service = route.service
    params: Dict[str, Any] = {"name": service.name, "authType": service.auth_type}
    if service.custom_domain_name:
        params["customDomainName"] = service.custom_domain_name
    if service.certificate_arn:
        params["certificateArn"] = service.certificate_arn
    yield route.key, "CreateService", _with_tags(params, service.tags)
    for association in route.associations:
        yield route.key, "CreateServiceNetworkServiceAssociation", _with_tags(
            {"serviceIdentifier": PLACEHOLDER_SERVICE_ID,
             "serviceNetworkIdentifier": networks.get(association.gateway, PLACEHOLDER_SERVICE_NETWORK_ID)},
            association.tags)
    yield from _policy_requests(route.key, PLACEHOLDER_SERVICE_ID, service.auth_policy, route.access_logs)
    for target_group in route.target_groups:
        yield route.key, "CreateTargetGroup", target_group_request(target_group)
    for listener in route.listeners:
        yield route.key, "CreateListener", _with_tags(
            {"serviceIdentifier": PLACEHOLDER_SERVICE_ID, "name": listener.name, "port": listener.port,
             "protocol": listener.protocol, "defaultAction": action_request(listener.default_action)},
            listener.tags)
        for rule in listener.rules:
            yield route.key, "CreateRule", _with_tags(
                {"serviceIdentifier": PLACEHOLDER_SERVICE_ID, "listenerIdentifier": PLACEHOLDER_LISTENER_ID,
                 "name": rule.name, "priority": rule.priority, "match": {"httpMatch": match_request(rule.match)},
                 "action": action_request(rule.action)},
                rule.tags)
    for target_group in route.target_groups:
        if target_group.declared_targets is not None:
            yield from declared_target_requests(route.key, target_group)
        else:
            yield from _register_requests(route.key, targets_by_group.get(target_group.key, ()))


def declared_target_requests(owner: str, target_group: TargetGroupSpec) -> Iterator[Request]:
    """The RegisterTargets the group's TargetGroupAttachments make (one target each); a
    Lambda target has no port (botocore Target: ``port`` optional, ``id`` the function ARN)."""
    for target in target_group.declared_targets or ():
        member = _present(("id", target.id), ("port", target.port))
        yield owner, "RegisterTargets", {"targetGroupIdentifier": PLACEHOLDER_TARGET_GROUP_ID, "targets": [member]}


def _register_requests(owner: str, targets: Sequence[Target]) -> Iterator[Request]:
    for start in range(0, len(targets), REGISTER_BATCH):
        batch = targets[start:start + REGISTER_BATCH]
        yield owner, "RegisterTargets", {"targetGroupIdentifier": PLACEHOLDER_TARGET_GROUP_ID,
                                         "targets": [{"id": t.id, "port": t.port} for t in batch]}


def _policy_requests(owner: str, resource_id: str, auth_policy: Optional[str],
                     access_logs: Sequence[AccessLogSpec]) -> Iterator[Request]:
    """PutAuthPolicy and CreateAccessLogSubscription on one service network or service."""
    if auth_policy is not None:
        yield owner, "PutAuthPolicy", {"resourceIdentifier": resource_id, "policy": auth_policy}
    for access_log in access_logs:
        yield owner, "CreateAccessLogSubscription", _with_tags(
            {"resourceIdentifier": resource_id, "destinationArn": access_log.destination_arn}, access_log.tags)


def target_group_request(target_group: TargetGroupSpec) -> Dict[str, Any]:
    """CreateTargetGroup with the config its type takes: a setting the type does not take
    is None on the spec (``specs.CONFIG_FIELDS_BY_TYPE``), so it is never sent."""
    config = _present(("port", target_group.port), ("protocol", target_group.protocol),
                      ("ipAddressType", target_group.ip_address_type),
                      ("vpcIdentifier", target_group.vpc_identifier),
                      ("protocolVersion", target_group.protocol_version),
                      ("lambdaEventStructureVersion", target_group.lambda_event_structure_version))
    check = target_group.health_check
    if check is not None:
        health = {"enabled": check.enabled, **_present(
            ("protocol", check.protocol), ("protocolVersion", check.protocol_version),
            ("path", check.path), ("port", check.port),
            ("healthCheckIntervalSeconds", check.interval_seconds),
            ("healthCheckTimeoutSeconds", check.timeout_seconds),
            ("healthyThresholdCount", check.healthy_threshold_count),
            ("unhealthyThresholdCount", check.unhealthy_threshold_count))}
        if check.matcher is not None:
            health["matcher"] = {"httpCode": check.matcher}
        config["healthCheck"] = health
    return _with_tags({"name": target_group.name, "type": target_group.type, "config": config}, target_group.tags)


def action_request(action: Action) -> Dict[str, Any]:
    if isinstance(action, FixedResponseAction):
        return {"fixedResponse": {"statusCode": action.status_code}}
    return {"forward": {"targetGroups": [{"targetGroupIdentifier": PLACEHOLDER_TARGET_GROUP_ID, "weight": entry.weight}
                                         for entry in action.target_groups]}}


def match_request(match: HttpMatchSpec) -> Dict[str, Any]:
    http: Dict[str, Any] = {}
    if match.method:
        http["method"] = match.method
    if match.path is not None:
        http["pathMatch"] = {"match": {match.path.kind: match.path.value}, "caseSensitive": match.path.case_sensitive}
    if match.headers:
        http["headerMatches"] = [{"name": h.name, "match": {"exact": h.value}, "caseSensitive": h.case_sensitive}
                                 for h in match.headers]
    return http


def _present(*members: Tuple[str, Any]) -> Dict[str, Any]:
    """The members that are set: a request leaves an unset member out rather than send null."""
    return {key: value for key, value in members if value is not None}


def _with_tags(params: Dict[str, Any], tags) -> Dict[str, Any]:
    if tags:
        params["tags"] = dict(tags)
    return params


def _network_identifier(gateway: GatewaySpec) -> str:
    """An adopted network's ID or ARN as given; a placeholder for one we create, or one
    adopted by name (resolved to its ARN only when the stack is applied)."""
    existing = gateway.service_network.existing
    return existing if existing and is_identifier(existing) else PLACEHOLDER_SERVICE_NETWORK_ID
