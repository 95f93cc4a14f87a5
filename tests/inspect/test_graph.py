"""The graph model against the plan documents of every example, and of refused routes:
every object and resource is a node, every forward carries the plan's weight, every
refusal shows its reason."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest
import yaml

from lattice_program.inspect.graph import ACCEPTED, KUBERNETES, LATTICE, PARTLY_REFUSED, REJECTED, graph_of
from tests.inspect.graph_documents import EXAMPLES, HOSTILE_NAME, ROOT, example_args, plan_of, write_refused_example


def _forwards(value: Any) -> Iterator[Tuple[str, int]]:
    """(target group URN, weight) of every forward in a resource's inputs."""
    if isinstance(value, dict):
        if isinstance(value.get("targetGroupIdentifier"), str) and "weight" in value:
            yield value["targetGroupIdentifier"][len("ref:"):], value["weight"]
        for item in value.values():
            yield from _forwards(item)
    elif isinstance(value, list):
        for item in value:
            yield from _forwards(item)


def _display(item: dict) -> str:
    return f"{item['namespace']}/{item['name']}" if item["namespace"] else item["name"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_object_resource_and_weight_of_an_example_is_in_its_graph(example: Path):
    document = plan_of(example_args(example))
    graph = graph_of(document)
    objects = {(n.kind, n.name, n.cluster) for n in graph.side(KUBERNETES)}
    assert objects == {(o["kind"], _display(o), o["cluster"]) for o in document["objects"]} | {
        (p["object"]["kind"], _display(p["object"]), p["object"]["cluster"])
        for p in document["problems"] if p["object"] and p["severity"] == "error"}
    planned = {r["urn"] for r in document["resources"] if not r["type"].startswith("lattice:index:")}
    assert {n.urn for n in graph.side(LATTICE)} == planned

    urn_of = {n.id: n.urn for n in graph.nodes}
    weighted = {(urn_of[e.source], urn_of[e.target], e.weight) for e in graph.edges if e.weight is not None}
    expected = {(r["urn"], group, weight) for r in document["resources"] for group, weight in _forwards(r["inputs"])}
    assert expected, f"{example.name} forwards nowhere"
    assert weighted == expected

    # Every resource is reached from the Kubernetes object that made it.
    reached = set()
    queue = deque(n.id for n in graph.side(KUBERNETES))
    while queue:
        here = queue.popleft()
        for edge in graph.edges:
            if edge.source == here and edge.target not in reached:
                reached.add(edge.target)
                queue.append(edge.target)
    assert {n.id for n in graph.side(LATTICE)} <= reached


def test_the_checkout_split_carries_the_manifest_weights():
    route = yaml.safe_load((ROOT / "examples" / "checkout-ab" / "40-httproute.yaml").read_text())
    split = next(rule for rule in route["spec"]["rules"] if rule.get("name") == "split")
    wanted = sorted((f"shop/{ref['name']}:{ref['port']}", ref["weight"]) for ref in split["backendRefs"])
    graph = graph_of(plan_of([str(ROOT / "examples" / "checkout-ab")]))
    rule = next(n for n in graph.side(LATTICE) if n.kind == "Rule" and n.name.startswith("split-"))
    assert sorted((graph.node(e.target).name, e.weight) for e in graph.edges if e.source == rule.id) == wanted


def test_refused_objects_carry_the_reason_the_plan_gives(tmp_path: Path):
    document = plan_of([str(write_refused_example(tmp_path))])
    graph = graph_of(document)
    nodes = {n.name: n for n in graph.side(KUBERNETES)}
    messages = {p["object"]["name"]: p["message"] for p in document["problems"] if p["object"]}

    regexy = nodes["shop/regexy"]
    assert regexy.status == REJECTED and messages["regexy"] in regexy.reason
    hostile = nodes[f"shop/{HOSTILE_NAME}"]
    assert hostile.status == REJECTED and messages[HOSTILE_NAME] in hostile.reason
    lost = nodes["shop/lost"]
    assert lost.status == PARTLY_REFUSED and "nothere" in lost.reason
    assert nodes["shop/checkout"].status == ACCEPTED and nodes["shop/checkout"].reason == ""
    # A rejected route has no resources; one refused in part keeps its own.
    owned = {e.source for e in graph.edges}
    assert regexy.id not in owned and hostile.id not in owned and lost.id in owned
    assert any(line.startswith("rejected: ") for line in graph.label_lines(regexy))
    assert any(line.startswith("refused in part: ") for line in graph.label_lines(lost))


def test_objects_in_several_clusters_are_told_apart():
    document = plan_of(["--stack", "prod"])
    graph = graph_of(document)
    clusters = {n.cluster for n in graph.side(KUBERNETES)}
    assert len(clusters) > 1
    exports = [n for n in graph.side(KUBERNETES) if n.kind == "ServiceExport"]
    assert {n.cluster for n in exports} == clusters
    for export in exports:
        assert f"cluster {export.cluster}" in graph.label_lines(export)
        groups = [graph.node(e.target) for e in graph.edges if e.source == export.id]
        # Each cluster's export owns the target group made in its own cluster, only that one.
        assert len(groups) == 1 and f"-{export.cluster}-" in groups[0].name


def test_control_characters_in_names_never_reach_a_label():
    document = {"resources": [], "targets": [], "problems": [],
                "objects": [{"kind": "HTTPRoute", "namespace": "shop", "name": "bad\x1b[31m\nname\u202e",
                             "cluster": "default", "conditions": [], "parents": [], "listeners": []}]}
    graph = graph_of(document)
    (line_kind, line_name) = graph.label_lines(graph.nodes[0])
    assert line_kind == "HTTPRoute"
    assert "\x1b" not in line_name and "\n" not in line_name and "\u202e" not in line_name
    assert line_name.startswith("shop/bad") and line_name.endswith("name\ufffd")
