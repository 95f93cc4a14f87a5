"""One kind's informer: list it, then watch from the list's resourceVersion, and keep a
cache of its objects that equals the server's.

The list is :func:`~lattice_program.sources.cluster.list_kind` (every page, one
snapshot, the same call and normalization as a one-shot read); the watch is the same
client call with ``watch=True``, read as a raw stream of newline-delimited JSON and
decoded with orjson, never through the client's generated models.

What the server may do, and what the informer does about it:

* a watch ends normally (``timeoutSeconds``) → watch again from the last resourceVersion;
* the connection drops, is refused, or the stream is malformed → the same, after a
  capped exponential backoff with full jitter;
* 410 Gone (an ERROR event or the HTTP status) → list again and diff the cache against
  the new list, emitting exactly the differences;
* the kind is not served (its CRD is not installed) → the cache is empty, one warning is
  logged, and the kind is listed again every ``rediscover_seconds``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import orjson
import urllib3
from kubernetes import client as k8s_client
from kubernetes.client.exceptions import ApiException

from lattice_program.sources.cluster import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_REQUEST_TIMEOUT,
    ClusterKind,
    KindList,
    KindNotServed,
    ListFailed,
    RequestTimeout,
    list_call,
    list_kind,
)
from lattice_program.watch.backoff import Backoff

log = logging.getLogger("lattice_program.watch")

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
ObjectKey = Tuple[str, str]  # (namespace or "", name)

# Full jitter (a uniform wait up to the capped exponential) spreads the informers of every
# kind and cluster that lost the same server.
DEFAULT_BACKOFF = Backoff(base=0.5, cap=30.0, jitter=1.0)

# A watch stream is read with this much slack over its server-side timeout before the
# connection is taken for dead (the server closes it at timeoutSeconds).
WATCH_READ_GRACE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Change:
    """One object added, modified or deleted in an informer's cache.

    ``object`` is the object after the change; for DELETED, its last known state.  It is
    the consumer's own (the cache keeps its own encoding).
    """

    cluster: str
    kind: str
    type: str  # ADDED, MODIFIED or DELETED
    namespace: str  # "" for cluster-scoped kinds
    name: str
    object: Dict[str, Any]


@dataclass
class RequestCounts:
    """Requests an informer made: lists (each all pages of a LIST, or a 404 per version
    tried) and watches.  The API server double counts the pages themselves."""

    lists: int = 0
    watches: int = 0


class InformerError(Exception):
    """A list or watch failed in a way worth retrying after a backoff; the message says why."""


def _wait_on(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)


class Informer:
    """The list+watch loop of one kind on one cluster; :meth:`run` it on a thread of its own."""

    def __init__(self, api_client: k8s_client.ApiClient, kind: ClusterKind, *, cluster: str,
                 on_change: Optional[Callable[[Change], None]] = None, page_size: int = DEFAULT_PAGE_SIZE,
                 backoff: Backoff = DEFAULT_BACKOFF, rediscover_seconds: float = 60.0, watch_timeout_seconds: int = 300,
                 request_timeout: RequestTimeout = DEFAULT_REQUEST_TIMEOUT,
                 sleep: Callable[[threading.Event, float], None] = _wait_on):
        """``sleep(stop, seconds)`` waits out backoffs and rediscovery; it must return early
        once ``stop`` is set (the default is ``stop.wait``)."""
        self.kind = kind
        self.cluster = cluster
        self.synced = threading.Event()  # set once the first list (or a 404 for it) is in
        self._api = api_client
        self._on_change = on_change
        self._page_size = page_size
        self._backoff = backoff
        self._rediscover_seconds = rediscover_seconds
        self._watch_timeout = max(1, int(watch_timeout_seconds))
        self._request_timeout = request_timeout
        self._sleep = sleep
        self._lock = threading.Lock()
        # Each object as (resourceVersion, JSON text whose "object" member is the object):
        # the watch event line as it arrived, or that shape for a listed object.  Bytes are
        # not tracked by the cyclic garbage collector (tens of thousands of decoded dicts
        # kept the collector busy for a third of the watch's time), take a fifth of the
        # memory of decoded dicts, and decode into fresh copies for every reader.
        self._objects: Dict[ObjectKey, Tuple[str, bytes]] = {}
        self._resource_version = ""
        self._version: Optional[str] = None  # the served version being watched; None: list next
        self._served = False
        self._list_failed = False
        self._not_served_reason: Optional[str] = None
        self._failures = 0  # in a row, for the backoff
        self._requests = RequestCounts()
        self._last_error: Optional[str] = None
        self._stop = threading.Event()
        self._response: Optional[urllib3.HTTPResponse] = None

    # -- what it holds ----------------------------------------------------------------------

    def objects(self) -> List[Dict[str, Any]]:
        """The cached objects, by (namespace, name), each a fresh copy."""
        with self._lock:
            items = list(self._objects.items())
        return [_decode(encoded) for _, (_, encoded) in sorted(items)]

    def __len__(self) -> int:
        return len(self._objects)

    @property
    def resource_version(self) -> str:
        return self._resource_version

    @property
    def served(self) -> bool:
        return self._served

    @property
    def requests(self) -> RequestCounts:
        return RequestCounts(self._requests.lists, self._requests.watches)

    @property
    def last_error(self) -> Optional[str]:
        return self._last_error

    @property
    def complete(self) -> bool:
        """The cache may be trusted for deletions: synced, the last list succeeded, and the
        kind is served unless it is optional."""
        return self.synced.is_set() and not self._list_failed and (self._served or not self.kind.required)

    @property
    def failure(self) -> Optional[str]:
        """Why the informer is not complete, or None."""
        if not self.synced.is_set():
            return f"not listed yet{f': {self._last_error}' if self._last_error else ''}"
        if self._list_failed:
            return self._last_error
        if not self._served and self.kind.required:
            return self._not_served_reason
        return None

    # -- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """List, then watch, until ``stop`` is set (call :meth:`interrupt` after setting it
        to end an open watch at once)."""
        self._stop = stop
        while not stop.is_set():
            try:
                if self._version is None:
                    self._relist()
                    if not self._served:
                        self._sleep(stop, self._rediscover_seconds)
                else:
                    self._watch()
            except InformerError as problem:
                self._failed(str(problem))
            except Exception as error:  # a bug, or an answer nobody foresaw: start over from a list
                log.exception("%s/%s: unexpected failure; listing again", self.cluster, self.kind.kind)
                self._version = None
                self._list_failed = True
                self._failed(f"unexpected failure: {error!r}")

    def interrupt(self) -> None:
        """Abort the open watch stream, if any, so that :meth:`run` notices ``stop`` now."""
        response = self._response
        if response is not None:
            try:
                response.shutdown()
            except (ValueError, RuntimeError, OSError):
                pass  # already released or closed

    def _failed(self, problem: str) -> None:
        if self._last_error is None:
            log.warning("%s/%s: %s; retrying with backoff", self.cluster, self.kind.kind, problem)
        self._last_error = problem
        self._failures += 1
        self._sleep(self._stop, self._backoff.delay(self._failures))

    def _recovered(self) -> None:
        if self._last_error is not None:
            log.info("%s/%s: recovered", self.cluster, self.kind.kind)
        self._last_error = None
        self._failures = 0

    # -- list -------------------------------------------------------------------------------

    def _relist(self) -> None:
        self._requests.lists += 1
        try:
            listed: Optional[KindList] = list_kind(self._api, self.kind, page_size=self._page_size,
                                                   request_timeout=self._request_timeout)
        except KindNotServed as missing:
            listed = None
            if self._served or self._not_served_reason is None:
                log.warning("%s: %s; %s is empty until it is served (checked again every %g s)",
                            self.cluster, missing, self.kind.kind, self._rediscover_seconds)
            self._not_served_reason = str(missing)
        except ListFailed as error:
            self._list_failed = True
            raise InformerError(f"list failed: {error}") from None
        if listed is not None and not self._served and self._not_served_reason is not None:
            log.info("%s: %s is served now (%s)", self.cluster, self.kind.resource,
                     self.kind.api_version(listed.version))
        self._replace(listed)
        self._list_failed = False
        self._recovered()
        self.synced.set()

    def _replace(self, listed: Optional[KindList]) -> None:
        """Make the cache the list (None: not served, empty), emitting the differences:
        an object whose resourceVersion did not change is not reported."""
        items = {_key(item): item for item in listed.items} if listed is not None else {}
        new = {key: (_resource_version(item), _encode(item)) for key, item in items.items()}
        changes: List[Change] = []
        with self._lock:
            old = self._objects
            for key, (version, _) in new.items():
                before = old.get(key)
                if before is None or before[0] != version or not version:
                    changes.append(self._change(ADDED if before is None else MODIFIED, key, items[key]))
            changes.extend(self._change(DELETED, key, _decode(encoded))
                           for key, (_, encoded) in old.items() if key not in new)
            self._objects = new
            self._resource_version = listed.resource_version if listed is not None else ""
            self._version = listed.version if listed is not None else None
            self._served = listed is not None
        self._emit(changes)

    # -- watch ------------------------------------------------------------------------------

    def _watch(self) -> None:
        """One watch request, read to its end; a 410 or 404 leaves ``_version`` None (list next)."""
        assert self._version is not None
        call = list_call(self._api, self.kind, self._version)
        timeout = self._request_timeout
        connect_timeout = timeout[0] if isinstance(timeout, tuple) else timeout
        self._requests.watches += 1
        try:
            response = call(watch=True, resource_version=self._resource_version, allow_watch_bookmarks=True,
                            timeout_seconds=self._watch_timeout, _preload_content=False,
                            _request_timeout=(connect_timeout, self._watch_timeout + WATCH_READ_GRACE_SECONDS))
        except ApiException as error:
            if error.status in (404, 410):  # 404: the CRD went away; the list will say so
                self._version = None
                return
            raise InformerError(f"watch refused: HTTP {error.status} {error.reason or ''}".rstrip()) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise InformerError(f"cannot reach the API server: {getattr(error, 'reason', None) or error}") from None
        self._response = response
        try:
            if not self._stop.is_set():
                chunks = response.stream(None) if response.chunked else iter(lambda: response.read1(65536), b"")
                self.feed(chunks)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            if not self._stop.is_set():
                raise InformerError(f"the watch stream broke: {error}") from None
        finally:
            self._response = None
            # The body may be partly unread (stop, 410): such a connection must not go back to
            # the pool, and one new connection per watch costs nothing next to its minutes.
            response.close()
            response.release_conn()

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Apply a watch body, given as chunks of newline-delimited JSON events, to the cache.

        Raises :class:`InformerError` on an ERROR event other than 410 or a line that is not an
        event; a 410 leaves ``_version`` None so that the loop lists again.
        """
        for line in _lines(chunks):
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                event = _stdlib_loads(line)  # orjson refuses NaN and Infinity, which json reads
            if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
                raise InformerError(f"the watch sent something that is not an event: {bytes(line[:200])!r}")
            event_type, body = event.get("type"), event["object"]
            if event_type in (ADDED, MODIFIED, DELETED):
                self._apply(event_type, body, line)
            elif event_type == "BOOKMARK":
                self._resource_version = _resource_version(body) or self._resource_version
            elif event_type == "ERROR":
                if body.get("code") == 410:
                    self._version = None
                    return
                raise InformerError(f"the watch answered HTTP {body.get('code')}: {body.get('message')}")
            if self._failures or self._last_error:
                self._recovered()
            if self._stop.is_set():
                return

    def _apply(self, event_type: str, body: Dict[str, Any], line: bytes) -> None:
        """One event; ``line`` is its JSON text, kept as the object's encoding."""
        if "kind" not in body:  # watch events carry it; fill it in as a list does if one does not
            served = self._version or self.kind.versions[0]
            body = {"apiVersion": self.kind.api_version(served), "kind": self.kind.kind, **body}
            line = _encode(body)
        metadata = body.get("metadata") or {}
        key = (metadata.get("namespace") or "", metadata.get("name") or "")
        version = str(metadata.get("resourceVersion") or "")
        change_type = None
        with self._lock:
            before = self._objects.get(key)
            if before is not None and _older(version, before[0]):
                pass  # the cache is newer already (a relist saw the object first)
            elif event_type == DELETED:
                if before is not None:
                    del self._objects[key]
                    change_type = DELETED
            else:
                self._objects[key] = (version, line)
                change_type = ADDED if before is None else MODIFIED
            if version:
                self._resource_version = version
        if change_type is not None and self._on_change is not None:
            self._emit((self._change(change_type, key, body),))

    def _change(self, change_type: str, key: ObjectKey, body: Dict[str, Any]) -> Change:
        return Change(self.cluster, self.kind.kind, change_type, key[0], key[1], body)

    def _emit(self, changes: Iterable[Change]) -> None:
        if self._on_change is None:
            return
        for change in changes:
            try:
                self._on_change(change)
            except Exception:  # a broken consumer must not stop the cache from following the server
                log.exception("%s/%s: on_change failed for %s %s/%s", self.cluster, self.kind.kind,
                              change.type, change.namespace, change.name)


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The non-empty lines of a body that arrives in chunks cut anywhere."""
    pending = b""
    for chunk in chunks:
        if pending:
            chunk = pending + chunk
        lines = chunk.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line:
                yield line
    if pending.strip():
        yield pending


def _stdlib_loads(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        raise InformerError(f"the watch sent a line that is not JSON: {bytes(line[:200])!r}") from None


def _key(body: Dict[str, Any]) -> ObjectKey:
    metadata = body.get("metadata") or {}
    return metadata.get("namespace") or "", metadata.get("name") or ""


def _resource_version(body: Dict[str, Any]) -> str:
    return str((body.get("metadata") or {}).get("resourceVersion") or "")


def _older(version: str, than: str) -> bool:
    """Whether resourceVersion ``version`` is older than ``than``.  Versions are opaque to
    clients; only when both are integers (etcd revisions, as every API server sends) is
    an order assumed, otherwise the event is applied."""
    return version.isdigit() and than.isdigit() and int(version) < int(than)


def _encode(body: Dict[str, Any]) -> bytes:
    """A listed object in the shape of a watch event line (see ``Informer._objects``)."""
    try:
        # orjson's result keeps a 4 KiB buffer; the copy is the object's size.
        return memoryview(orjson.dumps({"object": body})).tobytes()
    except TypeError:
        return json.dumps({"object": body}).encode()  # an integer beyond 64 bits, decoded by json


def _decode(encoded: bytes) -> Dict[str, Any]:
    try:
        return orjson.loads(encoded)["object"]
    except orjson.JSONDecodeError:  # json wrote it (an integer beyond 64 bits) with a NaN beside
        return json.loads(encoded)["object"]
