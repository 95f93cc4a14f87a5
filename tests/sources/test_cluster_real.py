"""The cluster source against a real kube-apiserver with the Gateway API v1.5.0 CRDs.

The examples are created in the cluster, read back with ``read_cluster`` and planned;
the plan must be the one the same manifests give from files.  What the server adds
(defaults from the CRD schemas: parentRef group and kind, backendRef weight; a Service's
clusterIP, ipFamilyPolicy and sessionAffinity; a default Gateway status; the Namespace
objects and the ``default/kubernetes`` Service) must change nothing in the plan.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Iterator, List

import pytest
from kubernetes.client.exceptions import ApiException
from typer.testing import CliRunner

from cli.main import app
from tests.support.engines import REPO
from tests.support.kube import ADMIN, KubeApiServer
from lattice_program.contract.pipeline import plan
from lattice_program.program.mock_plan import record_plan
from lattice_program.sources.cluster import read_cluster
from lattice_program.sources.files import RawObject, load_paths
from lattice_program.vocabulary.settings import StackSettings

pytestmark = pytest.mark.needs_kube_apiserver

EXAMPLES = REPO / "examples"
# One example per route kind: HTTPRoute, GRPCRoute and (passthrough) TLSRoute.
ROUTE_KIND_EXAMPLES = ("checkout-ab", "grpc-greeter", "tls-passthrough")


@contextlib.contextmanager
def created(server: KubeApiServer, objects: List[RawObject]) -> Iterator[None]:
    """The objects in the cluster, in file order, their namespaces first; all gone afterwards.
    A cluster-scoped object another test of the session already made (the shared
    GatewayClass) is used as it is, and left in place."""
    namespaces = sorted({o.body["metadata"]["namespace"] for o in objects if o.body["metadata"].get("namespace")})
    with contextlib.ExitStack() as stack:
        for namespace in namespaces:
            stack.enter_context(server.namespace(namespace))
        for body in (copy.deepcopy(o.body) for o in objects):
            if body["metadata"].get("namespace"):
                server.create(body)
                continue
            try:
                server.create(body)
            except ApiException as error:
                if error.status != 409:
                    raise
                continue
            stack.callback(server.delete, body)
        yield


def _problems(result):
    """Problems without their origin (a file path for one, ``cluster:...`` for the other)."""
    return [(p.object, p.field, p.message, p.severity) for p in result.problems]


@pytest.mark.parametrize("example", ROUTE_KIND_EXAMPLES)
def test_the_cluster_read_plans_as_the_files_do(kube_apiserver: KubeApiServer, example: str):
    files = load_paths([str(EXAMPLES / example)])
    with created(kube_apiserver, files):
        read = read_cluster(api_client=kube_apiserver.api_client(), cluster_name="default")

    assert read.complete, read.failures
    from_files, from_cluster = plan(files, StackSettings()), plan(read.objects, StackSettings())
    assert from_files.errors == ()
    resources = record_plan(from_cluster.model)
    assert resources == record_plan(from_files.model)
    assert len(resources) >= 10
    assert from_cluster.statuses == from_files.statuses
    assert _problems(from_cluster) == _problems(from_files)
    # The server did fill in fields the files leave out; the pipeline ignored them.
    route = next(o.body for o in read.objects if o.body["kind"].endswith("Route"))
    assert route["spec"]["parentRefs"][0]["kind"] == "Gateway"
    assert route["metadata"]["resourceVersion"] and route["metadata"]["uid"]


def _route(namespace: str, **spec) -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "refused", "namespace": namespace},
            "spec": {"parentRefs": [{"name": "storefront"}], **spec}}


@pytest.mark.parametrize("spec, rule", [
    ({"hostnames": [f"h{i}.example.com" for i in range(17)]}, "must have at most 16 items"),
    ({"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "checkout"}}]}]},
     "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"),
], ids=["17-hostnames", "path-without-slash"])
def test_a_manifest_the_crd_refuses_never_reaches_the_translator(kube_apiserver: KubeApiServer, kube_namespace: str,
                                                               spec: dict, rule: str):
    with pytest.raises(ApiException) as refused:
        kube_apiserver.create(_route(kube_namespace, **spec))

    assert refused.value.status == 422
    status = json.loads(refused.value.body)
    assert status["reason"] == "Invalid" and rule in status["message"]
    read = read_cluster(api_client=kube_apiserver.api_client())
    assert [o for o in read.objects if o.body["metadata"].get("namespace") == kube_namespace] == []


def test_latticectl_plan_from_the_context_equals_the_plan_from_files(kube_apiserver: KubeApiServer,
                                                                      monkeypatch: pytest.MonkeyPatch):
    directory = EXAMPLES / "checkout-ab"
    runner = CliRunner()
    monkeypatch.setenv("KUBECONFIG", str(kube_apiserver.kubeconfig))
    with created(kube_apiserver, load_paths([str(directory)])):
        from_context = runner.invoke(app, ["plan", "--context", ADMIN, "--output", "json"])
    from_files = runner.invoke(app, ["plan", str(directory), "--output", "json"])

    assert from_context.exit_code == 0, from_context.output
    assert from_files.exit_code == 0, from_files.output
    context_document, files_document = json.loads(from_context.stdout), json.loads(from_files.stdout)
    assert context_document["resources"] == files_document["resources"]
    assert len(context_document["resources"]) >= 10
    assert context_document["targets"] == files_document["targets"]


def test_a_missing_context_is_a_usage_error(kube_apiserver: KubeApiServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KUBECONFIG", str(kube_apiserver.kubeconfig))

    result = CliRunner().invoke(app, ["plan", "--context", "nope", "--output", "json"])

    assert result.exit_code == 2
    assert "it has: admin, restricted" in result.output
