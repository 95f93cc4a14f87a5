"""A real etcd and kube-apiserver for tests, built by ``tools/engines.py``.

:class:`KubeApiServer` starts both on 127.0.0.1 (free ports, a temp dir of their own),
with certificates made by the ``openssl`` CLI (``cryptography`` is not installed), and
writes a kubeconfig with two contexts: ``admin`` (``O=system:masters``) and
``restricted`` (``CN=lattice-watch``, no groups: RBAC grants it nothing but discovery).

There is no kube-controller-manager: nothing fills EndpointSlices, ServiceAccounts or
``kube-root-ca.crt``, and nothing empties a deleted namespace.  :meth:`delete_namespace`
does the namespace controller's work itself (delete every namespaced object, then
finalize), so a namespace really goes away and the shared server stays clean for
cluster-wide reads.

Fixtures: ``kube_apiserver`` (one per session, with the Gateway API v1.5.0 and AWS
controller CRDs), ``kube_namespace`` (a fresh namespace per test) and
``kube_apiserver_factory`` (more servers, stopped after the test).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import pytest
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from tests.support.engines import REPO, engine_bin_dir

REFERENCE = REPO.parent / "shared" / "reference"
GATEWAY_API_CRDS = REFERENCE / "gateway-api-v1.5.0"
AWS_CRDS = REFERENCE / "aws-gateway-controller" / "crds"
READY_TIMEOUT = 60.0
STOP_GRACE = 5.0
ADMIN, RESTRICTED = "admin", "restricted"
RESTRICTED_USER = "lattice-watch"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
AGGREGATED_DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


# libyaml: the CRDs are 30,000 lines, a second of pure-Python parsing.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def standard_crd_files() -> List[Path]:
    """Gateway API v1.5.0 standard CRDs, with the experimental TLSRoute (it also serves
    v1alpha2 and v1alpha3) in place of the standard one."""
    standard = sorted((GATEWAY_API_CRDS / "standard").glob("*.yaml"))
    experimental = sorted((GATEWAY_API_CRDS / "experimental").glob("*.yaml"))
    replaced = {path.name for path in experimental}
    return [path for path in standard if path.name not in replaced] + experimental


def aws_crd_files() -> List[Path]:
    return sorted(AWS_CRDS.glob("*.yaml"))


@dataclass(frozen=True)
class Resource:
    prefix: str  # /api/v1 or /apis/<group>/<version>
    plural: str
    namespaced: bool
    verbs: frozenset
    preferred: bool  # of its group's versions, the one the server prefers

    def path(self, namespace: Optional[str] = None, name: Optional[str] = None) -> str:
        where = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        return f"{self.prefix}{where}/{self.plural}" + (f"/{name}" if name else "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_pki(pki: Path) -> None:
    """CA, serving cert, two client certs and the service-account key pair (EC P-256:
    RSA key generation would cost a second per server on this machine)."""
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=lattice-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki)
    leaves = {
        "apiserver": ("/CN=kube-apiserver", "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"),
        "admin": ("/O=system:masters/CN=admin", "extendedKeyUsage=clientAuth\n"),
        RESTRICTED: (f"/CN={RESTRICTED_USER}", "extendedKeyUsage=clientAuth\n"),
    }
    for name, (subject, extensions) in leaves.items():
        (pki / f"{name}.ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n" + extensions)
        _openssl("req", *curve, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=pki)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=pki)
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "sa.key", cwd=pki)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


class KubeApiServer:
    """etcd + kube-apiserver on loopback; :meth:`start`, then :meth:`stop` (or use ``with``).

    ``extra_args`` go to kube-apiserver (e.g. ``--watch-cache=false``, so that a watch is
    served by etcd and a compacted revision answers 410 Gone)."""

    def __init__(self, *, extra_args: Sequence[str] = ()):
        self.etcd_bin = engine_bin_dir("etcd") / "etcd"
        self.apiserver_bin = engine_bin_dir("kube-apiserver") / "kube-apiserver"
        self.extra_args = tuple(extra_args)
        self.dir: Optional[Path] = None
        self.etcd_port = self.port = 0
        self._etcd: Optional[subprocess.Popen] = None
        self._apiserver: Optional[subprocess.Popen] = None
        self._clients: List[k8s_client.ApiClient] = []
        self._admin: Optional[k8s_client.ApiClient] = None

    # -- life -------------------------------------------------------------------------------

    def start(self) -> "KubeApiServer":
        self.dir = Path(tempfile.mkdtemp(prefix="lattice-kube-"))
        try:
            (self.dir / "pki").mkdir()
            _make_pki(self.dir / "pki")
            self.etcd_port, self.port = _free_port(), _free_port()
            self._write_kubeconfig()
            self._etcd = self._spawn("etcd", [
                str(self.etcd_bin), f"--data-dir={self.dir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}", f"--advertise-client-urls={self.etcd_url}",
                "--listen-peer-urls=http://localhost:0", "--unsafe-no-fsync", "--log-level=warn"])
            self._wait("etcd", self._etcd, self._etcd_healthy)
            self.start_apiserver()
        except BaseException:
            self.stop()
            raise
        return self

    def start_apiserver(self) -> None:
        """(Re)start kube-apiserver alone, on the same port and etcd (after :meth:`stop_apiserver`)."""
        pki = self.dir / "pki"
        self._apiserver = self._spawn("kube-apiserver", [
            str(self.apiserver_bin), f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
            f"--secure-port={self.port}",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}", "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
            "--disable-admission-plugins=ServiceAccount",
            f"--service-account-issuer=https://127.0.0.1:{self.port}",
            f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
            # Without it, SIGTERM waits for open watches to end on their own (up to a minute).
            "--shutdown-watch-termination-grace-period=1s",
            *self.extra_args])
        self._wait("kube-apiserver", self._apiserver, self._apiserver_ready)

    def stop_apiserver(self) -> None:
        _terminate(self._apiserver)
        self._apiserver = None

    def stop(self) -> None:
        for api in self._clients:
            api.close()
        self._clients.clear()
        self._admin = None
        _terminate(self._apiserver)
        _terminate(self._etcd)
        self._apiserver = self._etcd = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "KubeApiServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _spawn(self, name: str, argv: List[str]) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "ab")
        try:
            # A session of its own: a Ctrl-C in the terminal reaches pytest only, which then
            # stops the servers in order.  If pytest itself dies, so do they (Linux).
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            log.close()

    def _wait(self, name: str, process: subprocess.Popen, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                why = f"exited with {process.returncode}" if process.returncode is not None else \
                    f"not ready after {READY_TIMEOUT:g} s"
                tail = (self.dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} {why}; the end of its log:\n{tail}")
            time.sleep(0.1)

    def _etcd_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.etcd_url}/health", timeout=2) as response:
                return json.loads(response.read()).get("health") == "true"
        except (OSError, ValueError):
            return False

    def _apiserver_ready(self) -> bool:
        pki = self.dir / "pki"
        context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2, context=context) as response:
                return response.read().strip() == b"ok"
        except (OSError, ValueError):
            return False

    # -- addresses --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_port}"

    @property
    def kubeconfig(self) -> Path:
        return self.dir / "kubeconfig"

    def _write_kubeconfig(self) -> None:
        pki = self.dir / "pki"
        users = {ADMIN: "admin", RESTRICTED: RESTRICTED}
        document = {
            "apiVersion": "v1", "kind": "Config", "current-context": ADMIN,
            "clusters": [{"name": "test", "cluster": {"server": self.url, "certificate-authority": str(pki / "ca.crt")}}],
            "users": [{"name": user, "user": {"client-certificate": str(pki / f"{cert}.crt"),
                                              "client-key": str(pki / f"{cert}.key")}} for user, cert in users.items()],
            "contexts": [{"name": user, "context": {"cluster": "test", "user": user}} for user in users],
        }
        self.kubeconfig.write_text(yaml.safe_dump(document))

    def api_client(self, context: str = ADMIN, *, pool_size: Optional[int] = None) -> k8s_client.ApiClient:
        """A client for ``context``, closed by :meth:`stop`.  ``pool_size``: urllib3
        connections kept (a ClusterCache holds one watch per kind; the default is 5 per core)."""
        if pool_size is None:
            api = k8s_config.new_client_from_config(config_file=str(self.kubeconfig), context=context,
                                                    persist_config=False)
        else:
            configuration = k8s_client.Configuration()
            k8s_config.load_kube_config(config_file=str(self.kubeconfig), context=context,
                                        client_configuration=configuration, persist_config=False)
            configuration.connection_pool_maxsize = pool_size
            api = k8s_client.ApiClient(configuration)
        self._clients.append(api)
        return api

    @property
    def admin(self) -> k8s_client.ApiClient:
        """The admin client the helpers below use (pooled widely enough for a ClusterCache)."""
        if self._admin is None:
            self._admin = self.api_client(ADMIN, pool_size=32)
        return self._admin

    # -- objects ----------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                **query: Any) -> Dict[str, Any]:
        """One request through the official client's transport, JSON in and out; a status
        other than 2xx raises ApiException."""
        api = self.admin
        params = api.param_serialize(method, path, query_params=list(query.items()) or None, body=body,
                                     header_params={"Accept": "application/json", "Content-Type": content_type},
                                     auth_settings=["BearerToken"])
        response = api.call_api(*params, _request_timeout=(5.0, 30.0))
        response.read()
        if not 200 <= response.status <= 299:
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return json.loads(response.data) if response.data else {}

    def apply_crds(self, paths: Iterable[Path], *, warm: bool = True, timeout: float = 30.0) -> List[str]:
        """Create the CRDs in ``paths`` (an existing one is left as it is) and wait until
        each is Established; their names.  ``warm``: have the server compile each one's
        validation now (see below)."""
        names, warm_ups = [], []
        for path in paths:
            for document in yaml.load_all(Path(path).read_text(), Loader=_YamlLoader):
                if not document or document.get("kind") != "CustomResourceDefinition":
                    continue
                try:
                    self.request("POST", CRDS, document)
                except ApiException as error:
                    if error.status != 409:
                        raise
                names.append(document["metadata"]["name"])
                spec = document["spec"]
                served = next(v["name"] for v in spec["versions"] if v.get("served"))
                where = "/namespaces/default" if spec["scope"] == "Namespaced" else ""
                warm_ups.append((f"/apis/{spec['group']}/{served}{where}/{spec['names']['plural']}",
                                 {"apiVersion": f"{spec['group']}/{served}", "kind": spec["names"]["kind"],
                                  "metadata": {"name": "warm-up"}, "spec": {}}))
        deadline = time.monotonic() + timeout
        for name in names:
            while not self._established(name):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"CRD {name} not Established after {timeout:g} s")
                time.sleep(0.05)
        # The server compiles a CRD's validation (CEL programs) on the first write: two
        # seconds for HTTPRoute.  A dry run pays it here, not in the first test's timing.
        for path, body in warm_ups if warm else ():
            try:
                self.request("POST", path, body, dryRun="All")
            except ApiException as error:
                if error.status != 422:  # an empty spec may well be invalid
                    raise
        return names

    def _established(self, name: str) -> bool:
        conditions = (self.request("GET", f"{CRDS}/{name}").get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)

    def resources(self) -> Dict[Tuple[str, str], "Resource"]:
        """Every resource served now, by (apiVersion, kind), from aggregated discovery
        (two requests; read afresh each time, as CRDs come and go)."""
        found: Dict[Tuple[str, str], Resource] = {}
        for root in ("/api", "/apis"):
            api = self.admin
            params = api.param_serialize("GET", root, header_params={"Accept": AGGREGATED_DISCOVERY},
                                         auth_settings=["BearerToken"])
            response = api.call_api(*params, _request_timeout=(5.0, 30.0))
            response.read()
            for group in json.loads(response.data).get("items") or []:
                for version in group.get("versions") or []:
                    api_version = f"{group['metadata'].get('name') or ''}/{version['version']}".lstrip("/")
                    prefix = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
                    for resource in version.get("resources") or []:
                        kind = (resource.get("responseKind") or {}).get("kind")
                        found.setdefault((api_version, kind), Resource(
                            prefix, resource["resource"], resource.get("scope") == "Namespaced",
                            frozenset(resource.get("verbs") or ()), preferred=version is group["versions"][0]))
        return found

    def path(self, body: Dict[str, Any], name: Optional[str] = None) -> str:
        """The collection path of ``body``'s kind (in its namespace), or of the object ``name``."""
        resource = self.resources()[(body["apiVersion"], body["kind"])]
        return resource.path((body.get("metadata") or {}).get("namespace"), name)

    def create(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Create any object (a dict with apiVersion and kind); the object as stored."""
        return self.request("POST", self.path(body), body)

    def create_all(self, bodies: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
        return [self.create(body) for body in bodies]

    def patch(self, body: Dict[str, Any], changes: Dict[str, Any]) -> Dict[str, Any]:
        """Merge-patch the object ``body`` names with ``changes``; the object as stored."""
        return self.request("PATCH", self.path(body, body["metadata"]["name"]), changes,
                            content_type="application/merge-patch+json")

    def delete(self, body: Dict[str, Any]) -> None:
        """Delete the object ``body`` names (gone already is fine)."""
        try:
            self.request("DELETE", self.path(body, body["metadata"]["name"]))
        except ApiException as error:
            if error.status != 404:
                raise

    def create_namespace(self, name: str, labels: Optional[Dict[str, str]] = None) -> str:
        self.request("POST", "/api/v1/namespaces", {"metadata": {"name": name, "labels": labels or {}}})
        return name

    def delete_namespace(self, name: str) -> None:
        """Delete every namespaced object in ``name``, then the namespace, then finalize it
        (the namespace controller's work; it does not run here)."""
        for resource in self.resources().values():
            if resource.namespaced and resource.preferred and "deletecollection" in resource.verbs:
                self.request("DELETE", resource.path(name))
        try:
            self.request("DELETE", f"/api/v1/namespaces/{name}")
            self.request("PUT", f"/api/v1/namespaces/{name}/finalize",
                         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "spec": {"finalizers": []}})
        except ApiException as error:
            if error.status != 404:
                raise
        deadline = time.monotonic() + 10
        while self._exists(f"/api/v1/namespaces/{name}"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"namespace {name} still exists")
            time.sleep(0.05)

    def _exists(self, path: str) -> bool:
        try:
            self.request("GET", path)
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    @contextlib.contextmanager
    def namespace(self, name: Optional[str] = None, labels: Optional[Dict[str, str]] = None) -> Iterator[str]:
        """A namespace for the block, emptied and deleted after it."""
        name = self.create_namespace(name or f"test-{uuid.uuid4().hex[:8]}", labels)
        try:
            yield name
        finally:
            self.delete_namespace(name)

    # -- etcd -------------------------------------------------------------------------------

    def revision(self) -> int:
        """etcd's current revision (a range over one key returns it in its header)."""
        answer = self._etcd_post("/v3/kv/range", {"key": base64.b64encode(b"/registry/").decode(), "count_only": True})
        return int(answer["header"]["revision"])

    def compact(self) -> int:
        """Compact etcd to its current revision, so every older resourceVersion is gone
        (a watch from one served by etcd answers 410); the revision compacted to."""
        revision = self.revision()
        self._etcd_post("/v3/kv/compaction", {"revision": str(revision), "physical": True})
        return revision

    def _etcd_post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        request = urllib.request.Request(f"{self.etcd_url}{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent exits (prctl PR_SET_PDEATHSIG)."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM, 0, 0, 0)


def _load_prctl():
    try:  # resolved here, not in the forked child
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _load_prctl()


def _terminate(process: Optional[subprocess.Popen]) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- fixtures ---------------------------------------------------------------------------------

def _require_reference() -> None:
    if not GATEWAY_API_CRDS.is_dir() or not AWS_CRDS.is_dir():
        pytest.skip(f"the reference CRDs are missing: {REFERENCE} (gateway-api-v1.5.0/, aws-gateway-controller/crds/)")


@pytest.fixture(scope="session")
def kube_apiserver() -> Iterator[KubeApiServer]:
    """One real API server for the session, with the Gateway API and AWS controller CRDs."""
    _require_reference()
    with KubeApiServer() as server:
        server.apply_crds(standard_crd_files() + aws_crd_files())
        yield server


@pytest.fixture
def kube_namespace(kube_apiserver: KubeApiServer) -> Iterator[str]:
    """A fresh namespace on the session's server, emptied and deleted after the test."""
    with kube_apiserver.namespace() as name:
        yield name


@pytest.fixture
def kube_apiserver_factory() -> Iterator[Callable[..., KubeApiServer]]:
    """``start(crds=(), extra_args=())``: another server, for this test only."""
    started: List[KubeApiServer] = []

    def start(crds: Iterable[Path] = (), extra_args: Sequence[str] = ()) -> KubeApiServer:
        crds = list(crds)
        if crds:
            _require_reference()
        server = KubeApiServer(extra_args=extra_args)
        started.append(server)
        server.start()
        if crds:
            server.apply_crds(crds)
        return server

    yield start
    for server in started:
        server.stop()
