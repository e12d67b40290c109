"""Load YAML into a tree of located nodes: every value keeps its line and column.

libyaml (through PyYAML's event parser) reads the text, so that hostile input is
answered fast: nodes are built from the event stream and the limits below are checked
as they are built, before any more of the file is read. Plain scalars are resolved
and constructed by ruamel.yaml, with the YAML 1.2 core schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeAlias, cast

import yaml as libyaml
from yaml.events import CollectionStartEvent, Event, NodeEvent, ScalarEvent

from report.errors import SourceError, excerpt, why
from report.files import read_regular
from report.sources import scalars
from report.sources.scalars import Scalar
from report.sources.yaml_text import MAX_DEPTH, decode, syntax_error

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 20_000  # keys and values: 80 times what the largest sample source holds


_CORE = scalars.CORE
_SCALAR_TAGS = {
    scalars.STR,
    scalars.INT,
    scalars.FLOAT,
    scalars.BOOL,
    scalars.NULL,
    scalars.TIMESTAMP,
}
_MAPPING_TAG, _SEQUENCE_TAG = f"{_CORE}map", f"{_CORE}seq"


class _EventParser(Protocol):
    """The part of PyYAML's loaders the composer uses: the event stream."""

    def get_event(self) -> Event: ...
    def peek_event(self) -> Event: ...
    def check_event(self, *choices: type[Event]) -> bool: ...


# libyaml's parser, or PyYAML's pure Python one where libyaml is missing.
_Parser: Callable[[str], _EventParser] = getattr(libyaml, "CBaseLoader", libyaml.BaseLoader)

# A value as plain Python data: what the models validate.
Plain: TypeAlias = "dict[str, Plain] | list[Plain] | Scalar"


@dataclass(slots=True)
class Node:
    """A loaded YAML value with the 1-based line and column where it starts."""

    value: Scalar  # None for a mapping or a list
    line: int
    column: int
    key_line: int = 0
    key_column: int = 0
    text: str | None = None
    children: dict[str, Node] | list[Node] | None = field(default=None, repr=False)
    span: tuple[int, int] = field(default=(0, 0), repr=False)  # offsets in source
    size: int = field(default=1, repr=False)  # values and keys below, aliases expanded
    source: str | None = field(default=None, repr=False)  # the whole text, on the root

    def plain(self) -> Plain:
        """Return the value as plain Python data (dicts, lists, scalars)."""
        if isinstance(self.children, dict):
            return {key: child.plain() for key, child in self.children.items()}
        if isinstance(self.children, list):
            return [child.plain() for child in self.children]
        return self.value

    def find(self, path: tuple[str | int, ...]) -> tuple[Node, str | int | None]:
        """Return the deepest node along path and the first step that is missing."""
        node = self
        for step in path:
            child = node.child(step)
            if child is None:
                return node, step
            node = child
        return node, None

    def child(self, step: str | int) -> Node | None:
        """Return the value under a key of a mapping or an index of a list, if it has one."""
        children = self.children
        if isinstance(children, dict):
            return children.get(step) if isinstance(step, str) else None
        if isinstance(children, list) and isinstance(step, int) and 0 <= step < len(children):
            return children[step]
        return None


def _show_tag(tag: str | None) -> str:
    """Return a tag as a message shows it: the core schema's as !!name."""
    return excerpt(str(tag).replace(_CORE, "!!"))


def _start(event: Event) -> tuple[int, int, int]:
    """Return the 0-based line, column and offset at which an event starts."""
    mark = event.start_mark
    if mark is None:
        raise ValueError("the YAML parser gave an event without a place")
    return mark.line, mark.column, mark.index


def _end(event: Event) -> int:
    """Return the offset at which an event ends."""
    mark = event.end_mark
    if mark is None:
        raise ValueError("the YAML parser gave an event without a place")
    return mark.index


class _Composer:
    """Build located Nodes from libyaml's events, enforcing the limits as they grow."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.parser = _Parser(text)
        self.anchors: dict[str, Node] = {}
        self.count = 0

    def fail(self, event: Event, message: str) -> SourceError:
        """Return the error of a problem found at event."""
        line, column, _ = _start(event)
        return SourceError.at(self.path, line + 1, column + 1, message)

    def add(self, event: Event, size: int) -> None:
        """Count size more keys and values; refuse past the limit."""
        self.count += size
        if self.count > MAX_NODES:
            raise self.fail(
                event,
                f"the file holds more than {MAX_NODES:,} keys and values "
                "(aliases counted as expanded); a source may hold no more",
            )

    def document(self) -> Node | None:
        """Return the file's one document, or None when the stream holds none."""
        parser = self.parser
        parser.get_event()  # stream start
        if parser.check_event(libyaml.StreamEndEvent):
            return None
        parser.get_event()  # document start
        root = self.node(0)
        parser.get_event()  # document end
        if not parser.check_event(libyaml.StreamEndEvent):
            raise self.fail(
                parser.get_event(),
                "a second YAML document starts here; a source holds one document only",
            )
        return root

    def node(self, depth: int) -> Node:
        """Build the node that starts at the next event, depth levels down."""
        event = cast(NodeEvent, self.parser.get_event())  # where a value starts
        if type(event) is libyaml.ScalarEvent:
            self.count += 1
            if self.count > MAX_NODES:
                self.add(event, 0)  # refuses, located
            if event.tag is not None or event.anchor is not None:
                node = self.scalar(event)
            else:  # most values: built here, without a call more
                start, end, text = event.start_mark, event.end_mark, event.value
                assert start is not None and end is not None
                value = plain(text) if event.implicit[0] else text
                span = (start.index, end.index)
                return Node(value, start.line + 1, start.column + 1, 0, 0, text, None, span)
        elif isinstance(event, libyaml.AliasEvent):
            target = None if event.anchor is None else self.anchors.get(event.anchor)
            if target is None:
                raise self.fail(
                    event, f'the alias "*{excerpt(event.anchor)}" names no anchor defined before it'
                )
            self.add(event, target.size)
            line, column, _ = _start(event)
            return dataclasses.replace(
                target, line=line + 1, column=column + 1, key_line=0, key_column=0
            )
        else:
            assert isinstance(event, CollectionStartEvent), event
            self.add(event, 1)
            if depth >= MAX_DEPTH:
                raise self.fail(event, f"values are nested more than {MAX_DEPTH} levels deep")
            if isinstance(event, libyaml.MappingStartEvent):
                node = self.mapping(event, depth)
            else:
                node = self.sequence(event, depth)
        if event.anchor is not None:
            self.anchors[event.anchor] = node
        return node

    @staticmethod
    def located(
        event: Event,
        end: Event,
        value: Scalar = None,
        text: str | None = None,
        children: dict[str, Node] | list[Node] | None = None,
        size: int = 1,
    ) -> Node:
        """Return a node that spans from event to end."""
        mark, last = event.start_mark, end.end_mark
        if mark is None or last is None:
            raise ValueError("the YAML parser gave an event without a place")
        return Node(
            value,
            mark.line + 1,
            mark.column + 1,
            0,
            0,
            text,
            children,
            (mark.index, last.index),
            size,
        )

    def mapping(self, event: CollectionStartEvent, depth: int) -> Node:
        """Build a mapping's node, its start event read."""
        if event.tag not in (None, "!", _MAPPING_TAG):
            raise self.fail(
                event,
                f'the tag "{_show_tag(event.tag)}" is not allowed; '
                "sources hold plain YAML values only",
            )
        parser = self.parser
        children: dict[str, Node] = {}
        size = 1
        while True:
            key_event = parser.get_event()
            if type(key_event) is libyaml.MappingEndEvent:
                break
            if type(key_event) is libyaml.ScalarEvent and key_event.tag is None:
                key = key_event.value  # a plain or quoted word: most keys
                self.count += 1
                if self.count > MAX_NODES or (key == "<<" and key_event.implicit[0]):
                    self.key(key_event)  # refuses, located
            else:
                key = self.key(key_event)
            if key in children:
                first = children[key].key_line
                raise self.fail(
                    key_event, f'duplicate key "{excerpt(key)}" (first given at line {first})'
                )
            child = self.node(depth + 1)
            mark = key_event.start_mark
            assert mark is not None
            child.key_line, child.key_column = mark.line + 1, mark.column + 1
            children[key] = child
            size += 1 + child.size
        return self.located(event, key_event, value=None, children=children, size=size)

    def sequence(self, event: CollectionStartEvent, depth: int) -> Node:
        """Build a list's node, its start event read."""
        if event.tag not in (None, "!", _SEQUENCE_TAG):
            raise self.fail(
                event,
                f'the tag "{_show_tag(event.tag)}" is not allowed; '
                "sources hold plain YAML values only",
            )
        items: list[Node] = []
        parser = self.parser
        while not parser.check_event(libyaml.SequenceEndEvent):
            items.append(self.node(depth + 1))
        return self.located(
            event,
            parser.get_event(),
            value=None,
            children=items,
            size=1 + sum(item.size for item in items),
        )

    def key(self, event: Event) -> str:
        """Read a mapping's key from its event: plain text, or an alias of plain text."""
        if isinstance(event, libyaml.AliasEvent):
            target = None if event.anchor is None else self.anchors.get(event.anchor)
            if target is not None and target.children is None:
                return str(target.text)
        if not isinstance(event, libyaml.ScalarEvent):
            raise self.fail(event, "a key must be a plain word, not a list or mapping")
        self.add(event, 1)
        if event.value == "<<" and event.tag is None and event.implicit[0]:
            raise self.fail(event, 'merge keys ("<<") are not allowed')
        if event.tag is not None:
            self.scalar(event)  # refuses a key with a tag that is not allowed
        return str(event.value)

    def scalar(self, event: ScalarEvent) -> Node:
        """Build a scalar's node: its value read with the core schema."""
        tag = event.tag
        if tag is None:
            if event.implicit[0]:
                return self.located(event, event, value=plain(event.value), text=event.value)
            tag = scalars.STR
        elif tag == "!":  # the non-specific tag: text
            tag = scalars.STR
        if tag not in _SCALAR_TAGS:
            raise self.fail(
                event,
                f'the tag "{_show_tag(tag)}" is not allowed; sources hold plain YAML values only',
            )
        return self.located(
            event, event, value=scalars.construct(tag, event.value), text=event.value
        )


@lru_cache(maxsize=8192)  # units, components, dates and figures repeat from file to file
def plain(text: str) -> Scalar:
    """Return the value of a plain (unquoted, untagged) scalar, read with the core schema."""
    return scalars.construct(scalars.resolve(text), text)


def parse_yaml(data: bytes, path: str) -> Node:
    """Parse YAML bytes into a located Node tree, raising SourceError on bad input."""
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(path, len(data))
    text = decode(data, path)
    if not text.strip():
        raise SourceError.at(path, 1, 1, "the file is empty; expected a mapping of keys")
    composer = _Composer(path, text)
    try:
        root = composer.document()
    except libyaml.MarkedYAMLError as exc:
        raise syntax_error(path, text, exc) from exc
    except libyaml.YAMLError as exc:
        raise SourceError.at(path, 1, 1, f"invalid YAML: {exc}") from exc
    if root is None or (
        root.children is None and root.value is None and not (root.text or "").strip()
    ):
        raise SourceError.at(path, 1, 1, "the file is empty; expected a mapping of keys")
    root.source = text
    return root


def _too_large(path: str, size: int | None) -> SourceError:
    said = f"{size:,} bytes" if size is not None else f"more than {MAX_FILE_BYTES:,} bytes"
    return SourceError.at(
        path, 1, 1, f"the file is {said}; a source may be at most {MAX_FILE_BYTES:,} bytes"
    )


def unreadable(shown_path: str, exc: OSError) -> SourceError:
    """Return the error for a source the system will not read (or that is no regular file)."""
    return SourceError.at(shown_path, 1, 1, f"cannot read the file: {why(exc)}")


def load_yaml(path: Path, shown_path: str) -> tuple[bytes, Node]:
    """Read and parse one YAML file; shown_path is the path used in messages."""
    try:
        data, size = read_regular(path, MAX_FILE_BYTES + 1)  # never more than the limit
    except OSError as exc:
        raise unreadable(shown_path, exc) from exc
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(shown_path, size if size > MAX_FILE_BYTES else None)
    return data, parse_yaml(data, shown_path)
