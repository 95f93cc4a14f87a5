"""The aws provider double (tests/support/aws_provider) against the VPC Lattice emulator.

The unit tests call the Provider's methods the way the engine does (check, then
create or diff/update; read; delete) with property maps as the experimental server
unmarshals them. The last test runs the real Pulumi engine, which loads the double as
its ``aws`` plugin.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Optional

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    InvokeRequest,
    PropertyDiffKind,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2_grpc

from tests.support.aws_provider import install_plugin, plugin_version
from tests.support.aws_provider.provider import AwsProviderDouble
from tests.support.aws_provider.values import UNKNOWN, plain_map, property_map
from tests.support.engines import engine_bin_dir
from tests.support.lattice_emulator import LatticeEmulator

REPO = Path(__file__).resolve().parents[2]
VPC = "vpc-0123456789abcdef0"
SG_A, SG_B = "sg-0123456789abcdef0", "sg-0fedcba9876543210"
LOGS = "arn:aws:logs:us-west-2:123456789012:log-group:/lattice/access"
LOGS_2 = "arn:aws:logs:us-west-2:123456789012:log-group:/lattice/other"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]}


def token(module: str, name: str) -> str:
    return f"aws:vpclattice/{module}:{name}"


SERVICE_NETWORK = token("serviceNetwork", "ServiceNetwork")
VPC_ASSOCIATION = token("serviceNetworkVpcAssociation", "ServiceNetworkVpcAssociation")
SERVICE = token("service", "Service")
SERVICE_ASSOCIATION = token("serviceNetworkServiceAssociation", "ServiceNetworkServiceAssociation")
LISTENER = token("listener", "Listener")
RULE = token("listenerRule", "ListenerRule")
TARGET_GROUP = token("targetGroup", "TargetGroup")
AUTH_POLICY = token("authPolicy", "AuthPolicy")
ACCESS_LOG = token("accessLogSubscription", "AccessLogSubscription")


class Resource:
    def __init__(self, typ: str, name: str, inputs: dict, resource_id: str, state: dict) -> None:
        self.type, self.name, self.inputs, self.id, self.state = typ, name, inputs, resource_id, state

    @property
    def urn(self) -> str:
        return urn(self.type, self.name)


def urn(typ: str, name: str) -> str:
    return f"urn:pulumi:test::lattice::{typ}::{name}"


class Driver:
    """Calls the provider as the engine would, with plain values in and out."""

    def __init__(self, provider: AwsProviderDouble) -> None:
        self.provider = provider

    def run(self, coro):
        return asyncio.run(coro)

    def check(self, typ: str, name: str, inputs: dict, olds: Optional[dict] = None):
        return self.run(self.provider.check(CheckRequest(urn(typ, name), property_map(olds or {}), property_map(inputs), b"seed")))

    def checked(self, typ: str, name: str, inputs: dict, olds: Optional[dict] = None) -> dict:
        response = self.check(typ, name, inputs, olds)
        assert not response.failures, [(f.property, f.reason) for f in response.failures]
        return plain_map(response.inputs)

    def create(self, typ: str, name: str, inputs: dict, preview: bool = False) -> Resource:
        checked = self.checked(typ, name, inputs)
        response = self.run(self.provider.create(CreateRequest(urn(typ, name), property_map(checked), 60, preview)))
        return Resource(typ, name, checked, response.resource_id, plain_map(response.properties))

    def diff(self, resource: Resource, inputs: dict):
        checked = self.checked(resource.type, resource.name, inputs, resource.inputs)
        return self.run(self.provider.diff(DiffRequest(
            resource.urn, resource.id, property_map(resource.state), property_map(checked), [])))

    def update(self, resource: Resource, inputs: dict) -> Resource:
        checked = self.checked(resource.type, resource.name, inputs, resource.inputs)
        response = self.run(self.provider.update(UpdateRequest(
            resource.urn, resource.id, property_map(resource.state), property_map(checked), 60, [], False)))
        return Resource(resource.type, resource.name, checked, resource.id, plain_map(response.properties))

    def read(self, resource: Resource):
        response = self.run(self.provider.read(ReadRequest(
            resource.urn, resource.id, property_map(resource.state), property_map(resource.inputs))))
        return response.resource_id, plain_map(response.properties), plain_map(response.inputs)

    def delete(self, resource: Resource) -> None:
        self.run(self.provider.delete(DeleteRequest(resource.urn, resource.id, property_map(resource.state), 60)))


@pytest.fixture
def emu():
    with LatticeEmulator() as emulator:
        yield emulator


@pytest.fixture
def driver(emu, monkeypatch):
    for key in ("AWS_ENDPOINT_URL_VPC_LATTICE", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    provider = AwsProviderDouble(plugin_version())
    # As the engine passes the default provider's stack config: strings, lists as JSON.
    config = {"region": "us-west-2", "skipCredentialsValidation": "true",
              "endpoints": json.dumps([{"vpclattice": emu.url}]), "version": plugin_version()}
    asyncio.run(provider.configure(ConfigureRequest({}, property_map(config), True, True)))
    return Driver(provider)


# ----------------------------------------------------------------- scenarios


def _network(d: Driver) -> Resource:
    return d.create(SERVICE_NETWORK, "net", {"name": "shop-net", "authType": "NONE"})


def _service(d: Driver) -> Resource:
    return d.create(SERVICE, "svc", {"name": "shop", "authType": "NONE", "tags": {"team": "web"}})


def _target_group(d: Driver, name: str = "shop-tg") -> Resource:
    return d.create(TARGET_GROUP, name, {"name": name, "type": "IP", "config": {
        "port": 8080, "protocol": "HTTP", "vpcIdentifier": VPC, "ipAddressType": "IPV4",
        "healthCheck": {"enabled": True, "path": "/healthz", "matcher": {"value": "200"}}}})


def _listener(d: Driver, service: Resource, group: Resource) -> Resource:
    return d.create(LISTENER, "http", {
        "name": "http", "protocol": "HTTP", "port": 80, "serviceIdentifier": service.id,
        "defaultAction": {"forwards": [{"targetGroups": [{"targetGroupIdentifier": group.id, "weight": 100}]}]}})


def _rule_inputs(service: Resource, listener: Resource, group: Resource, weight: int = 10) -> dict:
    return {"name": "api", "priority": 10, "serviceIdentifier": service.id,
            "listenerIdentifier": listener.state["listenerId"],
            "match": {"httpMatch": {"pathMatch": {"caseSensitive": True, "match": {"prefix": "/api"}}}},
            "action": {"forward": {"targetGroups": [{"targetGroupIdentifier": group.id, "weight": weight}]}}}


def scenario(kind: str, d: Driver) -> tuple[str, dict, dict, Callable[[dict], Any], Any]:
    """(type, inputs, changed inputs, read the changed value from the inventory, expected)."""
    if kind == "ServiceNetwork":
        inputs = {"name": "shop-net", "authType": "NONE"}
        return SERVICE_NETWORK, inputs, {**inputs, "authType": "AWS_IAM"}, lambda r: r["authType"], "AWS_IAM"
    if kind == "ServiceNetworkVpcAssociation":
        net = _network(d)
        inputs = {"serviceNetworkIdentifier": net.id, "vpcIdentifier": VPC, "securityGroupIds": [SG_A]}
        return VPC_ASSOCIATION, inputs, {**inputs, "securityGroupIds": [SG_B]}, lambda r: r["securityGroupIds"], [SG_B]
    if kind == "Service":
        inputs = {"name": "shop", "authType": "NONE"}
        return SERVICE, inputs, {**inputs, "authType": "AWS_IAM"}, lambda r: r["authType"], "AWS_IAM"
    if kind == "ServiceNetworkServiceAssociation":
        net, svc = _network(d), _service(d)
        inputs = {"serviceIdentifier": svc.id, "serviceNetworkIdentifier": net.id, "tags": {"a": "1"}}
        return SERVICE_ASSOCIATION, inputs, {**inputs, "tags": {"a": "2"}}, lambda r: r["tags"], {"a": "2"}
    if kind == "Listener":
        svc = _service(d)
        inputs = {"name": "http", "protocol": "HTTP", "port": 80, "serviceIdentifier": svc.id,
                  "defaultAction": {"fixedResponse": {"statusCode": 404}}}
        changed = {**inputs, "defaultAction": {"fixedResponse": {"statusCode": 503}}}
        return LISTENER, inputs, changed, lambda r: r["defaultAction"], {"fixedResponse": {"statusCode": 503}}
    if kind == "ListenerRule":
        svc, group = _service(d), _target_group(d)
        listener = _listener(d, svc, group)
        inputs = _rule_inputs(svc, listener, group)
        return RULE, inputs, _rule_inputs(svc, listener, group, weight=20), \
            lambda r: r["action"]["forward"]["targetGroups"][0]["weight"], 20
    if kind == "TargetGroup":
        inputs = {"name": "shop-tg", "type": "IP", "config": {
            "port": 8080, "protocol": "HTTP", "vpcIdentifier": VPC, "healthCheck": {"path": "/healthz"}}}
        changed = {**inputs, "config": {**inputs["config"], "healthCheck": {"path": "/ready"}}}
        return TARGET_GROUP, inputs, changed, lambda r: r["config"]["healthCheck"]["path"], "/ready"
    if kind == "AuthPolicy":
        svc = d.create(SERVICE, "svc", {"name": "shop", "authType": "AWS_IAM"})
        inputs = {"resourceIdentifier": svc.id, "policy": json.dumps(POLICY)}
        tighter = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
        changed = {**inputs, "policy": json.dumps(tighter)}
        return AUTH_POLICY, inputs, changed, lambda r: json.loads(r["policy"]), tighter
    if kind == "AccessLogSubscription":
        svc = _service(d)
        inputs = {"resourceIdentifier": svc.state["arn"], "destinationArn": LOGS}
        return ACCESS_LOG, inputs, {**inputs, "destinationArn": LOGS_2}, lambda r: r["destinationArn"], LOGS_2
    raise KeyError(kind)


def _inventory_entry(emu: LatticeEmulator, kind: str, resource: Resource) -> Optional[dict]:
    api_kind = {"ListenerRule": "Rule"}.get(kind, kind)
    entries = emu.inventory()[api_kind]
    key = resource.id.rsplit("/", 1)[-1]
    return entries.get(key)


KINDS = ["ServiceNetwork", "ServiceNetworkVpcAssociation", "Service", "ServiceNetworkServiceAssociation",
         "Listener", "ListenerRule", "TargetGroup", "AuthPolicy", "AccessLogSubscription"]


@pytest.mark.parametrize("kind", KINDS)
def test_create_read_update_delete(kind, driver, emu):
    typ, inputs, changed, read_changed, expected = scenario(kind, driver)

    resource = driver.create(typ, kind.lower(), inputs)
    assert resource.id
    assert _inventory_entry(emu, kind, resource) is not None
    assert driver.diff(resource, inputs).changes is False, "an unchanged program must diff to nothing"

    read_id, state, read_inputs = driver.read(resource)
    assert read_id == resource.id
    assert {k: state[k] for k in resource.state} == resource.state
    assert driver.run(driver.provider.diff(DiffRequest(
        resource.urn, read_id, property_map(state), property_map(resource.inputs), []))).changes is False

    diff = driver.diff(resource, changed)
    assert diff.changes is True and diff.replaces == [], (diff.diffs, diff.replaces)
    updated = driver.update(resource, changed)
    assert read_changed(_inventory_entry(emu, kind, resource)) == expected
    assert driver.diff(updated, changed).changes is False

    driver.delete(updated)
    assert _inventory_entry(emu, kind, resource) is None
    driver.delete(updated)  # already gone: still a success
    assert driver.read(updated)[0] == ""


def test_outputs_our_program_reads(driver):
    service = driver.create(SERVICE, "svc", {"name": "shop", "customDomainName": "shop.example.com",
                                             "certificateArn": "arn:aws:acm:us-west-2:123456789012:certificate/abc"})
    assert service.state["arn"].endswith(f":service/{service.id}")
    [entry] = service.state["dnsEntries"]
    assert set(entry) == {"domainName", "hostedZoneId"} and entry["domainName"]
    assert service.state["customDomainName"] == "shop.example.com"
    assert service.state["status"] == "ACTIVE"

    group = _target_group(driver)
    assert group.id.startswith("tg-") and group.state["arn"].endswith(group.id)
    listener = _listener(driver, service, group)
    assert listener.id == f"{service.id}/{listener.state['listenerId']}"
    assert listener.state["serviceArn"] == service.state["arn"]
    rule = driver.create(RULE, "api", _rule_inputs(service, listener, group))
    assert rule.id == f"{service.id}/{listener.state['listenerId']}/{rule.state['ruleId']}"
    policy = driver.create(AUTH_POLICY, "policy", {"resourceIdentifier": service.id, "policy": json.dumps(POLICY)})
    assert policy.id == service.id  # an auth policy's ID is the resource it is on


def test_target_group_protocol_change_replaces_health_check_change_updates(driver):
    group = _target_group(driver)
    config = group.inputs["config"]

    protocol = driver.diff(group, {**group.inputs, "config": {**config, "protocol": "HTTPS"}})
    assert protocol.changes and protocol.replaces == ["config"] and protocol.delete_before_replace is False
    assert protocol.detailed_diff["config"].kind == PropertyDiffKind.UPDATE_REPLACE

    health = driver.diff(group, {**group.inputs, "config": {**config, "healthCheck": {**config["healthCheck"], "path": "/ready"}}})
    assert health.changes and health.replaces == [] and health.diffs == ["config"]
    assert health.detailed_diff["config"].kind == PropertyDiffKind.UPDATE

    assert driver.diff(group, {**group.inputs, "name": "other-tg"}).replaces == ["name"]
    assert driver.diff(group, {**group.inputs, "tags": {"a": "b"}}).replaces == []


def test_rule_weight_change_is_one_update(driver, emu):
    service, group = _service(driver), _target_group(driver)
    listener = _listener(driver, service, group)
    rule = driver.create(RULE, "api", _rule_inputs(service, listener, group, weight=10))

    heavier = _rule_inputs(service, listener, group, weight=90)
    diff = driver.diff(rule, heavier)
    assert diff.changes and diff.replaces == [] and diff.diffs == ["action"]
    assert diff.detailed_diff["action"].kind == PropertyDiffKind.UPDATE

    before = len(emu.mutating_calls)
    driver.update(rule, heavier)
    assert [op for op, _ in emu.mutating_calls[before:]] == ["UpdateRule"]
    [stored] = emu.inventory()["Rule"].values()
    assert stored["action"]["forward"]["targetGroups"][0]["weight"] == 90

    assert driver.diff(rule, {**heavier, "name": "other"}).replaces == ["name"]
    assert driver.diff(rule, {**heavier, "listenerIdentifier": "listener-0123456789abcdef0"}).replaces == ["listenerIdentifier"]


def test_preview_create_makes_no_api_call(driver, emu):
    before = list(emu.calls)
    preview = driver.create(SERVICE, "svc", {"name": "shop"}, preview=True)
    listener = driver.create(LISTENER, "http", {
        "name": "http", "protocol": "HTTP", "serviceIdentifier": rpc.UNKNOWN,
        "defaultAction": {"fixedResponse": {"statusCode": 404}}}, preview=True)

    assert emu.calls == before
    assert preview.id == "" and preview.state["name"] == "shop"
    for computed in ("arn", "dnsEntries", "status", "authType"):
        assert preview.state[computed] is UNKNOWN
    assert listener.state["listenerId"] is UNKNOWN and listener.state["serviceIdentifier"] is UNKNOWN
    # On the wire an unknown is the engine's sentinel string.
    assert property_map(preview.state)["arn"].value == rpc.UNKNOWN


def test_preview_update_makes_no_api_call(driver, emu):
    service = _service(driver)
    before = list(emu.calls)
    checked = driver.checked(SERVICE, "svc", {**service.inputs, "authType": "AWS_IAM"}, service.inputs)
    response = driver.run(driver.provider.update(UpdateRequest(
        service.urn, service.id, property_map(service.state), property_map(checked), 60, [], True)))
    assert emu.calls == before
    assert plain_map(response.properties)["authType"] == "AWS_IAM"


def test_check_defaults_and_failures(driver):
    listener = driver.checked(LISTENER, "http", {"name": "http", "protocol": "HTTP", "serviceIdentifier": "svc-1",
                                                 "tags": {"team": "web"},
                                                 "defaultAction": {"forwards": [{"targetGroups": [{"targetGroupIdentifier": "tg-1"}]}]}})
    assert listener["tagsAll"] == {"team": "web"}
    assert listener["defaultAction"]["forwards"][0]["targetGroups"][0]["weight"] == 100

    named = driver.checked(TARGET_GROUP, "web", {"type": "IP"})
    assert named["name"].startswith("web-") and named["name"] == driver.checked(TARGET_GROUP, "web", {"type": "IP"})["name"]
    assert driver.checked(TARGET_GROUP, "web", {"type": "IP"}, olds={"name": "web-kept"})["name"] == "web-kept"

    missing = driver.check(RULE, "r", {"name": "api"})
    assert {f.property for f in missing.failures} >= {"action", "match", "priority", "serviceIdentifier", "listenerIdentifier"}
    no_service = driver.check(LISTENER, "l", {"protocol": "HTTP", "defaultAction": {"fixedResponse": {"statusCode": 404}}})
    assert [f.property for f in no_service.failures] == ["serviceIdentifier"]

    unknown = driver.check("aws:s3/bucket:Bucket", "b", {})
    assert "'aws:s3/bucket:Bucket' is not implemented" in unknown.failures[0].reason
    with pytest.raises(ValueError, match="aws:s3/bucket:Bucket"):
        driver.run(driver.provider.create(CreateRequest(urn("aws:s3/bucket:Bucket", "b"), {}, 60, False)))


def test_default_tags_reach_tags_all_and_the_api(emu, driver):
    config = {"region": "us-west-2", "endpoints": [{"vpclattice": emu.url}], "defaultTags": {"tags": {"owner": "ops"}}}
    driver.run(driver.provider.configure(ConfigureRequest({}, property_map(config), True, True)))
    network = driver.create(SERVICE_NETWORK, "net", {"name": "shop-net", "tags": {"team": "web"}})
    assert network.state["tags"] == {"team": "web"}
    assert network.state["tagsAll"] == {"owner": "ops", "team": "web"}
    assert emu.inventory()["ServiceNetwork"][network.id]["tags"] == {"owner": "ops", "team": "web"}


def test_read_of_a_resource_deleted_elsewhere_is_gone(driver, emu):
    network = _network(driver)
    emu.client().delete_service_network(serviceNetworkIdentifier=network.id)
    assert driver.read(network) == ("", {}, {})


def test_import_reads_everything_from_the_id(driver):
    service, group = _service(driver), _target_group(driver)
    listener = _listener(driver, service, group)
    rule = driver.create(RULE, "api", _rule_inputs(service, listener, group))
    imported = Resource(RULE, "api", {}, rule.id, {})
    read_id, state, inputs = driver.read(imported)
    assert read_id == rule.id
    assert inputs["serviceIdentifier"] == service.id and inputs["listenerIdentifier"] == listener.state["listenerId"]
    assert inputs["priority"] == 10 and state["ruleId"] == rule.state["ruleId"]


def test_secret_inputs_stay_secret(driver):
    service = _service(driver)
    checked = driver.checked(AUTH_POLICY, "policy", {"resourceIdentifier": service.id, "policy": json.dumps(POLICY)})
    props = property_map(checked, secrets={"policy"})
    response = driver.run(driver.provider.create(CreateRequest(urn(AUTH_POLICY, "policy"), props, 60, False)))
    assert response.properties["policy"].is_secret and not response.properties["resourceIdentifier"].is_secret


def test_invokes(driver):
    def call(tok: str, args: Optional[dict] = None) -> dict:
        return plain_map(driver.run(driver.provider.invoke(InvokeRequest(tok, property_map(args or {})))).return_value)

    region = call("aws:index/getRegion:getRegion")
    assert region["name"] == region["region"] == "us-west-2" and region["description"] == "US West (Oregon)"
    assert call("aws:index/getCallerIdentity:getCallerIdentity")["accountId"] == "123456789012"
    assert call("aws:index/getPartition:getPartition") == {
        "id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}
    with pytest.raises(ValueError, match="aws:s3/getBucket:getBucket"):
        call("aws:s3/getBucket:getBucket")


def test_installed_plugin_serves_its_version(tmp_path):
    launcher = install_plugin(tmp_path / "home")
    assert launcher == tmp_path / "home" / "plugins" / f"resource-aws-v{plugin_version()}" / "pulumi-resource-aws"
    assert plugin_version() == "7.51.1" and os.access(launcher, os.X_OK)
    proc = subprocess.Popen([str(launcher), "127.0.0.1:1"], stdout=subprocess.PIPE, cwd=tmp_path,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    try:
        port = proc.stdout.readline().decode().strip()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = provider_pb2_grpc.ResourceProviderStub(channel).GetPluginInfo(empty_pb2.Empty(), timeout=10)
        assert info.version == "7.51.1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ------------------------------------------------------------- the real engine


def _lattice_program(weight: Callable[[], int]) -> Callable[[], None]:
    import pulumi
    import pulumi_aws
    import pulumi_aws.vpclattice as lattice

    def program() -> None:
        lattice.ServiceNetwork("net", name="shop-net")
        service = lattice.Service("svc", name="shop")
        group = lattice.TargetGroup("tg", name="shop-tg", type="IP", config=lattice.TargetGroupConfigArgs(
            port=8080, protocol="HTTP", vpc_identifier=VPC))
        listener = lattice.Listener(
            "http", name="http", protocol="HTTP", port=80, service_identifier=service.id,
            default_action=lattice.ListenerDefaultActionArgs(
                fixed_response=lattice.ListenerDefaultActionFixedResponseArgs(status_code=404)))
        lattice.ListenerRule(
            "api", name="api", priority=10, service_identifier=service.id, listener_identifier=listener.listener_id,
            match=lattice.ListenerRuleMatchArgs(http_match=lattice.ListenerRuleMatchHttpMatchArgs(
                path_match=lattice.ListenerRuleMatchHttpMatchPathMatchArgs(
                    match=lattice.ListenerRuleMatchHttpMatchPathMatchMatchArgs(prefix="/api")))),
            action=lattice.ListenerRuleActionArgs(forward=lattice.ListenerRuleActionForwardArgs(target_groups=[
                lattice.ListenerRuleActionForwardTargetGroupArgs(target_group_identifier=group.id, weight=weight())])))
        pulumi.export("dnsName", service.dns_entries[0].domain_name)
        pulumi.export("region", pulumi_aws.get_region().region)

    return program


@pytest.mark.needs_pulumi_cli
def test_real_engine_loads_the_double_as_the_aws_plugin(tmp_path, emu):
    """up creates, a second up changes nothing, a weight change is one update, destroy
    empties the emulator; all through the real engine, with nothing downloaded.

    No pulumi-language-python is built here (tools/engines.py cannot get it), so the
    program is an Automation API inline program: the CLI runs ``pulumi up --client=...``
    against the language server the Automation API serves in this process.
    """
    from pulumi import automation as auto

    bindir = engine_bin_dir("pulumi")
    home, state, work = tmp_path / "home", tmp_path / "state", tmp_path / "project"
    state.mkdir()
    work.mkdir()
    install_plugin(home)
    env = {
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": "test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_ENDPOINT_URL_VPC_LATTICE": emu.url,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_REGION": "us-west-2",
    }
    weight = {"value": 10}
    stack = auto.create_or_select_stack(
        "dev", project_name="lattice-double", program=_lattice_program(lambda: weight["value"]),
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(work), pulumi_home=str(home), env_vars=env,
            pulumi_command=auto.PulumiCommand(root=str(bindir.parent)),
            project_settings=auto.ProjectSettings(name="lattice-double", runtime="python")))
    stack.set_all_config({"aws:region": auto.ConfigValue("us-west-2"),
                          "aws:skipCredentialsValidation": auto.ConfigValue("true")})

    assert stack.preview().change_summary == {"create": 6}
    assert emu.calls == [], "a preview must not call the API"

    first = stack.up()
    assert first.summary.resource_changes == {"create": 6}
    counts = {kind: len(items) for kind, items in emu.inventory().items() if items}
    assert counts == {"ServiceNetwork": 1, "Service": 1, "TargetGroup": 1, "Listener": 1, "Rule": 1}
    assert first.outputs["dnsName"].value.startswith("shop-")
    assert first.outputs["region"].value == "us-west-2"  # an invoke, answered by the double

    assert stack.up().summary.resource_changes == {"same": 6}
    assert stack.refresh().summary.resource_changes == {"same": 6}

    weight["value"] = 20
    assert stack.preview().change_summary == {"same": 5, "update": 1}
    before = len(emu.mutating_calls)
    assert stack.up().summary.resource_changes == {"same": 5, "update": 1}
    assert [op for op, _ in emu.mutating_calls[before:]] == ["UpdateRule"]
    [rule] = emu.inventory()["Rule"].values()
    assert rule["action"]["forward"]["targetGroups"][0]["weight"] == 20

    assert stack.destroy().summary.resource_changes == {"delete": 6}
    assert {kind: items for kind, items in emu.inventory().items() if items} == {}
    # The engine used the installed plugin and fetched nothing beside it.
    assert sorted(p.name for p in (home / "plugins").iterdir() if p.is_dir()) == [f"resource-aws-v{plugin_version()}"]
