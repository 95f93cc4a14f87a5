"""Logical (Pulumi) names of the components' children, in one place.

A Pulumi resource is identified by its URN, which ends in the logical name; renaming a
child therefore means deleting and recreating the cloud resource.  So logical names are
built only from the model's stable keys (Kubernetes identity: kind/namespace/name,
listener port+protocol, rule key), never from list positions that shift when an object
is added, and must be unique per resource type across the whole stack:

===============================  ==========================================
resource                         logical name
===============================  ==========================================
GatewayClass component           ``<gateway class key>``
Gateway component                ``<gateway key>``          (``Gateway/ns/name``)
ServiceNetwork                   ``<gateway key>``
ServiceNetworkVpcAssociation     ``<gateway key>/<vpc association key>``
AuthPolicy                       ``<gateway or route key>/auth-policy``
AccessLogSubscription            ``<gateway or route key>/access-log/<access log key>``
                                                            (key: destination type)
Route component                  ``<route key>``            (``HTTPRoute/ns/name``)
Service                          ``<route key>``
ServiceNetworkServiceAssociation ``<route key>-><gateway key>``
Listener                         ``<route key>/<listener key>``
ListenerRule                     ``<route key>/<listener key>/<rule key>``
DNSEndpoint (Kubernetes)         ``<route key>/dns``
TargetGroup                      ``<target group key>``     (unique stack-wide: the
                                                             target sync keys on it)
===============================  ==========================================

Uniqueness per type follows from unique keys at each level (checked by the program
before anything is declared).  Physical (AWS) names are the specs' ``name`` fields and
are the translator's business.
"""

from __future__ import annotations


def service_network(gateway_key: str) -> str:
    return gateway_key


def vpc_association(gateway_key: str, association_key: str) -> str:
    return f"{gateway_key}/{association_key}"


def auth_policy(owner_key: str) -> str:
    """The auth policy of a Gateway's service network or of a route's service."""
    return f"{owner_key}/auth-policy"


def access_log_subscription(owner_key: str, access_log_key: str) -> str:
    """An access-log subscription of a Gateway's service network or of a route's service."""
    return f"{owner_key}/access-log/{access_log_key}"


def service(route_key: str) -> str:
    return route_key


def service_network_association(route_key: str, gateway_key: str) -> str:
    return f"{route_key}->{gateway_key}"


def listener(route_key: str, listener_key: str) -> str:
    return f"{route_key}/{listener_key}"


def listener_rule(route_key: str, listener_key: str, rule_key: str) -> str:
    return f"{route_key}/{listener_key}/{rule_key}"


def target_group(target_group_key: str) -> str:
    return target_group_key


def dns_endpoint(route_key: str) -> str:
    return f"{route_key}/dns"
