"""``latticectl adopt``: take over what a running AWS Gateway API Controller made
(lattice_program/adopt, docs/adopt.md)."""

from __future__ import annotations

from typing import Optional

import typer
from typing_extensions import Annotated

from .exit_codes import ExitCode
from .options import UNSET_PROJECT_DIR, ProjectDir


def adopt(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack to bring the controller's resources under.")],
    managed_by: Annotated[str, typer.Option("--managed-by", help="The controller's ManagedBy tag value: ACCOUNT/CLUSTER/VPC.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report and list the steps; change nothing at all.")] = False,
    output: Annotated[str, typer.Option("--output", "-o", help="tree for people, json for machines.")] = "tree",
    region: Annotated[Optional[str], typer.Option("--region", help="AWS region (default: the stack's aws:region).")] = None,
    project_dir: ProjectDir = UNSET_PROJECT_DIR,
) -> None:
    """Adopt a running AWS Gateway API Controller installation: match what it made to the stack's objects, import it with protect, retag ManagedBy, and print the hand-over."""
    if output not in ("tree", "json"):
        _fail(f"--output {output!r}: use tree or json", ExitCode.USAGE)
    from lattice_program.adopt.handover import AdoptError, AdoptRequest, adopt as run_adopt
    from lattice_program.adopt.inventory import InventoryIncomplete, read_inventory
    from lattice_program.adopt.ownership import ManagedByError, parse_managed_by
    from lattice_program.engine.automation import AutomationError

    from . import render
    from .inputs import InputError, aws_region, load_inputs, load_settings

    try:
        controller = parse_managed_by(managed_by)
        settings = load_settings(project_dir, stack)
        inputs = load_inputs(None, None, settings, project_dir)
    except (ManagedByError, InputError) as error:
        _fail(str(error), ExitCode.USAGE)
    if not inputs.complete:
        _fail("the stack's objects could not all be read; adopting on a partial read could leave resources out: "
              + "; ".join(str(note) for note in inputs.notes), ExitCode.FAILED)
    vpcs = {cluster.vpc_id for cluster in settings.cluster_list()}
    if controller.vpc not in vpcs:
        _fail(f"--managed-by names VPC {controller.vpc}, which no cluster of stack {stack} uses ({', '.join(sorted(vpcs))}); "
              "give the ManagedBy value of the controller running in one of the stack's clusters", ExitCode.USAGE)
    import boto3

    client = boto3.client("vpc-lattice", region_name=region or aws_region(project_dir, stack))
    request = AdoptRequest(stack=stack, project_dir=project_dir.resolve(), controller=controller, objects=inputs.objects,
                           settings=settings, dry_run=dry_run)
    try:
        inventory = read_inventory(client)
        outcome = run_adopt(request, client, inventory,
                            on_output=None if output == "json" else (lambda line: typer.echo(line, err=True)))
    except InventoryIncomplete as error:
        _fail(str(error), ExitCode.FAILED)
    except (AdoptError, AutomationError) as error:
        _fail(str(error), getattr(error, "exit_code", ExitCode.FAILED))
    if output == "json":
        render.print_json(outcome.to_dict())
    else:
        _print(outcome)
    if outcome.refused:
        raise typer.Exit(ExitCode.FAILED)


def _print(outcome) -> None:
    report = outcome.report
    header = "adoption (dry run)" if outcome.dry_run else "adoption"
    typer.echo(f"{header} into stack {outcome.stack}, ManagedBy {outcome.managed_by}")
    for item in report.objects:
        typer.echo(f"  {item.object}: {item.status}")
        for reason in item.reasons:
            typer.echo(f"    - {reason}")
    for found in report.unclaimed:
        typer.echo(f"  left alone, no object of the stack declares it: {found.describe()}")
    for note in report.notes:
        typer.echo(f"  note: {note}")
    for step in outcome.steps:
        typer.echo(f"{step.name}: {step.status}{': ' + step.detail if step.detail else ''}")


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(int(code))
