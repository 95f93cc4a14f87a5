"""Declared targets under Pulumi's mock runtime: one TargetGroupAttachment per target, under
the route, wired to its group's ID; LAMBDA groups registered with the config they take;
pod groups get no attachment.  Assertions are on what the mocks received and on outputs
awaited to their values."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from components.route import Route, RouteArgs
from components.specs import (DeclaredTarget, ForwardAction, HttpMatchSpec, ListenerSpec, PathMatchSpec, RouteSpec,
                              RuleSpec, ServiceSpec, TargetGroupSpec, WeightedTargetGroup)
from lattice_program.contract.pipeline import plan
from lattice_program.program.declare import declare
from lattice_program.sources.files import load_paths

from tests.support.plans import settings

ROOT = Path(__file__).resolve().parents[2]
TG = "aws:vpclattice/targetGroup:TargetGroup"
ATTACHMENT = "aws:vpclattice/targetGroupAttachment:TargetGroupAttachment"
ROUTE_KEY = "HTTPRoute/shop/checkout"
V1_GROUP = f"{ROUTE_KEY}/backend/shop/checkout-v1:80"
V2_GROUP = f"{ROUTE_KEY}/lattice-backend/shop/checkout-v2"
LAMBDA_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:checkout-v2"
INSTANCES = ("i-0123456789abcdef0", "i-0fedcba9876543210")


def test_the_example_declares_the_lambda_group_and_its_one_attachment(runtime):
    model = plan(load_paths([str(ROOT / "examples" / "checkout-lambda-ab")]), settings()).model
    handles = declare(model, settings=settings())
    mocks = runtime.settle()

    assert mocks.get(TG, V2_GROUP).inputs["type"] == "LAMBDA"
    assert mocks.get(TG, V2_GROUP).inputs["config"] == {"lambdaEventStructureVersion": "V2"}
    attachments = mocks.of_type(ATTACHMENT)
    assert set(attachments) == {f"{V2_GROUP}/target/{LAMBDA_ARN}"}  # none for the pods' group
    attachment = attachments[f"{V2_GROUP}/target/{LAMBDA_ARN}"]
    assert attachment.inputs == {"targetGroupIdentifier": f"id:{V2_GROUP}", "target": {"id": LAMBDA_ARN}}
    assert attachment.parent_urn.endswith(f"lattice:index:HTTPRoute::{ROUTE_KEY}")

    route = handles.routes[ROUTE_KEY]
    declared = route.target_attachments[V2_GROUP][LAMBDA_ARN]
    assert runtime.resolve(declared.target_group_identifier) == f"id:{V2_GROUP}"
    assert runtime.resolve(declared.target) == {"id": LAMBDA_ARN}
    assert set(route.target_attachments) == {V2_GROUP}
    # both groups' IDs are stack outputs; only the pods' group is in the targets the sync reads
    assert runtime.resolve(dict(handles.exports))["targetGroups"] == {V1_GROUP: f"id:{V1_GROUP}",
                                                                     V2_GROUP: f"id:{V2_GROUP}"}
    assert set(model.targets) == {V1_GROUP}


def test_an_instance_group_gets_one_attachment_per_instance_with_its_port(runtime):
    group = TargetGroupSpec(key="r/instances", name="web-instances", port=8080, protocol="HTTP",
                            protocol_version="HTTP1", vpc_identifier="vpc-0123456789abcdef0", ip_address_type=None,
                            type="INSTANCE", declared_targets=tuple(DeclaredTarget(i, 8080) for i in INSTANCES))
    forward = ForwardAction((WeightedTargetGroup("r/instances", 1),))
    spec = RouteSpec(key="HTTPRoute/shop/web", kind="HTTPRoute", service=ServiceSpec(name="web"),
                     target_groups=(group,),
                     listeners=(ListenerSpec(key="http-80", name="http-80", port=80, protocol="HTTP",
                                             default_action=forward,
                                             rules=(RuleSpec(key="all", name="all", priority=1,
                                                             match=HttpMatchSpec(path=PathMatchSpec("prefix", "/")),
                                                             action=forward),)),))
    route = Route(spec.key, RouteArgs(spec=spec, service_network_ids={}))
    mocks = runtime.settle()

    assert mocks.get(TG, "r/instances").inputs["config"] == {
        "port": 8080, "protocol": "HTTP", "protocolVersion": "HTTP1", "vpcIdentifier": "vpc-0123456789abcdef0"}
    received = {name: reg.inputs for name, reg in mocks.of_type(ATTACHMENT).items()}
    assert received == {f"r/instances/target/{i}:8080": {"targetGroupIdentifier": "id:r/instances",
                                                          "target": {"id": i, "port": 8080}} for i in INSTANCES}
    ids = pulumi.Output.all(*(a.id for a in route.target_attachments["r/instances"].values()))
    assert sorted(runtime.resolve(ids)) == sorted(f"id:r/instances/target/{i}:8080" for i in INSTANCES)


# --- through the real engine, the provider double and the Lattice emulator ----------------------


@pytest.mark.needs_pulumi_cli
def test_up_attaches_the_lambda_beside_the_pods_and_targets_sync_leaves_it_alone(real_pulumi, tmp_path):
    from tests.engine.test_real_engine import held, latticectl, project, summary

    root = project(tmp_path, "checkout-lambda-ab")
    args = ("--stack", "realtest", "--project-dir", str(root))
    latticectl("up", "--yes", *args)
    inventory = held(real_pulumi.emulator)
    groups = {group["type"]: group for group in inventory["TargetGroup"].values()}
    assert set(groups) == {"IP", "LAMBDA"}
    assert groups["LAMBDA"]["config"] == {"lambdaEventStructureVersion": "V2"}
    assert [t["id"] for t in groups["LAMBDA"]["targets"]] == [LAMBDA_ARN]
    assert groups["IP"]["targets"] == []  # pods come from the sync, not from Pulumi
    weights = {g["targetGroupIdentifier"]: g["weight"] for rule in inventory["Rule"].values()
               for g in rule["action"]["forward"]["targetGroups"]}
    assert weights == {groups["IP"]["id"]: 90, groups["LAMBDA"]["id"]: 10}

    assert set(summary(latticectl("up", "--yes", *args))) == {"same"}  # the attachment reads back as it is

    report = json.loads(latticectl("targets", "sync", *args, "--output", "json").stdout)
    assert report["ok"]
    client = real_pulumi.emulator.client()
    listed = {kind: sorted(t["id"] for t in client.list_targets(targetGroupIdentifier=group["id"])["items"])
              for kind, group in groups.items()}
    assert listed == {"IP": ["10.42.1.17", "10.42.2.31"], "LAMBDA": [LAMBDA_ARN]}

    latticectl("destroy", "--yes", *args)
    assert held(real_pulumi.emulator) == {}
