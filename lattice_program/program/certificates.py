"""ACM certificates for HTTPS custom domains, found when the stack is applied.

A Gateway's HTTPS listener may name its certificate
(``tls.options["application-networking.k8s.aws/certificate-arn"]``).  When it does not
and the route has a custom domain, the AWS controller searches ACM; so do we, with its
rules: an ISSUED certificate whose domain or alternative names cover the custom domain,
an exact name before a wildcard, the most recently issued first.  The search is I/O, so
it runs just before the program declares resources, never in the offline plan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from components.specs import LatticeModel, RouteSpec


def needs_certificate(route: RouteSpec) -> bool:
    return (route.service.custom_domain_name is not None and route.service.certificate_arn is None
            and any(listener.protocol == "HTTPS" for listener in route.listeners))


def discover(model: LatticeModel, acm: Any) -> Tuple[LatticeModel, List[str]]:
    """The model with certificates filled in where one is found, and a warning for each
    route left without one."""
    wanted = [route for route in model.routes() if needs_certificate(route)]
    if not wanted:
        return model, []
    issued = _issued(acm)
    chosen: Dict[str, str] = {}
    warnings: List[str] = []
    for route in wanted:
        domain = route.service.custom_domain_name or ""
        arn = best_certificate(domain, issued)
        if arn is None:
            warnings.append(f"{route.key}: no ISSUED ACM certificate covers {domain!r}; HTTPS clients of that domain "
                            "will be refused. Request one in ACM or name one in the listener's certificate-arn option")
        else:
            chosen[route.key] = arn

    def with_certificate(route: RouteSpec) -> RouteSpec:
        if route.key not in chosen:
            return route
        return replace(route, service=replace(route.service, certificate_arn=chosen[route.key]))

    classes = tuple(replace(c, routes=tuple(with_certificate(r) for r in c.routes)) for c in model.gateway_classes)
    return replace(model, gateway_classes=classes), warnings


def best_certificate(domain: str, certificates: Sequence[Dict[str, Any]]) -> Optional[str]:
    """Exact domain before wildcard; the most recently issued among equals."""
    ranked = []
    for certificate in certificates:
        names = {certificate.get("DomainName", "")} | set(certificate.get("SubjectAlternativeNameSummaries") or ())
        if domain in names:
            rank = 0
        elif any(_wildcard_covers(name, domain) for name in names):
            rank = 1
        else:
            continue
        issued = certificate.get("IssuedAt") or certificate.get("CreatedAt")
        ranked.append((rank, -(issued.timestamp() if issued else 0), certificate["CertificateArn"]))
    return min(ranked)[2] if ranked else None


def _wildcard_covers(pattern: str, domain: str) -> bool:
    """``*.example.com`` covers ``a.example.com`` (one label), not ``a.b.example.com``."""
    if not pattern.startswith("*."):
        return False
    head, _, rest = domain.partition(".")
    return bool(head) and rest == pattern[2:]


def _issued(acm: Any) -> List[Dict[str, Any]]:
    found: List[Dict[str, Any]] = []
    for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=["ISSUED"]):
        found.extend(page.get("CertificateSummaryList", ()))
    return found
