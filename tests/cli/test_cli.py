"""latticectl through typer's CliRunner: plan output, exit codes, bad input, no pulumi."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.support.automation_double import answer_operations
from tests.support.plans import ref_to, referenced_name

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "examples" / "checkout-ab"
runner = CliRunner()


def plan_json(*args: str, input: str | None = None) -> dict:
    result = runner.invoke(app, ["plan", *args, "--output", "json"], input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_plan_checkout_example_json_contract():
    document = plan_json(str(CHECKOUT), "--vpc-id", "vpc-0a1b2c3d4e5f60789")
    types = [r["type"] for r in document["resources"]]
    assert types.count("aws:vpclattice/listenerRule:ListenerRule") == 4  # PathPrefix /checkout: exact + prefix
    assert types.count("aws:vpclattice/targetGroup:TargetGroup") == 2
    assert "lattice:index:HTTPRoute" in types and "lattice:index:Gateway" in types
    rules = {r["inputs"]["name"].rsplit("-", 1)[0]: r for r in document["resources"]
             if r["type"] == "aws:vpclattice/listenerRule:ListenerRule"}
    split = rules["split"]["inputs"]
    weights = [g["weight"] for g in split["action"]["forward"]["targetGroups"]]
    assert weights == [90, 10]
    resources = document["resources"]
    assert all(referenced_name(resources, g["targetGroupIdentifier"]).startswith("HTTPRoute/shop/checkout/backend/")
               for g in split["action"]["forward"]["targetGroups"])
    assert split["listenerIdentifier"] == ref_to(resources, "Listener", "HTTPRoute/shop/checkout/http-80")
    assert rules["pinned-to-b"]["inputs"]["priority"] < split["priority"]
    groups = [r for r in document["resources"] if r["type"] == "aws:vpclattice/targetGroup:TargetGroup"]
    assert {g["inputs"]["config"]["vpcIdentifier"] for g in groups} == {"vpc-0a1b2c3d4e5f60789"}
    # Terminating endpoint 10.42.3.8 is not a target; ports are the endpoints' ports.
    assert sorted((t["id"], t["port"]) for t in document["targets"]) == [
        ("10.42.1.17", 8080), ("10.42.2.31", 8080), ("10.42.4.5", 8080)]
    route = next(o for o in document["objects"] if o["kind"] == "HTTPRoute")
    assert route["parents"][0]["controllerName"] == "application-networking.k8s.aws/gateway-api-controller"
    conditions = {c["type"]: c for c in route["parents"][0]["conditions"]}
    assert conditions["Accepted"]["status"] == "True"
    assert conditions["ResolvedRefs"]["status"] == "True"
    assert not [p for p in document["problems"] if p["severity"] == "error"]


def test_plan_tree_output_names_resources_and_status():
    result = runner.invoke(app, ["plan", str(CHECKOUT)])
    assert result.exit_code == 0, result.output
    assert "Rule pinned-to-b" in result.stdout
    assert "forward 90 to checkout-v1" in result.stdout
    assert "target 10.42.4.5:8080" in result.stdout
    assert "placeholder vpc-00000000000000000" in result.stdout


def test_plan_reads_stack_settings():
    document = plan_json(str(CHECKOUT), "--stack", "dev")
    groups = [r for r in document["resources"] if r["type"] == "aws:vpclattice/targetGroup:TargetGroup"]
    assert groups and all(g["inputs"]["config"]["vpcIdentifier"] == "vpc-0a1b2c3d4e5f60789" for g in groups)
    assert all(g["inputs"]["tags"]["environment"] == "dev" for g in groups)


def test_plan_from_stdin():
    text = "\n---\n".join(p.read_text() for p in sorted(CHECKOUT.glob("*.yaml")))
    document = plan_json("-", input=text)
    assert len(document["targets"]) == 3


def test_malformed_yaml_exits_2_with_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: [unclosed\n")
    result = runner.invoke(app, ["plan", str(bad)])
    assert result.exit_code == 2
    assert "malformed YAML" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.output


def test_missing_path_exits_2(tmp_path):
    result = runner.invoke(app, ["plan", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr


def test_unknown_stack_exits_2():
    result = runner.invoke(app, ["plan", str(CHECKOUT), "--stack", "no-such-stack"])
    assert result.exit_code == 2
    assert "no-such-stack" in result.stderr


def test_bad_vpc_id_exits_2():
    result = runner.invoke(app, ["plan", str(CHECKOUT), "--vpc-id", "vpc-XYZ"])
    assert result.exit_code == 2
    assert "not a VPC ID" in result.stderr


def test_unknown_kind_and_missing_fields_are_problems_not_failures(tmp_path):
    for source in CHECKOUT.glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "extra.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: broken, namespace: shop}\n"
        "spec:\n  parentRefs: [{name: storefront}]\n  rules:\n  - backendRefs: [{name: checkout-v1}]\n")
    document = plan_json(str(tmp_path))
    problems = {(p["object"]["name"] if p["object"] else None, p["field"]): p for p in document["problems"]}
    assert problems[("web", "kind")]["severity"] == "warning"
    broken = problems[("broken", "spec.rules[0].backendRefs[0].port")]
    assert broken["severity"] == "error" and "port is required" in broken["message"]
    # The valid route in the same input is still planned.
    assert any(r["name"] == "HTTPRoute/shop/checkout" for r in document["resources"])
    assert not any("broken" in r["name"] for r in document["resources"])


def test_route_whose_gateway_is_missing(tmp_path):
    (tmp_path / "route.yaml").write_text(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: orphan, namespace: shop}\n"
        "spec:\n  parentRefs: [{name: nowhere}]\n  rules:\n  - backendRefs: [{name: svc, port: 80}]\n")
    document = plan_json(str(tmp_path))
    route = next(o for o in document["objects"] if o["name"] == "orphan")
    accepted = route["parents"][0]["conditions"][0]
    assert (accepted["status"], accepted["reason"]) == ("False", "NoMatchingParent")
    assert "nowhere" in accepted["message"]
    assert not [r for r in document["resources"] if not r["type"].startswith("lattice:index:GatewayClass")]


def test_up_without_pulumi_says_how_to_install_and_exits_3(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "no-pulumi-home"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for command in (["up", "--stack", "dev"], ["preview", "--stack", "dev"], ["destroy", "--stack", "dev"],
                    ["targets", "sync", "--stack", "dev", str(CHECKOUT)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 3, (command, result.output)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "pulumi" in lines[0] and "install" in lines[0]


def test_help_does_not_import_pulumi_or_botocore():
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom cli.main import app\n"
            "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
            "heavy = sorted(m for m in ('pulumi', 'pulumi_aws', 'botocore', 'lattice_program.translate.translator') if m in sys.modules)\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("command", [["plan", "--help"], ["targets", "sync", "--help"], ["up", "--help"]])
def test_every_option_has_help(command):
    result = runner.invoke(app, command)
    assert result.exit_code == 0
    assert "--stack" in result.stdout


def test_targets_sync_registers_the_planned_endpoints_into_the_stack_groups(monkeypatch):
    """The whole command: stack outputs give the group IDs, the plan gives the members,
    and every request goes through botocore's Stubber (checked against the API model)."""
    import boto3
    from botocore.stub import Stubber

    from lattice_program.engine import automation

    v1, v2 = "tg-" + "1" * 17, "tg-" + "2" * 17
    outputs = {"targetGroups": {"HTTPRoute/shop/checkout/backend/shop/checkout-v1:80": v1,
                                "HTTPRoute/shop/checkout/backend/shop/checkout-v2:80": v2}}
    monkeypatch.setattr(automation, "find_pulumi", lambda explicit=None: "/usr/bin/pulumi")
    monkeypatch.setattr(automation, "read_stack_outputs", lambda target, **kw: outputs)
    client = boto3.client("vpc-lattice", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: client)
    with Stubber(client) as stub:
        # v1 has one stale member and one of the two wanted; v2 is empty.
        stub.add_response("list_targets", {"items": [{"id": "10.42.1.17", "port": 8080, "status": "HEALTHY"},
                                                     {"id": "10.42.9.9", "port": 8080, "status": "HEALTHY"}]},
                          {"targetGroupIdentifier": v1})
        stub.add_response("register_targets", {"successful": [{"id": "10.42.2.31", "port": 8080}], "unsuccessful": []},
                          {"targetGroupIdentifier": v1, "targets": [{"id": "10.42.2.31", "port": 8080}]})
        stub.add_response("deregister_targets", {"successful": [{"id": "10.42.9.9", "port": 8080}], "unsuccessful": []},
                          {"targetGroupIdentifier": v1, "targets": [{"id": "10.42.9.9", "port": 8080}]})
        stub.add_response("list_targets", {"items": []}, {"targetGroupIdentifier": v2})
        stub.add_response("register_targets", {"successful": [{"id": "10.42.4.5", "port": 8080}], "unsuccessful": []},
                          {"targetGroupIdentifier": v2, "targets": [{"id": "10.42.4.5", "port": 8080}]})
        result = runner.invoke(app, ["targets", "sync", "--stack", "dev", str(CHECKOUT), "--output", "json"])
        stub.assert_no_pending_responses()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dryRun"] is False and report["ok"] is True
    assert len(report["results"]) == 2


def _run_inline(target) -> list:
    """The inline program latticectl hands the engine, run under Pulumi's mocks with the
    stack's config as the CLI would pass it."""
    import pulumi

    from lattice_program.program.mock_plan import record_program

    def with_config() -> None:  # config lives in the program's own context, as under the engine
        pulumi.runtime.set_all_config({"lattice-gateway:vpcId": "vpc-0a1b2c3d4e5f60789",
                                       "lattice-gateway:sources": json.dumps(["examples/checkout-ab"])})
        target.program()

    return record_program(with_config)


def test_up_runs_the_stack_program_inline_with_the_previous_outputs(monkeypatch):
    """`latticectl up` reads the stack's outputs first and hands them to the program, so
    rule priorities already applied are kept (priorities.py); the program is the
    project's own, run in this process (no language host needed)."""
    from lattice_program.engine import automation

    previous = {"rulePriorities": {"HTTPRoute/shop/checkout/http-80": {"pinned-to-b": 500, "split": 700}}}
    seen = {}

    def run_operation(target, operation, **kwargs):
        seen.setdefault("operations", []).append(operation)
        seen["priorities"] = sorted(r.inputs["priority"] for r in _run_inline(target) if r.type.endswith("ListenerRule"))
        return automation.OperationResult(operation=operation, stack=target.stack, summary={"same": 9, "update": 1},
                                          outputs={}, stdout="")

    monkeypatch.setattr(automation, "find_pulumi", lambda explicit=None: "/usr/bin/pulumi")
    monkeypatch.setattr(automation, "read_stack_outputs", lambda target, **kw: previous)
    monkeypatch.setattr(automation, "run_operation", run_operation)
    result = runner.invoke(app, ["up", "--stack", "dev", "--yes"])
    assert result.exit_code == 0, result.output
    assert seen["operations"] == ["preview", "up"]
    # The applied rules keep 500 and 700; the exact half of each PathPrefix takes a free value before its rule.
    kept = seen["priorities"]
    assert 500 in kept and 700 in kept and len(kept) == 4 and kept[0] < 500 < kept[2] < 700
    assert "update 1" in result.stdout


def test_up_and_destroy_without_a_terminal_or_yes_change_nothing(monkeypatch):
    operations = answer_operations(monkeypatch, {"delete": 3})
    for command, preview in (("up", "preview"), ("destroy", "preview-destroy")):
        operations.clear()
        result = runner.invoke(app, [command, "--stack", "dev"])
        assert result.exit_code == 2, result.output
        assert "no terminal to ask" in result.output and "--yes" in result.output
        assert operations == [preview]  # previewed, never applied


def test_a_protected_stack_is_destroyed_only_with_its_name(monkeypatch, tmp_path):
    from lattice_program.engine import automation

    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: lattice-gateway\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text("config:\n  lattice-gateway:protect: true\n")
    operations = []

    def run_operation(target, operation, **kwargs):
        operations.append(operation)
        return automation.OperationResult(operation=operation, stack=target.stack, summary={"delete": 12},
                                          outputs={}, stdout="")

    monkeypatch.setattr(automation, "find_pulumi", lambda explicit=None: "/usr/bin/pulumi")
    monkeypatch.setattr(automation, "run_operation", run_operation)
    refused = runner.invoke(app, ["destroy", "--stack", "prod", "--yes", "--project-dir", str(tmp_path)])
    assert refused.exit_code == 2 and "protected" in refused.output  # --yes is not enough
    assert operations == ["preview-destroy"]
    wrong = runner.invoke(app, ["destroy", "--stack", "prod", "--confirm-stack", "dev", "--project-dir", str(tmp_path)])
    assert wrong.exit_code == 2
    operations.clear()
    done = runner.invoke(app, ["destroy", "--stack", "prod", "--confirm-stack", "prod", "--output", "json",
                               "--project-dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert operations == ["preview-destroy", "destroy"]
    assert json.loads(done.stdout)["applied"] is True


def test_preview_of_a_new_stack_starts_without_previous_outputs(monkeypatch):
    from lattice_program.engine import automation

    def not_found(target, **kw):
        raise automation.StackNotFound(target.stack, work_dir=target.work_dir)

    seen = {}

    def run_operation(target, operation, **kwargs):
        seen["priorities"] = sorted(r.inputs["priority"] for r in _run_inline(target) if r.type.endswith("ListenerRule"))
        return automation.OperationResult(operation=operation, stack=target.stack, summary={}, outputs={}, stdout="")

    monkeypatch.setattr(automation, "find_pulumi", lambda explicit=None: "/usr/bin/pulumi")
    monkeypatch.setattr(automation, "read_stack_outputs", not_found)
    monkeypatch.setattr(automation, "run_operation", run_operation)
    result = runner.invoke(app, ["preview", "--stack", "fresh"])
    assert result.exit_code == 0, result.output
    assert seen["priorities"] == [10, 20, 30, 40]  # allocated afresh, spaced


def test_strict_plan_exits_1_when_an_object_is_refused(tmp_path):
    for source in CHECKOUT.glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    assert runner.invoke(app, ["plan", str(tmp_path), "--strict"]).exit_code == 0
    (tmp_path / "bad.yaml").write_text(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad, namespace: shop}\n"
        "spec:\n  parentRefs: [{name: storefront}]\n  rules:\n  - filters: [{type: RequestMirror}]\n"
        "    backendRefs: [{name: checkout-v1, port: 80}]\n")
    strict = runner.invoke(app, ["plan", str(tmp_path), "--strict", "--output", "json"])
    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["resources"]  # the plan is still printed
    assert runner.invoke(app, ["plan", str(tmp_path)]).exit_code == 0


def test_vpc_option_with_a_multi_cluster_stack_is_a_usage_error():
    result = runner.invoke(app, ["plan", "--stack", "prod", "--vpc-id", "vpc-0a1b2c3d4e5f60789"])
    assert result.exit_code == 2
    assert "lattice-gateway:clusters" in result.stderr
