"""SVG from DOT text through Graphviz's ``dot``, when it is installed."""

from __future__ import annotations

import shutil
import subprocess
from typing import Optional

DOT_TIMEOUT_SECONDS = 60


class GraphvizMissing(Exception):
    """``dot`` is not on PATH."""


class GraphvizFailed(Exception):
    """``dot`` ran and refused the input or timed out."""


def find_dot() -> Optional[str]:
    return shutil.which("dot")


def render_svg(dot_source: str) -> str:
    dot = find_dot()
    if dot is None:
        raise GraphvizMissing("Graphviz's `dot` is not installed: install it (Debian/Ubuntu: apt-get install "
                              "graphviz; macOS: brew install graphviz) or use --format mermaid, dot or html")
    try:
        done = subprocess.run([dot, "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise GraphvizFailed(f"`dot -Tsvg` took longer than {DOT_TIMEOUT_SECONDS}s") from None
    if done.returncode != 0:
        raise GraphvizFailed(f"`dot -Tsvg` failed (exit {done.returncode}): "
                             f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8")
