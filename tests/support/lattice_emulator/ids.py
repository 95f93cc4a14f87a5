"""Resource IDs, ARNs and service DNS names in the formats VPC Lattice uses."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

# Resource kind -> (ID prefix, ARN resource type).  Listeners and rules nest under their
# service's ARN path instead of having a type of their own.
KINDS: dict[str, tuple[str, str]] = {
    "ServiceNetwork": ("sn", "servicenetwork"),
    "Service": ("svc", "service"),
    "Listener": ("listener", "listener"),
    "Rule": ("rule", "rule"),
    "TargetGroup": ("tg", "targetgroup"),
    "ServiceNetworkVpcAssociation": ("snva", "servicenetworkvpcassociation"),
    "ServiceNetworkServiceAssociation": ("snsa", "servicenetworkserviceassociation"),
    "AccessLogSubscription": ("als", "accesslogsubscription"),
}


@dataclass(frozen=True)
class Namer:
    """Builds IDs and ARNs for one account and Region."""

    account_id: str
    region: str
    rng: random.Random

    def new_id(self, kind: str) -> str:
        # Real IDs are 17 lowercase hex digits with a leading 0 (svc-0a1b2c3d4e5f60718);
        # that satisfies the model's [0-9a-z]{17}.
        return f"{KINDS[kind][0]}-0{self.rng.getrandbits(64):016x}"

    def arn(self, kind: str, resource_id: str, *parents: str) -> str:
        """``parents``: the service ID for a listener; service and listener IDs for a rule."""
        if kind == "Listener":
            path = f"service/{parents[0]}/listener/{resource_id}"
        elif kind == "Rule":
            path = f"service/{parents[0]}/listener/{parents[1]}/rule/{resource_id}"
        else:
            path = f"{KINDS[kind][1]}/{resource_id}"
        return f"arn:aws:vpc-lattice:{self.region}:{self.account_id}:{path}"

    def _digest(self, *parts: str) -> str:
        return hashlib.sha256(":".join(parts).encode()).hexdigest()

    def service_dns(self, name: str, service_id: str) -> dict[str, str]:
        # <name>-<id without "svc-">.<7 hex digits, per account and Region>
        #   .vpc-lattice-svcs.<region>.on.aws
        suffix = self._digest(self.account_id, self.region)[:7]
        domain = f"{name}-{service_id[4:]}.{suffix}.vpc-lattice-svcs.{self.region}.on.aws"
        zone = "Z" + self._digest("zone", self.region)[:20].upper()
        return {"domainName": domain, "hostedZoneId": zone}
