"""Edits to a stack's settings file that a promotion makes: the release pin, the freeze,
the hold.  The file is edited in place with comments and order kept (ruamel.yaml round
trip), so the platform repo shows each as a small reviewable diff."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from lattice_program.vocabulary.settings import CONFIG_NAMESPACE, SettingsError

RELEASE_KEY = f"{CONFIG_NAMESPACE}:release"
PROMOTION_KEY = f"{CONFIG_NAMESPACE}:promotion"


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, order and quoting kept
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def edit_stack_file(path: Path, change: Callable[[CommentedMap], None]) -> bool:
    """Apply ``change`` to the file's ``config`` mapping; write only if it changed anything.
    Returns whether the file was written."""
    yaml = _yaml()
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.load(text) or CommentedMap()
    except (OSError, YAMLError) as error:
        raise SettingsError(f"{path}: cannot edit stack settings: {error}") from None
    config = document.setdefault("config", CommentedMap())
    change(config)
    out = io.StringIO()
    yaml.dump(document, out)
    if out.getvalue() == text:
        return False
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(out.getvalue())
    os.replace(temporary, path)
    return True


def pin_release(path: Path, digest: str, source: str) -> bool:
    def change(config: CommentedMap) -> None:
        pin = config.get(RELEASE_KEY)
        if not isinstance(pin, CommentedMap):
            pin = CommentedMap()
            config[RELEASE_KEY] = pin
            config.yaml_set_comment_before_after_key(
                RELEASE_KEY, before="The release this stack applies, written by `latticectl promote`.", indent=2)
        _set(pin, "digest", digest)
        _set(pin, "from", source)
    return edit_stack_file(path, change)


def _promotion(config: CommentedMap) -> CommentedMap:
    section = config.get(PROMOTION_KEY)
    if not isinstance(section, CommentedMap):
        section = CommentedMap()
        config[PROMOTION_KEY] = section
    return section


def set_frozen(path: Path, frozen: bool) -> bool:
    return edit_stack_file(path, lambda config: _set(_promotion(config), "frozen", frozen))


def set_hold(path: Path, digest: Optional[str], reason: str = "") -> bool:
    def change(config: CommentedMap) -> None:
        section = _promotion(config)
        if digest is None:
            section.pop("hold", None)
        else:
            section["hold"] = CommentedMap([("digest", digest), ("reason", reason)])
    return edit_stack_file(path, change)


def _set(mapping: CommentedMap, key: str, value: Any) -> None:
    if mapping.get(key) != value:
        mapping[key] = value
