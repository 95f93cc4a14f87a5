#!/usr/bin/env python3
"""Build the real engines (pulumi CLI, etcd, kube-apiserver) from the Go module proxy.

Each engine is compiled from its Go module into a per-machine cache,
``<cache_root>/<name>-<version>/bin/``, once; later runs are no-ops. A build is
"checked": the binary's own version command must report the pinned version before
the stamp file ``<name>-<version>/.built`` is written, and an engine without a
valid stamp does not exist as far as :func:`engine_dir` is concerned.

    python tools/engines.py build [--budget SECONDS] [--only NAME ...]
    python tools/engines.py path NAME        # prints the bin dir, or exits 1
    python tools/engines.py status [--verify]

``build`` always exits 0 (CI must still run the tests, which skip the real-engine
cases when an engine is missing); it says loudly what it could not build and why.
Run it with the project's interpreter (``.venv/bin/python``): the pulumi pin follows
the ``pulumi`` Python SDK installed there. Standard library only. See tools/README.md.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------- pins
# Resolved against the Go module proxy on 2026-12 (go list -m -versions / -json).

#: go.etcd.io/etcd/server/v3: the newest 3.6 patch served (3.6.17 is refused).
ETCD_VERSION = "3.6.16"

#: k8s.io/kubernetes: v1.<minor>.<newest patch served>, minor = the major version of
#: the kubernetes Python client (37.x -> 1.37). v1.37.3 is refused by the proxy.
KUBE_APISERVER_VERSION = "1.37.2"

#: The pulumi CLI is built at the installed SDK's version, except where the proxy
#: does not serve github.com/pulumi/pulumi/pkg/v3 at that version: then at the
#: release named here (the nearest served one above it; a CLI newer than the SDK is
#: the supported direction). Served pkg/v3 releases near 3.272: 3.260.0, 3.274.0,
#: 3.274.1, 3.275.0, 3.276.0 (3.261-3.273 are refused).
PULUMI_CLI_FOR_SDK = {"3.272.0": "3.274.1"}

#: Pseudo-versions of github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
#: per CLI version. The proxy serves no version of that module here (its list and
#: every query are refused), so this is empty and no language host is built; add an
#: entry if one becomes available and it is built into the pulumi bin dir.
PULUMI_LANGUAGE_PYTHON_FOR_CLI: dict[str, str] = {}

BUILD_ORDER = ("etcd", "kube-apiserver", "pulumi")  # cheapest first
DEFAULT_BUDGET = 3000
STAMP = ".built"
HEARTBEAT = 300  # seconds between "still building" lines


def pulumi_sdk_version() -> str | None:
    """Version of the ``pulumi`` Python SDK in the running interpreter."""
    try:
        return importlib.metadata.version("pulumi")
    except importlib.metadata.PackageNotFoundError:
        return None


def kubernetes_client_version() -> str | None:
    try:
        return importlib.metadata.version("kubernetes")
    except importlib.metadata.PackageNotFoundError:
        return None


def pulumi_version() -> str | None:
    sdk = pulumi_sdk_version()
    return None if sdk is None else PULUMI_CLI_FOR_SDK.get(sdk, sdk)


def pinned_versions() -> dict[str, str | None]:
    """name -> pinned version (None: cannot be pinned here, e.g. no pulumi SDK)."""
    return {
        "etcd": ETCD_VERSION,
        "kube-apiserver": KUBE_APISERVER_VERSION,
        "pulumi": pulumi_version(),
    }


# ------------------------------------------------------------------------ engines


@dataclass
class Main:
    module: str  # module path
    version: str  # module version, e.g. v3.6.16
    packages: dict[str, str]  # main package -> binary name


@dataclass
class Engine:
    name: str
    version: str
    mains: list[Main]
    binaries: list[str]  # files in bin/ that the stamp covers
    version_cmd: list[str]  # argv after the binary
    expect: str  # text the version command must print
    ldflags: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)  # extra module@version to go get

    def local_replace(self, left: str, target: str) -> str | None:
        """Version to use for a dependency's replace ``left => ./local/dir``."""
        raise NotImplementedError


class Etcd(Engine):
    def local_replace(self, left: str, target: str) -> str | None:
        if "FORBIDDEN" in target:
            return None
        # api/v3, client/pkg/v3, client/v3, pkg/v3: released together with server/v3
        return "v" + self.version if left.startswith("go.etcd.io/etcd/") else None


class KubeApiserver(Engine):
    def local_replace(self, left: str, target: str) -> str | None:
        # k8s.io/<staging> => ./staging/src/k8s.io/<staging>: v0.<minor>.<patch>
        if target.startswith("./staging/"):
            return "v0." + self.version.split(".", 1)[1]
        return None


class Pulumi(Engine):
    def local_replace(self, left: str, target: str) -> str | None:
        # sdk/v3 => ../sdk (and pkg/v3 for the language host): the same release
        if left.startswith("github.com/pulumi/pulumi/"):
            return "v" + self.version
        return None


def make_engine(name: str, version: str) -> Engine:
    if name == "etcd":
        return Etcd(
            name=name,
            version=version,
            mains=[Main("go.etcd.io/etcd/server/v3", "v" + version, {"go.etcd.io/etcd/server/v3": "etcd"})],
            binaries=["etcd"],
            version_cmd=["--version"],
            expect=f"etcd Version: {version}",
            ldflags=["-s", "-w"],
        )
    if name == "kube-apiserver":
        major, minor, _ = version.split(".")
        ld = ["-s", "-w"]
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
            ld += [
                f"-X {pkg}.gitVersion=v{version}",
                f"-X {pkg}.gitMajor={major}",
                f"-X {pkg}.gitMinor={minor}",
                f"-X {pkg}.gitTreeState=clean",
            ]
        return KubeApiserver(
            name=name,
            version=version,
            mains=[Main("k8s.io/kubernetes", "v" + version,
                       {"k8s.io/kubernetes/cmd/kube-apiserver": "kube-apiserver"})],
            binaries=["kube-apiserver"],
            version_cmd=["--version"],
            expect=f"Kubernetes v{version}",
            ldflags=ld,
        )
    if name == "pulumi":
        mains = [Main("github.com/pulumi/pulumi/pkg/v3", "v" + version,
                      {"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi": "pulumi"})]
        binaries = ["pulumi", "pulumi-language-python-exec"]
        lang = PULUMI_LANGUAGE_PYTHON_FOR_CLI.get(version)
        if lang:
            mod = "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
            mains.append(Main(mod, lang, {mod: "pulumi-language-python"}))
            binaries.append("pulumi-language-python")
        return Pulumi(
            name=name,
            version=version,
            mains=mains,
            binaries=binaries,
            version_cmd=["version"],
            expect=f"v{version}",
            ldflags=["-s", "-w", f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v{version}"],
            tags=["osusergo", "grpcnotrace"],
            # pkg/v3 may require an older sdk/v3: build against the same release
            pins=[f"github.com/pulumi/pulumi/sdk/v3@v{version}"],
        )
    raise KeyError(name)


def engines() -> dict[str, Engine | str]:
    """name -> Engine, or a reason why it cannot be built here."""
    out: dict[str, Engine | str] = {}
    for name, version in pinned_versions().items():
        if version is None:
            out[name] = "no pulumi Python SDK in this interpreter (run with .venv/bin/python)"
        else:
            out[name] = make_engine(name, version)
    return out


# ------------------------------------------------------------------------- cache


def cache_root() -> Path:
    env = os.environ.get("LATTICE_GATEWAY_ENGINES")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "lattice-gateway" / "engines"


def _engine_home(name: str, version: str) -> Path:
    return cache_root() / f"{name}-{version}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_stamp(name: str) -> dict | None:
    version = pinned_versions().get(name)
    if version is None:
        return None
    try:
        return json.loads((_engine_home(name, version) / STAMP).read_text())
    except (OSError, ValueError):
        return None


def engine_dir(name: str, verify: bool = False) -> Path | None:
    """The engine's bin dir if it is built at the pinned version with a valid stamp.

    The stamp must name this engine and version, and every binary it lists must be
    there, executable, with the recorded size (and, with ``verify``, sha256).
    """
    version = pinned_versions().get(name)
    if version is None:
        return None
    home = _engine_home(name, version)
    stamp = read_stamp(name)
    if not stamp or stamp.get("name") != name or stamp.get("version") != version:
        return None
    binaries = stamp.get("binaries") or {}
    if not binaries:
        return None
    bindir = home / "bin"
    for fname, info in binaries.items():
        p = bindir / fname
        try:
            if p.stat().st_size != info["size"] or not os.access(p, os.X_OK):
                return None
            if verify and _sha256(p) != info["sha256"]:
                return None
        except (OSError, KeyError, TypeError):
            return None
    return bindir


# ------------------------------------------------------------------------- build


class BudgetExhausted(Exception):
    pass


class StepFailed(Exception):
    pass


def say(msg: str) -> None:
    print(msg, flush=True)


def find_go() -> str | None:
    go = shutil.which("go")
    if go is None and os.access("/usr/local/go/bin/go", os.X_OK):
        go = "/usr/local/go/bin/go"
    return go


def go_env(go: str) -> dict[str, str]:
    env = dict(os.environ)
    env["GO111MODULE"] = "on"
    env["GOWORK"] = "off"
    env["CGO_ENABLED"] = "0"
    env["PATH"] = str(Path(go).parent) + os.pathsep + env.get("PATH", "")
    return env


def run(argv: list[str], *, cwd: Path, env: dict, log: Path, deadline: float, label: str) -> int:
    """Run a command with output appended to ``log``; returns peak RSS in KiB.

    Raises BudgetExhausted (after killing the whole process group) when the deadline
    passes, StepFailed on a non-zero exit.
    """
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(argv)}\n")
        out.flush()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    start = time.monotonic()
    next_beat = start + HEARTBEAT
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = rc = os.waitstatus_to_exitcode(status)
                if rc != 0:
                    raise StepFailed(f"{argv[0]} {argv[1]} exited {rc}")
                return rusage.ru_maxrss
            now = time.monotonic()
            if now >= deadline:
                _kill(proc)
                raise BudgetExhausted()
            if now >= next_beat:
                say(f"ENGINES: ... still building {label} ({int(now - start)} s in this step)")
                next_beat += HEARTBEAT
            time.sleep(min(1.0, max(0.05, deadline - now)))
    except KeyboardInterrupt:
        _kill(proc)
        raise


def _kill(proc: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        end = time.monotonic() + grace
        while time.monotonic() < end:
            try:
                pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return
            time.sleep(0.1)


_COMMENT = re.compile(r"//.*$")


def parse_gomod(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(replaces as (left, right), godebug key=value lines) of a go.mod."""
    replaces: list[tuple[str, str]] = []
    godebug: list[str] = []
    block = None
    for raw in text.splitlines():
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = None
                continue
            body = line
        else:
            m = re.match(r"^(replace|godebug)\s*(\(?)\s*(.*)$", line)
            if not m:
                continue
            if m.group(2) == "(":
                block = m.group(1)
                continue
            block_kind, body = m.group(1), m.group(3)
            _collect(block_kind, body, replaces, godebug)
            continue
        _collect(block, body, replaces, godebug)
    return replaces, godebug


def _collect(kind: str, body: str, replaces: list, godebug: list) -> None:
    if kind == "replace" and "=>" in body:
        left, right = (s.strip() for s in body.split("=>", 1))
        replaces.append((left, right))
    elif kind == "godebug":
        godebug.append(body)


def wrapper_gomod(engine: Engine, deps: dict[str, str], go_version: str) -> str:
    """go.mod of the wrapper module: the mains' replaces (local ones turned into
    module versions) and godebug lines; requirements are added by ``go get``."""
    replaces: dict[str, str] = {}
    godebug: list[str] = []
    for main in engine.mains:
        reps, dbg = parse_gomod(deps[main.module])
        for d in dbg:
            if d not in godebug:
                godebug.append(d)
        for left, right in reps:
            target = right.split()
            if target[0].startswith((".", "/")):
                version = engine.local_replace(left.split()[0], target[0])
                if version is None:
                    continue
                right = f"{left.split()[0]} {version}"
            replaces[left] = right
    lines = [f"module lattice-gateway.local/engines/{engine.name}", "", f"go {go_version}", ""]
    if godebug:
        lines += ["godebug ("] + [f"\t{d}" for d in godebug] + [")", ""]
    if replaces:
        lines += ["replace ("] + [f"\t{k} => {v}" for k, v in sorted(replaces.items())] + [")", ""]
    return "\n".join(lines)


def go_version_of(go: str, env: dict) -> str:
    out = subprocess.run([go, "env", "GOVERSION"], env=env, capture_output=True, text=True, check=True,
                         timeout=120)
    return out.stdout.strip()  # e.g. go1.26.8


def build_engine(engine: Engine, go: str, deadline: float) -> dict:
    root = cache_root()
    final = _engine_home(engine.name, engine.version)
    logs = root / ".logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{engine.name}-{engine.version}.log"
    log.write_text(f"# {engine.name} {engine.version} {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
    for stale in root.glob(f".tmp-{engine.name}-{engine.version}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{engine.name}-{engine.version}-", dir=root))
    tmp.chmod(0o755)
    env = go_env(go)
    started = time.monotonic()
    peak = 0
    try:
        src, bindir = tmp / "src", tmp / "bin"
        src.mkdir()
        bindir.mkdir()
        goversion = go_version_of(go, env)
        label = engine.name

        def step(*args: str) -> None:
            nonlocal peak
            peak = max(peak, run([go, *args], cwd=src, env=env, log=log, deadline=deadline, label=label))

        # 1. the mains' own go.mod files, for their replace and godebug lines
        deps: dict[str, str] = {}
        for main in engine.mains:
            try:
                out = subprocess.run([go, "mod", "download", "-json", f"{main.module}@{main.version}"],
                                     cwd=src, env=env, capture_output=True, text=True,
                                     timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise BudgetExhausted() from None
            with log.open("a") as f:
                f.write(f"\n$ go mod download -json {main.module}@{main.version}\n{out.stdout}{out.stderr}")
            if out.returncode != 0:
                try:
                    why = json.loads(out.stdout)["Error"]
                except (ValueError, KeyError):
                    why = (out.stdout + out.stderr).strip()[-500:]
                raise StepFailed(f"go mod download {main.module}@{main.version}: {why}")
            deps[main.module] = Path(json.loads(out.stdout)["GoMod"]).read_text()
        # 2. wrapper module
        (src / "go.mod").write_text(wrapper_gomod(engine, deps, goversion.removeprefix("go")))
        tools = [f"{p}@{m.version}" for m in engine.mains for p in m.packages]
        step("get", "-tool", *tools)
        if engine.pins:
            step("get", *engine.pins)
        step("mod", "tidy")
        # 3. build
        for main in engine.mains:
            for pkg, binary in main.packages.items():
                argv = ["build", "-trimpath", "-o", str(bindir / binary)]
                if engine.tags:
                    argv += ["-tags", ",".join(engine.tags)]
                if engine.ldflags:
                    argv += ["-ldflags", " ".join(engine.ldflags)]
                step(*argv, pkg)
        if engine.name == "pulumi":
            sdk_dir = subprocess.run([go, "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi/sdk/v3"],
                                     cwd=src, env=env, capture_output=True, text=True, check=True,
                                     timeout=300).stdout.strip()
            shim = Path(sdk_dir) / "python" / "cmd" / "pulumi-language-python-exec"
            shutil.copyfile(shim, bindir / shim.name)
            (bindir / shim.name).chmod(0o755)
        seconds = round(time.monotonic() - started, 1)
        # 4. check
        version_out = check_version(engine, bindir)
        # 5. stamp, then move into place
        stamp = {
            "name": engine.name,
            "version": engine.version,
            "modules": {m.module: m.version for m in engine.mains},
            "pulumi_sdk": pulumi_sdk_version() if engine.name == "pulumi" else None,
            "go": goversion,
            "build_seconds": seconds,
            "peak_rss_mib": round(peak / 1024),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "version_output": version_out,
            "binaries": {f: {"size": (bindir / f).stat().st_size, "sha256": _sha256(bindir / f)}
                         for f in engine.binaries},
        }
        (tmp / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
        return stamp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def check_version(engine: Engine, bindir: Path) -> str:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, PULUMI_HOME=home, PULUMI_SKIP_UPDATE_CHECK="true")
        p = subprocess.run([str(bindir / engine.binaries[0]), *engine.version_cmd], env=env,
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = (p.stdout + p.stderr).strip()
    if p.returncode != 0 or not re.search(rf"(?<![\w.]){re.escape(engine.expect)}(?![\w.])", out):
        raise StepFailed(f"version check: expected {engine.expect!r}, got (exit {p.returncode}): {out[:300]!r}")
    return out


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def cmd_build(budget: float, only: list[str] | None) -> int:
    start = time.monotonic()
    deadline = start + budget
    specs = engines()
    names = [n for n in BUILD_ORDER if not only or n in only]
    unknown = sorted(set(only or ()) - set(BUILD_ORDER))
    if unknown:
        say(f"ENGINES: unknown engine(s) {', '.join(unknown)}; known: {', '.join(BUILD_ORDER)}")
        return 2
    _warn_stale_pins()
    todo: list[Engine] = []
    failed: list[str] = []
    for name in names:
        spec = specs[name]
        if isinstance(spec, str):
            say(f"ENGINES: {name}: cannot build: {spec}")
            failed.append(name)
        elif engine_dir(name):
            say(f"ENGINES: {name} {spec.version}: already built ({engine_dir(name)})")
        else:
            todo.append(spec)
    if todo:
        go = find_go()
        if go is None:
            say("ENGINES: no `go` on PATH; not building " + ", ".join(e.name for e in todo)
                + "; real-engine tests will be skipped")
            return 0
        root = cache_root()
        root.mkdir(parents=True, exist_ok=True)
        with (root / ".lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                say("ENGINES: another build holds the cache lock; waiting")
                fcntl.flock(lock, fcntl.LOCK_EX)
            for engine in todo:
                if engine_dir(engine.name):  # built by whoever held the lock
                    say(f"ENGINES: {engine.name} {engine.version}: already built ({engine_dir(engine.name)})")
                    continue
                say(f"ENGINES: building {engine.name} {engine.version} "
                    f"({int(deadline - time.monotonic())} s of budget left)")
                t0 = time.monotonic()
                try:
                    stamp = build_engine(engine, go, deadline)
                except BudgetExhausted:
                    rest = [e.name for e in todo[todo.index(engine):]]
                    say(f"ENGINES: budget of {int(budget)} s exhausted while building {engine.name} "
                        f"{engine.version}; not built: {', '.join(rest)}; real-engine tests will be skipped")
                    return 0
                except (StepFailed, subprocess.SubprocessError, OSError, ValueError, KeyError) as e:
                    log = cache_root() / ".logs" / f"{engine.name}-{engine.version}.log"
                    say(f"ENGINES: {engine.name} {engine.version}: BUILD FAILED after "
                        f"{time.monotonic() - t0:.0f} s: {e}\n--- tail of {log} ---\n{_tail(log)}\n---")
                    failed.append(engine.name)
                    continue
                say(f"ENGINES: {engine.name} {engine.version}: built and checked in {stamp['build_seconds']} s "
                    f"(peak RSS {stamp['peak_rss_mib']} MiB) -> {engine_dir(engine.name)}")
    if failed:
        say(f"ENGINES: FAILED: {', '.join(failed)}; their real-engine tests will be skipped")
    else:
        say(f"ENGINES: all of {', '.join(names)} ready ({time.monotonic() - start:.1f} s)")
    return 0


def _warn_stale_pins() -> None:
    kube = kubernetes_client_version()
    if kube and kube.split(".")[0] != KUBE_APISERVER_VERSION.split(".")[1]:
        say(f"ENGINES: note: kubernetes client {kube} but KUBE_APISERVER_VERSION is {KUBE_APISERVER_VERSION}; "
            "update the pin to the matching minor")
    sdk = pulumi_sdk_version()
    if sdk and sdk in PULUMI_CLI_FOR_SDK:
        say(f"ENGINES: note: pulumi/pkg/v3 v{sdk} is not served; building the CLI at "
            f"v{PULUMI_CLI_FOR_SDK[sdk]} for SDK {sdk}")


def cmd_status(verify: bool) -> int:
    for name, spec in engines().items():
        if isinstance(spec, str):
            print(f"{name:15} {'unavailable':11} {'-':9} {spec}")
            continue
        d = engine_dir(name, verify=verify)
        state = "built" if d else "missing"
        where = d or _engine_home(name, spec.version) / "bin"
        extra = ""
        stamp = read_stamp(name) if d else None
        if stamp:
            extra = f"  ({stamp.get('build_seconds')} s, {stamp.get('go')})"
        if name == "pulumi":
            extra += f"  [for pulumi SDK {pulumi_sdk_version()}]"
        print(f"{name:15} {state:11} {spec.version:9} {where}{extra}")
    return 0


def cmd_path(name: str) -> int:
    d = engine_dir(name)
    if d is None:
        return 1
    print(d)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the missing engines")
    b.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help="overall seconds (default %(default)s)")
    b.add_argument("--only", nargs="+", action="extend", metavar="NAME", choices=BUILD_ORDER)
    p = sub.add_parser("path", help="print an engine's bin dir, or exit 1")
    p.add_argument("name", choices=BUILD_ORDER)
    s = sub.add_parser("status", help="one line per engine")
    s.add_argument("--verify", action="store_true", help="also check the sha256 of every binary")
    a = ap.parse_args(argv)
    if a.cmd == "build":
        return cmd_build(a.budget, a.only)
    if a.cmd == "path":
        return cmd_path(a.name)
    return cmd_status(a.verify)


if __name__ == "__main__":
    sys.exit(main())
