"""How long ``latticectl --help`` takes, and whether it loads what it must not.

``--help`` is the first thing anyone runs; it should answer in well under half a
second, which it cannot if it imports Pulumi, pulumi-aws or botocore (the commands defer
those imports for that reason).  Each command is started as a fresh process, best of
``--repeat``, next to ``python -c pass`` (the interpreter's own start-up) as the floor.
``python -X importtime`` then names the heaviest imports and says whether any of the
forbidden packages was loaded.

    python bench/help_time.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
ABSOLUTE_GOAL_SECONDS = 0.5
FORBIDDEN_PACKAGES = ("pulumi_aws", "pulumi", "botocore")
# "import time:       self [us] |  cumulative | imported package", then one line per import
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True)
class Timing:
    label: str
    best: float


def best_of(command: Sequence[str], repeat: int, *, expect_in_output: Optional[str] = None) -> float:
    """Best wall time of ``repeat`` runs of ``command`` from the repo root; the command
    must succeed (and print ``expect_in_output``), or the figure would mean nothing."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if completed.returncode != 0 or (expect_in_output and expect_in_output not in completed.stdout):
            raise SystemExit(f"{' '.join(command)} failed (exit {completed.returncode}):\n"
                             f"{completed.stdout}{completed.stderr}")
        best = min(best, elapsed)
    return best


@dataclass(frozen=True)
class ImportRecord:
    module: str
    cumulative_us: int
    depth: int  # 0: imported by the program itself, 1: by one of those, ...


def imported_modules(command: Sequence[str]) -> List[ImportRecord]:
    """Every import of one ``-X importtime`` run of ``command``."""
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                               env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {completed.returncode}):\n{completed.stderr}")
    modules = [ImportRecord(found.group(4), int(found.group(2)), (len(found.group(3)) - 1) // 2)
               for found in map(_IMPORT_LINE.match, completed.stderr.splitlines()) if found]
    if not modules:
        raise SystemExit("python -X importtime printed no import lines; cannot tell what --help imported")
    return modules


def heaviest_packages(modules: Sequence[ImportRecord]) -> List[Tuple[str, int]]:
    """Top-level packages by the import time they cost the program, heaviest first: the
    cumulative times of the program's own imports (depth 0, which never overlap),
    summed per top-level package."""
    by_package: Dict[str, int] = {}
    for record in modules:
        if record.depth == 0:
            package = record.module.split(".")[0]
            by_package[package] = by_package.get(package, 0) + record.cumulative_us
    return sorted(by_package.items(), key=lambda item: item[1], reverse=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per command; the best is kept")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")

    floor = Timing("python -c pass", best_of([sys.executable, "-c", "pass"], args.repeat))
    timings = [Timing("python -m cli.main --help",
                      best_of([sys.executable, "-m", "cli.main", "--help"], args.repeat, expect_in_output="Usage"))]
    console_script = shutil.which("latticectl")
    if console_script:
        timings.append(Timing(f"latticectl --help ({console_script})",
                              best_of([console_script, "--help"], args.repeat, expect_in_output="Usage")))

    width = max(len(t.label) for t in [floor, *timings])
    print(f"{'command':<{width}} {'best s':>7} {'x python -c pass':>17}")
    for timing in [floor, *timings]:
        print(f"{timing.label:<{width}} {timing.best:>7.3f} {timing.best / floor.best:>17.2f}")
    if not console_script:
        print("latticectl console script: not on PATH (pip install -e . to time it)")
    print()

    modules = imported_modules([sys.executable, "-X", "importtime", "-m", "cli.main", "--help"])
    for package in FORBIDDEN_PACKAGES:
        loaded = [r.module for r in modules if r.module == package or r.module.startswith(package + ".")]
        print(f"{package} imported during --help: {'YES (' + str(len(loaded)) + ' modules)' if loaded else 'no'}")
    heaviest = ", ".join(f"{name} {micros / 1000:.0f} ms" for name, micros in heaviest_packages(modules)[:6])
    print(f"heaviest imports (cumulative, under -X importtime): {heaviest}")
    print()

    slowest = max(timings, key=lambda t: t.best)
    verdict = "met" if slowest.best < ABSOLUTE_GOAL_SECONDS else "MISSED"
    print(f"--help: {slowest.best:.3f} s (goal < {ABSOLUTE_GOAL_SECONDS} s): {verdict}")


if __name__ == "__main__":
    main()
