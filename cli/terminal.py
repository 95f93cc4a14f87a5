"""What may reach a terminal: every line latticectl prints goes through here.

Names, hostnames, header values and messages come from manifests anyone can write, and
a terminal or CI log obeys the control sequences in them: ``ESC[8m`` hides every line
after it, a carriage return overwrites a line, a bidirectional override (U+202E) shows
text in another order than it is.  So every control character (C0, DEL, C1),
bidirectional control and invisible format character is printed as its escape
(``\\x1b``, ``\\u202e``), newlines and tabs included where a value could fake a line.
JSON output needs nothing more: ``json.dumps`` escapes them all already.
"""

from __future__ import annotations

import re
import sys
import time
import unicodedata
from typing import Callable, Dict, Optional, TextIO

import typer

# Bidirectional embeddings, overrides and isolates, marks, and the invisible joiners.
_FORMAT_CHARACTERS = (0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F),
                      *range(0x2060, 0x2070), 0xFEFF)
_CONTROLS = (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))
_SURROGATES = range(0xD800, 0xE000)  # undecodable bytes carried through surrogateescape


_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _escape(code: int) -> str:
    return _NAMED.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_ESCAPES: Dict[int, str] = {code: _escape(code) for code in (*_CONTROLS, *_FORMAT_CHARACTERS, *_SURROGATES)}
_ESCAPES_KEEPING_LINES = {code: text for code, text in _ESCAPES.items() if chr(code) not in "\n\t"}
# The pulumi CLI's own colours: dropped (not escaped), since a name inside its output may
# carry the same sequences.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
PROGRESS_AFTER_SECONDS = 1.0
PROGRESS_EVERY_SECONDS = 0.2


def printable(text: object, *, keep_lines: bool = False) -> str:
    """``text`` with every character a terminal would obey shown as its escape."""
    value = str(text).translate(_ESCAPES_KEEPING_LINES if keep_lines else _ESCAPES)
    # Other format characters (category Cf) are rare in real names and invisible everywhere.
    if value.isascii():
        return value
    return "".join(_escape(ord(c)) if unicodedata.category(c) == "Cf" else c for c in value)


def echo(message: object = "", *, err: bool = False) -> None:
    """typer.echo for lines we compose: newlines we wrote are kept, everything else escaped."""
    typer.echo(printable(message, keep_lines=True), err=err)


def echo_tool_line(line: str) -> None:
    """One line of another program's output (the pulumi CLI): its colours dropped, the rest escaped."""
    typer.echo(printable(_SGR.sub("", line.rstrip("\n"))))


def cut(value: object, limit: int = 40) -> str:
    """A value for a message: printable, and at most ``limit`` characters."""
    text = printable(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


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
