"""The real API server fixture: up, two identities, RBAC enforced, CRDs established."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.support.kube import RESTRICTED, KubeApiServer, aws_crd_files, standard_crd_files

pytestmark = pytest.mark.needs_kube_apiserver


def test_the_server_is_up_and_admin_lists_namespaces(kube_apiserver: KubeApiServer):
    names = {n.metadata.name for n in client.CoreV1Api(kube_apiserver.api_client()).list_namespace().items}

    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    version = client.VersionApi(kube_apiserver.api_client()).get_code()
    assert (version.major, version.minor) == ("1", "37")


def test_the_restricted_identity_may_not_list_secrets(kube_apiserver: KubeApiServer):
    core = client.CoreV1Api(kube_apiserver.api_client(RESTRICTED))

    with pytest.raises(ApiException) as refused:
        core.list_secret_for_all_namespaces()

    assert refused.value.status == 403
    message = json.loads(refused.value.body)["message"]
    assert 'User "lattice-watch" cannot list resource "secrets"' in message


def test_every_crd_is_established(kube_apiserver: KubeApiServer):
    # The files are named <group>_<plural>.yaml, the CRDs <plural>.<group>.
    expected = [".".join(path.stem.split("_")[::-1]) for path in standard_crd_files() + aws_crd_files()]

    assert len(expected) == 14
    assert "httproutes.gateway.networking.k8s.io" in expected and "targetgrouppolicies.application-networking.k8s.aws" in expected
    for name in expected:
        crd = kube_apiserver.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        established = {c["type"]: c["status"] for c in crd["status"]["conditions"]}["Established"]
        assert established == "True", name
    served = {version["name"] for version in kube_apiserver.request(
        "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/tlsroutes.gateway.networking.k8s.io"
    )["spec"]["versions"] if version["served"]}
    assert served == {"v1", "v1alpha2", "v1alpha3"}  # the experimental channel's TLSRoute


def test_a_namespace_is_fresh_and_goes_away_with_its_objects(kube_apiserver: KubeApiServer):
    with kube_apiserver.namespace() as name:
        kube_apiserver.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": name},
                               "spec": {"ports": [{"port": 80}]}})
        kube_apiserver.create({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                               "metadata": {"name": "r", "namespace": name}, "spec": {}})

    core = client.CoreV1Api(kube_apiserver.api_client())
    assert name not in {n.metadata.name for n in core.list_namespace().items}
    assert [s.metadata.name for s in core.list_namespaced_service(name).items] == []
    routes = kube_apiserver.request("GET", f"/apis/gateway.networking.k8s.io/v1/namespaces/{name}/httproutes")
    assert routes["items"] == []


def test_the_namespace_fixture_gives_an_empty_namespace(kube_apiserver: KubeApiServer, kube_namespace: str):
    assert kube_namespace.startswith("test-")
    assert kube_apiserver.request("GET", f"/api/v1/namespaces/{kube_namespace}/services")["items"] == []


def test_compaction_moves_etcd_forward(kube_apiserver: KubeApiServer, kube_namespace: str):
    before = kube_apiserver.revision()
    kube_apiserver.create({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "c", "namespace": kube_namespace}, "data": {"a": "b"}})

    compacted = kube_apiserver.compact()

    assert compacted > before
    assert kube_apiserver.revision() >= compacted

