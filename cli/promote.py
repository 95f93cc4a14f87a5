"""latticectl promote, rollback, verify, freeze/unfreeze, unhold, approve, history and diff:
moving releases between the stacks of environments (lattice_program/promote/).

Exit codes as in main.py: 1 refused or failed (a gate, a freeze, a hold, a failed update
or verification), 2 bad input (unknown stack, missing or corrupt release).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated
from .options import UNSET_PROJECT_DIR, ProjectDir

StackArgument = Annotated[str, typer.Argument(help="Stack name (stacks/Pulumi.<stack>.yaml).", show_default=False)]
DigestOption = Annotated[Optional[str], typer.Option("--release", help="Release digest (sha256:…); default: the stack's last verified release.")]


DEFAULT_PROJECT_DIR = UNSET_PROJECT_DIR


def make_engine(project_dir: Path, echo):
    """The promotion's Pulumi engine (tests substitute it)."""
    from lattice_program.engine import automation
    from lattice_program.promote.stack_engine import AutomationPromotionEngine

    automation.find_pulumi()
    return AutomationPromotionEngine(project_dir, on_output=echo)


def make_promoter(project_dir: Path, echo=None):
    from lattice_program.promote.promotion import Promoter

    return Promoter(project_dir, make_engine(project_dir, echo or (lambda line: None)))


def _guarded(action):
    """Run ``action``; turn the promotion's errors into one line and its exit code."""
    from lattice_program.engine.automation import AutomationError
    from lattice_program.promote.errors import PromotionError

    from .main import _fail

    try:
        return action()
    except (PromotionError, AutomationError) as error:
        _fail(str(error), error.exit_code)


def _show_plan(plan) -> None:
    from .main import _print_changes

    if plan.gates:
        typer.echo(f"Gates, {plan.source} → {plan.target.name}:")
        for gate in plan.gates:
            typer.echo(f"  {gate.line()}")
    typer.echo(f"Release {plan.release.digest} (recorded by {plan.release.stack}, tool {plan.release.tool_version}"
               + (f", commit {plan.release.commit}" if plan.release.commit else "") + ")")
    if plan.rewrites:
        typer.echo(f"Rewritten for {plan.target.name}:")
        for line in plan.rewrites:
            typer.echo(f"  {line}")
    if plan.preview.changes_anything:
        _print_changes(plan.target.name, plan.preview.changes)
    else:
        typer.echo(f"No changes to stack {plan.target.name}.")
    typer.echo(f"Preview {plan.preview_hash}")


def _finish(promoter, plan, *, yes: bool, allow_replace: bool, no_apply: bool, reason: str = "") -> None:
    from .main import EXIT_FAILED, _confirm

    _show_plan(plan)
    if no_apply:
        typer.echo("--no-apply: nothing was changed")
        return

    def confirm(_plan) -> bool:
        _confirm(plan.operation, plan.target.name, promoter.project_dir, yes=yes, confirm_stack=None,
                 changes=plan.preview.changes)
        return True
    outcome = _guarded(lambda: promoter.apply(plan, allow_replace=allow_replace, confirm=confirm, reason=reason))
    if not outcome.applied and outcome.verification is None:
        typer.echo(f"stack {plan.target.name} already holds release {plan.release.digest}: nothing to do")
        return
    summary = ", ".join(f"{kind} {count}" for kind, count in sorted(outcome.summary.items()))
    typer.echo(f"{plan.operation} of release {plan.release.digest} into {plan.target.name}: {summary or 'no changes'}")
    if outcome.pinned:
        typer.echo(f"pinned in {plan.target.path} (commit it for review)")
    _print_verification(plan.target.name, outcome.verification)
    if not outcome.verification.passed:
        raise typer.Exit(EXIT_FAILED)


def _print_verification(stack: str, verification) -> None:
    for check in verification.checks:
        typer.echo(f"  {check.result:7} {check.subject}: {check.detail}")
    typer.echo(f"verified in {stack}" if verification.passed else f"verification FAILED in {stack}")


def register(app: typer.Typer) -> None:
    default_dir = DEFAULT_PROJECT_DIR

    @app.command()
    def promote(
        source: Annotated[str, typer.Argument(metavar="FROM", help="Stack the release comes from.", show_default=False)],
        target: Annotated[str, typer.Argument(metavar="TO", help="Stack the release goes to.", show_default=False)],
        release: DigestOption = None,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Go ahead without asking (needed without a terminal).")] = False,
        allow_replace: Annotated[bool, typer.Option("--allow-replace", help="Allow replacing or deleting protected resources.")] = False,
        no_apply: Annotated[bool, typer.Option("--no-apply", help="Check the gates and preview; change nothing.")] = False,
        waive: Annotated[Optional[List[str]], typer.Option("--waive", help="Waive a gate: last-update, drift, soak, verification (repeat).")] = None,
        project_dir: ProjectDir = default_dir,
    ) -> None:
        """Move FROM's last verified release (or --release) into TO: gates, rewrite, preview, ask, up, verify, pin."""
        promoter = _guarded(lambda: make_promoter(project_dir))
        plan = _guarded(lambda: promoter.plan_promotion(source, target, digest=release, waive=tuple(waive or ())))
        _finish(promoter, plan, yes=yes, allow_replace=allow_replace, no_apply=no_apply)

    @app.command()
    def rollback(
        stack: StackArgument,
        to: Annotated[Optional[str], typer.Option("--to", help="Release digest to go back to; default: the previous verified one.")] = None,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Go ahead without asking.")] = False,
        allow_replace: Annotated[bool, typer.Option("--allow-replace", help="Allow replacing or deleting protected resources.")] = False,
        reason: Annotated[str, typer.Option("--reason", help="Why, recorded in the hold.")] = "rollback",
        project_dir: ProjectDir = default_dir,
    ) -> None:
        """Apply the stack's previous verified release and hold it there (no promotion replaces it until `unhold`)."""
        promoter = _guarded(lambda: make_promoter(project_dir))
        plan = _guarded(lambda: promoter.plan_rollback(stack, to=to))
        _finish(promoter, plan, yes=yes, allow_replace=allow_replace, no_apply=False, reason=reason)

    @app.command()
    def verify(stack: StackArgument, project_dir: ProjectDir = default_dir) -> None:
        """Verify what the stack holds (services ACTIVE, DNS, healthy targets, probe) and record it."""
        from .main import EXIT_FAILED

        promoter = _guarded(lambda: make_promoter(project_dir))
        result = _guarded(lambda: promoter.verify(promoter.stack(stack)))
        _print_verification(stack, result)
        if not result.passed:
            raise typer.Exit(EXIT_FAILED)

    def _edit(stack: str, project_dir: Path, edit, done: str) -> None:
        from lattice_program.promote.stacks import load_stack

        context = _guarded(lambda: load_stack(project_dir, stack))
        changed = edit(context.path)
        typer.echo(f"stack {stack} {done}" + (f" ({context.path} changed; commit it)" if changed else " already"))

    @app.command()
    def freeze(stack: StackArgument, project_dir: ProjectDir = default_dir) -> None:
        """Refuse promotions and daemon converges into the stack (rollbacks still run)."""
        from lattice_program.promote.pin import set_frozen

        _edit(stack, project_dir, lambda path: set_frozen(path, True), "is frozen")

    @app.command()
    def unfreeze(stack: StackArgument, project_dir: ProjectDir = default_dir) -> None:
        """Lift a freeze."""
        from lattice_program.promote.pin import set_frozen

        _edit(stack, project_dir, lambda path: set_frozen(path, False), "is not frozen")

    @app.command()
    def unhold(stack: StackArgument, project_dir: ProjectDir = default_dir) -> None:
        """Lift the hold a rollback put on the stack."""
        from lattice_program.promote.pin import set_hold

        _edit(stack, project_dir, lambda path: set_hold(path, None), "is not held")

    @app.command()
    def approve(stack: StackArgument,
                preview: Annotated[str, typer.Argument(help="The preview hash the promotion printed.", show_default=False)],
                note: Annotated[str, typer.Option("--note", help="Why, recorded with the approval.")] = "",
                project_dir: ProjectDir = default_dir) -> None:
        """Approve one preview of a promotion into a protected stack (a changed preview needs a new approval)."""
        import re

        from lattice_program.promote.stacks import load_stack, store_of

        from .main import EXIT_USAGE, _fail

        if not re.fullmatch(r"sha256:[0-9a-f]{64}", preview):
            _fail(f"{preview!r} is not a preview hash (sha256: and 64 hex digits, as `latticectl promote` prints it)",
                  EXIT_USAGE)
        context = _guarded(lambda: load_stack(project_dir, stack))
        _guarded(lambda: store_of(project_dir, context).approve(stack, preview, note=note))
        typer.echo(f"preview {preview} of stack {stack} approved")

    @app.command()
    def history(stack: StackArgument, project_dir: ProjectDir = default_dir) -> None:
        """Releases the stack applied: when, by whom, how, result, verification."""
        from lattice_program.promote import history as stack_history
        from lattice_program.promote.promotion import Promoter

        promoter = Promoter(project_dir, engine=None)
        events = _guarded(lambda: promoter.events(promoter.stack(stack)))
        rows = stack_history.rows(events)
        if not rows:
            typer.echo(f"stack {stack} has applied no recorded release")
        for row in rows:
            source = f" from {row.source}" if row.source and row.source != stack else ""
            typer.echo(f"{row.at}  {row.digest[:19]}  {row.operation}{source}  {row.result}  verification {row.verification}  by {row.by}")

    @app.command()
    def diff(stack_a: Annotated[str, typer.Argument(metavar="STACK_A", show_default=False)],
             stack_b: Annotated[str, typer.Argument(metavar="STACK_B", show_default=False)],
             project_dir: ProjectDir = default_dir) -> None:
        """What differs between two stacks' current releases: by Kubernetes object and by Lattice resource."""
        from lattice_program.promote import history as stack_history
        from lattice_program.promote.diff import diff_stacks
        from lattice_program.promote.promotion import Promoter
        from lattice_program.promote.errors import PromotionError

        promoter = Promoter(project_dir, engine=None)

        def side(name: str):
            context = promoter.stack(name)
            digest = stack_history.current_digest(promoter.events(context))
            if digest is None:
                raise PromotionError(f"stack {name} holds no recorded release; `latticectl up --stack {name}` records one")
            return digest, (promoter.objects_for(promoter.release(context, digest), context)[0], context.settings)

        (digest_a, a), (digest_b, b) = _guarded(lambda: (side(stack_a), side(stack_b)))
        typer.echo(f"A {stack_a}: {digest_a}\nB {stack_b}: {digest_b}")
        found = diff_stacks(a, b)
        for section, title in (("objects", "Kubernetes objects"), ("lattice", "Lattice resources")):
            typer.echo(f"{title}:" + ("" if found[section] else " no differences"))
            for difference in found[section]:
                typer.echo(f"  {difference.subject}: {difference.change}")
