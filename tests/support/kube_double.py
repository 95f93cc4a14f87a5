"""A Kubernetes API server double on loopback, for tests that drive the official client.

Why not kmock: kmock 0.8 is an aiohttp server driven from an asyncio event loop, while
the official ``kubernetes`` client is synchronous; its in-memory store has no
resourceVersion, no ``limit``/``continue`` pagination, no 410 Gone and ignores selectors,
which are exactly what list+watch code must be tested against.  Grafting those onto its
asyncio internals would cost more than this small threaded server.

The double keeps the parts of the API server's behaviour that clients depend on:

* one cluster-wide resourceVersion counter (etcd's revision), stamped on every write and
  returned by every list;
* an append-only history of events per resource type, from which a list at an older
  resourceVersion is rebuilt, so paginated lists are consistent snapshots; ``compact()``
  forgets history as etcd compaction does, after which old continue tokens answer 410;
* ``limit``/``continue`` with opaque tokens and ``remainingItemCount``;
* equality and set-based label selectors, ``metadata.name``/``metadata.namespace`` field
  selectors;
* list items without ``apiVersion``/``kind`` (as built-in lists are served), 404 with a
  ``Status`` body for resource types that are not served (a CRD not installed);
* injectable failures and a record of every request.

The history is kept so a watch endpoint (events after a resourceVersion, BOOKMARK, 410
for a compacted version) can be added on top of ``KubeStore.events_since``.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlsplit

import kubernetes.client

ObjectKey = Tuple[str, str]  # (namespace or "", name)


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_CLASSES = ResourceType(GATEWAY_GROUP, "v1", "gatewayclasses", "GatewayClass", namespaced=False)
GATEWAYS = ResourceType(GATEWAY_GROUP, "v1", "gateways", "Gateway", namespaced=True)
HTTP_ROUTES = ResourceType(GATEWAY_GROUP, "v1", "httproutes", "HTTPRoute", namespaced=True)
REFERENCE_GRANTS_V1 = ResourceType(GATEWAY_GROUP, "v1", "referencegrants", "ReferenceGrant", namespaced=True)
REFERENCE_GRANTS_V1BETA1 = ResourceType(GATEWAY_GROUP, "v1beta1", "referencegrants", "ReferenceGrant", namespaced=True)
SERVICES = ResourceType("", "v1", "services", "Service", namespaced=True)
NAMESPACES = ResourceType("", "v1", "namespaces", "Namespace", namespaced=False)
ENDPOINT_SLICES = ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", namespaced=True)

BUILTIN_TYPES = (SERVICES, NAMESPACES, ENDPOINT_SLICES)
GATEWAY_API_TYPES = (GATEWAY_CLASSES, GATEWAYS, HTTP_ROUTES, REFERENCE_GRANTS_V1)


class ApiError(Exception):
    """An answer with a ``Status`` body, as the API server sends for every error."""

    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def status_body(self) -> Dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
                "code": self.code, "reason": self.reason, "message": self.message}


def not_found_resource() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


@dataclass(frozen=True)
class Event:
    resource_version: int
    type: str  # ADDED, MODIFIED, DELETED
    key: ObjectKey
    object: Dict[str, Any]


@dataclass(frozen=True)
class ListPage:
    items: List[Dict[str, Any]]
    resource_version: str
    continue_token: str  # "" on the last page
    remaining_item_count: Optional[int]


class KubeStore:
    """Objects by resource type, with a cluster-wide resourceVersion and event history."""

    def __init__(self, served: Sequence[ResourceType] = BUILTIN_TYPES + GATEWAY_API_TYPES):
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)  # notified on every write (for watches)
        self._revision = 1
        self._compacted = 0  # resourceVersions below this are forgotten
        self._served: Dict[Tuple[str, str, str], ResourceType] = {}
        self._objects: Dict[ResourceType, Dict[ObjectKey, Dict[str, Any]]] = {}
        self._history: Dict[ResourceType, List[Event]] = {}
        for resource_type in served:
            self.serve(resource_type)

    # -- what is served -------------------------------------------------------------------

    def serve(self, resource_type: ResourceType) -> None:
        """Serve a resource type (install its CRD)."""
        with self._lock:
            self._served[(resource_type.group, resource_type.version, resource_type.plural)] = resource_type
            self._objects.setdefault(resource_type, {})
            self._history.setdefault(resource_type, [])

    def withdraw(self, group: str, version: Optional[str] = None) -> None:
        """Stop serving a group (or one version of it), as when its CRDs are not installed."""
        with self._lock:
            for key in [k for k in self._served if k[0] == group and version in (None, k[1])]:
                del self._served[key]

    def served(self, group: str, version: str, plural: str) -> ResourceType:
        with self._lock:
            found = self._served.get((group, version, plural))
        if found is None:
            raise not_found_resource()
        return found

    def _type_of(self, body: Dict[str, Any]) -> ResourceType:
        api_version, kind = body.get("apiVersion", ""), body.get("kind")
        group, _, version = api_version.rpartition("/")
        for resource_type in self._served.values():
            if (resource_type.group, resource_type.version, resource_type.kind) == (group, version, kind):
                return resource_type
        raise ValueError(f"{api_version} {kind} is not served by this double; serve() its ResourceType first")

    # -- writes ---------------------------------------------------------------------------

    @property
    def resource_version(self) -> str:
        with self._lock:
            return str(self._revision)

    def put(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Create or replace an object (given with apiVersion and kind); returns what is stored."""
        with self._lock:
            resource_type = self._type_of(body)
            stored = copy.deepcopy(body)
            metadata = stored.setdefault("metadata", {})
            if not resource_type.namespaced:
                metadata.pop("namespace", None)
            elif not metadata.get("namespace"):
                metadata["namespace"] = "default"
            key = (metadata.get("namespace", ""), metadata["name"])
            previous = self._objects[resource_type].get(key)
            self._revision += 1
            if previous is None:
                metadata.setdefault("uid", str(uuid.uuid4()))
                metadata.setdefault("creationTimestamp", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
                metadata["generation"] = 1
            else:
                metadata["uid"] = previous["metadata"]["uid"]
                metadata["creationTimestamp"] = previous["metadata"]["creationTimestamp"]
                spec_changed = previous.get("spec") != stored.get("spec")
                metadata["generation"] = previous["metadata"]["generation"] + (1 if spec_changed else 0)
            metadata["resourceVersion"] = str(self._revision)
            self._objects[resource_type][key] = stored
            self._record(resource_type, "ADDED" if previous is None else "MODIFIED", key, stored)
            return copy.deepcopy(stored)

    def put_all(self, bodies: Sequence[Dict[str, Any]]) -> None:
        for body in bodies:
            self.put(body)

    def delete(self, resource_type: ResourceType, namespace: str, name: str) -> None:
        with self._lock:
            key = (namespace if resource_type.namespaced else "", name)
            previous = self._objects[resource_type].pop(key)
            self._revision += 1
            gone = copy.deepcopy(previous)
            gone["metadata"]["resourceVersion"] = str(self._revision)
            self._record(resource_type, "DELETED", key, gone)

    def _record(self, resource_type: ResourceType, event_type: str, key: ObjectKey, body: Dict[str, Any]) -> None:
        self._history[resource_type].append(Event(self._revision, event_type, key, copy.deepcopy(body)))
        self.changed.notify_all()

    def compact(self) -> None:
        """Forget history up to now: older continue tokens (and watches) get 410 Gone."""
        with self._lock:
            self._compacted = self._revision

    # -- reads ----------------------------------------------------------------------------

    def get(self, resource_type: ResourceType, namespace: str, name: str) -> Dict[str, Any]:
        with self._lock:
            found = self._objects[resource_type].get((namespace if resource_type.namespaced else "", name))
            if found is None:
                raise ApiError(404, "NotFound", f'{resource_type.plural}.{resource_type.group or "core"} "{name}" not found')
            return copy.deepcopy(found)

    def events_since(self, resource_type: ResourceType, resource_version: int) -> List[Event]:
        """Events after ``resource_version``; 410 when that version has been compacted away."""
        with self._lock:
            if resource_version < self._compacted:
                raise _expired(f"too old resource version: {resource_version} ({self._compacted})")
            return [e for e in self._history[resource_type] if e.resource_version > resource_version]

    def list(self, resource_type: ResourceType, *, namespace: Optional[str] = None, limit: int = 0,
             continue_token: str = "", label_selector: str = "", field_selector: str = "") -> ListPage:
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector)
        with self._lock:
            if continue_token:
                at, start = _decode_continue(continue_token)
                if at < self._compacted:
                    raise _expired("The provided continue parameter is too old to display a consistent list "
                                   "result. You can start a new list without the continue parameter.")
            else:
                at, start = self._revision, None
            state = self._state_at(resource_type, at)
        selected = [
            (key, body) for key, body in sorted(state.items())
            if (namespace is None or key[0] == namespace) and labels(body) and fields(body)
            and (start is None or key > start)
        ]
        page = selected[:limit] if limit > 0 else selected
        more = len(selected) > len(page)
        items = [_as_list_item(body) for _, body in page]
        token = _encode_continue(at, page[-1][0]) if more else ""
        unfiltered = not label_selector and not field_selector
        remaining = len(selected) - len(page) if more and unfiltered else None
        return ListPage(items, str(at), token, remaining)

    def _state_at(self, resource_type: ResourceType, revision: int) -> Dict[ObjectKey, Dict[str, Any]]:
        if revision >= self._revision:
            return dict(self._objects[resource_type])
        state: Dict[ObjectKey, Dict[str, Any]] = {}
        for event in self._history[resource_type]:
            if event.resource_version > revision:
                break
            if event.type == "DELETED":
                state.pop(event.key, None)
            else:
                state[event.key] = event.object
        return state


def _as_list_item(body: Dict[str, Any]) -> Dict[str, Any]:
    item = copy.deepcopy(body)
    item.pop("apiVersion", None)
    item.pop("kind", None)
    return item


def _expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def _encode_continue(revision: int, after: ObjectKey) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": list(after)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> Tuple[int, ObjectKey]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(decoded["rv"]), (str(decoded["start"][0]), str(decoded["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError):
        raise ApiError(400, "BadRequest", f"continue key is not valid: {token!r}") from None


# -- selectors ------------------------------------------------------------------------------

Predicate = Callable[[Dict[str, Any]], bool]
_SET_REQUIREMENT = re.compile(r"\s*(!?)([\w./-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|!=|=)\s*([\w./-]*))?\s*(?:,|$)")


def parse_label_selector(selector: str) -> Predicate:
    """Equality-based (``a=b``, ``a!=b``) and set-based (``a in (x,y)``, ``a notin (x)``,
    ``a``, ``!a``) requirements, all of which must hold."""
    requirements: List[Predicate] = []
    position = 0
    while position < len(selector):
        match = _SET_REQUIREMENT.match(selector, position)
        if match is None or match.end() == position:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {selector[position:]!r}")
        position = match.end()
        negated, key, set_operator, values, operator, value = match.groups()
        requirements.append(_label_requirement(key, negated == "!", set_operator, values, operator, value))
    return lambda body: all(requirement(_labels(body)) for requirement in requirements)


def _label_requirement(key: str, negated: bool, set_operator: Optional[str], values: Optional[str],
                       operator: Optional[str], value: Optional[str]) -> Callable[[Dict[str, str]], bool]:
    if set_operator:
        allowed = {v.strip() for v in (values or "").split(",") if v.strip()}
        if set_operator == "in":
            return lambda labels: labels.get(key) in allowed
        return lambda labels: labels.get(key) not in allowed
    if operator in ("=", "=="):
        return lambda labels: labels.get(key) == value
    if operator == "!=":
        return lambda labels: labels.get(key) != value
    if negated:
        return lambda labels: key not in labels
    return lambda labels: key in labels


def _labels(body: Dict[str, Any]) -> Dict[str, str]:
    return body.get("metadata", {}).get("labels") or {}


_FIELDS = {"metadata.name": "name", "metadata.namespace": "namespace"}


def parse_field_selector(selector: str) -> Predicate:
    requirements: List[Predicate] = []
    for part in filter(None, (p.strip() for p in selector.split(","))):
        match = re.fullmatch(r"([\w.]+)\s*(==|!=|=)\s*(.*)", part)
        if match is None or match.group(1) not in _FIELDS:
            raise ApiError(400, "BadRequest", f'"{part.split("=")[0].rstrip("!")}" is not a known field selector: '
                                              f"only {', '.join(sorted(_FIELDS))}")
        name, operator, value = _FIELDS[match.group(1)], match.group(2), match.group(3)
        equal = operator != "!="
        requirements.append(lambda body, n=name, v=value, e=equal: (body.get("metadata", {}).get(n, "") == v) == e)
    return lambda body: all(requirement(body) for requirement in requirements)


# -- the HTTP side --------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Dict[str, str]

    @property
    def is_continuation(self) -> bool:
        return bool(self.query.get("continue"))


@dataclass
class Failure:
    """Answer matching requests with an error instead of serving them."""

    when: Callable[[RecordedRequest], bool]
    error: ApiError
    times: Optional[int] = None  # None: every matching request

    def take(self, request: RecordedRequest) -> bool:
        if self.times == 0 or not self.when(request):
            return False
        if self.times is not None:
            self.times -= 1
        return True


@dataclass
class _Route:
    resource_type: ResourceType
    namespace: Optional[str]
    name: Optional[str]


_PATH = re.compile(r"^/(?:api/(?P<core_version>[^/]+)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))/(?P<rest>.+)$")


class KubeDouble:
    """The store behind a threaded HTTP server on 127.0.0.1; use as a context manager."""

    def __init__(self, store: Optional[KubeStore] = None):
        self.store = store or KubeStore()
        self.requests: List[RecordedRequest] = []
        self.failures: List[Failure] = []
        self.before_request: List[Callable[[RecordedRequest], None]] = []  # hooks, e.g. compact mid-list
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> "KubeDouble":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="kube-double", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the double first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def api_client(self) -> kubernetes.client.ApiClient:
        """An official-client ApiClient pointed at this double (close it when done)."""
        configuration = kubernetes.client.Configuration(host=self.url)
        configuration.retries = 0  # a refused connection should fail the test at once
        return kubernetes.client.ApiClient(configuration)

    # -- failures and records ---------------------------------------------------------------

    def fail(self, *, plural: str, code: int = 500, reason: str = "InternalError",
             message: str = "injected failure", times: Optional[int] = None,
             when: Optional[Callable[[RecordedRequest], bool]] = None) -> Failure:
        """Answer requests for ``plural`` (optionally only those ``when`` accepts) with an error."""
        def matches(request: RecordedRequest) -> bool:
            return _plural_of(request.path) == plural and (when is None or when(request))
        failure = Failure(matches, ApiError(code, reason, message), times)
        with self._lock:
            self.failures.append(failure)
        return failure

    def requests_for(self, plural: str) -> List[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if _plural_of(r.path) == plural]

    # -- serving ------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str) -> Tuple[int, Dict[str, Any]]:
        parts = urlsplit(raw_path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        request = RecordedRequest(method, parts.path, query)
        with self._lock:
            self.requests.append(request)
            failure = next((f for f in self.failures if f.take(request)), None)
        for hook in list(self.before_request):
            hook(request)
        try:
            if failure is not None:
                raise failure.error
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", f"{method} is not served by this double")
            route = self._route(parts.path)
            if route.name is not None:
                return 200, self.store.get(route.resource_type, route.namespace or "", route.name)
            if query.get("watch") in ("true", "1"):
                raise ApiError(501, "NotImplemented", "watch is not served by this double yet; "
                                                      "build it on KubeStore.events_since")
            return 200, self._list(route, query)
        except ApiError as error:
            return error.code, error.status_body()

    def _route(self, path: str) -> _Route:
        match = _PATH.match(path)
        if match is None:
            raise not_found_resource()
        group = match.group("group") or ""
        version = match.group("core_version") or match.group("version")
        segments = match.group("rest").split("/")
        namespace: Optional[str] = None
        if len(segments) >= 3 and segments[0] == "namespaces":
            namespace, segments = segments[1], segments[2:]
        if len(segments) not in (1, 2):
            raise not_found_resource()
        resource_type = self.store.served(group, version, segments[0])
        if namespace is not None and not resource_type.namespaced:
            raise not_found_resource()
        return _Route(resource_type, namespace, segments[1] if len(segments) == 2 else None)

    def _list(self, route: _Route, query: Dict[str, str]) -> Dict[str, Any]:
        try:
            limit = int(query.get("limit", "0"))
        except ValueError:
            raise ApiError(400, "BadRequest", f"limit must be an integer, got {query['limit']!r}") from None
        page = self.store.list(route.resource_type, namespace=route.namespace, limit=limit,
                               continue_token=query.get("continue", ""),
                               label_selector=query.get("labelSelector", ""),
                               field_selector=query.get("fieldSelector", ""))
        metadata: Dict[str, Any] = {"resourceVersion": page.resource_version}
        if page.continue_token:
            metadata["continue"] = page.continue_token
        if page.remaining_item_count is not None:
            metadata["remainingItemCount"] = page.remaining_item_count
        return {"apiVersion": route.resource_type.api_version, "kind": f"{route.resource_type.kind}List",
                "metadata": metadata, "items": page.items}


def _plural_of(path: str) -> Optional[str]:
    match = _PATH.match(path)
    if match is None:
        return None
    segments = match.group("rest").split("/")
    if len(segments) >= 3 and segments[0] == "namespaces":
        segments = segments[2:]
    return segments[0]


def _handler_for(double: KubeDouble) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as urllib3's pool expects
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def do_PUT(self) -> None:
            self._answer("PUT")

        def do_PATCH(self) -> None:
            self._answer("PATCH")

        def do_DELETE(self) -> None:
            self._answer("DELETE")

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            code, body = double.handle(method, self.path)
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            try:
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (its timeout); nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are recorded on the double; stderr stays quiet

    return Handler

