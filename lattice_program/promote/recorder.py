"""Every successful update records the release it applied.

``latticectl up`` brackets its update with :func:`begin_up` and :meth:`UpRecording.finish`:
the stack's input is read before and after, and the release is recorded only when both
reads agree (an input edited during the update is not what was applied).  The watch
daemon, which holds the exact objects it applied, calls :func:`record_applied` after each
successful ``up`` and :func:`converge_refusal` before one.  Recording never fails an
update that succeeded: a problem is returned as a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from lattice_program.promote import history
from lattice_program.promote.canonical import snapshot_digest
from lattice_program.promote.release import Release, ReleaseError, make_release
from lattice_program.promote.errors import PromotionError
from lattice_program.promote.protection import protecting
from lattice_program.promote.stacks import StackContext, load_stack, project_name, store_of
from lattice_program.promote.store import StoreError
from lattice_program.sources.files import RawObject, SourceError, load_paths
from lattice_program.vocabulary.settings import StackSettings


def read_inputs(project_dir: Path, stack: StackContext) -> Dict[str, List[RawObject]]:
    """The stack's input as its program reads it: the pinned release, or each cluster's
    manifests or live objects.  A partial read raises: it must not become a release."""
    if stack.settings.release is not None:
        from lattice_program.promote.promotion import Promoter

        promoter = Promoter(project_dir, engine=None)
        return promoter.objects_for(promoter.release(stack, stack.settings.release.digest), stack)[0]
    objects: Dict[str, List[RawObject]] = {}
    for cluster in stack.settings.cluster_list():
        if cluster.context:
            from lattice_program.sources.cluster import read_cluster

            read = read_cluster(context=cluster.context, cluster_name=cluster.name)
            if not read.complete:
                raise SourceError(f"cluster {cluster.name} could not be read completely: {'; '.join(read.failures)}")
            objects[cluster.name] = list(read.objects)
        elif cluster.sources:
            objects[cluster.name] = load_paths([str(Path(project_dir) / source) for source in cluster.sources])
        else:
            raise SourceError(f"stack {stack.name}: cluster {cluster.name} has no sources and no context")
    return objects


def record_applied(project_dir: Path, stack: str, objects: Mapping[str, Sequence[RawObject]], *,
                   settings_values: Optional[Mapping[str, Any]] = None, operation: str = "up") -> Release:
    """Record that ``stack`` applied ``objects`` successfully (the daemon's hook: call it
    after each successful ``up`` with the objects the update was planned from)."""
    context = load_stack(project_dir, stack)
    release = make_release(objects, project=project_name(project_dir), stack=stack,
                           settings_values=settings_values if settings_values is not None else context.values,
                           project_dir=Path(project_dir))
    store = store_of(project_dir, context)
    pinned = context.settings.release
    if pinned is not None and snapshot_digest(read_inputs(project_dir, context)) == snapshot_digest(objects):
        # A promoted stack re-applied its pin: that release, as promoted, is what it holds.
        release = store.load(stack, pinned.digest)
    store.save(stack, release)
    if history.current_digest(store.events(stack)) != release.digest:
        store.record(stack, history.APPLY, digest=release.digest, operation=operation, result="succeeded",
                     **{"from": pinned.from_stack if pinned else None})
    return release


class UpRecording:
    def __init__(self, project_dir: Path, stack: str, before: Optional[str], problem: Optional[str]) -> None:
        self.project_dir, self.stack, self.before, self.problem = project_dir, stack, before, problem

    def finish(self) -> str:
        """Record the release after a successful update; returns the line to show."""
        if self.problem:
            return f"release not recorded: {self.problem}"
        try:
            context = load_stack(self.project_dir, self.stack)
            objects = read_inputs(self.project_dir, context)
            release = make_release(objects, project=project_name(self.project_dir), stack=self.stack,
                                   settings_values=context.values)
            if release.digest != self.before:
                return (f"release not recorded: the input of stack {self.stack} changed during the update; "
                        f"run `latticectl up --stack {self.stack}` again to record what it holds")
            recorded = record_applied(self.project_dir, self.stack, objects, settings_values=context.values)
        except Exception as error:  # the update succeeded: a recording problem is a warning, never a failure
            return f"release not recorded: {error}"
        return f"release {recorded.digest} recorded for stack {self.stack}"


def begin_up(project_dir: Path, stack: str) -> UpRecording:
    try:
        context = load_stack(project_dir, stack)
        objects = read_inputs(project_dir, context)
        before = make_release(objects, project=project_name(project_dir), stack=stack,
                              settings_values=context.values).digest
    except Exception as error:  # e.g. a cluster that cannot be read: the update goes on, unrecorded
        return UpRecording(project_dir, stack, None, str(error))
    return UpRecording(project_dir, stack, before, None)


def converge_refusal(settings: StackSettings, *, rollback: bool = False) -> Optional[str]:
    """Why the daemon must not converge now (a frozen stack runs rollbacks only), or None."""
    if settings.promotion.frozen and not rollback:
        return "the stack is frozen (lattice-gateway:promotion.frozen): only rollbacks run; `latticectl unfreeze` lifts it"
    return None


def stack_program(project_dir: Path, stack: str, previous: Mapping[str, Any],
                  default: Callable[[], None]) -> Callable[[], None]:
    """What ``latticectl up`` runs for ``stack``: ``default`` (the program on its manifests or
    clusters), or for a stack whose input is a promoted release the program on that
    release; the service networks protected when the stack is."""
    try:
        context = load_stack(project_dir, stack)
    except PromotionError:
        return default  # the program itself reports unusable settings
    program = _pinned_program(project_dir, context, previous) if context.settings.release else default
    return protecting(program, context.settings)


def _pinned_program(project_dir: Path, context: StackContext, previous: Mapping[str, Any]) -> Callable[[], None]:
    stack = context.name

    def program() -> None:
        import pulumi

        from lattice_program.program.stack import run_objects

        try:
            objects = read_inputs(project_dir, context)
        except (PromotionError, ReleaseError, StoreError, SourceError) as error:
            raise pulumi.RunError(f"stack {stack}: its pinned release cannot be read: {error}") from None
        run_objects(objects, context.settings, previous=previous)
    return program
