"""How planning scales: the pure pipeline against the cost of merely reading its YAML.

Absolute times say little on a shared, noisy machine, so each size is measured side by
side with a floor that any planner must pay: parsing the same YAML files with the same
libyaml loader.  The goals are a full plan (``load_paths`` + ``pipeline.plan``: read,
parse into models, translate, contract check) within 2x that floor at 10,000 routes,
and linear growth (10x the routes in at most 12x the time).

The runs are interleaved (floor, full, stages, then again) and the best of the repeats
is kept, with a garbage collection before each and nothing of a previous run kept
alive, so neither side pays for the other's garbage.  The time CPython's cyclic
collector takes during the full run is reported too: with millions of live objects it
can dominate (``pipeline.plan`` pauses it for that reason; ``load_paths`` does not).

    python bench/plan_scale.py [--sizes 1000 10000] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from bench.generate import DEFAULT_SEED, fleet_settings, write_fleet  # noqa: E402
from components.specs import LatticeModel  # noqa: E402
from lattice_program.contract import pipeline  # noqa: E402
from lattice_program.contract.probes import API_PROBES  # noqa: E402
from lattice_program.sources import snapshot  # noqa: E402
from lattice_program.translate import translator  # noqa: E402
from lattice_program.vocabulary.settings import StackSettings  # noqa: E402
from lattice_program.sources.files import RawObject, load_paths  # noqa: E402
from lattice_program.vocabulary.status import Problem  # noqa: E402

FLOOR_RATIO_GOAL = 2.0
GROWTH_GOAL = 12.0
STAGES = ("load", "parse into models", "translate", "contract check")


@dataclass
class SizeResult:
    routes: int
    yaml_megabytes: float
    floor: float = float("inf")
    full: float = float("inf")
    full_collector: float = 0.0  # seconds in the cyclic collector during the best full run
    stages: Dict[str, float] = field(default_factory=lambda: {stage: float("inf") for stage in STAGES})

    @property
    def ratio(self) -> float:
        return self.full / self.floor


class CollectorClock:
    """Seconds spent in CPython's cyclic collector while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> "CollectorClock":
        gc.callbacks.append(self._on_collection)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._on_collection)

    def _on_collection(self, phase: str, info: Dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def _timed(work: Callable[[], object]) -> Tuple[float, float]:
    """(wall seconds, of which in the cyclic collector) of one run of ``work``."""
    gc.collect()
    with CollectorClock() as collector:
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
    return elapsed, collector.seconds


def parse_floor(files: Sequence[Path]) -> int:
    """Read and parse every file with libyaml's safe loader, nothing else."""
    documents = 0
    for path in files:
        documents += len(list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)))
    return documents


def full_plan(directory: Path, settings: StackSettings, routes: int) -> None:
    result = pipeline.plan(load_paths([str(directory)]), settings)
    _check_complete(result.model, result.problems, routes)


def staged_plan(directory: Path, settings: StackSettings, routes: int) -> Dict[str, float]:
    """The same work as ``full_plan``, stage by stage, with each stage timed, and the
    collector paused around the last three as ``pipeline.plan`` pauses it."""
    times: Dict[str, float] = {}
    start = time.perf_counter()
    raw = load_paths([str(directory)])
    times["load"] = time.perf_counter() - start

    collector_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _plan_stages(raw, settings, routes, times)
    finally:
        if collector_was_enabled:
            gc.enable()
    return times


def _plan_stages(raw: List[RawObject], settings: StackSettings, routes: int, times: Dict[str, float]) -> None:
    cluster = settings.cluster_list()[0].name  # the stack's one cluster, as pipeline.plan names it
    start = time.perf_counter()
    parsed = snapshot.parse(raw, default_namespace=settings.default_namespace, cluster=cluster)
    times["parse into models"] = time.perf_counter() - start

    start = time.perf_counter()
    translation = translator.translate({cluster: parsed.snapshot}, settings, contract=API_PROBES)
    times["translate"] = time.perf_counter() - start

    start = time.perf_counter()
    model = pipeline.enforce_contract(translation.model, translation.book)
    times["contract check"] = time.perf_counter() - start
    _check_complete(model, translation.book.problems, routes)


def _check_complete(model: LatticeModel, problems: Sequence[Problem], routes: int) -> None:
    """A benchmark of a plan that rejected half the fleet would flatter the planner."""
    planned = len(model.routes())
    if planned != routes or problems:
        raise SystemExit(f"the generated fleet did not plan cleanly: {planned} of {routes} routes planned, "
                         f"{len(problems)} problems (first: {problems[0] if problems else None})")


def measure(routes: int, *, repeat: int, seed: int, work_dir: Path) -> SizeResult:
    directory = work_dir / f"fleet-{routes}"
    files = write_fleet(directory, routes, seed=seed)
    result = SizeResult(routes, sum(p.stat().st_size for p in files) / 1e6)
    settings = fleet_settings(routes)
    for _ in range(repeat):
        result.floor = min(result.floor, _timed(lambda: parse_floor(files))[0])
        full, collector = _timed(lambda: full_plan(directory, settings, routes))
        if full < result.full:
            result.full, result.full_collector = full, collector
        gc.collect()
        for stage, seconds in staged_plan(directory, settings, routes).items():
            result.stages[stage] = min(result.stages[stage], seconds)
    return result


def print_report(results: Sequence[SizeResult]) -> None:
    print(f"{'routes':>7} {'YAML MB':>8} {'floor s':>8} {'full s':>8} {'full/floor':>11} {'full: in gc s':>14}")
    for r in results:
        print(f"{r.routes:>7} {r.yaml_megabytes:>8.1f} {r.floor:>8.2f} {r.full:>8.2f} {r.ratio:>11.2f} "
              f"{r.full_collector:>14.2f}")
    print()
    print("per-stage breakdown (best of repeats, seconds; share of their sum)")
    print(f"{'routes':>7} " + " ".join(f"{stage:>20}" for stage in STAGES))
    for r in results:
        total = sum(r.stages.values())
        cells = [f"{r.stages[stage]:>8.2f} ({r.stages[stage] / total:>5.1%})" for stage in STAGES]
        print(f"{r.routes:>7} " + " ".join(f"{cell:>20}" for cell in cells))
    print()
    largest = max(results, key=lambda r: r.routes)
    verdict = "met" if largest.ratio <= FLOOR_RATIO_GOAL else "MISSED"
    print(f"full/floor at {largest.routes} routes: {largest.ratio:.2f} (goal <= {FLOOR_RATIO_GOAL}): {verdict}")
    smallest = min(results, key=lambda r: r.routes)
    if largest.routes > smallest.routes:
        growth = largest.full / smallest.full
        size_factor = largest.routes / smallest.routes
        goal = GROWTH_GOAL * size_factor / 10
        verdict = "met" if growth <= goal else "MISSED"
        print(f"full {largest.routes}/{smallest.routes}: {growth:.2f}x for {size_factor:g}x the routes "
              f"(goal <= {goal:g}): {verdict}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="route counts to plan")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is kept")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated fleet")
    args = parser.parse_args(argv)
    if args.repeat < 1 or any(size < 1 for size in args.sizes):
        parser.error("--repeat and every --sizes value must be 1 or more")
    results: List[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="lattice-bench-") as work_dir:
        # The first plan imports what the stages load lazily (botocore's service model
        # for the contract check); no size should pay for that.
        measure(1, repeat=1, seed=args.seed, work_dir=Path(work_dir))
        for routes in sorted(set(args.sizes)):
            results.append(measure(routes, repeat=args.repeat, seed=args.seed, work_dir=Path(work_dir)))
            print(f"measured {routes} routes", file=sys.stderr, flush=True)
    print_report(results)


if __name__ == "__main__":
    main()
