"""Stack settings: what the Kubernetes objects do not say (VPC, cluster, quotas, adoption).

They come from Pulumi stack config (``stacks/Pulumi.<stack>.yaml``, keys under the
``lattice-gateway:`` namespace) or, for an offline plan, from command-line options.
Invalid settings are reported with the config key and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

CONFIG_NAMESPACE = "lattice-gateway"
CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"
# Used when an offline plan is made without a VPC: valid in form, owned by nobody.
PLACEHOLDER_VPC_ID = "vpc-00000000000000000"
_VPC_ID = re.compile(r"vpc-(([0-9a-z]{8})|([0-9a-z]{17}))")


class SettingsError(Exception):
    """Stack settings that cannot be used; the message names the key and the fix."""


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class ServiceNetworkSettings(_Settings):
    # ID (sn-…), ARN or name of an existing service network to use instead of creating
    # one; a name is looked up when the stack is applied.
    existing: Optional[str] = Field(None, min_length=3, max_length=2048)


class DefaultServiceNetworkSettings(_Settings):
    """A service network for the whole stack, associated with every cluster's VPC (the AWS
    controller's DEFAULT_SERVICE_NETWORK); with ``override``, every route that is not
    standalone joins it instead of its Gateways' networks (ENABLE_SERVICE_NETWORK_OVERRIDE)."""

    name: str
    override: bool = False


class ClusterSettings(_Settings):
    """One cluster of the stack: where its objects come from and the VPC its pods live in."""

    name: str = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    vpc_id: str
    account_id: Optional[str] = Field(None, pattern=r"^\d{12}$")
    sources: List[str] = Field(default_factory=list)
    context: Optional[str] = None  # kubeconfig context, to read the cluster itself

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str) -> str:
        return _check_vpc(value)


def _check_vpc(value: str) -> str:
    if not _VPC_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a VPC ID (vpc- followed by 8 or 17 characters [0-9a-z])")
    return value


class StackSettings(_Settings):
    # One cluster, the short way; or several under ``clusters``.
    cluster_name: str = "default"
    vpc_id: str = PLACEHOLDER_VPC_ID
    clusters: List[ClusterSettings] = Field(default_factory=list)
    controller_name: str = CONTROLLER_NAME
    # Keyed by Gateway name (the service network's name).
    service_networks: Dict[str, ServiceNetworkSettings] = Field(default_factory=dict)
    default_service_network: Optional[DefaultServiceNetworkSettings] = None
    # Publish each custom domain as an ExternalDNS DNSEndpoint (CNAME to the Lattice DNS
    # name) in the route's cluster, as the AWS controller does when the CRD is installed.
    external_dns: bool = False
    rules_per_listener: int = Field(10, ge=1, le=2000)  # Lattice quota, adjustable (default 10)
    listeners_per_service: int = Field(2, ge=1, le=100)  # Lattice quota, adjustable (default 2)
    services_per_service_network: int = Field(500, ge=1, le=100_000)  # Lattice quota, adjustable (default 500)
    tags: Dict[str, str] = Field(default_factory=dict)
    sources: List[str] = Field(default_factory=list)
    default_namespace: str = "default"
    # The watch daemon watches and reports but changes nothing in Lattice (watch/controls.py).
    suspend: bool = False
    # `latticectl destroy` of this stack wants its name typed (or --confirm-stack NAME).
    protect: bool = False

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str) -> str:
        return _check_vpc(value)

    @field_validator("clusters")
    @classmethod
    def _unique_clusters(cls, clusters: List[ClusterSettings]) -> List[ClusterSettings]:
        names = [c.name for c in clusters]
        if len(names) != len(set(names)):
            raise ValueError("cluster names must be unique")
        return clusters

    def cluster_list(self) -> List[ClusterSettings]:
        """The stack's clusters, in the order given (earlier clusters win conflicts)."""
        if self.clusters:
            return list(self.clusters)
        return [ClusterSettings(name=self.cluster_name, vpc_id=self.vpc_id, sources=list(self.sources))]

    @property
    def uses_placeholder_vpc(self) -> bool:
        return any(c.vpc_id == PLACEHOLDER_VPC_ID for c in self.cluster_list())


def settings_from_config(values: Mapping[str, Any]) -> StackSettings:
    """Settings from config values keyed without the namespace (``vpcId``, …)."""
    try:
        return StackSettings.model_validate(dict(values))
    except ValidationError as error:
        details = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"])
            details.append(f"{CONFIG_NAMESPACE}:{key}: {item['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid stack settings: " + "; ".join(details)) from error


def read_stack_file(path: Path, namespace: str = CONFIG_NAMESPACE) -> Dict[str, Any]:
    """One namespace's config values (ours by default) from a ``Pulumi.<stack>.yaml`` file,
    keyed without the namespace."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SettingsError(f"{path}: cannot read stack settings: {error}") from error
    config = document.get("config") or {}
    prefix = namespace + ":"
    return {key[len(prefix):]: value for key, value in config.items() if isinstance(key, str) and key.startswith(prefix)}


def merged(base: StackSettings, **overrides: Any) -> StackSettings:
    values: Dict[str, Any] = base.model_dump(by_alias=False)
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return StackSettings.model_validate(values)
    except ValidationError as error:
        raise SettingsError(str(error)) from error

