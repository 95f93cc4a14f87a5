"""Live progress of ``preview``/``up``/``destroy``: one line per resource step, from the
Automation API's engine events, on standard error with rich.

Only for a person at a terminal: with standard error not a terminal, or ``--output
json``, nothing is shown (``live_progress`` returns ``None``), so pipes and logs get
exactly what they got before.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional

from rich.console import Console
from rich.markup import escape

_IGNORED_TYPES = ("pulumi:pulumi:Stack", "pulumi:providers:")
# How each step is announced while it runs and once it is done, per engine op.
_OP_STYLE = {
    "create": ("+", "green", "creating", "created"),
    "update": ("~", "yellow", "updating", "updated"),
    "delete": ("-", "red", "deleting", "deleted"),
    "replace": ("+-", "magenta", "replacing", "replaced"),
    "create-replacement": ("++", "magenta", "creating replacement", "created replacement"),
    "delete-replaced": ("--", "magenta", "deleting replaced", "deleted replaced"),
    "read": (">", "cyan", "reading", "read"),
    "refresh": ("~", "cyan", "refreshing", "refreshed"),
    "import": ("=", "cyan", "importing", "imported"),
}


class LiveProgress:
    """An ``on_event`` callback for ``engine/automation.run_operation``."""

    def __init__(self, console: Console, *, planning: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.planning = planning  # a preview announces what would happen, not what is happening
        self.clock = clock
        self.started: dict = {}
        self.steps = 0
        self.failed = 0

    def on_event(self, event: Any) -> None:
        pre = getattr(event, "resource_pre_event", None)
        done = getattr(event, "res_outputs_event", None)
        failed = getattr(event, "res_op_failed_event", None)
        if pre is not None and pre.metadata is not None:
            self._pre(pre.metadata)
        elif done is not None and done.metadata is not None:
            self._done(done.metadata)
        elif failed is not None and failed.metadata is not None:
            self._failed(failed.metadata)

    def _pre(self, metadata: Any) -> None:
        op = _op(metadata)
        if _ignored(metadata) or op == "same":
            return
        self.steps += 1
        self.started[metadata.urn] = self.clock()
        symbol, colour, running, finished = _OP_STYLE.get(op, ("*", "white", op, op))
        verb = f"would be {finished}" if self.planning else running
        self.console.print(f"[{colour}]{escape(symbol):>2}[/] {escape(_resource(metadata))} [dim]{escape(verb)}[/]")

    def _done(self, metadata: Any) -> None:
        op = _op(metadata)
        if self.planning or _ignored(metadata) or op == "same":
            return
        _, colour, _, finished = _OP_STYLE.get(op, ("*", "white", op, op))
        now = self.clock()
        took = now - self.started.pop(metadata.urn, now)
        self.console.print(f"[{colour}]ok[/] {escape(_resource(metadata))} [dim]{escape(finished)} ({took:.1f}s)[/]")

    def _failed(self, metadata: Any) -> None:
        self.failed += 1
        self.console.print(f"[bold red]failed[/] {escape(_resource(metadata))} [dim]{escape(_op(metadata))}[/]")


def live_progress(*, enabled: bool, planning: bool, console: Optional[Console] = None) -> Optional[LiveProgress]:
    """A progress display when ``enabled`` and standard error is a terminal, else ``None``."""
    if not enabled:
        return None
    if console is None:
        if not stderr_is_terminal():
            return None
        console = Console(file=sys.stderr, highlight=False)
    return LiveProgress(console, planning=planning)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _op(metadata: Any) -> str:
    return str(getattr(metadata.op, "value", metadata.op))


def _ignored(metadata: Any) -> bool:
    return metadata.type.startswith(_IGNORED_TYPES) or metadata.type.startswith("lattice:index:")


def _resource(metadata: Any) -> str:
    """``Rule HTTPRoute/shop/checkout/http-80/split``: the short type and the logical name."""
    short = metadata.type.rsplit(":", 1)[-1]
    return f"{short} {metadata.urn.rsplit('::', 1)[-1]}"
