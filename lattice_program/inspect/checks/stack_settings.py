"""The stack's settings file: present, valid (``vocabulary/settings.py``), and naming a VPC."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

from lattice_program.engine.automation import AutomationError, stack_config_path
from lattice_program.inspect.doctor import CheckResult, failed, passed, skipped
from lattice_program.vocabulary.settings import PLACEHOLDER_VPC_ID, SettingsError, StackSettings, read_stack_file, \
    settings_from_config

NAME = "stack settings"


def check_stack_settings(project_dir: Path, stack: Optional[str]) -> Tuple[Optional[StackSettings], CheckResult]:
    """The settings when they can be used, and the result saying so."""
    if not stack:
        return None, skipped(NAME, "no --stack given", "pass --stack NAME to check a stack's settings")
    try:
        path = stack_config_path(project_dir, stack)
    except AutomationError as error:
        return None, failed(NAME, str(error), "pass --project-dir the project root (it holds Pulumi.yaml) and "
                                              "--stack a name `pulumi stack ls` shows")
    if not path.is_file():
        return None, failed(NAME, f"stack {stack!r} has no settings file {path}",
                            "create it (see stacks/Pulumi.dev.yaml and docs/configuration.md)")
    try:
        settings = settings_from_config(read_stack_file(path))
    except SettingsError as error:
        return None, failed(NAME, f"{path}: {error}", "correct the keys named (docs/configuration.md lists them)")
    placeholder = [c.name for c in settings.cluster_list() if c.vpc_id == PLACEHOLDER_VPC_ID]
    if placeholder:
        key = "lattice-gateway:vpcId" if not settings.clusters else "vpcId under lattice-gateway:clusters"
        return settings, failed(NAME, f"cluster(s) {', '.join(placeholder)} have no VPC: `up` would associate a "
                                "placeholder VPC", f"set {key} to the cluster's VPC (vpc-...) in {path}")
    clusters = settings.cluster_list()
    described = ", ".join(f"{c.name} ({c.vpc_id})" for c in clusters)
    return settings, passed(NAME, f"{path.name}: {len(clusters)} cluster(s): {described}")
