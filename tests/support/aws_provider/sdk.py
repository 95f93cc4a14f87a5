"""What pulumi_aws's Python SDK says about a resource type, read from the SDK itself.

The SDK is the contract our program is written against: its getters carry the wire
(camelCase) names (``pulumi.getter(name=...)``), and their type hints say which inputs
are required, which outputs are always present (computed) and the shape of nested
object types. Reading them here keeps the provider double from repeating that by hand.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import sys
import typing
from dataclasses import dataclass
from typing import Any, Mapping, Optional

SCALAR, LIST, MAP, OBJECT = "scalar", "list", "map", "object"


@dataclass(frozen=True)
class Prop:
    name: str
    """Wire name, e.g. ``tagsAll``."""
    optional: bool
    """Inputs: may be omitted. Outputs: may be absent (an output that is not optional
    while its input is, is computed by the provider)."""
    kind: str
    """SCALAR, LIST, MAP or OBJECT; a LIST or MAP of objects has ``obj`` set."""
    obj: Optional["ObjectType"] = None


@dataclass(frozen=True)
class ObjectType:
    name: str
    props: Mapping[str, Prop]


@dataclass(frozen=True)
class ResourceSchema:
    class_name: str
    token: str
    inputs: ObjectType
    outputs: ObjectType

    @property
    def required(self) -> frozenset[str]:
        return frozenset(name for name, prop in self.inputs.props.items() if not prop.optional)

    def computed(self, name: str) -> bool:
        """An optional input the provider fills in when it is not given."""
        out = self.outputs.props.get(name)
        return out is not None and not out.optional


MODULE = "pulumi_aws.vpclattice"


@functools.lru_cache(maxsize=None)
def resource_schema(class_name: str) -> ResourceSchema:
    module = importlib.import_module(MODULE)
    cls = getattr(module, class_name)
    args = getattr(module, f"{class_name}Args")
    return ResourceSchema(
        class_name=class_name,
        token=cls.pulumi_type,
        inputs=object_type(args),
        outputs=object_type(cls),
    )


@functools.lru_cache(maxsize=None)
def object_type(cls: type) -> ObjectType:
    props = {}
    namespace = sys.modules[cls.__module__].__dict__
    for attr in vars(cls).values():
        if not isinstance(attr, property) or not hasattr(attr.fget, "_pulumi_name"):
            continue
        hint = attr.fget.__annotations__.get("return")
        optional, kind, obj = _describe(hint, namespace)
        name = attr.fget._pulumi_name
        props[name] = Prop(name=name, optional=optional, kind=kind, obj=obj)
    return ObjectType(name=cls.__name__, props=props)


def _describe(hint: Any, namespace: Mapping[str, Any]) -> tuple[bool, str, Optional[ObjectType]]:
    """(optional, kind, object type) of an SDK getter's return hint.

    Input hints are ``pulumi.Input[X]`` = ``Union[X, Awaitable[X], 'Output[T]']``, maybe
    with ``None``; output hints are ``pulumi.Output[X]``. Either way X is what counts.
    """
    optional = False
    while True:
        origin = typing.get_origin(hint)
        if origin is typing.Union:
            members = [a for a in typing.get_args(hint) if not _is_input_wrapper(a)]
            if type(None) in members:
                optional = True
                members = [a for a in members if a is not type(None)]
            if len(members) != 1:
                raise TypeError(f"unexpected SDK type hint {hint!r}")
            hint = members[0]
        elif isinstance(origin, type) and origin.__name__ == "Output":
            (hint,) = typing.get_args(hint)
        elif isinstance(hint, typing.ForwardRef):
            hint = eval(hint.__forward_arg__, dict(namespace))  # noqa: S307 - SDK's own names
        elif isinstance(hint, str):
            hint = eval(hint, dict(namespace))  # noqa: S307
        else:
            break
    origin = typing.get_origin(hint)
    if origin in (collections.abc.Sequence, list):
        _, kind, obj = _describe(typing.get_args(hint)[0], namespace)
        return optional, LIST, obj if kind == OBJECT else None
    if origin in (collections.abc.Mapping, dict):
        _, kind, obj = _describe(typing.get_args(hint)[1], namespace)
        return optional, MAP, obj if kind == OBJECT else None
    if hint in (str, int, float, bool, typing.Any):
        return optional, SCALAR, None
    if isinstance(hint, type):
        return optional, OBJECT, object_type(hint)
    raise TypeError(f"unexpected SDK type hint {hint!r}")


def _is_input_wrapper(arg: Any) -> bool:
    if isinstance(arg, typing.ForwardRef) and arg.__forward_arg__.startswith("Output["):
        return True
    return typing.get_origin(arg) is collections.abc.Awaitable
