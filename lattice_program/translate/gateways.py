"""Gateways and service networks: the network side of the translator.

A Gateway of our class is a service network (created, adopted, or declared on its own
by a ServiceNetwork object or the stack's default network) with one VPC association per
cluster VPC, an auth policy and access logs from its policies.  The same Gateway
(namespace and name) in several clusters is one network.  Mixed into the translator,
whose state it uses: ``settings``, ``book``, ``clusters``, the current ``cluster``,
``snapshot`` and ``policies``, ``networks``, ``_origin`` and ``_routes_by_kind``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from components.specs import GatewaySpec, ServiceNetworkSpec, VpcAssociationSpec

from lattice_program.translate import annotations
from lattice_program.sources import gateway_api as k8s
from lattice_program.translate import naming
from lattice_program.translate.naming import is_identifier
from lattice_program.translate.attachment import (DEFAULT_KINDS, client_validation, lattice_protocol,
                                                  requires_client_certificates)
from lattice_program.vocabulary.status import Condition, ListenerStatus, ObjectRef, Problem

SERVICE_NETWORK_NAME = re.compile(r"(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]{3,63}")
PENDING = Condition("Programmed", "Unknown", "Pending", "planned; programmed once the stack is applied")


@dataclass
class GatewayDraft:
    """A Gateway's service network, gathering one VPC association per cluster that has it."""

    spec: GatewaySpec
    class_name: str


class GatewayTranslation:
    def _service_networks(self, vpc_owner: Dict[str, str]) -> Dict[str, GatewaySpec]:
        """Networks with a lifetime of their own, by name: ServiceNetwork objects (from any
        cluster) and the stack's default network, which takes every cluster's VPC."""
        networks: Dict[str, GatewaySpec] = {}
        for cluster, snapshot in self.clusters:
            for name, declared in sorted(snapshot.service_networks.items()):
                ref = ObjectRef("ServiceNetwork", None, name, declared.api_version, cluster.name)
                if name in networks:
                    self._accept(ref)
                    continue
                spec = self._network_spec(ref, name, declared.metadata.annotations)
                if spec is not None:
                    networks[name] = spec
        default = self.settings.default_service_network
        if default is not None and default.name not in networks:
            ref = ObjectRef("ServiceNetwork", None, default.name, "", "")
            spec = self._network_spec(ref, default.name, {}, from_settings=True)
            if spec is not None:
                networks[default.name] = spec
        if default is not None and default.name in networks:
            spec = networks[default.name]
            vpcs = list(dict.fromkeys(cluster.vpc_id for cluster, _ in self.clusters))
            for vpc in vpcs:
                vpc_owner[vpc] = spec.key
            networks[default.name] = replace(spec, vpc_associations=tuple(
                VpcAssociationSpec(key=f"vpc/{vpc}", vpc_identifier=vpc, tags=dict(spec.service_network.tags))
                for vpc in vpcs))
        return networks

    def _network_spec(self, ref: ObjectRef, name: str, object_annotations: Mapping[str, str], *,
                      from_settings: bool = False) -> Optional[GatewaySpec]:
        existing = self._adopted(ref, name)
        where = "lattice-gateway:defaultServiceNetwork.name" if from_settings else "metadata.name"
        if existing is None and not SERVICE_NETWORK_NAME.fullmatch(name):
            message = (f"{name!r} is not a valid service network name (3-63 of [a-z0-9-], no '--', no edge '-')")
            if from_settings:
                self.book.problem(Problem(None, where, message, origin="settings"))
            else:
                self.book.condition(ref, Condition("Accepted", "False", "Invalid", message))
                self.book.problem(Problem(ref, where, message, origin=self._origin(ref)))
            return None
        notes = annotations.read(object_annotations)
        for field_path, message, severity in notes.notes:
            self.book.problem(Problem(ref, field_path, message, severity, self._origin(ref)))
        if not from_settings:
            self._accept(ref)
        tags = {**self.settings.tags, **notes.tags, "lattice-gateway/service-network": name}
        return GatewaySpec(key=f"ServiceNetwork/{name}",
                           service_network=ServiceNetworkSpec(name=name, tags=tags, existing=existing))

    def _gateway_classes(self) -> List[str]:
        ours = []
        for name, gateway_class in sorted(self.snapshot.gateway_classes.items()):
            if gateway_class.spec.controller_name != self.settings.controller_name:
                continue
            ref = ObjectRef("GatewayClass", None, name, gateway_class.api_version, self.cluster.name)
            self.book.condition(ref, Condition("Accepted", "True", "Accepted", "handled by lattice-gateway"))
            ours.append(name)
        return ours

    def _gateways(self, classes: Sequence[str], drafts: Dict[str, GatewayDraft],
                  network_owner: Dict[str, ObjectRef], vpc_owner: Dict[str, str]) -> Dict[Tuple[str, str], bool]:
        """This cluster's Gateways of our classes.  A Gateway of the same namespace and name
        in several clusters is one service network, associated with each cluster's VPC."""
        accepted: Dict[Tuple[str, str], bool] = {}
        ordered = sorted(self.snapshot.gateways.items(),
                         key=lambda item: (item[1].metadata.creation_timestamp or "", item[0]))
        for key, gateway in ordered:
            ref = ObjectRef("Gateway", key[0], key[1], gateway.api_version, self.cluster.name)
            class_name = gateway.spec.gateway_class_name
            if class_name not in self.snapshot.gateway_classes:
                self.book.problem(Problem(ref, "spec.gatewayClassName", f"GatewayClass {class_name!r} not found; the "
                                          "Gateway is ignored until it exists", "warning", self._origin(ref)))
                continue
            if class_name not in classes:
                continue
            if gateway.metadata.deleting and not self._deletion_held(ref):
                self.book.problem(Problem(ref, "metadata.deletionTimestamp", "being deleted: its service network is "
                                          "removed at the next apply", "warning", self._origin(ref)))
                continue
            draft = drafts.get(ref.key)
            if draft is None:
                spec = self._gateway(ref, gateway, network_owner)
                if spec is not None:
                    draft = drafts[ref.key] = GatewayDraft(spec, class_name)
            else:
                self._accept(ref)
            accepted[key] = draft is not None
            if draft is not None:
                self._associate_vpc(ref, draft, vpc_owner)
                self._listener_statuses(ref, gateway)
        return accepted

    def _gateway(self, ref: ObjectRef, gateway: k8s.Gateway, network_owner: Dict[str, ObjectRef]) -> Optional[GatewaySpec]:
        name = gateway.metadata.name
        existing = self._adopted(ref, name)
        provided = self.networks.get(name)
        reject = None
        if gateway.spec.addresses:
            reject = ("UnsupportedAddress", "spec.addresses", "VPC Lattice assigns addresses itself; remove spec.addresses")
        elif existing is None and provided is None and not SERVICE_NETWORK_NAME.fullmatch(naming.service_network_name(name)):
            reject = ("Invalid", "metadata.name", f"{name!r} is not a valid service network name (3-63 of [a-z0-9-], no "
                      f"'--', no edge '-'); rename the Gateway or adopt an existing network with "
                      f"lattice-gateway:serviceNetworks.{name}.existing")
        elif name in network_owner:
            reject = ("Invalid", "metadata.name", f"service network {name!r} already belongs to {network_owner[name]}; "
                      "Gateways in different namespaces map to one service network by name, so give this one another name")
        if reject:
            reason, field_path, message = reject
            self.book.condition(ref, Condition("Accepted", "False", reason, message))
            self.book.problem(Problem(ref, field_path, message, origin=self._origin(ref)))
            return None
        network_owner[name] = ref
        for field_path, value, why in (("spec.tls", _tls_beyond_validation(gateway),
                                        "VPC Lattice has no Gateway-wide TLS settings"),
                                       ("spec.infrastructure", gateway.spec.infrastructure,
                                        "VPC Lattice has no per-Gateway infrastructure to label or parameterise"),
                                       ("spec.allowedListeners", gateway.spec.allowed_listeners,
                                        "ListenerSets are not supported")):
            if value:
                self.book.problem(Problem(ref, field_path, f"{why}; the field is ignored", "warning", self._origin(ref)))
        for index, listener in enumerate(gateway.spec.listeners):
            mode = client_validation(gateway, listener)
            if requires_client_certificates(gateway, listener):
                self.book.problem(Problem(ref, "spec.tls.frontend", f"listener {listener.name!r} must accept only "
                                          f"clients with a valid certificate ({mode}), which VPC Lattice cannot check: "
                                          "the listener is not accepted and no route attaches to it, rather than "
                                          "serving without the check", origin=self._origin(ref)))
            elif mode is not None:
                self.book.problem(Problem(ref, "spec.tls.frontend", f"listener {listener.name!r}: {mode} lets clients "
                                          "in without a valid certificate, and VPC Lattice checks none at all",
                                          "warning", self._origin(ref)))
            if lattice_protocol(listener) is None:
                mode = f" with TLS mode {listener.tls.mode}" if listener.tls else ""
                self.book.problem(Problem(ref, f"spec.listeners[{index}].protocol",
                                          f"VPC Lattice has no {listener.protocol}{mode} listener (it has HTTP, HTTPS "
                                          "with TLS Terminate, TLS with Passthrough); no route attaches to listener "
                                          f"{listener.name!r}", "warning", self._origin(ref)))
        self._accept(ref)
        tags = {**self.settings.tags, "lattice-gateway/gateway": naming.tag_value(ref.key)}
        auth_type, auth_policy = self._auth(ref, "Gateway")
        return GatewaySpec(
            key=ref.key,
            service_network=ServiceNetworkSpec(name=naming.service_network_name(name), tags=tags,
                                               existing=None if provided else existing,
                                               provided_by=provided.key if provided else None,
                                               auth_type=auth_type, auth_policy=auth_policy),
            access_logs=self.policies.access_logs("Gateway", ref.namespace or "", name),
        )

    def _auth(self, ref: ObjectRef, kind: str) -> Tuple[str, Optional[str]]:
        """(authType, auth policy) of a network or service.  An IAMAuthPolicy that was meant
        for the object but is invalid fails closed: AWS_IAM with no policy denies every
        request, where the AWS controller would leave the object open."""
        policy = self.policies.auth_policy(kind, ref.namespace or "", ref.name)
        if policy:
            return "AWS_IAM", policy
        invalid = [p for p in self.policies.invalid_policies(kind, ref.namespace or "", ref.name)
                   if p.kind == "IAMAuthPolicy"]
        if invalid:
            self.book.problem(Problem(ref, "", f"{invalid[0]} is invalid, so access is denied to everyone (authType "
                                      "AWS_IAM without a policy) until it is fixed", "warning", self._origin(ref)))
            return "AWS_IAM", None
        return "NONE", None

    def _deletion_held(self, ref: ObjectRef) -> bool:
        """A Gateway being deleted keeps its network while routes of its cluster still name
        it (as the AWS controller's finalizer does): deleting it first would cut them off."""
        routes = [f"{kind.name} {ns}/{name}" for kind, objects in self._routes_by_kind()
                  for (ns, name), route in sorted(objects.items()) if not route.metadata.deleting
                  and any(p.kind == "Gateway" and p.name == ref.name and (p.namespace or ns) == ref.namespace
                          for p in route.spec.parent_refs)]
        if routes:
            self.book.problem(Problem(ref, "metadata.deletionTimestamp", f"deletion held: {', '.join(routes[:3])} still "
                                      "attach to it; remove them or their parentRefs first", "warning", self._origin(ref)))
        return bool(routes)

    def _adopted(self, ref: ObjectRef, name: str) -> Optional[str]:
        """The existing network the stack settings adopt for this name, if any."""
        adopt = self.settings.service_networks.get(name)
        existing = adopt.existing if adopt else None
        if existing and not is_identifier(existing):
            self.book.problem(Problem(ref, f"lattice-gateway:serviceNetworks.{name}.existing",
                                      f"adopts service network {existing!r} by name: looked up when the stack is "
                                      "applied", "warning", self._origin(ref)))
        return existing

    def _listener_statuses(self, ref: ObjectRef, gateway: k8s.Gateway) -> None:
        """Each listener's supported kinds and conditions; routes are counted later."""
        status = self.book.status(ref)
        for listener in gateway.spec.listeners:
            entry = status.listeners[listener.name] = ListenerStatus(listener.name)
            protocol = lattice_protocol(listener)
            if protocol is None:
                entry.conditions["Accepted"] = Condition("Accepted", "False", "UnsupportedProtocol",
                                                         "VPC Lattice has no listener of this protocol")
                continue
            if requires_client_certificates(gateway, listener):
                entry.conditions["Accepted"] = Condition("Accepted", "False", "UnsupportedValue",
                                                         "VPC Lattice cannot validate client certificates "
                                                         "(spec.tls.frontend)")
                entry.conditions["Programmed"] = Condition("Programmed", "False", "Invalid", "not accepted")
                continue
            servable = DEFAULT_KINDS[protocol]
            asked = ([k.kind for k in listener.allowed_routes.kinds if k.group == k8s.GATEWAY_GROUP]
                     if listener.allowed_routes.kinds is not None else list(servable))
            entry.supported_kinds = [kind for kind in asked if kind in servable]
            invalid = [kind for kind in asked if kind not in servable]
            entry.conditions["Accepted"] = Condition("Accepted", "True", "Accepted", "")
            entry.conditions["ResolvedRefs"] = (
                Condition("ResolvedRefs", "False", "InvalidRouteKinds",
                          f"VPC Lattice serves only {', '.join(servable)} on a {protocol} listener; not {', '.join(invalid)}")
                if invalid else Condition("ResolvedRefs", "True", "ResolvedRefs", ""))
            entry.conditions["Programmed"] = PENDING

    def _accept(self, ref: ObjectRef) -> None:
        self.book.condition(ref, Condition("Accepted", "True", "Accepted", "handled by lattice-gateway"))
        self.book.condition(ref, PENDING)

    def _associate_vpc(self, ref: ObjectRef, draft: GatewayDraft, vpc_owner: Dict[str, str]) -> None:
        """VPC Lattice associates a VPC with one service network: the oldest Gateway wins."""
        vpc = self.cluster.vpc_id
        owner = vpc_owner.setdefault(vpc, draft.spec.key)
        if owner != draft.spec.key:
            self.book.problem(Problem(ref, "", f"VPC {vpc} is already associated with the service network of {owner}; "
                                      "VPC Lattice associates a VPC with one service network only, so this network is "
                                      f"not reachable from cluster {self.cluster.name}'s VPC", "warning", self._origin(ref)))
            return
        if any(a.vpc_identifier == vpc for a in draft.spec.vpc_associations):
            return
        policy = self.policies.vpc_association(ref.namespace or "", ref.name)
        if policy is not None and not policy.associate:
            return  # VpcAssociationPolicy associateWithVpc: false
        association = VpcAssociationSpec(key=f"vpc/{vpc}", vpc_identifier=vpc, tags=dict(draft.spec.service_network.tags),
                                         security_group_ids=policy.security_group_ids if policy else ())
        draft.spec = replace(draft.spec, vpc_associations=draft.spec.vpc_associations + (association,))


def _tls_beyond_validation(gateway: k8s.Gateway) -> Dict[str, object]:
    """``spec.tls`` less the frontend validation, which is judged per listener."""
    return {key: value for key, value in (gateway.spec.tls or {}).items() if key != "frontend"}
