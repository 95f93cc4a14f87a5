"""What may reach a terminal: every line latticectl prints goes through here.

Names, hostnames, header values and messages come from manifests anyone can write, and
a terminal or CI log obeys the control sequences in them: ``ESC[8m`` hides every line
after it, a carriage return overwrites a line, a bidirectional override (U+202E) shows
text in another order than it is.  So every control character (C0, DEL, C1),
bidirectional control and invisible format character is printed as its escape
(``\\x1b``, ``\\u202e``), newlines and tabs included where a value could fake a line.
JSON output needs nothing more: ``json.dumps`` escapes them all already.  The escaping
itself is ``vocabulary/text.py`` (the daemon's text logs use it too).
"""

from __future__ import annotations

import re
import sys
import time
from typing import Callable, Optional, TextIO

import typer

from lattice_program.vocabulary.text import printable

# The pulumi CLI's own colours: dropped (not escaped), since a name inside its output may
# carry the same sequences.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
PROGRESS_AFTER_SECONDS = 1.0
PROGRESS_EVERY_SECONDS = 0.2


def echo(message: object = "", *, err: bool = False) -> None:
    """typer.echo for lines we compose: newlines we wrote are kept, everything else escaped."""
    typer.echo(printable(message, keep_lines=True), err=err)


def echo_tool_line(line: str) -> None:
    """One line of another program's output (the pulumi CLI): its colours dropped, the rest escaped."""
    typer.echo(printable(_SGR.sub("", line.rstrip("\n"))))


def progress_on_stderr(stream: Optional[TextIO] = None) -> Optional[Callable[[int, int, int], None]]:
    """A progress callback for a long read, shown on stderr when it is a terminal; None otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    started = time.monotonic()
    last = [0.0]

    def report(files_read: int, files_total: int, bytes_read: int) -> None:
        now = time.monotonic()
        finished = files_read >= files_total
        if now - started < PROGRESS_AFTER_SECONDS or (now - last[0] < PROGRESS_EVERY_SECONDS and not finished):
            return
        last[0] = now
        stream.write(f"\rreading sources: {files_read:,}/{files_total:,} files, {bytes_read / 1_048_576:.1f} MiB")
        if finished:
            stream.write("\n")
        stream.flush()
    return report
