"""Every directory under examples/ plans cleanly, the way its README says to plan it.

A directory that a stack's settings name as a source (``stacks/Pulumi.<stack>.yaml``,
as the multi-cluster example is for ``prod``) is planned through that stack, so its
clusters are told apart; any other directory is planned as files.  Each plan must
exit 0 with no error-severity problem, and the features an example exists to show
must be in its plan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from typer.testing import CliRunner

from cli.main import app
from lattice_program.vocabulary.settings import read_stack_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(path for path in (ROOT / "examples").iterdir() if path.is_dir())
runner = CliRunner()


def stack_for(example: Path) -> Optional[str]:
    """The stack whose sources (its own or its clusters') lie inside ``example``."""
    for stack_file in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        config = read_stack_file(stack_file)
        sources = list(config.get("sources") or [])
        sources += [source for cluster in config.get("clusters") or [] for source in cluster.get("sources") or []]
        if sources and all((ROOT / source).resolve().is_relative_to(example.resolve()) for source in sources):
            return stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    return None


def plan_arguments(example: Path) -> List[str]:
    stack = stack_for(example)
    return ["--stack", stack] if stack else [str(example)]


def plan_example(example: Path) -> Dict[str, Any]:
    result = runner.invoke(app, ["plan", *plan_arguments(example), "--output", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def resources_of(document: Dict[str, Any], type_: str) -> List[Dict[str, Any]]:
    return [r for r in document["resources"] if r["type"] == type_]


def _references(value: Any) -> List[str]:
    if isinstance(value, str):
        return [value[4:]] if value.startswith("ref:") else []
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_every_parent_and_reference_names_exactly_one_resource(example: Path):
    """Plan format 2: URNs are unique, and a consumer walking parents or following a
    ``ref:`` lands on exactly one resource (in format 1 a component and its first child
    shared a name)."""
    resources = plan_example(example)["resources"]
    urns = [r["urn"] for r in resources]
    assert len(urns) == len(set(urns)), sorted(u for u in urns if urns.count(u) > 1)
    by_urn = {r["urn"]: r for r in resources}
    shared_names = [r["name"] for r in resources if [s["name"] for s in resources].count(r["name"]) > 1]
    for resource in resources:
        assert resource["urn"].endswith("::" + resource["name"]) and resource["type"] in resource["urn"]
        if resource["parent"] is not None:
            parent = by_urn[resource["parent"]]  # exactly one: URNs are unique
            assert parent["type"].startswith("lattice:index:"), "only components are parents"
            assert resource["urn"].split("::")[2].startswith(parent["urn"].split("::")[2] + "$")
        for reference in _references(resource["inputs"]):
            assert reference in by_urn, f"{resource['name']}: ref:{reference} names no planned resource"
            assert not by_urn[reference]["type"].startswith("lattice:index:"), "a reference names a component"
    walked = 0
    for resource in resources:  # walking up always ends at the top
        seen, current = set(), resource
        while current["parent"] is not None:
            assert current["urn"] not in seen
            seen.add(current["urn"])
            current = by_urn[current["parent"]]
            walked += 1
    assert walked and shared_names, "the example should have nesting and a name shared by a component and a child"


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_plans_without_errors(example: Path):
    document = plan_example(example)
    errors = [p for p in document["problems"] if p["severity"] == "error"]
    assert not errors, errors
    assert resources_of(document, "aws:vpclattice/service:Service"), "the example plans no Lattice service"
    refused = [(o["kind"], o["name"], c["reason"]) for o in document["objects"]
               for c in o["conditions"] + [c for p in o["parents"] for c in p["conditions"]]
               if c["type"] in ("Accepted", "ResolvedRefs", "Valid") and c["status"] != "True"]
    assert not refused, refused


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_readme_gives_the_command_that_plans_it(example: Path):
    readme = example / "README.md"
    assert readme.is_file(), f"{example.name} has no README.md"
    stack = stack_for(example)
    command = f"latticectl plan --stack {stack}" if stack else f"latticectl plan examples/{example.name}"
    assert command in readme.read_text(encoding="utf-8")


def test_two_cluster_example_is_planned_through_its_stack():
    assert plan_arguments(ROOT / "examples" / "two-cluster") == ["--stack", "prod"]


# --- what each new example is there to show ------------------------------------------------


def test_grpc_greeter_routes_two_methods_to_two_versions():
    document = plan_example(ROOT / "examples" / "grpc-greeter")
    rules = {r["inputs"]["match"]["httpMatch"]["pathMatch"]["match"]["exact"]:
             r["inputs"]["action"]["forward"]["targetGroups"]
             for r in resources_of(document, "aws:vpclattice/listenerRule:ListenerRule")}
    assert set(rules) == {"/greetings.v1.Greeter/SayHello", "/greetings.v1.Greeter/SayHelloAgain"}
    assert [g["targetGroupIdentifier"].rsplit("/", 1)[-1] for g in rules["/greetings.v1.Greeter/SayHelloAgain"]] == [
        "greeter-v2:50051"]
    groups = resources_of(document, "aws:vpclattice/targetGroup:TargetGroup")
    assert {g["inputs"]["config"]["protocolVersion"] for g in groups} == {"GRPC"}
    [service] = resources_of(document, "aws:vpclattice/service:Service")
    assert service["inputs"]["certificateArn"].startswith("arn:aws:acm:")


def test_tls_passthrough_splits_blue_green_on_the_default_action():
    document = plan_example(ROOT / "examples" / "tls-passthrough")
    [listener] = resources_of(document, "aws:vpclattice/listener:Listener")
    assert listener["inputs"]["protocol"] == "TLS_PASSTHROUGH"
    [forward] = listener["inputs"]["defaultAction"]["forwards"]
    assert [g["weight"] for g in forward["targetGroups"]] == [90, 10]
    assert not resources_of(document, "aws:vpclattice/listenerRule:ListenerRule")


def test_https_custom_domain_has_certificate_domain_and_route_auth():
    document = plan_example(ROOT / "examples" / "https-custom-domain")
    [service] = resources_of(document, "aws:vpclattice/service:Service")
    assert service["inputs"]["customDomainName"] == "invoices.billing.example.com"
    assert service["inputs"]["certificateArn"].startswith("arn:aws:acm:")
    assert service["inputs"]["authType"] == "AWS_IAM"
    [auth] = resources_of(document, "aws:vpclattice/authPolicy:AuthPolicy")
    assert auth["inputs"]["resourceIdentifier"] == f"ref:{service['urn']}"


def test_iam_auth_network_has_network_auth_access_logs_and_security_groups():
    document = plan_example(ROOT / "examples" / "iam-auth-network")
    [network] = resources_of(document, "aws:vpclattice/serviceNetwork:ServiceNetwork")
    assert network["inputs"]["authType"] == "AWS_IAM"
    [auth] = resources_of(document, "aws:vpclattice/authPolicy:AuthPolicy")
    assert auth["inputs"]["resourceIdentifier"] == f"ref:{network['urn']}"
    [logs] = resources_of(document, "aws:vpclattice/accessLogSubscription:AccessLogSubscription")
    assert logs["inputs"]["destinationArn"].startswith("arn:aws:logs:")
    [association] = resources_of(document,
                                 "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation")
    assert len(association["inputs"]["securityGroupIds"]) == 2
    [service] = resources_of(document, "aws:vpclattice/service:Service")
    assert service["inputs"]["authType"] == "NONE"  # the network's auth, not the service's
