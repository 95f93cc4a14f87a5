"""Who holds a stack's lock, read from a ``file://`` backend's lock files as the pulumi CLI
writes them; whether a holder is provably gone (only then may its lock be cancelled)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import psutil
import pytest

from lattice_program.engine import locks
from lattice_program.engine.locks import LockHolder, backend_root, stack_locks


def _lock(backend: Path, name: str, body: str, *, project: str = "lattice-gateway", stack: str = "dev") -> Path:
    path = backend / ".pulumi" / "locks" / "organization" / project / stack / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def _holder(pid: int, hostname: str) -> LockHolder:
    return LockHolder(pid, "ci", hostname, "2026-01-01T00:00:00Z", Path("/x.json"))


def test_lock_files_being_written_or_foreign_are_skipped_and_the_rest_read(tmp_path):
    good = _lock(tmp_path, "b.json", json.dumps({"pid": 4242, "username": "ci", "hostname": "runner",
                                                  "timestamp": "2026-01-01T00:00:00Z"}))
    _lock(tmp_path, "a.json", '{"pid": 42')  # half written
    _lock(tmp_path, "c.json", json.dumps({"username": "ci"}))  # no pid
    _lock(tmp_path, "d.json", json.dumps({"pid": "not a number"}))
    _lock(tmp_path, "e.json", json.dumps({"pid": 1}), stack="prod")  # another stack
    holders = stack_locks(f"file://{tmp_path}", "lattice-gateway", "org/lattice-gateway/dev")
    assert holders == [LockHolder(4242, "ci", "runner", "2026-01-01T00:00:00Z", good)]
    assert str(holders[0]) == "ci@runner (pid 4242, since 2026-01-01T00:00:00Z)"


@pytest.mark.parametrize("url", ["https://api.pulumi.com", "s3://bucket/state", ""])
def test_a_backend_that_keeps_locks_elsewhere_shows_no_holders(url):
    assert backend_root(url) is None
    assert stack_locks(url, "lattice-gateway", "dev") is None


def test_file_urls_with_and_without_a_host_part(tmp_path):
    assert backend_root(f"file://{tmp_path}") == tmp_path
    assert backend_root(f"file://localhost{tmp_path}") == tmp_path
    assert backend_root("file://~/state") == Path("~/state").expanduser()
    assert backend_root("file:///srv/pulumi%20state") == Path("/srv/pulumi state")


def test_a_holder_on_another_host_is_never_taken_for_gone():
    free_pid = 2 ** 22 + 1  # above the kernel's pid_max: no process here has it
    assert not psutil.pid_exists(free_pid)
    assert not _holder(free_pid, socket.gethostname() + "-elsewhere").gone
    assert _holder(free_pid, socket.gethostname()).gone


def test_a_holder_whose_pid_is_now_another_program_is_gone_and_a_pulumi_is_not(tmp_path):
    pulumi = tmp_path / "pulumi"
    shutil.copy(shutil.which("sleep"), pulumi)
    other = subprocess.Popen([shutil.which("sleep"), "30"])
    cli = subprocess.Popen([str(pulumi), "30"])
    try:
        assert _holder(other.pid, socket.gethostname()).gone
        assert not _holder(cli.pid, socket.gethostname()).gone
    finally:
        for process in (other, cli):
            process.kill()
            process.wait()


def test_a_holder_we_may_not_inspect_is_not_taken_for_gone(monkeypatch):
    """/proc mounted with hidepid hides other users' processes' details (AccessDenied): a
    lock we cannot prove dead is kept."""
    def denied(pid):
        raise psutil.AccessDenied(pid)

    monkeypatch.setattr(locks.psutil, "Process", denied)
    assert not _holder(4242, socket.gethostname()).gone
