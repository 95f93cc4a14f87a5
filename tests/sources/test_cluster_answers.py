"""Answers an API server should never give, and kubeconfigs that cannot be used: each one
fails the kind (or the read) with a message that names what went wrong, never a traceback,
and a failed kind is never read as empty (that would plan its objects' deletion)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, Iterator, Tuple
from urllib.parse import parse_qs, urlsplit

import kubernetes.client
import pytest
import yaml

from lattice_program.sources.cluster import SERVICE, ClusterUnavailable, ListFailed, list_kind, read_cluster
from tests.support.kube_double import KubeDouble

# path -> (query -> (HTTP status, body bytes))
Answer = Callable[[Dict[str, str]], Tuple[int, bytes]]


class _CannedServer:
    """An HTTP server that answers each path with a fixed, possibly broken, response."""

    def __init__(self, answers: Dict[str, Answer]):
        self.answers = answers
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                answer = canned.answers.get(parts.path)
                status, body = answer(query) if answer else (404, b'{"kind":"Status","code":404}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "_CannedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()

    def api_client(self) -> kubernetes.client.ApiClient:
        host, port = self.server.server_address[:2]
        configuration = kubernetes.client.Configuration(host=f"http://{host}:{port}")
        configuration.retries = 0
        return kubernetes.client.ApiClient(configuration)


@pytest.fixture
def services_answer() -> Iterator[Callable[[Answer], ListFailed]]:
    """List Services from a server answering with ``answer``; the ListFailed it raised."""
    def listed(answer: Answer) -> ListFailed:
        with _CannedServer({"/api/v1/services": answer}) as server:
            client = server.api_client()
            try:
                with pytest.raises(ListFailed) as raised:
                    list_kind(client, SERVICE)
            finally:
                client.close()
        return raised.value
    yield listed


def _page(items, **metadata) -> bytes:
    return json.dumps({"kind": "ServiceList", "metadata": {"resourceVersion": "7", **metadata}, "items": items}).encode()


def test_a_continue_token_that_never_changes_stops_the_list(services_answer):
    service = {"metadata": {"name": "web", "namespace": "shop"}}
    failure = services_answer(lambda query: (200, _page([service], **{"continue": "same-token"})))

    assert str(failure) == "the API server returned the same continue token twice; the list cannot finish"


def test_a_body_that_is_not_json_fails_the_kind(services_answer):
    failure = services_answer(lambda query: (200, b"<html>proxy login</html>"))

    assert str(failure).startswith("the API server answered with a body that is not JSON: ")


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"kind": "ServiceList", "items": {"web": {}}}'])
def test_a_body_that_is_not_a_list_fails_the_kind(services_answer, body: bytes):
    failure = services_answer(lambda query: (200, body))

    assert str(failure) == "the API server answered with something that is not a list"


def test_an_error_body_that_is_not_a_status_is_shown_raw_and_cut(services_answer):
    failure = services_answer(lambda query: (502, b"  upstream connect error " + b"x" * 400 + b"\n"))

    message = str(failure)
    assert message.startswith("HTTP 502 Bad Gateway: upstream connect error xxx")
    assert len(message) == len("HTTP 502 Bad Gateway: ") + 200  # the body cut at 200 characters


def test_an_error_status_without_a_message_names_only_the_code(services_answer):
    failure = services_answer(lambda query: (500, b'["not", "a", "Status"]'))

    assert str(failure) == "HTTP 500 Internal Server Error"


def test_refused_credentials_say_to_log_in_again():
    with KubeDouble() as double:
        double.fail(plural="httproutes", code=401, reason="Unauthorized", message="token has expired")
        client = double.api_client()
        try:
            read = read_cluster(api_client=client)
        finally:
            client.close()

    assert not read.complete
    assert read.failures == ("HTTPRoute: HTTP 401 Unauthorized: the credentials were refused (token has expired); "
                             "log in again or refresh the kubeconfig's token",)
    assert "HTTPRoute" not in read.resource_versions


# -- kubeconfigs that cannot be used -------------------------------------------------------------

def _write_kubeconfig(tmp_path, **config) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", **config}))
    return str(path)


CLUSTERS = [{"name": "double", "cluster": {"server": "http://127.0.0.1:9"}}]
USERS = [{"name": "tester", "user": {"token": "t"}}]


def test_no_current_context_asks_for_one(tmp_path):
    kubeconfig = _write_kubeconfig(tmp_path, clusters=CLUSTERS, users=USERS,
                                   contexts=[{"name": "dev", "context": {"cluster": "double", "user": "tester"}}])

    with pytest.raises(ClusterUnavailable) as raised:
        read_cluster(kubeconfig=kubeconfig)

    assert str(raised.value) == (f"cannot use the current context: {kubeconfig} sets no current-context "
                                 "(it has: dev); pass one with --context")


def test_no_contexts_at_all_is_said(tmp_path):
    kubeconfig = _write_kubeconfig(tmp_path, clusters=CLUSTERS, users=USERS)

    with pytest.raises(ClusterUnavailable) as raised:
        read_cluster(kubeconfig=kubeconfig, context="dev")

    assert str(raised.value).startswith(f"cannot use context 'dev': it is not in {kubeconfig} (it has no contexts); ")


def test_a_context_naming_a_missing_cluster_shows_the_clients_reason(tmp_path):
    kubeconfig = _write_kubeconfig(tmp_path, clusters=CLUSTERS, users=USERS, **{"current-context": "dev"},
                                   contexts=[{"name": "dev", "context": {"cluster": "elsewhere", "user": "tester"}}])

    with pytest.raises(ClusterUnavailable) as raised:
        read_cluster(kubeconfig=kubeconfig)

    message = str(raised.value)
    assert message.startswith(f"cannot use the current context from {kubeconfig}: ")
    assert "elsewhere" in message
    assert message.endswith("; fix the kubeconfig (kubectl config view shows it)")


def test_a_kubeconfig_path_list_is_searched_past_unreadable_entries(tmp_path):
    broken = tmp_path / "broken"
    broken.write_text("contexts: [unclosed\n")
    listed = _write_kubeconfig(tmp_path, clusters=CLUSTERS, users=USERS,
                               contexts=[{"name": "prod", "context": {"cluster": "double", "user": "tester"}}])
    path_list = f"{tmp_path / 'absent'}:{broken}:{listed}"

    with pytest.raises(ClusterUnavailable) as raised:
        read_cluster(kubeconfig=path_list, context="staging")

    assert "(it has: prod)" in str(raised.value)
