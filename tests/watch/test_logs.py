"""The daemon's log lines."""

from __future__ import annotations

import logging
import re

import orjson
import pytest

from lattice_program.watch.logs import JsonFormatter, TextFormatter, configure


def test_text_log_lines_escape_what_a_terminal_would_obey():
    """A name from a cluster object holding ESC[8m or a newline cannot hide or fake lines."""
    record = logging.LogRecord("lattice_program.watch", logging.WARNING, __file__, 1,
                               "route %s refused", ("evil\x1b[8m\nFAKE OK",), None)
    line = TextFormatter("%(levelname)s %(message)s").format(record)
    assert line == "WARNING route evil\\x1b[8m\\nFAKE OK refused"


def _record(message: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("lattice_program.watch", logging.ERROR, __file__, 1, message, args, exc_info)
    record.__dict__.update(extra)
    return record


def test_json_log_lines_are_one_object_with_the_extra_fields_and_the_traceback():
    try:
        raise RuntimeError("lease write refused")
    except RuntimeError:
        import sys

        failure = sys.exc_info()
    line = JsonFormatter().format(_record("stack %s: %s", "dev", "failed", exc_info=failure, stack="dev",
                                          attempt=3))
    assert "\n" not in line  # one line per record, whatever the traceback holds
    entry = orjson.loads(line)
    assert entry["level"] == "error" and entry["logger"] == "lattice_program.watch"
    assert entry["message"] == "stack dev: failed"
    assert (entry["stack"], entry["attempt"]) == ("dev", 3)  # fields given through extra=
    assert "RuntimeError: lease write refused" in entry["error"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    assert "exc_info" not in entry and "args" not in entry  # the record's own attributes stay out
    assert "error" not in orjson.loads(JsonFormatter().format(_record("fine")))


def test_configure_routes_the_daemons_loggers_to_standard_error_in_the_chosen_format(capsys):
    root = logging.getLogger("lattice_program")
    saved = (root.handlers[:], root.level, root.propagate)
    try:
        configure("json", logging.WARNING)
        logging.getLogger("lattice_program.watch").info("not shown: below the level")
        logging.getLogger("lattice_program.watch").warning("route %s refused", "cart")
        [line] = capsys.readouterr().err.splitlines()
        assert orjson.loads(line)["message"] == "route cart refused"
        assert root.propagate is False and len(root.handlers) == 1
        configure("text")
        logging.getLogger("lattice_program.watch").info("route %s programmed", "cart\x1b[8m")
        text = capsys.readouterr().err
        assert text.endswith(" INFO lattice_program.watch: route cart\\x1b[8m programmed\n")
        assert len(root.handlers) == 1  # configured again: replaced, not added
        with pytest.raises(ValueError, match=r"--log-format 'yaml': use text or json"):
            configure("yaml")
    finally:
        root.handlers[:], root.level, root.propagate = saved
