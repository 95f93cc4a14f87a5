"""The ServiceExport component: target groups one cluster offers to every cluster.

A ServiceExport's target groups belong to no route: routes in any cluster of the stack
forward to them through a ServiceImport.  They are declared here, once, and handed to
the routes by key.

Child names: see ``components._names``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import pulumi
from pulumi_aws.vpclattice import TargetGroup

from components.specs import ServiceExportSpec
from components.target_group import declare_target_group

TYPE_TOKEN = "lattice:index:ServiceExport"


@dataclass(frozen=True)
class ServiceExportArgs:
    spec: ServiceExportSpec


class ServiceExport(pulumi.ComponentResource):
    """``target_groups`` by target group key."""

    target_groups: Dict[str, TargetGroup]

    def __init__(self, name: str, args: ServiceExportArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.target_groups = {group.key: declare_target_group(group, child) for group in args.spec.target_groups}
        self.register_outputs({})
