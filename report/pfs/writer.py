"""Edit a code source with ruamel.yaml's round-trip mode, touching only the importer's entries.

Comments, key order, quoting, indentation and block styles of everything else stay as they
were: the file is loaded, its indicators and owned benchmarks changed in the loaded tree,
and the tree written back (see gaps.py for the blank and comment lines between values).
"""

from __future__ import annotations

import io
from itertools import zip_longest

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from report.errors import SourceError
from report.pfs.gaps import (
    add_after,
    add_before_first,
    entry_slot,
    insert,
    slot_after,
    split,
    take_after,
    take_before,
    uses_blank_lines,
)
from report.pfs.plan import INDICATOR_KEYS, CodeImport, Figure, owned
from report.pfs.sparse import entry_lines
from report.sources.models import CodeSource

# (mapping indent, dash offset) styles tried in turn until one gives back the file's text.
STYLES = ((2, 2), (2, 0), (4, 2), (4, 0), (4, 4))
FIELD_ORDER = tuple(CodeSource.model_fields)
BOM = "\ufeff"


def _yaml(style: tuple[int, int]) -> YAML:
    """Return a round-trip loader and dumper with a (mapping indent, dash offset) style."""
    mapping, offset = style
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a line the author wrote long
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml


def _dump(yaml: YAML, data: object) -> str:
    """Return data written as YAML."""
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _plain(node: object) -> object:
    """Return a round-trip node as plain dicts, lists and scalars, to compare values."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def _position(mapping: CommentedMap, key: str, order: tuple[str, ...]) -> int:
    """Return where key goes in mapping: after every key that comes before it in order."""
    earlier = order[: order.index(key)]
    return max((i + 1 for i, k in enumerate(mapping) if k in earlier), default=0)


def _put(doc: CommentedMap, key: str, value: object, blank: bool) -> None:
    """Set a top-level key to a new collection: in place if present, else in field order."""
    if key in doc:
        gap = take_after(slot_after(doc, key))
        doc[key] = value
        add_after(slot_after(doc, key), gap)
    else:
        insert(doc, _position(doc, key, FIELD_ORDER), key, value, blank)


# ---------------------------------------------------------------------------------------
# The importer's entries


def _items(yaml: YAML, figures: tuple[Figure, ...]) -> list[CommentedMap]:
    """Return benchmark entries as round-trip nodes, written the way the importer writes them."""
    lines = entry_lines(figures)
    return list(yaml.load("\n".join(lines) + "\n")) if lines else []


def _set_indicators(doc: CommentedMap, indicators: dict[str, str], blank: bool) -> None:
    """Set the indicators the file gives, keeping any other and their order."""
    current = doc.get("indicators")
    if not indicators:
        return
    if not isinstance(current, CommentedMap):
        _put(
            doc,
            "indicators",
            CommentedMap(
                (key, DoubleQuotedScalarString(value)) for key, value in indicators.items()
            ),
            blank,
        )
        return
    for key, value in indicators.items():
        if current.get(key) == value:
            continue
        if key in current:
            current[key] = DoubleQuotedScalarString(value)
            continue
        position = _position(current, key, INDICATOR_KEYS)
        before = take_before(doc, "indicators") if position == 0 else ""
        insert(current, position, key, DoubleQuotedScalarString(value), False)
        add_after(slot_after(current, key), before)  # they were about the key now second


def _is_owned(item: object) -> bool:
    """Return whether a benchmarks entry is the importer's, by its source."""
    return (
        isinstance(item, CommentedMap)
        and isinstance(item.get("source"), str)
        and owned(item["source"])
    )


def _replace_owned(doc: CommentedMap, new: list[CommentedMap]) -> str:
    """Put new where the first owned entry was, drop the others; keep every other entry.

    The lines after a dropped entry go after the entry that now precedes its place; those
    with no entry before them open the list, or are returned if the list is left empty.
    """
    seq = doc["benchmarks"]
    kept: list[object] = []
    orphan = ""
    for item in list(seq):
        if not _is_owned(item):
            kept.append(item)
            continue
        if new:
            kept += new
            new = []
        gap = take_after(entry_slot(item))
        if kept:
            add_after(entry_slot(kept[-1]), gap)
        else:
            orphan += gap
    if new:  # no owned entry yet: append, and keep the lines after the list after it
        gap = take_after(entry_slot(seq[-1])) if seq else ""
        kept += new
        add_after(entry_slot(kept[-1]), gap)
    del seq[:]
    seq.extend(kept)
    if orphan and seq:
        add_before_first(doc, "benchmarks", orphan)
        return ""
    return orphan


def _set_benchmarks(doc: CommentedMap, new: list[CommentedMap], blank: bool) -> None:
    current = doc.get("benchmarks")
    if isinstance(current, CommentedSeq):
        orphan = _replace_owned(doc, new)
        if not current:  # nothing left: drop the key, keep the lines that followed the list
            keys = list(doc)
            at = keys.index("benchmarks")
            gap = take_after(slot_after(doc, "benchmarks")) + orphan
            del doc["benchmarks"]
            if at:
                previous = slot_after(doc, keys[at - 1])
                if at == len(keys) - 1:  # drop the blank lines that set the list apart
                    after = take_after(previous)
                    gap = (after.rstrip("\n") + "\n" if after.strip() else "") + gap
                elif gap.startswith("\n") and split(previous)[1].endswith("\n"):
                    gap = gap[1:]  # one blank line between the neighbours is enough
                add_after(previous, gap)
    elif new:
        _put(doc, "benchmarks", CommentedSeq(new), blank)


# ---------------------------------------------------------------------------------------
# Whole files


def _load(text: str, shown_path: str) -> tuple[YAML, CommentedMap]:
    """Load with the first style that writes the file back unchanged; refuse otherwise."""
    for style in STYLES:
        yaml = _yaml(style)
        try:
            doc = yaml.load(text)
        except YAMLError as exc:
            raise SourceError.at(shown_path, 1, 1, f"invalid YAML: {exc}") from exc
        if _dump(yaml, doc) == text:
            return yaml, doc
    yaml = _yaml(STYLES[0])
    rewritten = _dump(yaml, yaml.load(text)).splitlines()
    for number, (was, would) in enumerate(zip_longest(text.splitlines(), rewritten), 1):
        if was != would:
            raise SourceError.at(
                shown_path,
                number,
                1,
                "the importer cannot keep this file's formatting: it would "
                f'write this line as "{would or ""}"; write it that way (or import other '
                "codes only), then import again",
            )
    raise AssertionError("a file that dumps differently has a differing line")


def double_quoted(text: str) -> str:
    """Return text as ruamel.yaml writes it between double quotes, escapes and all."""
    dumped = _dump(_yaml(STYLES[0]), {"t": DoubleQuotedScalarString(text)})
    return dumped.removeprefix("t: ").removesuffix("\n")


def edit_source(
    data: bytes, shown_path: str, imported: CodeImport, blank_lines: bool | None = None
) -> bytes | None:
    """Return the source with the importer's entries put in, or None if nothing changes.

    blank_lines sets top-level keys apart with blank lines; None follows the file.
    """
    text = data.decode("utf-8")
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    crlf = "\r\n" in text and "\n" not in text.replace("\r\n", "")
    text = text.replace("\r\n", "\n") if crlf else text
    yaml, doc = _load(text, shown_path)
    before = _plain(doc)
    blank = uses_blank_lines(doc) if blank_lines is None else blank_lines
    _set_indicators(doc, imported.indicators, blank)
    _set_benchmarks(doc, _items(yaml, imported.figures), blank)
    if _plain(doc) == before:
        return None
    out = _dump(yaml, doc)
    out = out.replace("\n", "\r\n") if crlf else out
    return ((BOM if bom else "") + out).encode("utf-8")
