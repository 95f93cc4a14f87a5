"""The translator: one snapshot per cluster of Kubernetes objects to the Lattice model, purely.

No Pulumi, no I/O, and the same output for the same input (objects are visited in
sorted order, names are derived from identities).  All Gateway API semantics live here
and in the modules it calls: ``gateways`` (the network side), ``attachment`` (parentRefs
and listeners), ``route_kinds`` and ``rules`` (matches and precedence), ``backends``
(Services, ReferenceGrants, targets), ``multicluster`` (exports and imports),
``policies``, ``annotations``, ``weights``, ``priorities`` and ``naming``.  This module
translates routes and settles what only the whole stack can tell (conflicts between
clusters, physical names and custom domains taken twice, quotas per network).

An object that cannot be honoured is left out of the model whole, with its conditions
and problems saying why; it never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import gcd
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from components.specs import (
    FixedResponseAction,
    ForwardAction,
    GatewayClassSpec,
    GatewaySpec,
    LatticeModel,
    ListenerSpec,
    RouteSpec,
    RuleSpec,
    ServiceNetworkAssociationSpec,
    DnsEndpointSpec,
    ServiceExportSpec,
    ServiceSpec,
    Target,
    TargetGroupSpec,
    WeightedTargetGroup,
)

from lattice_program.sources import gateway_api as k8s
from lattice_program.translate import annotations, naming, priorities, rules
from lattice_program.translate.attachment import (HTTPS, Attachment, RouteIdentity, attach, lattice_protocol,
                                                  only_listener_sets, refuse_kind)
from lattice_program.translate.backends import (BackendContext, Resolved, Unresolved, granted, merge_duplicates, resolve,
                                                unresolved_share)
from lattice_program.translate.gateways import GatewayTranslation, GatewayDraft
from lattice_program.translate.lattice_backends import is_lattice_backend, resolve_lattice_backend
from lattice_program.translate.multicluster import IMPORT_GROUPS, ExportedGroup, export_groups, resolve_import
from lattice_program.vocabulary.outputs import Previous
from lattice_program.translate.policies import PolicyContract, PolicyIndex
from lattice_program.translate.route_kinds import GRPC_ROUTE, HTTP_ROUTE, TLS_ROUTE, RouteKind, rule_matches, unsupported_fields
from lattice_program.vocabulary.settings import ClusterSettings, StackSettings
from lattice_program.sources.snapshot import Snapshot
from lattice_program.vocabulary.status import Condition, ObjectRef, Problem, StatusBook
from lattice_program.translate.weights import to_lattice_weights

CERTIFICATE_ARN_OPTION = "application-networking.k8s.aws/certificate-arn"
INVALID_BACKEND_STATUS = 500  # what the spec asks for when no backend of a rule is valid
DEFAULT_ACTION_STATUS = 404  # requests that match no rule
# The nominal port of the empty target group that fails unresolved backends' share; no
# target ever listens on it.
UNRESOLVED_SHARE_PORT = 80



@dataclass(frozen=True)
class Translation:
    model: LatticeModel
    book: StatusBook


def translate(snapshots: Snapshot | Mapping[str, Snapshot], settings: StackSettings, *,
              contract: PolicyContract, previous: Optional[Previous] = None) -> Translation:
    """``snapshots``: one per cluster of the stack, by cluster name (a single snapshot
    stands for the stack's only cluster).  ``contract``: the API model's answers for the
    policy checks (``lattice_program.contract.probes.API_PROBES``).  ``previous``: what
    the last applied run decided (from its stack outputs)."""
    clusters = settings.cluster_list()
    if isinstance(snapshots, Snapshot):
        snapshots = {clusters[0].name: snapshots}
    pairs = [(cluster, snapshots[cluster.name]) for cluster in clusters if cluster.name in snapshots]
    return _Translator(pairs, settings, contract, previous or Previous()).run()


@dataclass
class _RouteOutcome:
    ref: ObjectRef
    spec: RouteSpec
    gateway_class: str
    targets: Dict[str, Tuple[Target, ...]] = field(default_factory=dict)
    attached: Tuple[Tuple[ObjectRef, Tuple[str, ...]], ...] = ()  # Gateway and the names of its listeners


class _Translator(GatewayTranslation):
    def __init__(self, clusters: Sequence[Tuple[ClusterSettings, Snapshot]], settings: StackSettings,
                 contract: PolicyContract, previous: Previous) -> None:
        self.clusters = clusters
        self.settings = settings
        self.contract = contract
        self.previous = previous
        self.book = StatusBook()
        # The cluster being translated, its objects and its policies.
        self.cluster: ClusterSettings = clusters[0][0] if clusters else settings.cluster_list()[0]
        self.snapshot: Snapshot = clusters[0][1] if clusters else Snapshot()
        self.policy_indexes: Dict[str, PolicyIndex] = {}
        self.policies: PolicyIndex = PolicyIndex()
        self.exported: List[ExportedGroup] = []
        self.networks: Dict[str, GatewaySpec] = {}  # networks with a lifetime of their own, by name
        self.external_groups: Dict[str, str] = {}  # target groups outside the stack: key -> ARN

    def _in_cluster(self, cluster: ClusterSettings, snapshot: Snapshot) -> None:
        self.cluster, self.snapshot = cluster, snapshot

    def run(self) -> Translation:
        drafts: Dict[str, GatewayDraft] = {}
        accepted: Dict[str, Dict[Tuple[str, str], bool]] = {}
        classes: set = set()
        network_owner: Dict[str, ObjectRef] = {}
        vpc_owner: Dict[str, str] = {}
        self.networks = self._service_networks(vpc_owner)
        for cluster, snapshot in self.clusters:
            self._in_cluster(cluster, snapshot)
            self.policy_indexes[cluster.name] = PolicyIndex.build(
                snapshot, self.book, contract=self.contract, cluster=cluster.name, tags=self.settings.tags,
                service_exports=frozenset(snapshot.service_exports))
            self.policies = self.policy_indexes[cluster.name]
            ours = self._gateway_classes()
            classes.update(ours)
            accepted[cluster.name] = self._gateways(ours, drafts, network_owner, vpc_owner)
            self.exported.extend(export_groups(cluster, snapshot, self.book, dict(self.settings.tags),
                                               self.policies.export_target_group))
        gateways = [(draft.spec, draft.class_name) for draft in drafts.values()]
        routes: List[_RouteOutcome] = []
        for cluster, snapshot in self.clusters:
            self._in_cluster(cluster, snapshot)
            self.policies = self.policy_indexes[cluster.name]
            routes.extend(outcome for kind, objects in self._routes_by_kind() for key in sorted(objects)
                          if (outcome := self._route(kind, objects[key], accepted[cluster.name], gateways)) is not None)
            self._unserved_kinds(accepted[cluster.name])
            self._backend_tls_policies()
        routes = self._within_network_quota(self._unique_domains(self._drop_conflicts(routes)))
        for outcome in routes:
            for gateway, listener_names in outcome.attached:
                listeners = self.book.status(gateway).listeners
                for name in listener_names:
                    listeners[name].attached_routes += 1
        targets: Dict[str, Tuple[Target, ...]] = {g.target_group.key: g.targets for g in self.exported}
        for outcome in routes:
            targets.update(outcome.targets)
        exports: Dict[str, List[TargetGroupSpec]] = {}
        for group in self.exported:
            exports.setdefault(f"ServiceExport/{group.namespace}/{group.name}/{group.cluster}", []).append(group.target_group)
        class_specs = tuple(
            GatewayClassSpec(
                key=f"GatewayClass/{name}",
                controller_name=self.settings.controller_name,
                gateways=tuple(spec for spec, class_name in gateways if class_name == name),
                routes=tuple(o.spec for o in routes if o.gateway_class == name),
            )
            for name in sorted(classes)
        )
        export_specs = tuple(ServiceExportSpec(key, tuple(groups)) for key, groups in sorted(exports.items()))
        contexts = {cluster.name: cluster.context for cluster, _ in self.clusters
                    if any(o.spec.dns_endpoint and o.spec.dns_endpoint.cluster == cluster.name for o in routes)}
        return Translation(LatticeModel(class_specs, targets, export_specs, tuple(self.networks.values()),
                                        dict(self.external_groups), contexts), self.book)

    def _routes_by_kind(self):
        return ((HTTP_ROUTE, self.snapshot.http_routes), (GRPC_ROUTE, self.snapshot.grpc_routes),
                (TLS_ROUTE, self.snapshot.tls_routes))

    def _unserved_kinds(self, accepted: Mapping[Tuple[str, str], bool]) -> None:
        """TCPRoutes and UDPRoutes on our Gateways are told VPC Lattice has no such listener."""
        for (kind, namespace, name), route in sorted(self.snapshot.unserved_routes.items()):
            ref = ObjectRef(kind, namespace, name, route.api_version, self.cluster.name)
            identity = RouteIdentity(ref, kind, namespace, route.spec.parent_refs, (), ())
            message = (f"VPC Lattice services have no {kind.removesuffix('Route')} listeners (only HTTP, HTTPS and TLS "
                       f"passthrough): lattice-gateway does not serve {kind}s")
            if refuse_kind(identity, ours=accepted, book=self.book, message=message):
                self.book.problem(Problem(ref, "kind", message, "warning", self._origin(ref)))

    def _backend_tls_policies(self) -> None:
        for namespace, policies in sorted(self.snapshot.backend_tls_policies.items()):
            for policy in policies:
                ref = ObjectRef("BackendTLSPolicy", namespace, policy.metadata.name, policy.api_version,
                                self.cluster.name)
                self.book.problem(Problem(ref, "spec.validation", "VPC Lattice cannot verify a backend's certificate: "
                                          "routes that reach its targets are refused those backends (their requests "
                                          "fail) rather than sending them without TLS", "warning", self._origin(ref)))

    def _dns_endpoint(self, ref: ObjectRef, service: ServiceSpec) -> Optional[DnsEndpointSpec]:
        """With external DNS on, a custom domain gets a DNSEndpoint named like the AWS
        controller's (``<route>-dns``; other kinds than HTTPRoute add theirs)."""
        if not self.settings.external_dns or service.custom_domain_name is None:
            return None
        suffix = "dns" if ref.kind == "HTTPRoute" else f"{ref.kind.removesuffix('Route').lower()}-dns"
        return DnsEndpointSpec(cluster=self.cluster.name, namespace=ref.namespace or "",
                               name=naming.kubernetes_name(f"{ref.name}-{suffix}"), hostname=service.custom_domain_name)

    # --- routes ------------------------------------------------------------------------

    def _route(self, kind: RouteKind, route: Any, accepted: Mapping[Tuple[str, str], bool],
               gateways: Sequence[Tuple[GatewaySpec, str]]) -> Optional[_RouteOutcome]:
        meta = route.metadata
        ref = ObjectRef(kind.name, meta.namespace, meta.name, route.api_version, self.cluster.name)
        if meta.deleting:
            self.book.problem(Problem(ref, "metadata.deletionTimestamp", "being deleted: its Lattice service is "
                                      "removed at the next apply", "warning", self._origin(ref)))
            return None
        identity = RouteIdentity(ref, kind.name, meta.namespace or "", route.spec.parent_refs, route.spec.hostnames,
                                 kind.protocols)
        attachments = attach(identity, gateways=self.snapshot.gateways, ours=accepted,
                             namespace_labels=self.snapshot.namespace_labels, book=self.book)
        if not attachments:
            if only_listener_sets(route.spec.parent_refs):
                self.book.problem(Problem(ref, "spec.parentRefs", "every parent is a ListenerSet, which lattice-gateway "
                                          "does not serve; attach the route to the Gateway itself", "warning",
                                          self._origin(ref)))
            return None
        notes = annotations.read(meta.annotations)
        for field_path, message, severity in notes.notes:
            if severity == "warning":
                self.book.problem(Problem(ref, field_path, message, "warning", self._origin(ref)))
        errors = notes.errors + unsupported_fields(kind, route)
        items, match_errors = self._match_items(ref, kind, route)
        errors.extend(match_errors)
        pinned, pin_errors = _pinned_priorities(items, notes.rule_priorities)
        errors.extend(pin_errors)
        tags = {**self.settings.tags, **notes.tags}
        ctx = BackendContext(ref.key, kind.name, meta.namespace or "", self.cluster.vpc_id,
                             self.cluster.name, tags, kind.target_protocol,
                             kind.target_protocol_version, kind.health_check, self.policies.target_group)
        actions, target_groups, targets, backend_errors, unresolved = self._backends(ref, kind, route, ctx)
        errors.extend(backend_errors)
        listeners_wanted, listener_errors = self._listener_protocols(attachments)
        errors.extend(listener_errors)
        domain = self._custom_domain(ref, route, attachments)
        if not kind.has_rules:
            errors.extend(self._passthrough_errors(domain))
        if not errors:
            errors.extend(self._quota_errors(listeners_wanted, items))
        if errors:
            self._reject(ref, errors)
            return None
        self._resolved_refs(ref, unresolved)
        service = self._service(ref, attachments, listeners_wanted, domain, notes.service_name, tags)
        listeners = tuple(self._listener(ref, kind, protocol, port, items, actions, pinned, tags)
                          for protocol, port in listeners_wanted)
        gateway_class = next(class_name for spec, class_name in gateways if spec.key == attachments[0].gateway_key)
        joined = [key for key, gateway in dict((a.gateway_key, a.gateway) for a in attachments).items()
                  if not _standalone(notes, gateway)]
        default = self.settings.default_service_network
        if joined and default is not None and default.override and default.name in self.networks:
            joined = [self.networks[default.name].key]  # the AWS controller's ENABLE_SERVICE_NETWORK_OVERRIDE
        associations = tuple(ServiceNetworkAssociationSpec(gateway=key, tags=dict(service.tags)) for key in joined)
        auth_type, auth_policy = self._auth(ref, kind.name)
        service = replace(service, auth_type=auth_type, auth_policy=auth_policy)
        spec = RouteSpec(key=ref.key, kind=kind.name, service=service, associations=associations,
                         listeners=listeners, target_groups=tuple(target_groups[k] for k in sorted(target_groups)),
                         access_logs=self.policies.access_logs(kind.name, meta.namespace or "", meta.name),
                         dns_endpoint=self._dns_endpoint(ref, service))
        attached = tuple((ObjectRef("Gateway", a.gateway.metadata.namespace, a.gateway.metadata.name,
                                    cluster=self.cluster.name), tuple(l.name for l in a.listeners)) for a in attachments)
        return _RouteOutcome(ref, spec, gateway_class, targets, attached)

    def _match_items(self, ref: ObjectRef, kind: RouteKind, route: Any):
        items: List[rules.MatchItem] = []
        errors: List[Tuple[str, str]] = []
        if not kind.has_rules:
            return items, errors
        where_of: Dict[Tuple[int, int], str] = {}
        for rule_index, rule in enumerate(route.spec.rules):
            matches = rule_matches(kind, rule)
            converted_matches: List[Tuple[int, rules.Converted]] = []
            for match_index, match in enumerate(matches):
                where = where_of[(rule_index, match_index)] = f"spec.rules[{rule_index}].matches[{match_index}]"
                converted, match_errors, warnings = kind.convert_match(match, where)
                errors.extend((e.field, e.message) for e in match_errors)
                for warning in warnings:
                    self.book.problem(Problem(ref, warning.field, warning.message, "warning", self._origin(ref)))
                converted_matches.extend((match_index, c) for c in converted)
            if not matches and kind.catch_all is not None:
                where_of[(rule_index, 0)] = f"spec.rules[{rule_index}]"
                converted_matches.append((0, rules.Converted(kind.catch_all)))
            single = len({match_index for match_index, _ in converted_matches}) == 1
            for match_index, converted in converted_matches:
                key = rules.match_key(converted.match)
                if rule.name and single:
                    # A named rule keeps its name; the exact half of its element-wise prefix is beside it.
                    exact_half = converted.path_prefix not in (None, "/") and converted.match.path.kind == "exact"
                    key = f"{rule.name}.exact" if exact_half else rule.name
                elif rule.name:
                    key = f"{rule.name}.{key}"
                items.append(rules.MatchItem(rule_index, match_index, key, converted.match, converted.path_prefix))
        kept, shadowed = rules.without_shadowed(items)
        for item, winner in shadowed:
            where, first = where_of[(item.rule_index, item.match_index)], where_of[(winner.rule_index, winner.match_index)]
            what = (f"its {_path_text(item.match)} half (of PathPrefix {item.path_prefix!r})" if item.path_prefix
                    else "it")
            self.book.problem(Problem(ref, where, f"same match as {first}, which takes precedence: {what} is never "
                                      "reached and is left out", "warning", self._origin(ref)))
        return kept, errors

    def _backends(self, ref: ObjectRef, kind: RouteKind, route: Any, ctx: BackendContext):
        actions: Dict[int, ForwardAction | FixedResponseAction] = {}
        target_groups: Dict[str, TargetGroupSpec] = {}
        targets: Dict[str, Tuple[Target, ...]] = {}
        errors: List[Tuple[str, str]] = []
        unresolved: List[Unresolved] = []
        resolved_before: Dict[Tuple[Any, ...], Any] = {}  # rules of a route often share backends
        for rule_index, rule in enumerate(route.spec.rules):
            entries: List[Tuple[Resolved, Fraction]] = []
            failing = 0  # the weight of the rule's backendRefs that did not resolve
            for backend_index, backend in enumerate(rule.backend_refs):
                where = f"spec.rules[{rule_index}].backendRefs[{backend_index}]"
                same = (backend.group, backend.kind, backend.namespace, backend.name, backend.port, bool(backend.filters))
                outcome = resolved_before.get(same)
                if outcome is None:
                    outcome = self._resolve(backend, where, kind, ctx)
                    for resolved, _ in () if isinstance(outcome, Unresolved) else outcome:
                        for note in resolved.notes:
                            self.book.problem(Problem(ref, where, note, "warning", self._origin(ref)))
                if not isinstance(outcome, Unresolved):
                    resolved_before[same] = outcome  # an Unresolved names its own field: not shared
                if isinstance(outcome, Unresolved):
                    if outcome.rejects_route:
                        errors.append((outcome.field, outcome.message))
                    else:
                        unresolved.append(outcome)
                        failing += backend.weight
                    continue
                entries.extend((resolved, backend.weight * share) for resolved, share in outcome)
            if not any(share for _, share in entries):
                if kind.has_rules:
                    actions[rule_index] = FixedResponseAction(INVALID_BACKEND_STATUS)
                    continue
                # A TLS passthrough listener can only forward: to the group without targets, so
                # connections are refused, as the spec asks when no backend is valid.
                entries, failing = [(unresolved_share(ctx, UNRESOLVED_SHARE_PORT), Fraction(1))], 0
            if failing:
                entries.append((unresolved_share(ctx, UNRESOLVED_SHARE_PORT), Fraction(failing)))
                total = sum(b.weight for b in rule.backend_refs)
                self.book.problem(Problem(ref, f"spec.rules[{rule_index}].backendRefs",
                                          f"backends of weight {failing} of {total} did not resolve: their share of "
                                          "requests goes to a target group without targets and fails, as the spec "
                                          "asks, instead of moving to the others", "warning", self._origin(ref)))
            live = merge_duplicates(_whole_weights(entries))
            converted = to_lattice_weights([weight for _, weight in live])
            if converted.error:
                errors.append((f"spec.rules[{rule_index}].backendRefs", converted.error))
                continue
            if converted.scaled:
                self.book.problem(Problem(ref, f"spec.rules[{rule_index}].backendRefs",
                                          f"weights {[w for _, w in live]} scaled to {list(converted.weights)} to fit "
                                          "VPC Lattice's 0..999", "warning", self._origin(ref)))
            forward = []
            for (resolved, _), weight in zip(live, converted.weights):
                if resolved.owned:
                    target_groups[resolved.key] = resolved.target_group
                    if resolved.target_group.declared_targets is None:  # declared ones are Pulumi's, never synced
                        targets[resolved.key] = resolved.targets
                if resolved.external_arn:
                    self.external_groups[resolved.key] = resolved.external_arn
                forward.append(WeightedTargetGroup(resolved.key, weight))
            actions[rule_index] = ForwardAction(tuple(forward))
        return actions, target_groups, targets, errors, unresolved

    def _resolve(self, backend: k8s.BackendRef, where: str, kind: RouteKind, ctx: BackendContext):
        """[(resolved, share of the backendRef's weight)], or why not."""
        if backend.kind == "ServiceImport" and backend.group in IMPORT_GROUPS:
            namespace = backend.namespace or ctx.route_namespace
            if namespace != ctx.route_namespace and not granted(self.snapshot, ctx, namespace, backend.group,
                                                                "ServiceImport", backend.name):
                return Unresolved("RefNotPermitted", where, f"ServiceImport {namespace}/{backend.name} is in another "
                                  f"namespace and no ReferenceGrant in {namespace!r} allows {ctx.route_kind} from "
                                  f"{ctx.route_namespace!r}; add one")
            if backend.filters:
                return Unresolved("UnsupportedValue", f"{where}.filters",
                                  "VPC Lattice has no per-backend filters; remove them", True)
            return resolve_import(field=where, name=backend.name, namespace=namespace, port=backend.port, kind=kind,
                                  snapshot=self.snapshot, exports=self.exported)
        if is_lattice_backend(backend):
            outcome = resolve_lattice_backend(backend, where, ctx, self.snapshot)
        else:
            outcome = resolve(backend, where, ctx, self.snapshot)
        return outcome if isinstance(outcome, Unresolved) else [(outcome, Fraction(1))]

    def _listener_protocols(self, attachments: Sequence[Attachment]):
        wanted: Dict[int, str] = {}
        errors: List[Tuple[str, str]] = []
        for attachment in attachments:
            for listener in attachment.listeners:
                protocol = lattice_protocol(listener) or ""
                if wanted.setdefault(listener.port, protocol) != protocol:
                    errors.append(("spec.parentRefs", f"port {listener.port} is {wanted[listener.port]} on one parent and "
                                   f"{protocol} on another; a Lattice service has one listener per port"))
        return sorted((protocol, port) for port, protocol in wanted.items()), errors

    def _quota_errors(self, listeners: Sequence[Tuple[str, int]], items: Sequence[rules.MatchItem]):
        errors: List[Tuple[str, str]] = []
        if len(listeners) > self.settings.listeners_per_service:
            errors.append(("spec.parentRefs", f"the route attaches to {len(listeners)} listeners "
                           f"({', '.join(f'{p}:{n}' for p, n in listeners)}); a Lattice service has at most "
                           f"{self.settings.listeners_per_service} (quota; raise it in Service Quotas and set "
                           "lattice-gateway:listenersPerService), or narrow parentRefs with sectionName"))
        if len(items) > self.settings.rules_per_listener:
            halves = sum(1 for item in items if item.path_prefix not in (None, "/"))
            why = (f"one per match, and {halves} of them are the two halves of element-wise PathPrefix matches"
                   if halves else "one per match")
            errors.append(("spec.rules", f"{len(items)} Lattice rules needed ({why}); a listener holds at most "
                           f"{self.settings.rules_per_listener} (quota; raise it in Service Quotas and set "
                           "lattice-gateway:rulesPerListener), or merge matches"))
        return errors

    def _passthrough_errors(self, domain: Optional[str]) -> List[Tuple[str, str]]:
        """TLS passthrough: the listener forwards by SNI, so it needs a domain."""
        errors: List[Tuple[str, str]] = []
        if domain is None:
            errors.append(("spec.hostnames", "TLS passthrough needs a hostname without a wildcard: VPC Lattice routes "
                           "by SNI on the service's custom domain"))
        return errors

    def _custom_domain(self, ref: ObjectRef, route: Any, attachments: Sequence[Attachment]) -> Optional[str]:
        hostnames = [h for a in attachments for h in a.hostnames] or list(route.spec.hostnames)
        precise = list(dict.fromkeys(h for h in hostnames if not h.startswith("*.")))
        domain = precise[0] if precise else None
        if len(precise) > 1:
            self.book.problem(Problem(ref, "spec.hostnames", f"a Lattice service has one custom domain; {domain!r} is used "
                                      f"and {precise[1:]} are not served", "warning", self._origin(ref)))
        wildcards = list(dict.fromkeys(h for h in hostnames if h.startswith("*.")))
        if wildcards and (domain or ref.kind != "TLSRoute"):  # TLS passthrough without a domain is refused already
            served = f"{domain!r} is served" if domain else "the service answers on its generated DNS name only"
            self.book.problem(Problem(ref, "spec.hostnames", f"wildcard hostname(s) {wildcards} cannot be a VPC Lattice "
                                      f"custom domain (custom domains are exact names) and are not served; {served}",
                                      "warning", self._origin(ref)))
        if ref.key in self.previous.custom_domains and self.previous.custom_domains[ref.key] != domain:
            before = self.previous.custom_domains[ref.key]
            self.book.problem(Problem(ref, "spec.hostnames", f"custom domain changes from {before!r} to {domain!r}: "
                                      "VPC Lattice cannot change it in place, so the Lattice service is replaced "
                                      "(new service ID and DNS name; clients of the old DNS name must move)",
                                      "warning", self._origin(ref)))
        return domain

    def _service(self, ref: ObjectRef, attachments: Sequence[Attachment], listeners: Sequence[Tuple[str, int]],
                 domain: Optional[str], name_override: Optional[str], tags: Mapping[str, str]) -> ServiceSpec:
        certificate = None
        if any(protocol == HTTPS for protocol, _ in listeners):
            arns = [l.tls.options[CERTIFICATE_ARN_OPTION] for a in attachments for l in a.listeners
                    if l.tls is not None and CERTIFICATE_ARN_OPTION in l.tls.options]
            certificate = arns[0] if arns else None
            if domain and certificate is None:
                self.book.problem(Problem(ref, "spec.hostnames", f"HTTPS on custom domain {domain!r}: no "
                                          f"tls.options[{CERTIFICATE_ARN_OPTION!r}] on the listener, so an ISSUED ACM "
                                          "certificate for it is looked up when the stack is applied",
                                          "warning", self._origin(ref)))
        name = name_override or naming.service_name(ref.kind, ref.namespace or "", ref.name, domain)
        return ServiceSpec(name=name, custom_domain_name=domain, certificate_arn=certificate,
                           tags={**tags, "lattice-gateway/route": naming.tag_value(ref.key)})

    def _listener(self, ref: ObjectRef, kind: RouteKind, protocol: str, port: int, items: Sequence[rules.MatchItem],
                  actions: Mapping[int, ForwardAction | FixedResponseAction], pinned: Mapping[str, int],
                  tags: Mapping[str, str]) -> ListenerSpec:
        key = f"{protocol.lower().replace('_', '-')}-{port}"
        name = naming.listener_name(protocol, port)
        if not kind.has_rules:  # TLS passthrough: one rule, expressed as the default action
            return ListenerSpec(key=key, name=name, port=port, protocol=protocol, default_action=actions[0],
                                tags=dict(tags))
        allocation = priorities.allocate([item.key for item in items], self.previous.priorities.get(f"{ref.key}/{key}"),
                                         pinned)
        if allocation.warning:
            self.book.problem(Problem(ref, "spec.rules", f"listener {key}: {allocation.warning}", "warning"))
        rule_specs = tuple(
            RuleSpec(key=item.key, name=naming.rule_name(item.key), priority=allocation.priorities[item.key],
                     match=item.match, action=actions[item.rule_index], tags=dict(tags))
            for item in items
        )
        return ListenerSpec(key=key, name=name, port=port, protocol=protocol,
                            default_action=FixedResponseAction(DEFAULT_ACTION_STATUS), rules=rule_specs,
                            tags=dict(tags))

    # --- status helpers ----------------------------------------------------------------

    def _reject(self, ref: ObjectRef, errors: Sequence[Tuple[str, str]], reason: str = "UnsupportedValue") -> None:
        for field_path, message in errors:
            self.book.problem(Problem(ref, field_path, message, origin=self._origin(ref)))
        summary = "; ".join(f"{f}: {m}" for f, m in errors)
        self.book.on_accepted_parents(ref, Condition("Accepted", "False", reason, summary))

    def _resolved_refs(self, ref: ObjectRef, unresolved: Sequence[Unresolved]) -> None:
        if unresolved:
            condition = Condition("ResolvedRefs", "False", unresolved[0].reason,
                                  "; ".join(f"{u.field}: {u.message}" for u in unresolved))
            for item in unresolved:
                self.book.problem(Problem(ref, item.field, item.message, origin=self._origin(ref)))
        else:
            condition = Condition("ResolvedRefs", "True", "ResolvedRefs", "all backend references resolved")
        self.book.on_accepted_parents(ref, condition)

    def _drop_conflicts(self, routes: List[_RouteOutcome]) -> List[_RouteOutcome]:
        """One route per identity across clusters (the earlier cluster wins), and no two
        routes sharing a physical name."""
        owner: Dict[str, str] = {}
        by_key: Dict[str, ObjectRef] = {}
        kept: List[_RouteOutcome] = []
        for outcome in routes:
            if outcome.spec.key in by_key:
                self._reject(outcome.ref, [("metadata.name", f"the same route is also in cluster "
                                            f"{by_key[outcome.spec.key].cluster}, which comes first in the stack's "
                                            "clusters; one Lattice service serves one route (use a ServiceImport to "
                                            "reach backends in several clusters)")], reason="Conflicted")
                continue
            names = [("service", outcome.spec.service.name)] + [("target group", tg.name) for tg in outcome.spec.target_groups]
            clash = next(((what, name) for what, name in names if name in owner), None)
            if clash:
                self._reject(outcome.ref, [("metadata.name", f"{clash[0]} name {clash[1]!r} is already used by "
                                            f"{owner[clash[1]]}; rename one of the two routes")])
                continue
            for _, name in names:
                owner[name] = outcome.spec.key
            by_key[outcome.spec.key] = outcome.ref
            kept.append(outcome)
        return kept

    def _unique_domains(self, routes: List[_RouteOutcome]) -> List[_RouteOutcome]:
        """VPC Lattice refuses two services with one custom domain in a service network:
        the route seen first keeps it, a later one is refused before apply."""
        owners: Dict[Tuple[str, str], str] = {}
        kept: List[_RouteOutcome] = []
        for outcome in routes:
            domain = outcome.spec.service.custom_domain_name
            taken = [(network, owners[(network, domain)]) for network in (a.gateway for a in outcome.spec.associations)
                     if domain and (network, domain) in owners]
            if taken:
                network, owner = taken[0]
                self._reject(outcome.ref, [("spec.hostnames", f"custom domain {domain!r} is already served by {owner} "
                                            f"in the service network of {network}; a service network takes each "
                                            "custom domain once")])
                continue
            for association in outcome.spec.associations:
                if domain:
                    owners[(association.gateway, domain)] = outcome.spec.key
            kept.append(outcome)
        return kept

    def _within_network_quota(self, routes: List[_RouteOutcome]) -> List[_RouteOutcome]:
        """A service network takes a limited number of service associations; routes past
        the quota are refused whole rather than half-associated."""
        limit = self.settings.services_per_service_network
        counts: Dict[str, int] = {}
        kept: List[_RouteOutcome] = []
        for outcome in routes:
            full = [a.gateway for a in outcome.spec.associations if counts.get(a.gateway, 0) >= limit]
            if full:
                self._reject(outcome.ref, [("spec.parentRefs", f"the service network of {full[0]} already has {limit} "
                                            "services (quota; raise it in Service Quotas and set "
                                            "lattice-gateway:servicesPerServiceNetwork)")])
                continue
            for association in outcome.spec.associations:
                counts[association.gateway] = counts.get(association.gateway, 0) + 1
            kept.append(outcome)
        return kept

    def _origin(self, ref: ObjectRef) -> str:
        return self.snapshot.origins.get(ref, "")


def _pinned_priorities(items: Sequence[rules.MatchItem], wanted: Mapping[int, int]) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """Priorities fixed by ``rule-<i>-priority`` annotations: the matches of rule i take
    consecutive values from the one given."""
    pinned: Dict[str, int] = {}
    owner: Dict[int, int] = {}
    errors: List[Tuple[str, str]] = []
    for item in sorted(items, key=lambda i: (i.rule_index, i.match_index)):
        if item.rule_index not in wanted:
            continue
        value = wanted[item.rule_index] + sum(1 for key in pinned if key.startswith(f"{item.rule_index}:"))
        pinned[f"{item.rule_index}:{item.key}"] = value
        if value in owner and owner[value] != item.rule_index:
            errors.append((f"metadata.annotations[{annotations.PREFIX}rule-{item.rule_index}-priority]",
                           f"priority {value} is also taken by rule {owner[value]}; give each rule its own range"))
        elif value > priorities.MAX_PRIORITY:
            errors.append((f"metadata.annotations[{annotations.PREFIX}rule-{item.rule_index}-priority]",
                           f"rule {item.rule_index}'s matches run past priority {priorities.MAX_PRIORITY}"))
        owner[value] = item.rule_index
    return {key.split(":", 1)[1]: value for key, value in pinned.items()}, errors


def _path_text(match) -> str:
    return f"{match.path.kind} {match.path.value!r}" if match.path else "no-path"


def _standalone(notes: annotations.Annotations, gateway: k8s.Gateway) -> bool:
    """The route's ``standalone`` annotation wins over its Gateway's."""
    if notes.standalone is not None:
        return notes.standalone
    return annotations.read(gateway.metadata.annotations).standalone is True


def _whole_weights(entries: Sequence[Tuple[Resolved, Fraction]]) -> List[Tuple[Resolved, int]]:
    """Weights split among clusters are fractions; scale all of a rule's weights by the
    least common multiple of their denominators so every ratio is kept exactly."""
    scale = 1
    for _, weight in entries:
        scale = scale * weight.denominator // gcd(scale, weight.denominator)
    return [(resolved, int(weight * scale)) for resolved, weight in entries]
