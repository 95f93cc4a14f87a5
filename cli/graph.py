"""``latticectl graph``: the plan document drawn in the format asked for.

Light at import (the command's options are read on ``latticectl --help``); the
renderers load when a graph is drawn.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, Mapping, Optional


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"
    html = "html"
    json = "json"


_BY_SUFFIX = {".mmd": GraphFormat.mermaid, ".mermaid": GraphFormat.mermaid, ".dot": GraphFormat.dot,
              ".gv": GraphFormat.dot, ".svg": GraphFormat.svg, ".html": GraphFormat.html,
              ".htm": GraphFormat.html, ".json": GraphFormat.json}


def format_for(explicit: Optional[GraphFormat], output: Optional[Path]) -> GraphFormat:
    """The format asked for; else the one ``--output``'s suffix names; else Mermaid text."""
    if explicit is not None:
        return explicit
    if output is not None and output.suffix.lower() in _BY_SUFFIX:
        return _BY_SUFFIX[output.suffix.lower()]
    return GraphFormat.mermaid


def render(document: Mapping[str, Any], graph_format: GraphFormat) -> str:
    """The graph of a plan document as text. ``svg`` raises ``GraphvizMissing`` without
    ``dot``; ``html`` inlines the SVG where ``dot`` is found and shows the Mermaid source
    where it is not."""
    import json

    from lattice_program.inspect.graph import graph_of
    from lattice_program.inspect.graph_dot import render_dot
    from lattice_program.inspect.graph_html import render_html
    from lattice_program.inspect.graph_mermaid import render_mermaid
    from lattice_program.inspect.graph_svg import find_dot, render_svg

    graph = graph_of(document)
    if graph_format is GraphFormat.json:
        return json.dumps(graph.as_dict(), indent=2) + "\n"
    if graph_format is GraphFormat.mermaid:
        return render_mermaid(graph)
    if graph_format is GraphFormat.dot:
        return render_dot(graph)
    if graph_format is GraphFormat.svg:
        return render_svg(render_dot(graph))
    svg = render_svg(render_dot(graph)) if find_dot() else None
    return render_html(graph, svg=svg, mermaid=render_mermaid(graph))
