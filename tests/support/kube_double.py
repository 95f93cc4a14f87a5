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
* injectable failures and a record of every request;
* watches (``?watch=true``): the events after a resourceVersion as newline-delimited JSON
  in a chunked response, periodic BOOKMARKs when ``allowWatchBookmarks``, ``timeoutSeconds``,
  an ERROR event with a 410 ``Status`` for a compacted version or a watcher that fell
  behind a compaction;
* the faults a real server cannot be made to show on demand: a watch cut after N events
  (:meth:`KubeDouble.drop_watches`), watches held back (:meth:`KubeDouble.watches_paused`),
  a 410 on every open watch now (:meth:`KubeDouble.expire_watches`), and connections
  refused for a while (:meth:`KubeDouble.refuse_connections`).
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple
from urllib.parse import parse_qs, urlsplit

import kubernetes.client
import yaml

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
            self.changed.notify_all()  # open watches of what is withdrawn end

    def is_served(self, resource_type: ResourceType) -> bool:
        with self._lock:
            return self._served.get((resource_type.group, resource_type.version, resource_type.plural)) == resource_type

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
            self.changed.notify_all()  # watchers that fell behind answer 410 now

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

    def pending(self, resource_type: ResourceType, position: int, *, starting: bool = False) -> Tuple[List[Event], int]:
        """What a watcher at ``position`` sends next: the events after it, and the revision
        it has then seen everything up to.  410 for a watch starting from a compacted
        version, or an open watcher whose next event was compacted away (it fell behind)."""
        with self._lock:
            if starting and position < self._compacted:
                raise _expired(f"too old resource version: {position} ({self._compacted})")
            history = self._history[resource_type]
            events = history[bisect.bisect_right(history, position, key=lambda e: e.resource_version):]
            if events and events[0].resource_version <= self._compacted:
                raise _expired(f"too old resource version: {position} ({self._compacted})")
            return events, self._revision

    def current(self, resource_type: ResourceType) -> Tuple[int, List[Dict[str, Any]]]:
        """The revision and the objects of a type, read together (a watch from "" starts there)."""
        with self._lock:
            return self._revision, [copy.deepcopy(body) for _, body in sorted(self._objects[resource_type].items())]

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

    @property
    def is_watch(self) -> bool:
        return self.query.get("watch") in ("true", "1")


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
class WatchFault:
    """Cut matching watch connections, without the closing chunk, after ``after_events`` events."""

    when: Callable[[RecordedRequest], bool]
    after_events: int
    times: Optional[int] = 1  # None: every matching watch

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


# What a watch stream does after sending a payload.
MORE, END, CUT = "more", "end", "cut"  # keep streaming / close cleanly / drop the connection


class WatchStream:
    """The answer to one watch request: events as newline-delimited JSON, one payload per
    chunk.  Iterating yields ``(payload, what_next)`` until ``what_next`` is END or CUT."""

    def __init__(self, double: "KubeDouble", route: _Route, query: Dict[str, str], drop_after: Optional[int]):
        self._double, self._store = double, double.store
        self.resource_type = route.resource_type
        self._namespace = route.namespace
        self._labels = parse_label_selector(query.get("labelSelector", ""))
        self._fields = parse_field_selector(query.get("fieldSelector", ""))
        self._bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        now = time.monotonic()
        self._next_bookmark = now + double.bookmark_interval
        self._deadline = now + _integer(query, "timeoutSeconds") if query.get("timeoutSeconds") else None
        self._drop_after = drop_after
        self._sent = 0
        self._queue: List[Tuple[str, Dict[str, Any]]] = []
        self.expired = False  # set by expire_watches
        self.cut = False  # set when the double stops or refuses connections
        start = query.get("resourceVersion", "")
        self._starting = start not in ("", "0")
        if self._starting:
            self._position = _integer(query, "resourceVersion")
        else:  # "" and "0": the current objects as ADDED events first, as the API server does
            self._position, objects = self._store.current(self.resource_type)
            self._queue = [("ADDED", body) for body in objects if self._selects(body)]

    def __iter__(self) -> Iterator[Tuple[bytes, str]]:
        while True:
            payload, what_next = self._next()
            yield payload, what_next
            if what_next != MORE:
                return

    def _next(self) -> Tuple[bytes, str]:
        changed = self._store.changed
        with changed:
            while True:
                if self.cut or (self._drop_after is not None and self._sent >= self._drop_after):
                    return b"", CUT
                if self.expired:
                    return _event_line("ERROR", _expired("the watch expired (injected)").status_body()), END
                if not self._store.is_served(self.resource_type):
                    return b"", END  # the CRD was removed: the API server ends its watches
                now = time.monotonic()
                if not self._double.watches_are_paused:
                    if not self._queue:
                        try:
                            events, self._position = self._store.pending(self.resource_type, self._position,
                                                                         starting=self._starting)
                        except ApiError as error:
                            return _event_line("ERROR", error.status_body()), END
                        self._starting = False
                        self._queue = [(e.type, e.object) for e in events if self._selects(e.object)]
                    if self._queue:
                        count = len(self._queue) if self._drop_after is None else self._drop_after - self._sent
                        batch, self._queue = self._queue[:count], self._queue[count:]
                        self._sent += len(batch)
                        return b"".join(_event_line(kind, body) for kind, body in batch), MORE
                    if self._bookmarks and now >= self._next_bookmark:
                        self._next_bookmark = now + self._double.bookmark_interval
                        return self._bookmark(), MORE
                if self._deadline is not None and now >= self._deadline:
                    return (self._bookmark() if self._bookmarks else b""), END
                waits = [t - now for t in (self._deadline, self._next_bookmark if self._bookmarks else None)
                         if t is not None]
                changed.wait(max(min(waits), 0.001) if waits else None)

    def _selects(self, body: Dict[str, Any]) -> bool:
        namespace = body.get("metadata", {}).get("namespace", "")
        return (self._namespace is None or namespace == self._namespace) and self._labels(body) and self._fields(body)

    def _bookmark(self) -> bytes:
        return _event_line("BOOKMARK", {"apiVersion": self.resource_type.api_version, "kind": self.resource_type.kind,
                                        "metadata": {"resourceVersion": str(self._position)}})


def _event_line(event_type: str, body: Dict[str, Any]) -> bytes:
    return json.dumps({"type": event_type, "object": body}).encode() + b"\n"


def _integer(query: Dict[str, str], name: str) -> int:
    try:
        return int(query[name])
    except ValueError:
        raise ApiError(400, "BadRequest", f"{name} must be an integer, got {query[name]!r}") from None


_PATH = re.compile(r"^/(?:api/(?P<core_version>[^/]+)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))/(?P<rest>.+)$")


class KubeDouble:
    """The store behind a threaded HTTP server on 127.0.0.1; use as a context manager."""

    def __init__(self, store: Optional[KubeStore] = None):
        self.store = store or KubeStore()
        self.requests: List[RecordedRequest] = []
        self.failures: List[Failure] = []
        self.before_request: List[Callable[[RecordedRequest], None]] = []  # hooks, e.g. compact mid-list
        self.watch_faults: List[WatchFault] = []
        self.bookmark_interval = 0.2  # seconds between BOOKMARKs on a watch that allows them
        self.watches_are_paused = False
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._address: Optional[Tuple[str, int]] = None
        self._accepting = False
        self._connections: Set[socket.socket] = set()
        self._watches: Set[WatchStream] = set()

    def __enter__(self) -> "KubeDouble":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> None:
        self._listen(("127.0.0.1", 0))

    def stop(self) -> None:
        self._stop_listening()
        self._cut_connections()

    def _listen(self, address: Tuple[str, int]) -> None:
        self._server = _Server(address, _handler_for(self))
        self._address = self._server.server_address[:2]
        with self._lock:
            self._accepting = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="kube-double", daemon=True)
        self._thread.start()

    def _stop_listening(self) -> None:
        with self._lock:
            self._accepting = False
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _cut_connections(self) -> None:
        """Drop every open connection at once (no closing chunk, no answer), as a crashed server."""
        with self._lock:
            connections, watches = list(self._connections), list(self._watches)
        with self.store.changed:
            for watch in watches:
                watch.cut = True
            self.store.changed.notify_all()
        for connection in connections:
            _shut(connection)

    @property
    def url(self) -> str:
        assert self._address is not None, "start the double first"
        host, port = self._address
        return f"http://{host}:{port}"

    def api_client(self, *, pool_size: int = 32) -> kubernetes.client.ApiClient:
        """An official-client ApiClient pointed at this double (close it when done).
        ``pool_size`` keep-alive connections fit an informer per kind, each holding a watch."""
        configuration = kubernetes.client.Configuration(host=self.url)
        configuration.retries = 0  # a refused connection should fail the test at once
        configuration.connection_pool_maxsize = pool_size
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

    # -- watch faults -----------------------------------------------------------------------

    def drop_watches(self, *, after_events: int, plural: Optional[str] = None, times: Optional[int] = 1,
                     when: Optional[Callable[[RecordedRequest], bool]] = None) -> WatchFault:
        """Cut the next ``times`` watches (of ``plural``) after they sent ``after_events`` events."""
        def matches(request: RecordedRequest) -> bool:
            return (plural is None or _plural_of(request.path) == plural) and (when is None or when(request))
        fault = WatchFault(matches, after_events, times)
        with self._lock:
            self.watch_faults.append(fault)
        return fault

    def pause_watches(self) -> None:
        """Hold back events and bookmarks on every watch until :meth:`resume_watches`."""
        with self.store.changed:
            self.watches_are_paused = True

    def resume_watches(self) -> None:
        with self.store.changed:
            self.watches_are_paused = False
            self.store.changed.notify_all()

    @contextlib.contextmanager
    def watches_paused(self) -> Iterator[None]:
        self.pause_watches()
        try:
            yield
        finally:
            self.resume_watches()

    def expire_watches(self, plural: Optional[str] = None) -> int:
        """Compact the history and end every open watch (of ``plural``) with an ERROR 410
        event now, held-back events unsent; returns how many watches were expired."""
        with self._lock:
            watches = [w for w in self._watches if plural is None or w.resource_type.plural == plural]
        with self.store.changed:
            self.store.compact()
            for watch in watches:
                watch.expired = True
            self.store.changed.notify_all()
        return len(watches)

    def open_watches(self, plural: Optional[str] = None) -> int:
        with self._lock:
            return sum(1 for w in self._watches if plural is None or w.resource_type.plural == plural)

    def refuse_connections(self, seconds: Optional[float] = None) -> None:
        """Close the listening socket and drop every open connection; new connections are
        refused until :meth:`accept_connections` (called by itself after ``seconds``)."""
        self._stop_listening()
        self._cut_connections()
        if seconds is not None:
            timer = threading.Timer(seconds, self.accept_connections)
            timer.daemon = True
            timer.start()

    def accept_connections(self) -> None:
        """Listen again on the same address."""
        assert self._address is not None, "start the double first"
        if self._server is None:
            self._listen(self._address)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            accepting = self._accepting
            if accepting:
                self._connections.add(connection)
        if not accepting:  # accepted just before the listener closed
            _shut(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _watch_ended(self, watch: WatchStream) -> None:
        with self._lock:
            self._watches.discard(watch)

    # -- serving ------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str) -> Tuple[int, Any]:
        """The status and body of one request; the body of a watch is a :class:`WatchStream`."""
        parts = urlsplit(raw_path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        request = RecordedRequest(method, parts.path, query)
        with self._lock:
            self.requests.append(request)
            failure = next((f for f in self.failures if f.take(request)), None)
            fault = next((f for f in self.watch_faults if f.take(request)), None) if request.is_watch else None
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
            if request.is_watch:
                stream = WatchStream(self, route, query, fault.after_events if fault else None)
                with self._lock:
                    self._watches.add(stream)
                return 200, stream
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 drops SYNs when informers connect together (1 s retransmit)


def _shut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _handler_for(double: KubeDouble) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as urllib3's pool expects
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def setup(self) -> None:
            super().setup()
            double._opened(self.connection)

        def finish(self) -> None:
            double._closed(self.connection)
            super().finish()

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
            if isinstance(body, WatchStream):
                self._stream(body)
                return
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            try:
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (its timeout); nothing to answer

        def _stream(self, watch: WatchStream) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for payload, what_next in watch:
                    if payload:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
                    if what_next == CUT:
                        self.close_connection = True
                        _shut(self.connection)
                        return
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True  # the client went away, or the double cut the connection
            finally:
                double._watch_ended(watch)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are recorded on the double; stderr stays quiet

    return Handler



def write_kubeconfig(directory: Path, server: str, context: str = "east") -> str:
    """A kubeconfig in ``directory`` whose one context (``context``) points at ``server``."""
    path = directory / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "double", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": "not-checked"}}],
        "contexts": [{"name": context, "context": {"cluster": "double", "user": "tester"}}]}))
    return str(path)
