"""The status writer against a real API server: one object's refused write never stops
the others, and what cannot be written (annotations, events) is logged, never raised.

Two clusters on one server: ``east`` with the admin identity, ``west`` with the
restricted one, which RBAC grants nothing."""

from __future__ import annotations

from typing import Dict

import pytest
from kubernetes import client as k8s_client

from lattice_program.vocabulary.status import Condition, ObjectRef, ObjectStatus, ParentStatus
from lattice_program.watch.status_writer import LatticeOutcome, StatusWriter
from tests.support.kube import RESTRICTED, KubeApiServer
from tests.support.world import gateway, service
from tests.watch.test_daemon_real import world_in

pytestmark = pytest.mark.needs_kube_apiserver
GATEWAY_API = "gateway.networking.k8s.io/v1"
APPLIED = LatticeOutcome(True, "VPC Lattice holds it")


def accepted(ref: ObjectRef) -> ObjectStatus:
    if ref.kind == "HTTPRoute":
        parent = ParentStatus({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"},
                              {"Accepted": Condition("Accepted", "True", "Accepted", "attached")})
        return ObjectStatus(ref, parents=[parent])
    return ObjectStatus(ref, conditions={"Accepted": Condition("Accepted", "True", "Accepted", "handled")})


def read(server: KubeApiServer, namespace: str, plural: str, name: str) -> Dict:
    return k8s_client.CustomObjectsApi(server.admin).get_namespaced_custom_object(
        "gateway.networking.k8s.io", "v1", namespace, plural, name)


@pytest.fixture
def writer(kube_apiserver: KubeApiServer) -> StatusWriter:
    return StatusWriter({"east": kube_apiserver.api_client(), "west": kube_apiserver.api_client(RESTRICTED)})


def test_a_refused_write_is_reported_and_every_other_object_is_still_written(kube_apiserver, kube_namespace,
                                                                              writer, caplog):
    world_in(kube_apiserver, kube_namespace)
    edge = ObjectRef("Gateway", kube_namespace, "edge", GATEWAY_API, "east")
    refused = ObjectRef("HTTPRoute", kube_namespace, "cart", GATEWAY_API, "west")
    route = ObjectRef("HTTPRoute", kube_namespace, "cart", GATEWAY_API, "east")
    skipped = [ObjectRef("Service", kube_namespace, "cart", "v1", "east"),  # not ours to write
               ObjectRef("Gateway", kube_namespace, "edge", GATEWAY_API, "north"),  # no client for the cluster
               ObjectRef("HTTPRoute", kube_namespace, "gone", GATEWAY_API, "east")]  # deleted meanwhile
    live = {("east", "Gateway"): read(kube_apiserver, kube_namespace, "gateways", "edge"),
            ("east", "HTTPRoute"): read(kube_apiserver, kube_namespace, "httproutes", "cart"),
            ("west", "HTTPRoute"): read(kube_apiserver, kube_namespace, "httproutes", "cart"),
            ("east", "Service"): service("cart", kube_namespace), ("north", "Gateway"): gateway("edge")}
    statuses = [accepted(refused), accepted(edge), *map(accepted, skipped), accepted(route)]

    report = writer.write(statuses, lambda ref: live.get((ref.cluster, ref.kind)) if ref.name != "gone" else None,
                          {}, APPLIED)

    assert report.written == [edge.key, route.key] and report.unchanged == 0
    [failure] = report.failed
    assert failure.startswith(f"{refused}: HTTP 403 Forbidden")
    assert f"status of {refused} not written: HTTP 403 Forbidden" in caplog.text
    written = read(kube_apiserver, kube_namespace, "gateways", "edge")["status"]
    conditions = {c["type"]: c for c in written["conditions"]}
    assert conditions["Accepted"]["message"] == "handled"
    [parent] = read(kube_apiserver, kube_namespace, "httproutes", "cart")["status"]["parents"]
    assert parent["parentRef"]["name"] == "edge"


def test_annotations_and_events_that_cannot_be_written_are_logged_not_raised(kube_apiserver, kube_namespace,
                                                                             writer, caplog):
    world_in(kube_apiserver, kube_namespace)
    current = read(kube_apiserver, kube_namespace, "gateways", "edge")
    east = ObjectRef("Gateway", kube_namespace, "edge", GATEWAY_API, "east")
    west = ObjectRef("Gateway", kube_namespace, "edge", GATEWAY_API, "west")

    writer.acknowledge(west, current, {"lattice-gateway.io/reconcile-handled": "now"})
    writer.event(west, current, "DeletionsRefused", "refused")
    assert f"annotations of {west} not written: HTTP 403 Forbidden" in caplog.text
    assert f"event on {west} not written: HTTP 403 Forbidden" in caplog.text

    writer.acknowledge(east, current, {"lattice-gateway.io/reconcile-handled": "now"})
    writer.event(east, current, "DeletionsRefused", "x" * 2000)
    annotations = read(kube_apiserver, kube_namespace, "gateways", "edge")["metadata"]["annotations"]
    assert annotations["lattice-gateway.io/reconcile-handled"] == "now"
    events = k8s_client.CoreV1Api(kube_apiserver.admin).list_namespaced_event(kube_namespace).items
    ours = [e for e in events if e.source and e.source.component == "lattice-gateway"]
    assert len(ours) == 1, [(e.reason, e.source, e.involved_object.name, e.message[:40]) for e in events]
    [event] = ours
    assert (event.reason, event.type, event.count, event.source.component) == (
        "DeletionsRefused", "Warning", 1, "lattice-gateway")
    assert event.message == "x" * 1024  # cut to what a person reads
    involved = event.involved_object
    assert (involved.kind, involved.name, involved.uid) == ("Gateway", "edge", current["metadata"]["uid"])
    assert event.metadata.name.startswith("edge.")

