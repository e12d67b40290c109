"""Load YAML into a tree of located nodes: every value keeps its line and column."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, nodes
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from report.errors import SourceError

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
_ALLOWED_TAGS = _SCALAR_TAGS | {f"{_CORE}map", f"{_CORE}seq"}


@dataclass
class Node:
    """A loaded YAML value with the 1-based line and column where it starts."""

    value: Any
    line: int
    column: int
    key_line: int = 0
    key_column: int = 0
    text: str | None = None
    children: dict[str, Node] | list[Node] | None = field(default=None, repr=False)

    def plain(self) -> Any:
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
            children = node.children
            if isinstance(children, dict) and isinstance(step, str) and step in children:
                node = children[step]
            elif isinstance(children, list) and isinstance(step, int) and 0 <= step < len(children):
                node = children[step]
            else:
                return node, step
        return node, None


def _tag(node: nodes.Node) -> str:
    tag = node.tag
    return str(getattr(tag, "value", tag))


class _Converter:
    """Turn a composed ruamel node graph into located Nodes, enforcing limits."""

    def __init__(self, path: str, constructor: Any) -> None:
        self.path = path
        self.constructor = constructor
        self.count = 0

    def fail(self, node: nodes.Node, message: str) -> SourceError:
        mark = node.start_mark
        return SourceError.at(self.path, mark.line + 1, mark.column + 1, message)

    def convert(self, node: nodes.Node, depth: int = 0) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"the document has more than {MAX_NODES:,} values "
                                  "(after expanding aliases); split it or remove aliases")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"values are nested more than {MAX_DEPTH} levels deep")
        tag = _tag(node)
        if tag not in _ALLOWED_TAGS:
            raise self.fail(node, f'the tag "{tag.replace(_CORE, "!!")}" is not allowed; '
                                  "sources hold plain YAML values only")
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, nodes.MappingNode):
            children: dict[str, Node] = {}
            for key_node, value_node in node.value:
                key = self.key(key_node)
                if key in children:
                    first = children[key]
                    raise self.fail(key_node, f'duplicate key "{key}" '
                                              f"(first given at line {first.key_line})")
                child = self.convert(value_node, depth + 1)
                child.key_line = key_node.start_mark.line + 1
                child.key_column = key_node.start_mark.column + 1
                children[key] = child
            return Node(None, line, column, children=children)
        if isinstance(node, nodes.SequenceNode):
            items = [self.convert(item, depth + 1) for item in node.value]
            return Node(None, line, column, children=items)
        assert isinstance(node, nodes.ScalarNode)
        return Node(self.scalar(node, tag), line, column, text=str(node.value))

    def key(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.ScalarNode) and node.value == "<<" and node.style is None:
            raise self.fail(node, 'merge keys ("<<") are not allowed')
        if not isinstance(node, nodes.ScalarNode) or _tag(node) not in _SCALAR_TAGS:
            raise self.fail(node, "a key must be a plain word, not a list or mapping")
        return str(node.value)

    def scalar(self, node: nodes.ScalarNode, tag: str) -> Any:
        if tag == f"{_CORE}str":
            return str(node.value)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ValueError, YAMLError):
            return str(node.value)  # e.g. 2022-13-01: keep the text for the model's message
        if isinstance(value, dt.datetime):
            return node.value  # a time of day is not a date: keep the text for the message
        return value


# Errors whose context mark (the construct being read) is a better place than the point
# where the parser gave up: the key missing its colon, the unclosed quote or bracket.
_CONTEXT_FIRST = ("while scanning a simple key", "while scanning a quoted scalar",
                  "while parsing a flow sequence", "while parsing a flow mapping")


def _syntax_error(path: str, exc: MarkedYAMLError) -> SourceError:
    use_context = exc.context in _CONTEXT_FIRST and exc.context_mark is not None
    mark = exc.context_mark if use_context else (exc.problem_mark or exc.context_mark)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    if "\\t" in problem or "\t" in problem:
        problem = "a tab character where YAML allows none; use spaces to indent"
    return SourceError.at(path, line, column, f"invalid YAML: {problem}")


def parse_yaml(data: bytes, path: str) -> Node:
    """Parse YAML bytes into a located Node tree, raising SourceError on bad input."""
    if len(data) > MAX_FILE_BYTES:
        raise SourceError.at(path, 1, 1, f"the file is {len(data):,} bytes; "
                                         f"a source may be at most {MAX_FILE_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before[before.rfind(b"\n") + 1:]
        column = len(line_start.decode("utf-8", errors="replace")) + 1
        raise SourceError.at(path, line, column,
                             f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})") from exc
    if not text.strip():
        raise SourceError.at(path, 1, 1, "the file is empty; expected a mapping of keys")
    yaml = YAML(typ="safe", pure=True)
    try:
        root = yaml.compose(text)
    except MarkedYAMLError as exc:
        raise _syntax_error(path, exc) from exc
    except YAMLError as exc:
        raise SourceError.at(path, 1, 1, f"invalid YAML: {exc}") from exc
    except RecursionError as exc:
        raise SourceError.at(path, 1, 1, "values are nested too deeply") from exc
    if root is None or (isinstance(root, nodes.ScalarNode) and _tag(root) == f"{_CORE}null"
                        and not str(root.value).strip()):
        raise SourceError.at(path, 1, 1, "the file is empty; expected a mapping of keys")
    return _Converter(path, yaml.constructor).convert(root)


def load_yaml(path: Path, shown_as: str) -> tuple[bytes, Node]:
    """Read and parse one YAML file; shown_as is the path used in messages."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError.at(shown_as, 1, 1, f"cannot read the file: {exc.strerror}") from exc
    return data, parse_yaml(data, shown_as)
