"""The doctor's cluster checks against a real API server (CRDs, a fake AWS controller
Deployment, a user RBAC grants nothing) and the loopback double (a refused connection)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from lattice_program.inspect.checks.cluster import BUNDLE_VERSION, CHANNEL, check_cluster
from lattice_program.inspect.doctor import Status
from lattice_program.sources.cluster import connect
from tests.support.kube_double import KubeDouble

CONTROLLER_IMAGE = "public.ecr.aws/aws-application-networking-k8s/aws-gateway-controller:v2.1.3"


def _connector(server):
    return lambda context: connect(context=context, kubeconfig=str(server.kubeconfig))


def _by_check(results):
    return {r.name.split(": ", 1)[1]: r for r in results}


def _crd(tmp_path: Path, plural: str, kind: str, group: str, annotations: dict) -> Path:
    """A CRD carrying only what the doctor reads: its name and annotations (and the approval
    the API server wants of a k8s.io group)."""
    if group.endswith(".k8s.io"):
        annotations = {**annotations, "api-approved.kubernetes.io": "unapproved, a test's stand-in"}
    body = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}", "annotations": annotations},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": plural, "kind": kind, "singular": kind.lower(), "listKind": f"{kind}List"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}
    path = tmp_path / f"{plural}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def _controller_deployment(namespace: str, replicas: int = 1) -> dict:
    labels = {"app": "gateway-api-controller"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "gateway-api-controller", "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "manager", "image": CONTROLLER_IMAGE}]}}}}


@pytest.mark.needs_kube_apiserver
def test_a_ready_cluster_passes_with_the_bundle_version(kube_apiserver):
    controller = f"example.com/doctor-{uuid.uuid4().hex[:8]}"  # the shared server may hold other classes
    before = _by_check(check_cluster("a", "admin", _connector(kube_apiserver), controller_name=controller))
    gateway_class = kube_apiserver.create({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                                           "metadata": {"name": controller.split("/")[1]},
                                           "spec": {"controllerName": controller}})
    try:
        results = _by_check(check_cluster("a", "admin", _connector(kube_apiserver), controller_name=controller))
    finally:
        kube_apiserver.delete(gateway_class)
    assert {name: r.status for name, r in results.items()} == {
        "reachable": Status.PASS, "Gateway API CRDs": Status.PASS, "AWS controller CRDs": Status.PASS,
        "GatewayClass": Status.PASS, "no AWS Gateway API Controller": Status.PASS}
    assert "bundle v1.5.0" in results["Gateway API CRDs"].detail
    assert "tlsroutes" in results["Gateway API CRDs"].detail
    assert controller.split("/")[1] in results["GatewayClass"].detail
    assert before["GatewayClass"].status is Status.WARN and "install" in before["GatewayClass"].fix


@pytest.mark.needs_kube_apiserver
def test_a_running_aws_controller_fails_and_one_scaled_to_zero_passes(kube_apiserver, kube_namespace):
    deployment = kube_apiserver.create(_controller_deployment(kube_namespace))
    running = _by_check(check_cluster("a", "admin", _connector(kube_apiserver)))["no AWS Gateway API Controller"]
    # Running, but we serve another controllerName: the two do not compete.
    other_owner = _by_check(check_cluster("a", "admin", _connector(kube_apiserver),
                                          controller_name="example.com/lattice-gateway"))
    kube_apiserver.patch(deployment, {"spec": {"replicas": 0}})
    stopped = _by_check(check_cluster("a", "admin", _connector(kube_apiserver)))["no AWS Gateway API Controller"]

    assert running.status is Status.FAIL
    assert f"{kube_namespace}/gateway-api-controller" in running.detail and CONTROLLER_IMAGE in running.detail
    assert f"kubectl -n {kube_namespace} scale deployment gateway-api-controller --replicas=0" in running.fix
    assert stopped.status is Status.PASS and "scaled to zero" in stopped.detail
    assert other_owner["no AWS Gateway API Controller"].status is Status.PASS


@pytest.mark.needs_kube_apiserver
def test_a_user_rbac_grants_nothing_is_reachable_but_the_rest_is_skipped(kube_apiserver):
    results = _by_check(check_cluster("a", "restricted", _connector(kube_apiserver)))
    assert results["reachable"].status is Status.PASS
    assert results["Gateway API CRDs"].status is Status.SKIP and "403" in results["Gateway API CRDs"].detail
    assert results["Gateway API CRDs"].fix == "grant list on customresourcedefinitions to check"
    assert results["GatewayClass"].status is Status.SKIP
    assert results["no AWS Gateway API Controller"].status is Status.SKIP


@pytest.mark.needs_kube_apiserver
def test_missing_old_and_mixed_gateway_api_crds(kube_apiserver_factory, tmp_path):
    server = kube_apiserver_factory()
    check = lambda: _by_check(check_cluster("b", "admin", _connector(server)))  # noqa: E731
    group = "gateway.networking.k8s.io"
    standard = {BUNDLE_VERSION: "v1.2.0", CHANNEL: "standard"}

    bare = check()
    server.apply_crds([_crd(tmp_path, "gatewayclasses", "GatewayClass", group, standard),
                       _crd(tmp_path, "gateways", "Gateway", group, standard)], warm=False)
    partial = check()
    server.apply_crds([_crd(tmp_path, "httproutes", "HTTPRoute", group, {BUNDLE_VERSION: "v1.1.0", CHANNEL: "standard"}),
                       _crd(tmp_path, "targetgrouppolicies", "TargetGroupPolicy", "application-networking.k8s.aws", {})],
                      warm=False)
    mixed = check()

    assert bare["Gateway API CRDs"].status is Status.FAIL and "gatewayclasses, gateways, httproutes" in \
        bare["Gateway API CRDs"].detail and "standard-install.yaml" in bare["Gateway API CRDs"].fix
    assert bare["AWS controller CRDs"].status is Status.WARN
    assert bare["GatewayClass"].status is Status.SKIP and "not served" in bare["GatewayClass"].detail
    assert partial["Gateway API CRDs"].status is Status.FAIL and "not installed: httproutes" in \
        partial["Gateway API CRDs"].detail
    assert mixed["Gateway API CRDs"].status is Status.WARN and "v1.1.0, v1.2.0" in mixed["Gateway API CRDs"].detail
    assert mixed["AWS controller CRDs"].status is Status.WARN and "vpcassociationpolicies" in \
        mixed["AWS controller CRDs"].detail and "targetgrouppolicies" not in mixed["AWS controller CRDs"].detail


@pytest.mark.needs_kube_apiserver
def test_a_bundle_before_v1_fails(kube_apiserver_factory, tmp_path):
    server = kube_apiserver_factory()
    old = {BUNDLE_VERSION: "v0.8.1", CHANNEL: "standard"}
    group = "gateway.networking.k8s.io"
    server.apply_crds([_crd(tmp_path, plural, kind, group, old) for plural, kind in
                       (("gatewayclasses", "GatewayClass"), ("gateways", "Gateway"), ("httproutes", "HTTPRoute"))],
                      warm=False)
    result = _by_check(check_cluster("b", "admin", _connector(server)))["Gateway API CRDs"]
    assert result.status is Status.FAIL and "v0.8.1 predates v1.0" in result.detail


def test_an_unreachable_server_fails_and_skips_the_rest(tmp_path):
    with KubeDouble() as double:
        host, port = double._address
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": f"http://{host}:{port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}]}))
    results = check_cluster("c", "gone", lambda ctx: connect(context=ctx, kubeconfig=str(kubeconfig)))
    assert [r.status for r in results] == [Status.FAIL] + [Status.SKIP] * 4
    assert "did not answer" in results[0].detail


def test_an_unknown_context_fails_naming_the_known_ones(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [],
                                          "contexts": [{"name": "prod", "context": {"cluster": "x", "user": "y"}}]}))
    [reachable, *_] = check_cluster("c", "staging", lambda ctx: connect(context=ctx, kubeconfig=str(kubeconfig)))
    assert reachable.status is Status.FAIL and "it has: prod" in reachable.detail
