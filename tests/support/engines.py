"""The real engines in tests: the built pulumi CLI (and, in ``kube.py``, the API server).

``tools/engines.py`` builds them into a per-machine cache; a test that needs one asks
here and is skipped with the reason when it is not built, so the same test runs
unchanged wherever it is.  ``real_pulumi`` makes an offline Pulumi world for one test:
a file backend and a ``PULUMI_HOME`` of its own, the provider double installed as the
``aws`` plugin (nothing is fetched), and every AWS call sent to a strict emulator.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Iterator, Optional

import pytest

from tests.support.aws_provider import install_plugin
from tests.support.lattice_emulator import LatticeEmulator

REPO = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def engines_module() -> Optional[ModuleType]:
    """``tools/engines.py``, loaded by path (it is a script, not a package)."""
    path = REPO / "tools" / "engines.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("lattice_tools_engines", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module while it executes
    spec.loader.exec_module(module)
    return module


def engine_bin_dir(name: str) -> Path:
    """The bin dir of a built engine, or skip the test saying how to build it."""
    engines = engines_module()
    if engines is None:
        pytest.skip("tools/engines.py is missing, so no real engine can be found")
    found = engines.engine_dir(name)
    if found is None:
        pytest.skip(f"the real {name} is not built on this machine; build it with "
                    f"`.venv/bin/python tools/engines.py build --only {name}`")
    return Path(found)


@dataclass
class RealPulumi:
    bin_dir: Path
    home: Path
    backend: Path
    emulator: LatticeEmulator

    @property
    def pulumi(self) -> str:
        return str(self.bin_dir / "pulumi")


@pytest.fixture
def real_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RealPulumi]:
    """The built pulumi CLI on PATH, offline, with the aws provider double and the emulator.

    The environment is the test process's own (monkeypatched), so both the CLI the
    Automation API starts and boto3 clients made in the test see the same world."""
    bin_dir = engine_bin_dir("pulumi")
    home, backend = tmp_path / "pulumi-home", tmp_path / "pulumi-state"
    backend.mkdir()
    install_plugin(home)
    with LatticeEmulator() as emulator:
        environment = {
            "PULUMI_HOME": str(home),
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_CONFIG_PASSPHRASE": "test",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            **emulator.environ(),
        }
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        yield RealPulumi(bin_dir, home, backend, emulator)
        assert emulator.internal_errors == [], "the emulator met a request it answered wrongly"
