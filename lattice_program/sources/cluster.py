"""Read the objects lattice-gateway needs from a live cluster, as plain dicts.

The cluster is one more source: it yields :class:`~lattice_program.sources.files.RawObject`
exactly as the file source does (dicts as the API server sends them, camelCase keys,
``apiVersion`` and ``kind`` filled in because list items lack them), so parsing and
translation never know where the objects came from.

Safety rule: nothing is lost.  A kind that could not be listed completely makes the read
incomplete (:attr:`ClusterRead.complete` is false, the failure is named) and callers must
not plan deletions from it; the other kinds are still returned, for a plan that only
shows.  Only an optional CRD that is not installed (ReferenceGrant) counts as an empty,
complete list.

Each kind is listed by its own function (:func:`list_kind`) through the same client call
a watch uses (:func:`list_call`), and keeps the list's resourceVersion, so the watch
daemon can list, then watch from that version, with no second way of reading.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from lattice_program.sources import lattice_crds
from lattice_program.sources.files import RawObject

DEFAULT_PAGE_SIZE = 500
# (connect, read) seconds for every request; a page of 500 objects is read well within this.
DEFAULT_REQUEST_TIMEOUT: Tuple[float, float] = (5.0, 60.0)
DEFAULT_KUBECONFIG = "~/.kube/config"

GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_API_INSTALL_HINT = (
    "install the Gateway API CRDs (v1.0 or later): kubectl apply --server-side -f "
    "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.0/standard-install.yaml"
)

RequestTimeout = Union[float, Tuple[float, float]]


class ClusterUnavailable(Exception):
    """The cluster cannot be addressed at all (no kubeconfig, unknown context, bad credentials
    configuration); the message names the context and the fix."""


class KindNotServed(Exception):
    """No version of a kind is served by the cluster (its CRD is not installed)."""


class ListFailed(Exception):
    """A kind could not be listed completely; the message says why."""


class ServerUnreachable(ListFailed):
    """The API server did not answer at all; listing further kinds would fail the same way."""


@dataclass(frozen=True)
class ClusterKind:
    kind: str
    group: str  # "" for the core group
    versions: Tuple[str, ...]  # tried in order; the next is tried when one is not served
    plural: str
    required: bool  # a required kind that is not served makes the read incomplete
    namespaced: bool = True

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


GATEWAY_CLASS = ClusterKind("GatewayClass", GATEWAY_GROUP, ("v1",), "gatewayclasses", required=True,
                            namespaced=False)
GATEWAY = ClusterKind("Gateway", GATEWAY_GROUP, ("v1",), "gateways", required=True)
HTTP_ROUTE = ClusterKind("HTTPRoute", GATEWAY_GROUP, ("v1",), "httproutes", required=True)
# Many clusters serve ReferenceGrant only as v1beta1 (it reached v1 late in the standard channel).
REFERENCE_GRANT = ClusterKind("ReferenceGrant", GATEWAY_GROUP, ("v1", "v1beta1"), "referencegrants", required=False)
SERVICE = ClusterKind("Service", "", ("v1",), "services", required=True)
NAMESPACE = ClusterKind("Namespace", "", ("v1",), "namespaces", required=True, namespaced=False)
ENDPOINT_SLICE = ClusterKind("EndpointSlice", "discovery.k8s.io", ("v1",), "endpointslices", required=True)

# Route kinds beyond HTTPRoute, and the AWS controller's own CRDs, are optional: a
# cluster without their CRDs simply has none of them.
GRPC_ROUTE = ClusterKind("GRPCRoute", GATEWAY_GROUP, ("v1",), "grpcroutes", required=False)
TLS_ROUTE = ClusterKind("TLSRoute", GATEWAY_GROUP, ("v1", "v1alpha3", "v1alpha2"), "tlsroutes", required=False)
# Read to refuse what they ask: TCP/UDP routes (told VPC Lattice does not serve them) and
# BackendTLSPolicies (their backends are refused rather than reached without TLS).
TCP_ROUTE = ClusterKind("TCPRoute", GATEWAY_GROUP, ("v1alpha2",), "tcproutes", required=False)
UDP_ROUTE = ClusterKind("UDPRoute", GATEWAY_GROUP, ("v1alpha2",), "udproutes", required=False)
BACKEND_TLS_POLICY = ClusterKind("BackendTLSPolicy", GATEWAY_GROUP, ("v1", "v1alpha3"), "backendtlspolicies",
                                 required=False)
AWS_GROUP = "application-networking.k8s.aws"
AWS_KINDS: Tuple[ClusterKind, ...] = tuple(
    ClusterKind(kind, AWS_GROUP, ("v1alpha1",), plural, required=False)
    for kind, plural in (("TargetGroupPolicy", "targetgrouppolicies"), ("VpcAssociationPolicy", "vpcassociationpolicies"),
                         ("IAMAuthPolicy", "iamauthpolicies"), ("AccessLogPolicy", "accesslogpolicies"),
                         ("ServiceExport", "serviceexports"), ("ServiceImport", "serviceimports"))
)

# Our own backend kind (sources/lattice_crds.py); optional: its CRD is installed only where it is used.
LATTICE_BACKEND = ClusterKind(lattice_crds.KIND, lattice_crds.GROUP, tuple(sorted(lattice_crds.VERSIONS)),
                              lattice_crds.PLURAL, required=False)

KINDS: Tuple[ClusterKind, ...] = (GATEWAY_CLASS, GATEWAY, HTTP_ROUTE, GRPC_ROUTE, TLS_ROUTE, TCP_ROUTE, UDP_ROUTE,
                                  REFERENCE_GRANT, BACKEND_TLS_POLICY, SERVICE, NAMESPACE, ENDPOINT_SLICE) + AWS_KINDS + (
                                  LATTICE_BACKEND,)


@dataclass(frozen=True)
class ListCall:
    """One kind's list-or-watch call on the official client: ``function(*args, **options)``.
    A watch passes ``watch=True`` and ``resource_version`` to the same call."""

    function: Callable[..., Any]
    args: Tuple[str, ...]

    def __call__(self, **options: Any) -> Any:
        return self.function(*self.args, **options)


@dataclass(frozen=True)
class KindList:
    kind: ClusterKind
    version: str  # the version that was served
    items: Tuple[Dict[str, Any], ...]  # with apiVersion and kind filled in
    resource_version: str  # of the list; a watch starts from here


@dataclass(frozen=True)
class ClusterRead:
    objects: Tuple[RawObject, ...]
    complete: bool  # every kind listed fully
    failures: Tuple[str, ...]  # "<kind>: <reason>" per kind that failed
    resource_versions: Dict[str, str]  # kind -> list resourceVersion (for a later watch)


def read_cluster(*, context: Optional[str] = None, kubeconfig: Optional[str] = None,
                 api_client: Optional[k8s_client.ApiClient] = None, cluster_name: str = "default",
                 kinds: Tuple[ClusterKind, ...] = KINDS, page_size: int = DEFAULT_PAGE_SIZE,
                 request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT) -> ClusterRead:
    """List every kind cluster-wide; a kind that fails is named and the others still read."""
    owned = api_client is None
    client = connect(context=context, kubeconfig=kubeconfig) if owned else api_client
    try:
        return _read_kinds(client, kinds, cluster_name=cluster_name, page_size=page_size,
                           request_timeout=request_timeout)
    finally:
        if owned:
            client.close()


def _read_kinds(api_client: k8s_client.ApiClient, kinds: Tuple[ClusterKind, ...], *, cluster_name: str,
                page_size: int, request_timeout: RequestTimeout) -> ClusterRead:
    objects: List[RawObject] = []
    failures: List[str] = []
    resource_versions: Dict[str, str] = {}
    unreachable = False
    for kind in kinds:
        if unreachable:
            failures.append(f"{kind.kind}: not read, the API server did not answer")
            continue
        try:
            listed = list_kind(api_client, kind, page_size=page_size, request_timeout=request_timeout)
        except KindNotServed as missing:
            if kind.required:
                failures.append(f"{kind.kind}: {missing}")
            continue
        except ServerUnreachable as error:
            unreachable = True
            failures.append(f"{kind.kind}: {error}")
            continue
        except ListFailed as error:
            failures.append(f"{kind.kind}: {error}")
            continue
        resource_versions[kind.kind] = listed.resource_version
        objects.extend(RawObject(item, origin_of(cluster_name, kind, item)) for item in listed.items)
    return ClusterRead(tuple(objects), not failures, tuple(failures), resource_versions)


def origin_of(cluster_name: str, kind: ClusterKind, item: Dict[str, Any]) -> str:
    """Where an object came from, as problems name it: ``cluster:<name>/<Kind>/<ns>/<name>``."""
    metadata = item.get("metadata") or {}
    namespace = metadata.get("namespace")
    place = f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))
    return f"cluster:{cluster_name}/{kind.kind}/{place}"


# -- one kind ---------------------------------------------------------------------------------

def list_call(api_client: k8s_client.ApiClient, kind: ClusterKind, version: str) -> ListCall:
    """The official client's cluster-wide list-or-watch call for one kind and version."""
    if kind.group == "":
        core = k8s_client.CoreV1Api(api_client)
        functions = {"services": core.list_service_for_all_namespaces, "namespaces": core.list_namespace}
        return ListCall(functions[kind.plural], ())
    if (kind.group, kind.plural) == ("discovery.k8s.io", "endpointslices"):
        return ListCall(k8s_client.DiscoveryV1Api(api_client).list_endpoint_slice_for_all_namespaces, ())
    return ListCall(k8s_client.CustomObjectsApi(api_client).list_cluster_custom_object,
                    (kind.group, version, kind.plural))


def list_kind(api_client: k8s_client.ApiClient, kind: ClusterKind, *, page_size: int = DEFAULT_PAGE_SIZE,
              request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT) -> KindList:
    """Every object of one kind, all pages, from the first served version.

    Raises :class:`KindNotServed` when no version is served (404), :class:`ListFailed`
    (or :class:`ServerUnreachable`) when the list could not be read completely.
    """
    for version in kind.versions:
        call = list_call(api_client, kind, version)
        try:
            items, resource_version = _list_pages(call, page_size=page_size, request_timeout=request_timeout)
        except ApiException as error:
            if error.status == 404:
                continue
            raise ListFailed(_api_problem(kind, error)) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            cause = getattr(error, "reason", None) or error  # MaxRetryError wraps the cause
            if isinstance(cause, (urllib3.exceptions.ConnectTimeoutError, ConnectionError)):
                host = api_client.configuration.host
                raise ServerUnreachable(f"cannot reach the API server at {host}: {cause}") from None
            # A read timeout or a dropped stream may be this kind's alone (a huge list): go on.
            raise ListFailed(f"the API server stopped answering: {cause}") from None
        api_version = kind.api_version(version)
        normalized = tuple({"apiVersion": api_version, "kind": kind.kind, **item} for item in items)
        return KindList(kind, version, normalized, resource_version)
    tried = ", ".join(kind.api_version(v) for v in kind.versions)
    hint = f"; {GATEWAY_API_INSTALL_HINT}" if kind.group == GATEWAY_GROUP else ""
    raise KindNotServed(f"{kind.resource} is not served by the cluster (tried {tried}){hint}")


def _list_pages(call: ListCall, *, page_size: int,
                request_timeout: RequestTimeout) -> Tuple[List[Dict[str, Any]], str]:
    """All pages of one list as one consistent snapshot.

    When the continue token expires mid-list (410), the list restarts from the first page
    once, as client-go's pager does; the abandoned pages are dropped, so the result is
    still one snapshot.
    """
    try:
        return _list_once(call, page_size=page_size, request_timeout=request_timeout)
    except ApiException as error:
        if error.status != 410:
            raise
    return _list_once(call, page_size=page_size, request_timeout=request_timeout)


def _list_once(call: ListCall, *, page_size: int,
               request_timeout: RequestTimeout) -> Tuple[List[Dict[str, Any]], str]:
    items: List[Dict[str, Any]] = []
    token: Optional[str] = None
    resource_version = ""
    while True:
        page = _get_page(call, page_size=page_size, token=token, request_timeout=request_timeout)
        items.extend(page.get("items") or [])
        metadata = page.get("metadata") or {}
        if token is None:  # the snapshot's version is the first page's
            resource_version = str(metadata.get("resourceVersion") or "")
        next_token = metadata.get("continue") or None
        if next_token is None:
            return items, resource_version
        if next_token == token:
            raise ListFailed("the API server returned the same continue token twice; the list cannot finish")
        token = next_token


def _get_page(call: ListCall, *, page_size: int, token: Optional[str],
              request_timeout: RequestTimeout) -> Dict[str, Any]:
    options: Dict[str, Any] = {"limit": page_size, "_preload_content": False, "_request_timeout": request_timeout}
    if token is not None:
        options["_continue"] = token
    response = call(**options)
    try:
        body = json.loads(response.data)
    except ValueError as error:
        raise ListFailed(f"the API server answered with a body that is not JSON: {error}") from None
    finally:
        response.release_conn()
    if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
        raise ListFailed("the API server answered with something that is not a list")
    return body


def _api_problem(kind: ClusterKind, error: ApiException) -> str:
    message = _status_message(error)
    if error.status == 401:
        return f"HTTP 401 Unauthorized: the credentials were refused ({message}); log in again or refresh the kubeconfig's token"
    if error.status == 403:
        return (f"HTTP 403 Forbidden: the identity may not list {kind.resource} cluster-wide ({message}); "
                f"grant list and watch on {kind.resource} with a ClusterRole")
    if error.status == 410:
        return f"HTTP 410 Gone: the list expired twice while paging ({message}); retry, or raise the page size"
    return f"HTTP {error.status} {error.reason or ''}".rstrip() + (f": {message}" if message else "")


def _status_message(error: ApiException) -> str:
    """The ``message`` of the API server's Status body, or the raw body when it is not one."""
    try:
        status = json.loads(error.body or "")
    except ValueError:
        return (error.body or "").strip()[:200]
    return str(status.get("message") or "") if isinstance(status, dict) else ""


# -- configuration ------------------------------------------------------------------------------

def connect(*, context: Optional[str] = None, kubeconfig: Optional[str] = None) -> k8s_client.ApiClient:
    """An ApiClient for ``context`` in ``kubeconfig`` (default: $KUBECONFIG, then ~/.kube/config).

    The kubeconfig is never written back (``persist_config=False``): reading a cluster
    must not change the user's files.
    """
    config_file = kubeconfig or os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    configuration = pooled_configuration()
    try:
        return k8s_config.new_client_from_config(config_file=config_file, context=context, persist_config=False,
                                                 client_configuration=configuration)
    except (ConfigException, OSError, ValueError, yaml.YAMLError) as error:
        raise ClusterUnavailable(_config_problem(error, context=context, config_file=config_file)) from None


def pooled_configuration() -> k8s_client.Configuration:
    """A client configuration that pools a connection for every kind's watch (urllib3's
    default, 5 per CPU, is fewer than the kinds on a 2-core machine, and it discards the rest)."""
    configuration = k8s_client.Configuration()
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, len(KINDS) + 4)
    return configuration


def _config_problem(error: BaseException, *, context: Optional[str], config_file: str) -> str:
    which = f"context {context!r}" if context else "the current context"
    documents = _kubeconfig_documents(config_file)
    if not documents:
        return (f"cannot use {which}: no kubeconfig at {config_file}; set KUBECONFIG to one, "
                f"or create one (e.g. aws eks update-kubeconfig --name CLUSTER)")
    names = sorted({str(c.get("name")) for d in documents for c in (d.get("contexts") or []) if isinstance(c, dict)})
    known = f"it has: {', '.join(names)}" if names else "it has no contexts"
    if context and context not in names:
        return (f"cannot use {which}: it is not in {config_file} ({known}); "
                f"pass one of those with --context (kubectl config get-contexts lists them)")
    if not context and not any(d.get("current-context") for d in documents):
        return f"cannot use {which}: {config_file} sets no current-context ({known}); pass one with --context"
    return f"cannot use {which} from {config_file}: {error}; fix the kubeconfig (kubectl config view shows it)"


def _kubeconfig_documents(config_file: str) -> List[Dict[str, Any]]:
    """The readable kubeconfig files of a KUBECONFIG-style path list, for diagnosis only."""
    documents = []
    for path in config_file.split(os.pathsep):
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as stream:
                document = yaml.safe_load(stream)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(document, dict):
            documents.append(document)
    return documents
