"""latticectl's exit codes: the one table the commands use and docs/exit-codes.md is
generated from (``python -m cli.exit_codes > docs/exit-codes.md``; a test fails on drift).

The engine raises errors carrying 3 and 4 (``engine/automation.py``); it cannot import
this module, so a test holds the two equal rather than an import that would load Pulumi
on ``latticectl --help``."""

from __future__ import annotations

import sys
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    TOOL_MISSING = 3
    STACK_LOCKED = 4

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    ExitCode.OK: "Done. `plan` and `graph` computed a plan even if some objects were refused (they are listed "
                 "in `problems` and marked in the graph); `watch --once` converged.",
    ExitCode.FAILED: "The operation failed: an update, a target sync call, `watch --once` not converged, an "
                     "answer of no at a prompt, a cancelled update (the stack is left unlocked); with `plan "
                     "--strict`, an object was refused.",
    ExitCode.USAGE: "Bad input or usage: unreadable or malformed manifests, an unknown stack, invalid settings or "
                    "options; `up`/`destroy` with changes, no terminal to ask and no `--yes`; a protected stack "
                    "without `--confirm-stack`. One line on standard error says what to fix.",
    ExitCode.TOOL_MISSING: "A program the command needs is not installed: the `pulumi` CLI (preview, up, destroy, "
                           "watch, targets sync) or Graphviz's `dot` (`graph --format svg`). The message says how "
                           "to install it.",
    ExitCode.STACK_LOCKED: "The stack is locked by another update; the message names the holder and says when "
                           "it is gone.",
}


def markdown() -> str:
    lines = ["# latticectl exit codes", "",
             "Generated from `cli/exit_codes.py` (`python -m cli.exit_codes > docs/exit-codes.md`); "
             "every command uses these.", "",
             "| code | name | meaning |", "|---|---|---|"]
    lines += [f"| {code.value} | `{code.name}` | {code.description} |" for code in ExitCode]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(markdown())
