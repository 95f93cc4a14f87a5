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
from lattice_program.sources.files import Progress, RawObject, SourceError, read_sources
from lattice_program.vocabulary.status import Problem


class InputError(Exception):
    pass


@dataclass(frozen=True)
class Inputs:
    objects: Mapping[str, Sequence[RawObject]]  # by cluster name
    complete: bool = True  # False when part of a cluster read failed: then nothing may be deregistered
    notes: List[Problem] = field(default_factory=list)
    lines: Dict[str, int] = field(default_factory=dict)  # origin -> line in its file, for messages
    failures: List[str] = field(default_factory=list)  # "context C: Kind: why", per kind a cluster could not list


def load_settings(project_dir: Path, stack: Optional[str], **overrides: Any) -> StackSettings:
    values: Mapping[str, Any] = {}
    try:
        if stack:
            if not (project_dir / PROJECT_FILE).is_file():
                raise InputError(f"stack {stack!r}: no {PROJECT_FILE} in {project_dir.resolve()} or any directory above "
                                 "it; run latticectl inside the project, or pass --project-dir")
            path = _stack_file(project_dir, stack)
            if not path.is_file():
                raise InputError(f"stack {stack!r} has no settings file {path}; create it (see stacks/Pulumi.dev.yaml), "
                                 "or pass --project-dir if the project is elsewhere")
            values = read_stack_file(path)
        settings = settings_from_config(values)
        given = sorted(k for k, v in overrides.items() if v is not None)
        if settings.clusters and given:
            raise InputError(f"stack {stack!r} lists its clusters in lattice-gateway:clusters; set "
                             f"{', '.join(given)} there, per cluster, not on the command line")
        return merged(settings, names=OPTION_NAMES, **overrides)
    except SettingsError as error:
        raise InputError(str(error)) from None


# The command-line option that sets each override, for messages.
OPTION_NAMES = {"vpc_id": "--vpc-id", "cluster_name": "--cluster-name"}


def load_inputs(paths: Optional[Sequence[str]], context: Optional[str], settings: StackSettings,
                project_dir: Optional[Path] = None, *, excludes: Sequence[str] = (),
                progress: Optional[Progress] = None, stack: Optional[str] = None) -> Inputs:
    """Each cluster's objects: from PATH... or --context for a one-cluster stack, else from
    every cluster's own ``sources`` or ``context`` in the stack settings, or for a stack
    pinned to a promoted release, that release (what its ``up`` applies).  Sources in the
    settings are relative to ``project_dir`` (as under ``pulumi up``); PATHs to the
    working directory."""
    if not paths and not context and stack and settings.release is not None and project_dir is not None:
        return _pinned_release(project_dir, stack)
    clusters = settings.cluster_list()
    if paths and context:
        raise InputError("give either PATH... or --context, not both")
    if (paths or context) and len(clusters) > 1:
        raise InputError(f"the stack has clusters {', '.join(c.name for c in clusters)}: their sources and "
                         "contexts come from the stack settings, not from PATH or --context")
    objects: Dict[str, Sequence[RawObject]] = {}
    notes: List[Problem] = []
    lines: Dict[str, int] = {}
    failures: List[str] = []
    for cluster in clusters:
        cluster_context = context or (None if paths else cluster.context)
        if cluster_context:
            read, read_notes, read_failures = _read_cluster(cluster_context, cluster.name)
            objects[cluster.name] = read
            notes.extend(read_notes)
            failures.extend(read_failures)
            continue
        sources = list(paths) if paths else [str((project_dir or Path(".")) / source) for source in cluster.sources]
        if not sources:
            raise InputError(f"no input for cluster {cluster.name}: name YAML files or directories, '-' for standard "
                             "input, or --context (or set its sources in the stack settings)")
        try:
            read = read_sources(sources, excludes=excludes, progress=progress)
        except SourceError as error:
            raise InputError(str(error)) from None
        objects[cluster.name] = read.objects
        notes.extend(read.notes)
        lines.update(read.lines())
    return Inputs(objects, not failures, notes, lines, failures)


def _pinned_release(project_dir: Path, stack: str) -> Inputs:
    from lattice_program.promote.errors import PromotionError
    from lattice_program.promote.recorder import read_inputs
    from lattice_program.promote.release import ReleaseError
    from lattice_program.promote.stacks import load_stack
    from lattice_program.promote.store import StoreError

    try:
        objects = read_inputs(project_dir, load_stack(project_dir, stack))
    except (PromotionError, ReleaseError, StoreError, SourceError) as error:
        raise InputError(f"stack {stack}: its pinned release cannot be read: {error}") from None
    note = Problem(None, "lattice-gateway:release", f"stack {stack} is pinned to a promoted release: planning "
                   "that release, not the manifests", "warning", str(project_dir))
    return Inputs(objects, True, [note], {}, [])


def _read_cluster(context: str, cluster_name: str):
    from lattice_program.sources.cluster import ClusterUnavailable, read_cluster

    try:
        read = read_cluster(context=context, cluster_name=cluster_name)
    except ClusterUnavailable as error:
        raise InputError(str(error)) from None
    notes = [Problem(None, "", f"cluster read incomplete: {failure}", "error", f"context {context}")
             for failure in read.failures]
    return read.objects, notes, [f"context {context}: {failure}" for failure in read.failures]


PROJECT_FILE = "Pulumi.yaml"


def find_project_dir(start: Path) -> Path:
    """The nearest directory from ``start`` upward holding Pulumi.yaml (as pulumi looks for
    it); ``start`` itself when there is none, so a missing stack file names where it looked."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    return start


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
