"""The watch daemon's Kubernetes objects, as plain dicts: what it may do, and how it runs.

One source for both ways of installing it: ``latticectl render-daemon`` prints these as
YAML for teams that apply manifests, and a Pulumi component can declare the same
objects.  The permissions are the daemon's calls and nothing more:

* get/list/watch on every kind the translator reads (no per-object GET is made, but
  ``get`` is what ``kubectl auth can-i`` and admission webhooks expect of a reader);
* patch on the status subresources it writes, and on routes and Gateways for the
  annotations it writes (RBAC cannot narrow a patch to annotations: those two kinds'
  ``patch`` is the one grant wider than the daemon's use);
* create on events (a refused deletion is an Event on each Gateway);
* leases in its own namespace only, for leader election.
"""

from __future__ import annotations

from typing import Any, Dict, List

from lattice_program.sources.cluster import KINDS
from lattice_program.vocabulary.status import ANNOTATED_KINDS, STATUS_KINDS

DEFAULT_NAMESPACE = "lattice-gateway"
NAME = "lattice-gateway-watch"
PULUMI_HOME = "/home/lattice/.pulumi"
LABELS = {"app.kubernetes.io/name": "lattice-gateway", "app.kubernetes.io/component": "watch"}


def _metadata(name: str, namespace: str | None = None) -> Dict[str, Any]:
    meta: Dict[str, Any] = {"name": name, "labels": dict(LABELS)}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def cluster_role_rules() -> List[Dict[str, Any]]:
    reads: Dict[str, List[str]] = {}
    statuses: Dict[str, List[str]] = {}
    annotations: Dict[str, List[str]] = {}
    for kind in KINDS:
        reads.setdefault(kind.group, []).append(kind.plural)
        if kind.kind in STATUS_KINDS:
            statuses.setdefault(kind.group, []).append(f"{kind.plural}/status")
        if kind.kind in ANNOTATED_KINDS:
            annotations.setdefault(kind.group, []).append(kind.plural)
    rules = [{"apiGroups": [group], "resources": sorted(plurals), "verbs": ["get", "list", "watch"]}
             for group, plurals in sorted(reads.items())]
    rules += [{"apiGroups": [group], "resources": sorted(resources), "verbs": ["patch"]}
              for writes in (statuses, annotations) for group, resources in sorted(writes.items())]
    rules.append({"apiGroups": [""], "resources": ["events"], "verbs": ["create"]})
    return rules


def rbac_objects(*, namespace: str = DEFAULT_NAMESPACE, subject: Dict[str, str] | None = None) -> List[Dict[str, Any]]:
    """ClusterRole and binding for what the daemon reads and writes; Role and binding for
    its leases.  ``subject`` defaults to the daemon's ServiceAccount."""
    who = subject or {"kind": "ServiceAccount", "name": NAME, "namespace": namespace}
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        {"apiVersion": rbac, "kind": "ClusterRole", "metadata": _metadata(NAME), "rules": cluster_role_rules()},
        {"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": _metadata(NAME),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
         "subjects": [who]},
        {"apiVersion": rbac, "kind": "Role", "metadata": _metadata(NAME, namespace),
         "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                    "verbs": ["get", "create", "update", "patch"]}]},
        {"apiVersion": rbac, "kind": "RoleBinding", "metadata": _metadata(NAME, namespace),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
         "subjects": [who]},
    ]


def daemon_objects(stack: str, *, namespace: str = DEFAULT_NAMESPACE, image: str,
                   role_arn: str | None = None, replicas: int = 2,
                   backend_url: str | None = None) -> List[Dict[str, Any]]:
    """Everything to run ``latticectl watch --stack STACK --leader-elect`` in a cluster:
    namespace, ServiceAccount (annotated for IRSA when ``role_arn`` is given), RBAC, a
    hardened Deployment, a PodDisruptionBudget and the metrics Service.  The image is the
    project's ``Dockerfile``: the project at ``/app``, the Pulumi home with the aws
    plugin at ``/opt/pulumi-home``, copied by an init container into a writable volume.
    ``backend_url`` is the stack state's (``s3://…``); without it, Pulumi Cloud."""
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(NAME, namespace)}
    if role_arn:
        account["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": role_arn}
    container = {
        "name": "watch", "image": image,
        "args": ["watch", "--stack", stack, "--project-dir", "/app", "--leader-elect", "--lease-namespace",
                 namespace, "--metrics-addr", ":8080", "--log-format", "json"],
        "env": [{"name": "PULUMI_HOME", "value": PULUMI_HOME}]
        + ([{"name": "PULUMI_BACKEND_URL", "value": backend_url}] if backend_url else []),
        "ports": [{"name": "metrics", "containerPort": 8080}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "metrics"}, "periodSeconds": 20},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "metrics"}, "periodSeconds": 10},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True,
                            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "pulumi-home", "mountPath": PULUMI_HOME}],
    }
    copy_home = {"name": "pulumi-home", "image": image, "command": ["cp", "-a", "/opt/pulumi-home/.", PULUMI_HOME],
                 "securityContext": container["securityContext"],
                 "volumeMounts": [{"name": "pulumi-home", "mountPath": PULUMI_HOME}]}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(NAME, namespace),
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(LABELS)},
                 "template": {"metadata": {"labels": dict(LABELS)}, "spec": {
                     "serviceAccountName": NAME,
                     "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                     "initContainers": [copy_home],
                     "containers": [container],
                     "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "pulumi-home", "emptyDir": {}}]}}},
    }
    budget = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _metadata(NAME, namespace),
              "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(LABELS)}}}
    metrics = {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(f"{NAME}-metrics", namespace),
               "spec": {"selector": dict(LABELS), "ports": [{"name": "metrics", "port": 8080, "targetPort": "metrics"}]}}
    namespace_object = {"apiVersion": "v1", "kind": "Namespace", "metadata": _metadata(namespace)}
    return [namespace_object, account, *rbac_objects(namespace=namespace), deployment, budget, metrics]
