"""Plan documents and answers off the usual path: a Service that no route component owns,
a reference to a resource the document does not hold, a Lattice API out of reach, and a
Graphviz ``dot`` that never finishes."""

from __future__ import annotations

import shutil
import socket
import stat

import boto3
import pytest
from botocore.config import Config

from lattice_program.inspect import graph_svg
from lattice_program.inspect.graph import graph_of
from lattice_program.inspect.graph_svg import GraphvizFailed, render_svg
from lattice_program.inspect.services import ServiceInstance, instances_from_plan, with_lattice

SERVICE = "aws:vpclattice/service:Service"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"
RULE = "aws:vpclattice/listenerRule:ListenerRule"


def _resource(logical, typ, parent=None, **inputs):
    return {"urn": f"urn:{typ}::{logical}", "type": typ, "name": logical, "parent": parent, "inputs": inputs}


def test_a_service_none_of_our_components_owns_is_not_listed():
    route = _resource("HTTPRoute/shop/cart", "lattice:index:HTTPRoute")
    foreign = _resource("wrapper", "acme:index:Wrapper")  # a component of another program's
    document = {"resources": [
        route, foreign,
        _resource("HTTPRoute/shop/cart", SERVICE, route["urn"], name="cart-shop-1"),
        _resource("wrapped", SERVICE, foreign["urn"], name="wrapped-service"),
        _resource("loose", SERVICE, None, name="loose-service"),
    ]}
    assert {key: i.name for key, i in instances_from_plan("dev", document).items()} == \
        {"HTTPRoute/shop/cart": "cart-shop-1"}


def test_a_forward_to_a_resource_the_document_does_not_hold_draws_no_edge():
    group = _resource("HTTPRoute/shop/cart/tg", TARGET_GROUP, None, name="cart-tg")
    rule = _resource("HTTPRoute/shop/cart/rule", RULE, None, action={"forward": {"targetGroups": [
        {"targetGroupIdentifier": f"ref:{group['urn']}", "weight": 90},
        {"targetGroupIdentifier": "ref:urn:pulumi:dev::lattice-gateway::gone", "weight": 10}]}})
    graph = graph_of({"objects": [], "problems": [], "targets": [], "resources": [group, rule]})
    urns = {node.id: node.urn for node in graph.nodes}
    assert [(urns[e.source], urns[e.target], e.weight) for e in graph.edges] == [(rule["urn"], group["urn"], 90)]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_lattice_api_out_of_reach_is_one_note_and_every_service_keeps_its_offline_values():
    client = boto3.client("vpc-lattice", region_name="us-west-2", endpoint_url=f"http://127.0.0.1:{_closed_port()}",
                          aws_access_key_id="x", aws_secret_access_key="x",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=2))
    offline = {"HTTPRoute/a/one": ServiceInstance(stack="dev", name="one-a", id="svc-0000000000000001a"),
               "HTTPRoute/a/two": ServiceInstance(stack="dev", name="two-a", id="svc-0000000000000002b")}
    updated, notes = with_lattice(offline, client)
    assert updated == offline
    assert len(notes) == 1  # asked once, not once per service
    assert notes[0].startswith("dev: the Lattice API could not be asked (Could not connect to the endpoint URL")
    assert notes[0].endswith("); offline values shown")


def test_a_dot_that_never_finishes_is_a_graphviz_failure_naming_the_limit(tmp_path, monkeypatch):
    slow = tmp_path / "dot"
    slow.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 5\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(graph_svg, "DOT_TIMEOUT_SECONDS", 0.3)
    with pytest.raises(GraphvizFailed, match=r"^`dot -Tsvg` took longer than 0.3s$"):
        render_svg("digraph { a -> b }")
