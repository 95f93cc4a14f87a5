"""Service quotas the emulator enforces (defaults from /work/shared/reference/lattice-quotas.md).

A test lowers a field to reach a quota cheaply: ``emu.quotas.rules_per_listener = 2``.
Exceeding one answers ServiceQuotaExceededException (HTTP 402) with the field name as
``quotaCode`` (the real ``L-…`` codes are not in the stored docs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Quotas:
    listeners_per_service: int = 2
    # Non-default rules; the stored docs do not say whether the default rule counts.
    rules_per_listener: int = 10
    # The model caps a forward action at 10 target groups (ValidationException above
    # that); lowering this makes 10 or fewer a quota error instead.
    target_groups_per_forward_action: int = 10
    service_associations_per_service_network: int = 500
    # Not in the stored quota pages; 500 mirrors the service-association quota.
    vpc_associations_per_service_network: int = 500
    service_networks_per_region: int = 50
    services_per_region: int = 2000
    target_groups_per_region: int = 500
    # Not adjustable, and PutAuthPolicy models no quota error: exceeding it is a
    # ValidationException.
    auth_policy_bytes: int = 10 * 1024
