"""Where Kubernetes objects come from: YAML files, directories, standard input.

A source yields plain dicts, each with the place it came from, so that nothing
downstream knows whether the objects were read from disk or from a cluster.  An
unreadable file or malformed YAML is a :class:`SourceError` (the whole read is refused:
planning from half a directory could plan deletions); a document that is not a mapping
is reported by the parser, per document.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, List, Sequence

import yaml

try:  # libyaml's loader is several times faster; fall back when PyYAML was built without it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

YAML_SUFFIXES = (".yaml", ".yml")
STDIN = "-"


class SourceError(Exception):
    """A source could not be read at all."""


@dataclass(frozen=True)
class RawObject:
    body: Any
    origin: str  # "path#index" (0-based document index within the file), or "<stdin>#index"


def load_paths(paths: Sequence[str], *, stdin: IO[str] | None = None) -> List[RawObject]:
    """Read every YAML document under ``paths`` (files, directories recursively, ``-``)."""
    if not paths:
        raise SourceError("no input given: name YAML files, directories, or '-' for standard input")
    objects: List[RawObject] = []
    for path in paths:
        if path == STDIN:
            objects.extend(_load_stream((stdin or sys.stdin).read(), "<stdin>"))
        else:
            for file in _yaml_files(Path(path)):
                objects.extend(_load_file(file))
    return objects


def _yaml_files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)
        if not files:
            raise SourceError(f"{path}: directory holds no .yaml or .yml files")
        yield from files
    elif path.is_file():
        yield path
    else:
        raise SourceError(f"{path}: no such file or directory")


def _load_file(path: Path) -> List[RawObject]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot read: {error}") from error
    return _load_stream(text, str(path))


def load_text(text: str, name: str = "<text>") -> List[RawObject]:
    """Every document of one YAML stream."""
    return _load_stream(text, name)


def _load_stream(text: str, name: str) -> List[RawObject]:
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as error:
        raise SourceError(f"{name}: malformed YAML: {_yaml_problem(error)}") from error
    return list(_expand(documents, name))


def _expand(documents: Iterable[Any], name: str) -> Iterator[RawObject]:
    for index, document in enumerate(documents):
        if document is None:  # an empty document between two '---'
            continue
        origin = f"{name}#{index}"
        if isinstance(document, dict) and document.get("kind") == "List" and isinstance(document.get("items"), list):
            for item_index, item in enumerate(document["items"]):
                yield RawObject(item, f"{origin}.items[{item_index}]")
        else:
            yield RawObject(document, origin)


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return problem
