"""The doctor's checks on the answers that are not the happy ones: a pulumi that cannot be
run or whose plugin listing is broken, AWS configuration that fails to resolve credentials
or to reach STS, Service Quotas answers without values, and an API server that drops the
connection or answers what is not JSON (a scripted server on loopback: faults the real
API server cannot be made to show), with a look-alike AWS controller on the real one."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import stat
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Union

import boto3
import pytest
import yaml
from botocore.config import Config
from kubernetes import client as k8s_client

from lattice_program.inspect.checks.aws_identity import check_credentials
from lattice_program.inspect.checks.cluster import BUNDLE_VERSION, CHANNEL, check_cluster
from lattice_program.inspect.checks.pulumi_cli import check_pulumi
from lattice_program.inspect.checks.quotas import check_quotas
from lattice_program.inspect.doctor import Status
from lattice_program.sources.cluster import connect
from lattice_program.vocabulary.settings import CONTROLLER_NAME, StackSettings
from tests.inspect.test_doctor import REGION, Clients, _model, _route, _session
from tests.support.offline import no_ambient_aws

AWS_VERSION = "v7.51.1"


@pytest.fixture
def isolated_aws(monkeypatch, tmp_path):
    """No ambient AWS configuration: no env credentials, no files, no instance metadata."""
    no_ambient_aws(monkeypatch, tmp_path)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unreachable(service: str, region: str):
    """A client for an endpoint where nothing listens: the call fails before any answer."""
    return boto3.client(service, region_name=region, endpoint_url=f"http://127.0.0.1:{_closed_port()}",
                        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=2))


# -- pulumi --------------------------------------------------------------------------------


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "bin" / "pulumi"
    path.parent.mkdir(exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _pulumi_listing(tmp_path: Path, listing: str, rc: int = 0) -> str:
    return _script(tmp_path, "#!/bin/sh\n"
                             'if [ "$1" = version ]; then echo v3.274.1; exit 0; fi\n'
                             f"echo '{listing}'; echo 'error: plugin cache is corrupt' >&2; exit {rc}\n")


def test_a_pulumi_that_cannot_be_executed_fails_and_skips_the_plugin(tmp_path):
    binary = _script(tmp_path, "\x7fELF but not a program\n")
    cli, plugin = check_pulumi(binary, package_versions={"aws": AWS_VERSION})
    assert cli.status is Status.FAIL and cli.detail.startswith(f"{binary} could not be run: ")
    assert "Exec format error" in cli.detail and cli.fix.startswith("reinstall it: install it from")
    assert (plugin.status, plugin.detail) == (Status.SKIP, "the pulumi CLI does not run")


def test_a_pulumi_version_that_hangs_fails_as_not_running(tmp_path):
    binary = _script(tmp_path, "#!/bin/sh\nexec sleep 5\n")

    def quick(argv):
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=0.3)

    cli, plugin = check_pulumi(binary, run=quick, package_versions={"aws": AWS_VERSION})
    assert cli.status is Status.FAIL and "timed out after 0.3 seconds" in cli.detail
    assert plugin.status is Status.SKIP


def test_a_plugin_whose_python_package_is_missing_fails_saying_so(tmp_path):
    binary = _pulumi_listing(tmp_path, "[]")
    _, plugin = check_pulumi(binary, plugins=("no-such-provider",))
    assert (plugin.name, plugin.status) == ("pulumi no-such-provider plugin", Status.FAIL)
    assert plugin.detail == "the pulumi_no-such-provider Python package is not installed, so the program cannot run"
    assert "pip install lattice-gateway" in plugin.fix


def test_the_installed_package_version_is_the_one_asked_for_by_default(tmp_path):
    import importlib.metadata

    version = importlib.metadata.version("pulumi_aws")
    binary = _pulumi_listing(tmp_path, json.dumps([{"name": "aws", "kind": "resource", "version": version}]))
    _, plugin = check_pulumi(binary)
    assert plugin.status is Status.PASS and f"aws v{version} installed" in plugin.detail


def test_a_plugin_listing_that_is_not_json_fails_with_the_install_command(tmp_path):
    _, plugin = check_pulumi(_pulumi_listing(tmp_path, "not json"), package_versions={"aws": AWS_VERSION})
    assert plugin.status is Status.FAIL and plugin.detail.startswith("`pulumi plugin ls --json` could not be read: ")
    assert plugin.fix == f"check it by hand; pulumi plugin install resource aws {AWS_VERSION}"


def test_a_plugin_listing_that_exits_non_zero_fails_with_its_last_error_line(tmp_path):
    _, plugin = check_pulumi(_pulumi_listing(tmp_path, "[]", rc=2), package_versions={"aws": AWS_VERSION})
    assert plugin.status is Status.FAIL
    assert plugin.detail == "`pulumi plugin ls --json` exited 2: error: plugin cache is corrupt"


# -- AWS -------------------------------------------------------------------------------------


def test_credentials_that_fail_to_resolve_are_a_failed_check(isolated_aws, tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text(f"[default]\nregion = {REGION}\ncredential_process = /bin/false\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    result = check_credentials(boto3.Session, REGION, lambda service, region: pytest.fail("STS not to be asked"))
    assert result.status is Status.FAIL
    assert result.detail.startswith("the AWS configuration cannot be used: ") and "custom-process" in result.detail
    assert "~/.aws/config" in result.fix


def test_sts_out_of_reach_fails_naming_the_endpoint(isolated_aws):
    result = check_credentials(_session, REGION, _unreachable)
    assert result.status is Status.FAIL and result.detail.startswith("STS GetCallerIdentity failed: ")
    assert "Could not connect to the endpoint URL" in result.detail
    assert f"sts.{REGION}.amazonaws.com" in result.fix


# -- quotas ------------------------------------------------------------------------------------


def test_a_quota_listed_without_a_value_does_not_hide_its_default(isolated_aws):
    clients = Clients(_session())
    stubber = clients.stub("service-quotas")
    stubber.add_response("list_aws_default_service_quotas", {"Quotas": [
        {"QuotaName": "Rules per listener", "QuotaCode": "L-RULES", "Value": 10.0}]}, {"ServiceCode": "vpc-lattice"})
    stubber.add_response("list_service_quotas", {"Quotas": [
        {"QuotaName": "Rules per listener", "QuotaCode": "L-RULES"}]}, {"ServiceCode": "vpc-lattice"})
    results = {r.name: r for r in check_quotas(clients, REGION, StackSettings(rules_per_listener=11), None)}
    over = results["Lattice quotas: lattice-gateway:rulesPerListener"]
    assert over.status is Status.FAIL and "quota in us-west-2 is 10" in over.detail


def test_quotas_that_name_none_of_the_settings_skip_the_settings_check(isolated_aws):
    clients = Clients(_session())
    stubber = clients.stub("service-quotas")
    stubber.add_response("list_aws_default_service_quotas", {"Quotas": [
        {"QuotaName": "Services per Region", "QuotaCode": "L-SVC", "Value": 500.0}]}, {"ServiceCode": "vpc-lattice"})
    stubber.add_response("list_service_quotas", {"Quotas": []}, {"ServiceCode": "vpc-lattice"})
    results = {r.name: r for r in check_quotas(clients, REGION, StackSettings(), _model(_route(1)))}
    assert results["Lattice quotas: settings"].status is Status.SKIP
    assert "lists none of the quotas the settings assume in us-west-2" in results["Lattice quotas: settings"].detail
    assert results["Lattice quotas: Services per Region"].status is Status.PASS
    assert results["Lattice quotas: Rules per listener"].status is Status.SKIP


def test_quotas_without_credentials_are_skipped_not_failed(isolated_aws):
    session = _session(with_credentials=False)
    [result] = check_quotas(lambda service, region: session.client(service, region_name=region), REGION,
                            StackSettings(), None)
    assert (result.status, result.detail) == (Status.SKIP, "needs AWS credentials (see the AWS credentials check)")


def test_service_quotas_out_of_reach_fails_pointing_at_the_network(isolated_aws):
    [result] = check_quotas(_unreachable, REGION, StackSettings(), None)
    assert result.status is Status.FAIL and result.detail.startswith("Service Quotas could not be read: ")
    assert "network path to Service Quotas" in result.fix


# -- clusters: a scripted API server -------------------------------------------------------------

DROP = "drop"  # close the connection without an answer


class ScriptedApiServer:
    """Answers each path (query left out) with the scripted status and body, or drops the
    connection; anything unscripted is a 404.  With ``tls``, each connection is wrapped in
    ``tls[0]`` as it is accepted (a test may swap it for another certificate)."""

    def __init__(self, script: Dict[str, Union[str, tuple]], tls: Optional[List[ssl.SSLContext]] = None) -> None:
        self.script = script
        self.tls = tls
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                answer = server.script.get(self.path.split("?", 1)[0].rstrip("/"), (404, {"kind": "Status", "code": 404}))
                if answer == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, body = answer() if callable(answer) else answer
                payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                connection, address = super().get_request()
                if server.tls:  # a handshake the client refuses raises here, and the server goes on
                    connection = server.tls[0].wrap_socket(connection, server_side=True)
                return connection, address

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def kubeconfig(self, tmp_path: Path) -> Path:
        host, port = self.httpd.server_address[:2]
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "scripted",
            "clusters": [{"name": "scripted", "cluster": {"server": f"http://{host}:{port}"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "scripted", "context": {"cluster": "scripted", "user": "u"}}]}))
        return path


@pytest.fixture
def scripted(tmp_path) -> Iterator:
    servers = []

    def start(script):
        server = ScriptedApiServer(script)
        server.thread.start()
        servers.append(server)
        kubeconfig = str(server.kubeconfig(tmp_path))
        return lambda context: connect(context=context, kubeconfig=kubeconfig)

    yield start
    for server in servers:
        server.httpd.shutdown()
        server.httpd.server_close()


VERSION = ("/version", (200, {"major": "1", "minor": "31", "gitVersion": "v1.31.2", "gitCommit": "0" * 40,
                              "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
                              "compiler": "gc", "platform": "linux/amd64"}))
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
GATEWAY_CLASSES = "/apis/gateway.networking.k8s.io/v1/gatewayclasses"
DEPLOYMENTS = "/apis/apps/v1/deployments"


def _by_check(results):
    return {r.name.split(": ", 1)[1]: r for r in results}


def _crd_list(*names: str, annotations=None) -> dict:
    return {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {},
            "items": [{"metadata": {"name": name, "annotations": annotations or {}}} for name in names]}


def test_answers_that_break_off_skip_each_check_with_the_reason(scripted):
    connector = scripted(dict([VERSION, (CRDS, (200, "<html>a proxy's error page</html>")),
                               (GATEWAY_CLASSES, DROP), (DEPLOYMENTS, DROP)]))
    results = _by_check(check_cluster("a", "scripted", connector))
    assert results["reachable"].status is Status.PASS and "v1.31.2" in results["reachable"].detail
    for crds in ("Gateway API CRDs", "AWS controller CRDs"):
        assert results[crds].status is Status.SKIP
        assert results[crds].detail.startswith("cannot list CRDs: Expecting value")  # json's word for not JSON
        assert results[crds].fix.startswith("check the network path"), "no permission is missing here"
    assert results["GatewayClass"].status is Status.SKIP
    assert results["GatewayClass"].detail.startswith("cannot list GatewayClasses: ")
    assert "Connection aborted" in results["GatewayClass"].detail
    assert results["no AWS Gateway API Controller"].status is Status.SKIP
    assert results["no AWS Gateway API Controller"].detail.startswith("cannot list Deployments: ")
    assert "Connection aborted" in results["no AWS Gateway API Controller"].detail


def test_one_bundle_without_the_optional_kinds_passes_naming_what_is_not_installed(scripted):
    group = "gateway.networking.k8s.io"
    crds = _crd_list(*(f"{plural}.{group}" for plural in ("gatewayclasses", "gateways", "httproutes")),
                     annotations={BUNDLE_VERSION: "v1.2.1", CHANNEL: "standard"})
    connector = scripted(dict([VERSION, (CRDS, (200, crds))]))
    result = _by_check(check_cluster("a", "scripted", connector))["Gateway API CRDs"]
    assert result.status is Status.PASS
    assert result.detail == ("bundle v1.2.1 (standard channel): gatewayclasses, gateways, httproutes; "
                             "not installed (none are read): grpcroutes, tlsroutes, referencegrants")


def _certificate(tmp_path: Path, name: str) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 (openssl), as a server context; its PEM is
    ``<name>.crt``."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tmp_path / f"{name}.key"), "-out", str(tmp_path / f"{name}.crt")],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / f"{name}.crt", tmp_path / f"{name}.key")
    return context


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_certificate_changed_after_the_version_call_skips_the_rest_naming_the_tls_error(tmp_path):
    """A client that does not retry (retries=False) gets urllib3's SSLError as the official
    client's ApiException with status 0; each later read is skipped with it, no traceback."""
    trusted, stranger = _certificate(tmp_path, "trusted"), _certificate(tmp_path, "stranger")
    tls = [trusted]

    def version_then_rotate():
        tls[0] = stranger
        return VERSION[1]

    server = ScriptedApiServer({"/version": version_then_rotate}, tls=tls)
    server.thread.start()
    try:
        configuration = k8s_client.Configuration(host=f"https://127.0.0.1:{server.httpd.server_address[1]}")
        configuration.ssl_ca_cert = str(tmp_path / "trusted.crt")
        configuration.retries = False
        results = _by_check(check_cluster("a", "tls", lambda context: k8s_client.ApiClient(configuration)))
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    assert results["reachable"].status is Status.PASS
    for crds in ("Gateway API CRDs", "AWS controller CRDs"):
        assert results[crds].status is Status.SKIP
        assert results[crds].detail.startswith("cannot list CRDs: 0 SSLError")
        assert "CERTIFICATE_VERIFY_FAILED" in results[crds].detail
    assert results["GatewayClass"].detail.startswith("cannot list GatewayClasses: 0 SSLError")
    assert results["no AWS Gateway API Controller"].detail.startswith("cannot list Deployments: 0 SSLError")


# -- clusters: the real API server ---------------------------------------------------------------


def _labelled_controller(namespace: str) -> dict:
    """The controller's Helm chart Deployment label on an image of another name (a mirror)."""
    labels = {"control-plane": "gateway-api-controller"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "mirrored-controller", "namespace": namespace, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "manager",
                                                           "image": "registry.example/mirror/manager:v2"}]}}}}


@pytest.mark.needs_kube_apiserver
def test_the_controller_is_known_by_its_label_and_left_alone_under_another_controller_name(kube_apiserver,
                                                                                          kube_namespace):
    kube_apiserver.create(_labelled_controller(kube_namespace))
    connector = lambda context: connect(context=context, kubeconfig=str(kube_apiserver.kubeconfig))  # noqa: E731
    ours = _by_check(check_cluster("a", "admin", connector))["no AWS Gateway API Controller"]
    other = _by_check(check_cluster("a", "admin", connector, controller_name="example.com/lattice-gateway"))
    beside = other["no AWS Gateway API Controller"]

    assert ours.status is Status.FAIL
    assert f"deployment {kube_namespace}/mirrored-controller (registry.example/mirror/manager:v2)" in ours.detail
    assert beside.status is Status.PASS
    assert beside.detail.startswith(f"deployment {kube_namespace}/mirrored-controller")
    assert "runs, but lattice-gateway owns GatewayClasses of controllerName example.com/lattice-gateway, " \
           "not the controller's" in beside.detail
    assert CONTROLLER_NAME not in beside.detail
