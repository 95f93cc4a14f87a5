"""Where releases, history events and approvals live: a directory in the platform repo
(``releases/`` by default, so they are reviewed and versioned like the rest) or an S3
prefix (``s3://bucket/prefix``).

Layout, per stack: ``<stack>/releases/<hex>.json`` (content-addressed, written once),
``<stack>/events/<time>-<kind>.json`` (one immutable event per apply, verification or
hold; names sort in time order) and ``<stack>/approvals/<preview hash>.json``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Protocol
from urllib.parse import urlparse

import orjson

from lattice_program.promote.errors import PromotionError
from lattice_program.promote.release import Release, ReleaseError, now, parse_release


class StoreError(PromotionError):
    """The store could not be read or written; nothing was decided from a partial read."""


class Blobs(Protocol):
    def get(self, key: str) -> Optional[bytes]: ...
    def put(self, key: str, data: bytes) -> None: ...
    def keys(self, prefix: str) -> List[str]: ...
    def describe(self, key: str) -> str: ...


class DirectoryBlobs:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, key: str) -> Optional[bytes]:
        path = self.root / key
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read {path}: {error}") from None

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written beside and renamed: a crash never leaves half a release.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except OSError as error:
            raise StoreError(f"cannot write {path}: {error}") from None

    def keys(self, prefix: str) -> List[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.iterdir() if p.is_file() and not p.name.startswith("."))

    def describe(self, key: str) -> str:
        return str(self.root / key)


class S3Blobs:
    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket, self.prefix, self.client = bucket, prefix.strip("/"), client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def get(self, key: str) -> Optional[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise StoreError(f"cannot read {self.describe(key)}: {error}") from None
        except BotoCoreError as error:
            raise StoreError(f"cannot read {self.describe(key)}: {error}") from None

    def put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                                   ContentType="application/json")
        except (BotoCoreError, ClientError) as error:
            raise StoreError(f"cannot write {self.describe(key)}: {error}") from None

    def keys(self, prefix: str) -> List[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        found: List[str] = []
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=self._key(prefix.rstrip("/") + "/")):
                found.extend(item["Key"][strip:] for item in page.get("Contents", []))
        except (BotoCoreError, ClientError) as error:
            raise StoreError(f"cannot list {self.describe(prefix)}: {error}") from None
        return sorted(found)

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def open_blobs(location: str, project_dir: Path, *, s3_client: Optional[Callable[[], Any]] = None) -> Blobs:
    """A store location from the settings: ``s3://bucket/prefix`` or a directory (relative
    to the project)."""
    if location.startswith("s3://"):
        parsed = urlparse(location)
        if not parsed.netloc:
            raise StoreError(f"release store {location!r} names no bucket; write s3://BUCKET/PREFIX")
        if s3_client is None:
            import boto3

            client = boto3.client("s3")
        else:
            client = s3_client()
        return S3Blobs(parsed.netloc, parsed.path, client)
    if "://" in location:
        raise StoreError(f"release store {location!r}: use a directory or s3://BUCKET/PREFIX")
    path = Path(location)
    return DirectoryBlobs(path if path.is_absolute() else Path(project_dir) / path)


class ReleaseStore:
    """Releases, events and approvals of one project."""

    def __init__(self, blobs: Blobs, project: str) -> None:
        self.blobs, self.project = blobs, project

    # -- releases -------------------------------------------------------------------

    def save(self, stack: str, release: Release) -> None:
        key = f"{stack}/releases/{release.digest[7:]}.json"
        if self.blobs.get(key) is None:
            self.blobs.put(key, release.to_bytes())

    def load(self, stack: str, digest: str) -> Release:
        if not digest.startswith("sha256:") or len(digest) != 71:
            raise ReleaseError(f"{digest!r} is not a release digest (sha256: followed by 64 hex digits); "
                               f"`latticectl history {stack}` lists them")
        key = f"{stack}/releases/{digest[7:]}.json"
        data = self.blobs.get(key)
        if data is None:
            raise ReleaseError(f"release {digest} was never recorded in stack {stack} "
                               f"({self.blobs.describe(key)} does not exist); `latticectl history {stack}` lists its releases")
        return parse_release(data, where=self.blobs.describe(key), project=self.project, digest=digest)

    # -- events ---------------------------------------------------------------------

    def record(self, stack: str, kind: str, **fields: Any) -> Dict[str, Any]:
        event = {"stack": stack, "kind": kind, "at": now(), "by": _who(), **fields}
        stamp = event["at"].replace(":", "").replace("-", "")
        self.blobs.put(f"{stack}/events/{stamp}-{kind}.json", orjson.dumps(event, option=orjson.OPT_SORT_KEYS))
        return event

    def events(self, stack: str) -> List[Dict[str, Any]]:
        """Every event of the stack, oldest first.  An unreadable event stops the read: a
        gate must not pass on half a history."""
        events = []
        for key in self.blobs.keys(f"{stack}/events"):
            data = self.blobs.get(key)
            try:
                event = orjson.loads(data or b"")
            except orjson.JSONDecodeError:
                raise StoreError(f"history event {self.blobs.describe(key)} is corrupt; restore it from the "
                                 "platform repo's history") from None
            events.append(event)
        return events

    # -- approvals ------------------------------------------------------------------

    def approve(self, stack: str, preview_hash: str, *, note: str = "") -> None:
        self.blobs.put(f"{stack}/approvals/{preview_hash[7:]}.json",
                       orjson.dumps({"stack": stack, "preview": preview_hash, "by": _who(), "at": now(), "note": note}))

    def approved(self, stack: str, preview_hash: str) -> bool:
        return self.blobs.get(f"{stack}/approvals/{preview_hash[7:]}.json") is not None


def _who() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"
