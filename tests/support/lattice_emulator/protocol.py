"""The rest-json wire protocol, server side, driven by botocore's service model.

Requests are routed by each operation's ``http.method`` and ``requestUri`` template and
parsed into the boto3-style parameter dict (URI labels, query string and JSON body
members together).  Responses are serialized through the operation's output shape, so
an operation handler may return a superset of the members and only the modeled ones go
out on the wire.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import ApiError, validation
from .model import error_status, operation_model, service_model

Response = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    # Each segment is ("literal", text) or ("label", member name).
    segments: tuple[tuple[str, str], ...]

    @property
    def literal_count(self) -> int:
        return sum(1 for kind, _ in self.segments if kind == "literal")


def _compile(operation: str, method: str, template: str) -> _Route:
    segments = []
    for part in template.strip("/").split("/"):
        if part.startswith("{") and part.endswith("}"):
            segments.append(("label", part[1:-1].rstrip("+")))
        else:
            segments.append(("literal", part))
    return _Route(operation, method, tuple(segments))


class Router:
    """Maps (method, path) to an operation name and its URI label values."""

    def __init__(self) -> None:
        model = service_model()
        routes = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            routes.append(_compile(name, http["method"], http["requestUri"]))
        # More literal segments first: /targetgroups/{id}/listtargets beats a label.
        self._routes = sorted(routes, key=lambda route: -route.literal_count)

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        # Split before unquoting: botocore percent-encodes '/' inside a label (an ARN).
        parts = path.strip("/").split("/")
        for route in self._routes:
            if route.method != method or len(route.segments) != len(parts):
                continue
            labels: dict[str, str] = {}
            for (kind, text), part in zip(route.segments, parts):
                if kind == "literal":
                    if part != text:
                        break
                elif part:
                    labels[text] = unquote(part)
                else:
                    break
            else:
                return route.operation, labels
        return None


def _from_text(shape: Any, text: str, name: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise validation(f"{name} must be an integer (got {text!r})", reason="cannotParse")
    if kind == "boolean":
        if text not in ("true", "false"):
            raise validation(f"{name} must be true or false (got {text!r})", reason="cannotParse")
        return text == "true"
    return text


def parse_request(
    operation: str, labels: Mapping[str, str], url: str, body: bytes
) -> dict[str, Any]:
    """The boto3-style parameters of one request."""
    shape = operation_model(operation).input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return params
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    if body.strip():
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise validation(f"the request body is not JSON: {exc}", reason="cannotParse")
        if not isinstance(document, dict):
            raise validation("the request body must be a JSON object", reason="cannotParse")
    else:
        document = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            if wire_name in labels:
                params[name] = _from_text(member, labels[wire_name], name)
        elif location == "querystring":
            if wire_name in query:
                values = query[wire_name]
                if member.type_name == "list":
                    params[name] = [_from_text(member.member, value, name) for value in values]
                else:
                    params[name] = _from_text(member, values[-1], name)
        elif location is None and wire_name in document:
            params[name] = document.pop(wire_name)
    # Body members the input shape does not have still reach the contract check, which
    # names them; dropping them here would hide a client bug.
    params.update(document)
    return params


def _wire(shape: Any, value: Any) -> Any:
    """``value`` restricted to the members of ``shape``, in JSON types."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue
            item = _wire(member, value.get(name))
            if item is not None:
                out[member.serialization.get("name", name)] = item
        return out
    if kind == "list":
        return [_wire(shape.member, item) for item in value]
    if kind == "map":
        return {key: _wire(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        return value
    return value


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, payload


def serialize_output(operation: str, result: Mapping[str, Any]) -> Response:
    op = operation_model(operation)
    status = op.http.get("responseCode", 200)
    shape = op.output_shape
    if shape is None or not shape.members:
        return status, {}, b""
    return _json_response(status, _wire(shape, result))


def serialize_error(error: ApiError) -> Response:
    status = error_status(error.code) or error.status or 400
    body = {"message": error.message, **error.fields}
    return _json_response(status, body, {"x-amzn-ErrorType": error.code})
