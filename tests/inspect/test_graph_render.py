"""The renderers: names from manifests stay text in DOT, SVG, Mermaid and HTML; the SVG
is Graphviz's own; the HTML page is self-contained and, in headless Chromium, shows
every object."""

from __future__ import annotations

import html
import re
import shutil
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path
from typing import List

import pytest

from lattice_program.inspect import graph_html, graph_svg
from lattice_program.inspect.graph import KUBERNETES, graph_of
from lattice_program.inspect.graph_dot import render_dot
from lattice_program.inspect.graph_html import render_html
from lattice_program.inspect.graph_mermaid import escape as mermaid_escape
from lattice_program.inspect.graph_mermaid import render_mermaid
from tests.inspect.graph_documents import HOSTILE_NAME, plan_of, write_refused_example
from tests.support.browser import dump_dom, needs_chromium

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz; .ci/run does)")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def refused_graph(tmp_path: Path):
    return graph_of(plan_of([str(write_refused_example(tmp_path))]))


def test_mermaid_labels_hold_no_character_that_could_end_them(refused_graph):
    text = render_mermaid(refused_graph)
    labels = re.findall(r'^\s+([kl]\d+)\["(.*)"\]$', text, re.MULTILINE)
    assert len(labels) == len(refused_graph.nodes)
    for _, label in labels:
        assert not re.search(r'["\[\]<>\\]', label.replace("<br/>", ""))
    hostile = next(n for n in refused_graph.nodes if HOSTILE_NAME in n.name)
    assert mermaid_escape(hostile.name) in text and HOSTILE_NAME not in text
    assert mermaid_escape("a<b") == "a#60;b"


def test_dot_labels_are_entity_escaped(refused_graph):
    text = render_dot(refused_graph)
    assert HOSTILE_NAME not in text and "<script>" not in text
    assert html.escape(f"shop/{HOSTILE_NAME}", quote=True).replace("\\", "\\\\") in text


@needs_dot
def test_graphviz_draws_every_node_with_its_name_as_text(refused_graph):
    svg = graph_svg.render_svg(render_dot(refused_graph))
    root = ElementTree.fromstring(svg.encode("utf-8"))
    texts = ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]
    for node in refused_graph.nodes:
        assert node.name in texts, f"{node.kind} {node.name} is not drawn"
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    weights = {t for t in texts if t.startswith("weight ")}
    assert weights == {f"weight {e.weight}" for e in refused_graph.edges if e.weight is not None}


def test_svg_without_graphviz_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(graph_svg, "find_dot", lambda: None)
    with pytest.raises(graph_svg.GraphvizMissing, match="apt-get install graphviz"):
        graph_svg.render_svg("digraph {}")


@needs_dot
def test_graphviz_refusing_its_input_is_reported():
    with pytest.raises(graph_svg.GraphvizFailed, match="dot -Tsvg"):
        graph_svg.render_svg("digraph { this is not dot")


def _external_references(page: str) -> List[str]:
    return re.findall(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:|//)', page, re.IGNORECASE)


def test_html_without_graphviz_lists_objects_and_shows_the_mermaid_source(refused_graph):
    mermaid = render_mermaid(refused_graph)
    page = render_html(refused_graph, svg=None, mermaid=mermaid)
    assert "<script" not in page.lower() and not _external_references(page)
    assert html.escape(mermaid) in page
    for node in refused_graph.nodes:
        assert f"<td>{html.escape(node.name)}</td>" in page
    refused = [n for n in refused_graph.side(KUBERNETES) if n.reason]
    assert refused and all(f"<td>{html.escape(n.reason)}</td>" in page for n in refused)


@needs_dot
def test_html_with_graphviz_inlines_the_svg_alone(refused_graph):
    svg = graph_svg.render_svg(render_dot(refused_graph))
    page = render_html(refused_graph, svg=svg, mermaid=render_mermaid(refused_graph))
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert page.count("<svg") == 1 and 'id="mermaid-source"' not in page
    assert "<script" not in page.lower() and not _external_references(page)


class _DomText(HTMLParser):
    """The text of a dumped DOM, per element: the SVG's <text>s and the table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: List[str] = []
        self.svg_texts: List[str] = []
        self.cells: List[str] = []
        self.elements: List[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)
        if tag not in ("br", "meta", "link", "img", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "text":
            self.svg_texts.append(data)
        elif self.stack and self.stack[-1] == "td":
            self.cells.append(data)


@needs_chromium
@pytest.mark.parametrize("with_graphviz", [pytest.param(True, marks=needs_dot), False],
                         ids=["svg", "mermaid-source"])
def test_the_page_in_headless_chromium_shows_every_object(refused_graph, tmp_path, with_graphviz):
    svg = graph_svg.render_svg(render_dot(refused_graph)) if with_graphviz else None
    page = tmp_path / "graph.html"
    page.write_text(graph_html.render_html(refused_graph, svg=svg, mermaid=render_mermaid(refused_graph)))
    dom = _DomText()
    dom.feed(dump_dom(page, tmp_path / "profile"))
    assert "script" not in dom.elements  # the hostile name stayed text
    for node in refused_graph.nodes:
        assert node.name in dom.cells, f"{node.kind} {node.name} is not in the page's tables"
        if with_graphviz:
            assert node.name in dom.svg_texts, f"{node.kind} {node.name} is not in the picture"
    assert ("svg" in dom.elements) is with_graphviz
