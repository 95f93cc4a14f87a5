"""The converge loop against an engine double: when it applies, and when it must not."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import pytest

from lattice_program.engine.automation import PulumiCommandFailed, StackLocked
from lattice_program.engine.locks import LockHolder
from lattice_program.program.digest import model_digest
from lattice_program.contract.pipeline import plan
from lattice_program.sources.files import load_text
from lattice_program.watch.backoff import Backoff
from lattice_program.watch.converge import Converger, Observation, Outcome, State, observation_of
from lattice_program.watch.debounce import Debouncer
from tests.support.plans import settings
from tests.support.world import endpoint_slice, gateway, gateway_class, http_route, service, world

CLUSTER = "test-cluster"


def objects(weight_b: int = 10, *, routes: int = 1) -> Observation:
    docs = [gateway_class(), gateway("edge", "shop"), service("a", "shop"), service("b", "shop"),
            endpoint_slice("a", "shop")]
    docs += [http_route(f"r{i}", "shop", parents=["edge"], backends=[("a", 80, 100 - weight_b), ("b", 80, weight_b)])
             for i in range(routes)]
    return observation_of({CLUSTER: load_text(world(*docs))})


class EngineDouble:
    """Records what the loop asks; answers with the digest the real program exports."""

    def __init__(self, *, applied: Optional[str] = None, preview: Optional[Dict[str, int]] = None,
                 stack_settings=None) -> None:
        self.settings = stack_settings or settings()
        self.stack_outputs: Dict[str, Any] = {} if applied is None else {"modelDigest": applied}
        self.preview_counts = preview or {"create": 3, "same": 0}
        self.calls: List[str] = []
        self.fail_with: List[Exception] = []
        self.up_started = threading.Event()
        self.release_up = threading.Event()
        self.release_up.set()

    def outputs(self) -> Mapping[str, Any]:
        self.calls.append("outputs")
        return dict(self.stack_outputs)

    def preview(self, observation: Observation, previous: Mapping[str, Any], *,
                refresh: bool = False) -> Mapping[str, int]:
        self.calls.append("refresh-preview" if refresh else "preview")
        if self.fail_with:
            raise self.fail_with.pop(0)
        return self.preview_counts

    def cancel(self) -> None:
        self.calls.append("cancel")

    def up(self, observation: Observation, previous: Mapping[str, Any], *, refresh: bool = False) -> Mapping[str, Any]:
        self.calls.append("refresh-up" if refresh else "up")
        self.up_started.set()
        self.release_up.wait(5)
        result = plan(dict(observation.objects), self.settings, previous_outputs=previous)
        self.stack_outputs = {"modelDigest": model_digest(result.model, self.settings)}
        return self.stack_outputs


def converger(engine: EngineDouble, observe, **options) -> Converger:
    options.setdefault("backoff", Backoff(base=0.01, cap=0.05))
    return Converger("dev", settings(), observe, engine, **options)


def test_a_changed_input_is_applied_once_and_then_nothing_runs():
    engine = EngineDouble()
    loop = converger(engine, objects)
    assert loop.converge_once() is Outcome.APPLIED
    assert engine.calls == ["outputs", "preview", "up"]
    assert loop.status.state is State.READY and loop.status.applied_digest == loop.status.desired_digest
    assert loop.converge_once() is Outcome.UP_TO_DATE
    assert engine.calls == ["outputs", "preview", "up"]  # no second preview or up


def test_a_restart_that_finds_its_digest_in_the_stack_outputs_runs_no_update():
    desired = model_digest(plan(dict(objects().objects), settings()).model, settings())
    engine = EngineDouble(applied=desired)
    assert converger(engine, objects).converge_once() is Outcome.UP_TO_DATE
    assert engine.calls == ["outputs"]


def test_an_incomplete_read_never_converges():
    engine = EngineDouble()
    partial = Observation(objects().objects, complete=False, failures=("HTTPRoute: HTTP 403 Forbidden",))
    loop = converger(engine, lambda: partial)
    assert loop.converge_once() is Outcome.INCOMPLETE_READ
    assert engine.calls == []
    assert loop.status.state is State.WAITING and "403" in loop.status.message


def test_more_deletions_than_allowed_are_refused_until_the_input_changes():
    engine = EngineDouble(preview={"delete": 30, "replace": 2, "same": 5})
    current = {"observation": objects()}
    loop = converger(engine, lambda: current["observation"], max_deletions=25)
    assert loop.converge_once() is Outcome.DELETIONS_REFUSED
    assert "up" not in engine.calls
    assert loop.status.state is State.STALLED and "32 resources" in loop.status.message
    assert "latticectl up --stack dev" in loop.status.message
    assert loop.metrics.deletions_refused.labels("dev")._value.get() == 1
    assert loop.converge_once() is Outcome.STALLED  # same input: no new preview
    assert engine.calls.count("preview") == 1
    engine.preview_counts = {"delete": 1}
    current["observation"] = objects(weight_b=20)  # the cause went away
    assert loop.converge_once() is Outcome.APPLIED


def test_three_failures_stall_and_a_reconcile_request_retries():
    engine = EngineDouble()
    failure = PulumiCommandFailed(command="preview", stack="dev", cli_exit_code=255, stderr_tail="provider error")
    engine.fail_with = [failure, failure, failure]
    loop = converger(engine, objects)
    outcomes = [loop.converge_once() for _ in range(3)]
    assert outcomes == [Outcome.FAILED] * 3
    assert loop.status.state is State.STALLED and loop.status.consecutive_failures == 3
    assert "provider error" in loop.status.message
    assert loop.converge_once() is Outcome.STALLED  # not retried on its own
    assert loop.converge_once(force=True) is Outcome.APPLIED
    assert loop.status.consecutive_failures == 0


def test_a_failure_schedules_a_retry_with_backoff():
    engine = EngineDouble()
    engine.fail_with = [PulumiCommandFailed(command="up", stack="dev", cli_exit_code=1, stderr_tail="throttled")]
    loop = converger(engine, objects, backoff=Backoff(base=10, cap=60, jitter=0))
    assert loop.converge_once() is Outcome.FAILED
    assert loop.status.state is State.PROGRESSING and loop.status.next_retry_in == 10


def holder(pid: int, host: str) -> LockHolder:
    return LockHolder(pid, "ci", host, "2026-12-01T08:00:00Z", Path("/state/lock.json"))


def test_a_lock_held_by_someone_else_is_waited_for():
    engine = EngineDouble()
    alive = holder(os.getpid(), "build-host-7")  # another host: never provably gone
    engine.fail_with = [StackLocked("dev", work_dir=Path("."), detail="locked", holders=[alive])]
    loop = converger(engine, objects)
    assert loop.converge_once() is Outcome.LOCKED
    assert loop.status.state is State.WAITING and "provably gone" in loop.status.message
    assert "ci@build-host-7" in loop.status.message
    assert loop.status.consecutive_failures == 0  # a lock is not a failure of ours
    assert "cancel" not in engine.calls


def test_a_lock_whose_holder_died_on_this_host_is_broken_once_and_the_update_runs():
    engine = EngineDouble()
    dead = holder(2 ** 22 + 12345, socket.gethostname())  # beyond pid_max: no such process
    engine.fail_with = [StackLocked("dev", work_dir=Path("."), detail="locked", holders=[dead])]
    loop = converger(engine, objects)
    assert loop.converge_once() is Outcome.APPLIED
    assert engine.calls == ["outputs", "preview", "cancel", "preview", "up"]
    locked_again = [StackLocked("dev", work_dir=Path("."), detail="locked", holders=[dead])] * 2
    engine.fail_with = list(locked_again)
    loop.request()
    assert loop.converge_once(force=True) is Outcome.LOCKED  # broken once per pass, not in a loop
    assert engine.calls.count("cancel") == 2


def test_a_burst_of_changes_is_one_converge_and_changes_during_an_update_wait_for_the_next():
    engine = EngineDouble()
    weights = {"b": 10}
    loop = converger(engine, lambda: objects(weights["b"]), debounce=0.05, max_wait=1.0)
    stop = threading.Event()
    runner = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while loop.status.state is not State.READY and time.monotonic() < deadline:
            time.sleep(0.01)
        assert engine.calls.count("up") == 1  # the initial converge
        engine.release_up.clear()
        engine.up_started.clear()
        for weight in range(11, 41):  # a burst
            weights["b"] = weight
            loop.notify()
        assert engine.up_started.wait(5)
        weights["b"] = 50
        for _ in range(5):
            loop.notify()  # arrives while the update is in flight
        engine.release_up.set()
        deadline = time.monotonic() + 5
        while engine.calls.count("up") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        assert engine.calls.count("up") == 3  # initial, the burst, what came during it
        assert loop.status.state is State.READY
    finally:
        stop.set()
        runner.join(5)
    assert not runner.is_alive()


def test_debounce_is_bounded_by_max_wait():
    debouncer = Debouncer(quiet=2, max_wait=5)
    assert debouncer.due_at() is None
    for now in (0, 1, 2, 3, 4, 4.5):
        debouncer.touch(now)
    assert debouncer.due_at() == 5  # not 6.5: the first change was at 0
    debouncer.take()
    debouncer.touch(10)
    assert debouncer.due_at() == 12
    with pytest.raises(ValueError):
        Debouncer(quiet=5, max_wait=1)


def test_backoff_grows_to_its_cap_with_jitter_below():
    backoff = Backoff(base=1, cap=8, jitter=0.5, random=lambda: 1.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [0.5, 1, 2, 4, 4]
    assert Backoff(base=1, cap=8, jitter=0.5, random=lambda: 0.0).delay(5) == 8


def test_drift_is_reported_and_with_remediate_applied_back():
    engine = EngineDouble()
    loop = converger(engine, objects)
    assert loop.converge_once() is Outcome.APPLIED
    engine.preview_counts = {"same": 9}
    assert loop.resync(remediate=False) is Outcome.UP_TO_DATE
    engine.preview_counts = {"update": 1, "same": 8}  # someone edited a rule in the console
    assert loop.resync(remediate=False) is Outcome.DRIFTED
    assert loop.status.reason == "DriftFound" and "not repaired" in loop.status.message
    assert loop.metrics.drift_found.labels("dev")._value.get() == 1
    assert engine.calls.count("up") == 1
    assert loop.resync(remediate=True) is Outcome.DRIFTED
    assert loop.converge_once(force=True) is Outcome.APPLIED  # what the request starts
    # The repair reads Lattice first: a plain up would compare with state, which has not seen the drift.
    assert engine.calls[-2:] == ["refresh-preview", "refresh-up"]
    assert loop.converge_once(force=True) is Outcome.APPLIED
    assert engine.calls[-2:] == ["preview", "up"]


def test_a_stall_ends_when_a_person_applies_the_refused_input():
    engine = EngineDouble(preview={"delete": 40})
    loop = converger(engine, objects, max_deletions=25)
    assert loop.converge_once() is Outcome.DELETIONS_REFUSED
    assert loop.resync(remediate=False) is Outcome.STALLED  # nobody applied it yet
    engine.stack_outputs = {"modelDigest": loop.status.desired_digest}  # `latticectl up` by a person
    assert loop.resync(remediate=False) is Outcome.UP_TO_DATE
    assert loop.status.state is State.READY and "by a person" in loop.status.message
    assert "up" not in engine.calls


def test_a_frozen_stack_takes_no_converge_and_each_applied_update_is_recorded_once():
    """The promotion hooks: a refusal (frozen) changes nothing; after each successful up,
    on_applied gets the very objects the update was planned from; a failing recorder
    never turns the update into a failure."""
    engine = EngineDouble()
    frozen = {"why": "the stack is frozen"}
    recorded: List[Observation] = []
    loop = converger(engine, objects, refusal=lambda: frozen["why"], on_applied=recorded.append)
    assert loop.converge_once() is Outcome.REFUSED
    assert engine.calls == [] and recorded == []
    assert loop.status.state is State.SUSPENDED and "frozen" in loop.status.message

    frozen["why"] = None
    assert loop.converge_once() is Outcome.APPLIED
    assert [o.objects for o in recorded] == [objects().objects]
    assert loop.converge_once() is Outcome.UP_TO_DATE
    assert len(recorded) == 1  # nothing applied, nothing recorded

    def broken(observation):
        raise OSError("release store unwritable")

    failing = converger(EngineDouble(), lambda: objects(weight_b=20), on_applied=broken)
    assert failing.converge_once() is Outcome.APPLIED and failing.status.state is State.READY


def test_no_failure_yet_means_no_wait():
    backoff = Backoff(base=4, cap=60, jitter=0)
    assert backoff.delay(0) == 0.0 and backoff.delay(-2) == 0.0
    assert backoff.delay(1) == 4  # the first failure waits the base


class UnreadableOutputsEngine(EngineDouble):
    """The stack's outputs cannot be read (the backend is unreachable) for ``times`` calls."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.unreadable = times

    def outputs(self) -> Mapping[str, Any]:
        if self.unreadable:
            self.unreadable -= 1
            self.calls.append("outputs-failed")
            raise PulumiCommandFailed(command="stack output", stack="dev", cli_exit_code=255,
                                      stderr_tail="backend unreachable")
        return super().outputs()


def test_unreadable_stack_outputs_are_retried_with_backoff_and_never_stall():
    """With no desired digest known there is nothing to stall on: failures keep retrying."""
    engine = UnreadableOutputsEngine(times=4)
    loop = converger(engine, objects, backoff=Backoff(base=2, cap=60, jitter=0))
    outcomes = [loop.converge_once() for _ in range(4)]
    assert outcomes == [Outcome.FAILED] * 4
    assert loop.status.state is State.PROGRESSING and loop.status.reason == "Retrying"
    assert loop.status.consecutive_failures == 4 and loop.status.next_retry_in == 16
    assert "backend unreachable" in loop.status.message and "retry 4 in 16s" in loop.status.message
    assert "preview" not in engine.calls and "up" not in engine.calls
    assert loop.converge_once() is Outcome.APPLIED and loop.status.consecutive_failures == 0


def test_a_plan_that_raises_is_a_failed_pass_and_changes_nothing(caplog):
    """Objects keyed by a cluster the stack settings do not name make the pipeline raise."""
    engine = EngineDouble()
    stray = observation_of({"west": objects().objects[CLUSTER]})
    loop = converger(engine, lambda: stray, backoff=Backoff(base=3, cap=60, jitter=0))
    assert loop.converge_once() is Outcome.FAILED
    assert engine.calls == ["outputs"]  # read, then nothing previewed or applied
    assert loop.status.reason == "Retrying" and loop.status.next_retry_in == 3
    assert "['west'] that the stack settings do not name" in loop.status.message
    assert "stack dev: planning failed" in caplog.text


class CancelRefusedEngine(EngineDouble):
    def cancel(self) -> None:
        self.calls.append("cancel")
        raise PulumiCommandFailed(command="cancel", stack="dev", cli_exit_code=255, stderr_tail="cancel refused")


def test_a_dead_holders_lock_that_cannot_be_broken_is_a_failure_and_nothing_is_applied():
    engine = CancelRefusedEngine()
    dead = holder(2 ** 22 + 12345, socket.gethostname())
    engine.fail_with = [StackLocked("dev", work_dir=Path("."), detail="locked", holders=[dead])]
    loop = converger(engine, objects)
    assert loop.converge_once() is Outcome.FAILED
    assert engine.calls == ["outputs", "preview", "cancel"]
    assert loop.status.reason == "Retrying" and "cancel refused" in loop.status.message
    assert loop.status.desired_digest is not None  # known: repeated failures would stall on it


def test_a_warning_from_recording_the_applied_release_is_logged_and_the_update_stands(caplog):
    loop = converger(EngineDouble(), objects, on_applied=lambda observation: "release store is 2 releases behind")
    assert loop.converge_once() is Outcome.APPLIED and loop.status.state is State.READY
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["stack dev: release store is 2 releases behind"]


def test_a_drift_check_runs_only_on_a_ready_stack_with_a_complete_read(caplog):
    engine = EngineDouble()
    read = {"complete": True}
    loop = converger(engine, lambda: Observation(objects().objects, complete=read["complete"]))
    assert loop.resync(remediate=True) is Outcome.INCOMPLETE_READ  # not converged yet: the loop's job
    assert engine.calls == []
    assert loop.converge_once() is Outcome.APPLIED
    read["complete"] = False
    assert loop.resync(remediate=True) is Outcome.INCOMPLETE_READ
    assert "refresh-preview" not in engine.calls
    read["complete"] = True
    engine.fail_with = [PulumiCommandFailed(command="preview", stack="dev", cli_exit_code=255,
                                            stderr_tail="refresh throttled")]
    assert loop.resync(remediate=True) is Outcome.FAILED
    assert engine.calls[-1] == "refresh-preview"
    assert loop.status.state is State.READY and loop.status.reason == "Applied"  # a failed check changes nothing
    assert "drift check failed" in caplog.text and "refresh throttled" in caplog.text
    assert loop.converge_once() is Outcome.UP_TO_DATE  # and asks for no repair


def test_a_stall_stays_when_the_stack_outputs_cannot_be_read():
    engine = EngineDouble(preview={"delete": 40})
    loop = converger(engine, objects, max_deletions=25)
    assert loop.converge_once() is Outcome.DELETIONS_REFUSED
    engine.stack_outputs = {"modelDigest": loop.status.desired_digest}  # applied by a person...

    def unreadable() -> Mapping[str, Any]:
        raise PulumiCommandFailed(command="stack output", stack="dev", cli_exit_code=255, stderr_tail="offline")

    engine.outputs = unreadable  # ...but the daemon cannot see it yet
    assert loop.resync(remediate=False) is Outcome.STALLED
    assert loop.status.state is State.STALLED and loop.status.reason == "DeletionsRefused"
    del engine.outputs  # readable again: the person's update is seen
    assert loop.resync(remediate=False) is Outcome.UP_TO_DATE and loop.status.state is State.READY
