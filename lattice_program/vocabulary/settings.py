"""Stack settings: what the Kubernetes objects do not say (VPC, cluster, quotas, adoption).

They come from Pulumi stack config (``stacks/Pulumi.<stack>.yaml``, keys under the
``lattice-gateway:`` namespace) or, for an offline plan, from command-line options.
Invalid settings are reported with the config key and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Literal, Mapping, Optional

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


_VPC_ASSOCIATION_ID = r"^snva-[0-9a-z]{17}$"


class ServiceNetworkSettings(_Settings):
    # ID (sn-…), ARN or name of an existing service network to use instead of creating
    # one; a name is looked up when the stack is applied.
    existing: Optional[str] = Field(None, min_length=3, max_length=2048)
    # Cluster VPC ID -> ID (snva-…) of that VPC's association with this network that
    # exists already (made in the console or by another stack, typically for a network
    # shared to this account): reused, never declared, so never changed or deleted here.
    existing_vpc_associations: Dict[str, str] = Field(default_factory=dict)

    @field_validator("existing_vpc_associations")
    @classmethod
    def _associations(cls, values: Dict[str, str]) -> Dict[str, str]:
        for vpc, association in values.items():
            _check_vpc(vpc)
            if not re.fullmatch(_VPC_ASSOCIATION_ID, association):
                raise ValueError(f"{_shown(association)}not a service network VPC association ID (of {vpc}): "
                                 "write snva- followed by 17 lower-case letters and digits")
        return values


_ACCOUNT_PRINCIPAL = re.compile(r"\d{12}")
_ORGANIZATION_PRINCIPAL = re.compile(r"arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}")
_OU_PRINCIPAL = re.compile(r"arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")


class ShareSettings(_Settings):
    """One AWS RAM resource share of a Gateway's service network or of a route's service.

    ``allow_external_principals`` is False unless set: RAM's own default (true) would let an
    account outside the organization in, which nothing offline can tell apart from one inside.
    """

    principals: List[str] = Field(min_length=1)  # account IDs, OU ARNs, the organization's ARN
    # Let accounts outside the organization in; false unless set (RAM's own default is true).
    allow_external_principals: bool = False
    name: Optional[str] = Field(None, min_length=1, max_length=255)  # the share's name; default from the resource

    @field_validator("principals")
    @classmethod
    def _principals(cls, principals: List[str]) -> List[str]:
        for principal in principals:
            if not (_ACCOUNT_PRINCIPAL.fullmatch(principal) or _ORGANIZATION_PRINCIPAL.fullmatch(principal)
                    or _OU_PRINCIPAL.fullmatch(principal)):
                raise ValueError(f"{_shown(principal) or 'a principal: '}not a RAM principal: write a 12-digit account ID, "
                                 "an organizational unit ARN (arn:aws:organizations::ACCOUNT:ou/o-…/ou-…) or the "
                                 "organization's ARN (arn:aws:organizations::ACCOUNT:organization/o-…)")
        if len(principals) != len(set(principals)):
            raise ValueError("principals must be unique")
        return principals


_ROUTE_REFERENCE = r"^([A-Z][A-Za-z0-9]*Route/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


class SharingSettings(_Settings):
    """What this stack shares through AWS RAM (docs/sharing.md)."""

    # Keyed by Gateway name, as serviceNetworks: the Gateway's service network.
    gateways: Dict[str, ShareSettings] = Field(default_factory=dict)
    # Keyed by route, namespace/name (any route kind) or Kind/namespace/name: its service.
    routes: Dict[str, ShareSettings] = Field(default_factory=dict)

    @field_validator("routes")
    @classmethod
    def _route_keys(cls, routes: Dict[str, ShareSettings]) -> Dict[str, ShareSettings]:
        for key in routes:
            if not re.fullmatch(_ROUTE_REFERENCE, key):
                raise ValueError(f"{_shown(key) or 'a key: '}not a route: write namespace/name or Kind/namespace/name "
                                 "(HTTPRoute/shop/checkout)")
        return routes


class DefaultServiceNetworkSettings(_Settings):
    """A service network for the whole stack, associated with every cluster's VPC (the AWS
    controller's DEFAULT_SERVICE_NETWORK); with ``override``, every route that is not
    standalone joins it instead of its Gateways' networks (ENABLE_SERVICE_NETWORK_OVERRIDE)."""

    name: str
    override: bool = False


class AdoptedResourceSettings(_Settings):
    """One Lattice resource brought under the stack by ``latticectl adopt``: the program
    declares it with Pulumi's ``import`` option and ``protect``, under its own physical name."""

    type: str = Field(pattern=r"^aws:vpclattice/")  # Pulumi type token
    logical_name: str = Field(min_length=1)  # the child name components/_names.py gives it
    id: str = Field(min_length=1)  # the provider's import ID (``svc-…``, ``svc-…/listener-…``)
    physical_name: Optional[str] = None  # kept: our name scheme yields to the adopted name


class AdoptionSettings(_Settings):
    """What ``latticectl adopt`` recorded, so every later run keeps the adopted resources."""

    managed_by: str = Field(min_length=1, max_length=256)  # our ManagedBy tag value on them
    resources: List[AdoptedResourceSettings] = Field(default_factory=list)


GATEWAY_API_VERSION = "v1.5.0"  # the release the sources' models follow (sources/gateway_api.py)
GATEWAY_CLASS_NAME = "amazon-vpc-lattice"


class InstallSettings(_Settings):
    """Kubernetes objects the stack installs in each of its clusters, through pulumi-kubernetes
    (off by default): the GatewayClass object, and the Gateway API CRDs of one pinned release."""

    gateway_class: bool = False  # create the GatewayClass object `gatewayClassName`
    gateway_class_name: str = Field(GATEWAY_CLASS_NAME, min_length=1, max_length=253,
                                    pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    gateway_api_crds: bool = False  # apply the release's <channel>-install.yaml
    gateway_api_version: str = Field(GATEWAY_API_VERSION, pattern=r"^v\d+\.\d+\.\d+(-rc\.\d+)?$")
    gateway_api_channel: Literal["standard", "experimental"] = "standard"


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
        raise ValueError(f"{_shown(value) or 'the value: '}not a VPC ID: write vpc- followed by 8 or 17 lower-case "
                         "letters and digits")
    return value


_DURATION_TEXT = r"^(\d+(\.\d+)?(s|m|h|d))+$"


class RewriteSettings(_Settings):
    """What changes when a release moves into this stack (``promote/rewrite.py``): each map
    goes from the value in the stack the release comes from to this stack's value."""

    clusters: Dict[str, str] = Field(default_factory=dict)
    vpcs: Dict[str, str] = Field(default_factory=dict)
    service_networks: Dict[str, str] = Field(default_factory=dict)
    # Domain suffixes: ``dev.example.com: staging.example.com`` rewrites every hostname under it.
    domains: Dict[str, str] = Field(default_factory=dict)
    certificates: Dict[str, str] = Field(default_factory=dict)


class GateSettings(_Settings):
    """What a release must have shown in the stack it comes from before it moves into this one."""

    soak_time: str = Field("0s", pattern=_DURATION_TEXT)  # e.g. 30m, 1h, 2d
    require_verification: bool = True
    allow_drift: bool = False  # waive the drift gate for every promotion into this stack


class HoldSettings(_Settings):
    """Put by a rollback: no promotion replaces the held release until the hold is lifted."""

    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    reason: str = ""


class PromotionSettings(_Settings):
    # The stack whose releases move into this one (``latticectl promote FROM THIS``).
    from_stack: Optional[str] = Field(None, alias="from")
    # Where releases and history live: a directory (relative to the project) or s3://bucket/prefix.
    store: str = "releases"
    gates: GateSettings = Field(default_factory=GateSettings)
    rewrite: RewriteSettings = Field(default_factory=RewriteSettings)
    frozen: bool = False
    hold: Optional[HoldSettings] = None
    # Pulumi resource types (or URN fragments) a promotion may not replace or delete without
    # --allow-replace; empty means the stack's service networks when ``protect`` is set.
    protected_resources: List[str] = Field(default_factory=list)
    # Run after an apply from a machine inside the VPC; LATTICE_SERVICE_DNS names the service.
    probe_command: Optional[str] = None


class ReleasePin(_Settings):
    """The release this stack's input is (written by ``latticectl promote``), instead of manifests."""

    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    from_stack: Optional[str] = Field(None, alias="from")


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
    install: InstallSettings = Field(default_factory=InstallSettings)
    # Promotion between stacks (promote/); ``release`` pins the promoted input.
    promotion: PromotionSettings = Field(default_factory=PromotionSettings)
    release: Optional[ReleasePin] = None
    # Resources taken over from the AWS controller (`latticectl adopt`, docs/adopt.md).
    adoption: Optional[AdoptionSettings] = None
    # Service networks and services shared with other accounts through AWS RAM (docs/sharing.md).
    sharing: SharingSettings = Field(default_factory=SharingSettings)

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str) -> str:
        return _check_vpc(value)

    @field_validator("rules_per_listener", "listeners_per_service", "services_per_service_network", mode="before")
    @classmethod
    def _quota_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, bool):  # pydantic would read true as 1
            raise ValueError("a quota is a number, not true or false")
        return value

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
        details = [f"{CONFIG_NAMESPACE}:{_key(item['loc'])}: {_problem(item)}" for item in error.errors()]
        raise SettingsError("invalid stack settings: " + "; ".join(details)) from None


# What a value of each pattern looks like, said in words (a regular expression is not a fix).
_PATTERN_WORDS = {
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "lower-case letters, digits and '-', starting and ending with a letter or digit",
    r"^\d{12}$": "an AWS account ID: 12 digits",
    _DURATION_TEXT: "a duration such as 30m, 1h or 2d",
    r"^sha256:[0-9a-f]{64}$": "sha256: followed by 64 lower-case hex digits",
    r"^aws:vpclattice/": "a Pulumi type token of VPC Lattice, aws:vpclattice/…",
}
_SHOWN_VALUE_CHARS = 40


def described(error: ValidationError) -> str:
    """A pydantic error on one line: each field by its path, with what is wrong in words."""
    return "; ".join(f"{_key(item['loc']) or 'the value'}: {_problem(item)}" for item in error.errors())


def _key(loc: Any) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _problem(item: Mapping[str, Any]) -> str:
    """One pydantic error in words: what is wrong and what a valid value looks like; the value
    itself only when it is a short scalar."""
    kind, context = item["type"], item.get("ctx") or {}
    if kind == "missing":
        return "required; set it"
    if kind == "extra_forbidden":
        return "not a setting lattice-gateway knows; check its spelling (docs/architecture.md, Stack settings)"
    if kind == "string_pattern_mismatch":
        words = _PATTERN_WORDS.get(str(context.get("pattern")), "the form this setting takes (docs/architecture.md)")
        shown = _shown(item.get("input")).removesuffix(": ")
        return f"{shown + ' is' if shown else 'is'} not valid: write {words}"
    shown = "" if kind == "value_error" else _shown(item.get("input"))  # a validator's message names it already
    return shown + str(item["msg"]).removeprefix("Value error, ")


def _shown(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return f"{value!r}: "
    if isinstance(value, str) and len(value) <= _SHOWN_VALUE_CHARS and value.isprintable():
        return f"{value!r}: "
    return ""


def read_stack_file(path: Path, namespace: str = CONFIG_NAMESPACE) -> Dict[str, Any]:
    """One namespace's config values (ours by default) from a ``Pulumi.<stack>.yaml`` file,
    keyed without the namespace."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot read stack settings: {getattr(error, 'strerror', None) or error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not YAML"
        raise SettingsError(f"{path}: malformed stack settings: {problem}{where}; fix the YAML") from None
    config = document.get("config") if isinstance(document, dict) else document
    if not isinstance(config or {}, dict):
        raise SettingsError(f"{path}: config is not a mapping of keys to values; write it as "
                            f"config: {{{namespace}:KEY: VALUE}}")
    config = config or {}
    prefix = namespace + ":"
    return {key[len(prefix):]: value for key, value in config.items() if isinstance(key, str) and key.startswith(prefix)}


def merged(base: StackSettings, *, names: Optional[Mapping[str, str]] = None, **overrides: Any) -> StackSettings:
    """``base`` with ``overrides``; ``names`` says how a message names each override (``--vpc-id``)."""
    values: Dict[str, Any] = base.model_dump(by_alias=False)
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return StackSettings.model_validate(values)
    except ValidationError as error:
        named = names or {}
        details = [f"{named.get(str(item['loc'][0]), _key(item['loc'])) if item['loc'] else 'settings'}: {_problem(item)}"
                   for item in error.errors()]
        raise SettingsError("; ".join(details)) from None

