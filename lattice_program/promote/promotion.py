"""Promotion, rollback and verification of one release into one stack.

``plan_*`` decide and preview, changing nothing; :meth:`Promoter.apply` refuses what is
protected or unapproved, asks, runs the update, records it, pins the release in the
receiving stack's settings file (only after the update succeeded) and verifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Dict, List, Optional, Sequence

from lattice_program.engine.automation import AutomationError
from lattice_program.promote import gates as gate_rules
from lattice_program.promote import history
from lattice_program.promote.pin import pin_release, set_hold
from lattice_program.promote.preview import Preview, Step, preview_hash, protected_patterns, protected_violations
from lattice_program.promote.release import Release, ReleaseError
from lattice_program.promote.rewrite import RewriteError, rewrite_release
from lattice_program.promote.stack_engine import PromotionEngine, count_changes
from lattice_program.promote.errors import BadInput, PromotionError
from lattice_program.promote.stacks import StackContext, load_stack, store_of
from lattice_program.promote.store import ReleaseStore, StoreError
from lattice_program.promote.verify import Verification, verify_stack
from lattice_program.sources.files import RawObject

PROMOTE = "promote"
ROLLBACK = "rollback"


class ApprovalRequired(PromotionError):
    def __init__(self, stack: str, digest: str, hash_: str, steps: Sequence[Step]) -> None:
        self.preview_hash = hash_
        listed = "\n  ".join(f"{s.op} {s.urn}" for s in steps[:20])
        super().__init__(f"stack {stack} is protected and this preview replaces or deletes {len(steps)} resource(s):\n  "
                         f"{listed}\nit needs an approval of preview {hash_}: `latticectl approve {stack} {hash_}`, "
                         "then run it again (a changed preview voids the approval)")


@dataclass
class PromotionPlan:
    operation: str
    source: str  # the stack the release comes from (the stack itself for a rollback)
    target: StackContext
    release: Release
    objects: Dict[str, List[RawObject]]
    rewrites: List[str]
    gates: List[gate_rules.Gate]
    preview: Preview
    preview_hash: str
    violations: List[Step]
    needs_approval: bool
    approved: bool
    already_current: bool


@dataclass
class Outcome:
    applied: bool
    summary: Dict[str, int] = field(default_factory=dict)
    verification: Optional[Verification] = None
    pinned: bool = False


class Promoter:
    def __init__(self, project_dir: Path, engine: PromotionEngine, *,
                 lattice_client: Optional[Callable[[StackContext], Any]] = None,
                 s3_client: Optional[Callable[[], Any]] = None, clock: Optional[Callable[[], Any]] = None,
                 resolve: Optional[Callable[[str], bool]] = None, run: Optional[Callable[..., Any]] = None) -> None:
        self.project_dir = Path(project_dir)
        self.engine = engine
        self.lattice_client = lattice_client or _boto3_lattice
        self.s3_client = s3_client
        self.clock = clock
        self.verify_options = {k: v for k, v in (("resolve", resolve), ("run", run)) if v is not None}

    # -- reading ------------------------------------------------------------------

    def stack(self, name: str) -> StackContext:
        return load_stack(self.project_dir, name)

    def store(self, stack: StackContext) -> ReleaseStore:
        try:
            return store_of(self.project_dir, stack, s3_client=self.s3_client)
        except StoreError as error:
            raise BadInput(f"stack {stack.name}: {error}") from None

    def events(self, stack: StackContext) -> List[Dict[str, Any]]:
        try:
            return self.store(stack).events(stack.name)
        except StoreError as error:
            raise PromotionError(str(error)) from None

    def release(self, stack: StackContext, digest: str) -> Release:
        try:
            return self.store(stack).load(stack.name, digest)
        except (ReleaseError, StoreError) as error:
            raise BadInput(str(error)) from None

    def objects_for(self, release: Release, stack: StackContext):
        """The release's objects as ``stack`` applies them: rewritten from the stack that
        recorded it, through ``stack``'s rewrite maps."""
        if release.stack == stack.name:
            return release.raw_objects(), []
        try:
            origin = self.stack(release.stack)
        except BadInput as error:
            raise BadInput(f"release {release.digest} was recorded by stack {release.stack!r}, whose settings the "
                           f"rewrite into {stack.name} starts from: {error}") from None
        try:
            moved = rewrite_release(release.objects, origin.settings, stack.settings, source_stack=release.stack,
                                    target_stack=stack.name, target_region=stack.region)
        except RewriteError as error:
            raise BadInput(str(error)) from None
        short = release.digest[7:19]
        return ({cluster: [RawObject(body, f"release {short}#{i}") for i, body in enumerate(bodies)]
                 for cluster, bodies in moved.objects.items()}, moved.changes)

    # -- deciding -----------------------------------------------------------------

    def plan_promotion(self, source_name: str, target_name: str, *, digest: Optional[str] = None,
                       waive: Collection[str] = ()) -> PromotionPlan:
        if source_name == target_name:
            raise BadInput(f"promote {source_name} {target_name}: a stack cannot be promoted into itself; "
                           f"use `latticectl rollback {target_name}` to go back to an earlier release")
        source, target = self.stack(source_name), self.stack(target_name)
        promotion = target.settings.promotion
        if promotion.frozen:
            raise PromotionError(f"stack {target.name} is frozen (lattice-gateway:promotion.frozen in {target.path}): "
                                 f"only rollbacks run; `latticectl unfreeze {target.name}` lifts it")
        events = self.events(source)
        if digest is None:
            digest = history.last_verified(events) or (None if promotion.gates.require_verification
                                                       else history.current_digest(events))
            if digest is None:
                raise PromotionError(f"stack {source.name} has no {'verified ' if promotion.gates.require_verification else ''}"
                                     f"release to promote: `latticectl up --stack {source.name}` records one, "
                                     f"`latticectl verify {source.name}` verifies it")
        if promotion.hold and promotion.hold.digest != digest:
            raise PromotionError(f"stack {target.name} is held at {promotion.hold.digest} by a rollback"
                                 f"{' (' + promotion.hold.reason + ')' if promotion.hold.reason else ''}: no promotion "
                                 f"replaces it until `latticectl unhold {target.name}`")
        release = self.release(source, digest)

        def drift() -> Optional[int]:
            current = history.current_digest(events)
            if current is None:
                return None
            objects, _ = self.objects_for(self.release(source, current), source)
            seen = self._engine(lambda: self.engine.preview(source.name, objects, source.settings, refresh=True))
            return max(count_changes(seen.summary), len(seen.steps))

        try:
            gates = gate_rules.evaluate(source=source.name, digest=digest, events=events, settings=promotion.gates,
                                        waived=waive, drift=drift, clock=self.clock,
                                        last_update_succeeded=lambda: self._engine(
                                            lambda: self.engine.last_update_succeeded(source.name)))
        except ValueError as error:
            raise BadInput(str(error)) from None
        if any(gate.blocks for gate in gates):
            raise gate_rules.GatesBlocked(gates, source.name, target.name)
        return self._plan(PROMOTE, source.name, target, release, gates)

    def plan_rollback(self, stack_name: str, *, to: Optional[str] = None) -> PromotionPlan:
        target = self.stack(stack_name)
        events = self.events(target)
        current = history.current_digest(events)
        digest = to or history.previous_verified(events, current)
        if digest is None:
            raise PromotionError(f"stack {target.name} has no earlier verified release to roll back to; "
                                 f"`latticectl history {target.name}` lists what it applied, `--to DIGEST` names one")
        return self._plan(ROLLBACK, target.name, target, self.release(target, digest), [])

    def _plan(self, operation: str, source: str, target: StackContext, release: Release,
              gates: List[gate_rules.Gate]) -> PromotionPlan:
        objects, rewrites = self.objects_for(release, target)
        preview = self._engine(lambda: self.engine.preview(target.name, objects, target.settings))
        hash_ = preview_hash(target.name, release.digest, preview)
        patterns = protected_patterns(target.settings.promotion.protected_resources, target.settings.protect)
        needs_approval = target.settings.protect and bool(preview.destructive_steps)
        pin = target.settings.release
        current = history.current_digest(self.events(target)) == release.digest
        return PromotionPlan(operation=operation, source=source, target=target, release=release, objects=objects,
                             rewrites=rewrites, gates=gates, preview=preview, preview_hash=hash_,
                             violations=protected_violations(preview, patterns), needs_approval=needs_approval,
                             approved=needs_approval and self.store(target).approved(target.name, hash_),
                             already_current=current and pin is not None and pin.digest == release.digest)

    # -- doing --------------------------------------------------------------------

    def apply(self, plan: PromotionPlan, *, allow_replace: bool = False,
              confirm: Optional[Callable[[PromotionPlan], bool]] = None, reason: str = "") -> Outcome:
        target = plan.target
        if plan.violations and not allow_replace:
            listed = "\n  ".join(f"{s.op} {s.urn}" for s in plan.violations)
            raise PromotionError(f"the update of {target.name} would replace or delete protected resources:\n  {listed}\n"
                                 "nothing was changed; pass --allow-replace if that is intended")
        if plan.needs_approval and not (plan.approved or self.store(target).approved(target.name, plan.preview_hash)):
            raise ApprovalRequired(target.name, plan.release.digest, plan.preview_hash, plan.preview.destructive_steps)
        changes = plan.preview.changes_anything
        if not changes and plan.already_current and plan.operation == PROMOTE:
            return Outcome(applied=False)
        if changes and confirm is not None and not confirm(plan):
            raise PromotionError("nothing was changed")
        store = self.store(target)
        try:
            store.save(target.name, plan.release)
        except StoreError as error:
            raise PromotionError(f"{error}; nothing was changed") from None
        summary: Dict[str, int] = {}
        if changes:
            try:
                summary = self.engine.up(target.name, plan.objects, target.settings)
            except AutomationError as error:
                self._record(store, target, "failed", plan, error=str(error).splitlines()[0])
                raise PromotionError(f"the update of {target.name} failed; its release pin in {target.path} is "
                                     f"unchanged:\n{error}") from None
        self._record(store, target, "succeeded", plan, summary=summary)
        pinned = pin_release(target.path, plan.release.digest, plan.source)
        if plan.operation == ROLLBACK:
            pinned = set_hold(target.path, plan.release.digest, reason or "rollback") or pinned
        return Outcome(applied=changes, summary=summary, verification=self.verify(target, plan.release.digest),
                       pinned=pinned)

    def _record(self, store: ReleaseStore, target: StackContext, result: str, plan: PromotionPlan, **extra: Any) -> None:
        try:
            store.record(target.name, history.APPLY, digest=plan.release.digest, operation=plan.operation,
                         result=result, preview=plan.preview_hash, **{"from": plan.source}, **extra)
        except StoreError as error:
            raise PromotionError(f"the update of {target.name} {result}, but its history could not be written: "
                                 f"{error}") from None

    def verify(self, stack: StackContext, digest: Optional[str] = None) -> Verification:
        """Verify what the stack holds and record it: "verified in <stack>" only if it passed."""
        store = self.store(stack)
        digest = digest or history.current_digest(self.events(stack))
        if digest is None:
            raise PromotionError(f"stack {stack.name} holds no recorded release: `latticectl up --stack {stack.name}` "
                                 "records the release it applies")
        outputs = self._engine(lambda: self.engine.outputs(stack.name))
        result = verify_stack(outputs, self.lattice_client(stack),
                              probe_command=stack.settings.promotion.probe_command, **self.verify_options)
        store.record(stack.name, history.VERIFY, digest=digest, passed=result.passed, checks=result.plain())
        return result

    def _engine(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except AutomationError as error:
            failure = PromotionError(str(error))
            failure.exit_code = error.exit_code
            raise failure from None


def _boto3_lattice(stack: StackContext) -> Any:
    """A VPC Lattice client for the stack's region (and its ``aws:endpoints`` entry)."""
    import boto3

    return boto3.client("vpc-lattice", region_name=stack.region, endpoint_url=stack.lattice_endpoint)
