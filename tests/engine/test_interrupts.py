"""SIGTERM and SIGINT during an update become one SIGINT to our pulumi children, with real
processes: a copy of ``sleep`` named ``pulumi`` stands in for the CLI (the check is by the
executable's name), another ``sleep`` for anything else we run.  The terminal case runs in
a child process of its own that takes a pseudo-terminal as its controlling terminal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, List

import psutil
import pytest

from lattice_program.engine import interrupts
from lattice_program.engine.interrupts import graceful_interrupts, interrupt_pulumi, pulumi_children

REPO = Path(__file__).resolve().parents[2]
SLEEP = shutil.which("sleep")
pytestmark = pytest.mark.skipif(SLEEP is None or sys.platform != "linux", reason="needs Linux and sleep(1)")


@pytest.fixture
def fake_pulumi(tmp_path: Path) -> Path:
    binary = tmp_path / "bin" / "pulumi"
    binary.parent.mkdir()
    shutil.copy(SLEEP, binary)
    return binary


@pytest.fixture
def started() -> Iterator[List[subprocess.Popen]]:
    processes: List[subprocess.Popen] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def _start(processes: List[subprocess.Popen], *argv: str) -> subprocess.Popen:
    process = subprocess.Popen(list(argv))
    processes.append(process)
    return process


def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_sigterm_in_the_block_is_one_sigint_to_the_pulumi_child_only(fake_pulumi, started):
    before = signal.getsignal(signal.SIGTERM)
    cli = _start(started, str(fake_pulumi), "30")
    other = _start(started, SLEEP, "30")
    with graceful_interrupts() as got:
        os.kill(os.getpid(), signal.SIGTERM)
        _wait_for(lambda: got.count == 1)
        assert cli.wait(timeout=5) == -signal.SIGINT
    assert got.received == "SIGTERM"
    assert other.poll() is None  # not the CLI: left running
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_sigint_not_from_a_terminal_is_forwarded_at_once(fake_pulumi, started):
    """Under pytest standard input is no terminal: a SIGINT came from ``kill``, not Ctrl-C,
    so the children did not get it and must be asked."""
    cli = _start(started, str(fake_pulumi), "30")
    with graceful_interrupts() as got:
        os.kill(os.getpid(), signal.SIGINT)
        _wait_for(lambda: got.count == 1)
        assert cli.wait(timeout=5) == -signal.SIGINT
    assert (got.received, got.count) == ("SIGINT", 1)


def test_the_first_ctrl_c_from_the_terminal_is_not_sent_again_the_second_is(fake_pulumi):
    """The terminal already delivered the first SIGINT to the whole foreground group; a
    copy from us would be the CLI's second, which aborts it.  Here the signal is sent to
    the parent alone, so the child still running after the first proves nothing was sent."""
    script = (
        "import fcntl, os, signal, subprocess, sys, termios, time\n"
        "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
        "from lattice_program.engine.interrupts import graceful_interrupts\n"
        "child = subprocess.Popen([sys.argv[1], '30'])\n"
        "with graceful_interrupts() as got:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.3)\n"
        "    first = child.poll()\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    second = child.wait(5)\n"
        "print(got.received, got.count, first, second)\n"
    )
    controller, terminal = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-c", script, str(fake_pulumi)], stdin=terminal,
                              capture_output=True, text=True, cwd=REPO, start_new_session=True, timeout=30)
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["SIGINT", "2", "None", str(-signal.SIGINT)]


def test_off_the_main_thread_the_block_installs_no_handler():
    before = signal.getsignal(signal.SIGTERM)
    seen = {}

    def in_a_thread() -> None:
        with graceful_interrupts() as got:
            seen["handler"] = signal.getsignal(signal.SIGTERM)
            seen["received"] = got.received

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join(5)
    assert seen == {"handler": before, "received": None}


def test_a_pulumi_child_that_already_exited_is_not_asked(fake_pulumi, started, tmp_path):
    exited_binary = tmp_path / "pulumi-exited"
    shutil.copy(shutil.which("true"), exited_binary)
    zombie = _start(started, str(exited_binary))  # exits at once; not reaped until the fixture waits
    _wait_for(lambda: psutil.Process(zombie.pid).status() == psutil.STATUS_ZOMBIE)
    live = _start(started, str(fake_pulumi), "30")  # listed after the zombie: the look goes on past it
    found = {child.pid for child in pulumi_children()}  # (the suite may have children of its own)
    assert live.pid in found and zombie.pid not in found
    assert interrupt_pulumi() == len(found)
    assert live.wait(timeout=5) == -signal.SIGINT


def test_a_child_gone_between_listing_and_signalling_is_not_counted(fake_pulumi, started, monkeypatch):
    """The race the listing cannot close: a child reaped after ``pulumi_children`` saw it."""
    gone = _start(started, str(fake_pulumi), "30")
    gone_process = psutil.Process(gone.pid)
    gone.kill()
    gone.wait()
    live = _start(started, str(fake_pulumi), "30")
    monkeypatch.setattr(interrupts, "pulumi_children", lambda: [gone_process, psutil.Process(live.pid)])
    assert interrupt_pulumi() == 1
    assert live.wait(timeout=5) == -signal.SIGINT
