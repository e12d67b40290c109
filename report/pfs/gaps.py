"""Move the blank and comment lines that ruamel.yaml's round-trip mode hangs on values.

ruamel keeps the lines between two values (blank lines, `# comment` lines) in a comment
token on the last scalar before them. When an entry is removed or a key inserted, these
functions move those lines with the gap they belong to, so that they stay where they were.
"""

from __future__ import annotations

from typing import TypeAlias

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

BLOCK = (LiteralScalarString, FoldedScalarString)
# Where a comment token sits: (mapping or list, key or index, index in its ca.items entry).
Slot: TypeAlias = "tuple[CommentedMap | CommentedSeq, str | int, int]"


def inner_slot(node: object) -> Slot | None:
    """Return the slot of the comment after a non-empty collection's last scalar."""
    if isinstance(node, CommentedMap) and node:
        return slot_after(node, list(node)[-1])
    if isinstance(node, CommentedSeq) and node:
        return slot_after(node, len(node) - 1)
    return None


def entry_slot(item: object) -> Slot:
    """Return the slot after a list entry; a valid benchmark entry is a non-empty mapping."""
    slot = inner_slot(item)
    assert slot is not None, "a benchmark entry is a mapping with keys"
    return slot


def slot_after(container: CommentedMap | CommentedSeq, key: str | int) -> Slot:
    """Return (container, key, index) of the comment that follows container[key]."""
    return inner_slot(container[key]) or (
        container,
        key,
        2 if isinstance(container, CommentedMap) else 0,
    )


def split(slot: Slot) -> tuple[str, str]:
    """Return (the rest of the value's line, the whole lines after it)."""
    container, key, index = slot
    entry = container.ca.items.get(key)
    token = entry[index] if entry else None
    if isinstance(container[key], BLOCK):
        return "", token.value if token else ""  # a block scalar ends its own line
    inline, _, after = (token.value if token else "\n").partition("\n")
    return inline, after


def _join(slot: Slot, inline: str, after: str) -> None:
    container, key, index = slot
    block = isinstance(container[key], BLOCK)
    text = after if block else f"{inline}\n{after}"
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    if text == ("" if block else "\n"):
        entry[index] = None
    elif entry[index] is not None:
        entry[index].value = text
    else:
        entry[index] = CommentToken(text, CommentMark(0), None)


def take_after(slot: Slot) -> str:
    """Remove and return the whole lines (blank or comment) after a slot's value."""
    inline, after = split(slot)
    _join(slot, inline, "")
    return after


def add_after(slot: Slot, lines: str) -> None:
    """Append whole lines (blank or comment) after a slot's value."""
    if lines:
        inline, after = split(slot)
        _join(slot, inline, after + lines)


def uses_blank_lines(doc: CommentedMap) -> bool:
    """Return whether the file sets its top-level keys apart with blank lines."""
    return any(split(slot_after(doc, key))[1].startswith("\n") for key in list(doc)[:-1])


def insert(mapping: CommentedMap, position: int, key: str, value: object, blank: bool) -> None:
    """Insert key at position; the lines after the previous key move after the new one."""
    keys = list(mapping)
    gap = ""
    if position:
        gap = take_after(slot_after(mapping, keys[position - 1]))
        add_after(slot_after(mapping, keys[position - 1]), "\n" if blank else "")
    mapping.insert(position, key, value)
    add_after(slot_after(mapping, key), gap)


def take_before(parent: CommentedMap, key: str) -> str:
    """Remove and return the comment lines between parent's key and its mapping's first key."""
    mapping = parent[key]
    tokens = (mapping.ca.comment or [None, None])[1] or []
    mapping.ca.comment = None
    if entry := parent.ca.items.get(key):
        entry[3] = None
    return "".join(" " * token.start_mark.column + token.value for token in tokens)


def add_before_first(parent: CommentedMap, key: str, lines: str) -> None:
    """Append whole comment lines between parent's key and the first item of its value."""
    token = CommentToken(lines, CommentMark(0), None)
    entry = parent.ca.items.get(key)
    if entry is not None:  # ruamel writes these lines from the key's entry when it has one
        entry[3] = [*(entry[3] or []), token]
    else:
        node = parent[key]
        node.ca.comment = [None, [*((node.ca.comment or [None, None])[1] or []), token]]
