"""The service directory as a table for a terminal (rich), as JSON, and as one
self-contained HTML page a team can publish: no script, no external URL, every value
HTML-escaped (names come from manifests anyone can write).  In the table every value goes
through ``vocabulary/text.py`` and rich markup is never interpreted."""

from __future__ import annotations

import html
import io
import json
from typing import Iterable, List, Optional, Sequence, Tuple

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lattice_program.inspect.services import Directory, DirectoryEntry, ServiceInstance
from lattice_program.vocabulary.text import printable

TITLE = "lattice-gateway: service directory"
COLUMNS = ("route", "namespace", "stack", "service", "DNS name", "custom domain", "auth", "service networks",
           "clusters", "backends", "shared with", "from")


def _cells(entry: DirectoryEntry, instance: ServiceInstance) -> Tuple[str, ...]:
    source = instance.source + (f" ({instance.status})" if instance.status else "")
    return (f"{entry.kind} {entry.name}", entry.namespace, instance.stack, instance.name,
            instance.dns_name or "(not applied)", instance.custom_domain or "", instance.auth_type or "",
            ", ".join(instance.networks), ", ".join(instance.clusters), ", ".join(instance.backend_kinds),
            ", ".join(instance.shared_with + instance.shared_through_networks) or "not shared", source)


def _rows(directory: Directory) -> Iterable[Tuple[str, ...]]:
    for entry in directory.entries:
        for instance in entry.instances:
            yield _cells(entry, instance)


def render_json(directory: Directory) -> str:
    return json.dumps(directory.as_dict(), indent=2) + "\n"


def render_table(directory: Directory, *, width: Optional[int] = None) -> str:
    table = Table(title=TITLE, show_lines=False)
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for cells in _rows(directory):
        table.add_row(*(Text(printable(cell)) for cell in cells))
    out = io.StringIO()
    console = Console(file=out, width=width or 400, highlight=False, markup=False, emoji=False, color_system=None)
    if directory.entries:
        console.print(table)
    else:
        console.print(Text("no Lattice services in these stacks"))
    for note in directory.notes:
        console.print(Text(printable(f"note: {note}")))
    summary = f"{len(directory.entries)} service(s) in {len({i.stack for e in directory.entries for i in e.instances})} stack(s)"
    console.print(Text(summary))
    return out.getvalue()


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0 2rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.unapplied { color: #777; font-style: italic; }
"""


def render_html(directory: Directory) -> str:
    parts: List[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(TITLE)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(TITLE)}</h1>",
        f"<p>{len(directory.entries)} service(s).</p>",
        _table(COLUMNS, directory),
    ]
    if directory.notes:
        parts.append('<h2>Notes</h2><ul id="notes">'
                     + "".join(f"<li>{html.escape(note)}</li>" for note in directory.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _table(headings: Sequence[str], directory: Directory) -> str:
    out = ['<table id="services"><thead><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in headings)
           + "</tr></thead><tbody>"]
    for entry in directory.entries:
        for instance in entry.instances:
            cells = _cells(entry, instance)
            out.append(f'<tr data-route="{html.escape(entry.route, quote=True)}" '
                       f'data-stack="{html.escape(instance.stack, quote=True)}">'
                       + "".join(_cell(heading, cell, instance) for heading, cell in zip(headings, cells)) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _cell(heading: str, value: str, instance: ServiceInstance) -> str:
    unapplied = heading == "DNS name" and not instance.dns_name
    return f'<td class="unapplied">{html.escape(value)}</td>' if unapplied else f"<td>{html.escape(value)}</td>"
