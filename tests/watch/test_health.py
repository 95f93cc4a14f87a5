"""Probes and metrics over HTTP, and the JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request

import pytest

from lattice_program.watch.health import HealthServer, parse_address
from lattice_program.watch.logs import JsonFormatter
from lattice_program.watch.metrics import DaemonMetrics


def get(port: int, path: str):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_probes_say_why_and_metrics_are_prometheus_text():
    metrics = DaemonMetrics()
    metrics.converges.labels("dev", "Applied").inc()
    state = {"ready": (False, "caches of cluster(s) east have not synced")}
    server = HealthServer("127.0.0.1:0", metrics.registry, live=lambda: (True, "ok"),
                          ready=lambda: state["ready"]).start()
    try:
        assert get(server.port, "/healthz") == (200, "ok\n")
        assert get(server.port, "/readyz") == (503, "caches of cluster(s) east have not synced\n")
        state["ready"] = (True, "Ready: UpToDate")
        assert get(server.port, "/readyz")[0] == 200
        code, body = get(server.port, "/metrics")
        assert code == 200
        assert 'lattice_gateway_converges_total{result="Applied",stack="dev"} 1.0' in body
        assert "# TYPE lattice_gateway_converge_duration_seconds histogram" in body
        assert get(server.port, "/anything")[0] == 404
    finally:
        server.stop()


@pytest.mark.parametrize("address, expected", [(":8080", ("0.0.0.0", 8080)), ("127.0.0.1:9", ("127.0.0.1", 9)),
                                               ("[::1]:8080", ("::1", 8080))])
def test_addresses(address, expected):
    assert parse_address(address) == expected


@pytest.mark.parametrize("address", ["8080", "host:", ":http", ":70000"])
def test_bad_addresses_name_the_form(address):
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_address(address)


def test_json_log_lines_carry_the_extra_fields():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("lattice_program.test_json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("stack %s stalled", "dev", extra={"stack": "dev", "reason": "Failed"})
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "stack dev stalled" and entry["level"] == "warning"
    assert entry["stack"] == "dev" and entry["reason"] == "Failed"
