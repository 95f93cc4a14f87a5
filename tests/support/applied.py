"""What an ``up`` leaves behind, for doubles of the daemon's engine that run no engine.

The stack outputs the program exports for a model: its digest, and the IDs of its target
groups, made in the emulator as the provider would make them (once each).
"""

from __future__ import annotations

from typing import Any, Dict, MutableMapping, Optional

from components.specs import LatticeModel
from lattice_program.program.digest import model_digest
from lattice_program.vocabulary.settings import StackSettings


def applied_outputs(model: LatticeModel, settings: StackSettings, *, emulator: Optional[Any] = None,
                    groups: Optional[MutableMapping[str, str]] = None) -> Dict[str, Any]:
    """``settings``: the stack's, as the program digests them.  ``groups`` (target group
    key -> ID) is kept across calls by the caller, so a group is created once, as Pulumi
    keeps a resource across updates."""
    groups = groups if groups is not None else {}
    if emulator is not None:
        client = emulator.client()
        for route in model.routes():
            for group in route.target_groups:
                if group.key not in groups:
                    groups[group.key] = client.create_target_group(
                        name=group.name, type="IP",
                        config={"port": group.port, "protocol": group.protocol,
                                "vpcIdentifier": group.vpc_identifier})["id"]
    return {"modelDigest": model_digest(model, settings), "targetGroups": dict(groups)}
