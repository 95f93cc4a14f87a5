"""Target group configuration by type, its defaults, and what a valid target is.

Defaults follow the model's documentation (TargetGroupConfig, HealthCheckConfig) and
the user guide's health-check page: port 80/443 by protocol, protocolVersion HTTP1,
ipAddressType IPV4, lambdaEventStructureVersion V1; health checks on by default only
for HTTP1, off for TCP; interval 30 s, timeout 5 s, thresholds 5/2, path "/", matcher
200, and 0 meaning "the default".
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from .errors import validation

DEFAULT_PORTS = {"HTTP": 80, "HTTPS": 443}

_HEALTH_CHECK_DEFAULTS = {
    "healthCheckIntervalSeconds": 30,
    "healthCheckTimeoutSeconds": 5,
    "healthyThresholdCount": 5,
    "unhealthyThresholdCount": 2,
}

_LAMBDA_ONLY = {"lambdaEventStructureVersion"}

_TARGET_ID = {
    "INSTANCE": re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})"),
    "LAMBDA": re.compile(
        r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(?::\S+)?"
    ),
    "ALB": re.compile(
        r"arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/app/\S+"
    ),
}


def checked_config(group_type: str, given: dict[str, Any] | None) -> dict[str, Any]:
    """The stored config of a new target group: ``given`` checked and defaults filled."""
    config = copy.deepcopy(given or {})
    if group_type == "LAMBDA":
        unsupported = sorted(set(config) - _LAMBDA_ONLY)
        if unsupported:
            raise validation(
                f"config.{unsupported[0]} is not supported for LAMBDA target groups",
                fields=[(f"config.{name}", "not supported for LAMBDA") for name in unsupported],
            )
        config.setdefault("lambdaEventStructureVersion", "V1")
        return config

    misplaced = sorted(_LAMBDA_ONLY & set(config))
    if misplaced:
        raise validation(f"config.{misplaced[0]} is supported only for LAMBDA target groups")
    for name in ("protocol", "vpcIdentifier"):
        if name not in config:
            raise validation(f"config.{name} is required for {group_type} target groups")
    protocol = config["protocol"]
    if "port" not in config:
        if protocol not in DEFAULT_PORTS:
            raise validation(f"config.port is required for {protocol} target groups")
        config["port"] = DEFAULT_PORTS[protocol]
    if group_type == "IP":
        config.setdefault("ipAddressType", "IPV4")
    elif "ipAddressType" in config:
        raise validation(
            f"config.ipAddressType is supported only for IP target groups, not {group_type}"
        )
    if protocol != "TCP":
        config.setdefault("protocolVersion", "HTTP1")
    if group_type == "ALB":
        if "healthCheck" in config:
            raise validation("config.healthCheck is not supported for ALB target groups")
    else:
        config["healthCheck"] = health_check(config, config.get("healthCheck"))
    return config


def health_check(config: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """``given`` with the defaults filled for a group with ``config``."""
    check = copy.deepcopy(given or {})
    on_by_default = config.get("protocol") != "TCP" and config.get("protocolVersion") == "HTTP1"
    check.setdefault("enabled", on_by_default)
    check.setdefault("protocol", "HTTPS" if config.get("protocol") == "HTTPS" else "HTTP")
    check.setdefault("protocolVersion", "HTTP1")
    check.setdefault("path", "/")
    check.setdefault("matcher", {"httpCode": "200"})
    for name, default in _HEALTH_CHECK_DEFAULTS.items():
        if not check.get(name):
            check[name] = default
    return check


def target_problem(group: dict[str, Any], target: dict[str, Any]) -> str | None:
    """Why ``target`` cannot join a group with these attributes, or None."""
    group_type = group["type"]
    target_id = target["id"]
    if group_type == "IP":
        try:
            address = ipaddress.ip_address(target_id)
        except ValueError:
            return f"{target_id!r} is not an IP address"
        wanted = 6 if group["config"].get("ipAddressType") == "IPV6" else 4
        if address.version != wanted:
            return f"{target_id} is not an IPv{wanted} address, as this target group requires"
        return None
    if group_type == "LAMBDA" and "port" in target:
        return "a Lambda target takes no port"
    if not _TARGET_ID[group_type].fullmatch(target_id):
        return f"{target_id!r} is not a valid {group_type} target ID"
    return None


def target_port(group: dict[str, Any], target: dict[str, Any]) -> int | None:
    return target.get("port", group.get("config", {}).get("port"))


def health_checked(group: dict[str, Any]) -> bool:
    return bool(group.get("config", {}).get("healthCheck", {}).get("enabled"))
