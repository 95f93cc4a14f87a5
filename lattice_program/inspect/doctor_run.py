"""Which checks `latticectl doctor` runs, in which order, on what.

The stack settings come first: the other checks read the region, the clusters and the
plan from them.  Everything that reaches outside (boto3, the kubeconfig, the plan) comes
in through :class:`DoctorRequest`, so tests hand in stubs and doubles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, List, Mapping, Optional, Tuple

from components.specs import LatticeModel
from lattice_program.inspect.checks.aws_identity import aws_region, check_aws
from lattice_program.inspect.checks.cluster import Connect, check_cluster
from lattice_program.inspect.checks.pulumi_cli import check_pulumi
from lattice_program.inspect.checks.quotas import check_quotas
from lattice_program.inspect.checks.stack_settings import check_stack_settings
from lattice_program.inspect.doctor import CheckResult, failed, run_checks
from lattice_program.vocabulary.settings import CONTROLLER_NAME, SettingsError, StackSettings

ClientFactory = Callable[[str, str], Any]
PlanModel = Callable[[StackSettings], Tuple[Optional[LatticeModel], str]]
Contexts = Callable[[Optional[StackSettings]], Mapping[str, Optional[str]]]


@dataclass(frozen=True)
class DoctorRequest:
    project_dir: Path
    stack: Optional[str]
    session: Callable[[], Any]  # makes (or returns the one) boto3.Session; may raise BotoCoreError
    make_client: ClientFactory
    connect: Connect
    contexts: Contexts  # cluster name -> kubeconfig context (None: the current one)
    plan_model: PlanModel  # the stack's model, or None and why not
    stack_region: Optional[str] = None  # the stack's aws:region
    pulumi_binary: Optional[str] = None
    pulumi_kwargs: Mapping[str, Any] = field(default_factory=dict)


def plugins_needed(settings: Optional[StackSettings]) -> Tuple[str, ...]:
    """aws always; kubernetes when the stack writes Kubernetes objects (DNSEndpoints, installs)."""
    if settings is not None and (settings.external_dns or settings.install.gateway_class
                                 or settings.install.gateway_api_crds):
        return ("aws", "kubernetes")
    return ("aws",)


def diagnose(request: DoctorRequest) -> List[CheckResult]:
    settings, settings_result = check_stack_settings(request.project_dir, request.stack)
    region = aws_region(request.session, request.stack_region)

    def plan() -> List[CheckResult]:
        model, note = request.plan_model(settings) if settings is not None else (None, settings_result.detail)
        return check_quotas(request.make_client, region, settings, model, note)

    def clusters() -> List[CheckResult]:
        controller = settings.controller_name if settings is not None else CONTROLLER_NAME
        try:
            contexts = request.contexts(settings)
        except SettingsError as error:
            return [failed("clusters", str(error), "pass --context CLUSTER=CTX for each cluster of the stack")]
        results: List[CheckResult] = []
        for cluster, context in contexts.items():
            results += check_cluster(cluster, context, request.connect, controller_name=controller)
        return results

    return [settings_result] + run_checks([
        ("pulumi CLI", lambda: check_pulumi(request.pulumi_binary, plugins=plugins_needed(settings),
                                            **request.pulumi_kwargs)),
        ("AWS", lambda: check_aws(request.session, request.stack_region, request.stack, request.make_client)),
        ("Lattice quotas", plan),
        ("clusters", clusters),
    ])
