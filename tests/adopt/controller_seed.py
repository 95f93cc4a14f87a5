"""An account as the AWS Gateway API Controller leaves it, seeded through the Lattice API.

Shaped on the controller's "my-hotel" example (a Gateway, a route splitting two paths
over two Services); names, tags and target-group suffixes follow
../shared/reference/aws-controller-behaviour.md §0: service ``trunc(route,20)-trunc(ns,18)``,
listener ``<service>-<port>-<proto>``, rules ``k8s-<unix time>-rule-<priority>``, target
groups ``k8s-<ns>-<svc>-<10 random letters>`` found by their identity tags.  The service
network and the VPC association are what people make by hand before installing it
(untagged), unless ``network_tagged``.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

ACCOUNT = "123456789012"
VPC = "vpc-0a1b2c3d4e5f60789"
CLUSTER = "hotel-cluster"
MANAGED_BY_KEY = "application-networking.k8s.aws/ManagedBy"
CONTROLLER = f"{ACCOUNT}/{CLUSTER}/{VPC}"
OTHER_CLUSTER = f"{ACCOUNT}/other-cluster/vpc-0fedcba9876543210"
T = "application-networking.k8s.aws/"

MANIFESTS = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: amazon-vpc-lattice}
spec: {controllerName: application-networking.k8s.aws/gateway-api-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: my-hotel, namespace: default}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rates, namespace: default}
spec:
  parentRefs: [{name: my-hotel, sectionName: http}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /parking}}]
    backendRefs: [{name: parking, kind: Service, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /review}}]
    backendRefs: [{name: review, kind: Service, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: inventory, namespace: default}
spec:
  parentRefs: [{name: my-hotel, sectionName: http}]
  rules:
  - backendRefs: [{name: inventory-ver1, kind: Service, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: checkout, namespace: default}
spec:
  parentRefs: [{name: my-hotel, sectionName: http}]
  rules:
  - backendRefs: [{name: parking, kind: Service, port: 80}]
""" + "".join(f"""---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec: {{selector: {{app: {name}}}, ports: [{{port: 80, targetPort: 8090, protocol: TCP}}]}}
""" for ns, name in (("default", "parking"), ("default", "review"), ("default", "inventory-ver1")))


@dataclass
class Seeded:
    network: Dict[str, Any]
    vpc_association: Dict[str, Any]
    services: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # by route name
    listeners: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    rules: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # by path
    target_groups: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # by route/Service
    associations: Dict[str, Dict[str, Any]] = field(default_factory=dict)


def seed(client: Any, *, network_tagged: bool = False, rng: Optional[random.Random] = None) -> Seeded:
    rng = rng or random.Random(10)
    owned = {MANAGED_BY_KEY: CONTROLLER}
    network = client.create_service_network(name="my-hotel", **({"tags": owned} if network_tagged else {}))
    vpc = client.create_service_network_vpc_association(serviceNetworkIdentifier=network["id"], vpcIdentifier=VPC,
                                                        tags=owned)
    seeded = Seeded(network, vpc)

    def target_group(namespace: str, service: str, route: str, route_ns: str, managed_by: str) -> Dict[str, Any]:
        suffix = "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
        return client.create_target_group(
            name=f"k8s-{namespace}-{service}-{suffix}", type="IP",
            config={"port": 80, "protocol": "HTTP", "protocolVersion": "HTTP1", "vpcIdentifier": VPC,
                    "ipAddressType": "IPV4"},
            tags={MANAGED_BY_KEY: managed_by, T + "ClusterName": managed_by.split("/")[1],
                  T + "ServiceName": service, T + "ServiceNamespace": namespace, T + "SourceTypeKey": "HTTPRoute",
                  T + "ProtocolVersion": "HTTP1", T + "RouteName": route, T + "RouteNamespace": route_ns})

    def route(name: str, namespace: str, backends: Dict[str, str], managed_by: str) -> None:
        tags = {MANAGED_BY_KEY: managed_by}
        service = client.create_service(name=f"{name[:20]}-{namespace[:18]}".strip("-"), tags={
            **tags, T + "RouteName": name, T + "RouteNamespace": namespace, T + "RouteType": "http"})
        seeded.services[name] = service
        seeded.associations[name] = client.create_service_network_service_association(
            serviceIdentifier=service["id"], serviceNetworkIdentifier=network["id"], tags=tags)
        listener = client.create_listener(serviceIdentifier=service["id"], name=f"{service['name']}-80-http", port=80,
                                          protocol="HTTP", defaultAction={"fixedResponse": {"statusCode": 404}},
                                          tags=tags)
        seeded.listeners[name] = listener
        for priority, (path, backend) in enumerate(backends.items(), start=1):
            group = target_group(namespace, backend, name, namespace, managed_by)
            seeded.target_groups[f"{name}/{backend}"] = group
            if path == "":
                client.update_listener(serviceIdentifier=service["id"], listenerIdentifier=listener["id"],
                                       defaultAction={"fixedResponse": {"statusCode": 404}})
                match = {"httpMatch": {"pathMatch": {"match": {"prefix": "/"}, "caseSensitive": True}}}
            else:
                match = {"httpMatch": {"pathMatch": {"match": {"prefix": path}, "caseSensitive": True}}}
            seeded.rules[path or f"{name}:/"] = client.create_rule(
                serviceIdentifier=service["id"], listenerIdentifier=listener["id"],
                name=f"k8s-{1764000000 + priority}-rule-{priority}", priority=priority, match=match,
                action={"forward": {"targetGroups": [{"targetGroupIdentifier": group["id"], "weight": 1}]}},
                tags=tags)

    route("rates", "default", {"/parking": "parking", "/review": "review"}, CONTROLLER)
    # Another cluster's controller made this one: left alone, its deletion skipped.
    route("inventory", "default", {"": "inventory-ver1"}, OTHER_CLUSTER)
    # The controller's, for a route the stack does not declare: reported, left alone.
    route("legacy", "default", {"/old": "parking"}, CONTROLLER)
    return seeded
