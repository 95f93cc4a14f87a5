"""The rooms of ``lattice_program`` and the one rule between them: imports run down the
data path, never back up, and the translator loads no Pulumi and no botocore."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lower rooms first; a module may import its own room and the ones before it.
ROOMS = ("vocabulary", "sources", "translate", "contract", "program", "engine",
         "watch", "promote", "deploy", "adopt", "inspect")
# watch, promote, deploy, adopt and inspect sit beside each other above engine; none imports another.
LEVEL = {room: index for index, room in enumerate(ROOMS)}
SIBLINGS = ("watch", "promote", "deploy", "adopt", "inspect")
for _sibling in SIBLINGS:
    LEVEL[_sibling] = LEVEL["watch"]
CLI_LEVEL = len(ROOMS)


def _room_level(module: str) -> Optional[int]:
    """The level of an import target of ours, or None for anything not ours."""
    parts = module.split(".")
    if parts[0] == "lattice_program":
        if len(parts) == 1:
            return -1  # the package docstring only
        return LEVEL.get(parts[1])
    if parts[0] == "components":
        # The Lattice model is plain data every room reads; the Pulumi classes are the program's.
        return -1 if module == "components" or module.startswith("components.specs") else LEVEL["program"]
    if parts[0] == "cli":
        return CLI_LEVEL
    return None


def _imports(path: Path) -> Iterator[Tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolved against the file's own package
                package = list(path.relative_to(ROOT).parent.parts)
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            yield node.lineno, module
            for alias in node.names:  # `from lattice_program.translate import naming`
                yield node.lineno, f"{module}.{alias.name}"


def _module_files(package: str) -> list:
    return sorted((ROOT / package).rglob("*.py"))


def test_every_module_lives_in_a_room():
    loose = [p.name for p in (ROOT / "lattice_program").glob("*.py") if p.name != "__init__.py"]
    assert loose == [], f"modules outside a room: {loose}; put each in the room of the data path it serves"
    for room in (ROOT / "lattice_program").iterdir():
        if room.is_dir() and room.name != "__pycache__":
            assert room.name in LEVEL, f"lattice_program/{room.name} is not a room of the data path {ROOMS}"
            doc = ast.get_docstring(ast.parse((room / "__init__.py").read_text()))
            assert doc and "import" in doc.lower(), f"lattice_program/{room.name}/__init__.py must say what it owns and may import"


@pytest.mark.parametrize("package", ["lattice_program", "components", "cli"])
def test_imports_run_down_the_data_path(package):
    broken = []
    for path in _module_files(package):
        relative = path.relative_to(ROOT)
        if package == "lattice_program":
            own = LEVEL[relative.parts[1]] if len(relative.parts) > 2 else -1
        elif package == "components":
            own = -1 if relative.name in ("specs.py", "__init__.py") else LEVEL["program"]
        else:
            own = CLI_LEVEL
        for line, module in _imports(path):
            level = _room_level(module)
            if level is not None and level > own:
                broken.append(f"{relative}:{line} imports {module}")
            parts = module.split(".")
            if package == "lattice_program" and own == LEVEL["watch"] and parts[0] == "lattice_program" \
                    and len(parts) > 1 and parts[1] in SIBLINGS:
                sibling = module.split(".")[1]
                if sibling != relative.parts[1]:
                    broken.append(f"{relative}:{line} imports its sibling room {module}")
    assert broken == [], "imports that run back up the data path:\n" + "\n".join(broken)


def test_the_translator_loads_no_pulumi_and_no_botocore():
    code = ("import sys, pkgutil, importlib, lattice_program.translate as t\n"
            "for m in pkgutil.iter_modules(t.__path__): importlib.import_module('lattice_program.translate.' + m.name)\n"
            "import lattice_program.sources.snapshot, lattice_program.sources.files\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_kubernetes', "
            "'botocore', 'boto3', 'kubernetes'))\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the pure side loaded {out.stdout.strip()}"


def test_the_rule_itself_catches_an_import_back_up(tmp_path):
    """The checker is not vacuous: a translate module importing the program is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from lattice_program.program.declare import declare\nfrom lattice_program.translate import naming\n")
    levels = [_room_level(module) for _, module in _imports(bad)]
    assert max(level for level in levels if level is not None) > LEVEL["translate"]
