"""What a command reads before it works: stack settings and Kubernetes objects.

Every failure here is an :class:`InputError` whose message is what the user sees
(exit code 2): a file that cannot be read, a stack without a settings file, a
kubeconfig context that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from lattice_program.vocabulary.settings import SettingsError, StackSettings, merged, read_stack_file, settings_from_config
from lattice_program.sources.files import RawObject, SourceError, load_paths
from lattice_program.vocabulary.status import Problem


class InputError(Exception):
    pass


@dataclass(frozen=True)
class Inputs:
    objects: Mapping[str, Sequence[RawObject]]  # by cluster name
    complete: bool = True  # False when part of a cluster read failed: then nothing may be deregistered
    notes: List[Problem] = field(default_factory=list)


def load_settings(project_dir: Path, stack: Optional[str], **overrides: Any) -> StackSettings:
    values: Mapping[str, Any] = {}
    if stack:
        path = _stack_file(project_dir, stack)
        if not path.is_file():
            raise InputError(f"stack {stack!r} has no settings file {path}; create it (see stacks/Pulumi.dev.yaml)")
        values = read_stack_file(path)
    try:
        settings = settings_from_config(values)
        given = sorted(k for k, v in overrides.items() if v is not None)
        if settings.clusters and given:
            raise InputError(f"stack {stack!r} lists its clusters in lattice-gateway:clusters; set "
                             f"{', '.join(given)} there, per cluster, not on the command line")
        return merged(settings, **overrides)
    except SettingsError as error:
        raise InputError(str(error)) from None


def load_inputs(paths: Optional[Sequence[str]], context: Optional[str], settings: StackSettings,
                project_dir: Optional[Path] = None) -> Inputs:
    """Each cluster's objects: from PATH... or --context for a one-cluster stack, else from
    every cluster's own ``sources`` or ``context`` in the stack settings.  Sources in the
    settings are relative to ``project_dir`` (as under ``pulumi up``); PATHs to the
    working directory."""
    clusters = settings.cluster_list()
    if paths and context:
        raise InputError("give either PATH... or --context, not both")
    if (paths or context) and len(clusters) > 1:
        raise InputError(f"the stack has clusters {', '.join(c.name for c in clusters)}: their sources and "
                         "contexts come from the stack settings, not from PATH or --context")
    objects: Dict[str, Sequence[RawObject]] = {}
    notes: List[Problem] = []
    complete = True
    for cluster in clusters:
        cluster_context = context or (None if paths else cluster.context)
        if cluster_context:
            read, read_notes, read_complete = _read_cluster(cluster_context, cluster.name)
            objects[cluster.name] = read
            notes.extend(read_notes)
            complete = complete and read_complete
            continue
        sources = list(paths) if paths else [str((project_dir or Path(".")) / source) for source in cluster.sources]
        if not sources:
            raise InputError(f"no input for cluster {cluster.name}: name YAML files or directories, '-' for standard "
                             "input, or --context (or set its sources in the stack settings)")
        try:
            objects[cluster.name] = load_paths(sources)
        except SourceError as error:
            raise InputError(str(error)) from None
    return Inputs(objects, complete, notes)


def _read_cluster(context: str, cluster_name: str):
    from lattice_program.sources.cluster import ClusterUnavailable, read_cluster

    try:
        read = read_cluster(context=context, cluster_name=cluster_name)
    except ClusterUnavailable as error:
        raise InputError(str(error)) from None
    notes = [Problem(None, "", f"cluster read incomplete: {failure}", "warning", f"context {context}")
             for failure in read.failures]
    return read.objects, notes, read.complete


def aws_region(project_dir: Path, stack: str) -> Optional[str]:
    """The stack's ``aws:region`` config, if set (otherwise boto3's own resolution)."""
    try:
        region = read_stack_file(_stack_file(project_dir, stack), "aws").get("region")
    except SettingsError:
        return None
    return region if isinstance(region, str) else None


def _stack_file(project_dir: Path, stack: str) -> Path:
    from lattice_program.engine.automation import AutomationError, stack_config_path

    try:
        return stack_config_path(project_dir, stack)
    except AutomationError as error:
        raise InputError(str(error)) from None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text: str, option: str) -> float:
    """Seconds in ``text``: ``500ms``, ``2s``, ``10m``, ``1h``, or several (``1m30s``)."""
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text.strip():
        raise InputError(f"{option} {text!r}: write a duration such as 500ms, 2s, 10m or 1h30m")
    return sum(float(number) * _SECONDS[unit] for number, unit in parts)
