"""The service directory: built from the plans of this repo's examples and stacks, overlaid
with stack outputs and the Lattice API (botocore Stubber), rendered as a table, JSON and an
HTML page that headless Chromium shows with every service."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List

import boto3
import pytest
from botocore.stub import Stubber

from cli.main import _plan_document
from lattice_program.inspect.services import (
    Directory, DirectoryEntry, ServiceInstance, StackView, directory, instances_from_plan, with_lattice, with_outputs,
)
from lattice_program.inspect.services_render import render_html, render_json, render_table
from lattice_program.vocabulary.outputs import UNKNOWN
from tests.inspect.graph_documents import EXAMPLES, HOSTILE_NAME, ROOT
from tests.support.browser import dump_dom, needs_chromium

SERVICE = "aws:vpclattice/service:Service"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
ONE_CLUSTER_EXAMPLES = [e for e in EXAMPLES if (e / "README.md").exists() and not (e / "east").is_dir()]


def _plan(paths, stack=None) -> dict:
    document, _, _ = _plan_document(paths, stack, None, None, None, ROOT)
    return document


def _views() -> List[StackView]:
    """Every example (planned alone) and every stack of the repo that has an input."""
    views = [StackView(stack=f"example:{e.name}", plan=_plan([str(e)])) for e in ONE_CLUSTER_EXAMPLES]
    for stack in STACKS:
        text = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()
        if "sources" in text:  # staging waits for a promoted release
            views.append(StackView(stack=stack, plan=_plan(None, stack)))
    return views


@pytest.fixture(scope="module")
def repo_views() -> List[StackView]:
    return _views()


def _expected_services(document: dict) -> Dict[str, dict]:
    """Route key -> the Service resource's inputs, read straight from the plan."""
    by_urn = {r["urn"]: r for r in document["resources"]}
    return {by_urn[r["parent"]]["name"]: r["inputs"] for r in document["resources"] if r["type"] == SERVICE}


def test_every_service_of_every_example_and_stack_is_in_the_directory(repo_views):
    found = directory(repo_views)
    listed = {(i.stack, e.route): i for e in found.entries for i in e.instances}
    total = 0
    for view in repo_views:
        expected = _expected_services(view.plan)
        assert expected, f"{view.stack} plans no service: the test would prove nothing"
        for route, inputs in expected.items():
            instance = listed[(view.stack, route)]
            assert instance.name == inputs["name"]
            assert instance.custom_domain == inputs.get("customDomainName")
            assert instance.auth_type == inputs.get("authType", "NONE")
            assert instance.networks, f"{route} in {view.stack} has no service network"
            assert instance.backend_kinds and instance.clusters
            assert instance.source == "plan" and instance.dns_name is None
        total += len(expected)
    assert sum(len(e.instances) for e in found.entries) == total


def test_the_two_cluster_stack_lists_both_clusters(repo_views):
    prod = next(v for v in repo_views if v.stack == "prod")
    groups = [r for r in prod.plan["resources"] if r["type"] == TARGET_GROUP]
    tagged = {g["inputs"]["tags"]["lattice-gateway/cluster"] for g in groups}
    assert len(tagged) == 2
    instances = instances_from_plan("prod", prod.plan)
    assert any(set(i.clusters) == tagged for i in instances.values())


# --- a hand-made plan: backend kinds read generically, shares, routes across stacks --------

def _resource(urn_name, typ, parent=None, **inputs):
    return {"urn": f"urn:{typ}::{urn_name}", "type": typ, "name": urn_name, "parent": parent, "inputs": inputs}


def _hand_made_plan() -> dict:
    route = _resource("HTTPRoute/shop/cart", "lattice:index:HTTPRoute")
    export = _resource("ServiceExport/shop/cart", "lattice:index:ServiceExport")
    network = _resource("Gateway/shop/edge", "aws:vpclattice/serviceNetwork:ServiceNetwork", name="edge")
    pods = _resource("TG/pods", TARGET_GROUP, route["urn"], type="IP", tags={"lattice-gateway/cluster": "east"})
    function = _resource("TG/fn", TARGET_GROUP, route["urn"], type="LAMBDA")  # a new kind shows as it is
    exported = _resource("TG/west", TARGET_GROUP, export["urn"], type="IP", tags={"lattice-gateway/cluster": "west"})
    rule = _resource("HTTPRoute/shop/cart/http-80/split", "aws:vpclattice/listenerRule:ListenerRule", route["urn"],
                     action={"forward": {"targetGroups": [
                         {"targetGroupIdentifier": f"ref:{pods['urn']}"},
                         {"targetGroupIdentifier": f"ref:{exported['urn']}"},
                         {"targetGroupIdentifier": "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/tg-0abc"}]}})
    return {"resources": [
        route, export, network, pods, function, exported, rule,
        _resource("HTTPRoute/shop/cart", SERVICE, route["urn"], name="cart-shop-1", authType="AWS_IAM"),
        _resource("HTTPRoute/shop/cart->Gateway/shop/edge", "aws:vpclattice/serviceNetworkServiceAssociation:"
                  "ServiceNetworkServiceAssociation", route["urn"], serviceNetworkIdentifier=f"ref:{network['urn']}"),
        _resource("HTTPRoute/shop/cart->Gateway/x/adopted", "aws:vpclattice/serviceNetworkServiceAssociation:"
                  "ServiceNetworkServiceAssociation", route["urn"], serviceNetworkIdentifier="sn-0123456789abcdef0"),
        _resource("HTTPRoute/shop/cart/share/principal/111122223333", "aws:ram/principalAssociation:PrincipalAssociation",
                  route["urn"], principal="111122223333"),
    ], "objects": [{"kind": "HTTPRoute", "namespace": "shop", "name": "cart", "cluster": "east"}]}


def test_backend_kinds_clusters_networks_and_principals_come_from_the_plan():
    instance = instances_from_plan("dev", _hand_made_plan())["HTTPRoute/shop/cart"]
    assert instance.backend_kinds == ("IP", "LAMBDA", "external")
    assert instance.clusters == ("east", "west")
    assert instance.networks == ("edge", "sn-0123456789abcdef0")
    assert instance.shared_with == ("111122223333",)
    assert instance.auth_type == "AWS_IAM"


def test_one_route_in_two_stacks_is_one_entry_with_both_stacks():
    plan = _hand_made_plan()
    found = directory([StackView("dev", plan), StackView("prod", plan)])
    assert [e.route for e in found.entries] == ["HTTPRoute/shop/cart"]
    assert found.entries[0].stacks == ("dev", "prod")
    assert (found.entries[0].kind, found.entries[0].namespace, found.entries[0].name) == ("HTTPRoute", "shop", "cart")


def test_outputs_override_the_plan_and_unknown_values_are_never_shown():
    instances = instances_from_plan("dev", _hand_made_plan())
    outputs = {"HTTPRoute/shop/cart": {"serviceArn": "arn:aws:vpc-lattice:us-west-2:1:service/svc-1",
                                       "serviceId": "svc-1", "dnsName": UNKNOWN, "customDomainName": "cart.example.com",
                                       "sharedWith": ["111122223333", "444455556666"]}}
    updated = with_outputs(instances, outputs)["HTTPRoute/shop/cart"]
    assert (updated.id, updated.custom_domain, updated.source) == ("svc-1", "cart.example.com", "outputs")
    assert updated.dns_name is None  # the unknown sentinel stayed out
    assert updated.shared_with == ("111122223333", "444455556666")
    assert with_outputs(instances, None) == instances


# --- the Lattice API, stubbed -----------------------------------------------------------

def _client():
    return boto3.client("vpc-lattice", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def _service_answer(service_id: str, name: str, **extra) -> dict:
    return {"id": service_id, "name": name, "arn": f"arn:aws:vpc-lattice:us-west-2:111122223333:service/{service_id}",
            "status": "ACTIVE", "authType": "AWS_IAM",
            "dnsEntry": {"domainName": f"{name}.7d67968.vpc-lattice-svcs.us-west-2.on.aws", "hostedZoneId": "Z1"},
            **extra}


def test_the_api_fills_dns_and_status_looking_unapplied_ids_up_by_name():
    plan_only = {"HTTPRoute/a/one": ServiceInstance(stack="dev", name="one-a"),
                 "HTTPRoute/a/two": ServiceInstance(stack="dev", name="two-a", id="svc-0000000000000002b")}
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("list_services", {"items": [{"id": "svc-0000000000000001a", "name": "one-a"}]}, {})
        stub.add_response("get_service", _service_answer("svc-0000000000000001a", "one-a",
                                                         customDomainName="one.example.com"),
                          {"serviceIdentifier": "svc-0000000000000001a"})
        stub.add_client_error("get_service", "ResourceNotFoundException", "no such service", 404,
                              expected_params={"serviceIdentifier": "svc-0000000000000002b"})
        updated, notes = with_lattice(plan_only, client)
        stub.assert_no_pending_responses()
    one = updated["HTTPRoute/a/one"]
    assert (one.id, one.status, one.custom_domain, one.source) == ("svc-0000000000000001a", "ACTIVE",
                                                                   "one.example.com", "api")
    assert one.dns_name.startswith("one-a.")
    assert updated["HTTPRoute/a/two"] == plan_only["HTTPRoute/a/two"]  # kept as it was
    assert notes == ["dev: HTTPRoute/a/two: service two-a not found in VPC Lattice"]


def test_an_api_refusal_is_a_note_and_the_offline_values_stay():
    offline = {"HTTPRoute/a/one": ServiceInstance(stack="dev", name="one-a", id="svc-0000000000000001a")}
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("get_service", "AccessDeniedException", "not allowed", 403)
        updated, notes = with_lattice(offline, client)
    assert updated == offline
    assert "AccessDeniedException" in notes[0] and "HTTPRoute/a/one" in notes[0]


# --- rendering ----------------------------------------------------------------------------

def _hostile_directory() -> Directory:
    instance = ServiceInstance(stack="dev\x1b[8m", name=HOSTILE_NAME, custom_domain="a.example.com<b>",
                               shared_with=("111122223333",), networks=("edge",), backend_kinds=("IP",))
    return Directory(entries=(DirectoryEntry("HTTPRoute/shop/" + HOSTILE_NAME, (instance,)),),
                     notes=("dev: <i>note</i>",))


def test_html_escapes_every_value_and_references_nothing_outside():
    page = render_html(_hostile_directory())
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "evil&lt;script&gt;" in page
    for reference in ("http://", "https://", "src=", "href=", "@import", "url("):
        assert reference not in page


def test_the_table_shows_control_characters_as_escapes():
    text = render_table(_hostile_directory())
    assert "\x1b" not in text and "\\x1b" in text
    assert "111122223333" in text and "1 service(s) in 1 stack(s)" in text


def test_json_holds_every_field():
    document = json.loads(render_json(directory([StackView("dev", _hand_made_plan())])))
    instance = document["services"][0]["instances"][0]
    assert instance["backendKinds"] == ["IP", "LAMBDA", "external"] and instance["sharedWith"] == ["111122223333"]
    assert document["services"][0]["stacks"] == ["dev"]


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: List[Dict[str, str]] = []
        self.cells: List[str] = []
        self.elements: set = set()

    def handle_starttag(self, tag, attrs):
        self.elements.add(tag)
        if tag == "tr" and dict(attrs).get("data-route"):
            self.rows.append(dict(attrs))

    def handle_data(self, data):
        self.cells.append(data)


@needs_chromium
def test_the_page_in_headless_chromium_shows_every_service(repo_views, tmp_path: Path):
    found = directory(repo_views)
    page = tmp_path / "services.html"
    page.write_text(render_html(found))
    dom = _Rows()
    dom.feed(dump_dom(page, tmp_path / "profile"))
    shown = {(row["data-route"], row["data-stack"]) for row in dom.rows}
    expected = {(e.route, i.stack) for e in found.entries for i in e.instances}
    assert expected and shown == expected
    for entry in found.entries:
        for instance in entry.instances:
            assert instance.name in dom.cells, f"{instance.name} is not in the page"
    assert "script" not in dom.elements
