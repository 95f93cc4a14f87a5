"""``/healthz``, ``/readyz`` and ``/metrics`` on one small HTTP server.

``/healthz`` answers 200 while the daemon's loops are alive (a liveness probe restarts a
wedged process); ``/readyz`` answers 200 once every cache has synced and leadership is
known, 503 before, with the reason in the body; ``/metrics`` is the Prometheus text
format of the daemon's registry.  Nothing else is served, and nothing secret is in
any answer.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional, Tuple

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

# A check answers (ok, reason).
Check = Callable[[], Tuple[bool, str]]


def parse_address(address: str) -> Tuple[str, int]:
    """``:8080`` (all interfaces), ``127.0.0.1:8080`` or ``[::1]:8080``."""
    host, separator, port = address.rpartition(":")
    if not separator or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"metrics address {address!r}: use HOST:PORT or :PORT, e.g. :8080")
    return host.strip("[]") or "0.0.0.0", int(port)


class HealthServer:
    def __init__(self, address: str, registry: CollectorRegistry, *, live: Check, ready: Check) -> None:
        host, port = parse_address(address)
        handler = _handler(registry, live, ready)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "HealthServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="lattice-health", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(registry: CollectorRegistry, live: Check, ready: Check) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/readyz"):
                ok, reason = (live if path == "/healthz" else ready)()
                self._answer(200 if ok else 503, (reason + "\n").encode(), "text/plain; charset=utf-8")
            else:
                self._answer(404, b"not found: /healthz, /readyz and /metrics are served\n",
                             "text/plain; charset=utf-8")

        def _answer(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # probes every few seconds: not worth a line
            pass

    return Handler
