"""``latticectl services``: the directory of the VPC Lattice services the stacks manage
(``lattice_program/inspect/services.py``), as a table, JSON or one HTML page.

Each stack is planned offline as ``latticectl plan --stack`` plans it; its outputs are read
when it has been applied, and the Lattice API is asked when there are AWS credentials.
A stack that cannot be planned is reported and the others are still listed (exit 1).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, List, Optional

import typer
from typing_extensions import Annotated

from .exit_codes import ExitCode
from .terminal import echo
from .options import UNSET_PROJECT_DIR, ProjectDir


class DirectoryFormat(str, Enum):
    table = "table"
    json = "json"
    html = "html"


def stack_names(project_dir: Path) -> List[str]:
    """Every stack with a settings file in the project's stack config directory."""
    from lattice_program.engine.automation import AutomationError, stack_config_path

    try:
        config_dir = stack_config_path(project_dir, "any").parent
    except AutomationError as error:
        raise typer.BadParameter(str(error), param_hint="--project-dir") from None
    return sorted({p.name[len("Pulumi."):].rsplit(".", 1)[0] for p in config_dir.glob("Pulumi.*.y*ml")})


def lattice_client(region: Optional[str]) -> Optional[Any]:
    """A vpc-lattice client where there are AWS credentials; None (offline) where there are none."""
    import boto3

    session = boto3.Session(region_name=region)
    if session.get_credentials() is None or session.region_name is None:
        return None
    return session.client("vpc-lattice")


def read_outputs(stack: str, project_dir: Path) -> tuple:
    """(the stack's outputs or None, a note saying why there are none)."""
    from lattice_program.engine import automation

    try:
        return automation.read_stack_outputs(automation.StackTarget(stack=stack, work_dir=project_dir)), None
    except automation.StackNotFound:
        return None, f"{stack}: not applied yet: its services are shown from its plan"
    except automation.AutomationError as error:
        return None, f"{stack}: its outputs could not be read ({error}): its services are shown from its plan"


def _region(project_dir: Path, stack: str) -> Optional[str]:
    from lattice_program.engine.automation import stack_config_path
    from lattice_program.vocabulary.settings import SettingsError, read_stack_file

    try:
        return read_stack_file(stack_config_path(project_dir, stack), namespace="aws").get("region")
    except SettingsError:
        return None


def _awaits_input(project_dir: Path, stack: str) -> bool:
    """A stack with nothing to plan yet: a promotion target before its first release."""
    from .inputs import InputError, load_settings

    try:
        settings = load_settings(project_dir, stack)
    except InputError:
        return False  # planning it reports the error
    return settings.release is None and not any(c.sources or c.context for c in settings.cluster_list())


def services(
    paths: Annotated[Optional[List[str]], typer.Argument(help="YAML files or directories to list instead of the stacks' sources (with at most one --stack).", show_default=False)] = None,
    stack: Annotated[Optional[List[str]], typer.Option("--stack", "-s", help="A stack to list; repeat for several. Default: every stack (--all-stacks).", show_default=False)] = None,
    all_stacks: Annotated[bool, typer.Option("--all-stacks", help="Every stack with a settings file in stacks/.")] = False,
    output: Annotated[DirectoryFormat, typer.Option("--output", "-o", help="table for people, json for machines, html: one self-contained page to publish.")] = DirectoryFormat.table,
    offline: Annotated[bool, typer.Option("--offline", help="Neither read the stacks' outputs nor ask the Lattice API: plans only.")] = False,
    project_dir: ProjectDir = UNSET_PROJECT_DIR,
) -> None:
    """The service directory: each VPC Lattice service the stacks manage, with its DNS name, custom domain, auth type, owning route, clusters, backend kinds, stacks and the principals it is shared with."""
    from lattice_program.inspect.services import StackView, directory
    from lattice_program.inspect.services_render import render_html, render_json, render_table

    from .main import _plan_document

    if stack and all_stacks:
        raise typer.BadParameter("give --stack NAME or --all-stacks, not both", param_hint="--all-stacks")
    if paths and len(stack or []) > 1:
        raise typer.BadParameter("PATHs are planned with one stack's settings: give at most one --stack",
                                 param_hint="--stack")
    names: List[Optional[str]] = list(stack or [])
    if not names:
        names = [None] if paths else list(stack_names(project_dir))
    views, failed = [], []
    for name in names:
        if name and not paths and _awaits_input(project_dir, name):
            views.append(StackView(stack=name, plan={}, notes=(
                f"{name}: no input yet (no sources, no cluster context, no promoted release): no services",)))
            continue
        try:
            document, _, _ = _plan_document(paths, name, None, None, None, project_dir)
        except typer.Exit:  # its message is on standard error already
            failed.append(name or "plan")
            continue
        notes, outputs, client = [], None, None
        if name and not offline:
            outputs, note = read_outputs(name, project_dir)
            notes += [note] if note else []
            client = lattice_client(_region(project_dir, name))
            if client is None:
                notes.append(f"{name}: no AWS credentials or region: not checked against the Lattice API")
        views.append(StackView(stack=name or "plan", plan=document, outputs=outputs, lattice=client,
                               notes=tuple(notes)))
    found = directory(views)
    if failed:
        found = type(found)(entries=found.entries, notes=found.notes + tuple(
            f"{name}: could not be planned (see the message above); its services are missing" for name in failed))
    if output is DirectoryFormat.json:
        typer.echo(render_json(found), nl=False)
    elif output is DirectoryFormat.html:
        typer.echo(render_html(found), nl=False)
    else:
        echo(render_table(found).rstrip("\n"))
    if failed:
        raise typer.Exit(ExitCode.FAILED)
