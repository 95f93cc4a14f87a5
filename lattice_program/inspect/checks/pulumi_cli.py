"""The pulumi CLI and the provider plugins the program needs.

The CLI is found the way every command finds it (``engine/automation.py``); nothing is
ever installed here.  Each plugin must be at the version of its installed Python package
(``pulumi_aws``, and ``pulumi_kubernetes`` for a stack that writes Kubernetes objects):
that is the one the program asks the engine for.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
from typing import Callable, List, Mapping, Optional, Sequence

from lattice_program.engine import automation
from lattice_program.inspect.doctor import CheckResult, failed, passed, skipped

CLI = "pulumi CLI"
COMMAND_TIMEOUT = 30.0

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _run(argv: Sequence[str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                          env=_quiet_environment())


def _quiet_environment() -> dict:
    return {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}


def plugin_check_name(plugin: str) -> str:
    return f"pulumi {plugin} plugin"


def check_pulumi(explicit: Optional[str] = None, *, plugins: Sequence[str] = ("aws",), run: Runner = _run,
                 package_versions: Optional[Mapping[str, str]] = None) -> List[CheckResult]:
    """The CLI, then each plugin in ``plugins``; ``package_versions`` (plugin -> ``v1.2.3``)
    stands in for the installed packages' versions."""
    def skip_plugins(why: str) -> List[CheckResult]:
        return [skipped(plugin_check_name(plugin), why) for plugin in plugins]

    try:
        binary = automation.find_pulumi(explicit)
    except automation.PulumiNotInstalled as error:
        return [failed(CLI, str(error).split(";")[0], automation.PULUMI_INSTALL_HINT)] + skip_plugins("no pulumi CLI to ask")
    try:
        version = run([binary, "version"])
    except (OSError, subprocess.SubprocessError) as error:
        return [failed(CLI, f"{binary} could not be run: {error}", "reinstall it: " + automation.PULUMI_INSTALL_HINT)] \
            + skip_plugins("the pulumi CLI does not run")
    if version.returncode != 0:
        return [failed(CLI, f"`{binary} version` exited {version.returncode}: {_last_line(version.stderr)}",
                       "reinstall it: " + automation.PULUMI_INSTALL_HINT)] + skip_plugins("the pulumi CLI does not run")
    results = [passed(CLI, f"{version.stdout.strip()} at {binary}")]
    versions = dict(package_versions or {})
    for plugin in plugins:
        results.append(_check_plugin(binary, run, plugin, versions.get(plugin) or _package_version(plugin)))
    return results


def _check_plugin(binary: str, run: Runner, plugin: str, wanted: Optional[str]) -> CheckResult:
    name = plugin_check_name(plugin)
    if wanted is None:
        return failed(name, f"the pulumi_{plugin} Python package is not installed, so the program cannot run",
                      "reinstall lattice-gateway (pip install lattice-gateway) in this environment")
    install = f"pulumi plugin install resource {plugin} {wanted}"
    try:
        listed = run([binary, "plugin", "ls", "--json"])
        plugins = json.loads(listed.stdout or "[]") if listed.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        return failed(name, f"`pulumi plugin ls --json` could not be read: {error}", f"check it by hand; {install}")
    if plugins is None:
        return failed(name, f"`pulumi plugin ls --json` exited {listed.returncode}: {_last_line(listed.stderr)}",
                      f"check it by hand; {install}")
    versions = sorted(str(p.get("version")) for p in plugins
                      if isinstance(p, dict) and p.get("name") == plugin and p.get("kind") == "resource")
    if wanted.lstrip("v") in (v.lstrip("v") for v in versions):
        return passed(name, f"{plugin} {wanted} installed (pulumi_{plugin} {wanted.lstrip('v')})")
    found = f"installed: {', '.join(versions)}" if versions else "none installed"
    return failed(name, f"the program needs the {plugin} plugin {wanted} (the pulumi_{plugin} package's version); "
                  f"{found}", f"{install} (the engine fetches it on first use only where get.pulumi.com is reachable)")


def _package_version(plugin: str) -> Optional[str]:
    try:
        return "v" + importlib.metadata.version(f"pulumi_{plugin}")
    except importlib.metadata.PackageNotFoundError:
        return None


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"
