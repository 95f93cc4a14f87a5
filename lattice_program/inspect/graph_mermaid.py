"""The graph as Mermaid flowchart text, for Markdown renderers that draw Mermaid.

Node ids are the graph's own; in labels every character but letters, digits and a few
plain punctuation marks is written as a Mermaid entity code (``#60;``), so names from
manifests cannot close a label, start a link or carry markup.
"""

from __future__ import annotations

import re

from lattice_program.inspect.graph import KUBERNETES, LATTICE, MADE, PARTLY_REFUSED, REJECTED, SIDES, WEIGHTED, Graph

_PLAIN = re.compile(r"[A-Za-z0-9 ._/:,+=@-]")
# Mermaid class name and style, per side and per refusal.
CLASSES = {
    KUBERNETES: ("kubernetes", "fill:#e8f0fe,stroke:#3367d6"),
    LATTICE: ("lattice", "fill:#fff8e1,stroke:#b26a00"),
    REJECTED: ("rejected", "fill:#fde2e1,stroke:#c0392b,stroke-dasharray:4 3"),
    PARTLY_REFUSED: ("partlyRefused", "fill:#fff0d9,stroke:#d35400"),
}


def render_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    for side, title in SIDES:
        lines.append(f'  subgraph {side}["{title}"]')
        for node in graph.side(side):
            label = "<br/>".join(escape(line) for line in graph.label_lines(node))
            lines.append(f'    {node.id}["{label}"]')
        lines.append("  end")
    for edge in graph.edges:
        kind = graph.edge_kind(edge)
        if kind == MADE:
            lines.append(f"  {edge.source} -.-> {edge.target}")
        elif kind == WEIGHTED:
            lines.append(f'  {edge.source} -->|"weight {int(edge.weight)}"| {edge.target}')
        else:
            lines.append(f"  {edge.source} --> {edge.target}")
    for name, style in CLASSES.values():
        lines.append(f"  classDef {name} {style}")
    by_class: dict = {}
    for node in graph.nodes:
        key = node.status if node.status in (REJECTED, PARTLY_REFUSED) else node.side
        by_class.setdefault(CLASSES[key][0], []).append(node.id)
    for name, ids in by_class.items():
        lines.append(f"  class {','.join(ids)} {name}")
    return "\n".join(lines) + "\n"


def escape(text: str) -> str:
    return "".join(ch if _PLAIN.fullmatch(ch) else f"#{ord(ch)};" for ch in text)
