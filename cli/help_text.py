"""How ``latticectl --help`` lists the commands: each with its whole first paragraph.

click cuts a command's description to what fits beside its name on one line
(``Show the VPC Lattice resources and targets the program...``), which hides what the
command is for; here the description is wrapped instead, never cut.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperGroup


def first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n", 1)[0].split())


class FullDescriptions(TyperGroup):
    """A command group whose help lists every command's description uncut."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.short_help and command.help:
                command.short_help = first_paragraph(command.help)
        super().format_commands(ctx, formatter)
