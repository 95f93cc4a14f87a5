"""A stack as a promotion sees it: its settings file, validated, and its release store.
Errors name the stack and the key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import yaml

from lattice_program.engine.automation import AutomationError, stack_config_path
from lattice_program.promote.errors import BadInput
from lattice_program.promote.store import ReleaseStore, open_blobs
from lattice_program.vocabulary.settings import SettingsError, StackSettings, read_stack_file, settings_from_config


STORE_ENV = "LATTICE_GATEWAY_RELEASE_STORE"


@dataclass(frozen=True)
class StackContext:
    name: str
    path: Path
    values: Dict[str, Any]  # our config keys, as written
    settings: StackSettings
    region: Optional[str]
    # pulumi-aws's `aws:endpoints` entry for vpclattice, when the stack sets one.
    lattice_endpoint: Optional[str] = None


def project_name(project_dir: Path) -> str:
    try:
        document = yaml.safe_load((Path(project_dir) / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise BadInput(f"cannot read the project's Pulumi.yaml in {project_dir}: {error}") from None
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str):
        raise BadInput(f"{project_dir}/Pulumi.yaml names no project (name:)")
    return name


def load_stack(project_dir: Path, name: str) -> StackContext:
    try:
        path = stack_config_path(Path(project_dir), name)
    except AutomationError as error:
        raise BadInput(str(error)) from None
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):].rsplit(".", 1)[0] for p in path.parent.glob("Pulumi.*.y*ml"))
        raise BadInput(f"unknown stack {name!r}: there is no {path}; the stacks are {', '.join(known) or 'none'}")
    try:
        values = read_stack_file(path)
        settings = settings_from_config(values)
        aws = read_stack_file(path, "aws")
    except SettingsError as error:
        raise BadInput(f"stack {name} ({path}): {error}") from None
    region = aws.get("region")
    endpoints = aws.get("endpoints") if isinstance(aws.get("endpoints"), list) else []
    endpoint = next((e["vpclattice"] for e in endpoints if isinstance(e, dict) and e.get("vpclattice")), None)
    return StackContext(name, path, values, settings, region if isinstance(region, str) else None, endpoint)


def store_of(project_dir: Path, stack: StackContext, *, s3_client: Optional[Callable[[], Any]] = None) -> ReleaseStore:
    # The environment wins over the settings: CI and tests keep releases out of the checkout.
    location = os.environ.get(STORE_ENV) or stack.settings.promotion.store
    return ReleaseStore(open_blobs(location, Path(project_dir), s3_client=s3_client), project_name(project_dir))
