"""Sync target-group membership straight through the VPC Lattice API.

Pod IPs change with every rollout, so targets are kept out of Pulumi state: the Pulumi
program owns the target groups and this module owns what is registered in them (the
split the AWS Load Balancer Controller's TargetGroupBinding makes).  For each target
group it reads the current members (ListTargets), registers the desired ones that are
missing or draining and deregisters the ones no longer desired, in API-sized batches.

The rule is that nothing is lost: a failed or partial read never leads to deletions.  An
unknown desired set (``None``) skips the group, an empty one is held unless the caller
says otherwise, and a group whose listing or registration failed is not deregistered
from.  Failures are reported per group and per target, never raised, so one bad group
does not stop the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from botocore.exceptions import BotoCoreError, ClientError

from components.specs import LatticeModel, Target
from lattice_program.vocabulary.outputs import TARGET_GROUPS

# RegisterTargets/DeregisterTargets accept 1..100 targets per call (API model
# RegisterTargetsRequestTargetsList; the AWS controller chunks at the same size).
MAX_TARGETS_PER_CALL = 100

# TargetGroupIdentifier pattern from the vpc-lattice API model (2022-11-30).
_TARGET_GROUP_IDENTIFIER = re.compile(
    r"(tg-[0-9a-z]{17})"
    r"|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:targetgroup/tg-[0-9a-z]{17})"
)
_MAX_TARGET_ID_LENGTH = 200

# Lattice puts a deregistered target in DRAINING until its connections finish.  Every
# other status (INITIAL, HEALTHY, UNHEALTHY, UNAVAILABLE, UNUSED) means "registered".
DRAINING = "DRAINING"

UNKNOWN_DESIRED_REASON = (
    "skipped: desired targets unknown (the EndpointSlice read failed or was incomplete)"
)
HELD_EMPTY_REASON = "held: desired set is empty; pass allow_empty=True to drain it"


@dataclass(frozen=True)
class TargetGroupSyncResult:
    """What one target group's sync did (or, in a dry run, would do).

    ``registered``/``deregistered`` hold only targets the API accepted; targets it
    rejected are in ``failed`` with ``"<Operation>: <code>: <message>"``.
    ``skipped_reason`` is set when the group was deliberately left untouched;
    ``error`` when a call for the group failed or its input was invalid.
    """

    target_group_id: str
    registered: tuple[Target, ...] = ()
    deregistered: tuple[Target, ...] = ()
    unchanged: int = 0
    draining_left_alone: tuple[Target, ...] = ()
    failed: tuple[tuple[Target, str], ...] = ()
    skipped_reason: Optional[str] = None
    error: Optional[str] = None


@dataclass(frozen=True)
class SyncReport:
    results: tuple[TargetGroupSyncResult, ...]
    dry_run: bool

    @property
    def ok(self) -> bool:
        """No group errored and no target was rejected (skipped or held groups are ok)."""
        return all(r.error is None and not r.failed for r in self.results)


@dataclass(frozen=True)
class TargetChanges:
    """The difference between desired members and a ListTargets listing, sorted."""

    to_register: tuple[Target, ...]
    to_deregister: tuple[Target, ...]
    unchanged: tuple[Target, ...]
    draining_left_alone: tuple[Target, ...]


def plan_target_changes(
    desired: Sequence[Target], current: Mapping[Target, Optional[str]]
) -> TargetChanges:
    """Compare desired members with current ones (target → status from ListTargets).

    A desired target that is DRAINING is registered again; an undesired one that is
    already DRAINING is left alone rather than deregistered a second time.
    """
    wanted = set(desired)
    registered_now = {t for t, status in current.items() if status != DRAINING}
    draining_now = {t for t, status in current.items() if status == DRAINING}
    return TargetChanges(
        to_register=_sorted(wanted - registered_now),
        to_deregister=_sorted(registered_now - wanted),
        unchanged=_sorted(wanted & registered_now),
        draining_left_alone=_sorted(draining_now - wanted),
    )


def sync_targets(
    client: Any,
    desired: Mapping[str, Optional[Sequence[Target]]],
    *,
    dry_run: bool = False,
    allow_empty: bool = False,
    batch_size: int = MAX_TARGETS_PER_CALL,
) -> SyncReport:
    """Make each target group's members equal its desired targets.

    ``client`` is a boto3 ``vpc-lattice`` client.  ``desired`` maps a target group ID
    or ARN to its desired members, or to ``None`` when they are unknown (the group is
    then skipped).  ``dry_run`` still lists targets but registers and deregisters
    nothing.  Groups are processed in sorted order so runs are reproducible.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not (
        1 <= batch_size <= MAX_TARGETS_PER_CALL
    ):
        raise ValueError(
            f"batch_size must be an integer from 1 to {MAX_TARGETS_PER_CALL} "
            f"(the RegisterTargets/DeregisterTargets limit), got {batch_size!r}"
        )
    results = tuple(
        _sync_group(
            client,
            target_group_id,
            desired[target_group_id],
            dry_run=dry_run,
            allow_empty=allow_empty,
            batch_size=batch_size,
        )
        for target_group_id in sorted(desired)
    )
    return SyncReport(results=results, dry_run=dry_run)


def report_to_dict(report: SyncReport) -> dict:
    """The report as plain JSON-ready data (for ``--output json``), camelCase like the plan."""
    return {
        "dryRun": report.dry_run,
        "ok": report.ok,
        "results": [
            {
                "targetGroupId": r.target_group_id,
                "registered": [_target_to_dict(t) for t in r.registered],
                "deregistered": [_target_to_dict(t) for t in r.deregistered],
                "unchanged": r.unchanged,
                "drainingLeftAlone": [_target_to_dict(t) for t in r.draining_left_alone],
                "failed": [
                    {**_target_to_dict(t), "reason": reason} for t, reason in r.failed
                ],
                "skippedReason": r.skipped_reason,
                "error": r.error,
            }
            for r in report.results
        ],
    }


# --- one target group ------------------------------------------------------------------


def _sync_group(
    client: Any,
    target_group_id: str,
    desired: Optional[Sequence[Target]],
    *,
    dry_run: bool,
    allow_empty: bool,
    batch_size: int,
) -> TargetGroupSyncResult:
    if desired is None:
        return TargetGroupSyncResult(target_group_id, skipped_reason=UNKNOWN_DESIRED_REASON)

    problem = _input_problem(target_group_id, desired)
    if problem is not None:
        return TargetGroupSyncResult(target_group_id, error=problem)

    try:
        current = _list_targets(client, target_group_id)
    except (ClientError, BotoCoreError) as exc:
        return TargetGroupSyncResult(
            target_group_id, error=f"{exc} (nothing changed for this target group)"
        )
    except _UnusableListing as exc:
        return TargetGroupSyncResult(target_group_id, error=str(exc))

    changes = plan_target_changes(desired, current)

    if not desired and changes.to_deregister and not allow_empty:
        return TargetGroupSyncResult(
            target_group_id,
            unchanged=len(changes.to_deregister),
            draining_left_alone=changes.draining_left_alone,
            skipped_reason=HELD_EMPTY_REASON,
        )

    if dry_run:
        return TargetGroupSyncResult(
            target_group_id,
            registered=changes.to_register,
            deregistered=changes.to_deregister,
            unchanged=len(changes.unchanged),
            draining_left_alone=changes.draining_left_alone,
        )

    return _apply(client, target_group_id, changes, batch_size=batch_size)


def _apply(
    client: Any, target_group_id: str, changes: TargetChanges, *, batch_size: int
) -> TargetGroupSyncResult:
    registered: list[Target] = []
    deregistered: list[Target] = []
    failed: list[tuple[Target, str]] = []
    error: Optional[str] = None
    try:
        # Register before deregistering so a rollout never has fewer members than needed.
        for batch in _batches(changes.to_register, batch_size):
            response = client.register_targets(
                targetGroupIdentifier=target_group_id,
                targets=[_target_to_dict(t) for t in batch],
            )
            _collect(response, batch, "RegisterTargets", registered, failed)
    except (ClientError, BotoCoreError) as exc:
        # Registration state is now uncertain; removing old members could leave the
        # group empty, so deregistration waits for the next sync.
        error = f"{exc} (deregistration skipped for this target group)"
    else:
        try:
            for batch in _batches(changes.to_deregister, batch_size):
                response = client.deregister_targets(
                    targetGroupIdentifier=target_group_id,
                    targets=[_target_to_dict(t) for t in batch],
                )
                _collect(response, batch, "DeregisterTargets", deregistered, failed)
        except (ClientError, BotoCoreError) as exc:
            error = str(exc)
    return TargetGroupSyncResult(
        target_group_id,
        registered=tuple(registered),
        deregistered=tuple(deregistered),
        unchanged=len(changes.unchanged),
        draining_left_alone=changes.draining_left_alone,
        failed=tuple(failed),
        error=error,
    )


class _UnusableListing(Exception):
    """ListTargets returned members this module cannot identify safely."""


def _list_targets(client: Any, target_group_id: str) -> dict[Target, Optional[str]]:
    current: dict[Target, Optional[str]] = {}
    paginator = client.get_paginator("list_targets")
    for page in paginator.paginate(targetGroupIdentifier=target_group_id):
        for item in page.get("items", []):
            target_id, port = item.get("id"), item.get("port")
            if not target_id or port is None:
                # Lambda/ALB groups list members without a port; (id, port) identity
                # would not hold, so refuse rather than guess what to deregister.
                raise _UnusableListing(
                    f"target group {target_group_id}: ListTargets returned a member "
                    f"without an id and port ({item!r}); only IP target groups can be "
                    "synced, so remove this group from the desired targets "
                    "(nothing changed for this target group)"
                )
            current[Target(id=target_id, port=port)] = item.get("status")
    return current


def _collect(
    response: Mapping[str, Any],
    batch: Sequence[Target],
    operation: str,
    succeeded: list[Target],
    failed: list[tuple[Target, str]],
) -> None:
    rejected: set[Target] = set()
    for entry in response.get("unsuccessful", []):
        code = entry.get("failureCode", "UnknownFailure")
        message = entry.get("failureMessage", "no message")
        for target in _failed_targets(entry, batch):
            rejected.add(target)
            failed.append((target, f"{operation}: {code}: {message}"))
    succeeded.extend(t for t in batch if t not in rejected)


def _failed_targets(entry: Mapping[str, Any], batch: Sequence[Target]) -> List[Target]:
    """The requested targets an ``unsuccessful`` entry may mean: its port is optional, and
    without one every target of that ID failed as far as we can tell (so none is counted
    as done, and the next sync tries them again)."""
    target_id, port = entry.get("id", ""), entry.get("port")
    if port is not None:
        return [Target(id=target_id, port=port)]
    return [t for t in batch if t.id == target_id] or [Target(id=target_id, port=0)]


def _input_problem(target_group_id: str, desired: Sequence[Target]) -> Optional[str]:
    if not isinstance(target_group_id, str) or not _TARGET_GROUP_IDENTIFIER.fullmatch(
        target_group_id
    ):
        return (
            f"target group identifier {target_group_id!r} is not a VPC Lattice target "
            "group ID (tg- followed by 17 characters [0-9a-z]) or target group ARN; "
            "pass the ID from the stack outputs, not the target group key or name"
        )
    if isinstance(desired, (str, bytes)) or not isinstance(desired, Sequence):
        return (
            f"target group {target_group_id}: desired targets must be a sequence of "
            f"Target or None, got {type(desired).__name__}"
        )
    for target in desired:
        if not isinstance(target, Target):
            return (
                f"target group {target_group_id}: desired member {target!r} is not a "
                "components.specs.Target(id, port)"
            )
        if not isinstance(target.id, str) or not 1 <= len(target.id) <= _MAX_TARGET_ID_LENGTH:
            return (
                f"target group {target_group_id}: desired target {target!r} has an invalid "
                f"id; it must be an endpoint address of 1 to {_MAX_TARGET_ID_LENGTH} "
                "characters"
            )
        if (
            isinstance(target.port, bool)
            or not isinstance(target.port, int)
            or not 1 <= target.port <= 65535
        ):
            return (
                f"target group {target_group_id}: desired target {target!r} has an invalid "
                "port; it must be the endpoint's port, an integer from 1 to 65535"
            )
    return None


def _batches(targets: Sequence[Target], size: int) -> Iterator[Sequence[Target]]:
    for start in range(0, len(targets), size):
        yield targets[start : start + size]


def _sorted(targets: set[Target]) -> tuple[Target, ...]:
    return tuple(sorted(targets, key=lambda t: (t.id, t.port)))


def _target_to_dict(target: Target) -> dict[str, Any]:
    return {"id": target.id, "port": target.port}


def desired_by_group_id(model: LatticeModel, outputs: Mapping[str, Any], *,
                        complete: bool) -> Tuple[Dict[str, Optional[Sequence[Target]]], List[str]]:
    """Desired members keyed by target group ID (from the stack's outputs).

    Groups not created yet are returned separately.  When the read was incomplete every
    group's desired set is unknown (None), so the sync registers nothing and removes nothing.
    Groups whose targets are declared (TargetGroupAttachments: Lambda, EC2, ALB, fixed
    IPs) are Pulumi's and never synced, even if the model lists members for them.
    """
    ids = outputs.get(TARGET_GROUPS) or {}
    declared = {group.key for route in model.routes() for group in route.target_groups
                if group.declared_targets is not None}
    desired: Dict[str, Optional[Sequence[Target]]] = {}
    missing: List[str] = []
    for key in sorted(set(model.targets) - declared):
        group_id = ids.get(key)
        if not group_id:
            missing.append(key)
            continue
        desired[group_id] = model.targets[key] if complete else None
    return desired, missing
