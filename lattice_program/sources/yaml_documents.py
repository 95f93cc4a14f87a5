"""One YAML stream into its documents, with the limits a manifest read from a pull request needs.

A manifest may be written by anyone who can open a pull request, and ``latticectl plan``
runs on it in CI, so the stream is composed first and checked before anything is built
from it:

- **Aliases.** A few hundred bytes of nested anchors and aliases expand to gigabytes
  once anything walks them (validation, a message).  The expanded size is computed on
  the composed node graph (each node once), and a document whose aliases add more than
  ``max(ALIAS_FLOOR, its own node count)`` nodes is refused, as go-yaml (kubectl's
  reader, through sigs.k8s.io/yaml) refuses "document contains excessive aliasing".
  An alias that contains itself is refused too.
- **Duplicate keys** in one mapping are refused with both lines, as kubectl refuses them
  (``key "x" already set in map``); a merge key (``<<``) may still override.
- **Object size.** One object over ``MAX_OBJECT_BYTES`` (1.5 MiB, etcd's default
  ``--max-request-bytes``, https://etcd.io/docs/latest/dev-guide/limit/) could never be
  stored by Kubernetes, and is refused by the line it starts on.
- **Characters YAML forbids** (a NUL byte, other control characters) are named with
  their line, not a position in "<unicode string>".

Every refusal is a :class:`YamlRefused` carrying the line; the caller adds the file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # libyaml's parser is several times faster; fall back when PyYAML was built without it
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_OBJECT_BYTES = 1_572_864  # 1.5 MiB: etcd's default request limit, hence Kubernetes' object limit
ALIAS_FLOOR = 10_000  # nodes aliases may always add to a document
MERGE_TAG = "tag:yaml.org,2002:merge"
SHOWN_KEY_CHARS = 40


class YamlRefused(Exception):
    """The stream is not YAML we read; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, *, line_in_message: bool = False):
        super().__init__(message)
        self.message = message
        self.line = line
        self.line_in_message = line_in_message  # malformed YAML says "at line L, column C" itself

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line and not self.line_in_message else self.message


@dataclass(frozen=True)
class Document:
    index: int  # 0-based, counting empty documents, as the origin ``name#index`` does
    line: int  # 1-based line where the document's content starts
    body: Any
    item_lines: Tuple[int, ...] = ()  # the line of each entry of a top-level ``items`` sequence


def documents(text: str) -> Iterator[Document]:
    """Every document of ``text``; raises :class:`YamlRefused` at the first problem."""
    loader = _BaseLoader(text)
    try:
        index = 0
        while True:
            try:
                if not loader.check_node():
                    return
                node = loader.get_node()
            except yaml.MarkedYAMLError as error:
                raise _malformed(error) from None
            except yaml.reader.ReaderError as error:
                raise _reader_refusal(error, text) from None
            except yaml.YAMLError as error:
                raise YamlRefused(f"malformed YAML: {error}") from None
            _check(node, text)
            try:
                body = loader.construct_document(node)
            except yaml.MarkedYAMLError as error:
                raise _malformed(error) from None
            yield Document(index, node.start_mark.line + 1, body, _item_lines(node))
            index += 1
    finally:
        loader.dispose()


def _check(root: Node, text: str) -> None:
    """Aliases, duplicate keys and object size, each node visited once."""
    own_nodes, expanded = _walk(root)
    if expanded - own_nodes > max(ALIAS_FLOOR, own_nodes):
        raise YamlRefused(
            f"the document's aliases (*name) expand it from {own_nodes:,} to {expanded:,} nodes, more than "
            f"{max(ALIAS_FLOOR, own_nodes):,} added nodes allowed (excessive aliasing, as kubectl refuses it); "
            "write the values out instead of aliasing them", root.start_mark.line + 1)
    items = _items(root)
    for node in items if items is not None else (root,):
        size = _size(node, text)
        if size > MAX_OBJECT_BYTES:
            raise YamlRefused(
                f"an object of {size / 1_048_576:.1f} MiB; Kubernetes stores objects of at most 1.5 MiB "
                "(etcd's default --max-request-bytes), so this one could never be applied: split it", node.start_mark.line + 1)


def _walk(root: Node) -> Tuple[int, int]:
    """(nodes written, nodes once every alias is expanded); refuses a mapping that repeats a
    key and a node that contains itself.  Iterative: deep nesting must not recurse.

    The first pass visits each collection once; only a document where some collection is
    reached twice (through an alias) pays for the second, which sizes the expansion."""
    seen = set()
    nodes = 1
    shared = False
    stack: List[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared = True
            continue
        seen.add(id(node))
        if type(node) is MappingNode:
            _check_keys(node)
            for key, value in node.value:
                nodes += 2
                if type(key) is not ScalarNode:
                    stack.append(key)
                if type(value) is not ScalarNode:
                    stack.append(value)
        elif type(node) is SequenceNode:
            nodes += len(node.value)
            stack.extend(child for child in node.value if type(child) is not ScalarNode)
    return (nodes, _expanded(root)) if shared else (nodes, nodes)


def _expanded(root: Node) -> int:
    """Nodes once every alias is expanded, each distinct node sized once."""
    sizes: Dict[int, int] = {}
    on_path = set()
    stack: List[Tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlRefused("an alias refers to the node that contains it, so the document never ends; "
                              "Kubernetes objects cannot be recursive", node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _check_keys(node: MappingNode) -> None:
    values = [key.value for key, _value in node.value if type(key) is ScalarNode]
    if len(set(values)) == len(values):
        return  # the common case, decided without building a record per key
    seen: Dict[Tuple[str, str], int] = {}
    for key, _value in node.value:
        if not isinstance(key, ScalarNode) or key.tag == MERGE_TAG:
            continue
        line = key.start_mark.line + 1
        identity = (key.tag, key.value)
        if identity in seen:
            raise YamlRefused(f"key {shown_key(key.value)} is set twice in one mapping (first at line "
                              f"{seen[identity]}); keep one (kubectl refuses duplicate keys)", line)
        seen[identity] = line


def shown_key(value: str) -> str:
    """A key as a message shows it: quoted, cut."""
    text = value if len(value) <= SHOWN_KEY_CHARS else value[:SHOWN_KEY_CHARS] + "…"
    return repr(text)


def _items(root: Node) -> Optional[List[Node]]:
    """The entries of a ``kind: List`` document's ``items``; None for any other document."""
    if not isinstance(root, MappingNode):
        return None
    fields = {key.value: value for key, value in root.value if isinstance(key, ScalarNode)}
    kind, items = fields.get("kind"), fields.get("items")
    if isinstance(kind, ScalarNode) and kind.value == "List" and isinstance(items, SequenceNode):
        return list(items.value)
    return None


def _item_lines(root: Node) -> Tuple[int, ...]:
    items = _items(root)
    return tuple(item.start_mark.line + 1 for item in items) if items else ()


def _size(node: Node, text: str) -> int:
    """Bytes of the node's text (UTF-8), counted exactly only when it could be over the limit."""
    start, end = node.start_mark.index, node.end_mark.index
    if (end - start) * 4 <= MAX_OBJECT_BYTES:
        return end - start
    return len(text[start:end].encode("utf-8", "surrogatepass"))


def _reader_refusal(error: yaml.reader.ReaderError, text: str) -> YamlRefused:
    position = max(0, min(error.position, len(text)))
    line = text.count("\n", 0, position) + 1
    character = f"a NUL byte (#x{error.character:04x})" if error.character == 0 else f"character #x{error.character:04x}"
    return YamlRefused(f"{character}, which YAML does not allow (is this a binary file?); remove it", line)


def _malformed(error: yaml.MarkedYAMLError) -> YamlRefused:
    return YamlRefused(f"malformed YAML: {_marked_problem(error)}", _line(error.problem_mark), line_in_message=True)


def _marked_problem(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or error.context or "not YAML"
    mark = error.problem_mark
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else problem


def _line(mark: Any) -> int:
    return 0 if mark is None else mark.line + 1
