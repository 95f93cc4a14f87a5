"""`latticectl doctor`: is this machine, account and cluster ready for the stack?

The checks live in ``lattice_program/inspect/``; this module wires them to boto3, the
kubeconfig and the plan, and prints them.  Heavy imports stay inside the command.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Dict, List, Optional

import typer
from typing_extensions import Annotated
from .options import UNSET_PROJECT_DIR, ProjectDir



class DoctorOutput(str, Enum):
    text = "text"
    json = "json"


MARK = {"pass": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip"}


def doctor(
    stack: Annotated[Optional[str], typer.Option("--stack", "-s", help="Stack to check: its settings, region, clusters and plan.")] = None,
    context: Annotated[Optional[List[str]], typer.Option("--context", help="Kubeconfig context of a cluster to check (CTX, or CLUSTER=CTX for a stack of several); repeat for several. Default: the stack settings' contexts, else the current context.")] = None,
    output: Annotated[DoctorOutput, typer.Option("--output", "-o", help="text for people, json for machines.")] = DoctorOutput.text,
    project_dir: ProjectDir = UNSET_PROJECT_DIR,
) -> None:
    """Check the pulumi CLI and aws plugin, AWS identity and region, stack settings, Lattice quotas, and each cluster (reachable, CRDs, no AWS controller running). Exit 1 when a check fails."""
    import boto3

    from lattice_program.inspect.doctor import healthy, report_document
    from lattice_program.inspect.doctor_run import DoctorRequest, diagnose
    from lattice_program.sources.cluster import connect

    from .exit_codes import ExitCode

    sessions: list = []

    def session():  # made on first use, inside a check: a broken AWS profile is that check's failure
        if not sessions:
            sessions.append(boto3.Session())
        return sessions[0]

    request = DoctorRequest(
        project_dir=project_dir, stack=stack, session=session,
        make_client=lambda service, region: session().client(service, region_name=region),
        connect=lambda ctx: connect(context=ctx),
        contexts=lambda settings: _contexts(settings, context or []),
        plan_model=lambda settings: _plan_model(settings, project_dir),
        stack_region=_stack_region(project_dir, stack),
    )
    results = diagnose(request)
    if output is DoctorOutput.json:
        from . import render

        render.print_json(report_document(results))
    else:
        for result in results:
            typer.echo(f"[{MARK[result.status.value]}] {result.name}: {result.detail}")
            if result.fix and result.status.value != "pass":
                typer.echo(f"       fix: {result.fix}")
        counts = report_document(results)["counts"]
        typer.echo(", ".join(f"{count} {status}" for status, count in counts.items()))
    if not healthy(results):
        raise typer.Exit(ExitCode.FAILED)


def _stack_region(project_dir: Path, stack: Optional[str]) -> Optional[str]:
    """The stack's aws:region; None when there is no readable stack (its own check says why)."""
    from .inputs import InputError, aws_region

    if not stack:
        return None
    try:
        return aws_region(project_dir, stack)
    except InputError:
        return None


def _contexts(settings, given: List[str]) -> Dict[str, Optional[str]]:
    """Each cluster's context: the stack's, overridden by --context; with no stack, each
    --context is a cluster of its own name, and none means the current context."""
    if settings is not None:
        from lattice_program.watch.daemon import cluster_contexts

        return cluster_contexts(settings, given)
    if not given:
        return {"default": None}
    return {entry.partition("=")[0] if "=" in entry else entry: entry.partition("=")[2] or entry for entry in given}


def _plan_model(settings, project_dir: Path):
    from lattice_program.contract.pipeline import plan

    from .inputs import InputError, load_inputs

    try:
        inputs = load_inputs(None, None, settings, project_dir)
    except InputError as error:
        return None, f"no plan: {error}"
    if not inputs.complete:
        return None, "no plan: a cluster could not be read completely"
    return plan(inputs.objects, settings).model, ""
