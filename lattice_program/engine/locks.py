"""Who holds a stack's update lock, read from the backend rather than from error text.

A self-managed (``file://``) backend keeps one JSON file per lock under
``.pulumi/locks/<org>/<project>/<stack>/``, naming the holding CLI's pid, user, host and
start time.  That is the structured truth about a concurrent update; stderr wording is
not (the Automation API's own check reads it, and has misread it).  A holder on this
host whose process is gone died mid-update (SIGKILL, OOM): its lock protects nothing.
Other backends (Pulumi Cloud) keep locks server-side: holders are unknown here, and a
lock there is always waited for.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional
from urllib.parse import unquote, urlsplit

import psutil


@dataclass(frozen=True)
class LockHolder:
    pid: int
    username: str
    hostname: str
    timestamp: str
    path: Path

    def __str__(self) -> str:
        return f"{self.username}@{self.hostname} (pid {self.pid}, since {self.timestamp})"

    @property
    def gone(self) -> bool:
        """Provably gone: it ran on this host and no pulumi process has its pid now."""
        if self.hostname != socket.gethostname():
            return False
        try:
            process = psutil.Process(self.pid)
            return not process.name().startswith("pulumi")
        except psutil.NoSuchProcess:
            return True
        except psutil.AccessDenied:
            return False


def backend_root(backend_url: str) -> Optional[Path]:
    """The directory of a ``file://`` backend; ``None`` for any other kind."""
    parts = urlsplit(backend_url)
    if parts.scheme != "file":
        return None
    path = unquote(parts.netloc + parts.path) if parts.netloc not in ("", "localhost") else unquote(parts.path)
    return Path(path).expanduser()


def stack_locks(backend_url: str, project: str, stack: str) -> Optional[List[LockHolder]]:
    """The stack's lock holders; ``None`` when the backend does not show them."""
    root = backend_root(backend_url)
    if root is None:
        return None
    name = stack.rsplit("/", 1)[-1]
    holders = []
    for path in sorted(root.glob(f".pulumi/locks/*/{project}/{name}/*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            holders.append(LockHolder(int(entry["pid"]), str(entry.get("username", "")),
                                      str(entry.get("hostname", "")), str(entry.get("timestamp", "")), path))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a lock file being written or removed right now
    return holders
