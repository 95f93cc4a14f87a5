"""Stopping an update the way the pulumi CLI wants to be stopped, so no lock is left.

An update runs in a ``pulumi`` child process, with our program served from this process.
Killed outright (SIGTERM's default), this process takes the program away mid-update:
the CLI fails and leaves the stack locked.  The CLI has its own clean stop: on SIGINT it
cancels, waits for the operations in flight, saves state and releases the lock (a second
SIGINT stops it at once).  So while an update runs, a SIGTERM or SIGINT to us is passed to
the ``pulumi`` children as one SIGINT, and we wait for the update to end.

A Ctrl-C in a terminal already reaches the children (they share our foreground process
group); forwarding it too would be the second SIGINT that aborts them, so it is not.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator, List, Optional

import psutil


def pulumi_children() -> List[psutil.Process]:
    """Our child processes that are the pulumi CLI (not its plugins: the CLI stops those)."""
    found = []
    for child in psutil.Process().children(recursive=False):
        try:
            if os.path.basename(child.exe() or child.name()).startswith("pulumi"):
                found.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def interrupt_pulumi() -> int:
    """Ask every running pulumi CLI of ours to cancel cleanly; how many were asked."""
    asked = 0
    for child in pulumi_children():
        try:
            child.send_signal(signal.SIGINT)
            asked += 1
        except psutil.NoSuchProcess:
            pass
    return asked


def _terminal_delivers_sigint() -> bool:
    """Whether a SIGINT to us came from the terminal, which sends it to our children too."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


class Interrupts:
    """What arrived while an update ran: ``received`` names the first signal, if any."""

    def __init__(self) -> None:
        self.received: Optional[str] = None
        self.count = 0

    def handle(self, signum: int, _frame: object = None) -> None:
        self.count += 1
        self.received = self.received or signal.Signals(signum).name
        if signum == signal.SIGINT and self.count == 1 and _terminal_delivers_sigint():
            return
        interrupt_pulumi()


@contextmanager
def graceful_interrupts() -> Iterator[Interrupts]:
    """Within the block, SIGTERM and SIGINT cancel the update in flight cleanly instead of
    killing this process; the caller reads ``received`` afterwards.  Outside the main
    thread (where Python takes no signals) the block is a no-op."""
    interrupts = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return
    previous = {sig: signal.signal(sig, interrupts.handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield interrupts
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
