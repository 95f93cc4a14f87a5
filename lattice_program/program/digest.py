"""The digest of a desired model: what a stack applied, in one comparable string.

The stack program exports it (``outputs.MODEL_DIGEST``) on every run, whoever runs it
(``pulumi up``, ``latticectl up`` or the watch daemon), so the daemon can tell after a
restart that the stack already holds what the clusters ask for, and run no update.
Targets are left out: they take the direct sync, never an update.  The tool's version is
in: a new release may declare the same model differently.  So are the stack settings the
program reads beside the model (shares, installs, adoptions, reused associations,
protect): a change to them alone must still be applied.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
from typing import Optional

import orjson

from components.specs import LatticeModel

from lattice_program.vocabulary.settings import StackSettings

# The settings declare() and the stack program read that the model does not carry.
PROGRAM_SETTINGS = frozenset({"sharing", "install", "adoption", "service_networks", "protect"})


def _tool_version() -> str:
    try:
        return importlib.metadata.version("lattice-gateway")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout without install
        return "unknown"


def model_digest(model: LatticeModel, settings: Optional[StackSettings] = None) -> str:
    """``sha256:<hex>`` over the model's canonical JSON (sorted keys), targets excluded,
    and the settings of ``PROGRAM_SETTINGS`` when given."""
    canonical = dataclasses.asdict(dataclasses.replace(model, targets={}))
    program_settings = settings.model_dump(mode="json", include=set(PROGRAM_SETTINGS)) if settings else None
    body = orjson.dumps({"tool": _tool_version(), "model": canonical, "settings": program_settings},
                        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return "sha256:" + hashlib.sha256(body).hexdigest()
