"""``latticectl adopt`` through the real Pulumi engine, the provider double and the emulator
seeded as the AWS controller leaves an account: imports with protect, retags, a second
adopt is a no-op, an interrupted adopt is finished by running it again, and the first
``up`` after it creates, replaces and deletes nothing that matched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from lattice_program.adopt.handover import AdoptError, AdoptRequest, adopt as run_adopt
from lattice_program.adopt.inventory import read_inventory
from lattice_program.adopt.ownership import parse_managed_by
from lattice_program.sources.files import load_paths
from lattice_program.vocabulary.settings import StackSettings
from tests.adopt.controller_seed import CONTROLLER, MANAGED_BY_KEY, MANIFESTS, OTHER_CLUSTER, VPC, seed
from tests.support.engines import REPO, RealPulumi

pytestmark = pytest.mark.needs_pulumi_cli
runner = CliRunner()
STACK = "hotel"
OURS = f"lattice-gateway/lattice-gateway/{STACK}"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "manifests").mkdir()
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "manifests" / "hotel.yaml").write_text(MANIFESTS)
    config = {"aws:region": "us-west-2", "aws:skipCredentialsValidation": True,
              "lattice-gateway:vpcId": VPC, "lattice-gateway:clusterName": "hotel",
              "lattice-gateway:sources": ["manifests"]}
    (root / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}))
    return root


def latticectl(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def adopt(root: Path, *extra: str, code: int = 0) -> Dict[str, Any]:
    result = latticectl("adopt", "--stack", STACK, "--managed-by", CONTROLLER, "--project-dir", str(root),
                        "--output", "json", *extra, code=code)
    return json.loads(result.stdout)


def steps(outcome: Dict[str, Any]) -> Dict[str, str]:
    return {step["step"]: step["status"] for step in outcome["steps"]}


def mutations(emulator, since: int = 0) -> List[str]:
    return [op for op, _ in emulator.mutating_calls[since:]]


def live_ids(emulator) -> set:
    return {item_id for items in emulator.inventory().values() for item_id in items}


def test_adopt_then_the_first_up_creates_replaces_and_deletes_nothing_that_matched(real_pulumi: RealPulumi,
                                                                                  tmp_path: Path):
    root = project(tmp_path)
    emulator = real_pulumi.emulator
    client = emulator.client()
    seeded = seed(client)
    stack_file = root / "stacks" / f"Pulumi.{STACK}.yaml"
    settings_before = stack_file.read_text()
    start = len(emulator.mutating_calls)

    dry = adopt(root, "--dry-run")
    assert steps(dry) == {"record": "would", "import": "would", "retag": "would", "hand-over": "would"}
    assert mutations(emulator, start) == [] and stack_file.read_text() == settings_before
    assert list(real_pulumi.backend.rglob("*.json")) == []  # not even a stack created

    done = adopt(root)
    assert steps(done) == {"record": "done", "import": "done", "check": "done", "retag": "done", "hand-over": "done"}
    assert done["imports"] == dry["imports"] and len(done["imports"]) == 8
    imported = {item["id"].rsplit("/", 1)[-1] for item in done["imports"]}
    # AWS saw tags change and nothing else, and only on what was imported.
    calls = emulator.mutating_calls[start:]
    assert [op for op, _ in calls] == ["TagResource"] * len(imported)
    assert all(params["tags"] == {MANAGED_BY_KEY: OURS} for _, params in calls)
    assert {params["resourceArn"].rsplit("/", 1)[-1] for _, params in calls} == imported
    assert client.list_tags_for_resource(resourceArn=seeded.services["inventory"]["arn"])["tags"][MANAGED_BY_KEY] \
        == OTHER_CLUSTER
    config = yaml.safe_load(stack_file.read_text())["config"]
    assert config["lattice-gateway:serviceNetworks"]["my-hotel"]["existing"] == seeded.network["id"]
    recorded = config["lattice-gateway:adoption"]
    assert recorded["managedBy"] == OURS
    assert {r["id"] for r in recorded["resources"]} == {item["id"] for item in done["imports"]}
    assert {r["physicalName"] for r in recorded["resources"] if "physicalName" in r} >= {"rates-default"}

    settings_after = stack_file.read_text()
    again_start = len(emulator.mutating_calls)
    again = adopt(root)
    assert steps(again)["import"] == "already"
    assert mutations(emulator, again_start) == [] and stack_file.read_text() == settings_after

    before_up = live_ids(emulator)
    up_start = len(emulator.mutating_calls)
    latticectl("up", "--yes", "--stack", STACK, "--project-dir", str(root))
    up_calls = emulator.mutating_calls[up_start:]
    assert [op for op, _ in up_calls if op.startswith("Delete")] == []
    assert imported <= live_ids(emulator) and before_up <= live_ids(emulator)  # nothing replaced, nothing gone
    rates_service, rates_listener = seeded.services["rates"]["id"], seeded.listeners["rates"]["id"]
    # On the adopted listener, only the rules the report said were not found are created.
    rates = next(o for o in done["objects"] if o["object"] == "HTTPRoute/default/rates")
    missing_rules = [r for r in rates["resources"] if r["found"] is None and r["type"].endswith(":ListenerRule")]
    created_rules = [p for op, p in up_calls if op == "CreateRule" and p["listenerIdentifier"] == rates_listener]
    assert len(created_rules) == len(missing_rules) == 2
    assert [op for op, p in up_calls if op == "CreateService" and p["name"] == "rates-default"] == []
    names = {s["id"]: s["name"] for s in client.list_services()["items"]}
    assert names[rates_service] == "rates-default"  # the adopted name is kept
    assert client.list_tags_for_resource(resourceArn=seeded.services["rates"]["arn"])["tags"][MANAGED_BY_KEY] == OURS

    second_up = len(emulator.mutating_calls)
    latticectl("up", "--yes", "--stack", STACK, "--project-dir", str(root))
    assert mutations(emulator, second_up) == []


def test_an_interrupted_adopt_is_finished_by_running_it_again(real_pulumi: RealPulumi, tmp_path: Path):
    root = project(tmp_path)
    emulator = real_pulumi.emulator
    client = emulator.client()
    seed(client)
    start = len(emulator.mutating_calls)

    class DropsOut:
        """Fails on the third TagResource: the adopt stops half-way through retagging."""

        def __init__(self) -> None:
            self.tagged = 0

        def __getattr__(self, name):
            return getattr(client, name)

        def tag_resource(self, **params):
            self.tagged += 1
            if self.tagged == 3:
                from botocore.exceptions import EndpointConnectionError
                raise EndpointConnectionError(endpoint_url="https://vpc-lattice.us-west-2.amazonaws.com")
            return client.tag_resource(**params)

    settings = StackSettings(vpc_id=VPC, cluster_name="hotel", sources=["manifests"])
    request = AdoptRequest(stack=STACK, project_dir=root, controller=parse_managed_by(CONTROLLER),
                           objects={"hotel": load_paths([str(root / "manifests")])}, settings=settings)
    with pytest.raises(AdoptError, match="step 'retag'.*run the same adopt again"):
        run_adopt(request, DropsOut(), read_inventory(client))
    half = [p["resourceArn"] for op, p in emulator.mutating_calls[start:] if op == "TagResource"]
    assert len(half) == 2

    finished = adopt(root)
    assert steps(finished) == {"record": "already", "import": "done", "check": "done", "retag": "done",
                               "hand-over": "done"}
    tagged = [p["resourceArn"] for op, p in emulator.mutating_calls[start:] if op == "TagResource"]
    assert len(tagged) == len(finished["imports"]) and set(half) <= set(tagged)
    assert all(client.list_tags_for_resource(resourceArn=arn)["tags"][MANAGED_BY_KEY] == OURS for arn in tagged)
    assert [op for op in mutations(emulator, start) if op != "TagResource"] == []



def test_a_resource_gone_before_its_import_stops_adopt_and_more_found_later_is_recorded(real_pulumi: RealPulumi,
                                                                                        tmp_path: Path):
    root = project(tmp_path)
    emulator = real_pulumi.emulator
    client = emulator.client()
    seeded = seed(client)
    settings = StackSettings(vpc_id=VPC, cluster_name="hotel", sources=["manifests"])
    request = AdoptRequest(stack=STACK, project_dir=root, controller=parse_managed_by(CONTROLLER),
                           objects={"hotel": load_paths([str(root / "manifests")])}, settings=settings)
    inventory = read_inventory(client)
    # Someone deletes a rule and its target group after the read: their import cannot find them.
    client.delete_rule(serviceIdentifier=seeded.services["rates"]["id"],
                       listenerIdentifier=seeded.listeners["rates"]["id"], ruleIdentifier=seeded.rules["/review"]["id"])
    client.delete_target_group(targetGroupIdentifier=seeded.target_groups["rates/review"]["id"])
    start = len(emulator.mutating_calls)
    with pytest.raises(AdoptError, match="(?s)adopt stopped at step 'import': the pulumi CLI failed:.*"
                                         "run the same adopt again"):
        run_adopt(request, client, inventory)
    assert mutations(emulator, start) == []  # nothing retagged

    # The controller made a service for the checkout route since: adopting again (reading the
    # account anew) records it beside what was recorded, drops the two resources that are
    # gone (their import IDs would fail every later update), and finishes the import.
    checkout = client.create_service(name="checkout-default", tags={
        MANAGED_BY_KEY: CONTROLLER, "application-networking.k8s.aws/RouteName": "checkout",
        "application-networking.k8s.aws/RouteNamespace": "default", "application-networking.k8s.aws/RouteType": "http"})
    stack_file = root / "stacks" / f"Pulumi.{STACK}.yaml"
    before = yaml.safe_load(stack_file.read_text())["config"]["lattice-gateway:adoption"]["resources"]
    more = adopt(root)
    assert steps(more) == {"record": "done", "import": "done", "check": "done", "retag": "done", "hand-over": "done"}
    after = yaml.safe_load(stack_file.read_text())["config"]["lattice-gateway:adoption"]["resources"]
    assert [r for r in after if r not in before] == [
        {"type": "aws:vpclattice/service:Service", "logicalName": "HTTPRoute/default/checkout", "id": checkout["id"],
         "physicalName": "checkout-default"}]
    deleted = (seeded.rules["/review"]["id"], seeded.target_groups["rates/review"]["id"])
    dropped = [r for r in before if r not in after]
    assert len(dropped) == 2 and all(r["id"].endswith(deleted) for r in dropped)
    record_step = next(step for step in more["steps"] if step["step"] == "record")
    assert all(f"dropped {r['logicalName']}, whose resource {r['id']} no longer exists" in record_step["detail"]
               for r in dropped)
    assert len(after) == len(before) - 2 + 1 and len(more["imports"]) == 7
    assert client.list_tags_for_resource(resourceArn=checkout["arn"])["tags"][MANAGED_BY_KEY] == OURS
