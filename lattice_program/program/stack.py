"""The program `pulumi up` runs: stack config and manifests in, Lattice resources out.

Problems with individual objects are logged as warnings, not errors: a Pulumi error
log fails the whole update, and one bad route must not stop the others from converging.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

import pulumi

from components.specs import LatticeModel

from lattice_program.program.adoption import AdoptionError, adopted_names, resolve_names
from lattice_program.program.certificates import discover, needs_certificate
from lattice_program.contract.pipeline import PlanResult, plan
from lattice_program.program.declare import ProgramHandles, declare
from lattice_program.program.digest import model_digest
from lattice_program.vocabulary.settings import CONFIG_NAMESPACE, ClusterSettings, SettingsError, StackSettings, settings_from_config
from lattice_program.sources.files import RawObject, SourceError, load_paths

def config_values(config: pulumi.Config) -> Dict[str, Any]:
    """Our settings from the stack's config; structured values arrive as JSON text."""
    values: Dict[str, Any] = {}
    for field in StackSettings.model_fields.values():
        raw = config.get(field.alias)
        if raw is None:
            continue
        try:
            values[field.alias] = json.loads(raw)
        except json.JSONDecodeError:
            values[field.alias] = raw
    return values


def report(result: PlanResult) -> None:
    for problem in result.problems:
        pulumi.log.warn(f"{problem.severity}: {problem}")


def run(project_dir: Path, *, previous: Optional[Mapping[str, Any]] = None) -> ProgramHandles:
    """Read, plan and declare.  ``previous``: the stack's outputs from its last update
    (``latticectl`` hands them over, so rule priorities already applied are kept; a
    plain ``pulumi up`` has none and allocates afresh).  Unusable settings or unreadable
    manifests stop the run before anything is declared (a partial read must never plan
    deletions)."""
    try:
        settings = stack_settings()
        objects = {cluster.name: _read(project_dir, cluster) for cluster in settings.cluster_list()}
    except (SettingsError, SourceError) as error:
        raise pulumi.RunError(str(error)) from None
    return run_objects(objects, settings, previous=previous)


def stack_settings() -> StackSettings:
    return settings_from_config(config_values(pulumi.Config(CONFIG_NAMESPACE)))


def run_objects(objects: Mapping[str, Sequence[RawObject]], settings: StackSettings, *,
                previous: Optional[Mapping[str, Any]] = None) -> ProgramHandles:
    """Plan and declare objects already read (each cluster's, by name): the inline
    program of the watch daemon, and the rest of :func:`run`."""
    result = plan(objects, settings, previous_outputs=previous)
    report(result)
    return declare(_looked_up(result.model), digest=model_digest(result.model, settings))


def _looked_up(model: LatticeModel) -> LatticeModel:
    """What only AWS can tell: networks adopted by name, ACM certificates for custom
    domains.  Done here, once, so the translator stays pure and the plan offline."""
    if adopted_names(model):
        try:
            model = resolve_names(model, _aws_client("vpc-lattice"))
        except AdoptionError as error:
            raise pulumi.RunError(str(error)) from None
    if any(needs_certificate(route) for route in model.routes()):
        model, warnings = discover(model, _aws_client("acm"))
        for warning in warnings:
            pulumi.log.warn(warning)
    return model


def _aws_client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=pulumi.Config("aws").get("region"))


def _read(project_dir: Path, cluster: ClusterSettings) -> Sequence[RawObject]:
    if cluster.context:
        from lattice_program.sources.cluster import ClusterUnavailable, read_cluster

        try:
            read = read_cluster(context=cluster.context, cluster_name=cluster.name)
        except ClusterUnavailable as error:
            raise SettingsError(str(error)) from None
        if not read.complete:
            # Planning from a partial read could delete what the unread kinds hold.
            raise SettingsError(f"cluster {cluster.name} could not be read completely: {'; '.join(read.failures)}")
        return read.objects
    if not cluster.sources:
        raise SettingsError(f"set {CONFIG_NAMESPACE}:sources (or sources/context of cluster {cluster.name}) to the "
                            "manifests this stack provisions")
    return load_paths([str(project_dir / source) for source in cluster.sources])
