"""Installing the double where the Pulumi engine looks for the ``aws`` resource plugin.

The engine finds a plugin in ``$PULUMI_HOME/plugins/resource-<name>-v<version>/`` as
the executable ``pulumi-resource-<name>`` (no other metadata; a ``PulumiPlugin.yaml``
there would make it a *source* plugin run through a language host instead, and a
``<dir>.partial`` file beside the directory marks an unfinished install). The version
is pulumi_aws's own, so the SDK's resource registrations (which ask for exactly that
version) resolve to the double without any download.
"""

from __future__ import annotations

import importlib.metadata
import shlex
import shutil
import sys
from pathlib import Path

NAME = "aws"
REPO_ROOT = Path(__file__).resolve().parents[3]


def plugin_version() -> str:
    return importlib.metadata.version("pulumi_aws")


def plugin_dir(pulumi_home: Path) -> Path:
    return Path(pulumi_home) / "plugins" / f"resource-{NAME}-v{plugin_version()}"


def install_plugin(pulumi_home: Path, python: str = sys.executable) -> Path:
    """Write the launcher; returns its path. Replaces an earlier install."""
    target = plugin_dir(pulumi_home)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    launcher = target / f"pulumi-resource-{NAME}"
    launcher.write_text(
        "#!/bin/sh\n"
        "# The aws provider double (tests/support/aws_provider), installed by install_plugin.\n"
        "# -P: the engine starts plugins in the project directory, which must not shadow `tests`.\n"
        f"PYTHONPATH={shlex.quote(str(REPO_ROOT))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f"exec {shlex.quote(python)} -P -m tests.support.aws_provider \"$@\"\n"
    )
    launcher.chmod(0o755)
    Path(f"{target}.partial").unlink(missing_ok=True)
    return launcher
