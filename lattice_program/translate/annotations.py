"""The AWS Gateway API Controller's annotations, read the way it reads them.

Manifests written for the controller keep working: rule priorities, a fixed service
name, standalone services and extra tags are honoured with the controller's parsing
rules.  Where the controller drops something silently (a reserved tag key, a malformed
priority) we say so in a warning.  ``allow-takeover-from`` has no meaning here: Pulumi
state, not a ManagedBy tag, says what a stack owns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

PREFIX = "application-networking.k8s.aws/"
RULE_PRIORITY = re.compile(re.escape(PREFIX) + r"rule-(\d+)-priority")
SERVICE_NAME_OVERRIDE = PREFIX + "service-name-override"
STANDALONE = PREFIX + "standalone"
TAGS = PREFIX + "tags"
TAKEOVER = PREFIX + "allow-takeover-from"

# The controller's tag rules (pkg/k8s/utils.go per reference/aws-controller-behaviour.md):
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
RESERVED_TAG_PREFIXES = (PREFIX, "aws:", "lattice-gateway/")
_TAG_PUNCTUATION = set("_.:/=+-@")

# Lattice service names (VPC Lattice API model): 3-40 of [a-z0-9-], no edge or double
# hyphen, no "svc-" prefix.
_SERVICE_NAME = re.compile(r"(?!svc-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]{3,40}")
MIN_PRIORITY, MAX_PRIORITY = 1, 2000

Note = Tuple[str, str, str]  # (field, message, severity)


@dataclass(frozen=True)
class Annotations:
    rule_priorities: Dict[int, int] = field(default_factory=dict)  # route rule index -> priority
    service_name: Optional[str] = None
    standalone: Optional[bool] = None  # None: not said
    tags: Dict[str, str] = field(default_factory=dict)
    notes: Tuple[Note, ...] = ()

    @property
    def errors(self) -> List[Tuple[str, str]]:
        return [(f, m) for f, m, severity in self.notes if severity == "error"]


def read(annotations: Mapping[str, str]) -> Annotations:
    notes: List[Note] = []
    priorities: Dict[int, int] = {}
    for key, value in annotations.items():
        found = RULE_PRIORITY.fullmatch(key)
        if found:
            priority = _priority(value)
            if priority is None:
                notes.append((f"metadata.annotations[{key}]", f"{value!r} is not a priority from {MIN_PRIORITY} to "
                              f"{MAX_PRIORITY}; ignored", "warning"))
            else:
                priorities[int(found.group(1))] = priority
    name = annotations.get(SERVICE_NAME_OVERRIDE)
    if name is not None and not _SERVICE_NAME.fullmatch(name):
        notes.append((f"metadata.annotations[{SERVICE_NAME_OVERRIDE}]", f"{name!r} is not a VPC Lattice service name "
                      "(3-40 of [a-z0-9-], no 'svc-' prefix, no '--', no hyphen at either end)", "error"))
        name = None
    standalone = None
    if STANDALONE in annotations:
        text = annotations[STANDALONE].strip().lower()
        if text in ("true", "false"):
            standalone = text == "true"
        else:
            notes.append((f"metadata.annotations[{STANDALONE}]", f"{annotations[STANDALONE]!r} is neither true nor "
                          "false; read as false", "warning"))
            standalone = False
    tags: Dict[str, str] = {}
    if TAGS in annotations:
        tags, tag_notes = parse_tags(annotations[TAGS])
        notes.extend((f"metadata.annotations[{TAGS}]", message, "warning") for message in tag_notes)
    if TAKEOVER in annotations:
        notes.append((f"metadata.annotations[{TAKEOVER}]", "ignored: a Pulumi stack owns what its state holds; to move "
                      "a service between stacks, import it into the new stack", "warning"))
    return Annotations(priorities, name, standalone, tags, tuple(notes))


def _priority(text: str) -> Optional[int]:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if MIN_PRIORITY <= value <= MAX_PRIORITY else None


def parse_tags(text: str) -> Tuple[Dict[str, str], List[str]]:
    """``K1=V1,K2=V2``: trimmed, first occurrence wins, at most 50, reserved prefixes out."""
    tags: Dict[str, str] = {}
    notes: List[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            notes.append(f"{item!r} is not key=value; dropped")
        elif key.startswith(RESERVED_TAG_PREFIXES):
            notes.append(f"tag key {key!r} uses a reserved prefix; dropped")
        elif len(key) > MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
            notes.append(f"tag {key!r} is longer than {MAX_TAG_KEY} (key) or {MAX_TAG_VALUE} (value) characters; dropped")
        elif not (_tag_text(key) and _tag_text(value)):
            notes.append(f"tag {key!r} has characters other than letters, digits, spaces and _.:/=+-@; dropped")
        elif key in tags:
            notes.append(f"tag {key!r} is given twice; the first value is kept")
        elif len(tags) == MAX_TAGS:
            notes.append(f"more than {MAX_TAGS} tags; {key!r} and later ones dropped")
            break
        else:
            tags[key] = value
    return tags, notes


def _tag_text(text: str) -> bool:
    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)
