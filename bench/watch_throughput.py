"""How fast informers take watch events into their caches, against merely parsing them.

The watch daemon's informers read each kind's watch stream as newline-delimited JSON and
decode it with orjson.  The floor is that decoding alone: ``orjson.loads`` over every
line of the same bodies, the least any watcher must pay.  The measured work is
``Informer.feed`` over those bodies: line splitting across chunks, decoding, the cache
update (resourceVersion ordering, ADDED/MODIFIED/DELETED), and one ``Change`` per event
handed to a consumer that does nothing.  The goal is the informer at half the floor's
rate or better.  Bodies are fed in one chunk per event (as the API server flushes them)
and in 64 KiB chunks; the best of the repeats is kept, with a garbage collection first.

Also reported:

* memory per 10,000 cached objects (tracemalloc), next to the same objects held as
  plain decoded dicts;
* LIST page decoding, ``json.loads`` (what ``sources.cluster`` uses) against orjson;
* an initial sync of every kind through the official client against the loopback API
  server double (``tests/support/kube_double.py``): requests per kind, which must be
  the pages of its LIST and nothing else (no per-object GET).  Its time is the double's
  (a Python HTTP server) more than the informers', so it is printed, not judged.

    python bench/watch_throughput.py [--objects 10000] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402

from bench.generate import DEFAULT_SEED, fleet_objects  # noqa: E402
from lattice_program.sources.cluster import KINDS, ClusterKind  # noqa: E402
from lattice_program.watch.cache import ClusterCache  # noqa: E402
from lattice_program.watch.informer import Informer  # noqa: E402
from tests.support.kube_double import KubeDouble  # noqa: E402

RATIO_GOAL = 0.5
LIST_PAGE_SIZE = 500
BIG_CHUNK = 64 * 1024
KIND_BY_NAME = {kind.kind: kind for kind in KINDS}


@dataclass
class Stream:
    """One kind's watch body: every object ADDED, then every object MODIFIED once."""

    kind: ClusterKind
    lines: List[bytes]

    @property
    def body(self) -> bytes:
        return b"".join(self.lines)


def fleet_streams(count: int, seed: int) -> List[Stream]:
    """Watch bodies for ``count`` objects of the fleet (Services, EndpointSlices, HTTPRoutes)."""
    routes = math.ceil(count / 5)  # each route brings two Services, two EndpointSlices and itself
    objects = [o for o in fleet_objects(routes, seed=seed) if o["kind"] not in ("GatewayClass", "Gateway")][:count]
    by_kind: Dict[str, List[dict]] = defaultdict(list)
    for revision, body in enumerate(objects, start=2):
        body["metadata"]["resourceVersion"] = str(revision)
        by_kind[body["kind"]].append(body)
    streams = []
    revision = len(objects) + 2
    for kind, bodies in by_kind.items():
        lines = [orjson.dumps({"type": "ADDED", "object": body}) + b"\n" for body in bodies]
        for body in bodies:
            modified = {**body, "metadata": {**body["metadata"], "resourceVersion": str(revision)}}
            lines.append(orjson.dumps({"type": "MODIFIED", "object": modified}) + b"\n")
            revision += 1
        streams.append(Stream(KIND_BY_NAME[kind], lines))
    return streams


def floor(streams: Sequence[Stream]) -> None:
    for stream in streams:
        for line in stream.body.split(b"\n"):
            if line:
                orjson.loads(line)


def feed(streams: Sequence[Stream], chunking: str) -> List[Informer]:
    informers = []
    for stream in streams:
        informer = Informer(None, stream.kind, cluster="bench", on_change=_ignore)
        if chunking == "event":
            informer.feed(stream.lines)
        else:
            body = stream.body
            informer.feed(body[i:i + BIG_CHUNK] for i in range(0, len(body), BIG_CHUNK))
        informers.append(informer)
    return informers


def _ignore(change: object) -> None:
    pass


def _best(current: float, work: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    work()
    return min(current, time.perf_counter() - started)


@dataclass
class Result:
    objects: int
    events: int
    megabytes: float
    floor: float = float("inf")
    informer: Dict[str, float] = field(default_factory=lambda: {"event": float("inf"), "64KiB": float("inf")})
    cache_bytes: int = 0
    dict_bytes: int = 0
    list_json: float = float("inf")
    list_orjson: float = float("inf")
    list_megabytes: float = 0.0
    # Per kind: name, objects, pages its list needs, LIST requests, GETs, watch requests.
    sync: List[Tuple[str, int, int, int, int, int]] = field(default_factory=list)
    sync_seconds: float = 0.0

    def ratio(self, chunking: str) -> float:
        return self.floor / self.informer[chunking]  # rates: informer events/s over floor events/s


def measure(count: int, *, repeat: int, seed: int) -> Result:
    streams = fleet_streams(count, seed)
    objects = sum(len(s.lines) for s in streams) // 2
    result = Result(objects, sum(len(s.lines) for s in streams), sum(len(s.body) for s in streams) / 1e6)
    for _ in range(repeat):  # interleaved, so drift on a noisy machine hits both sides alike
        result.floor = _best(result.floor, lambda: floor(streams))
        for chunking in result.informer:
            result.informer[chunking] = _best(result.informer[chunking], lambda: feed(streams, chunking))
    result.cache_bytes, result.dict_bytes = _memory(streams)
    _list_decoding(result, streams, repeat)
    _initial_sync(result, streams)
    return result


def _memory(streams: Sequence[Stream]) -> Tuple[int, int]:
    """Bytes held by caches of every object, and by the same objects as plain dicts."""
    added = [Stream(s.kind, s.lines[:len(s.lines) // 2]) for s in streams]
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        informers = feed(added, "event")
        gc.collect()
        cache_bytes = tracemalloc.get_traced_memory()[0] - base
        del informers
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        plain = [orjson.loads(line)["object"] for s in added for line in s.lines]
        gc.collect()
        dict_bytes = tracemalloc.get_traced_memory()[0] - base
        del plain
    finally:
        tracemalloc.stop()
    return cache_bytes, dict_bytes


def _list_decoding(result: Result, streams: Sequence[Stream], repeat: int) -> None:
    """One LIST page of each kind, as the API server answers it, decoded both ways."""
    pages = []
    for stream in streams:
        items = [orjson.loads(line)["object"] for line in stream.lines[:LIST_PAGE_SIZE]]
        pages.append(orjson.dumps({"kind": f"{stream.kind.kind}List", "metadata": {"resourceVersion": "1"},
                                   "items": [{k: v for k, v in i.items() if k not in ("apiVersion", "kind")}
                                             for i in items]}))
    result.list_megabytes = sum(map(len, pages)) / 1e6
    for _ in range(repeat * 3):
        result.list_json = _best(result.list_json, lambda: [json.loads(page) for page in pages])
        result.list_orjson = _best(result.list_orjson, lambda: [orjson.loads(page) for page in pages])


def _initial_sync(result: Result, streams: Sequence[Stream]) -> None:
    # The double serves no optional CRD; the informers' warning for each would clutter the report.
    logging.getLogger("lattice_program.watch").setLevel(logging.ERROR)
    with KubeDouble() as double:
        for stream in streams:
            double.store.put_all([orjson.loads(line)["object"] for line in stream.lines[:len(stream.lines) // 2]])
        client = double.api_client()
        try:
            started = time.perf_counter()
            cache = ClusterCache(client, "bench", page_size=LIST_PAGE_SIZE)
            if not cache.wait_synced(300) or not cache.complete:
                raise SystemExit(f"the initial sync did not complete: {cache.failures()}")
            result.sync_seconds = time.perf_counter() - started
            held = Counter(raw.body["kind"] for raw in cache.objects())
            served = sum(informer.served for informer in cache.informers.values())
            deadline = time.monotonic() + 10
            while sum(1 for r in double.requests if r.is_watch) < served and time.monotonic() < deadline:
                time.sleep(0.01)  # every served kind's watch is open: the sync's requests are all in
            cache.stop()
        finally:
            client.close()
        for kind in KINDS:
            requests = double.requests_for(kind.plural)
            lists = sum(1 for r in requests if not r.is_watch and r.path.endswith(f"/{kind.plural}"))
            gets = sum(1 for r in requests if not r.path.endswith(f"/{kind.plural}"))
            watches = sum(1 for r in requests if r.is_watch)
            pages = max(1, math.ceil(held[kind.kind] / LIST_PAGE_SIZE))
            result.sync.append((kind.kind, held[kind.kind], pages, lists, gets, watches))


def print_report(result: Result) -> None:
    print(f"{result.objects} objects, {result.events} events, {result.megabytes:.1f} MB of watch bodies")
    print(f"{'chunks':>8} {'floor s':>8} {'informer s':>10} {'floor events/s':>15} {'informer events/s':>18} "
          f"{'informer/floor':>15}")
    for chunking, seconds in result.informer.items():
        print(f"{chunking:>8} {result.floor:>8.3f} {seconds:>10.3f} {result.events / result.floor:>15,.0f} "
              f"{result.events / seconds:>18,.0f} {result.ratio(chunking):>15.2f}")
    print()
    per = 10_000 / result.objects / 1e6
    print(f"memory per 10,000 cached objects: {result.cache_bytes * per:.1f} MB in the caches, "
          f"{result.dict_bytes * per:.1f} MB as plain decoded dicts ({result.cache_bytes / result.dict_bytes:.2f}x)")
    print(f"LIST page decoding ({result.list_megabytes:.1f} MB): json.loads {result.list_json * 1000:.1f} ms, "
          f"orjson.loads {result.list_orjson * 1000:.1f} ms ({result.list_json / result.list_orjson:.1f}x faster)")
    print()
    print(f"initial sync through the official client and the loopback double: {result.sync_seconds:.2f} s")
    print(f"{'kind':>22} {'objects':>8} {'pages':>6} {'LISTs':>6} {'GETs':>5} {'watches':>8}")
    for kind, objects, pages, lists, gets, watches in result.sync:
        print(f"{kind:>22} {objects:>8} {pages:>6} {lists:>6} {gets:>5} {watches:>8}")
    served = [row for row in result.sync if row[5]]
    exact = all(lists == pages and gets == 0 for _, _, pages, lists, gets, _ in served)
    print(f"requests per served kind = pages of its LIST, no GET: {'met' if exact else 'MISSED'} "
          f"(a kind that is not served costs one 404 per version it may be served as)")
    worst = min(result.ratio(chunking) for chunking in result.informer)
    verdict = "met" if worst >= RATIO_GOAL else "MISSED"
    print(f"informer/floor (events/s), worse chunking: {worst:.2f} (goal >= {RATIO_GOAL}): {verdict}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=10_000, help="objects in the watch bodies")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is kept")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated fleet")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.objects < 5:
        parser.error("--repeat must be 1 or more and --objects 5 or more")
    print_report(measure(args.objects, repeat=args.repeat, seed=args.seed))


if __name__ == "__main__":
    main()
