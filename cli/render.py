"""How results look: a tree for people, JSON for machines.

The tree follows the Kubernetes objects down to the Lattice resources they become, with
each target group's members, then every object's conditions; problems are listed last,
errors in red, warnings in yellow, each with the file and line of its object when it
was read from a file; many warnings that say the same are one line with a count.  Every
value printed goes through :func:`_safe` (markup escaped, control characters shown as
escapes: ``terminal.py``).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from lattice_program.program.plan_document import SHORT_TYPES
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.vocabulary.status import Problem

from .terminal import printable
from lattice_program.vocabulary.text import shorten

RULE_TYPE = "aws:vpclattice/listenerRule:ListenerRule"
ATTACHMENT_TYPE = "aws:vpclattice/targetGroupAttachment:TargetGroupAttachment"
# Warnings saying the same thing about more objects than this are one line with a count.
GROUP_WARNINGS_OVER = 3
OBJECTS_NAMED_IN_A_GROUP = 3
# A message is for a person: a value echoed into it (a huge name, a document) is cut.
MESSAGE_CHARS = 500


def _safe(value: Any) -> str:
    """A value as the tree shows it: printable on a terminal, and never taken for markup."""
    return escape(printable(value))


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


def print_tree(document: Mapping[str, Any], lines: Optional[Mapping[str, int]] = None) -> None:
    """``lines``: the line each object starts on in its file, by origin (``SourceRead.lines``)."""
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
    _print_problems(console, document["problems"], lines or {})
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
    node = parent.add(f"[bold cyan]{_safe(component['name'])}[/bold cyan]")
    members = children.get(component["urn"], ())
    rules_by_listener: Dict[str, List[Mapping[str, Any]]] = defaultdict(list)
    attached: Dict[str, List[Mapping[str, Any]]] = defaultdict(list)  # target group URN -> its declared targets
    for member in members:
        if member["type"] == RULE_TYPE:
            rules_by_listener[str(member["inputs"].get("listenerIdentifier", "")).removeprefix("ref:")].append(member)
        elif member["type"] == ATTACHMENT_TYPE:
            attached[str(member["inputs"].get("targetGroupIdentifier", "")).removeprefix("ref:")].append(member)
    for member in members:
        if member["type"].startswith("lattice:index:"):
            _add_component(node, member, children, targets, physical)
        elif member["type"] not in (RULE_TYPE, ATTACHMENT_TYPE):
            child = node.add(_label(member, physical))
            for target in targets.get(member["name"], ()):
                child.add(f"[dim]target {_safe(target['id'])}:{_safe(target['port'])}[/dim]")
            for attachment in attached.get(member["urn"], ()):
                target = attachment["inputs"].get("target") or {}
                port = f":{target['port']}" if target.get("port") else ""
                child.add(f"[dim]target {_safe(target.get('id'))}{_safe(port)} (declared)[/dim]")
            listener_rules = sorted(rules_by_listener.get(member["urn"], ()), key=lambda r: r["inputs"].get("priority", 0))
            halves = element_wise_halves(listener_rules)
            for rule in listener_rules:
                label = _label(rule, physical)
                if rule["urn"] in halves:
                    label += f" [dim](half of PathPrefix {_safe(halves[rule['urn']])}: one match, two rules)[/dim]"
                child.add(label)


def element_wise_halves(rules: Sequence[Mapping[str, Any]]) -> Dict[str, str]:
    """URN -> PathPrefix, for the pairs of rules that serve one element-wise PathPrefix:
    an exact ``/p`` and a prefix ``/p/`` with the same method, headers and action."""
    def shape(rule: Mapping[str, Any]):
        http = (rule["inputs"].get("match") or {}).get("httpMatch") or {}
        path = (http.get("pathMatch") or {}).get("match") or {}
        rest = (http.get("method"), repr(http.get("headerMatches")), repr(rule["inputs"].get("action")))
        return path, rest

    exact = {}
    for rule in rules:
        path, rest = shape(rule)
        if "exact" in path:
            exact[(path["exact"], rest)] = rule["urn"]
    halves: Dict[str, str] = {}
    for rule in rules:
        path, rest = shape(rule)
        prefix = path.get("prefix")
        if prefix and prefix != "/" and prefix.endswith("/") and (prefix[:-1], rest) in exact:
            halves[rule["urn"]] = halves[exact[(prefix[:-1], rest)]] = prefix[:-1]
    return halves


def _label(resource: Mapping[str, Any], physical: Mapping[str, str]) -> str:
    short = _safe(SHORT_TYPES.get(resource["type"], resource["type"]))
    inputs = resource["inputs"]
    detail = ""
    if short == "Rule":
        detail = (f" priority {inputs.get('priority')}: {_match(inputs.get('match') or {})} → "
                  f"{_action(inputs.get('action') or {}, physical)}")
    elif short == "Listener":
        detail = f" {inputs.get('protocol')}:{inputs.get('port')}, default {_action(inputs.get('defaultAction') or {}, physical)}"
    elif short == "TargetGroup":
        config = inputs.get("config") or {}
        kind = inputs.get("type") or "IP"
        version = f"/{config['protocolVersion']}" if config.get("protocolVersion") else ""
        parts = [] if kind == "IP" else [kind]
        if config.get("protocol"):
            parts.append(f"{config['protocol']}{version}")
        if config.get("port"):
            parts.append(f"port {config['port']}")
        if config.get("vpcIdentifier"):
            parts.append(f"in {config['vpcIdentifier']}")
        if config.get("lambdaEventStructureVersion"):
            parts.append(f"event structure {config['lambdaEventStructureVersion']}")
        detail = " " + " ".join(parts) if parts else ""
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
    return f"[green]{short}[/green]{_safe(name)}{_safe(detail)}"


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
        console.print(f"  {_safe(obj['kind'])} {_safe(name)}{_safe(cluster)}")
        for condition in obj["conditions"]:
            console.print(f"    {_condition(condition)}")
        for listener in obj.get("listeners", ()):
            kinds = ", ".join(str(k["kind"]) for k in listener["supportedKinds"]) or "no route kinds"
            console.print(f"    listener {_safe(listener['name'])}: {_safe(listener['attachedRoutes'])} route(s), "
                          f"{_safe(kinds)}")
            for condition in listener["conditions"]:
                if condition["status"] == "False":
                    console.print(f"      {_condition(condition)}")
        for parent in obj["parents"]:
            ref = parent["parentRef"]
            section = f" ({ref['sectionName']})" if ref.get("sectionName") else ""
            console.print(f"    parent {_safe(ref.get('kind'))} {_safe(ref.get('namespace'))}/{_safe(ref.get('name'))}"
                          f"{_safe(section)}")
            for condition in parent["conditions"]:
                console.print(f"      {_condition(condition)}")


def _condition(condition: Mapping[str, str]) -> str:
    colour = {"True": "green", "False": "red"}.get(condition["status"], "yellow")
    message = f": {_safe(_cut_message(condition['message']))}" if condition.get("message") else ""
    return (f"[{colour}]{_safe(condition['type'])}={_safe(condition['status'])}[/{colour}] "
            f"{_safe(condition['reason'])}{message}")


def _print_problems(console: Console, problems: List[Mapping[str, Any]], lines: Mapping[str, int]) -> None:
    if not problems:
        return
    console.print("\n[bold]problems[/bold]")
    groups: Dict[Tuple[str, str, str], List[Mapping[str, Any]]] = defaultdict(list)
    for problem in problems:
        if problem["severity"] != "error":
            groups[(problem["severity"], problem["field"], problem["message"])].append(problem)
    shown_groups = set()
    for problem in problems:
        colour = "red" if problem["severity"] == "error" else "yellow"
        key = (problem["severity"], problem["field"], problem["message"])
        group = groups.get(key, ())
        if len(group) > GROUP_WARNINGS_OVER:
            if key not in shown_groups:
                shown_groups.add(key)
                console.print(_group_line(colour, group))
            continue
        field = f" {problem['field']}" if problem["field"] else ""
        console.print(f"  [{colour}]{problem['severity']}[/{colour}] {_safe(_where(problem, lines))}"
                      f"{_safe(_place(problem, lines))}{_safe(field)}: {_safe(_cut_message(problem['message']))}")


def _where(problem: Mapping[str, Any], lines: Optional[Mapping[str, int]] = None) -> str:
    obj = problem["object"]
    if not obj:
        return _file_line(problem, lines or {}) or str(problem["origin"])
    return f"{obj['kind']} {obj['namespace']}/{obj['name']}" if obj.get("namespace") else f"{obj['kind']} {obj['name']}"


def _place(problem: Mapping[str, Any], lines: Mapping[str, int]) -> str:
    """`` (file:line)`` after an object read from a file."""
    place = _file_line(problem, lines) if problem["object"] else ""
    return f" ({place})" if place else ""


def _file_line(problem: Mapping[str, Any], lines: Mapping[str, int]) -> str:
    origin = str(problem.get("origin") or "")
    line = lines.get(origin)
    return f"{origin.rsplit('#', 1)[0]}:{line}" if line else ""


def _group_line(colour: str, group: List[Mapping[str, Any]]) -> str:
    first = group[0]
    named = ", ".join(_where(p) for p in group[:OBJECTS_NAMED_IN_A_GROUP])
    more = len(group) - OBJECTS_NAMED_IN_A_GROUP
    field = f" {first['field']}" if first["field"] else ""
    return (f"  [{colour}]{first['severity']}[/{colour}] ×{len(group):,}{_safe(field)}: "
            f"{_safe(_cut_message(first['message']))} ({_safe(named)}" + (f" and {more:,} more)" if more > 0 else ")"))


def _cut_message(message: Any) -> str:
    return shorten(message, MESSAGE_CHARS)


def print_sync_report(report) -> None:
    console = _console()
    mode = " (dry run)" if report.dry_run else ""
    console.print(f"[bold]target sync{mode}[/bold]")
    for result in report.results:
        line = (f"  {_safe(result.target_group_id)}: +{len(result.registered)} -{len(result.deregistered)} "
                f"={result.unchanged}, {len(result.draining_left_alone)} draining left alone")
        if result.skipped_reason:
            line += f" [yellow]skipped: {_safe(result.skipped_reason)}[/yellow]"
        if result.error:
            line += f" [red]error: {_safe(result.error)}[/red]"
        console.print(line)
        for target, reason in result.failed:
            console.print(f"    [red]failed {_safe(target.id)}:{_safe(target.port)}: {_safe(reason)}[/red]")
