"""How results look: a tree for people, JSON for machines.

The tree follows the Kubernetes objects down to the Lattice resources they become, with
each target group's members, then every object's conditions; problems are listed last,
errors in red, warnings in yellow.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any, Dict, List, Mapping

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from lattice_program.vocabulary.settings import StackSettings
from lattice_program.vocabulary.status import Problem

RULE_TYPE = "aws:vpclattice/listenerRule:ListenerRule"
SHORT_TYPES = {
    "aws:vpclattice/serviceNetwork:ServiceNetwork": "ServiceNetwork",
    "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation": "VpcAssociation",
    "aws:vpclattice/service:Service": "Service",
    "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation": "ServiceNetworkAssociation",
    "aws:vpclattice/listener:Listener": "Listener",
    "aws:vpclattice/listenerRule:ListenerRule": "Rule",
    "aws:vpclattice/targetGroup:TargetGroup": "TargetGroup",
    "aws:vpclattice/authPolicy:AuthPolicy": "AuthPolicy",
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription": "AccessLogSubscription",
    "kubernetes:externaldns.k8s.io/v1alpha1:DNSEndpoint": "DNSEndpoint",
}


def _console() -> Console:
    # Not a terminal (a pipe, a file, a test): never cut lines at 80 columns.
    width = None if sys.stdout.isatty() else 400
    return Console(file=sys.stdout, highlight=False, width=width)


def print_json(document: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")


def settings_notes(settings: StackSettings) -> List[Problem]:
    if settings.uses_placeholder_vpc:
        return [Problem(None, "vpcId", f"no VPC given: the plan uses the placeholder {settings.vpc_id}; "
                        "pass --vpc-id or --stack", "warning", "settings")]
    return []


def print_tree(document: Mapping[str, Any]) -> None:
    console = _console()
    children: Dict[Any, List[Mapping[str, Any]]] = defaultdict(list)
    for resource in document["resources"]:
        children[resource["parent"]].append(resource)
    targets: Dict[str, List[Mapping[str, Any]]] = defaultdict(list)
    for target in document["targets"]:
        targets[target["targetGroup"]].append(target)

    physical = {r["urn"]: (r["inputs"].get("name") or r["name"]) for r in document["resources"]
                if not r["type"].startswith("lattice:index:")}
    root = Tree("[bold]plan[/bold]")
    for resource in children[None]:
        _add_component(root, resource, children, targets, physical)
    if not children[None]:
        root.add("[dim]no Lattice resources[/dim]")
    console.print(root)
    _print_objects(console, document["objects"])
    _print_problems(console, document["problems"])
    counts = defaultdict(int)
    for resource in document["resources"]:
        if resource["type"] in SHORT_TYPES:
            counts[SHORT_TYPES[resource["type"]]] += 1
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "nothing"
    errors = sum(1 for p in document["problems"] if p["severity"] == "error")
    console.print(f"\n[bold]{summary}[/bold]; {len(document['targets'])} targets; "
                  f"{errors} error(s), {len(document['problems']) - errors} warning(s)")


def _add_component(parent: Tree, component: Mapping[str, Any], children, targets, physical) -> None:
    """A component and its children; rules are shown under the listener they belong to."""
    node = parent.add(f"[bold cyan]{escape(component['name'])}[/bold cyan]")
    members = children.get(component["urn"], ())
    rules_by_listener: Dict[str, List[Mapping[str, Any]]] = defaultdict(list)
    for member in members:
        if member["type"] == RULE_TYPE:
            rules_by_listener[str(member["inputs"].get("listenerIdentifier", "")).removeprefix("ref:")].append(member)
    for member in members:
        if member["type"].startswith("lattice:index:"):
            _add_component(node, member, children, targets, physical)
        elif member["type"] != RULE_TYPE:
            child = node.add(_label(member, physical))
            for target in targets.get(member["name"], ()):
                child.add(f"[dim]target {target['id']}:{target['port']}[/dim]")
            for rule in sorted(rules_by_listener.get(member["urn"], ()), key=lambda r: r["inputs"].get("priority", 0)):
                child.add(_label(rule, physical))


def _label(resource: Mapping[str, Any], physical: Mapping[str, str]) -> str:
    short = SHORT_TYPES.get(resource["type"], resource["type"])
    inputs = resource["inputs"]
    detail = ""
    if short == "Rule":
        detail = (f" priority {inputs.get('priority')}: {_match(inputs.get('match') or {})} → "
                  f"{_action(inputs.get('action') or {}, physical)}")
    elif short == "Listener":
        detail = f" {inputs.get('protocol')}:{inputs.get('port')}, default {_action(inputs.get('defaultAction') or {}, physical)}"
    elif short == "TargetGroup":
        config = inputs.get("config") or {}
        version = f"/{config['protocolVersion']}" if config.get("protocolVersion") else ""
        detail = f" {config.get('protocol')}{version} port {config.get('port')} in {config.get('vpcIdentifier')}"
    elif short == "Service" and inputs.get("customDomainName"):
        detail = f" domain {inputs['customDomainName']}"
    elif short == "VpcAssociation":
        detail = f" {inputs.get('vpcIdentifier')}"
    elif short == "DNSEndpoint":
        endpoints = (inputs.get("spec") or {}).get("endpoints") or [{}]
        detail = f" {endpoints[0].get('dnsName')} CNAME → the service's DNS name"
    elif short == "AccessLogSubscription":
        detail = f" → {inputs.get('destinationArn')}"
    elif short == "ServiceNetworkAssociation":
        detail = f" → {_ref(inputs.get('serviceNetworkIdentifier'), physical)}"
    name = f" {inputs['name']}" if inputs.get("name") else ""
    return f"[green]{short}[/green]{escape(name)}{escape(detail)}"


def _ref(value: Any, physical: Mapping[str, str]) -> str:
    text = str(value)
    return physical.get(text[4:], text) if text.startswith("ref:") else text


def _match(match: Mapping[str, Any]) -> str:
    http = match.get("httpMatch") or {}
    parts = []
    if http.get("method"):
        parts.append(http["method"])
    path = (http.get("pathMatch") or {}).get("match") or {}
    for kind, value in path.items():
        parts.append(f"{kind} {value}")
    for header in http.get("headerMatches") or ():
        parts.append(f"{header['name']}={(header.get('match') or {}).get('exact')}")
    return " ".join(parts) or "any"


def _action(action: Mapping[str, Any], physical: Mapping[str, str]) -> str:
    if action.get("fixedResponse"):
        return f"fixed {action['fixedResponse'].get('statusCode')}"
    forwards = action.get("forward") or (action.get("forwards") or [{}])[0]
    groups = (forwards or {}).get("targetGroups") or []
    return "forward " + ", ".join(f"{g.get('weight')} to {_ref(g.get('targetGroupIdentifier'), physical)}"
                                  for g in groups)


def _print_objects(console: Console, objects: List[Mapping[str, Any]]) -> None:
    if not objects:
        return
    console.print("\n[bold]status[/bold]")
    several_clusters = len({obj.get("cluster") for obj in objects}) > 1
    for obj in objects:
        name = f"{obj['namespace']}/{obj['name']}" if obj["namespace"] else obj["name"]
        cluster = f" (cluster {obj['cluster']})" if several_clusters else ""
        console.print(f"  {obj['kind']} {escape(name)}{escape(cluster)}")
        for condition in obj["conditions"]:
            console.print(f"    {_condition(condition)}")
        for listener in obj.get("listeners", ()):
            kinds = ", ".join(k["kind"] for k in listener["supportedKinds"]) or "no route kinds"
            console.print(f"    listener {escape(listener['name'])}: {listener['attachedRoutes']} route(s), {kinds}")
            for condition in listener["conditions"]:
                if condition["status"] == "False":
                    console.print(f"      {_condition(condition)}")
        for parent in obj["parents"]:
            ref = parent["parentRef"]
            section = f" ({ref['sectionName']})" if ref.get("sectionName") else ""
            console.print(f"    parent {ref.get('kind')} {ref.get('namespace')}/{ref.get('name')}{escape(section)}")
            for condition in parent["conditions"]:
                console.print(f"      {_condition(condition)}")


def _condition(condition: Mapping[str, str]) -> str:
    colour = {"True": "green", "False": "red"}.get(condition["status"], "yellow")
    message = f": {escape(condition['message'])}" if condition.get("message") else ""
    return f"[{colour}]{condition['type']}={condition['status']}[/{colour}] {condition['reason']}{message}"


def _print_problems(console: Console, problems: List[Mapping[str, Any]]) -> None:
    if not problems:
        return
    console.print("\n[bold]problems[/bold]")
    for problem in problems:
        colour = "red" if problem["severity"] == "error" else "yellow"
        obj = problem["object"]
        where = (f"{obj['kind']} {obj['namespace']}/{obj['name']}" if obj and obj.get("namespace")
                 else f"{obj['kind']} {obj['name']}" if obj else problem["origin"])
        field = f" {problem['field']}" if problem["field"] else ""
        console.print(f"  [{colour}]{problem['severity']}[/{colour}] {escape(where)}{escape(field)}: {escape(problem['message'])}")


def print_sync_report(report) -> None:
    console = _console()
    mode = " (dry run)" if report.dry_run else ""
    console.print(f"[bold]target sync{mode}[/bold]")
    for result in report.results:
        line = (f"  {result.target_group_id}: +{len(result.registered)} -{len(result.deregistered)} "
                f"={result.unchanged}, {len(result.draining_left_alone)} draining left alone")
        if result.skipped_reason:
            line += f" [yellow]skipped: {escape(result.skipped_reason)}[/yellow]"
        if result.error:
            line += f" [red]error: {escape(result.error)}[/red]"
        console.print(line)
        for target, reason in result.failed:
            console.print(f"    [red]failed {target.id}:{target.port}: {escape(reason)}[/red]")
