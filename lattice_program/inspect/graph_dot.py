"""The graph as Graphviz DOT text: Kubernetes objects and VPC Lattice resources in two
clusters, left to right, weights on the forwards, refused objects in red.

Node ids are the graph's own (``k0``, ``l3``); every name goes into an HTML-like label,
entity-escaped, so a manifest's quotes and angle brackets stay text. Graphviz still
expands ``\\N``, ``\\G`` and the like inside HTML labels (even written as ``&#92;N``), but
reads a doubled backslash as one: every backslash is doubled.
"""

from __future__ import annotations

import html
from typing import List

from lattice_program.inspect.graph import ACCEPTED, KUBERNETES, LATTICE, MADE, REJECTED, SIDES, WEIGHTED, Graph, Node

STYLE = {
    KUBERNETES: 'fillcolor="#e8f0fe", color="#3367d6"',
    LATTICE: 'fillcolor="#fff8e1", color="#b26a00"',
    REJECTED: 'fillcolor="#fde2e1", color="#c0392b", style="rounded,filled,dashed"',
    "partly-refused": 'fillcolor="#fff0d9", color="#d35400"',
}


def render_dot(graph: Graph) -> str:
    lines = [
        "digraph lattice_gateway {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.6];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    for side, title in SIDES:
        lines.append(f'  subgraph cluster_{side} {{')
        lines.append(f'    label="{title}"; style="rounded"; color="#999999";')
        lines += [f"    {_node(graph, node)}" for node in graph.side(side)]
        lines.append("  }")
    for edge in graph.edges:
        kind = graph.edge_kind(edge)
        if kind == MADE:
            lines.append(f'  {edge.source} -> {edge.target} [style=dashed, arrowhead=open];')
        elif kind == WEIGHTED:
            lines.append(f'  {edge.source} -> {edge.target} [label="weight {int(edge.weight)}", penwidth=1.5];')
        else:
            lines.append(f"  {edge.source} -> {edge.target};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(graph: Graph, node: Node) -> str:
    first, *rest = graph.label_lines(node)
    parts: List[str] = [f"<B>{_escape(first)}</B>"] + [_escape(line) for line in rest]
    style = STYLE[node.side] if node.status == ACCEPTED else STYLE[node.status]
    return f"{node.id} [label=<{'<BR/>'.join(parts)}>, {style}];"


def _escape(text: str) -> str:
    # Graphviz's HTML labels know the named entities of HTML 4 and decimal references.
    return html.escape(text, quote=True).replace("&#x27;", "&#39;").replace("\\", "\\\\")
