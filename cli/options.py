"""Options several commands share, defined once."""

from __future__ import annotations

from pathlib import Path

import typer
from typing_extensions import Annotated


def _project_dir(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """Not given: the nearest directory upward from here holding Pulumi.yaml, as pulumi
    finds it (never the install location)."""
    if ctx.get_parameter_source(param.name).name != "DEFAULT":
        return value
    from .inputs import find_project_dir

    return find_project_dir(Path.cwd())


ProjectDir = Annotated[Path, typer.Option(
    "--project-dir", help="Project root (holds Pulumi.yaml and stacks/). Default: the nearest directory upward "
    "holding Pulumi.yaml.", file_okay=False, callback=_project_dir, show_default=False)]
# The value typer sees when --project-dir is not given; the callback replaces it.
UNSET_PROJECT_DIR = Path(".")
