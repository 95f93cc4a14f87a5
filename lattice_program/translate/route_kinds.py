"""What differs between HTTPRoute, GRPCRoute and TLSRoute, in one place.

The translator handles every route kind with one code path; each kind contributes the
Lattice listener protocols it can use, how its matches become Lattice matches, what its
target groups speak, and which of its fields Lattice cannot honour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

from components.specs import HealthCheckSpec, HttpMatchSpec

from lattice_program.translate import rules
from lattice_program.translate.attachment import HTTP, HTTPS, TLS_PASSTHROUGH

ConvertMatch = Callable[[Any, str], Tuple[List[rules.Converted], List[rules.MatchError], List[rules.MatchError]]]


@dataclass(frozen=True)
class RouteKind:
    name: str
    protocols: Tuple[str, ...]  # Lattice listener protocols this kind can be served on
    target_protocol: str  # target group protocol and version
    target_protocol_version: Optional[str]
    health_check: Optional[HealthCheckSpec]  # None: VPC Lattice's defaults
    convert_match: Optional[ConvertMatch]  # None: the kind has no matches (TLS)
    catch_all: Optional[HttpMatchSpec]  # the match of a rule that lists none

    @property
    def has_rules(self) -> bool:
        return self.convert_match is not None


HTTP_ROUTE = RouteKind(
    name="HTTPRoute", protocols=(HTTP, HTTPS), target_protocol="HTTP", target_protocol_version="HTTP1",
    health_check=None, convert_match=rules.convert_match, catch_all=None,
)
# The AWS controller turns health checks off for gRPC target groups (its default health
# check for HTTP/GRPC has enabled=false); so do we, unless a policy says otherwise.
GRPC_ROUTE = RouteKind(
    name="GRPCRoute", protocols=(HTTPS,), target_protocol="HTTP", target_protocol_version="GRPC",
    health_check=HealthCheckSpec(enabled=False), convert_match=rules.convert_grpc_match,
    catch_all=HttpMatchSpec(method=rules.GRPC_METHOD, path=rules.PathMatchSpec("prefix", "/")),
)
# TLS passthrough: TCP target groups, whose health checks VPC Lattice leaves off.
TLS_ROUTE = RouteKind(
    name="TLSRoute", protocols=(TLS_PASSTHROUGH,), target_protocol="TCP", target_protocol_version=None,
    health_check=HealthCheckSpec(enabled=False), convert_match=None, catch_all=None,
)
KINDS = (HTTP_ROUTE, GRPC_ROUTE, TLS_ROUTE)


def unsupported_fields(kind: RouteKind, route: Any) -> List[Tuple[str, str]]:
    """(field, message) for each field of the route that VPC Lattice cannot honour."""
    errors: List[Tuple[str, str]] = []
    for index, rule in enumerate(route.spec.rules):
        where = f"spec.rules[{index}]"
        filters = getattr(rule, "filters", None)
        if filters:
            types = sorted({str(f.get("type", "?")) for f in filters})
            errors.append((f"{where}.filters", f"VPC Lattice rules have no filters ({', '.join(types)}); remove them"))
        for name in ("timeouts", "retry", "session_persistence"):
            if getattr(rule, name, None):
                field_name = {"session_persistence": "sessionPersistence"}.get(name, name)
                errors.append((f"{where}.{field_name}", f"VPC Lattice rules have no {field_name} setting; remove it"))
    return errors


def rule_matches(kind: RouteKind, rule: Any) -> Sequence[Any]:
    """The rule's matches; for an HTTPRoute the model already holds the spec's default."""
    return getattr(rule, "matches", ()) or ()
