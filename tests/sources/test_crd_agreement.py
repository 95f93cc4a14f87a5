"""Our parser against the upstream Gateway API v1.5.0 CRD schemas, property by property.

``lattice_program.sources.gateway_api`` promises that an object the API server would refuse is
refused here too, naming the field, and that one it would store is read.  These tests
hold it to that with objects generated from each CRD's ``openAPIV3Schema`` (the served
storage version) in ``../shared/reference/gateway-api-v1.5.0/standard/``:

1. every object valid for the schema, and for the CEL rules (``x-kubernetes-validations``),
   parses without a problem;
2. the same object with one schema constraint broken (an enum, a length, a pattern, a
   list size, a bound, a required field, a type) gets an error naming that field;
3. the same for every constraint in turn, on "full" objects that have every optional field
   and a member in every list, so that none of the schema's constraints goes unprobed.

The generator is a small walk over the OpenAPI schema rather than hypothesis-jsonschema:
that package installs and copes with these schemas, but it is several seconds per few
dozen ReferenceGrants or Gateways and knows nothing of the CEL rules, so most of what it
made would have to be thrown away.  The walk keeps objects small and satisfies the CEL
rules by construction at the few places that have them (``OVERRIDES``).

Subtrees the parser holds as opaque data (filters, Gateway addresses, ...) are left out of
property 2: the translator refuses or ignores them as a whole.  Where we accept what the
schema refuses, or refuse what it accepts, a test below says so and why.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from lattice_program.contract.pipeline import plan
from lattice_program.vocabulary.settings import StackSettings
from lattice_program.sources.snapshot import ParseResult, parse
from lattice_program.sources.files import RawObject, load_text

REFERENCE = Path(__file__).parents[2].parent / "shared" / "reference"
CRD_DIR = REFERENCE / "gateway-api-v1.5.0" / "standard"

if not CRD_DIR.is_dir():
    pytest.skip(f"../shared/reference is not beside the repo ({CRD_DIR} is missing), so there are no upstream "
                "CRDs to compare the parser with", allow_module_level=True)

GROUP = "gateway.networking.k8s.io"
ITEMS_CAP = 2  # list and map sizes beyond a schema's minimum; enough to meet every rule
TEXT_CAP = 12  # free-text length; the length limits are probed by the mutations instead
INT32 = (-(2 ** 31), 2 ** 31 - 1)
Schema = Mapping[str, Any]


@dataclass(frozen=True)
class CrdKind:
    kind: str
    file: str
    namespaced: bool

    @property
    def version(self) -> Dict[str, Any]:
        return _storage_version(self.file)

    @property
    def api_version(self) -> str:
        return f"{GROUP}/{self.version['name']}"

    @property
    def schema(self) -> Schema:
        return self.version["schema"]["openAPIV3Schema"]


@lru_cache(maxsize=None)
def _storage_version(file: str) -> Dict[str, Any]:
    crd = yaml.safe_load((CRD_DIR / file).read_text(encoding="utf-8"))
    [version] = [v for v in crd["spec"]["versions"] if v.get("storage") and v.get("served")]
    return version


KINDS = {
    k.kind: k for k in (
        CrdKind("GatewayClass", "gateway.networking.k8s.io_gatewayclasses.yaml", namespaced=False),
        CrdKind("Gateway", "gateway.networking.k8s.io_gateways.yaml", namespaced=True),
        CrdKind("HTTPRoute", "gateway.networking.k8s.io_httproutes.yaml", namespaced=True),
        CrdKind("GRPCRoute", "gateway.networking.k8s.io_grpcroutes.yaml", namespaced=True),
        CrdKind("TLSRoute", "gateway.networking.k8s.io_tlsroutes.yaml", namespaced=True),
        CrdKind("ReferenceGrant", "gateway.networking.k8s.io_referencegrants.yaml", namespaced=True),
    )
}

# Schema paths ("spec.rules[].filters", "[]" for list items, "{}" for map values) whose
# content the parser keeps as plain data.  The translator refuses a route with filters or
# timeouts and a Gateway with addresses whatever they hold, and never reads the rest
# (parametersRef, infrastructure, allowedListeners, the Gateway's client TLS settings,
# certificateRefs: the certificate comes from the listener's tls.options).
OPAQUE: Dict[str, Tuple[str, ...]] = {
    "GatewayClass": ("spec.parametersRef",),
    "Gateway": ("spec.addresses", "spec.infrastructure", "spec.allowedListeners", "spec.tls",
                "spec.listeners[].tls.certificateRefs"),
    "HTTPRoute": ("spec.rules[].filters", "spec.rules[].backendRefs[].filters", "spec.rules[].timeouts"),
    "GRPCRoute": ("spec.rules[].filters", "spec.rules[].backendRefs[].filters"),
    "TLSRoute": (),
    "ReferenceGrant": (),
}


# --- parsing -------------------------------------------------------------------------------


def parse_object(obj: Mapping[str, Any]) -> ParseResult:
    """Through YAML text, as a manifest on disk would come."""
    text = yaml.safe_dump(obj)
    assert yaml.safe_load(text) == obj, "the generated object does not survive YAML; fix the generator"
    return parse(load_text(text))


def errors_of(result: ParseResult) -> List[str]:
    return [f"{p.field}: {p.message}" for p in result.problems if p.severity == "error"]


def error_fields(result: ParseResult) -> List[str]:
    return [p.field for p in result.problems if p.severity == "error"]


def parsed_count(result: ParseResult) -> int:
    snapshot = result.snapshot
    return (len(snapshot.gateway_classes) + len(snapshot.gateways) + len(snapshot.http_routes)
            + len(snapshot.grpc_routes) + len(snapshot.tls_routes)
            + sum(len(grants) for grants in snapshot.reference_grants.values()))


# --- generating objects from the schema ----------------------------------------------------

SMALL_KEYS = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
# Free text: any character YAML can carry (no lone surrogates).
TEXT = st.characters(codec="utf-8", exclude_categories=("Cs",))
DNS_NAME = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)


class ObjectGenerator:
    """Strategies for one kind's objects, made by walking its schema.

    ``full``: every optional field written and every list and map holding an item, so that
    one object reaches every constraint of the schema.  Otherwise optional fields come and
    go, defaults are written out or left to the API server, lists hold 0 to 2 items.
    """

    def __init__(self, kind: CrdKind, *, full: bool) -> None:
        self.kind = kind
        self.full = full

    def objects(self) -> st.SearchStrategy[Dict[str, Any]]:
        namespace = {"namespace": DNS_NAME} if self.kind.namespaced else {}
        metadata = st.fixed_dictionaries({"name": DNS_NAME, **(namespace if self.full else {})},
                                         optional={} if self.full else namespace)
        spec = {"spec": self.value(self.kind.schema["properties"]["spec"], "spec")}
        spec_required = self.full or "spec" in self.kind.schema.get("required", ())
        return st.fixed_dictionaries(
            {"apiVersion": st.just(self.kind.api_version), "kind": st.just(self.kind.kind), "metadata": metadata,
             **(spec if spec_required else {})},
            optional={} if spec_required else spec)

    def value(self, schema: Schema, path: str) -> st.SearchStrategy[Any]:
        """Values valid for ``schema`` at ``path`` and for the CEL rules there."""
        for kind, suffix, build in OVERRIDES:
            if kind in (None, self.kind.kind) and (path == suffix or path.endswith("." + suffix)):
                return build(self, schema, path)
        return self.generic(schema, path)

    def generic(self, schema: Schema, path: str) -> st.SearchStrategy[Any]:
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        node_type = schema.get("type")
        if node_type == "object":
            return self._object(schema, path)
        if node_type == "array":
            return self._array(schema, path)
        if node_type == "string":
            return self._string(schema)
        if node_type == "integer":
            low, high = INT32 if schema.get("format") == "int32" else (None, None)
            return st.integers(min_value=schema.get("minimum", low), max_value=schema.get("maximum", high))
        if node_type == "boolean":
            return st.booleans()
        raise AssertionError(f"{path}: the generator does not know this schema node: {sorted(schema)}")

    def fields(self, required: Dict[str, st.SearchStrategy[Any]],
               optional: Dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Dict[str, Any]]:
        if self.full:
            return st.fixed_dictionaries({**required, **optional})
        return st.fixed_dictionaries(required, optional=optional)

    def _object(self, schema: Schema, path: str, *, at_least_one: bool = False) -> st.SearchStrategy[Dict[str, Any]]:
        properties = schema.get("properties")
        if properties is not None:
            required = set(schema.get("required", ()))
            values = {name: self.property(sub, f"{path}.{name}") for name, sub in properties.items()}
            return self.fields({n: v for n, v in values.items() if n in required},
                               {n: v for n, v in values.items() if n not in required})
        value_schema = schema.get("additionalProperties")
        if isinstance(value_schema, dict):
            size = min(schema.get("maxProperties", ITEMS_CAP), ITEMS_CAP)
            return st.dictionaries(SMALL_KEYS, self.value(value_schema, path + "{}"),
                                   min_size=1 if self.full or at_least_one else 0, max_size=1 if self.full else size)
        return st.just({})

    def property(self, schema: Schema, path: str) -> st.SearchStrategy[Any]:
        values = self.value(schema, path)
        if "default" in schema and not self.full:
            # The default is what the API server stores for an absent field; written out, it must read the same.
            return st.one_of(st.just(schema["default"]), values)
        return values

    def _array(self, schema: Schema, path: str, *, at_least_one: bool = False) -> st.SearchStrategy[List[Any]]:
        low = max(schema.get("minItems", 0), 1 if at_least_one else 0)
        high = max(low, min(schema.get("maxItems", ITEMS_CAP), ITEMS_CAP))
        if self.full:
            low = high = max(low, 1)
        keys: List[Callable[[Any], Any]] = []
        if schema.get("x-kubernetes-list-type") == "map":
            map_keys = tuple(schema["x-kubernetes-list-map-keys"])
            keys.append(lambda item: tuple(item.get(k) for k in map_keys))
        elif schema.get("x-kubernetes-list-type") == "set":
            keys.append(lambda item: json.dumps(item, sort_keys=True))
        keys.extend(key for suffix, key in UNIQUE_BY if path.endswith(suffix))
        # (One item is unique by itself; and lists(min_size=1, max_size=1, unique_by=...)
        # trips an internal assertion of Hypothesis 6.155.)
        return st.lists(self.value(schema["items"], path + "[]"), min_size=low, max_size=high,
                        unique_by=tuple(keys) if keys and high > 1 else None)

    @staticmethod
    def _string(schema: Schema) -> st.SearchStrategy[str]:
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda value: low <= len(value) <= (high if high is not None else len(value)))
        cap = TEXT_CAP if high is None else min(high, TEXT_CAP)
        return st.text(TEXT, min_size=low, max_size=max(low, cap))

    # --- the CEL rules of the CRDs, met by construction where they apply ---------------------

    def filter_item(self, schema: Schema, path: str) -> st.SearchStrategy[Dict[str, Any]]:
        """CEL: ``type`` names the one member that is set."""
        types = [t for t in schema["properties"]["type"]["enum"] if t in SIMPLE_FILTERS]

        def with_member(filter_type: str) -> st.SearchStrategy[Dict[str, Any]]:
            member = SIMPLE_FILTERS[filter_type]
            return st.fixed_dictionaries({"type": st.just(filter_type),
                                          member: self.value(schema["properties"][member], f"{path}.{member}")})

        return st.sampled_from(types).flatmap(with_member)

    def backend_ref(self, schema: Schema, path: str) -> st.SearchStrategy[Dict[str, Any]]:
        """CEL: a reference to a core Service (the defaults) names a port."""
        port = self.value(schema["properties"]["port"], f"{path}.port")

        def with_port_for_service(ref: Dict[str, Any]) -> st.SearchStrategy[Dict[str, Any]]:
            if "port" in ref or ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
                return st.just(ref)
            return port.map(lambda number: {**ref, "port": number})

        return self.generic(schema, path).flatmap(with_port_for_service)

    def http_path(self, schema: Schema, path: str) -> st.SearchStrategy[Dict[str, Any]]:
        """CEL: an Exact or PathPrefix value is an absolute, normalised path of URL characters."""
        absolute = st.from_regex(HTTP_PATH, fullmatch=True).filter(_path_allowed_by_cel)
        prefix_or_exact = self.fields({}, {"type": st.sampled_from(["Exact", "PathPrefix"]), "value": absolute})
        if self.full:
            return prefix_or_exact
        regular = st.fixed_dictionaries({"type": st.just("RegularExpression"), "value": st.text(TEXT, max_size=TEXT_CAP)})
        return st.one_of(prefix_or_exact, regular)

    def grpc_method(self, schema: Schema, path: str) -> st.SearchStrategy[Dict[str, Any]]:
        """CEL: service or method (or both); for Exact, a gRPC service and method name."""
        service = st.from_regex(r"\.?[a-zA-Z_][a-zA-Z_0-9]{0,6}(\.[a-zA-Z_][a-zA-Z_0-9]{0,6}){0,2}", fullmatch=True)
        method = st.from_regex(r"[A-Za-z_][A-Za-z_0-9]{0,8}", fullmatch=True)
        exact = self.fields({}, {"type": st.just("Exact"), "service": service, "method": method})
        if self.full:
            return exact
        text = st.text(TEXT, max_size=TEXT_CAP)
        regular = st.fixed_dictionaries({"type": st.just("RegularExpression")}, optional={"service": text, "method": text})
        return st.one_of(exact, regular).filter(lambda match: "service" in match or "method" in match)

    def listener(self, schema: Schema, path: str) -> st.SearchStrategy[Dict[str, Any]]:
        """CEL: tls only where the protocol takes it (and set for TLS, Terminate for HTTPS),
        no hostname on TCP or UDP."""
        props = schema["properties"]
        named = {"name": self.value(props["name"], f"{path}.name"), "port": self.value(props["port"], f"{path}.port")}

        def for_protocol(protocol: str) -> st.SearchStrategy[Dict[str, Any]]:
            required = {**named, "protocol": st.just(protocol)}
            optional = {"allowedRoutes": self.property(props["allowedRoutes"], f"{path}.allowedRoutes")}
            if protocol not in ("TCP", "UDP"):
                optional["hostname"] = self.value(props["hostname"], f"{path}.hostname")
            tls = lambda *modes: self.listener_tls(props["tls"], f"{path}.tls", modes)  # noqa: E731
            if protocol == "TLS":
                required["tls"] = tls("Terminate", "Passthrough")
            elif protocol == "HTTPS":
                optional["tls"] = tls("Terminate")
            elif protocol not in ("HTTP", "TCP", "UDP"):
                optional["tls"] = tls("Terminate", "Passthrough")
            return self.fields(required, optional)

        if self.full:
            protocols = st.sampled_from(["HTTPS", "TLS"])
        else:
            protocols = st.one_of(st.sampled_from(["HTTP", "HTTPS", "TLS", "TCP", "UDP"]),
                                  self.value(props["protocol"], f"{path}.protocol"))
        return protocols.flatmap(for_protocol)

    def listener_tls(self, schema: Schema, path: str, modes: Sequence[str]) -> st.SearchStrategy[Dict[str, Any]]:
        """CEL: mode Terminate (also the default) needs a certificate or options."""
        props = schema["properties"]
        refs_path, options_path = f"{path}.certificateRefs", f"{path}.options"
        refs, options = self._array(props["certificateRefs"], refs_path), self._object(props["options"], options_path)
        # (Not refs.filter(bool): Hypothesis 6.155 rewrites that filter into a list strategy
        # that trips its own internal assertion.)
        some_refs = self._array(props["certificateRefs"], refs_path, at_least_one=True)
        some_options = self._object(props["options"], options_path, at_least_one=True)

        def for_mode(mode: str) -> st.SearchStrategy[Dict[str, Any]]:
            if self.full or mode != "Terminate":
                return self.fields({"mode": st.just(mode)}, {"certificateRefs": refs, "options": options})
            return st.one_of(
                st.fixed_dictionaries({"certificateRefs": some_refs}, optional={"mode": st.just(mode), "options": options}),
                st.fixed_dictionaries({"options": some_options}, optional={"mode": st.just(mode), "certificateRefs": refs}),
            )

        return st.sampled_from(list(modes)).flatmap(for_mode)

    def address(self, schema: Schema, path: str) -> st.SearchStrategy[Dict[str, Any]]:
        """oneOf: an IPAddress value is an IP; CEL: a Hostname value is a hostname."""
        ip = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
        hostname = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?(\.[a-z]{2,6})?", fullmatch=True)
        return st.one_of(
            self.fields({"value": ip}, {"type": st.just("IPAddress")}),
            self.fields({"type": st.just("Hostname")}, {"value": hostname}),
            self.fields({"type": st.just("NamedAddress")}, {"value": st.text(TEXT, max_size=TEXT_CAP)}),
        )

    def timeouts(self, schema: Schema, path: str) -> st.SearchStrategy[Dict[str, Any]]:
        """CEL: backendRequest no longer than request; one of the two alone never conflicts."""
        duration = self.value(schema["properties"]["request"], f"{path}.request")
        return st.one_of(st.fixed_dictionaries({"request": duration}), st.fixed_dictionaries({"backendRequest": duration}),
                         *([] if self.full else [st.just({})]))

    def tls_route_hostname(self, schema: Schema, path: str) -> st.SearchStrategy[str]:
        """CEL: TLSRoute hostnames are not IP addresses."""
        return self.generic(schema, path).filter(lambda hostname: not _is_ip(hostname))

    def route_rules(self, schema: Schema, path: str) -> st.SearchStrategy[List[Dict[str, Any]]]:
        # The schema lets two rules share a name; see test_rule_names_must_be_unique.
        def unique_names(rules: List[Dict[str, Any]]) -> bool:
            names = [rule["name"] for rule in rules if "name" in rule]
            return len(names) == len(set(names))
        return self.generic(schema, path).filter(unique_names)

    def selector_operator(self, schema: Schema, path: str) -> st.SearchStrategy[str]:
        # The schema takes any string; see test_unknown_selector_operator_is_refused.
        return st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"])


def _parent_identity(parent: Mapping[str, Any]) -> Tuple[Any, ...]:
    """CEL: two parentRefs to one parent need distinct sectionNames; we never write two."""
    return (parent.get("group", GROUP), parent.get("kind", "Gateway"), parent.get("namespace") or "", parent["name"])


def _listener_identity(listener: Mapping[str, Any]) -> Tuple[Any, ...]:
    """CEL: port, protocol and hostname together are unique among a Gateway's listeners."""
    return listener["port"], listener["protocol"], listener.get("hostname")


def _address_identity(address: Mapping[str, Any]) -> Tuple[Any, ...]:
    """CEL: IPAddress and Hostname values are unique."""
    return address.get("type", "IPAddress"), address.get("value")


UNIQUE_BY: Tuple[Tuple[str, Callable[[Any], Any]], ...] = (
    ("parentRefs", _parent_identity),
    ("spec.listeners", _listener_identity),
    ("spec.addresses", _address_identity),
    ("filters", lambda f: f["type"]),  # CEL: most filter types "cannot be repeated"
)

# Filters whose own CEL rules stop at "type names the one member that is set".  The others
# (RequestRedirect, URLRewrite, RequestMirror, CORS) have rules across the rule's matches
# and backendRefs; the parser holds every filter opaque, so these few show enough.
SIMPLE_FILTERS = {"RequestHeaderModifier": "requestHeaderModifier",
                  "ResponseHeaderModifier": "responseHeaderModifier", "ExtensionRef": "extensionRef"}

PATH_REFUSED_BY_CEL = ("//", "/./", "/../", "%2f", "%2F", "#")
HTTP_PATH = r"/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2}){0,24}"


def _path_allowed_by_cel(value: str) -> bool:
    return (value.startswith("/") and not any(bad in value for bad in PATH_REFUSED_BY_CEL)
            and not value.endswith(("/..", "/.")) and len(value) <= 1024)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


Build = Callable[[ObjectGenerator, Schema, str], st.SearchStrategy[Any]]
# (kind or None for all, schema path or its last segments, how to build the strategy there)
OVERRIDES: Tuple[Tuple[Optional[str], str, Build], ...] = (
    (None, "filters[]", ObjectGenerator.filter_item),
    (None, "backendRefs[]", ObjectGenerator.backend_ref),
    (None, "matchExpressions[].operator", ObjectGenerator.selector_operator),
    (None, "spec.rules", ObjectGenerator.route_rules),
    ("HTTPRoute", "spec.rules[].matches[].path", ObjectGenerator.http_path),
    ("HTTPRoute", "spec.rules[].timeouts", ObjectGenerator.timeouts),
    ("GRPCRoute", "spec.rules[].matches[].method", ObjectGenerator.grpc_method),
    ("Gateway", "spec.listeners[]", ObjectGenerator.listener),
    ("Gateway", "spec.addresses[]", ObjectGenerator.address),
    ("TLSRoute", "spec.hostnames[]", ObjectGenerator.tls_route_hostname),
)


@lru_cache(maxsize=None)
def valid_objects(kind: str, *, full: bool = False) -> st.SearchStrategy[Dict[str, Any]]:
    return ObjectGenerator(KINDS[kind], full=full).objects()


# --- breaking one constraint -----------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    constraint: str
    schema_path: str  # spec.rules[].name
    field: str  # where the parser must report it, in its own notation: spec.rules[0].name
    apply: Callable[[Dict[str, Any]], None]  # breaks the constraint in place


# Values tried, in order, for a string that must not match its pattern.
NOT_MATCHING = ("-", "UPPER", "a b", "a_b", "*", "a..b", "é", "a/", "")
WRONG_TYPE = {"string": 7, "integer": "7", "boolean": "yes-please", "array": "x", "object": "x"}


def _spec_only(kind: str) -> Schema:
    """The root schema with what the parser reads: spec (metadata is Kubernetes', not the CRD's)."""
    root = KINDS[kind].schema
    return {"type": "object", "required": [r for r in root.get("required", ()) if r == "spec"],
            "properties": {"spec": root["properties"]["spec"]}}


def _opaque(kind: str, schema_path: str) -> bool:
    return any(schema_path == prefix or schema_path.startswith((prefix + ".", prefix + "[", prefix + "{"))
               for prefix in OPAQUE[kind])


def _not_matching(schema: Schema) -> Optional[str]:
    return next((c for c in NOT_MATCHING if not re.search(schema["pattern"], c) and len(c) >= schema.get("minLength", 0)),
                None)


def _join(schema_path: str, name: str) -> str:
    return f"{schema_path}.{name}" if schema_path else name


def schema_sites(kind: str) -> set[Tuple[str, str]]:
    """(schema path, constraint) for every constraint the parser must enforce."""
    sites: set[Tuple[str, str]] = set()

    def walk(schema: Schema, path: str) -> None:
        if _opaque(kind, path):
            return
        if path:
            sites.add((path, f"type {schema.get('type', 'object')}"))
        if "enum" in schema:
            sites.add((path, "enum"))
        node_type = schema.get("type")
        if node_type == "string":
            sites.update((path, c) for c in ("maxLength",) if c in schema)
            if schema.get("minLength", 0) > 0:
                sites.add((path, "minLength"))
            if "pattern" in schema and _not_matching(schema) is not None:
                sites.add((path, "pattern"))
        elif node_type == "integer":
            sites.update((path, c) for c in ("minimum", "maximum") if c in schema)
        elif node_type == "array":
            if schema.get("minItems", 0) > 0:
                sites.add((path, "minItems"))
            if "maxItems" in schema:
                sites.add((path, "maxItems"))
            walk(schema["items"], path + "[]")
        elif node_type == "object":
            sites.update((_join(path, name), "required") for name in schema.get("required", ())
                         if not _opaque(kind, _join(path, name)))
            if "maxProperties" in schema:
                sites.add((path, "maxProperties"))
            for name, sub in schema.get("properties", {}).items():
                walk(sub, _join(path, name))
            if isinstance(schema.get("additionalProperties"), dict):
                walk(schema["additionalProperties"], path + "{}")

    walk(_spec_only(kind), "")
    return sites


def mutations(kind: str, obj: Dict[str, Any]) -> List[Mutation]:
    """Every way to break one constraint of the schema in ``obj``, outside opaque fields."""
    found: List[Mutation] = []

    def walk(schema: Schema, value: Any, path: str, where: Tuple[Any, ...]) -> None:
        if _opaque(kind, path):
            return
        field = _field(where)

        def add(constraint: str, apply: Callable[[Dict[str, Any]], None], at: str = path, named: str = field) -> None:
            found.append(Mutation(constraint, at, named, apply))

        if where:
            add(f"type {schema.get('type', 'object')}", _setter(where, WRONG_TYPE[schema.get("type", "object")]))
        if "enum" in schema:
            add("enum", _setter(where, "NotInTheEnum"))
        node_type = schema.get("type")
        if node_type == "string":
            if "maxLength" in schema:
                # Made longer the way that keeps it matching, so only the length is wrong.
                longer = value + "a" * (schema["maxLength"] + 1 - len(value))
                assert "pattern" not in schema or re.search(schema["pattern"], longer), f"{path}: lengthen otherwise"
                add("maxLength", _setter(where, longer))
            if schema.get("minLength", 0) > 0:
                add("minLength", _setter(where, ""))
            if "pattern" in schema and _not_matching(schema) is not None:
                add("pattern", _setter(where, _not_matching(schema)))
        elif node_type == "integer":
            if "minimum" in schema:
                add("minimum", _setter(where, schema["minimum"] - 1))
            if "maximum" in schema:
                add("maximum", _setter(where, schema["maximum"] + 1))
        elif node_type == "array":
            if schema.get("minItems", 0) > 0:
                add("minItems", _setter(where, []))
            if "maxItems" in schema and value:
                add("maxItems", _setter(where, [value[0]] * (schema["maxItems"] + 1)))
            for index, item in enumerate(value):
                walk(schema["items"], item, path + "[]", where + (index,))
        elif node_type == "object":
            properties = schema.get("properties", {})
            for name in schema.get("required", ()):
                if name in value and not _opaque(kind, _join(path, name)):
                    add("required", _deleter(where + (name,)), _join(path, name), _field(where + (name,)))
            if "maxProperties" in schema and value:
                first = next(iter(value.values()))
                add("maxProperties", _setter(where, {**value, **{f"extra{i}": first
                                                                  for i in range(schema["maxProperties"] + 1)}}))
            for name, item in value.items():
                if name in properties:
                    walk(properties[name], item, _join(path, name), where + (name,))
                elif isinstance(schema.get("additionalProperties"), dict):
                    walk(schema["additionalProperties"], item, path + "{}", where + (name,))

    walk(_spec_only(kind), obj, "", ())
    return found


def _field(where: Sequence[Any]) -> str:
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _setter(where: Tuple[Any, ...], new: Any) -> Callable[[Dict[str, Any]], None]:
    def apply(obj: Dict[str, Any]) -> None:
        _container(obj, where)[where[-1]] = copy.deepcopy(new)
    return apply


def _deleter(where: Tuple[Any, ...]) -> Callable[[Dict[str, Any]], None]:
    def apply(obj: Dict[str, Any]) -> None:
        del _container(obj, where)[where[-1]]
    return apply


def _container(obj: Any, where: Tuple[Any, ...]) -> Any:
    for part in where[:-1]:
        obj = obj[part]
    return obj


def broken_copy(obj: Dict[str, Any], mutation: Mutation) -> Dict[str, Any]:
    broken = copy.deepcopy(obj)
    mutation.apply(broken)
    return broken


# --- the properties --------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_schema_uses_only_what_the_generator_knows(kind):
    """A future CRD with a construct the walk does not understand fails here, loudly (the
    walk runs while the strategy is built)."""
    valid_objects(kind).validate()
    valid_objects(kind, full=True).validate()


@pytest.mark.parametrize("kind", sorted(KINDS))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_every_schema_valid_object_is_read(kind, data):
    obj = data.draw(st.one_of(valid_objects(kind), valid_objects(kind, full=True)), label="object")
    result = parse_object(obj)
    assert not result.problems, [str(p) for p in result.problems]
    assert parsed_count(result) == 1


@pytest.mark.parametrize("kind", sorted(KINDS))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_breaking_one_constraint_is_reported_at_its_field(kind, data):
    obj = data.draw(valid_objects(kind), label="object")
    sites = mutations(kind, obj)
    assume(sites)
    # Constraint first, then where: "required" and "type" sites are many, the others few.
    constraint = data.draw(st.sampled_from(sorted({m.constraint for m in sites})), label="constraint")
    mutation = data.draw(st.sampled_from([m for m in sites if m.constraint == constraint]), label="mutation")
    event(constraint)
    result = parse_object(broken_copy(obj, mutation))
    assert mutation.field in error_fields(result), (
        f"{mutation.constraint} broken at {mutation.field}, but the parser reported {errors_of(result) or 'nothing'}")
    assert parsed_count(result) == 0


@pytest.mark.parametrize("kind", sorted(KINDS))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_constraint_of_the_schema_is_reported_at_its_field(kind, data):
    """One full object reaches every constraint; each is broken alone in turn.  (Straight
    to the parser, not through YAML: the properties above cover the YAML path.)"""
    obj = data.draw(valid_objects(kind, full=True), label="object")
    sites = mutations(kind, obj)
    assert {(m.schema_path, m.constraint) for m in sites} == schema_sites(kind)
    missed = []
    for mutation in sites:
        result = parse([RawObject(broken_copy(obj, mutation), "generated")])
        if mutation.field not in error_fields(result) or parsed_count(result):
            missed.append(f"{mutation.constraint} at {mutation.field}: got {errors_of(result) or 'no error'}")
    assert not missed, missed


# --- regressions: disagreements these properties found, fixed in gateway_api.py -------------------


def manifest(kind: str, spec: Any, name: str = "example") -> Dict[str, Any]:
    meta = {"name": name} if not KINDS[kind].namespaced else {"name": name, "namespace": "apps"}
    return {"apiVersion": KINDS[kind].api_version, "kind": kind, "metadata": meta, "spec": spec}


LISTENER = {"name": "http", "port": 80, "protocol": "HTTP"}
SERVICE_REF = {"name": "web", "port": 80}

ACCEPTED_BY_SCHEMA = {
    # The CRDs bound a referenced name's length only (Gateway API's ObjectName); a name no
    # object can have is a reference that resolves to nothing, not an invalid route.
    "backend-name-not-dns": ("HTTPRoute", {"rules": [{"backendRefs": [{"name": "Web_V1", "port": 80}]}]}),
    "parent-name-not-dns": ("HTTPRoute", {"parentRefs": [{"name": "Edge_Gateway"}]}),
    "gateway-class-name-not-dns": ("Gateway", {"gatewayClassName": "Lattice_Class", "listeners": [LISTENER]}),
    "grant-to-name-not-dns": ("ReferenceGrant", {"from": [{"group": GROUP, "kind": "HTTPRoute", "namespace": "a"}],
                                                 "to": [{"group": "", "kind": "Service", "name": "Web_V1"}]}),
    # GRPCRoute allows 64 matches in a rule (we allowed 8) and 128 in the route.
    "grpc-nine-matches": ("GRPCRoute", {"rules": [{"matches": [{"method": {"service": f"pkg.S{i}"}} for i in range(9)]}]}),
    # CEL asks for service or method to be *set*: an empty one is set.
    "grpc-regex-empty-service": ("GRPCRoute", {"rules": [{"matches": [{"method": {"type": "RegularExpression",
                                                                                   "service": ""}}]}]}),
}


@pytest.mark.parametrize(("kind", "spec"), ACCEPTED_BY_SCHEMA.values(), ids=ACCEPTED_BY_SCHEMA.keys())
def test_regression_accepted_by_the_schema_is_read(kind, spec):
    result = parse_object(manifest(kind, spec))
    assert errors_of(result) == []
    assert parsed_count(result) == 1


def test_regression_reference_grant_without_spec_is_read_and_grants_nothing():
    """The CRD does not require a ReferenceGrant's spec; without one it allows nothing."""
    grant = {"apiVersion": KINDS["ReferenceGrant"].api_version, "kind": "ReferenceGrant",
             "metadata": {"name": "empty", "namespace": "backends"}}
    assert errors_of(parse_object(grant)) == []
    world = [
        {"apiVersion": f"{GROUP}/v1", "kind": "GatewayClass", "metadata": {"name": "lattice"},
         "spec": {"controllerName": StackSettings().controller_name}},
        {"apiVersion": f"{GROUP}/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": "apps"},
         "spec": {"gatewayClassName": "lattice", "listeners": [LISTENER]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "backends"},
         "spec": {"ports": [{"port": 80}]}},
        manifest("HTTPRoute", {"parentRefs": [{"name": "edge"}],
                              "rules": [{"backendRefs": [{**SERVICE_REF, "namespace": "backends"}]}]}, "cross"),
        grant,
    ]
    result = plan(load_text(yaml.safe_dump_all(world)), StackSettings())
    refused = [p for p in result.problems if p.object and p.object.name == "cross" and p.severity == "error"]
    assert [p.field for p in refused] == ["spec.rules[0].backendRefs[0]"]
    assert "ReferenceGrant" in refused[0].message


REFUSED_BY_SCHEMA = {
    # enum All/Selector/Same on a listener ("None" exists only for allowedListeners).
    "listener-from-none": ("Gateway", {"gatewayClassName": "lattice", "listeners": [
        {**LISTENER, "allowedRoutes": {"namespaces": {"from": "None"}}}]},
        "spec.listeners[0].allowedRoutes.namespaces.from"),
    "http-rules-empty": ("HTTPRoute", {"rules": []}, "spec.rules"),  # minItems 1
    # CEL on Exact and PathPrefix values.
    "path-ends-dot-dot": ("HTTPRoute", {"rules": [{"matches": [{"path": {"value": "/a/.."}}]}]},
                          "spec.rules[0].matches[0].path.value"),
    "path-ends-dot": ("HTTPRoute", {"rules": [{"matches": [{"path": {"type": "Exact", "value": "/a/."}}]}]},
                      "spec.rules[0].matches[0].path.value"),
    "query-param-name-pattern": ("HTTPRoute", {"rules": [{"matches": [{"queryParams": [{"name": "a b", "value": "x"}]}]}]},
                                 "spec.rules[0].matches[0].queryParams[0].name"),
    # CEL on Exact gRPC method matches.
    "grpc-service-characters": ("GRPCRoute", {"rules": [{"matches": [{"method": {"service": "hello world"}}]}]},
                                "spec.rules[0].matches[0].method"),
    "grpc-method-characters": ("GRPCRoute", {"rules": [{"matches": [{"method": {"service": "a.B", "method": "Say-Hi"}}]}]},
                               "spec.rules[0].matches[0].method"),
    "grpc-129-matches": ("GRPCRoute", {"rules": [{"matches": [{"method": {"service": f"s{r}", "method": f"m{m}"}}
                                                             for m in range(43)]} for r in range(3)]}, "spec.rules"),
    "tls-route-ip-hostname": ("TLSRoute", {"hostnames": ["10.0.0.1"], "rules": [{"backendRefs": [SERVICE_REF]}]},
                              "spec.hostnames[0]"),
    "tls-options-too-many": ("Gateway", {"gatewayClassName": "lattice", "listeners": [
        {"name": "https", "port": 443, "protocol": "HTTPS",
         "tls": {"options": {f"k{i}": "v" for i in range(17)}}}]}, "spec.listeners[0].tls.options"),
    "tls-option-too-long": ("Gateway", {"gatewayClassName": "lattice", "listeners": [
        {"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"options": {"k": "v" * 4097}}}]},
        "spec.listeners[0].tls.options.k"),
    # Integers are integers: YAML's "80" and true are not ports or weights.
    "port-as-text": ("HTTPRoute", {"rules": [{"backendRefs": [{"name": "web", "port": "80"}]}]},
                     "spec.rules[0].backendRefs[0].port"),
    "weight-as-boolean": ("HTTPRoute", {"rules": [{"backendRefs": [{**SERVICE_REF, "weight": True}]}]},
                          "spec.rules[0].backendRefs[0].weight"),
}


@pytest.mark.parametrize(("kind", "spec", "field"), REFUSED_BY_SCHEMA.values(), ids=REFUSED_BY_SCHEMA.keys())
def test_regression_refused_by_the_schema_is_reported(kind, spec, field):
    result = parse_object(manifest(kind, spec))
    assert field in error_fields(result), errors_of(result)
    assert parsed_count(result) == 0


def test_pattern_anchors_mean_the_end_of_the_text():
    """Go's (and the API server's) ``$`` is the end of the text, Python's ``re`` also lets a
    final newline through: a name with one must be refused, as the API server does."""
    result = parse_object(manifest("HTTPRoute", {"hostnames": ["shop.example.com\n"]}))
    assert "spec.hostnames[0]" in error_fields(result)


# --- deliberate differences ----------------------------------------------------------------------


def test_unknown_selector_operator_is_refused():
    """The schema takes any string as a label-selector operator, but only In, NotIn, Exists
    and DoesNotExist mean anything (Kubernetes' own selector parsing refuses the rest): a
    Gateway whose namespace selector cannot be evaluated is refused here, by field."""
    gateway = manifest("Gateway", {"gatewayClassName": "lattice", "listeners": [{**LISTENER, "allowedRoutes": {
        "namespaces": {"from": "Selector", "selector": {"matchExpressions": [{"key": "team", "operator": "Near"}]}}}}]})
    result = parse_object(gateway)
    assert "spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].operator" in error_fields(result)


def test_rule_names_must_be_unique():
    """The v1.5.0 schema does not check it, but the spec says a route's rule names are
    unique, and a named rule's Lattice rules are keyed by its name: two rules of one name
    would claim the same Lattice rule."""
    route = manifest("HTTPRoute", {"rules": [{"name": "api", "backendRefs": [SERVICE_REF]},
                                             {"name": "api", "backendRefs": [SERVICE_REF]}]})
    assert "spec.rules" in error_fields(parse_object(route))


ACCEPTED_THOUGH_THE_API_SERVER_REFUSES = {
    # The CEL path-character rule is not mirrored: the translator measures paths against
    # VPC Lattice's own character set and refuses what Lattice cannot match, naming the
    # same field (test_translate_adversarial's unicode-path).  Lattice takes '?' and a
    # bare '%', which the API server would not store.
    "path-question-mark": ("HTTPRoute", {"rules": [{"matches": [{"path": {"value": "/search?q"}}]}]}),
    # Listener CEL rules about tls and hostnames per protocol, and unique port/protocol/
    # hostname: the translator serves a listener by what VPC Lattice can do with it and
    # warns about the others by field.
    "http-listener-with-tls": ("Gateway", {"gatewayClassName": "lattice", "listeners": [
        {**LISTENER, "tls": {"mode": "Passthrough"}}]}),
    "tls-listener-without-tls": ("Gateway", {"gatewayClassName": "lattice", "listeners": [
        {"name": "tls", "port": 443, "protocol": "TLS"}]}),
    "same-port-protocol-hostname": ("Gateway", {"gatewayClassName": "lattice", "listeners": [
        LISTENER, {**LISTENER, "name": "again"}]}),
    # Filters, timeouts and addresses are held opaque: any of them makes the translator
    # refuse the route or Gateway as a whole (see test_opaque_fields_still_refuse_the_object).
    "filter-of-unknown-type": ("HTTPRoute", {"rules": [{"filters": [{"type": "Teleport"}]}]}),
    "timeout-not-a-duration": ("HTTPRoute", {"rules": [{"timeouts": {"request": "soon"}}]}),
    "address-not-an-ip": ("Gateway", {"gatewayClassName": "lattice", "listeners": [LISTENER],
                                      "addresses": [{"type": "IPAddress", "value": "not-an-ip"}]}),
    # list-type map: the API server refuses two header matches of one name; the
    # translator uses the first and warns, as the spec says implementations should.
    "duplicate-header-match": ("HTTPRoute", {"rules": [{"matches": [{"headers": [
        {"name": "x-env", "value": "a"}, {"name": "x-env", "value": "b"}]}]}]}),
}


@pytest.mark.parametrize(("kind", "spec"), ACCEPTED_THOUGH_THE_API_SERVER_REFUSES.values(),
                         ids=ACCEPTED_THOUGH_THE_API_SERVER_REFUSES.keys())
def test_accepted_though_the_api_server_refuses(kind, spec):
    result = parse_object(manifest(kind, spec))
    assert errors_of(result) == []
    assert parsed_count(result) == 1


@pytest.mark.parametrize(("spec", "field"), [
    ({"rules": [{"filters": [{"type": "Teleport"}], "backendRefs": [SERVICE_REF]}]}, "spec.rules[0].filters"),
    ({"rules": [{"timeouts": {"request": "soon"}, "backendRefs": [SERVICE_REF]}]}, "spec.rules[0].timeouts"),
], ids=["filters", "timeouts"])
def test_opaque_fields_still_refuse_the_object(spec, field):
    world = [
        {"apiVersion": f"{GROUP}/v1", "kind": "GatewayClass", "metadata": {"name": "lattice"},
         "spec": {"controllerName": StackSettings().controller_name}},
        manifest("Gateway", {"gatewayClassName": "lattice", "listeners": [LISTENER]}, "edge"),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "apps"},
         "spec": {"ports": [{"port": 80}]}},
        manifest("HTTPRoute", {"parentRefs": [{"name": "edge"}], **spec}, "opaque"),
    ]
    result = plan(load_text(yaml.safe_dump_all(world)), StackSettings())
    assert field in [p.field for p in result.problems if p.object and p.object.name == "opaque" and p.severity == "error"]
    assert [r.key for r in result.model.routes()] == []
