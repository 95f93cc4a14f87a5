"""VPC Lattice quotas (the Service Quotas API) against what the plan needs and what the
stack settings assume.

Quotas are found by name in ``ListServiceQuotas`` for the ``vpc-lattice`` service code,
with ``ListAWSDefaultServiceQuotas`` for those that have no applied value (the API lists
only quotas with one).  Names, not codes, because the names are what the AWS docs list
(https://docs.aws.amazon.com/vpc-lattice/latest/ug/quotas.html); the one code the docs
link, L-D64E952E for listeners per service, is kept as a cross-check.  The defaults
(listeners per service 2, rules per listener 10, service associations per service
network 500) are those of ../shared/reference/lattice-quotas.md section 1.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from components.specs import LatticeModel
from lattice_program.inspect.doctor import CheckResult, failed, passed, skipped
from lattice_program.vocabulary.settings import StackSettings

SERVICE_CODE = "vpc-lattice"
NAME = "Lattice quotas"
LISTENERS_PER_SERVICE_CODE = "L-D64E952E"


@dataclass(frozen=True)
class Quota:
    name: str  # as Service Quotas names it
    setting: Optional[str]  # the stack setting that assumes it, if any
    code: Optional[str] = None

    def value_in(self, values: Dict[str, float]) -> Optional[float]:
        found = values.get(self.code) if self.code else None
        return found if found is not None else values.get(self.name.lower())


LISTENERS_PER_SERVICE = Quota("Listeners per service", "listenersPerService", LISTENERS_PER_SERVICE_CODE)
RULES_PER_LISTENER = Quota("Rules per listener", "rulesPerListener")
SERVICES_PER_NETWORK = Quota("Service associations per service network", "servicesPerServiceNetwork")
SERVICE_NETWORKS = Quota("Service networks per Region", None)
SERVICES = Quota("Services per Region", None)
TARGET_GROUPS = Quota("Target groups per Region", None)
QUOTAS = (LISTENERS_PER_SERVICE, RULES_PER_LISTENER, SERVICES_PER_NETWORK, SERVICE_NETWORKS, SERVICES, TARGET_GROUPS)

ClientFactory = Callable[[str, str], Any]
STACK = "the stack"  # a per-Region quota: the whole stack counts, and so does the rest of the account


@dataclass(frozen=True)
class Need:
    quota: Quota
    count: int
    where: str  # the object that needs the most


def plan_needs(model: LatticeModel) -> List[Need]:
    """The largest count the plan needs of each quota, and where."""
    routes = model.routes()
    needs: List[Need] = []
    if routes:
        widest = max(routes, key=lambda r: len(r.listeners))
        needs.append(Need(LISTENERS_PER_SERVICE, len(widest.listeners), widest.key))
        listeners = [(f"{r.key} listener {lst.key}", len(lst.rules)) for r in routes for lst in r.listeners]
        if listeners:
            where, count = max(listeners, key=lambda item: item[1])
            needs.append(Need(RULES_PER_LISTENER, count, where))
        per_network = Counter(a.gateway for r in routes for a in r.associations)
        if per_network:
            gateway, count = per_network.most_common(1)[0]
            needs.append(Need(SERVICES_PER_NETWORK, count, gateway))
    created_networks = [g for g in (*model.gateways(), *model.service_networks) if not g.service_network.existing]
    needs.append(Need(SERVICE_NETWORKS, len(created_networks), STACK))
    needs.append(Need(SERVICES, len(routes), STACK))
    groups = sum(len(r.target_groups) for r in routes) + sum(len(e.target_groups) for e in model.exports)
    needs.append(Need(TARGET_GROUPS, groups, STACK))
    return needs


def settings_assumptions(settings: StackSettings) -> Dict[Quota, int]:
    return {LISTENERS_PER_SERVICE: settings.listeners_per_service, RULES_PER_LISTENER: settings.rules_per_listener,
            SERVICES_PER_NETWORK: settings.services_per_service_network}


def read_quotas(client: Any) -> Dict[str, float]:
    """Quota code and quota name (lower case) -> value: applied values, defaults where none
    is applied."""
    values: Dict[str, float] = {}
    for operation in ("list_aws_default_service_quotas", "list_service_quotas"):  # applied values win
        for page in client.get_paginator(operation).paginate(ServiceCode=SERVICE_CODE):
            for quota in page.get("Quotas", []):
                if "Value" not in quota:
                    continue
                if quota.get("QuotaName"):
                    values[quota["QuotaName"].lower()] = quota["Value"]
                if quota.get("QuotaCode"):
                    values[quota["QuotaCode"]] = quota["Value"]
    return values


def _check_settings(settings: StackSettings, values: Dict[str, float], region: str) -> List[CheckResult]:
    """The quota settings the translator enforces must not exceed the account's quotas."""
    over, within = [], []
    for quota, assumed in settings_assumptions(settings).items():
        value = quota.value_in(values)
        key = f"lattice-gateway:{quota.setting}"
        if value is not None and assumed > value:
            over.append(failed(f"{NAME}: {key}",
                               f"{key} is {assumed} but the account's quota in {region} is {value:g}: "
                               "the plan would accept what AWS refuses",
                               f"set {key}: {value:g}, or request an increase in the Service Quotas console and "
                               "then raise the setting"))
        elif value is not None:
            within.append(f"{quota.setting} {assumed} of {value:g}")
    if over:
        return over
    if not within:
        return [skipped(f"{NAME}: settings", f"Service Quotas lists none of the quotas the settings assume in {region}")]
    return [passed(f"{NAME}: settings", "within the account's quotas: " + ", ".join(within))]


def check_quotas(make_client: ClientFactory, region: Optional[str], settings: Optional[StackSettings],
                 model: Optional[LatticeModel], model_note: str = "") -> List[CheckResult]:
    if not region:
        return [skipped(NAME, "needs a region")]
    try:
        values = read_quotas(make_client("service-quotas", region))
    except NoCredentialsError:
        return [skipped(NAME, "needs AWS credentials (see the AWS credentials check)")]
    except ClientError as error:
        info = error.response.get("Error", {})
        return [failed(NAME, f"Service Quotas refused ListServiceQuotas: {info.get('Code')}: {info.get('Message', '')}",
                       "grant servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas, or "
                       "compare the quotas in the Service Quotas console by hand")]
    except BotoCoreError as error:
        return [failed(NAME, f"Service Quotas could not be read: {error}",
                       "check the AWS credentials check above and the network path to Service Quotas")]
    results: List[CheckResult] = []
    if settings is not None:
        results += _check_settings(settings, values, region)
    if model is None:
        results.append(skipped(f"{NAME}: the plan's needs", model_note or "no plan: give --stack with sources or contexts"))
        return results
    for need in plan_needs(model):
        value = need.quota.value_in(values)
        label = f"{NAME}: {need.quota.name}"
        if value is None:
            results.append(skipped(label, f"Service Quotas has no quota named {need.quota.name!r} in {region}"))
        elif need.count > value:
            results.append(failed(label, f"{need.where} needs {need.count}, the quota in {region} is {value:g}",
                                  "request an increase in the Service Quotas console (VPC Lattice), or split the "
                                  "objects across stacks"))
        else:
            results.append(passed(label, f"the stack alone needs {need.count} of {value:g} (what else the "
                                         "account holds in the region counts too)" if need.where == STACK else
                                  f"needs {need.count} (most: {need.where}) of {value:g}"))
    return results
