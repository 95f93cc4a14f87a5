"""The docs name tests and paths that exist, so they stay true as the code moves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "README.md"])


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_named_test_exists(doc: Path):
    missing = []
    for path, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)", doc.read_text()):
        source = ROOT / path
        if not source.exists() or not re.search(rf"^def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert missing == [], f"{doc.name} names tests that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_named_module_path_exists(doc: Path):
    named = set(re.findall(r"`((?:lattice_program|components|cli|tests|bench|tools)/[\w/.-]+\.py)`", doc.read_text()))
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == [], f"{doc.name} names files that do not exist: {missing}"
