"""`latticectl graph` on every example, in every format; the README's picture is what the
command draws now."""

from __future__ import annotations

import html
import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from lattice_program.inspect import graph_svg
from lattice_program.inspect.graph_mermaid import escape as mermaid_escape
from tests.inspect.graph_documents import EXAMPLES, ROOT, example_args, plan_of, write_refused_example

runner = CliRunner()
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz; .ci/run does)")
README_GRAPH = ROOT / "docs" / "graph-checkout-ab.svg"
README_GRAPH_ARGS = ["examples/checkout-ab", "--format", "svg"]


def graph(*args: str) -> str:
    result = runner.invoke(app, ["graph", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _names(document: dict) -> list:
    return [f"{o['namespace']}/{o['name']}" if o["namespace"] else o["name"] for o in document["objects"]]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_object_of_an_example_is_in_each_text_format(example: Path):
    args = example_args(example)
    document = plan_of(args)
    mermaid = graph(*args)  # the default format
    dot = graph(*args, "--format", "dot")
    assert mermaid.startswith("flowchart LR") and dot.startswith("digraph")
    for name in _names(document):
        assert mermaid_escape(name) in mermaid
        assert html.escape(name) in dot
    nodes = json.loads(graph(*args, "--format", "json"))["nodes"]
    assert {n["name"] for n in nodes if n["side"] == "kubernetes"} >= set(_names(document))


@needs_dot
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_object_of_an_example_is_drawn_in_the_svg(example: Path):
    args = example_args(example)
    document = plan_of(args)
    root = ElementTree.fromstring(graph(*args, "--format", "svg").encode("utf-8"))
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set(_names(document)) <= texts
    weights = [g["weight"] for r in document["resources"]
               for g in r["inputs"].get("action", {}).get("forward", {}).get("targetGroups", [])]
    assert {f"weight {w}" for w in weights} <= texts


def test_refused_objects_show_their_reason(tmp_path: Path):
    source = write_refused_example(tmp_path)
    text = graph(str(source))
    flat = text.replace("<br/>", " ")  # a long reason is wrapped over several label lines
    assert mermaid_escape("rejected: spec.rules[0].matches[0].path.type: VPC Lattice has no regular-expression") in flat
    assert mermaid_escape("refused in part: spec.rules[0].backendRefs[0]: Service shop/nothere not found") in flat
    assert "class k" in text and "rejected" in text


def test_output_file_takes_its_format_from_the_suffix(tmp_path: Path):
    target = tmp_path / "graph.dot"
    result = runner.invoke(app, ["graph", "examples/checkout-ab", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and target.read_text().startswith("digraph")
    page = tmp_path / "graph.html"
    assert runner.invoke(app, ["graph", "examples/checkout-ab", "-o", str(page)]).exit_code == 0
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_svg_without_graphviz_exits_3_with_the_install_command(monkeypatch):
    monkeypatch.setattr(graph_svg, "find_dot", lambda: None)
    result = runner.invoke(app, ["graph", "examples/checkout-ab", "--format", "svg"])
    assert result.exit_code == 3
    assert "apt-get install graphviz" in result.stderr and "Traceback" not in result.output
    page = runner.invoke(app, ["graph", "examples/checkout-ab", "--format", "html"])
    assert page.exit_code == 0 and 'id="mermaid-source"' in page.stdout  # html still works, without a picture


def test_bad_input_and_an_unwritable_output_exit_2(tmp_path: Path):
    missing = runner.invoke(app, ["graph", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "no such file or directory" in missing.stderr
    unwritable = runner.invoke(app, ["graph", "examples/checkout-ab", "-o", str(tmp_path / "no-dir" / "g.mmd")])
    assert unwritable.exit_code == 2 and "cannot write the graph" in unwritable.stderr


@needs_dot
def test_the_readme_graph_is_what_the_command_draws_now():
    assert f"({README_GRAPH.relative_to(ROOT)})" in (ROOT / "README.md").read_text()
    drawn = graph(*[str(ROOT / arg) if arg.startswith("examples/") else arg for arg in README_GRAPH_ARGS])
    assert README_GRAPH.read_text() == drawn, (
        f"{README_GRAPH.relative_to(ROOT)} is out of date: run "
        f"`latticectl graph {' '.join(README_GRAPH_ARGS)} --output {README_GRAPH.relative_to(ROOT)}`")
