"""The daemon's log lines."""

from __future__ import annotations

import logging

from lattice_program.watch.logs import TextFormatter


def test_text_log_lines_escape_what_a_terminal_would_obey():
    """A name from a cluster object holding ESC[8m or a newline cannot hide or fake lines."""
    record = logging.LogRecord("lattice_program.watch", logging.WARNING, __file__, 1,
                               "route %s refused", ("evil\x1b[8m\nFAKE OK",), None)
    line = TextFormatter("%(levelname)s %(message)s").format(record)
    assert line == "WARNING route evil\\x1b[8m\\nFAKE OK refused"
