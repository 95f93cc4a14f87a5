"""A synthetic fleet of Kubernetes objects, as YAML, for benchmarks and scale tests.

Scale claims need an input that looks like a real cluster's, not N copies of one
route: each generated HTTPRoute has five rules with different kinds of match (an Exact
path, prefixes, a header, a method), two weighted backends per rule, and its own two
Services, each with an EndpointSlice of ten endpoints.  One GatewayClass and one
Gateway (an HTTP listener open to routes from all namespaces) take every route, and the
routes are spread over several namespaces.

The fleet is a function of its size and seed only, so two runs of a benchmark (or a
test and a benchmark) read byte-identical YAML.

The YAML is written by hand rather than with ``yaml.dump``: PyYAML's representer is
pure Python and would spend longer writing a 10,000-route fleet than the planner spends
reading it.  The emitter below covers the only shapes the fleet has (mappings, lists,
strings, integers, booleans) in block style, as ``kubectl get -o yaml`` prints them.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence

from lattice_program.vocabulary.settings import StackSettings

GATEWAY_CLASS = "amazon-vpc-lattice"
CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"
GATEWAY_NAME = "fleet"
GATEWAY_NAMESPACE = "lattice-system"
LISTENER_NAME = "web"
SERVICE_PORT = 80
CONTAINER_PORT = 8080
RULES_PER_ROUTE = 5
# The Exact match is one Lattice rule; each element-wise PathPrefix is two (exact and prefix).
LATTICE_RULES_PER_ROUTE = 9
ENDPOINTS_PER_SLICE = 10
DEFAULT_NAMESPACES = 20
DEFAULT_SEED = 1

_AREAS = ("api", "cart", "search", "users", "orders", "media", "billing", "admin", "reports", "auth")
_METHODS = ("POST", "PUT", "DELETE", "PATCH")
# Splits seen in practice: canaries, A/B tests, blue/green halfway, cut-overs.
_WEIGHT_SPLITS = ((90, 10), (99, 1), (50, 50), (80, 20), (70, 30), (100, 0), (1, 1))


def fleet_objects(routes: int, *, seed: int = DEFAULT_SEED,
                  namespaces: int = DEFAULT_NAMESPACES) -> List[Dict[str, Any]]:
    """Every object of a fleet of ``routes`` HTTPRoutes, as Kubernetes-shaped dicts:
    the GatewayClass, the Gateway, then per route its two Services, their two
    EndpointSlices and the route itself."""
    if routes < 0:
        raise ValueError(f"routes must be 0 or more, got {routes}")
    if namespaces < 1:
        raise ValueError(f"namespaces must be 1 or more, got {namespaces}")
    objects: List[Dict[str, Any]] = [_gateway_class(), _gateway()]
    for index in range(routes):
        objects.extend(_route_objects(index, random.Random(f"{seed}/{index}"), namespace_of(index, namespaces)))
    return objects


def fleet_yaml(routes: int, *, seed: int = DEFAULT_SEED, namespaces: int = DEFAULT_NAMESPACES) -> str:
    """The whole fleet as one multi-document YAML stream."""
    return documents_yaml(fleet_objects(routes, seed=seed, namespaces=namespaces))


def write_fleet(directory: Path, routes: int, *, seed: int = DEFAULT_SEED,
                namespaces: int = DEFAULT_NAMESPACES) -> List[Path]:
    """Write the fleet under ``directory`` as a platform repo would hold it: the
    GatewayClass and the Gateway in files of their own, then one file per namespace.
    Returns the files written, in the order a directory read visits them."""
    directory.mkdir(parents=True, exist_ok=True)
    objects = fleet_objects(routes, seed=seed, namespaces=namespaces)
    by_file: Dict[str, List[Dict[str, Any]]] = {"00-gatewayclass.yaml": [objects[0]], "10-gateway.yaml": [objects[1]]}
    for obj in objects[2:]:
        by_file.setdefault(f"20-{obj['metadata']['namespace']}.yaml", []).append(obj)
    written = []
    for file_name in sorted(by_file):
        path = directory / file_name
        path.write_text(documents_yaml(by_file[file_name]), encoding="utf-8")
        written.append(path)
    return written


def fleet_settings(routes: int) -> StackSettings:
    """Default stack settings, except the services-per-service-network quota (500 by
    default, adjustable in AWS Service Quotas) raised to hold every route of the fleet
    in its one Gateway's network, as an operator of a fleet that size would have it."""
    defaults = StackSettings()
    return StackSettings(services_per_service_network=max(defaults.services_per_service_network, routes))


def namespace_of(route_index: int, namespaces: int = DEFAULT_NAMESPACES) -> str:
    """The namespace of the route with this index (and of its Services and slices)."""
    return f"team-{route_index % namespaces:03d}"


# --- objects ---------------------------------------------------------------------------


def _gateway_class() -> Dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": GATEWAY_CLASS},
        "spec": {"controllerName": CONTROLLER_NAME},
    }


def _gateway() -> Dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": GATEWAY_NAME, "namespace": GATEWAY_NAMESPACE},
        "spec": {
            "gatewayClassName": GATEWAY_CLASS,
            "listeners": [{
                "name": LISTENER_NAME,
                "protocol": "HTTP",
                "port": SERVICE_PORT,
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }],
        },
    }


def _route_objects(index: int, rng: random.Random, namespace: str) -> Iterator[Dict[str, Any]]:
    app = f"app-{index:05d}"
    services = (f"{app}-stable", f"{app}-canary")
    for service_index, service in enumerate(services):
        yield _service(service, namespace, app)
        yield _endpoint_slice(service, namespace, first_address=(index * 2 + service_index) * ENDPOINTS_PER_SLICE,
                              rng=rng)
    yield _http_route(app, namespace, services, rng)


def _service(name: str, namespace: str, app: str) -> Dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": app}},
        "spec": {
            "selector": {"app": app, "track": name.rsplit("-", 1)[1]},
            "ipFamilies": ["IPv4"],
            "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": CONTAINER_PORT, "protocol": "TCP"}],
        },
    }


def _endpoint_slice(service: str, namespace: str, *, first_address: int, rng: random.Random) -> Dict[str, Any]:
    endpoints = []
    for offset in range(ENDPOINTS_PER_SLICE):
        ready = rng.random() >= 0.1  # about one pod in ten is starting or shutting down
        endpoints.append({
            "addresses": [_pod_ip(first_address + offset)],
            "conditions": {"ready": ready, "serving": ready, "terminating": not ready and rng.random() < 0.5},
        })
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service}-{rng.getrandbits(24):06x}",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by":
                       "endpointslice-controller.k8s.io"},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": CONTAINER_PORT, "protocol": "TCP"}],
        "endpoints": endpoints,
    }


def _pod_ip(serial: int) -> str:
    """A distinct address in 10.0.0.0/8 per endpoint (16.7 million before wrapping)."""
    return f"10.{serial >> 16 & 255}.{serial >> 8 & 255}.{serial & 255}"


def _http_route(app: str, namespace: str, services: Sequence[str], rng: random.Random) -> Dict[str, Any]:
    first, second = rng.sample(_AREAS, 2)
    version = f"v{rng.randint(1, 3)}"
    matches = (
        {"path": {"type": "Exact", "value": f"/{app}/healthz"}},
        {"path": {"type": "PathPrefix", "value": f"/{app}/{first}"},
         "headers": [{"name": "x-variant", "value": rng.choice(("b", "beta", "canary"))}]},
        {"path": {"type": "PathPrefix", "value": f"/{app}/{first}"}, "method": rng.choice(_METHODS)},
        {"path": {"type": "PathPrefix", "value": f"/{app}/{second}/{version}"}},
        {"path": {"type": "PathPrefix", "value": f"/{app}"}},
    )
    rules = []
    for rule_index, match in enumerate(matches[:RULES_PER_ROUTE]):
        stable, canary = rng.choice(_WEIGHT_SPLITS)
        rules.append({
            "name": f"rule-{rule_index}",
            "matches": [match],
            "backendRefs": [
                {"name": services[0], "port": SERVICE_PORT, "weight": stable},
                {"name": services[1], "port": SERVICE_PORT, "weight": canary},
            ],
        })
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": app, "namespace": namespace, "labels": {"app": app}},
        "spec": {
            "parentRefs": [{"name": GATEWAY_NAME, "namespace": GATEWAY_NAMESPACE, "sectionName": LISTENER_NAME}],
            "rules": rules,
        },
    }


# --- YAML ------------------------------------------------------------------------------

# Strings YAML reads back as the same string when written bare: no leading indicator,
# no ': ' or ' #', and not something a YAML 1.1 resolver turns into a bool/number/null.
_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9_./:-]*(?<!:)")
_RESOLVED = re.compile(r"(?i)(y|n|yes|no|on|off|true|false|null|~)|[-+]?[0-9][0-9_.:e+-]*|\.(inf|nan)")


def documents_yaml(documents: Sequence[Dict[str, Any]]) -> str:
    """Documents as one YAML stream, each after a ``---`` line."""
    lines: List[str] = []
    for document in documents:
        lines.append("---")
        _emit_mapping(document, "", lines)
    lines.append("")
    return "\n".join(lines)


def _emit_mapping(mapping: Dict[str, Any], indent: str, lines: List[str], first_prefix: str | None = None) -> None:
    prefix = indent if first_prefix is None else first_prefix
    for key, value in mapping.items():
        head = f"{prefix}{_scalar(key)}:"
        prefix = indent
        if isinstance(value, dict) and value:
            lines.append(head)
            _emit_mapping(value, indent + "  ", lines)
        elif isinstance(value, list) and value:
            lines.append(head)
            _emit_list(value, indent, lines)  # kubectl style: items at the key's indentation
        else:
            lines.append(f"{head} {_scalar(value)}")


def _emit_list(items: List[Any], indent: str, lines: List[str]) -> None:
    for item in items:
        if isinstance(item, dict) and item:
            _emit_mapping(item, indent + "  ", lines, first_prefix=indent + "- ")
        elif isinstance(item, list) and item:
            raise TypeError("nested lists are not emitted; the fleet has none")
        else:
            lines.append(f"{indent}- {_scalar(item)}")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and not _RESOLVED.fullmatch(value):
            return value
        return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    if value is None:
        return "null"
    raise TypeError(f"cannot emit {type(value).__name__} {value!r}")
