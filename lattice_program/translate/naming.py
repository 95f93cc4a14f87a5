"""Physical names for Lattice resources: valid, stable, collision-free.

VPC Lattice names are short (a service name is 3-40 characters of ``[a-z0-9-]``, no
``--``, no hyphen at either end, no reserved prefix such as ``svc-``), while Kubernetes
names run to 253 characters.  Cutting names to fit (as the AWS controller does, 20
characters of the route and 18 of the namespace) maps different routes onto one Lattice
service.  Here every name is a readable part followed by a short hash of the full
identity, so two identities never share a name unless their hashes collide, and the
translator checks the whole model for that as well.
"""

from __future__ import annotations

import hashlib
import re
from typing import Optional

HASH_LENGTH = 6
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]+")
_HYPHENS = re.compile(r"-{2,}")

# Limits from the VPC Lattice API model (botocore vpc-lattice 2022-11-30).
SERVICE_NAME_MAX = 40
RULE_NAME_MAX = 63
TARGET_GROUP_NAME_MAX = 128

_SERVICE_NETWORK_IDENTIFIER = re.compile(
    r"sn-[0-9a-z]{17}|arn:[a-z0-9-]+:vpc-lattice:[a-zA-Z0-9-]+:\d{12}:servicenetwork/sn-[0-9a-z]{17}")


def is_identifier(text: str) -> bool:
    """Whether ``text`` is a service network ID or ARN (anything else is taken as a name)."""
    return bool(_SERVICE_NETWORK_IDENTIFIER.fullmatch(text))


# Prefixes the API reserves for its own IDs.
RESERVED_PREFIXES = {"service": "svc-", "rule": "rule-", "target_group": "tg-"}


def short_hash(identity: str, length: int = HASH_LENGTH) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:length]


def sanitize(text: str) -> str:
    """Lower-case, ``[a-z0-9-]`` only, no doubled or edge hyphens."""
    return _HYPHENS.sub("-", _NOT_ALLOWED.sub("-", text.lower())).strip("-")


def hashed_name(*parts: str, identity: str, max_length: int, reserved_prefix: str = "") -> str:
    """``<readable parts joined by '-', shortened>-<hash of identity>``, always valid."""
    digest = short_hash(identity)
    readable = sanitize("-".join(parts)) or "x"
    if reserved_prefix and (readable + "-").startswith(reserved_prefix):
        readable = "k8s-" + readable
    room = max_length - len(digest) - 1
    readable = readable[:room].strip("-")
    return f"{readable}-{digest}"


def service_name(kind: str, namespace: str, name: str, custom_domain: Optional[str] = None) -> str:
    """The custom domain is part of the identity: VPC Lattice cannot change a service's
    domain in place, so a new domain means a new service, which needs a new name for
    Pulumi to create it before deleting the old one."""
    identity = f"{kind}/{namespace}/{name}" + (f"@{custom_domain}" if custom_domain else "")
    return hashed_name(name, namespace, identity=identity,
                       max_length=SERVICE_NAME_MAX, reserved_prefix=RESERVED_PREFIXES["service"])


def target_group_name(route_key: str, namespace: str, service: str, port: int, flavour: str) -> str:
    """One target group per (route, backend Service, port); ``flavour`` holds every
    immutable setting (protocol, version, address type), so that changing one of them
    yields a new name and Pulumi can create the replacement before deleting the old."""
    return hashed_name(service, namespace, str(port), identity=f"{route_key}|{namespace}/{service}:{port}|{flavour}",
                       max_length=TARGET_GROUP_NAME_MAX, reserved_prefix=RESERVED_PREFIXES["target_group"])


def listener_name(protocol: str, port: int) -> str:
    # At most "tls-passthrough-65535": within the 63 characters of a listener name, and
    # never starting with the prefix the API reserves for listener IDs ("listener-").
    return f"{sanitize(protocol)}-{port}"


def rule_name(key: str) -> str:
    return hashed_name(key, identity=key, max_length=RULE_NAME_MAX, reserved_prefix=RESERVED_PREFIXES["rule"])


KUBERNETES_NAME_MAX = 253


def fit(text: str, max_length: int, *, strip: str = "") -> str:
    """``text`` when it fits; else its start (less trailing ``strip`` characters) and a
    hash of the whole, so two long texts sharing a start stay distinct."""
    if len(text) <= max_length:
        return text
    return f"{text[:max_length - HASH_LENGTH - 1].rstrip(strip)}-{short_hash(text)}"


def kubernetes_name(text: str) -> str:
    """A Kubernetes object name (DNS subdomain) from ``text``, hashed when too long."""
    return fit(text, KUBERNETES_NAME_MAX, strip="-.")


TAG_VALUE_MAX = 256  # VPC Lattice tag values (API model)


def tag_value(text: str) -> str:
    """A tag value that fits; a long identity keeps its start and gains a hash of the whole."""
    return fit(text, TAG_VALUE_MAX)


def service_network_name(gateway_name: str) -> str:
    """The service network is named after its Gateway, as the AWS controller does, so an
    existing network of that name can be adopted; a name that does not fit is refused
    by the translator rather than silently changed."""
    return gateway_name
