"""What the emulator reads from botocore's VPC Lattice service model.

The model is the single source for routes, shapes and error codes, and for which
members of a resource can change in place (its ``Update<X>`` input) and which force a
replacement (the rest of its ``Create<X>`` input).
"""

from __future__ import annotations

import functools
from typing import Any, Iterator

SERVICE_NAME = "vpc-lattice"

# Members of a Create input that are not the resource's state: the idempotency token,
# and tags (they change through TagResource/UntagResource).
_NOT_STATE = frozenset({"clientToken", "tags"})


@functools.cache
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def operation_model(name: str) -> Any:
    return service_model().operation_model(name)


@functools.cache
def modeled_errors(operation: str) -> frozenset[str]:
    """The error codes ``operation`` may return, per the model."""
    return frozenset(shape.name for shape in operation_model(operation).error_shapes)


def error_status(code: str) -> int | None:
    """The HTTP status the model gives the error ``code``, or None when it is not modeled."""
    try:
        shape = service_model().shape_for(code)
    except Exception:  # botocore raises NoShapeFoundError
        return None
    return shape.metadata.get("error", {}).get("httpStatusCode")


def _input(operation: str) -> Any | None:
    if operation not in service_model().operation_names:
        return None
    return operation_model(operation).input_shape


def _changeable(resource: str) -> dict[str, Any]:
    """Update<resource> members that carry new values (URI members only locate the resource)."""
    update = _input(f"Update{resource}")
    if update is None:
        return {}
    return {
        name: member
        for name, member in update.members.items()
        if member.serialization.get("location") != "uri"
    }


def _create_input(resource: str) -> Any:
    create = _input(f"Create{resource}")
    if create is None:
        raise ValueError(f"VPC Lattice has no Create{resource} operation")
    return create


def _holds(shape: Any, member_name: str, member_shape: Any) -> bool:
    """Whether structure ``shape`` has a member of that name and kind one level down."""
    candidate = shape.members.get(member_name) if shape.type_name == "structure" else None
    return candidate is not None and candidate.type_name == member_shape.type_name


def update_paths(resource: str) -> dict[str, tuple[str, ...]]:
    """Where each Update<resource> member lands in the resource's Create-shaped state.

    Mostly the same top-level name; ``UpdateTargetGroup.healthCheck`` lands at
    ``config.healthCheck`` (same shape one level down).
    """
    create = _create_input(resource)
    paths: dict[str, tuple[str, ...]] = {}
    for name, member in _changeable(resource).items():
        path: tuple[str, ...] = (name,)
        if name not in create.members:
            for parent, parent_shape in create.members.items():
                if _holds(parent_shape, name, member):
                    path = (parent, name)
                    break
        paths[name] = path
    return paths


def replacement_members(resource: str) -> set[str]:
    """Members of ``Create<resource>`` that no ``Update<resource>`` call can change.

    Derived from the model: the Create input's members minus those the Update input
    sets (``clientToken`` and ``tags`` are not state).  A structure that the Update
    input changes only in part is descended into, giving dotted paths:
    ``TargetGroup`` yields ``config.port``, ``config.protocol``… but not
    ``config.healthCheck``.  Parent identifiers (a listener's ``serviceIdentifier``, an
    association's ``vpcIdentifier``) are included: no Update call moves a resource to
    another parent, so a change there is a replacement too.  A resource without an
    Update operation (ServiceNetworkServiceAssociation) is replaced on any change.
    """
    changeable = _changeable(resource)
    return set(_fixed(_create_input(resource), changeable, "", top=True))


def _fixed(shape: Any, changeable: dict[str, Any], prefix: str, *, top: bool) -> Iterator[str]:
    for name, member in shape.members.items():
        if top and name in _NOT_STATE:
            continue
        # Same name is enough: the model gives Create and Update list members of the same
        # field distinct shape names (securityGroupIds has min 0 on create, 1 on update).
        if name in changeable:
            continue
        nested = [
            inner for inner, inner_shape in changeable.items() if _holds(member, inner, inner_shape)
        ]
        if nested:
            inner_changeable = {inner: changeable[inner] for inner in nested}
            yield from _fixed(member, inner_changeable, f"{prefix}{name}.", top=False)
        else:
            yield f"{prefix}{name}"
