"""Property values between the experimental provider SDK and plain Python.

The engine sends an unknown value as the string sentinel ``rpc.UNKNOWN`` (the
experimental SDK does not turn it into ``Computed``), and ``PropertyValue.marshal``
cannot marshal ``Computed`` at all: so unknowns travel as that sentinel in both
directions, and :data:`UNKNOWN` stands for them in plain values. Numbers arrive as
floats; whole ones become ints so they compare equal to what the API returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Iterable

from pulumi.provider.experimental.property_value import Computed, PropertyValue, ResourceReference
from pulumi.runtime import rpc


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def to_plain(value: PropertyValue) -> Any:
    v = value.value
    if isinstance(v, Computed) or v == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(v, ResourceReference):
        return to_plain(v.resource_id) if v.resource_id is not None else UNKNOWN
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, Mapping):
        return {k: to_plain(item) for k, item in v.items()}
    if isinstance(v, Sequence) and not isinstance(v, str):
        return [to_plain(item) for item in v]
    return v


def plain_map(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {k: to_plain(v) for k, v in props.items()}


def secret_keys(props: Mapping[str, PropertyValue]) -> frozenset[str]:
    """Top-level properties holding a secret anywhere inside."""
    return frozenset(k for k, v in props.items() if v.contains_secret())


def from_plain(value: Any) -> PropertyValue:
    if value is UNKNOWN:
        return PropertyValue(rpc.UNKNOWN)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value)
    if isinstance(value, (int, float)):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({k: from_plain(v) for k, v in value.items() if v is not None})
    if isinstance(value, Sequence):
        return PropertyValue([from_plain(v) for v in value])
    raise TypeError(f"cannot return a {type(value).__name__} as a property value")


def property_map(values: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """Plain values as properties; None-valued ones are left out, ``secrets`` marked."""
    secret = set(secrets)
    return {k: from_plain(v).with_secret(k in secret) for k, v in values.items() if v is not None}


def has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False
