"""HTTPRoute matches to Lattice rule matches, in Gateway API precedence order.

HTTPRoute and GRPCRoute matches become Lattice HTTP matches (a gRPC service and method
are a request path).  A Lattice rule has one match (path AND method AND headers); a
Gateway API rule has several matches OR-ed together.  Each match becomes its own Lattice rule (the AWS
controller refuses more than one match per rule, its issue #520).

A Gateway API ``PathPrefix`` is matched element by element (``/v2`` matches ``/v2`` and
``/v2/x``, never ``/v2example``; a trailing ``/`` on the value is ignored), while a
Lattice ``prefix`` is a plain string prefix.  So ``PathPrefix /v2`` becomes two Lattice
rules, an exact ``/v2`` and a prefix ``/v2/``; ``/`` stays one rule.  Both halves keep the
precedence of the prefix they came from.  Header values and paths are matched
case-sensitively, as the spec asks (header names are not: HTTP header names never are).

Lattice evaluates rules by priority, while Gateway API gives precedence by
specificity: an Exact path, then the longest prefix, then a method, then the most
header matches, and the order of the rules only for ties.  Rules are ordered that way
before priorities are allocated, so traffic goes where the spec says; of two rules with
the same match, only the one taking precedence is kept.

Anything a match asks for that Lattice cannot do is returned as an error naming the
field, never dropped: query-parameter matches, regular expressions, too many headers,
and paths outside Lattice's length and character set.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from components.specs import HeaderMatchSpec, HttpMatchSpec, PathMatchSpec

from lattice_program.sources import gateway_api as k8s

# VPC Lattice API model (botocore vpc-lattice 2022-11-30), CreateRule.match.httpMatch.
MAX_HEADER_MATCHES = 5
MAX_PATH_LENGTH = 200
MAX_HEADER_NAME = 100
MAX_HEADER_VALUE = 200
LATTICE_PATH = re.compile(r"/[a-zA-Z0-9@:%_+.~#?&/=-]*")


@dataclass(frozen=True)
class Converted:
    """One Lattice match a Gateway API match became; ``path_prefix`` is the element-wise
    PathPrefix it serves (normalized, no trailing ``/``) when it is half of one."""

    match: HttpMatchSpec
    path_prefix: Optional[str] = None


@dataclass(frozen=True)
class MatchItem:
    """One Lattice rule to be: a converted match of one route rule."""

    rule_index: int
    match_index: int
    key: str
    match: HttpMatchSpec
    path_prefix: Optional[str] = None


@dataclass(frozen=True)
class MatchError:
    field: str
    message: str


def convert_match(match: k8s.HTTPRouteMatch, field: str) -> Tuple[List[Converted], List[MatchError], List[MatchError]]:
    """(Lattice matches, errors, warnings) for one HTTPRouteMatch: one match, or two for
    an element-wise PathPrefix other than ``/``; none when there are errors."""
    errors: List[MatchError] = []
    warnings: List[MatchError] = []
    if match.query_params:
        errors.append(MatchError(f"{field}.queryParams", "VPC Lattice rules cannot match query parameters; remove them"))
    path = None
    if match.path is not None:
        if match.path.type == "RegularExpression":
            errors.append(MatchError(f"{field}.path.type", "VPC Lattice has no regular-expression path match; use Exact or PathPrefix"))
        elif len(match.path.value) > MAX_PATH_LENGTH:
            errors.append(MatchError(f"{field}.path.value", f"path is {len(match.path.value)} characters; VPC Lattice allows at most {MAX_PATH_LENGTH}"))
        elif match.path.type != "Exact" and _longest_half(match.path.value) > MAX_PATH_LENGTH:
            errors.append(MatchError(f"{field}.path.value", f"the PathPrefix is matched as the Lattice prefix "
                                     f"'{match.path.value.rstrip('/')}/' of {MAX_PATH_LENGTH + 1} characters; VPC "
                                     f"Lattice allows at most {MAX_PATH_LENGTH}: shorten it by one"))
        elif not LATTICE_PATH.fullmatch(match.path.value):
            bad = sorted({c for c in match.path.value if not LATTICE_PATH.fullmatch("/" + c)})
            errors.append(MatchError(f"{field}.path.value", f"VPC Lattice paths may hold only letters, digits and @:%_+.~#?&/=- (found {''.join(bad)!r})"))
        else:
            path = PathMatchSpec("exact" if match.path.type == "Exact" else "prefix", match.path.value)
    headers, header_errors, header_warnings = _headers(match.headers, field)
    errors.extend(header_errors)
    warnings.extend(header_warnings)
    if errors:
        return [], errors, warnings
    if path is None and match.method is None and not headers:
        path = PathMatchSpec("prefix", "/")
    if path is not None and path.kind == "prefix":
        return [Converted(HttpMatchSpec(method=match.method, path=half, headers=tuple(headers)), prefix)
                for half, prefix in _element_wise(path.value)], errors, warnings
    return [Converted(HttpMatchSpec(method=match.method, path=path, headers=tuple(headers)))], errors, warnings


def _longest_half(value: str) -> int:
    return max(len(half.value) for half, _ in _element_wise(value))


def _element_wise(value: str) -> List[Tuple[PathMatchSpec, str]]:
    """The Lattice path matches that together match PathPrefix ``value`` element-wise,
    each with the normalized prefix they serve."""
    prefix = value.rstrip("/") or "/"
    if prefix == "/":
        return [(PathMatchSpec("prefix", "/"), "/")]
    return [(PathMatchSpec("exact", prefix), prefix), (PathMatchSpec("prefix", prefix + "/"), prefix)]


GRPC_METHOD = "POST"  # every gRPC call is an HTTP/2 POST to /<service>/<method>


def convert_grpc_match(match: k8s.GRPCRouteMatch, field: str) -> Tuple[List[Converted], List[MatchError], List[MatchError]]:
    """(match, errors, warnings) for one GRPCRouteMatch: service and method become the
    request path, ``/<service>/<method>`` exactly or ``/<service>/`` as a prefix."""
    errors: List[MatchError] = []
    path = PathMatchSpec("prefix", "/")
    method = match.method
    if method is not None:
        if method.type == "RegularExpression":
            errors.append(MatchError(f"{field}.method.type", "VPC Lattice has no regular-expression match; use Exact"))
        elif not method.service:
            errors.append(MatchError(f"{field}.method.service", "a method without a service would need a path suffix "
                                     "match, which VPC Lattice does not have; name the service too"))
        else:
            value = f"/{method.service}/{method.method}" if method.method else f"/{method.service}/"
            path = PathMatchSpec("exact" if method.method else "prefix", value)
            if len(value) > MAX_PATH_LENGTH or not LATTICE_PATH.fullmatch(value):
                errors.append(MatchError(f"{field}.method", f"{value!r} is not a path VPC Lattice can match (at most "
                                         f"{MAX_PATH_LENGTH} of letters, digits and @:%_+.~#?&/=-)"))
    headers, header_errors, warnings = _headers(match.headers, field)
    errors.extend(header_errors)
    if errors:
        return [], errors, warnings
    return [Converted(HttpMatchSpec(method=GRPC_METHOD, path=path, headers=tuple(headers)))], errors, warnings


def _headers(matches: Sequence[k8s.HTTPHeaderMatch], field: str) -> Tuple[List[HeaderMatchSpec], List[MatchError], List[MatchError]]:
    headers: List[HeaderMatchSpec] = []
    errors: List[MatchError] = []
    warnings: List[MatchError] = []
    seen_names = set()
    for index, header in enumerate(matches):
        where = f"{field}.headers[{index}]"
        if header.name.lower() in seen_names:
            warnings.append(MatchError(where, f"header {header.name!r} is matched earlier in this match; per the spec only the first counts"))
            continue
        seen_names.add(header.name.lower())
        if header.type == "RegularExpression":
            errors.append(MatchError(f"{where}.type", "VPC Lattice has no regular-expression header match; use Exact"))
        elif len(header.name) > MAX_HEADER_NAME:
            errors.append(MatchError(f"{where}.name", f"header name is longer than VPC Lattice's {MAX_HEADER_NAME} characters"))
        elif len(header.value) > MAX_HEADER_VALUE:
            errors.append(MatchError(f"{where}.value", f"header value is longer than VPC Lattice's {MAX_HEADER_VALUE} characters"))
        else:
            headers.append(HeaderMatchSpec(header.name, header.value))
    if len(headers) > MAX_HEADER_MATCHES:
        errors.append(MatchError(f"{field}.headers", f"{len(headers)} header matches; VPC Lattice allows at most {MAX_HEADER_MATCHES} per rule"))
    return headers, errors, warnings


def match_key(match: HttpMatchSpec) -> str:
    """Identity of a match, stable when other rules are inserted or reordered."""
    canonical = json.dumps([match.method, match.path and [match.path.kind, match.path.value],
                            [[h.name.lower(), h.value] for h in match.headers]], separators=(",", ":"))
    return "m-" + hashlib.sha256(canonical.encode()).hexdigest()[:10]


def precedence(item: MatchItem) -> Tuple[int, int, int, int, int, int]:
    path = item.match.path
    if item.path_prefix is not None:  # either half of an element-wise PathPrefix ranks as that prefix
        exact, prefix_length = 1, len(item.path_prefix)
    else:
        exact = 0 if path is not None and path.kind == "exact" else 1
        prefix_length = len(path.value) if path is not None and path.kind == "prefix" else (1 if path is None else 0)
    return (exact, -prefix_length, 0 if item.match.method else 1, -len(item.match.headers),
            item.rule_index, item.match_index)


def ordered(items: Sequence[MatchItem]) -> List[MatchItem]:
    return sorted(items, key=precedence)


def without_shadowed(items: Sequence[MatchItem]) -> Tuple[List[MatchItem], List[Tuple[MatchItem, MatchItem]]]:
    """``items`` in precedence order, keeping the first of any that share a match; the
    dropped ones with the item that shadows them."""
    kept: List[MatchItem] = []
    first: dict = {}
    shadowed: List[Tuple[MatchItem, MatchItem]] = []
    for item in ordered(items):
        key = match_key(item.match)
        if key in first:
            shadowed.append((item, first[key]))
        else:
            first[key] = item
            kept.append(item)
    return kept, shadowed
