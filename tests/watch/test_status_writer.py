"""What the daemon writes back: the statuses a plan gives, the Lattice outcome, others' entries kept."""

from __future__ import annotations

from lattice_program.vocabulary.status import Condition, ObjectRef, ObjectStatus, ParentStatus
from kubernetes import client as k8s_client

from lattice_program.watch.status_writer import (
    ARN_ANNOTATION,
    DOMAIN_ANNOTATION,
    LatticeOutcome,
    StatusWriter,
    desired_status,
    route_annotations,
)
from tests.support.plans import CONTROLLER, plan_yaml, status_of
from tests.support.world import gateway, gateway_class, http_route, service, world

APPLIED = LatticeOutcome(True, "VPC Lattice holds it")
FAILED = LatticeOutcome(False, "3 converges failed in a row")
UNDECIDED = LatticeOutcome(None, "")
ROUTE = ObjectRef("HTTPRoute", "shop", "cart", "gateway.networking.k8s.io/v1", "east")


def clock(value: str = "2026-12-01T08:00:00Z"):
    return lambda: value


def planned_statuses():
    result = plan_yaml(world(gateway_class(), gateway("edge", "shop"), service("cart", "shop"),
                             http_route("cart", "shop", parents=["edge"], backends=[("cart", 80)])))
    return result


def test_a_route_parent_gets_accepted_resolved_and_the_lattice_outcome():
    result = planned_statuses()
    status = status_of(result, "HTTPRoute", "shop", "cart")
    live = {"metadata": {"generation": 3}, "status": {}}
    written = desired_status(status, live, outcome=APPLIED, controller_name=CONTROLLER, now=clock())
    [parent] = written["parents"]
    assert parent["controllerName"] == CONTROLLER
    assert parent["parentRef"]["name"] == "edge" and parent["parentRef"]["kind"] == "Gateway"
    by_type = {c["type"]: c for c in parent["conditions"]}
    assert set(by_type) == {"Accepted", "ResolvedRefs", "Programmed"}
    assert by_type["Programmed"]["status"] == "True" and by_type["Programmed"]["reason"] == "Programmed"
    assert all(c["observedGeneration"] == 3 for c in parent["conditions"])
    failing = desired_status(status, live, outcome=FAILED, controller_name=CONTROLLER, now=clock())
    programmed = {c["type"]: c for c in failing["parents"][0]["conditions"]}["Programmed"]
    assert (programmed["status"], programmed["reason"]) == ("False", "Pending")
    assert "3 converges failed" in programmed["message"]
    undecided = desired_status(status, live, outcome=UNDECIDED, controller_name=CONTROLLER, now=clock())
    assert {c["type"]: c for c in undecided["parents"][0]["conditions"]}["Programmed"]["status"] == "Unknown"


def test_other_controllers_parent_entries_are_kept_as_read():
    status = ObjectStatus(ROUTE, parents=[ParentStatus({"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                                        "name": "edge"}, {"Accepted": Condition("Accepted", "True",
                                                                                                "Accepted")})])
    theirs = {"parentRef": {"name": "istio-gw"}, "controllerName": "istio.io/gateway-controller",
              "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}]}
    stale_ours = {"parentRef": {"name": "gone"}, "controllerName": CONTROLLER, "conditions": []}
    live = {"metadata": {"generation": 1}, "status": {"parents": [theirs, stale_ours]}}
    written = desired_status(status, live, outcome=APPLIED, controller_name=CONTROLLER, now=clock())
    assert written["parents"][0] == theirs
    assert [p["parentRef"]["name"] for p in written["parents"]] == ["istio-gw", "edge"]  # ours replaced


def test_last_transition_time_moves_only_when_the_status_does():
    status = ObjectStatus(ObjectRef("Gateway", "shop", "edge", cluster="east"),
                          conditions={"Accepted": Condition("Accepted", "True", "Accepted", "handled"),
                                      "Programmed": Condition("Programmed", "Unknown", "Pending", "planned")})
    live = {"metadata": {"generation": 2}, "status": {"conditions": [
        {"type": "Accepted", "status": "True", "reason": "Accepted", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "Programmed", "status": "Unknown", "reason": "Pending", "lastTransitionTime": "2026-01-01T00:00:00Z"},
    ]}}
    written = {c["type"]: c for c in desired_status(status, live, outcome=APPLIED, now=clock())["conditions"]}
    assert written["Accepted"]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert written["Programmed"]["lastTransitionTime"] == "2026-12-01T08:00:00Z"
    assert written["Programmed"]["status"] == "True"


def test_gateway_listeners_carry_kinds_attached_routes_and_conditions():
    result = planned_statuses()
    status = status_of(result, "Gateway", "shop", "edge")
    written = desired_status(status, {"metadata": {"generation": 1}}, outcome=APPLIED, now=clock())
    [listener] = written["listeners"]
    assert listener["name"] == "http" and listener["attachedRoutes"] == 1
    assert {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"} in listener["supportedKinds"]


def test_the_anchors_annotations_come_from_the_stack_outputs():
    outputs = {"HTTPRoute/shop/cart": {"serviceArn": "arn:aws:vpc-lattice:us-west-2:1:service/svc-1",
                                       "dnsName": "cart-shop-1.7d67968.vpc-lattice-svcs.us-west-2.on.aws",
                                       "customDomainName": None}}
    assert route_annotations(ROUTE, outputs) == {
        ARN_ANNOTATION: "arn:aws:vpc-lattice:us-west-2:1:service/svc-1",
        DOMAIN_ANNOTATION: "cart-shop-1.7d67968.vpc-lattice-svcs.us-west-2.on.aws"}
    assert route_annotations(ROUTE, {}) == {}


def test_a_cluster_that_cannot_be_reached_fails_its_objects_with_the_reason():
    unreachable = k8s_client.Configuration()
    unreachable.host = "http://127.0.0.1:9"  # discard: nothing listens
    unreachable.retries = 0
    writer = StatusWriter({"east": k8s_client.ApiClient(unreachable)})
    edge = ObjectRef("Gateway", "shop", "edge", "gateway.networking.k8s.io/v1", "east")
    status = ObjectStatus(edge, conditions={"Accepted": Condition("Accepted", "True", "Accepted")})
    report = writer.write([status], lambda ref: gateway("edge", "shop"), {}, APPLIED)
    [failure] = report.failed
    assert failure.startswith(f"{edge}: ") and "Connection refused" in failure
    assert report.written == [] and report.unchanged == 0
