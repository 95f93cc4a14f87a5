"""A release: the canonical snapshot a stack applied, named by its digest, with where it
came from (tool version, settings digest, git commit when in git).

The digest covers the objects only, so the same objects make the same release whichever
stack, machine or tool version recorded it; the rest is provenance.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import orjson

from lattice_program.promote.errors import BadInput
from lattice_program.promote.canonical import canonical_snapshot, digest_of, settings_digest
from lattice_program.sources.files import RawObject

FORMAT = "lattice-gateway/release/v1"


class ReleaseError(BadInput):
    """A release that cannot be used; the message names it and what to do."""


@dataclass(frozen=True)
class Release:
    digest: str
    project: str
    objects: Mapping[str, List[Any]]  # canonical, by cluster name
    stack: str  # where it was first recorded
    tool_version: str
    settings_digest: str
    commit: Optional[str] = None
    created: str = field(default_factory=lambda: now())

    def raw_objects(self) -> Dict[str, List[RawObject]]:
        """The objects as the pipeline reads them; the origin names the release."""
        short = self.digest[7:19]
        return {cluster: [RawObject(body, f"release {short}#{index}") for index, body in enumerate(bodies)]
                for cluster, bodies in self.objects.items()}

    def to_bytes(self) -> bytes:
        return orjson.dumps({"format": FORMAT, "digest": self.digest, "project": self.project, "stack": self.stack,
                             "toolVersion": self.tool_version, "settingsDigest": self.settings_digest,
                             "commit": self.commit, "created": self.created, "objects": self.objects},
                            option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_release(objects: Mapping[str, Sequence[RawObject]], *, project: str, stack: str,
                 settings_values: Mapping[str, Any], project_dir: Optional[Path] = None) -> Release:
    snapshot = canonical_snapshot(objects)
    return Release(digest=digest_of(snapshot), project=project, objects=snapshot, stack=stack,
                   tool_version=tool_version(), settings_digest=settings_digest(settings_values),
                   commit=git_commit(project_dir) if project_dir else None)


def parse_release(data: bytes, *, where: str, project: str, digest: Optional[str] = None) -> Release:
    """Read a stored release, refusing one that is corrupt, of another project, or not
    the one asked for (its content must hash to its name)."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise ReleaseError(f"release file {where} is corrupt (not JSON: {error}); restore it from the platform "
                           "repo's history or record the release again with `latticectl up`") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("objects"), dict):
        raise ReleaseError(f"release file {where} is not a {FORMAT} document; restore it from the platform repo's history")
    if document.get("project") != project:
        raise ReleaseError(f"release {where} belongs to project {document.get('project')!r}, not {project!r}; "
                           "promote only releases recorded by this project's stacks")
    actual = digest_of(document["objects"])
    if actual != document.get("digest") or (digest and actual != digest):
        raise ReleaseError(f"release file {where} is corrupt: its objects hash to {actual}, not "
                           f"{digest or document.get('digest')}; restore it from the platform repo's history")
    return Release(digest=actual, project=project, objects=document["objects"], stack=str(document.get("stack", "")),
                   tool_version=str(document.get("toolVersion", "unknown")),
                   settings_digest=str(document.get("settingsDigest", "")), commit=document.get("commit"),
                   created=str(document.get("created", "")))


def tool_version() -> str:
    try:
        return importlib.metadata.version("lattice-gateway")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def git_commit(project_dir: Path) -> Optional[str]:
    """The commit checked out in ``project_dir`` (with ``+dirty`` when the tree has changes),
    or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project_dir, capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=project_dir,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
