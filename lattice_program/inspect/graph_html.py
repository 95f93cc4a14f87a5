"""The graph as one self-contained HTML page: no script, no external URL.

With Graphviz, the picture is the SVG inlined; without it, the Mermaid source is shown
for any Mermaid renderer. Either way the page lists every object, resource and edge in
tables, so it reads without the picture too. Every name is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Optional, Sequence

from lattice_program.inspect.graph import ACCEPTED, KUBERNETES, LATTICE, Graph

TITLE = "lattice-gateway: Kubernetes objects to VPC Lattice resources"
_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0 2rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr.rejected td { background: #fde2e1; }
tr.partly-refused td { background: #fff0d9; }
pre { background: #f7f7f7; padding: 1rem; overflow-x: auto; }
figure { margin: 0 0 2rem; overflow-x: auto; }
"""
# The XML declaration and DOCTYPE dot writes are for a standalone file, not for HTML.
_SVG_PREAMBLE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


def render_html(graph: Graph, *, svg: Optional[str], mermaid: str) -> str:
    """``svg`` is dot's output, or ``None`` where Graphviz is absent."""
    if svg is not None:
        picture = f'<figure id="graph">{_SVG_PREAMBLE.sub("", svg, count=1)}</figure>'
    else:
        picture = ('<p id="no-graphviz">Graphviz is not installed where this page was made, so it shows no '
                   'picture; the Mermaid source below draws one in any Mermaid renderer.</p>\n'
                   f'<pre id="mermaid-source">{html.escape(mermaid)}</pre>')
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(TITLE)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(TITLE)}</h1>",
        picture,
        "<h2>Kubernetes objects</h2>",
        _table(("kind", "name", "cluster", "status", "reason"),
               ((n.status, (n.kind, n.name, n.cluster or "", n.status, n.reason)) for n in graph.side(KUBERNETES)),
               table_id="kubernetes-objects"),
        "<h2>VPC Lattice resources</h2>",
        _table(("type", "name", "detail"),
               ((ACCEPTED, (n.kind, n.name, n.detail)) for n in graph.side(LATTICE)), table_id="lattice-resources"),
        "<h2>Edges</h2>",
        _table(("from", "to", "weight"),
               ((ACCEPTED, (_title(graph, e.source), _title(graph, e.target),
                            "" if e.weight is None else str(e.weight))) for e in graph.edges), table_id="edges"),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _title(graph: Graph, node_id: str) -> str:
    node = graph.node(node_id)
    return f"{node.kind} {node.name}"


def _table(headings: Sequence[str], rows: Iterable, *, table_id: str) -> str:
    out = [f'<table id="{table_id}"><thead><tr>' + "".join(f"<th>{h}</th>" for h in headings) + "</tr></thead><tbody>"]
    for status, cells in rows:
        row_class = "" if status == ACCEPTED else f' class="{status}"'
        out.append(f"<tr{row_class}>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
