"""Check VPC Lattice API requests against botocore's own service model, before any call.

The translator's output is only useful if Lattice will accept it, and a plan of thousands
of routes should fail at plan time with the field and the fix, not halfway through a
deployment.  botocore ships the exact input shapes of every operation, but its
``ParamValidator`` only checks types, required members, ``min`` and unions; it ignores
``max``, ``enum`` and ``pattern`` (the service enforces them, so a 41-character service
name or a weight of 1000 fails only at call time).  This module checks all of those from
the same shape data, and is a superset of botocore's validation: whatever botocore
rejects, this rejects too.

Speed matters because a plan of 10,000 routes means about 100,000 requests.  Each shape
is therefore compiled once (cached by shape name) into a pair of closures:

* ``accepts(value) -> bool``: the hot path.  It builds no paths, strings or objects and
  stops at the first problem.
* ``explain(value, path, out)``: runs only when ``accepts`` said no, and appends every
  ``(path, message)`` it finds.  It asks the children's ``accepts`` first, so it only
  descends into the branches that are actually wrong.

The service model is loaded on the first check, not at import.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = [
    "ContractViolation",
    "RequestContract",
    "check_request",
    "known_operations",
    "python_pattern",
]

SERVICE_NAME = "vpc-lattice"


@dataclass(frozen=True)
class ContractViolation:
    """One way a request breaks the service model.

    ``path`` is the dotted member path inside the request (``action.forward.
    targetGroups[3].weight``; map entries are ``tags.<key>``); it is empty only when the
    request itself is not a mapping.
    """

    operation: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.operation} {self.path or '<request>'}: {self.message}"


# --- regex dialect ---------------------------------------------------------------------

# Java's '.' matches anything but these line terminators; Python's '.' excludes only '\n'.
_JAVA_DOT = "[^\\n\\r\\x85\\u2028\\u2029]"


def python_pattern(java_pattern: str) -> re.Pattern[str]:
    """Compile a model ``pattern`` (Java regex syntax) so Python matches what Java matches.

    The model's patterns use only syntax that Python's ``re`` shares with Java
    (lookaheads, classes, groups, counted repeats), but two meanings differ, and both
    would make us accept values the service rejects:

    * ``\\d``, ``\\s``, ``\\w`` are ASCII-only in Java and Unicode-aware in Python (an
      Arabic-Indic digit passes ``\\d{12}`` in Python): compile with ``re.ASCII``.
    * ``.`` outside a character class excludes ``\\r``, U+0085, U+2028 and U+2029 in Java
      as well as ``\\n``: rewrite it to a class that excludes all five.

    Callers must use ``fullmatch``: the service matches the whole value.
    """
    translated: list[str] = []
    index = 0
    in_class = False
    while index < len(java_pattern):
        char = java_pattern[index]
        if char == "\\":
            translated.append(java_pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == ".":
            char = _JAVA_DOT
        translated.append(char)
        index += 1
    return re.compile("".join(translated), re.ASCII)


# The Lattice name patterns are a chain of negative lookaheads and a character class,
# e.g. (?!svc-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+ ; a person needs to be told
# which link of the chain failed, so these are split apart for the message.
_LEADING_LOOKAHEAD = re.compile(r"\(\?!((?:[^()\\]|\\.)*)\)")
_SIMPLE_CLASS_REPEAT = re.compile(r"(\[[^\]]+\])[+*]")
# One literal character, bare ('a', '\\-') or as a one-character class ('[-]'),
# optionally repeated a fixed number of times ('{2}').
_LITERAL_PIECE = re.compile(
    r"(?:\[(\\[^A-Za-z0-9]|[^\]\\^])\]|(\\[^A-Za-z0-9]|[A-Za-z0-9_-]))(?:\{(\d+)\})?"
)


def _literal(fragment: str) -> str | None:
    """'[-]{2}' -> '--', 'svc-' -> 'svc-'; None when the fragment is not a plain literal."""
    pieces = []
    position = 0
    while position < len(fragment):
        piece = _LITERAL_PIECE.match(fragment, position)
        if piece is None:
            return None
        char = (piece.group(1) or piece.group(2))[-1]
        pieces.append(char * int(piece.group(3) or 1))
        position = piece.end()
    return "".join(pieces) or None


def _lookahead_reason(lookahead: str) -> str:
    if lookahead.startswith(".*") and lookahead.endswith("$"):
        literal = _literal(lookahead[2:-1])
        if literal is not None:
            return f"must not end with {literal!r}"
    elif lookahead.startswith(".*"):
        literal = _literal(lookahead[2:])
        if literal is not None:
            return f"must not contain {literal!r}"
    else:
        literal = _literal(lookahead)
        if literal is not None:
            return f"must not start with {literal!r}"
    return f"must not match (?!{lookahead})"


def _pattern_hints(java_pattern: str) -> Callable[[str], list[str]]:
    """Build a function naming which parts of a lookahead-chain pattern a value fails."""
    lookaheads: list[tuple[re.Pattern[str], str]] = []
    rest = java_pattern
    while (found := _LEADING_LOOKAHEAD.match(rest)) is not None:
        body = found.group(1)
        lookaheads.append((python_pattern(body), _lookahead_reason(body)))
        rest = rest[found.end() :]
    if not lookaheads:
        return lambda value: []
    body_pattern = python_pattern(rest)
    class_repeat = _SIMPLE_CLASS_REPEAT.fullmatch(rest)
    allowed_char = python_pattern(class_repeat.group(1)) if class_repeat else None

    def hints(value: str) -> list[str]:
        reasons = [reason for pattern, reason in lookaheads if pattern.match(value)]
        if body_pattern.fullmatch(value) is None:
            bad = None
            if allowed_char is not None:
                bad = next(
                    (i for i, char in enumerate(value) if not allowed_char.fullmatch(char)),
                    None,
                )
            if bad is not None:
                reasons.append(
                    f"may only use the characters {class_repeat.group(1)} "
                    f"(found {value[bad]!r} at index {bad})"
                )
            else:
                reasons.append(f"must match {rest}")
        return reasons

    return hints


# --- compiled validators -----------------------------------------------------------------

Findings = list[tuple[str, str]]


class _Validator(NamedTuple):
    accepts: Callable[[Any], bool]
    explain: Callable[[Any, str, Findings], None]


def _show(value: Any, limit: int = 60) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_name(value: Any) -> str:
    return type(value).__name__


def _bounds(shape: Any) -> tuple[float, float]:
    metadata = shape.metadata
    low = metadata.get("min")
    if low is None:
        # botocore: members bound to the endpoint host have an implicit min of 1.
        low = 1 if shape.serialization.get("hostLabel") else 0
    return low, metadata.get("max", sys.maxsize)


def _is_int(value: Any) -> bool:
    # bool is an int subclass (botocore lets True through as 1); a plan sending True as
    # a port is a bug, so it is refused here.
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def _is_number(value: Any) -> bool:
    return isinstance(value, (float, decimal.Decimal)) or _is_int(value)


def _is_timestamp(value: Any) -> bool:
    from botocore.utils import parse_to_aware_datetime

    if isinstance(value, datetime.datetime):
        return True
    try:
        parse_to_aware_datetime(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _is_blob(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, str)) or hasattr(value, "read")


def _is_document(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, dict):
        return all(_is_document(item) for item in value.values())
    if isinstance(value, list):
        return all(_is_document(item) for item in value)
    return False


def _is_json_encodable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class _ShapeCompiler:
    """Turns botocore shapes into cached ``_Validator`` pairs."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], _Validator] = {}

    def compile(self, shape: Any) -> _Validator:
        key = (shape.name, bool(shape.serialization.get("hostLabel")))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        # A placeholder first, so a shape that (indirectly) contains itself terminates;
        # only recursive shapes ever call through it.
        slot: list[_Validator] = []
        self._cache[key] = _Validator(
            lambda value: slot[0].accepts(value),
            lambda value, path, out: slot[0].explain(value, path, out),
        )
        validator = self._build(shape)
        slot.append(validator)
        self._cache[key] = validator
        return validator

    def _build(self, shape: Any) -> _Validator:
        from botocore.utils import is_json_value_header

        kind = shape.type_name
        if kind == "structure" and getattr(shape, "is_document_type", False):
            return self._scalar(_is_document, "a JSON-like document")
        if kind == "string" and is_json_value_header(shape):
            return self._scalar(_is_json_encodable, "JSON-encodable")
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        if kind == "string":
            return self._string(shape)
        if kind in ("integer", "long"):
            return self._number(shape, _is_int, "an integer")
        if kind in ("float", "double"):
            return self._number(shape, _is_number, "a number")
        if kind == "boolean":
            return self._scalar(lambda value: value is True or value is False, "a boolean")
        if kind == "timestamp":
            return self._scalar(_is_timestamp, "a datetime or timestamp string")
        if kind == "blob":
            return self._blob(shape)
        raise ValueError(f"shape {shape.name!r} has type {kind!r}, which botocore does not define")

    # -- scalars --

    @staticmethod
    def _scalar(is_valid: Callable[[Any], bool], expected: str) -> _Validator:
        def explain(value: Any, path: str, out: Findings) -> None:
            if not is_valid(value):
                out.append((path, f"must be {expected} (got {_type_name(value)} {_show(value)})"))

        return _Validator(is_valid, explain)

    @staticmethod
    def _number(shape: Any, is_type: Callable[[Any], bool], expected: str) -> _Validator:
        low, high = _bounds(shape)
        has_low = "min" in shape.metadata or shape.serialization.get("hostLabel")
        has_high = "max" in shape.metadata
        if has_low or has_high:

            def accepts(value: Any) -> bool:
                return is_type(value) and low <= value <= high

        else:
            accepts = is_type

        def explain(value: Any, path: str, out: Findings) -> None:
            if not is_type(value):
                out.append((path, f"must be {expected} (got {_type_name(value)} {_show(value)})"))
            elif value < low:
                out.append((path, f"must be at least {low} (got {value})"))
            elif value > high:
                out.append((path, f"must be at most {high} (got {value})"))
            else:  # only NaN fails both comparisons
                out.append((path, f"must be a number from {low} to {high} (got {value})"))

        return _Validator(accepts, explain)

    @staticmethod
    def _blob(shape: Any) -> _Validator:
        low, high = _bounds(shape)

        def accepts(value: Any) -> bool:
            if not _is_blob(value):
                return False
            return not isinstance(value, (bytes, bytearray, str)) or low <= len(value) <= high

        def explain(value: Any, path: str, out: Findings) -> None:
            if not _is_blob(value):
                out.append(
                    (path, f"must be bytes, str or a file-like object (got {_type_name(value)})")
                )
            elif len(value) < low:
                out.append((path, f"length must be at least {low} (got {len(value)})"))
            else:
                out.append((path, f"length must be at most {high} (got {len(value)})"))

        return _Validator(accepts, explain)

    @staticmethod
    def _string(shape: Any) -> _Validator:
        low, high = _bounds(shape)
        enum = shape.metadata.get("enum")
        allowed = frozenset(enum) if enum else None
        source = shape.metadata.get("pattern")
        fullmatch = python_pattern(source).fullmatch if source is not None else None
        hints = _pattern_hints(source) if source is not None else None

        # One closure per combination, so the hot path tests only what the shape has.
        if allowed is not None and fullmatch is not None:

            def accepts(value: Any) -> bool:
                return (
                    isinstance(value, str)
                    and low <= len(value) <= high
                    and value in allowed
                    and fullmatch(value) is not None
                )

        elif allowed is not None:

            def accepts(value: Any) -> bool:
                return isinstance(value, str) and low <= len(value) <= high and value in allowed

        elif fullmatch is not None:

            def accepts(value: Any) -> bool:
                return (
                    isinstance(value, str)
                    and low <= len(value) <= high
                    and fullmatch(value) is not None
                )

        else:

            def accepts(value: Any) -> bool:
                return isinstance(value, str) and low <= len(value) <= high

        def explain(value: Any, path: str, out: Findings) -> None:
            if not isinstance(value, str):
                out.append((path, f"must be a string (got {_type_name(value)} {_show(value)})"))
                return
            if len(value) < low:
                out.append(
                    (path, f"length must be at least {low} (got {len(value)}: {_show(value)})")
                )
            if len(value) > high:
                out.append(
                    (path, f"length must be at most {high} (got {len(value)}: {_show(value)})")
                )
            if allowed is not None and value not in allowed:
                out.append((path, f"must be one of {', '.join(enum)} (got {_show(value)})"))
            if fullmatch is not None and fullmatch(value) is None:
                reasons = hints(value)
                detail = f": {'; '.join(reasons)}" if reasons else ""
                out.append((path, f"must match the pattern {source} (got {_show(value)}){detail}"))

        return _Validator(accepts, explain)

    # -- containers --

    def _list(self, shape: Any) -> _Validator:
        low, high = _bounds(shape)
        item = self.compile(shape.member)
        item_accepts = item.accepts

        def accepts(value: Any) -> bool:
            if not isinstance(value, (list, tuple)) or not low <= len(value) <= high:
                return False
            for element in value:
                if not item_accepts(element):
                    return False
            return True

        def explain(value: Any, path: str, out: Findings) -> None:
            if not isinstance(value, (list, tuple)):
                out.append((path, f"must be a list (got {_type_name(value)} {_show(value)})"))
                return
            if len(value) < low:
                out.append((path, f"must have at least {low} items (got {len(value)})"))
            if len(value) > high:
                out.append((path, f"must have at most {high} items (got {len(value)})"))
            for index, element in enumerate(value):
                if not item_accepts(element):
                    item.explain(element, f"{path}[{index}]", out)

        return _Validator(accepts, explain)

    def _map(self, shape: Any) -> _Validator:
        low, high = _bounds(shape)
        key, entry = self.compile(shape.key), self.compile(shape.value)
        key_accepts, entry_accepts = key.accepts, entry.accepts

        def accepts(value: Any) -> bool:
            if not isinstance(value, dict) or not low <= len(value) <= high:
                return False
            for name, item in value.items():
                if not key_accepts(name) or not entry_accepts(item):
                    return False
            return True

        def explain(value: Any, path: str, out: Findings) -> None:
            if not isinstance(value, dict):
                out.append((path, f"must be a mapping (got {_type_name(value)} {_show(value)})"))
                return
            if len(value) < low:
                out.append((path, f"must have at least {low} entries (got {len(value)})"))
            if len(value) > high:
                out.append((path, f"must have at most {high} entries (got {len(value)})"))
            for name, item in value.items():
                entry_path = _child(path, str(name))
                if not key_accepts(name):
                    found: Findings = []
                    key.explain(name, entry_path, found)
                    out.extend((where, f"key {message}") for where, message in found)
                if not entry_accepts(item):
                    entry.explain(item, entry_path, out)

        return _Validator(accepts, explain)

    def _structure(self, shape: Any) -> _Validator:
        members = {name: self.compile(member) for name, member in shape.members.items()}
        member_accepts = {name: member.accepts for name, member in members.items()}.get
        required = tuple(shape.required_members)
        is_union = bool(shape.is_tagged_union)
        member_list = ", ".join(members)

        def accepts(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            if is_union and len(value) != 1:
                return False
            for name, item in value.items():
                check = member_accepts(name)
                if check is None or not check(item):
                    return False
            for name in required:
                if name not in value:
                    return False
            return True

        def explain(value: Any, path: str, out: Findings) -> None:
            if not isinstance(value, dict):
                out.append(
                    (
                        path,
                        f"must be a mapping of {shape.name} members "
                        f"(got {_type_name(value)} {_show(value)})",
                    )
                )
                return
            if is_union and len(value) != 1:
                got = ", ".join(map(str, value)) if value else "none"
                out.append((path, f"must set exactly one of {member_list} (got {got})"))
            for name in required:
                if name not in value:
                    out.append((_child(path, name), f"is required by {shape.name} but missing"))
            for name, item in value.items():
                member = members.get(name)
                if member is None:
                    out.append(
                        (
                            _child(path, str(name)),
                            f"is not a member of {shape.name} (members: {member_list})",
                        )
                    )
                elif not member.accepts(item):
                    member.explain(item, _child(path, name), out)

        return _Validator(accepts, explain)


# --- requests ------------------------------------------------------------------------------


class RequestContract:
    """The input contract of every operation of one botocore service model."""

    def __init__(self, service_model: Any) -> None:
        self._model = service_model
        self._operations = frozenset(service_model.operation_names)
        self._compiler = _ShapeCompiler()
        self._inputs: dict[str, _Validator | None] = {}

    @property
    def operations(self) -> frozenset[str]:
        return self._operations

    def _input_validator(self, operation: str) -> _Validator | None:
        try:
            return self._inputs[operation]
        except KeyError:
            pass
        if operation not in self._operations:
            close = difflib.get_close_matches(operation, self._operations, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"{operation!r} is not an operation of the {self._model.service_name} "
                f"service model{hint}"
            )
        shape = self._model.operation_model(operation).input_shape
        validator = self._compiler.compile(shape) if shape is not None else None
        self._inputs[operation] = validator
        return validator

    def check(self, operation: str, params: Mapping[str, Any]) -> list[ContractViolation]:
        validator = self._input_validator(operation)
        if validator is None:
            if not params:
                return []
            return [
                ContractViolation(operation, str(name), f"{operation} takes no parameters")
                for name in params
            ]
        if not isinstance(params, dict) and isinstance(params, Mapping):
            params = dict(params)
        if validator.accepts(params):
            return []
        found: Findings = []
        validator.explain(params, "", found)
        return [ContractViolation(operation, path, message) for path, message in found]


@functools.cache
def _vpc_lattice() -> RequestContract:
    import botocore.session

    return RequestContract(botocore.session.get_session().get_service_model(SERVICE_NAME))


def check_request(operation: str, params: Mapping[str, Any]) -> list[ContractViolation]:
    """Every way ``params`` for the VPC Lattice ``operation`` breaks the service model.

    ``params`` is what boto3 would be called with (``client.create_rule(**params)``).
    Empty list means the request is valid.  Raises ``ValueError`` for an operation
    VPC Lattice does not have.
    """
    return _vpc_lattice().check(operation, params)


def known_operations() -> frozenset[str]:
    """The names of all VPC Lattice operations (``CreateRule``, ``ListServices``, …)."""
    return _vpc_lattice().operations
