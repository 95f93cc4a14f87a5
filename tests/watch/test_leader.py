"""Leader election on a real Lease: one leader, standbys, hand-over on release, takeover
after a crash, and never two leaders at once (a sampler checks that in every test).

Short durations throughout: lease 2 s, renew deadline 1.5 s, retry 0.3 s."""

from __future__ import annotations

import functools
import os
import socket
import threading
import time
from typing import Iterator, List, Optional

import pytest
import urllib3
from kubernetes import client

from tests.support.kube import KubeApiServer
from lattice_program.watch.leader import HOLDER_HOST, HOLDER_PID, LeaderElector
from tests.support.waiting import eventually as wait_until

real = pytest.mark.needs_kube_apiserver

LEASE, RENEW, RETRY = 2.0, 1.5, 0.3
NAME = "lattice-gateway-dev"


eventually = functools.partial(wait_until, timeout=5.0)


class Electors:
    """Electors of one lease, each on a thread, and a sampler that fails the test if two
    of them ever lead at once."""

    def __init__(self, server: KubeApiServer, namespace: str):
        self.server, self.namespace = server, namespace
        self.electors: List[LeaderElector] = []
        self.threads: List[threading.Thread] = []
        self.stops: List[threading.Event] = []
        self.events: List[str] = []
        self.overlaps = 0
        self.samples = 0
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            if sum(elector.is_leader for elector in list(self.electors)) > 1:
                self.overlaps += 1
            self.samples += 1
            time.sleep(0.0005)

    def make(self, identity: str, api=None, elector_class=LeaderElector, **options) -> LeaderElector:
        return elector_class(api or self.server.api_client(), self.namespace, NAME, identity,
                             lease_duration=LEASE, renew_deadline=RENEW, retry_period=RETRY,
                             on_started_leading=lambda: self.events.append(f"{identity} started"),
                             on_stopped_leading=lambda: self.events.append(f"{identity} stopped"), **options)

    def start(self, identity: str, **options) -> LeaderElector:
        elector = self.make(identity, **options)
        stop = threading.Event()
        thread = threading.Thread(target=elector.run, args=(stop,), name=f"elector/{identity}", daemon=True)
        self.electors.append(elector)
        self.threads.append(thread)
        self.stops.append(stop)
        thread.start()
        return elector

    def stop(self, elector: LeaderElector) -> None:
        index = self.electors.index(elector)
        self.stops[index].set()
        self.threads[index].join(3.0)
        assert not self.threads[index].is_alive()

    def close(self) -> None:
        for stop in self.stops:
            stop.set()
        for thread in self.threads:
            thread.join(3.0)
        self._done.set()
        self._sampler.join()

    def lease(self) -> client.V1Lease:
        return client.CoordinationV1Api(self.server.api_client()).read_namespaced_lease(NAME, self.namespace)


@pytest.fixture
def electors(kube_apiserver, kube_namespace) -> Iterator[Electors]:
    group = Electors(kube_apiserver, kube_namespace)
    try:
        yield group
    finally:
        group.close()
    assert group.samples > 0
    assert group.overlaps == 0, "two electors led at the same time"


@real
def test_one_elector_becomes_leader_and_renews(electors):
    a = electors.start("a")

    eventually(lambda: a.is_leader)
    lease = electors.lease()
    assert lease.spec.holder_identity == "a" and a.leader_identity == "a"
    assert lease.spec.lease_duration_seconds == 2 and lease.spec.lease_transitions == 0
    assert lease.spec.acquire_time is not None
    assert lease.metadata.annotations[HOLDER_HOST] and lease.metadata.annotations[HOLDER_PID].isdigit()
    first_renewal = lease.spec.renew_time
    eventually(lambda: electors.lease().spec.renew_time > first_renewal, timeout=2 * RETRY + 1)
    assert electors.lease().spec.acquire_time == lease.spec.acquire_time
    assert electors.events == ["a started"]


@real
def test_a_second_elector_waits_as_standby(electors):
    a = electors.start("a")
    eventually(lambda: a.is_leader)

    b = electors.start("b")
    eventually(lambda: b.leader_identity is not None)
    time.sleep(LEASE)  # a whole lease duration: a renewing leader keeps it

    assert a.is_leader and not b.is_leader
    assert b.leader_identity == "a"
    assert electors.lease().spec.holder_identity == "a"


@real
def test_a_released_lease_is_taken_over_within_a_retry_period(electors):
    a = electors.start("a")
    eventually(lambda: a.is_leader)
    b = electors.start("b")
    eventually(lambda: b.leader_identity == "a")

    electors.stop(a)  # a clean stop releases the lease
    assert not a.is_leader
    took = eventually(lambda: b.is_leader)

    assert took < RETRY * 2.2 + 0.3  # the retry period with client-go's jitter, and a request
    lease = electors.lease()
    assert lease.spec.holder_identity == "b" and lease.spec.lease_transitions == 1
    assert electors.events == ["a started", "a stopped", "b started"]


@real
def test_a_crashed_leader_is_replaced_after_the_lease_duration(electors):
    a = electors.start("a")
    eventually(lambda: a.is_leader)
    b = electors.start("b")
    eventually(lambda: b.leader_identity == "a")

    a.crash()  # no release: the lease must lapse
    took = eventually(lambda: b.is_leader)

    # The standby counts the lease duration from when it last saw a renewal (up to a
    # jittered retry period before the crash) and notices on its next try.
    assert LEASE - 2.2 * RETRY - 0.1 <= took <= LEASE + 2.2 * RETRY + 0.5
    lease = electors.lease()
    assert lease.spec.holder_identity == "b" and lease.spec.lease_transitions == 1


@real
def test_a_leader_that_cannot_renew_steps_down_before_the_standby_takes_over(electors):
    cut_off = electors.server.api_client()
    a = electors.start("a", api=cut_off)
    eventually(lambda: a.is_leader)
    b = electors.start("b")
    eventually(lambda: b.leader_identity == "a")

    cut_off.configuration.host = "https://127.0.0.1:1"  # a partition: a's requests are refused
    stepped_down = eventually(lambda: not a.is_leader)
    took = eventually(lambda: b.is_leader)

    assert stepped_down <= RENEW + 0.1
    assert took > 0  # b led only after a had stepped down (the sampler saw no overlap)
    assert electors.lease().spec.holder_identity == "b"


@real
def test_a_leader_that_sees_another_holder_steps_down_at_once(electors):
    a = electors.start("a")
    eventually(lambda: a.is_leader)

    coordination = client.CoordinationV1Api(electors.server.api_client())
    coordination.patch_namespaced_lease(NAME, electors.namespace, {"spec": {"holderIdentity": "intruder"}},
                                        _content_type="application/merge-patch+json")
    took = eventually(lambda: "a stopped" in electors.events)

    assert took < RETRY + 0.3  # its next renewal reads the lease: no waiting for the renew deadline
    assert not a.is_leader and a.leader_identity == "intruder"


class Racing(LeaderElector):
    """Both racers read the lease before either writes: the same resourceVersion (or the
    same 404), so exactly one write can succeed."""

    barrier: Optional[threading.Barrier] = None

    def _read(self):
        try:
            return super()._read()
        finally:
            barrier, self.barrier = self.barrier, None  # the first read only
            if barrier is not None:
                barrier.wait(5.0)


@real
@pytest.mark.parametrize("lease_state", ["missing", "released"])
def test_of_two_racing_writes_exactly_one_wins(electors, lease_state):
    if lease_state == "released":
        first = electors.make("first")
        assert first.try_acquire_or_renew() and first.release()
    barrier = threading.Barrier(2)
    racers = [electors.make(identity, elector_class=Racing) for identity in ("a", "b")]
    for racer in racers:
        racer.barrier = barrier
    electors.electors.extend(racers)  # sampled
    results = {}
    threads = [threading.Thread(target=lambda r=r: results.__setitem__(r.identity, r.try_acquire_or_renew()))
               for r in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5.0)

    assert sorted(results.values()) == [False, True]
    (winner,) = [identity for identity, won in results.items() if won]
    assert [r.identity for r in racers if r.is_leader] == [winner]
    lease = electors.lease()
    assert lease.spec.holder_identity == winner
    assert lease.spec.lease_transitions == (1 if lease_state == "released" else 0)
    loser = next(r for r in racers if r.identity != winner)
    assert not loser.try_acquire_or_renew() and loser.leader_identity == winner  # the next try sees the holder


@real
def test_candidates_started_together_elect_exactly_one(electors):
    for round_ in range(3):
        a, b = electors.start(f"a{round_}"), electors.start(f"b{round_}")
        eventually(lambda: a.is_leader or b.is_leader)
        leader, standby = (a, b) if a.is_leader else (b, a)
        eventually(lambda: standby.leader_identity == leader.identity)
        assert not standby.is_leader
        electors.stop(leader)
        eventually(lambda: standby.is_leader)
        electors.stop(standby)  # released: the next round starts from an empty holder
    assert electors.lease().spec.lease_transitions == 5  # six leaders, each after another


@real
def test_annotations_survive_renewals_and_a_restart(electors):
    a = electors.start("a")
    eventually(lambda: a.is_leader)

    written = a.set_annotations({"lattice-gateway.io/failure-count": "3",
                                 "lattice-gateway.io/next-retry": "2026-01-01T00:00:00Z"})
    assert written["lattice-gateway.io/failure-count"] == "3"
    renewed = electors.lease().spec.renew_time
    eventually(lambda: electors.lease().spec.renew_time > renewed, timeout=2 * RETRY + 1)
    assert a.is_leader  # the patch did not cost the lease
    assert a.annotations()["lattice-gateway.io/failure-count"] == "3"

    electors.stop(a)
    restarted = electors.make("a2")
    assert restarted.try_acquire_or_renew()
    assert restarted.annotations()["lattice-gateway.io/next-retry"] == "2026-01-01T00:00:00Z"
    assert restarted.set_annotations({"lattice-gateway.io/failure-count": None}).get(
        "lattice-gateway.io/failure-count") is None
    assert restarted.release()


def test_durations_must_leave_room_for_renewals():
    with pytest.raises(ValueError, match="lease_duration > renew_deadline"):
        LeaderElector(client.ApiClient(), "default", NAME, lease_duration=2, renew_deadline=2, retry_period=0.3)


def test_the_default_identity_names_host_and_process():
    elector = LeaderElector(client.ApiClient(), "default", NAME)

    host, pid, suffix = elector.identity.rsplit("_", 2)
    assert (host, pid, len(suffix)) == (socket.gethostname(), str(os.getpid()), 8)



# -- what goes wrong ---------------------------------------------------------------------------

def one_try_elector(api, namespace: str, identity: str = "a", **options) -> LeaderElector:
    return LeaderElector(api, namespace, NAME, identity, lease_duration=LEASE, renew_deadline=RENEW,
                         retry_period=RETRY, **options)


def lease_exists(server: KubeApiServer, namespace: str) -> bool:
    try:
        client.CoordinationV1Api(server.admin).read_namespaced_lease(NAME, namespace)
    except client.exceptions.ApiException as error:
        assert error.status == 404
        return False
    return True


@real
def test_a_read_or_a_write_the_server_refuses_is_a_failed_try_never_leadership(kube_apiserver, kube_namespace, caplog):
    from tests.support.kube import RESTRICTED

    forbidden = one_try_elector(kube_apiserver.api_client(RESTRICTED), kube_namespace)
    assert forbidden.try_acquire_or_renew() is False
    assert not forbidden.is_leader and forbidden.leader_identity is None  # leadership still unknown
    assert f"lease {kube_namespace}/{NAME}: read failed: HTTP 403" in caplog.text
    no_namespace = one_try_elector(kube_apiserver.api_client(), "no-such-namespace")
    assert no_namespace.try_acquire_or_renew() is False  # read: 404, so create: 404 (no namespace)
    assert "lease no-such-namespace/lattice-gateway-dev: write failed: HTTP 404" in caplog.text
    assert not no_namespace.is_leader
    cut = one_try_elector(ConnectionCutOnWrites(kube_apiserver.api_client().configuration), kube_namespace)
    assert cut.try_acquire_or_renew() is False  # read: 404; the create never arrives
    assert "write failed: ProtocolError('connection reset by peer')" in caplog.text
    assert not cut.is_leader and not lease_exists(kube_apiserver, kube_namespace)


class ConnectionCutOnWrites(client.ApiClient):
    """Reads reach the server; every write loses its connection on the way."""

    def call_api(self, method, url, *args, **kwargs):
        if method in ("POST", "PUT"):
            raise urllib3.exceptions.ProtocolError("connection reset by peer")
        return super().call_api(method, url, *args, **kwargs)


@real
def test_release_gives_up_only_a_lease_this_elector_holds(kube_apiserver, kube_namespace, caplog):
    coordination = client.CoordinationV1Api(kube_apiserver.admin)
    a = one_try_elector(kube_apiserver.api_client(), kube_namespace)
    assert a.release() is False and not lease_exists(kube_apiserver, kube_namespace)  # never led: nothing to give

    assert a.try_acquire_or_renew() and a.is_leader
    lease = coordination.read_namespaced_lease(NAME, kube_namespace)
    lease.spec.holder_identity = "b"  # b took it over meanwhile
    coordination.replace_namespaced_lease(NAME, kube_namespace, lease)
    assert a.release() is False
    assert coordination.read_namespaced_lease(NAME, kube_namespace).spec.holder_identity == "b"  # b's still
    assert not a.is_leader

    assert a.try_acquire_or_renew() is False  # b holds it, not lapsed
    coordination.delete_namespaced_lease(NAME, kube_namespace)
    assert a.try_acquire_or_renew() and a.is_leader  # gone: created anew
    coordination.delete_namespaced_lease(NAME, kube_namespace)
    assert a.release() is False  # nothing to release: it lapses instead
    assert not a.is_leader
    assert f"lease {kube_namespace}/{NAME}: release failed: HTTP 404" in caplog.text


@real
def test_a_callback_that_fails_does_not_stop_the_election(kube_apiserver, kube_namespace, caplog):
    def broken() -> None:
        raise RuntimeError("the daemon's hook broke")

    elector = one_try_elector(kube_apiserver.api_client(), kube_namespace, on_started_leading=broken,
                              on_new_leader=lambda holder: broken())
    stop = threading.Event()
    runner = threading.Thread(target=elector.run, args=(stop,), daemon=True)
    runner.start()
    try:
        eventually(lambda: elector.is_leader)
        renewed = client.CoordinationV1Api(kube_apiserver.admin).read_namespaced_lease(NAME, kube_namespace)
        eventually(lambda: client.CoordinationV1Api(kube_apiserver.admin).read_namespaced_lease(
            NAME, kube_namespace).spec.renew_time > renewed.spec.renew_time, timeout=2 * RETRY + 1)
        assert elector.is_leader  # still leading, still renewing
    finally:
        stop.set()
        runner.join(3)
    assert caplog.text.count("a leader election callback failed") >= 2  # both hooks, logged with their traceback
    assert "RuntimeError: the daemon's hook broke" in caplog.text
