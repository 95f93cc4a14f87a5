"""Every kind the translator reads, on one cluster: one informer per kind, each on a
daemon thread of its own, and what they hold as the cluster source's RawObjects.

The objects are the ones :func:`~lattice_program.sources.cluster.read_cluster` would
return (same normalization, same origins), so planning from the cache and planning from
a one-shot read are the same thing.  The safety rule is the cluster source's too: only
a :attr:`ClusterCache.complete` cache may be used to plan deletions.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

from kubernetes import client as k8s_client

from lattice_program.sources.cluster import KINDS, ClusterKind, origin_of
from lattice_program.sources.files import RawObject
from lattice_program.watch.informer import Change, Informer

log = logging.getLogger("lattice_program.watch")


class ClusterCache:
    """Informers for ``kinds`` on one cluster, each started on a daemon thread; :meth:`stop` them."""

    def __init__(self, api_client: k8s_client.ApiClient, cluster: str, kinds: Tuple[ClusterKind, ...] = KINDS, *,
                 on_change: Optional[Callable[[Change], None]] = None, start: bool = True, **informer_options: Any):
        """``informer_options`` are passed to every :class:`Informer` (page size, backoff,
        timeouts); with ``start=False`` the threads wait for :meth:`start`."""
        self.cluster = cluster
        self.informers: Dict[str, Informer] = {
            kind.kind: Informer(api_client, kind, cluster=cluster, on_change=on_change, **informer_options)
            for kind in kinds
        }
        self._stop = threading.Event()
        self._threads: Tuple[threading.Thread, ...] = ()
        pool = getattr(getattr(api_client, "configuration", None), "connection_pool_maxsize", None)
        if isinstance(pool, int) and pool < len(kinds):
            log.warning("cluster %s: the API client pools %d connections for %d informers that each hold a "
                        "watch; urllib3 will discard the rest (set Configuration.connection_pool_maxsize to %d "
                        "or more)", cluster, pool, len(kinds), len(kinds))
        if start:
            self.start()

    def start(self) -> "ClusterCache":
        if self._threads:
            raise RuntimeError(f"the cache of cluster {self.cluster!r} is already started")
        self._threads = tuple(
            threading.Thread(target=informer.run, args=(self._stop,), name=f"informer/{self.cluster}/{kind}",
                             daemon=True)
            for kind, informer in self.informers.items()
        )
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop every informer; whether all threads ended within ``timeout`` seconds."""
        self._stop.set()
        for informer in self.informers.values():
            informer.interrupt()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def __enter__(self) -> "ClusterCache":
        return self if self._threads else self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- state ------------------------------------------------------------------------------

    def wait_synced(self, timeout: Optional[float] = None) -> bool:
        """Wait until every informer has listed its kind once; whether they all did in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for informer in self.informers.values():
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not informer.synced.wait(remaining):
                return False
        return True

    @property
    def synced(self) -> bool:
        return all(informer.synced.is_set() for informer in self.informers.values())

    @property
    def complete(self) -> bool:
        """Every kind synced, its last list good, and every required kind served."""
        return all(informer.complete for informer in self.informers.values())

    def failures(self) -> Tuple[str, ...]:
        """``"<kind>: <reason>"`` for every informer that is not complete."""
        return tuple(f"{kind}: {informer.failure}" for kind, informer in self.informers.items()
                     if not informer.complete)

    def objects(self) -> Tuple[RawObject, ...]:
        """Copies of every cached object, kind by kind in ``kinds`` order."""
        return tuple(RawObject(body, origin_of(self.cluster, informer.kind, body))
                     for informer in self.informers.values() for body in informer.objects())
