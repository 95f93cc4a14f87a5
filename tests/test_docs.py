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


# -- generated references (tools/docs.py) ------------------------------------------------------

def _docs_tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lattice_docs_tool", ROOT / "tools" / "docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def docs_tool():
    return _docs_tool()


@pytest.mark.parametrize("name", ["configuration.md", "cli.md"])
def test_generated_references_match_the_code(docs_tool, name):
    """Regenerated from the settings models and the typer app, each is what is committed."""
    path = ROOT / "docs" / name
    expected = docs_tool.rendered()[path]
    assert path.exists() and path.read_text() == expected, \
        f"docs/{name} has drifted from the code: run `.venv/bin/python tools/docs.py write`"


def test_every_settings_key_and_command_is_in_the_references(docs_tool):
    import typer.main

    from cli.main import app
    from lattice_program.vocabulary.settings import StackSettings

    configuration = docs_tool.render_configuration()
    missing_keys = [field.alias or name for name, field in StackSettings.model_fields.items()
                    if f"| `{field.alias or name}` |" not in configuration]
    group = typer.main.get_command(app)
    context = group.context_class(group, info_name="latticectl")
    cli = docs_tool.render_cli()
    missing_commands = [name for name in group.list_commands(context) if f"## latticectl {name}\n" not in cli]
    assert (missing_keys, missing_commands) == ([], [])
    assert "--stack" in cli and str(ROOT) not in cli  # no machine's path in the docs


def test_every_settings_field_is_explained(docs_tool):
    assert docs_tool.undescribed_fields() == [], \
        "say what these settings mean: a comment beside the field in settings.py, or EXPLAINED_HERE in tools/docs.py"


def test_the_field_comments_are_read_from_beside_or_above(docs_tool):
    source = ("class A:\n    # above\n    # and more\n    x: int = 1\n    y: int = 2  # beside\n"
              "    z: int = 3\n")
    assert docs_tool._field_comments(source) == {("A", "x"): "above and more", ("A", "y"): "beside"}


# -- troubleshooting: every message listed is one the code still prints ------------------------

TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
MESSAGE = re.compile(r"^### `(.+)`$", re.M)


def _source_text() -> str:
    files = [p for package in ("lattice_program", "cli", "components") for p in (ROOT / package).rglob("*.py")]
    return "\n".join(p.read_text() for p in files)


def test_troubleshooting_lists_messages_the_code_prints():
    messages = MESSAGE.findall(TROUBLESHOOTING.read_text())
    source = _source_text()
    gone = [message for message in messages if message not in source]
    assert len(messages) >= 20 and gone == [], f"docs/troubleshooting.md lists messages no longer in the code: {gone}"
