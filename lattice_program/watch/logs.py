"""The daemon's log lines: text for people, JSON (one object a line) for log pipelines."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import orjson

from lattice_program.vocabulary.text import printable

# Attributes every LogRecord has; anything else on a record came through ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """One line per record, with what a terminal would obey escaped (names in messages
    come from cluster objects anyone can write)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # the traceback, if any, follows as it is
        return printable(super().formatMessage(record))


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Route the daemon's loggers to standard error in ``text`` or ``json``."""
    if log_format not in ("text", "json"):
        raise ValueError(f"--log-format {log_format!r}: use text or json")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("lattice_program")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
