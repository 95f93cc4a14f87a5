"""Stack output names, and what the translator reads back from the previous run.

The program exports these and the next run reads them: a pure module, so both the
program (Pulumi side) and the translator (pure side) can name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

TARGET_GROUPS = "targetGroups"  # target group key -> ID; read by `latticectl targets sync`
RULE_PRIORITIES = "rulePriorities"  # "<route key>/<listener key>" -> rule key -> priority
# Per route key (``Kind/ns/name``): serviceArn, serviceId, dnsName, customDomainName.
CUSTOM_DOMAIN = "customDomainName"
# Beside them on a shared Gateway or route (components/sharing.py): the principals it is
# shared with and the RAM share's ARN; on a Gateway reusing associations, VPC ID -> snva-….
SHARED_WITH = "sharedWith"
RESOURCE_SHARE_ARN = "resourceShareArn"
REUSED_VPC_ASSOCIATIONS = "reusedVpcAssociations"
# The digest of the desired model the run declared (program/digest.py): a restarted
# watch daemon compares it with what the clusters ask for before running an update.
MODEL_DIGEST = "modelDigest"


# What the engine stores for an output not yet known, such as the ID of a resource a
# targeted update (an adoption's import) did not create: Pulumi's UNKNOWN_VALUE sentinel
# (pulumi.runtime.rpc.UNKNOWN).  A value never to build on.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def known(value: Any) -> Any:
    """``value`` with every unknown left out (a mapping entry or list item holding one)."""
    if isinstance(value, Mapping):
        return {key: known(item) for key, item in value.items() if item != UNKNOWN}
    if isinstance(value, list):
        return [known(item) for item in value if item != UNKNOWN]
    return value


@dataclass(frozen=True)
class Previous:
    """What the last applied run of the stack decided, where the next run must build on it."""

    priorities: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    custom_domains: Mapping[str, Optional[str]] = field(default_factory=dict)

    @classmethod
    def from_outputs(cls, outputs: Optional[Mapping[str, Any]]) -> "Previous":
        outputs = known(outputs or {})
        priorities = outputs.get(RULE_PRIORITIES) or {}
        domains: Dict[str, Optional[str]] = {}
        for key, value in outputs.items():
            if isinstance(value, Mapping) and CUSTOM_DOMAIN in value:
                domains[key] = value[CUSTOM_DOMAIN]
        return cls(priorities=dict(priorities), custom_domains=domains)
