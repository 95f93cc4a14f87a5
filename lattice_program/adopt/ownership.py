"""Who owns a Lattice resource, by the AWS controller's one ownership tag, and the
controller's own naming (../shared/reference/aws-controller-behaviour.md §0).

The controller owns a resource whose ``application-networking.k8s.aws/ManagedBy`` tag is
``<account>/<cluster>/<vpc>``, claims one without the tag, and leaves any other value
alone.  Adopted resources get a value of ours, ``lattice-gateway/<project>/<stack>``:
never an empty one, or a controller still running would claim them back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Mapping, Optional

TAG_BASE = "application-networking.k8s.aws/"
MANAGED_BY = TAG_BASE + "ManagedBy"
OUR_PREFIX = "lattice-gateway/"
_MANAGED_BY = re.compile(r"(?P<account>\d{12})/(?P<cluster>[^/]+)/(?P<vpc>vpc-[0-9a-z]{8}([0-9a-z]{9})?)")


class ManagedByError(ValueError):
    """A --managed-by value that is not ACCOUNT/CLUSTER/VPC."""


@dataclass(frozen=True)
class ControllerIdentity:
    """The installation being adopted: its ManagedBy value, parsed."""

    account: str
    cluster: str
    vpc: str

    @property
    def value(self) -> str:
        return f"{self.account}/{self.cluster}/{self.vpc}"


def parse_managed_by(value: str) -> ControllerIdentity:
    found = _MANAGED_BY.fullmatch(value.strip())
    if found is None:
        raise ManagedByError(
            f"--managed-by {value!r} is not ACCOUNT/CLUSTER/VPC: give the controller's ManagedBy tag value, "
            "the 12-digit account ID, the cluster name and the cluster VPC ID, e.g. "
            "123456789012/my-cluster/vpc-0a1b2c3d4e5f60789 (read it from the tag "
            f"{MANAGED_BY} on one of its services)")
    return ControllerIdentity(found["account"], found["cluster"], found["vpc"])


def our_value(project: str, stack: str) -> str:
    return f"{OUR_PREFIX}{project}/{stack}"


class Owner(str, Enum):
    CONTROLLER = "controller"  # the installation being adopted
    THIS_STACK = "this-stack"  # adopted already (a second adopt)
    OTHER_STACK = "other-stack"  # another lattice-gateway stack: refused
    OTHER = "other"  # another cluster's controller, or anyone else: left alone
    UNTAGGED = "untagged"  # not made by the controller: left alone


def owner_of(tags: Mapping[str, str], controller: ControllerIdentity, ours: str) -> Owner:
    value = tags.get(MANAGED_BY)
    if value is None or value == "":
        return Owner.UNTAGGED
    if value == controller.value:
        return Owner.CONTROLLER
    if value == ours:
        return Owner.THIS_STACK
    if value.startswith(OUR_PREFIX):
        return Owner.OTHER_STACK
    return Owner.OTHER


def truncate(text: str, length: int) -> str:
    """The controller's Truncate: cut, then strip leading and trailing '-'."""
    return text[:length].strip("-")


def controller_service_name(route: str, namespace: str, override: Optional[str] = None) -> str:
    """The Lattice service name the controller gives a route."""
    return override or f"{truncate(route, 20)}-{truncate(namespace, 18)}"
