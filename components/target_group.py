"""One VPC Lattice target group from its spec: shared by routes and ServiceExports; and the
TargetGroupAttachments of a group whose targets are declared (Lambda, EC2, ALB, fixed IPs).
Pod targets are never declared here: they are synced directly (engine/targets.py)."""

from __future__ import annotations

from typing import Dict, Optional

import pulumi
from pulumi_aws.vpclattice import (
    TargetGroup,
    TargetGroupAttachment,
    TargetGroupAttachmentTargetArgs,
    TargetGroupConfigArgs,
    TargetGroupConfigHealthCheckArgs,
    TargetGroupConfigHealthCheckMatcherArgs,
)

from components import _names
from components.specs import HealthCheckSpec, TargetGroupSpec


def declare_target_group(group: TargetGroupSpec, opts: pulumi.ResourceOptions) -> TargetGroup:
    return TargetGroup(
        _names.target_group(group.key),
        name=group.name,
        type=group.type,
        config=TargetGroupConfigArgs(
            port=group.port,
            protocol=group.protocol,
            protocol_version=group.protocol_version,
            vpc_identifier=group.vpc_identifier,
            ip_address_type=group.ip_address_type,
            lambda_event_structure_version=group.lambda_event_structure_version,
            health_check=_health_check(group.health_check),
        ),
        tags=dict(group.tags) or None,
        opts=opts,
    )


def declare_attachments(group: TargetGroupSpec, target_group: TargetGroup,
                        opts: pulumi.ResourceOptions) -> Dict[str, TargetGroupAttachment]:
    """One TargetGroupAttachment per declared target, keyed ``<id>`` or ``<id>:<port>``;
    none for a group whose targets are synced directly."""
    attachments: Dict[str, TargetGroupAttachment] = {}
    for target in group.declared_targets or ():
        key = target.id if target.port is None else f"{target.id}:{target.port}"
        attachments[key] = TargetGroupAttachment(
            f"{_names.target_group(group.key)}/target/{key}",
            target_group_identifier=target_group.id,
            target=TargetGroupAttachmentTargetArgs(id=target.id, port=target.port),
            opts=opts,
        )
    return attachments


def _health_check(spec: Optional[HealthCheckSpec]) -> Optional[TargetGroupConfigHealthCheckArgs]:
    if spec is None:
        return None
    return TargetGroupConfigHealthCheckArgs(
        enabled=spec.enabled,
        protocol=spec.protocol,
        protocol_version=spec.protocol_version,
        path=spec.path,
        port=spec.port,
        matcher=None
        if spec.matcher is None
        else TargetGroupConfigHealthCheckMatcherArgs(value=spec.matcher),
        health_check_interval_seconds=spec.interval_seconds,
        health_check_timeout_seconds=spec.timeout_seconds,
        healthy_threshold_count=spec.healthy_threshold_count,
        unhealthy_threshold_count=spec.unhealthy_threshold_count,
    )
