"""What the real Pulumi engine costs: a real ``up`` beside the program under mocks.

``up`` of the checkout example and of a fleet of N routes, through the pulumi CLI that
``tools/engines.py`` built, the provider double (the ``aws`` plugin) and the strict
VPC Lattice emulator on loopback, then a second ``up`` (nothing to change).  Beside
each, the same program recorded under Pulumi's mock runtime, which registers the same
resources with no engine at all.  ratio = real up / mocks: the engine's share, with the
provider double's and emulator's calls inside it (AWS would be slower).

    .venv/bin/python bench/real_up.py [--routes 200] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi import automation as auto  # noqa: E402

from bench.generate import fleet_settings, fleet_yaml  # noqa: E402
from lattice_program.engine.automation import StackTarget, run_operation  # noqa: E402
from lattice_program.program.mock_plan import record_program  # noqa: E402
from lattice_program.program.stack import run_objects  # noqa: E402
from lattice_program.sources.files import load_paths, load_text  # noqa: E402
from lattice_program.vocabulary.settings import StackSettings  # noqa: E402
from tests.support.aws_provider import install_plugin  # noqa: E402
from tests.support.engines import engines_module  # noqa: E402
from tests.support.lattice_emulator import LatticeEmulator, Quotas  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VPC = "vpc-0a1b2c3d4e5f60789"


def offline_pulumi(scratch: Path, emulator: LatticeEmulator) -> None:
    bin_dir = engines_module().engine_dir("pulumi")
    if bin_dir is None:
        sys.exit("the pulumi CLI is not built: .venv/bin/python tools/engines.py build --only pulumi")
    home, state = scratch / "home", scratch / "state"
    state.mkdir(parents=True)
    install_plugin(home)
    os.environ.update({"PULUMI_HOME": str(home), "PULUMI_BACKEND_URL": f"file://{state}",
                       "PULUMI_CONFIG_PASSPHRASE": "bench", "PULUMI_SKIP_UPDATE_CHECK": "true",
                       "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                       "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **emulator.environ()})


def project(scratch: Path, name: str) -> Path:
    work = scratch / name
    work.mkdir()
    (work / "Pulumi.yaml").write_text("name: lattice-bench\nruntime: python\n")
    return work


def timed(action: Callable[[], object]) -> Tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def measure(name: str, objects, settings: StackSettings, scratch: Path) -> Dict[str, float]:
    program = lambda: run_objects({settings.cluster_list()[0].name: objects}, settings)  # noqa: E731
    mocks, planned = timed(lambda: record_program(program, project="lattice-bench", stack=name))
    target = StackTarget(stack=name, work_dir=project(scratch, name), program=program)
    auto.create_or_select_stack(name, work_dir=str(target.work_dir), program=program).set_all_config(
        {"aws:region": auto.ConfigValue("us-west-2"), "aws:skipCredentialsValidation": auto.ConfigValue("true")})
    first, result = timed(lambda: run_operation(target, "up"))
    second, again = timed(lambda: run_operation(target, "up"))
    assert set(again.summary) == {"same"}, again.summary
    return {"resources": len(planned), "mocks": mocks, "up": first, "second_up": second,
            "created": result.summary.get("create", 0)}


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, nargs="+", default=[200])
    args = parser.parse_args(argv)
    cases = [("checkout", load_paths([str(ROOT / "examples" / "checkout-ab")]), StackSettings(vpc_id=VPC))]
    for routes in args.routes:
        # One VPC per case: a VPC is associated with one service network at a time.
        settings = fleet_settings(routes).model_copy(update={"vpc_id": f"vpc-{routes:017d}"})
        cases.append((f"fleet-{routes}", load_text(fleet_yaml(routes)), settings))
    with tempfile.TemporaryDirectory(prefix="lattice-bench-") as scratch, \
            LatticeEmulator(quotas=Quotas(service_associations_per_service_network=100_000,
                                           target_groups_per_region=100_000)) as emulator:
        offline_pulumi(Path(scratch), emulator)
        print(f"{'case':<12} {'resources':>9} {'mocks s':>8} {'up s':>8} {'up/mocks':>9} {'2nd up s':>9} "
              f"{'ms/resource':>12}")
        for name, objects, settings in cases:
            r = measure(name, objects, settings, Path(scratch))
            print(f"{name:<12} {r['resources']:>9} {r['mocks']:>8.2f} {r['up']:>8.2f} {r['up'] / r['mocks']:>8.1f}x "
                  f"{r['second_up']:>9.2f} {1000 * r['up'] / r['resources']:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
