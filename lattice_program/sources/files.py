"""Where Kubernetes objects come from: YAML files, directories, standard input.

A source yields plain dicts, each with the place it came from, so that nothing
downstream knows whether the objects were read from disk or from a cluster.

The read is honest: every file and directory given or found is read, or the whole read
is a :class:`SourceError` naming it (planning from half a directory could plan
deletions).  An unlistable or unreadable directory, a symbolic-link loop, a broken link,
a FIFO or device with a YAML name, a file that is not UTF-8, malformed YAML and the
limits of ``yaml_documents`` (aliases, duplicate keys, object size) all refuse it.  What
is skipped on purpose is said, once, as a note: hidden directories (``.git``,
``.venv``), paths matching an ``--exclude`` glob, YAML documents that are not
Kubernetes objects (a Helm values file, a workflow), and Helm templates found in a
directory.

In a directory, ``.yaml``, ``.yml`` and ``.json`` files are read, whatever the case of
the extension.  The whole source set may hold at most ``MAX_SOURCE_BYTES``; it is
measured before anything is read.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from lattice_program.sources.collector import collector_paused
from lattice_program.sources.yaml_documents import Document, YamlRefused, documents
from lattice_program.vocabulary.status import Problem

SOURCE_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
# Far above any platform repository's manifests, far below what a CI runner can hold
# once parsed (a parsed object takes about 20 times its text).
MAX_SOURCE_BYTES = 64 * 1_048_576
TEMPLATE_MARKER = "{{"
NAMES_LISTED = 5

Progress = Callable[[int, int, int], None]  # (files read, files in all, bytes read)


class SourceError(Exception):
    """A source could not be read at all."""


@dataclass(frozen=True)
class RawObject:
    body: Any
    origin: str  # "path#index" (0-based document index within the file), or "<stdin>#index"
    line: int = 0  # 1-based line where the object starts in its file; 0 when not read from text


@dataclass(frozen=True)
class SourceRead:
    objects: Tuple[RawObject, ...]
    notes: Tuple[Problem, ...] = ()  # what was skipped on purpose, each said once

    def lines(self) -> Dict[str, int]:
        """origin -> line, for messages that name the file and line of an object."""
        return {raw.origin: raw.line for raw in self.objects if raw.line}


@dataclass
class _Skipped:
    hidden: List[str] = field(default_factory=list)
    excluded: List[str] = field(default_factory=list)
    not_objects: List[str] = field(default_factory=list)
    templates: List[str] = field(default_factory=list)


def load_paths(paths: Sequence[str], *, stdin: IO[Any] | None = None) -> List[RawObject]:
    """Read every YAML document under ``paths`` (files, directories recursively, ``-``), for
    a program that applies them: a Helm template is refused there, never skipped, since a
    file that stopped parsing would otherwise turn its objects into deletions."""
    return list(read_sources(paths, stdin=stdin, skip_templates=False).objects)


def read_sources(paths: Sequence[str], *, excludes: Sequence[str] = (), stdin: IO[Any] | None = None,
                 progress: Optional[Progress] = None, skip_templates: bool = True) -> SourceRead:
    with collector_paused():  # documents are trees: nothing cyclic to collect while they are built
        return _read_sources(paths, excludes=excludes, stdin=stdin, progress=progress, skip_templates=skip_templates)


def _read_sources(paths: Sequence[str], *, excludes: Sequence[str], stdin: IO[Any] | None,
                  progress: Optional[Progress], skip_templates: bool) -> SourceRead:
    """Every Kubernetes object under ``paths``, and notes saying what was skipped on purpose.
    ``skip_templates``: a Helm template found in a directory is a note, not a refusal
    (for plans, which only show)."""
    if not paths:
        raise SourceError("no input given: name YAML files, directories, or '-' for standard input")
    skipped = _Skipped()
    found = {path: _source_files(Path(path), excludes, skipped) for path in paths if path != STDIN}
    files = [file for group in found.values() for file in group]
    _check_total(files)
    objects: List[RawObject] = []
    read_files = read_bytes = 0
    for path in paths:
        if path == STDIN:
            objects.extend(_objects(_read_stdin(stdin or sys.stdin), "<stdin>", skipped, in_directory=False))
            continue
        for file, in_directory in found[path]:
            text = _read_file(file)
            read_files, read_bytes = read_files + 1, read_bytes + len(text)
            objects.extend(_objects(text, str(file), skipped, in_directory=in_directory and skip_templates))
            if progress is not None:
                progress(read_files, len(files), read_bytes)
    return SourceRead(tuple(objects), _notes(skipped))


def load_text(text: str, name: str = "<text>") -> List[RawObject]:
    """Every document of one YAML stream, as it is (documents that are not objects included)."""
    return list(_raw_objects(_documents(text, name), name))


# -- finding files ----------------------------------------------------------------------------

def _source_files(path: Path, excludes: Sequence[str], skipped: _Skipped) -> List[Tuple[Path, bool]]:
    """A PATH given: itself when a file, its source files (sorted, recursive) when a directory."""
    status = _stat(path)
    if stat.S_ISDIR(status.st_mode):
        found = [(file, True) for file in _walk(path, PurePosixPath(), excludes, skipped, {_identity(status)})]
        if not found and not skipped.excluded:
            hidden = f" outside hidden directories ({_listed(skipped.hidden)}; name one to read it)" if skipped.hidden else ""
            raise SourceError(f"{path}: directory holds no .yaml, .yml or .json files{hidden}")
        return found
    _check_regular(path, status)
    return [(path, False)]


def _walk(directory: Path, relative: PurePosixPath, excludes: Sequence[str], skipped: _Skipped,
          ancestors: set) -> Iterator[Path]:
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        raise SourceError(f"{directory}: cannot list the directory ({error.strerror or error}); "
                          "fix its permissions, or leave it out with --exclude") from None
    for entry in entries:
        path, inner = Path(entry.path), relative / entry.name
        if _excluded(inner, excludes):
            if entry.is_dir() or entry.name.lower().endswith(SOURCE_SUFFIXES):  # what would have been read
                skipped.excluded.append(str(path))
            continue
        status = _stat(path)
        if stat.S_ISDIR(status.st_mode):
            if entry.name.startswith("."):
                skipped.hidden.append(str(path))
                continue
            if _identity(status) in ancestors:
                raise SourceError(f"{path}: a symbolic link loop (it leads back to a directory above it); "
                                  "remove the link, or leave it out with --exclude")
            yield from _walk(path, inner, excludes, skipped, ancestors | {_identity(status)})
        elif entry.name.lower().endswith(SOURCE_SUFFIXES):
            _check_regular(path, status)
            yield path


def _excluded(relative: PurePosixPath, excludes: Sequence[str]) -> bool:
    text = str(relative)
    return any(fnmatch.fnmatchcase(text, glob) or fnmatch.fnmatchcase(relative.name, glob) for glob in excludes)


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise SourceError(f"{path}: a symbolic link to nothing ({os.readlink(path)}); fix or remove it") from None
        raise SourceError(f"{path}: no such file or directory") from None
    except OSError as error:
        if error.errno == 40:  # ELOOP
            raise SourceError(f"{path}: a symbolic link loop; remove the link, or leave it out with --exclude") from None
        raise SourceError(f"{path}: cannot read ({error.strerror or error})") from None


def _identity(status: os.stat_result) -> Tuple[int, int]:
    return status.st_dev, status.st_ino


def _check_regular(path: Path, status: os.stat_result) -> None:
    if stat.S_ISREG(status.st_mode):
        return
    what = ("a FIFO" if stat.S_ISFIFO(status.st_mode) else "a socket" if stat.S_ISSOCK(status.st_mode)
            else "a device" if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode) else "not a regular file")
    raise SourceError(f"{path}: {what}, not a file; name YAML files or directories, or '-' for standard input")


def _check_total(files: Sequence[Tuple[Path, bool]]) -> None:
    total = 0
    for file, _ in files:
        total += _stat(file).st_size
        if total > MAX_SOURCE_BYTES:
            raise SourceError(f"the sources hold more than {MAX_SOURCE_BYTES // 1_048_576} MiB of YAML (reached at "
                              f"{file}); lattice-gateway reads at most that much: leave out what is not for it with "
                              "--exclude, or split the objects across stacks")


# -- reading ----------------------------------------------------------------------------------

def _read_file(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror or error})") from None
    return _decoded(data, str(path))


def _read_stdin(stream: IO[Any]) -> str:
    binary = getattr(stream, "buffer", None)
    try:
        if binary is not None:
            return _decoded(binary.read(MAX_SOURCE_BYTES + 1), "<stdin>")
        text = stream.read(MAX_SOURCE_BYTES + 1)
    except UnicodeError:
        raise SourceError("<stdin>: not UTF-8 text; Kubernetes manifests are UTF-8: convert it (iconv -t UTF-8)") from None
    if len(text) > MAX_SOURCE_BYTES:
        raise SourceError(f"<stdin>: more than {MAX_SOURCE_BYTES // 1_048_576} MiB of YAML; lattice-gateway reads at most that much")
    return text


def _decoded(data: bytes, name: str) -> str:
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{name}: more than {MAX_SOURCE_BYTES // 1_048_576} MiB of YAML; lattice-gateway reads at "
                          "most that much: split it, or leave it out with --exclude")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(f"{name}: UTF-16 text; Kubernetes manifests are UTF-8: convert it (iconv -f UTF-16 -t UTF-8)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SourceError(f"{name}: line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}); Kubernetes "
                          "manifests are UTF-8: convert it (iconv -f LATIN1 -t UTF-8, for instance)") from None


def _documents(text: str, name: str) -> List[Document]:
    try:
        return list(documents(text))
    except YamlRefused as refused:
        raise SourceError(f"{name}: {refused}") from None


def _objects(text: str, name: str, skipped: _Skipped, *, in_directory: bool) -> Iterator[RawObject]:
    """``in_directory``: found in a directory, where a template is skipped with a note."""
    try:
        parsed = _documents(text, name)
    except SourceError:
        if in_directory and TEMPLATE_MARKER in text:
            skipped.templates.append(name)
            return
        raise
    for raw in _raw_objects(parsed, name):
        if isinstance(raw.body, dict) and "apiVersion" not in raw.body and "kind" not in raw.body:
            skipped.not_objects.append(f"{name}:{raw.line}" if raw.line else raw.origin)
            continue
        yield raw


def _raw_objects(parsed: Iterable[Document], name: str) -> Iterator[RawObject]:
    for document in parsed:
        if document.body is None:  # an empty document between two '---'
            continue
        origin = f"{name}#{document.index}"
        body = document.body
        if isinstance(body, dict) and body.get("kind") == "List" and isinstance(body.get("items"), list):
            lines = document.item_lines or (document.line,) * len(body["items"])
            for item_index, item in enumerate(body["items"]):
                yield RawObject(item, f"{origin}.items[{item_index}]", lines[item_index])
        else:
            yield RawObject(body, origin, document.line)


# -- notes ------------------------------------------------------------------------------------

def _notes(skipped: _Skipped) -> Tuple[Problem, ...]:
    notes = []
    if skipped.hidden:
        notes.append(_note(f"hidden directories skipped: {_listed(skipped.hidden)}; name one as a PATH to read it"))
    if skipped.excluded:
        notes.append(_note(f"{len(skipped.excluded)} path(s) left out by --exclude: {_listed(skipped.excluded)}"))
    if skipped.not_objects:
        notes.append(_note(f"{len(skipped.not_objects)} YAML document(s) with neither apiVersion nor kind are not "
                           f"Kubernetes objects (a Helm values file, a workflow?) and were skipped: "
                           f"{_listed(skipped.not_objects)}"))
    for template in skipped.templates:
        notes.append(_note(f"a Helm or Go template ({TEMPLATE_MARKER} … }}}}), not YAML, so it was not read; render "
                           "it (helm template) and pass the output, or leave it out with --exclude", origin=template))
    return tuple(notes)


def _note(message: str, origin: str = "sources") -> Problem:
    return Problem(None, "", message, "warning", origin)


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:NAMES_LISTED])
    return shown + (f" and {len(names) - NAMES_LISTED} more" if len(names) > NAMES_LISTED else "")
