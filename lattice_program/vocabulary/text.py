"""Text that is safe to show on a terminal or in a log: every character a terminal would
obey (C0 and C1 controls, DEL, bidirectional controls, invisible format characters,
undecodable bytes) shown as its escape.  Names and messages come from manifests anyone
can write; ``ESC[8m`` in a name would hide the lines after it in a CI log."""

from __future__ import annotations

import unicodedata
from typing import Dict

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


def printable(text: object, *, keep_lines: bool = False) -> str:
    """``text`` with every character a terminal would obey shown as its escape."""
    value = str(text).translate(_ESCAPES_KEEPING_LINES if keep_lines else _ESCAPES)
    # Other format characters (category Cf) are rare in real names and invisible everywhere.
    if value.isascii():
        return value
    return "".join(_escape(ord(c)) if unicodedata.category(c) == "Cf" else c for c in value)


def shorten(text: object, length: int) -> str:
    """``text`` as a message shows it: at most ``length`` characters, cut with an ellipsis."""
    value = str(text)
    return value if len(value) <= length else value[:length - 1] + "\u2026"
