"""The emulator served over HTTP on loopback, and the handle tests hold."""

from __future__ import annotations

import copy
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lattice_program.contract.check import check_request

from .errors import ApiError, not_implemented, validation
from .model import modeled_errors
from .protocol import Response, Router, parse_request, serialize_error, serialize_output
from .quotas import Quotas
from .state import LatticeState

ENDPOINT_ENV = "AWS_ENDPOINT_URL_VPC_LATTICE"


class LatticeEmulator:
    """A strict VPC Lattice endpoint for boto3, on 127.0.0.1.

    ``with LatticeEmulator() as emu:`` starts it; ``emu.client()`` talks to it.
    ``emu.calls`` lists every routed request as ``(operation, params)``, refused ones too.
    """

    def __init__(
        self,
        account_id: str = "123456789012",
        region: str = "us-west-2",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        quotas: Quotas | None = None,
        seed: int | None = None,
        default_page_size: int = 100,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.state = LatticeState(
            account_id, region, quotas, seed=seed, default_page_size=default_page_size
        )
        self.calls: list[tuple[str, dict[str, Any]]] = []
        # Tracebacks of requests the emulator itself failed on (answered with a 500).
        self.internal_errors: list[str] = []
        # Fault injection: seconds an operation takes before it is applied (a slow or
        # hanging AWS), by operation name.
        self.latency: dict[str, float] = {}
        self._router = Router()
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> "LatticeEmulator":
        if self._server is None:
            self._server = _Server(self._address, _Handler, self)
            # A short poll interval keeps stop() (which waits for the poll) fast.
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.01},
                name="lattice-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)

    def __enter__(self) -> "LatticeEmulator":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # --- for tests ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use `with`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def quotas(self) -> Quotas:
        return self.state.quotas

    @property
    def mutating_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """``calls`` without the read-only Get*/List* ones."""
        return [call for call in self.calls if not call[0].startswith(("Get", "List"))]

    def client(self, **config: Any) -> Any:
        """A boto3 vpc-lattice client for this endpoint; retries off unless ``config`` says."""
        import boto3
        from botocore.config import Config

        settings = {"retries": {"total_max_attempts": 1}, **config}
        return boto3.client(
            "vpc-lattice",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(**settings),
        )

    def environ(self) -> dict[str, str]:
        """Environment variables that point a boto3 process (or a Pulumi provider) here."""
        return {
            ENDPOINT_ENV: self.url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
        }

    def inventory(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.state.inventory()

    def finish_draining(self, target_group: str | None = None) -> int:
        return self.state.finish_draining(target_group)

    def set_target_status(
        self, target_group: str, target_id: str, status: str, port: int | None = None
    ) -> None:
        self.state.set_target_status(target_group, target_id, status, port)

    # --- requests ----------------------------------------------------------------------

    def respond(self, method: str, url: str, body: bytes) -> Response:
        path = url.split("?", 1)[0]
        route = self._router.match(method, path)
        if route is None:
            return serialize_error(not_implemented(f"{method} {path} (no VPC Lattice operation)"))
        operation, labels = route
        try:
            params = parse_request(operation, labels, url, body)
        except ApiError as error:
            self.calls.append((operation, {}))
            return serialize_error(error)
        self.calls.append((operation, copy.deepcopy(params)))
        if self.latency.get(operation):
            time.sleep(self.latency[operation])
        try:
            violations = check_request(operation, params)
            if violations:
                raise validation(
                    "; ".join(f"{v.path or '<request>'}: {v.message}" for v in violations),
                    fields=[(v.path, v.message) for v in violations],
                )
            result = self.state.handle(operation, params)
        except ApiError as error:
            if error.code != "NotImplemented" and error.code not in modeled_errors(operation):
                return self._internal(
                    f"emulator bug: {operation} raised {error.code}, which the model "
                    f"does not list for it ({error.message})"
                )
            return serialize_error(error)
        except Exception:
            return self._internal(traceback.format_exc())
        return serialize_output(operation, result)

    def _internal(self, detail: str) -> Response:
        self.internal_errors.append(detail)
        print(f"lattice emulator: {detail}", file=sys.stderr)
        return serialize_error(ApiError("InternalServerException", detail))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, emulator: LatticeEmulator):
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        # Keep-alive handler threads block reading the next request; closing their
        # sockets ends them, so a stopped emulator holds no connections open.
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.emulator.respond(self.command, self.path, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass
