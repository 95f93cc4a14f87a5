"""The Route component: one route (HTTPRoute, GRPCRoute, TLSRoute) as one Lattice service.

Under the service: its associations with the service networks of the route's Gateways,
its target groups, its listeners and their rules, its auth policy and its access-log
subscriptions.  One class serves every route kind;
the kind only picks the type token (``lattice:index:<kind>``), so each kind keeps its own
stable URNs.  Pod targets are not declared here (pod IPs are synced directly); targets that
are infrastructure (a LatticeBackend's Lambda, instances, ALB, fixed IPs) are attachments.

The spec refers to target groups and gateways by key; this component resolves those keys
to IDs (``service_network_ids`` maps a gateway key to its service network identifier).

Child names: see ``components._names``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence

import pulumi
from pulumi_aws.vpclattice import (
    AccessLogSubscription,
    AuthPolicy,
    Listener,
    ListenerDefaultActionArgs,
    ListenerDefaultActionFixedResponseArgs,
    ListenerDefaultActionForwardArgs,
    ListenerDefaultActionForwardTargetGroupArgs,
    ListenerRule,
    ListenerRuleActionArgs,
    ListenerRuleActionFixedResponseArgs,
    ListenerRuleActionForwardArgs,
    ListenerRuleActionForwardTargetGroupArgs,
    ListenerRuleMatchArgs,
    ListenerRuleMatchHttpMatchArgs,
    ListenerRuleMatchHttpMatchHeaderMatchArgs,
    ListenerRuleMatchHttpMatchHeaderMatchMatchArgs,
    ListenerRuleMatchHttpMatchPathMatchArgs,
    ListenerRuleMatchHttpMatchPathMatchMatchArgs,
    Service,
    ServiceNetworkServiceAssociation,
    TargetGroup,
    TargetGroupAttachment,
)

from components import _names
from components.target_group import declare_attachments, declare_target_group
from components.gateway import check_access_log_keys, declare_access_logs
from components.specs import (
    DnsEndpointSpec,
    Action,
    FixedResponseAction,
    HttpMatchSpec,
    ListenerSpec,
    RouteSpec,
)

_ROUTE_KIND = re.compile(r"[A-Z][A-Za-z0-9]*Route")


def type_token(kind: str) -> str:
    """``lattice:index:<kind>``; refuses anything that is not a route kind name."""
    if not _ROUTE_KIND.fullmatch(kind):
        raise ValueError(
            f"route kind {kind!r} is not a route kind name such as 'HTTPRoute', "
            "'GRPCRoute' or 'TLSRoute'; RouteSpec.kind becomes the Pulumi type token "
            "lattice:index:<kind>, so set it to the Kubernetes kind of the route"
        )
    return f"lattice:index:{kind}"


@dataclass(frozen=True)
class RouteArgs:
    spec: RouteSpec
    service_network_ids: Mapping[str, pulumi.Input[str]]
    """Gateway key -> identifier (ID or ARN) of that Gateway's service network."""
    external_target_group_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Target group key -> ID of groups the route forwards to but does not own (exports)."""
    kubernetes_provider: Optional[pulumi.ProviderResource] = None
    """Where the DNSEndpoint goes (the route's cluster); None: the ambient kubeconfig."""


class Route(pulumi.ComponentResource):
    """A Lattice service with its associations, target groups, listeners, rules, auth
    policy and access-log subscriptions.

    Children by spec key: ``associations`` by gateway key, ``target_groups`` by target
    group key, ``target_attachments`` by target group key then target, ``listeners`` by
    listener key, ``rules`` by listener key then rule key, ``access_logs`` by access-log key; ``auth_policy`` is ``None`` without a policy.
    ``dns_name`` is the service's first DNS name (``None`` until Lattice assigns one).
    """

    service: Service
    associations: Dict[str, ServiceNetworkServiceAssociation]
    target_groups: Dict[str, TargetGroup]
    target_attachments: Dict[str, Dict[str, TargetGroupAttachment]]
    listeners: Dict[str, Listener]
    rules: Dict[str, Dict[str, ListenerRule]]
    auth_policy: Optional[AuthPolicy]
    access_logs: Dict[str, AccessLogSubscription]
    dns_name: pulumi.Output[Optional[str]]
    dns_endpoint: Optional[pulumi.CustomResource]

    def __init__(
        self, name: str, args: RouteArgs, opts: Optional[pulumi.ResourceOptions] = None
    ) -> None:
        super().__init__(type_token(args.spec.kind), name, None, opts)
        spec = args.spec
        _check_references(spec, args.service_network_ids, args.external_target_group_ids)
        check_access_log_keys(spec.key, spec.access_logs)
        child = pulumi.ResourceOptions(parent=self)

        self.service = Service(
            _names.service(spec.key),
            name=spec.service.name,
            custom_domain_name=spec.service.custom_domain_name,
            certificate_arn=spec.service.certificate_arn,
            auth_type=spec.service.auth_type,
            tags=dict(spec.service.tags) or None,
            opts=child,
        )
        self.associations = {
            association.gateway: ServiceNetworkServiceAssociation(
                _names.service_network_association(spec.key, association.gateway),
                service_identifier=self.service.id,
                service_network_identifier=args.service_network_ids[association.gateway],
                tags=dict(association.tags) or None,
                opts=child,
            )
            for association in spec.associations
        }
        self.target_groups = {group.key: declare_target_group(group, child) for group in spec.target_groups}
        self.target_attachments = {group.key: declare_attachments(group, self.target_groups[group.key], child)
                                   for group in spec.target_groups if group.declared_targets is not None}
        self._target_group_ids: Dict[str, pulumi.Input[str]] = {
            **args.external_target_group_ids, **{key: group.id for key, group in self.target_groups.items()}}
        # Lattice allows one listener per port: replacing one (its name is immutable)
        # must delete the old listener before creating the new one.
        listener_opts = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        self.listeners = {}
        self.rules = {}
        for listener in spec.listeners:
            declared = Listener(
                _names.listener(spec.key, listener.key),
                name=listener.name,
                port=listener.port,
                protocol=listener.protocol,
                service_identifier=self.service.id,
                default_action=self._listener_default_action(listener.default_action),
                tags=dict(listener.tags) or None,
                opts=listener_opts,
            )
            self.listeners[listener.key] = declared
            self.rules[listener.key] = self._declare_rules(spec.key, listener, declared)

        self.auth_policy = (
            None
            if spec.service.auth_policy is None
            else AuthPolicy(
                _names.auth_policy(spec.key),
                resource_identifier=self.service.id,
                policy=spec.service.auth_policy,
                opts=child,
            )
        )
        self.access_logs = declare_access_logs(
            owner_key=spec.key, specs=spec.access_logs, resource_identifier=self.service.arn, parent=self
        )

        self.dns_name = self.service.dns_entries.apply(_first_domain_name)
        self.dns_endpoint = (None if spec.dns_endpoint is None
                             else declare_dns_endpoint(spec.key, spec.dns_endpoint, self.dns_name,
                                                       pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)))
        self.register_outputs(
            {
                "serviceId": self.service.id,
                "serviceArn": self.service.arn,
                "dnsName": self.dns_name,
            }
        )

    def _declare_rules(
        self, route_key: str, spec: ListenerSpec, listener: Listener
    ) -> Dict[str, ListenerRule]:
        """The listener's rules, chained so that priority changes never collide.

        Lattice rejects a second rule with a priority already in use on the listener, at
        every instant, while Pulumi runs independent steps in parallel.  When a rule is
        inserted and the ones after it move down (new rule at 1; old 1 -> 2, 2 -> 3), the
        create and the updates could land in any order.  So each rule depends on the rule
        with the next higher priority number, which makes the steps run from the highest
        number down: 2 -> 3, then 1 -> 2, then the create at 1, each moving into a slot the
        step before has just vacated.  (Ascending order would create at 1 while 1 is
        still taken.)  Appends and inserts into gaps are safe either way.  No order helps
        when priorities move up after a rule is removed (2 -> 1 while the removed rule
        still holds 1: Pulumi deletes removed resources last) or when two rules swap: the
        translator keeps priorities stable for those.  Replacing a rule (its name is
        immutable) deletes the old one first, for the same reason.  The price is that
        the rules of one listener are created one after another.
        """
        rules: Dict[str, ListenerRule] = {}
        higher: Optional[ListenerRule] = None
        for rule in sorted(spec.rules, key=lambda r: r.priority, reverse=True):
            higher = ListenerRule(
                _names.listener_rule(route_key, spec.key, rule.key),
                name=rule.name,
                priority=rule.priority,
                service_identifier=self.service.id,
                listener_identifier=listener.listener_id,
                match=_rule_match(rule.match),
                action=self._rule_action(rule.action),
                tags=dict(rule.tags) or None,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    delete_before_replace=True,
                    depends_on=[higher] if higher is not None else None,
                ),
            )
            rules[rule.key] = higher
        return rules

    def _listener_default_action(self, action: Action) -> ListenerDefaultActionArgs:
        if isinstance(action, FixedResponseAction):
            return ListenerDefaultActionArgs(
                fixed_response=ListenerDefaultActionFixedResponseArgs(
                    status_code=action.status_code
                )
            )
        return ListenerDefaultActionArgs(
            forwards=[
                ListenerDefaultActionForwardArgs(
                    target_groups=[
                        ListenerDefaultActionForwardTargetGroupArgs(
                            target_group_identifier=self._target_group_ids[entry.target_group],
                            weight=entry.weight,
                        )
                        for entry in action.target_groups
                    ]
                )
            ]
        )

    def _rule_action(self, action: Action) -> ListenerRuleActionArgs:
        if isinstance(action, FixedResponseAction):
            return ListenerRuleActionArgs(
                fixed_response=ListenerRuleActionFixedResponseArgs(status_code=action.status_code)
            )
        return ListenerRuleActionArgs(
            forward=ListenerRuleActionForwardArgs(
                target_groups=[
                    ListenerRuleActionForwardTargetGroupArgs(
                        target_group_identifier=self._target_group_ids[entry.target_group],
                        weight=entry.weight,
                    )
                    for entry in action.target_groups
                ]
            )
        )


def _rule_match(match: HttpMatchSpec) -> ListenerRuleMatchArgs:
    path = match.path
    return ListenerRuleMatchArgs(
        http_match=ListenerRuleMatchHttpMatchArgs(
            method=match.method,
            path_match=None
            if path is None
            else ListenerRuleMatchHttpMatchPathMatchArgs(
                case_sensitive=path.case_sensitive,
                match=ListenerRuleMatchHttpMatchPathMatchMatchArgs(
                    exact=path.value if path.kind == "exact" else None,
                    prefix=path.value if path.kind == "prefix" else None,
                ),
            ),
            header_matches=[
                ListenerRuleMatchHttpMatchHeaderMatchArgs(
                    name=header.name,
                    case_sensitive=header.case_sensitive,
                    match=ListenerRuleMatchHttpMatchHeaderMatchMatchArgs(exact=header.value),
                )
                for header in match.headers
            ]
            or None,
        )
    )


def declare_dns_endpoint(route_key: str, spec: DnsEndpointSpec, target: pulumi.Output[Optional[str]],
                         opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """An ExternalDNS DNSEndpoint: CNAME from the custom domain to the service's DNS name
    (the AWS controller's TTL of 300 s)."""
    from pulumi_kubernetes.apiextensions import CustomResource  # only stacks that publish DNS load it

    return CustomResource(
        _names.dns_endpoint(route_key),
        api_version="externaldns.k8s.io/v1alpha1",
        kind="DNSEndpoint",
        metadata={"name": spec.name, "namespace": spec.namespace,
                  "labels": {"app.kubernetes.io/managed-by": "lattice-gateway"}},
        spec={"endpoints": [{"dnsName": spec.hostname, "recordType": "CNAME", "recordTTL": spec.ttl,
                             "targets": target.apply(lambda name: [name] if name else [])}]},
        opts=opts,
    )


def _first_domain_name(entries: Optional[Sequence[object]]) -> Optional[str]:
    if not entries:
        return None
    return getattr(entries[0], "domain_name", None)


def _check_references(spec: RouteSpec, service_network_ids: Mapping[str, object],
                      external_target_group_ids: Mapping[str, object]) -> None:
    """Fail before declaring anything if the spec names a gateway or target group it
    cannot resolve; a KeyError halfway through the children would explain nothing."""
    problems = [
        f"association with gateway {association.gateway!r}: no service network is known "
        f"for that gateway (known: {sorted(service_network_ids)}); a route can only "
        "attach to Gateways of its own GatewayClass"
        for association in spec.associations
        if association.gateway not in service_network_ids
    ]
    target_group_keys = {group.key for group in spec.target_groups} | set(external_target_group_ids)
    for listener in spec.listeners:
        actions = [(f"listener {listener.key!r} default action", listener.default_action)]
        actions += [
            (f"listener {listener.key!r} rule {rule.key!r}", rule.action) for rule in listener.rules
        ]
        for where, action in actions:
            if isinstance(action, FixedResponseAction):
                continue
            problems += [
                f"{where} forwards to target group {entry.target_group!r}, which is not "
                f"in the route's target_groups (known: {sorted(target_group_keys)}); add "
                "a TargetGroupSpec with that key or fix the reference"
                for entry in action.target_groups
                if entry.target_group not in target_group_keys
            ]
    if problems:
        raise ValueError(f"route {spec.key}: " + "; ".join(problems))
