"""Plain `pulumi up` through __main__.py gives what `latticectl up` gives (scenario 4).

It needs the Python language host beside the CLI.  The Go module proxy serves no
`pulumi-language-python` (tools/README.md), so on these machines the test is skipped
with that reason; where a Pulumi release's language host is on PATH it runs unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.test_real_engine import TYPE_OF, latticectl, project
from tests.support.engines import RealPulumi

pytestmark = pytest.mark.needs_pulumi_cli


def language_host(real: RealPulumi) -> str:
    found = shutil.which("pulumi-language-python", path=f"{real.bin_dir}{os.pathsep}{os.environ['PATH']}")
    if found is None:
        pytest.skip("no pulumi-language-python: the Go module proxy does not serve it, so tools/engines.py cannot "
                    "build it; a Pulumi release ships it beside the CLI")
    return found


def inventory_by_name(emulator) -> dict:
    return {(kind, item.get("name")): item for kind, items in emulator.inventory().items() for item in items.values()}


def test_plain_pulumi_up_equals_latticectl_up(real_pulumi: RealPulumi, tmp_path: Path):
    language_host(real_pulumi)
    root = project(tmp_path, "checkout-ab")
    shutil.copy(Path(__file__).resolve().parents[2] / "__main__.py", root / "__main__.py")
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                       PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    subprocess.run([real_pulumi.pulumi, "stack", "init", "plain"], cwd=root, env=environment, check=True)
    (root / "stacks" / "Pulumi.plain.yaml").write_text((root / "stacks" / "Pulumi.realtest.yaml").read_text())
    subprocess.run([real_pulumi.pulumi, "up", "--yes", "--stack", "plain"], cwd=root, env=environment, check=True)
    plain = inventory_by_name(real_pulumi.emulator)
    subprocess.run([real_pulumi.pulumi, "destroy", "--yes", "--stack", "plain"], cwd=root, env=environment,
                   check=True)
    latticectl("up", "--yes", "--stack", "realtest", "--project-dir", str(root))
    ours = inventory_by_name(real_pulumi.emulator)
    assert set(plain) == set(ours) and len(ours) > len(TYPE_OF)
    assert json.dumps(sorted(plain), default=str) == json.dumps(sorted(ours), default=str)
