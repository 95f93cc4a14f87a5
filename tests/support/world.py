"""Small test worlds: the objects most tests start from, built instead of pasted.

Each builder returns one Kubernetes object as a dict; ``world(...)`` joins objects into
the YAML stream ``plans.plan_yaml`` takes.  Defaults are the smallest valid object, so a
test spells out only what it is about::

    world(gateway_class(), gateway("edge", "shop"), service("cart", "shop"),
          http_route("cart", "shop", parents=["edge"], backends=[("cart", 80)]))
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple, Union

import yaml

from lattice_program.vocabulary.settings import CONTROLLER_NAME

GATEWAY_API = "gateway.networking.k8s.io/v1"
CLASS_NAME = "amazon-vpc-lattice"
Object = Dict[str, Any]
# A listener as (name, port, protocol); HTTPS and TLS listeners get their tls mode.
Listener = Union[Tuple[str, int, str], Mapping[str, Any]]
# A backend as (Service name, port) or (name, port, weight), or a full backendRef.
Backend = Union[Tuple[str, int], Tuple[str, int, int], Mapping[str, Any]]


def world(*objects: Union[Object, Iterable[Object]]) -> str:
    """The objects as one YAML stream, in the order given (iterables are flattened)."""
    flat = []
    for item in objects:
        flat.extend([item] if isinstance(item, Mapping) else item)
    return yaml.safe_dump_all(flat, sort_keys=False)


def _metadata(name: str, namespace: Optional[str], annotations: Optional[Mapping[str, str]] = None,
              labels: Optional[Mapping[str, str]] = None) -> Object:
    meta: Object = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    if labels:
        meta["labels"] = dict(labels)
    return meta


def gateway_class(name: str = CLASS_NAME, controller: str = CONTROLLER_NAME) -> Object:
    return {"apiVersion": GATEWAY_API, "kind": "GatewayClass", "metadata": {"name": name},
            "spec": {"controllerName": controller}}


def _listener(listener: Listener) -> Object:
    if isinstance(listener, Mapping):
        return dict(listener)
    name, port, protocol = listener
    entry: Object = {"name": name, "port": port, "protocol": protocol}
    if protocol == "HTTPS":
        entry["tls"] = {"mode": "Terminate"}
    elif protocol == "TLS":
        entry["tls"] = {"mode": "Passthrough"}
    return entry


def gateway(name: str, namespace: str = "default", *, listeners: Sequence[Listener] = (("http", 80, "HTTP"),),
            class_name: str = CLASS_NAME, annotations: Optional[Mapping[str, str]] = None) -> Object:
    return {"apiVersion": GATEWAY_API, "kind": "Gateway", "metadata": _metadata(name, namespace, annotations),
            "spec": {"gatewayClassName": class_name, "listeners": [_listener(l) for l in listeners]}}


def service(name: str, namespace: str = "default", *, ports: Sequence[Union[int, Mapping[str, Any]]] = (80,)) -> Object:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(name, namespace),
            "spec": {"ports": [dict(p) if isinstance(p, Mapping) else {"port": p} for p in ports]}}


def endpoint_slice(service_name: str, namespace: str = "default", *, addresses: Sequence[str] = ("10.0.0.1",),
                   port: int = 8080, name: Optional[str] = None, ready: bool = True) -> Object:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": _metadata(name or f"{service_name}-slice", namespace,
                                  labels={"kubernetes.io/service-name": service_name}),
            "addressType": "IPv4", "ports": [{"port": port}],
            "endpoints": [{"addresses": [address], "conditions": {"ready": ready}} for address in addresses]}


def backend_ref(backend: Backend) -> Object:
    if isinstance(backend, Mapping):
        return dict(backend)
    ref: Object = {"name": backend[0], "port": backend[1]}
    if len(backend) == 3:
        ref["weight"] = backend[2]
    return ref


def http_route(name: str, namespace: str = "default", *, parents: Sequence[Union[str, Mapping[str, Any]]] = ("gw",),
               backends: Sequence[Backend] = (), hostnames: Sequence[str] = (),
               rules: Optional[Sequence[Mapping[str, Any]]] = None, kind: str = "HTTPRoute",
               annotations: Optional[Mapping[str, str]] = None) -> Object:
    """A route of ``kind`` (HTTPRoute, GRPCRoute); without ``rules``, one rule to ``backends``."""
    spec: Object = {"parentRefs": [dict(p) if isinstance(p, Mapping) else {"name": p} for p in parents]}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    spec["rules"] = [dict(r) for r in rules] if rules is not None else [
        {"backendRefs": [backend_ref(b) for b in backends]}]
    version = "v1alpha2" if kind == "TLSRoute" else "v1"
    return {"apiVersion": f"gateway.networking.k8s.io/{version}", "kind": kind,
            "metadata": _metadata(name, namespace, annotations), "spec": spec}
