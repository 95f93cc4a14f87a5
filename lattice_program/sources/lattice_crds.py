"""The typed model of our own backend kind: ``LatticeBackend`` (``lattice-gateway.io/v1alpha1``).

Routes reach targets that are not pods through it: a route's backendRef with
``group: lattice-gateway.io, kind: LatticeBackend`` (Gateway API lets an implementation
define backend kinds of its own).  Its spec holds exactly one of ``lambda`` (a function,
target group type LAMBDA), ``instances`` (EC2 instance IDs, INSTANCE), ``alb`` (an
Application Load Balancer, ALB) or ``ips`` (fixed addresses, IP), and a health check
where the type takes one.

The group is the project's own domain (the one of its ``lattice-gateway.io/``
annotations), so the kind can never be taken for the AWS controller's.  This model
carries the constraints of the CRD we ship (``deploy/crds/latticebackends.yaml``): the
same patterns and bounds, and its CEL rules, so ``plan`` refuses what the API server
would.  A ``port`` written in the ``lambda`` block, or a health check on a Lambda or ALB
backend, is refused rather than dropped (VPC Lattice takes neither: botocore's
TargetGroupConfig docs).  What depends on the route (its kind, listener protocol) is
the translator's to refuse (``translate/lattice_backends.py``).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Dict, List, Literal, Optional, Tuple

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from lattice_program.sources.aws_crds import HealthCheckConfig
from lattice_program.sources.gateway_api import ObjectMeta, PortNumber, _Model

GROUP = "lattice-gateway.io"
KIND = "LatticeBackend"
PLURAL = "latticebackends"
VERSIONS = frozenset({"v1alpha1"})

# Patterns of the CRD; AWS's own forms of each identifier.
LAMBDA_FUNCTION_ARN = (r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}"
                       r"(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$")
LAMBDA_FUNCTION_NAME = r"^[A-Za-z0-9_-]{1,64}$"
INSTANCE_ID = r"^i-([0-9a-f]{8}|[0-9a-f]{17})$"
ALB_ARN = (r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z]{2}(-[a-z]+)+-\d:\d{12}:"
           r"loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$")
VPC_ID = r"^vpc-([0-9a-z]{8}|[0-9a-z]{17})$"  # botocore vpc-lattice VpcId
MAX_TARGETS = 100  # RegisterTargets takes 1..100 targets (botocore), one call per group


def _ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address; write one such as 10.0.1.20") from None
    return value


def _distinct(values: List[str]) -> List[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{repeated} appear more than once; list each target once")
    return values


IpAddress = Annotated[str, AfterValidator(_ip_address)]
InstanceId = Annotated[str, StringConstraints(pattern=INSTANCE_ID)]
VpcId = Annotated[str, StringConstraints(pattern=VPC_ID)]
TargetProtocol = Literal["HTTP", "HTTPS", "TCP"]


class LambdaTarget(_Model):
    function_arn: Optional[Annotated[str, StringConstraints(max_length=200, pattern=LAMBDA_FUNCTION_ARN)]] = None
    function_name: Optional[Annotated[str, StringConstraints(pattern=LAMBDA_FUNCTION_NAME)]] = None
    event_structure_version: Literal["V1", "V2"] = "V1"  # VPC Lattice's default (botocore)
    # In the schema only so a port written here is refused, not pruned without a word.
    port: Optional[int] = None

    @model_validator(mode="after")
    def _one_function(self) -> "LambdaTarget":
        if (self.function_arn is None) == (self.function_name is None):
            raise ValueError("set exactly one of functionArn and functionName")
        if self.port is not None:
            raise ValueError("a Lambda function has no port (VPC Lattice LAMBDA target groups take none): "
                             "remove lambda.port")
        return self


class InstancesTarget(_Model):
    ids: Annotated[List[InstanceId], Field(min_length=1, max_length=MAX_TARGETS), AfterValidator(_distinct)]
    port: PortNumber
    protocol: Optional[TargetProtocol] = None  # the route kind's when unset
    vpc_id: Optional[VpcId] = None  # the cluster's VPC when unset


class AlbTarget(_Model):
    arn: Annotated[str, StringConstraints(max_length=200, pattern=ALB_ARN)]
    port: PortNumber
    protocol: Literal["HTTP", "HTTPS"]  # an ALB's listeners speak HTTP or HTTPS
    vpc_id: Optional[VpcId] = None


class IpsTarget(_Model):
    addresses: Annotated[List[IpAddress], Field(min_length=1, max_length=MAX_TARGETS), AfterValidator(_distinct)]
    port: PortNumber
    protocol: Optional[TargetProtocol] = None
    vpc_id: Optional[VpcId] = None

    @model_validator(mode="after")
    def _one_family(self) -> "IpsTarget":
        families = {ipaddress.ip_address(a).version for a in self.addresses}
        if len(families) > 1:
            raise ValueError("addresses mix IPv4 and IPv6; a VPC Lattice target group is one or the other: "
                             "split them into two LatticeBackends")
        return self

    @property
    def ip_address_type(self) -> str:
        return "IPV6" if ipaddress.ip_address(self.addresses[0]).version == 6 else "IPV4"


BACKEND_TYPES: Tuple[str, ...] = ("lambda", "instances", "alb", "ips")


class LatticeBackendSpec(_Model):
    lambda_: Optional[LambdaTarget] = Field(None, alias="lambda")
    instances: Optional[InstancesTarget] = None
    alb: Optional[AlbTarget] = None
    ips: Optional[IpsTarget] = None
    health_check: Optional[HealthCheckConfig] = None

    @model_validator(mode="after")
    def _exactly_one_type(self) -> "LatticeBackendSpec":
        given = [name for name in BACKEND_TYPES if self.target(name) is not None]
        if len(given) != 1:
            raise ValueError(f"set exactly one of {', '.join(BACKEND_TYPES)} (got {given or 'none'})")
        if self.health_check is not None and given[0] in ("lambda", "alb"):
            raise ValueError(f"a {given[0]} backend takes no health check (VPC Lattice has none for "
                             f"{'LAMBDA' if given[0] == 'lambda' else 'ALB'} target groups): remove healthCheck")
        return self

    def target(self, name: str):
        return self.lambda_ if name == "lambda" else getattr(self, name)

    @property
    def type_name(self) -> str:
        """``lambda``, ``instances``, ``alb`` or ``ips``: the one block that is set."""
        return next(name for name in BACKEND_TYPES if self.target(name) is not None)


class LatticeBackend(_Model):
    api_version: str
    kind: Literal["LatticeBackend"]
    metadata: ObjectMeta
    spec: LatticeBackendSpec


# (apiVersion group, kind) → model; merged with the other registries by the parser.
MODELS: Dict[Tuple[str, str], type[_Model]] = {(GROUP, KIND): LatticeBackend}
CLUSTER_SCOPED: frozenset = frozenset()


def served_versions(group: str, kind: str) -> frozenset[str]:
    return VERSIONS if (group, kind) in MODELS else frozenset()
