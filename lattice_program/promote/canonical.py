"""The canonical form of a Gateway API snapshot, and its digest.

Two reads of the same objects must give the same digest on any machine: keys are sorted,
whitespace and YAML style vanish in the JSON encoding, objects are ordered by identity,
and what the API server writes (resourceVersion, uid, managedFields, status, …) is left
out, as is where an object was read from, and the EndpointSlices (runtime state).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any, Dict, List, Mapping, Sequence

import orjson

from lattice_program.sources.files import RawObject

# Written by the API server or by kubectl, never by the author of the object.
SERVER_METADATA = ("resourceVersion", "uid", "managedFields", "creationTimestamp", "generation",
                   "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")
SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")


def canonical_object(body: Any) -> Any:
    """A copy of one object without the server's fields (a non-mapping is kept as it is,
    for the parser to report)."""
    if not isinstance(body, Mapping):
        return body
    clean = copy.deepcopy(dict(body))
    clean.pop("status", None)
    metadata = clean.get("metadata")
    if isinstance(metadata, Mapping):
        metadata = dict(metadata)
        for key in SERVER_METADATA:
            metadata.pop(key, None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, Mapping):
            kept = {k: v for k, v in annotations.items() if k not in SERVER_ANNOTATIONS}
            if kept:
                metadata["annotations"] = kept
            else:
                metadata.pop("annotations")
        clean["metadata"] = metadata
    return clean


def _identity(body: Any) -> tuple:
    if not isinstance(body, Mapping):
        return ("", "", "", "", encode(body))
    metadata = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
    return (str(body.get("apiVersion", "")), str(body.get("kind", "")), str(metadata.get("namespace", "")),
            str(metadata.get("name", "")), encode(body))


def is_runtime_state(body: Any) -> bool:
    """EndpointSlices list the pods of one cluster at one moment: targets take the direct
    sync in every environment (never an update), so they are no part of a release."""
    return isinstance(body, Mapping) and body.get("kind") == "EndpointSlice" \
        and str(body.get("apiVersion", "")).startswith("discovery.k8s.io/")


def canonical_snapshot(objects: Mapping[str, Sequence[RawObject]]) -> Dict[str, List[Any]]:
    """Each cluster's objects, canonical and in identity order, runtime state left out."""
    return {cluster: sorted((canonical_object(raw.body) for raw in raws if not is_runtime_state(raw.body)),
                            key=_identity)
            for cluster, raws in sorted(objects.items())}


def encode(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def digest_of(snapshot: Mapping[str, List[Any]]) -> str:
    """``sha256:<hex>`` of a canonical snapshot."""
    return "sha256:" + hashlib.sha256(encode(dict(snapshot))).hexdigest()


def snapshot_digest(objects: Mapping[str, Sequence[RawObject]]) -> str:
    return digest_of(canonical_snapshot(objects))


def settings_digest(values: Mapping[str, Any]) -> str:
    """The digest of a stack's settings, as given (keys without the namespace)."""
    return "sha256:" + hashlib.sha256(encode(dict(values))).hexdigest()
