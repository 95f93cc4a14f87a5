"""``lattice:index:WatchDaemon``: the daemon deployed by Pulumi itself, through
pulumi-kubernetes, from the same objects ``latticectl render-daemon`` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from lattice_program.deploy.manifests import DEFAULT_NAMESPACE, daemon_objects


@dataclass(frozen=True)
class WatchDaemonArgs:
    stack: str
    image: str
    namespace: str = DEFAULT_NAMESPACE
    role_arn: Optional[str] = None
    replicas: int = 2


class WatchDaemon(pulumi.ComponentResource):
    def __init__(self, name: str, args: WatchDaemonArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("lattice:index:WatchDaemon", name, None, opts)
        from pulumi_kubernetes.yaml.v2 import ConfigGroup

        objects = daemon_objects(args.stack, namespace=args.namespace, image=args.image, role_arn=args.role_arn,
                                 replicas=args.replicas)
        self.objects = ConfigGroup(f"{name}/objects", objs=objects, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})
