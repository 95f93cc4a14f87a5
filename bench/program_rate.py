"""How fast the Pulumi program registers resources, against a program that does nothing else.

The real program (``declare``: components, Output wiring between resources, rule
chaining, stack outputs) is run under Pulumi's mock runtime by ``record_plan``, exactly
as ``latticectl plan`` runs it.  The floor registers the same number of resources of the
same ``pulumi_aws.vpclattice`` types (counted from the recorded plan), top-level, with
constant inputs of the same shape and no translation, components or Outputs.  It runs
under the same mocks (``mock_plan``'s recorder class, not a look-alike) in the same
isolation: a thread of its own, a fresh event loop, ``wait_for_rpcs``, the recorded
plan read back.  Whatever the floor costs is the SDK's price per resource; the goal is
the program within 1.3x of it.

As a check that the floor's harness is the same as ``record_plan``'s, the real program
is also run once through the floor's harness; its time should match ``record_plan``'s.

    python bench/program_rate.py [--routes 200 1000] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


import pulumi  # noqa: E402
from pulumi_aws import vpclattice  # noqa: E402

from bench.generate import DEFAULT_SEED, fleet_settings, fleet_yaml  # noqa: E402
from components.specs import LatticeModel  # noqa: E402
from lattice_program.program import mock_plan  # noqa: E402
from lattice_program.contract.pipeline import plan  # noqa: E402
from lattice_program.program.declare import declare  # noqa: E402
from lattice_program.sources.files import load_text  # noqa: E402

RATIO_GOAL = 1.3
PROJECT, STACK = "lattice-gateway", "bench"
COMPONENT_PREFIX = "lattice:"

_TAGS = {"lattice-gateway/route": "HTTPRoute/team-000/app-00000", "lattice-gateway/cluster": "default"}


def _constant_resource(type_token: str, name: str) -> pulumi.CustomResource:
    """One resource of ``type_token`` with fixed inputs shaped like the program's."""
    if type_token == "aws:vpclattice/serviceNetwork:ServiceNetwork":
        return vpclattice.ServiceNetwork(name, name="fleet", auth_type="NONE", tags=_TAGS)
    if type_token == "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation":
        return vpclattice.ServiceNetworkVpcAssociation(
            name, service_network_identifier="sn-0123456789abcdef0", vpc_identifier="vpc-00000000000000000", tags=_TAGS)
    if type_token == "aws:vpclattice/service:Service":
        return vpclattice.Service(name, name="httproute-team-000-app-00000-0a1b2c3d", auth_type="NONE", tags=_TAGS)
    if type_token == "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation":
        return vpclattice.ServiceNetworkServiceAssociation(
            name, service_identifier="svc-0123456789abcdef0", service_network_identifier="sn-0123456789abcdef0",
            tags=_TAGS)
    if type_token == "aws:vpclattice/targetGroup:TargetGroup":
        return vpclattice.TargetGroup(
            name, name="k8s-app-00000-stable-80-0a1b2c3d", type="IP",
            config=vpclattice.TargetGroupConfigArgs(port=80, protocol="HTTP", protocol_version="HTTP1",
                                                    vpc_identifier="vpc-00000000000000000", ip_address_type="IPV4"),
            tags=_TAGS)
    if type_token == "aws:vpclattice/listener:Listener":
        return vpclattice.Listener(
            name, name="http-80", port=80, protocol="HTTP", service_identifier="svc-0123456789abcdef0",
            default_action=vpclattice.ListenerDefaultActionArgs(
                fixed_response=vpclattice.ListenerDefaultActionFixedResponseArgs(status_code=404)),
            tags=_TAGS)
    if type_token == "aws:vpclattice/listenerRule:ListenerRule":
        return vpclattice.ListenerRule(
            name, name="rule-0a1b2c3d4e", priority=10, service_identifier="svc-0123456789abcdef0",
            listener_identifier="listener-0123456789abcdef0",
            match=vpclattice.ListenerRuleMatchArgs(http_match=vpclattice.ListenerRuleMatchHttpMatchArgs(
                path_match=vpclattice.ListenerRuleMatchHttpMatchPathMatchArgs(
                    case_sensitive=True,
                    match=vpclattice.ListenerRuleMatchHttpMatchPathMatchMatchArgs(prefix="/app-00000/api")),
                header_matches=[vpclattice.ListenerRuleMatchHttpMatchHeaderMatchArgs(
                    name="x-variant", case_sensitive=False,
                    match=vpclattice.ListenerRuleMatchHttpMatchHeaderMatchMatchArgs(exact="beta"))])),
            action=vpclattice.ListenerRuleActionArgs(forward=vpclattice.ListenerRuleActionForwardArgs(target_groups=[
                vpclattice.ListenerRuleActionForwardTargetGroupArgs(target_group_identifier="tg-0123456789abcdef0",
                                                                    weight=90),
                vpclattice.ListenerRuleActionForwardTargetGroupArgs(target_group_identifier="tg-0123456789abcdef1",
                                                                    weight=10),
            ])),
            tags=_TAGS)
    raise ValueError(f"the floor program has no constant inputs for {type_token}; add them to _constant_resource")


def floor_program(counts: Dict[str, int]) -> Callable[[], None]:
    """A program that declares ``counts[type]`` resources of each type, and nothing else."""
    def program() -> None:
        for type_token, count in counts.items():
            for index in range(count):
                _constant_resource(type_token, f"floor-{index}")
    return program


def run_under_mocks(program: Callable[[], object]) -> List[mock_plan.PlannedResource]:
    """``record_plan``'s harness with ``declare(model)`` replaced by ``program``."""
    return mock_plan.record_program(program, project=PROJECT, stack=STACK)


@dataclass
class RateResult:
    routes: int
    custom: int  # pulumi_aws resources
    components: int
    floor: float = float("inf")
    program: float = float("inf")
    program_in_floor_harness: float = float("inf")

    @property
    def ratio(self) -> float:
        return self.program / self.floor


def _best(current: float, work: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    work()
    return min(current, time.perf_counter() - start)


def measure(routes: int, *, repeat: int, seed: int) -> RateResult:
    model = _fleet_model(routes, seed)
    planned = mock_plan.record_plan(model, project=PROJECT, stack=STACK)
    counts = Counter(r.type for r in planned)
    custom = {t: n for t, n in counts.items() if not t.startswith(COMPONENT_PREFIX)}
    floor = floor_program(custom)
    floor_counts = Counter(r.type for r in run_under_mocks(floor))
    if floor_counts != Counter(custom):
        raise SystemExit(f"the floor registered {dict(floor_counts)}, not the program's {custom}")
    result = RateResult(routes, sum(custom.values()), sum(counts.values()) - sum(custom.values()))
    del planned
    for _ in range(repeat):
        result.floor = _best(result.floor, lambda: run_under_mocks(floor))
        result.program = _best(result.program, lambda: mock_plan.record_plan(model, project=PROJECT, stack=STACK))
    # One run is enough for the harness check, which is a sanity check, not a figure.
    result.program_in_floor_harness = _best(result.program_in_floor_harness,
                                            lambda: run_under_mocks(lambda: declare(model)))
    return result


def _fleet_model(routes: int, seed: int) -> LatticeModel:
    result = plan(load_text(fleet_yaml(routes, seed=seed), "<fleet>"), fleet_settings(routes))
    if result.problems or len(result.model.routes()) != routes:
        raise SystemExit(f"the generated fleet did not plan cleanly: {len(result.model.routes())} of {routes} "
                         f"routes, {len(result.problems)} problems")
    return result.model


def print_report(results: Sequence[RateResult]) -> None:
    print(f"{'routes':>6} {'resources':>9} {'+components':>11} {'floor s':>8} {'program s':>9} "
          f"{'floor ms/res':>12} {'program ms/res':>14} {'floor res/s':>11} {'program res/s':>13} "
          f"{'program/floor':>13}")
    for r in results:
        print(f"{r.routes:>6} {r.custom:>9} {r.components:>11} {r.floor:>8.2f} {r.program:>9.2f} "
              f"{r.floor / r.custom * 1000:>12.3f} {r.program / r.custom * 1000:>14.3f} "
              f"{r.custom / r.floor:>11.0f} {r.custom / r.program:>13.0f} {r.ratio:>13.2f}")
    print()
    print("per-resource figures count the pulumi_aws resources only; the program also registers the "
          "components in '+components' (the floor has none)")
    for r in results:
        print(f"harness check at {r.routes} routes: declare() through the floor's harness "
              f"{r.program_in_floor_harness:.2f} s vs record_plan {r.program:.2f} s")
    largest = max(results, key=lambda r: r.routes)
    verdict = "met" if largest.ratio <= RATIO_GOAL else "MISSED"
    print(f"program/floor at {largest.routes} routes: {largest.ratio:.2f} (goal <= {RATIO_GOAL}): {verdict}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, nargs="+", default=[200, 1000], help="fleet sizes (HTTPRoutes)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is kept")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated fleet")
    args = parser.parse_args(argv)
    if args.repeat < 1 or any(n < 1 for n in args.routes):
        parser.error("--repeat and every --routes value must be 1 or more")
    results = []
    for routes in sorted(set(args.routes)):
        results.append(measure(routes, repeat=args.repeat, seed=args.seed))
        print(f"measured {routes} routes", file=sys.stderr, flush=True)
    print_report(results)


if __name__ == "__main__":
    main()
