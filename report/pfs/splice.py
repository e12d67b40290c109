"""Edit, as text, a source whose entries are as the importer wrote them: each quarter's import.

A new release changes every code's entries (at least their source and as_of), and the
round-trip edit (report/pfs/writer.py) takes tens of milliseconds a source: minutes for
the whole fee schedule. Where the importer's entries still read exactly as it writes
them, next to each other with nothing between, and the indicators it changes are alone
on their lines, the text is edited in place instead: the entries' lines replaced by the
new ones at the same indentation, each changed indicator's value replaced. The result is
read back and must hold exactly the values the edit gives; otherwise, and for any other
file, the round-trip edit does it. Every other byte stays as it was.
"""

from __future__ import annotations

from typing import Any

from report.errors import SourceError
from report.pfs.plan import CodeImport, figure_text, owned
from report.pfs.sparse import entry_lines, entry_text, quoted
from report.sources.models import CodeSource
from report.sources.yaml import Node, Plain, parse_yaml


def _text(node: Node | None) -> str | None:
    """Return a scalar node's text as written, or None for anything else."""
    if node is None or node.children is not None or node.text is None:
        return None
    return node.text


def _entries_as_written(root: Node, places: list[int], indent: int) -> str | None:
    """Return the importer's rendering of the entries at places, from their texts as written."""
    lines: list[str] = []
    for index in places:
        entry = root.find(("benchmarks", index))[0]
        if not isinstance(entry.children, dict):
            return None
        texts = {key: _text(child) for key, child in entry.children.items()}
        keys = ("label", "value", "unit", "component", "source", "as_of")
        if tuple(texts) != keys or any(texts[key] is None for key in keys):
            return None
        component = str(texts["component"])
        lines += entry_text(
            quoted(str(texts["label"])),
            str(texts["value"]),
            str(texts["unit"]),
            quoted(component) if component.isdigit() else component,
            quoted(str(texts["source"])),
            str(texts["as_of"]),
        )
    return "".join(f"{' ' * indent}{line}\n" for line in lines)


def _replace_indicators(
    text: str, root: Node, imported: CodeImport
) -> list[tuple[int, int, str]] | None:
    """Return (start, end, new text) of each indicator value that changes; None if one cannot."""
    changes = []
    for key, value in imported.indicators.items():
        node, missing = root.find(("indicators", key))
        if missing is not None or node.children is not None:
            return None
        if node.value == value:
            continue
        start, end = node.span
        line_end = text.find("\n", end)
        rest = text[end : line_end if line_end >= 0 else len(text)]
        if rest.strip() or "\n" in text[start:end]:
            return None  # a comment after it, or a value over lines: the edit places them
        changes.append((start, end, f'"{value}"'))
    return changes


def _expected(before: Plain, imported: CodeImport, places: list[int]) -> Plain:
    """Return the values the round-trip edit gives: indicators set, entries replaced."""
    assert isinstance(before, dict)
    after: dict[str, Any] = dict(before)
    if imported.indicators:
        indicators = before.get("indicators")
        assert isinstance(indicators, dict)
        after["indicators"] = {**indicators, **imported.indicators}
    benchmarks = before["benchmarks"]
    assert isinstance(benchmarks, list)
    new: list[Plain] = [
        {
            "label": f.label,
            "value": float(figure_text(f.value)),
            "unit": f.unit,
            "component": f.component,
            "source": f.source,
            "as_of": f.as_of,
        }
        for f in imported.figures
    ]
    after["benchmarks"] = benchmarks[: places[0]] + new + benchmarks[places[-1] + 1 :]
    return after


def splice(data: bytes, root: Node, model: CodeSource, imported: CodeImport) -> bytes | None:
    """Return the source with the import made as text, or None if the round-trip edit must."""
    text = root.source
    benchmarks = model.benchmarks or []
    places = [i for i, b in enumerate(benchmarks) if owned(b.source)]
    if (
        text is None
        or data != text.encode("utf-8")  # a byte-order mark, say
        or "\r" in text
        or not imported.figures
        or not places
        or places != list(range(places[0], places[0] + len(places)))
    ):
        return None
    first = root.find(("benchmarks", places[0]))[0]
    start = first.span[0]
    line_start = text.rfind("\n", 0, start) + 1
    indent = first.column - 3  # the entry's keys are 2 columns right of its dash
    if indent < 0 or text[line_start:start] != " " * indent + "- ":
        return None
    old = _entries_as_written(root, places, indent)
    if old is None or not text.startswith(old, line_start):
        return None
    indicators = _replace_indicators(text, root, imported)
    if indicators is None:
        return None
    new = "".join(f"{' ' * indent}{line}\n" for line in entry_lines(imported.figures))
    edits = sorted([*indicators, (line_start, line_start + len(old), new)])
    out, at = [], 0
    for begin, end, replacement in edits:
        if begin < at:
            return None
        out += [text[at:begin], replacement]
        at = end
    result = "".join([*out, text[at:]])
    try:
        after = parse_yaml(result.encode("utf-8"), "spliced")
    except SourceError:
        return None
    if after.plain() != _expected(root.plain(), imported, places):
        return None
    return result.encode("utf-8")
