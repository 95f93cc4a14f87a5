"""The plan as a JSON document: the contract documented in ``docs/plan-format.md``.

``resources`` are what the program registers (recorded under the mock runtime),
``targets`` the members the target sync would register, ``objects`` the Gateway API
status of every object looked at, ``problems`` everything worth a person's attention.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from components.specs import LatticeModel

from lattice_program.vocabulary.settings import CONTROLLER_NAME
from lattice_program.vocabulary.status import Condition, ObjectStatus, Problem

FORMAT_VERSION = 2
# The short names people read for the resource types a plan holds (tree, graph).
SHORT_TYPES = {
    "aws:vpclattice/serviceNetwork:ServiceNetwork": "ServiceNetwork",
    "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation": "VpcAssociation",
    "aws:vpclattice/service:Service": "Service",
    "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation": "ServiceNetworkAssociation",
    "aws:vpclattice/listener:Listener": "Listener",
    "aws:vpclattice/listenerRule:ListenerRule": "Rule",
    "aws:vpclattice/targetGroup:TargetGroup": "TargetGroup",
    "aws:vpclattice/targetGroupAttachment:TargetGroupAttachment": "TargetGroupAttachment",
    "aws:vpclattice/authPolicy:AuthPolicy": "AuthPolicy",
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription": "AccessLogSubscription",
    "kubernetes:externaldns.k8s.io/v1alpha1:DNSEndpoint": "DNSEndpoint",
}


def plan_document(resources: Sequence[Any], model: LatticeModel, statuses: Sequence[ObjectStatus],
                  problems: Sequence[Problem], *, controller_name: str = CONTROLLER_NAME) -> Dict[str, Any]:
    """``controller_name`` goes into each route parent status, as the spec asks."""
    return {
        "formatVersion": FORMAT_VERSION,
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs}
                      for r in resources],
        "targets": [{"targetGroup": key, "id": target.id, "port": target.port}
                    for key in sorted(model.targets) for target in model.targets[key]],
        "objects": [_object(status, controller_name) for status in statuses],
        "problems": [_problem(problem) for problem in problems],
    }


def _object(status: ObjectStatus, controller_name: str) -> Dict[str, Any]:
    ref = status.ref
    return {
        "apiVersion": ref.api_version,
        "kind": ref.kind,
        "namespace": ref.namespace,
        "name": ref.name,
        "cluster": ref.cluster,
        "conditions": _conditions(status.conditions.values()),
        "parents": [{"parentRef": parent.parent_ref, "controllerName": controller_name,
                     "conditions": _conditions(parent.conditions.values())}
                    for parent in status.parents],
        "listeners": [{"name": listener.name,
                       "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": kind}
                                          for kind in listener.supported_kinds],
                       "attachedRoutes": listener.attached_routes,
                       "conditions": _conditions(listener.conditions.values())}
                      for listener in status.listeners.values()],
    }


def _conditions(conditions) -> List[Dict[str, str]]:
    return [{"type": c.type, "status": c.status, "reason": c.reason, "message": c.message}
            for c in conditions if isinstance(c, Condition)]


def _problem(problem: Problem) -> Dict[str, Any]:
    ref = problem.object
    return {
        "severity": problem.severity,
        "object": None if ref is None else {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name,
                                            "cluster": ref.cluster},
        "field": problem.field,
        "message": problem.message,
        "origin": problem.origin,
    }
