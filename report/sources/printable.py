"""Refuse, at `check`, text a report could not print in full, located where it is.

Three things would be lost on the page without an error: a character no bundled font
has (it would print as an empty box), Markdown lists and quotes nested deeper than the
layout indents (the parser drops what lies past its limit), and text too long for the
page margin that prints it (a footer cannot grow).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from report.errors import Finding, Location
from report.glyphs import printable_characters
from report.markdown import MAX_NESTING, marker_column, printed_text, too_deep
from report.sources.validate import locate
from report.sources.yaml import Node
from report.sources.yaml_text import offset_location

Path = tuple[str | int, ...]
Pattern = tuple[str | type, ...]  # a field's path; int or str stands for any index or key

MARKDOWN: dict[str, list[Pattern]] = {
    "code": [
        ("summary",),
        ("overview", "description"),
        ("clinical_context", "vignette"),
        ("coding_considerations", int),
        ("payers", str, "coverage"),
    ],
    "publication": [("notices", "disclaimer")],
}
NOT_PRINTED: dict[str, list[Pattern]] = {
    "code": [("references", int, "url"), ("payers", str, "policies", int, "url")],
    "publication": [
        ("audience",),
        ("language",),
        ("payers", int, "id"),
        ("payers", int, "lookup", "url"),  # the target of its title's link
        ("localities", int),  # names a locality of the indices, which print it as they say
    ],
}
# Text printed in a page margin, whose box cannot grow: the most it may hold, and where.
LIMITS: dict[str, dict[Path, tuple[int, str]]] = {
    "code": {("title",): (500, "a line of the volume's contents")},
    "publication": {
        ("title",): (150, "the running head of the volume's front matter"),
        ("edition",): (40, "every page's footer"),
        ("notices", "copyright"): (240, "every page's footer"),
    },
}
SHOWN = 3  # unprintable characters of one text named one by one; the rest are counted
_WHITESPACE = frozenset(map(ord, "\t\n\r"))  # laid out, never drawn


def _matches(path: Pattern, pattern: Pattern) -> bool:
    return len(path) == len(pattern) and all(
        step == want or (isinstance(want, type) and isinstance(step, want))
        for step, want in zip(path, pattern, strict=True)
    )


def _texts(
    node: Node, path: Path, shape: Pattern, out: list[tuple[Path, Pattern, str]]
) -> list[tuple[Path, Pattern, str]]:
    """Add the path, shape and value of every text value below node to out; return it.

    A shape is the path with its list indexes written as int: it names every entry of a
    list at once.
    """
    children = node.children
    if isinstance(children, dict):
        for key, child in children.items():
            _texts(child, (*path, key), (*shape, key), out)
    elif isinstance(children, list):
        for index, child in enumerate(children):
            _texts(child, (*path, index), (*shape, int), out)
    elif isinstance(node.value, str):
        out.append((path, shape, node.value))
    return out


def _name(path: Path) -> str:
    return ".".join(
        str(step) if isinstance(step, str) else f"[{step + 1}]" for step in path
    ).replace(".[", "[")


def _find(path: str, root: Node, loc: Path, pattern: re.Pattern[str]) -> Location:
    """Return where pattern first matches in the source text of the value at loc."""
    node, missing = root.find(loc)
    if missing is None and root.source is not None:
        start, end = node.span
        found = pattern.search(root.source, start, end)
        if found is not None:
            return Location(path, *offset_location(root.source, found.start()))
    return locate(path, root, loc)


def _spellings(char: str) -> re.Pattern[str]:
    """Match a character as written, as a YAML escape or as an HTML character reference."""
    point = ord(char)
    escapes = [rf"\\u{point:04x}", rf"\\U{point:08x}", rf"&#0*{point};", rf"&#x0*{point:x};"]
    if point < 0x100:
        escapes.append(rf"\\x{point:02x}")
    return re.compile("|".join([re.escape(char), *escapes]), re.IGNORECASE)


def describe(char: str) -> str:
    """Name a character as a message shows it: itself in quotes when it is visible."""
    point, category = ord(char), unicodedata.category(char)
    if category[0] in "LNPS" or category == "Zs":
        return f'"{char}" (U+{point:04X})'
    if category == "Cn":
        noncharacter = 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE
        return f"U+{point:04X} ({'not a character' if noncharacter else 'unassigned'})"
    if category == "Co":
        return f"U+{point:04X} (private use)"
    return f"U+{point:04X} ({unicodedata.name(char, 'no name')})"


def _nth(path: str, root: Node, loc: Path, needle: str, nth: int) -> Location:
    """Return where the nth (from 0) occurrence of needle is in the source text at loc."""
    node, missing = root.find(loc)
    if missing is None and root.source is not None and needle:
        at, end = node.span[0] - len(needle), node.span[1]
        for _ in range(nth + 1):
            at = root.source.find(needle, at + len(needle), end)
            if at < 0:
                break
        else:
            return Location(path, *offset_location(root.source, at))
    return locate(path, root, loc)


@lru_cache(maxsize=4096)  # labels, units and sources repeat from one source to the next
def _unprintable(text: str, covered: frozenset[int]) -> tuple[str, ...]:
    """Return each distinct character of text that no font covers, in the order of the text."""
    return tuple(
        c for c in dict.fromkeys(text) if ord(c) not in covered and ord(c) not in _WHITESPACE
    )


def _characters(path: str, root: Node, loc: Path, text: str) -> list[Finding]:
    missing = list(_unprintable(text, printable_characters()))
    if not missing:
        return []
    named = missing if len(missing) <= SHOWN + 1 else missing[:SHOWN]
    findings = [
        Finding(
            _find(path, root, loc, _spellings(char)),
            f"{describe(char)} cannot be printed: no bundled font has it",
        )
        for char in named
    ]
    if len(missing) > len(named):
        char = missing[SHOWN]
        findings.append(
            Finding(
                _find(path, root, loc, _spellings(char)),
                f"{describe(char)} and {len(missing) - SHOWN - 1:,} more "
                "characters of this text cannot be printed: no bundled font "
                "has them",
            )
        )
    return findings


def _nesting(path: str, root: Node, loc: Path, text: str) -> list[Finding]:
    deep = too_deep(text)
    if deep is None:
        return []
    lines = text.split("\n")
    line = lines[deep.line].strip()  # found as written: the same occurrence of its text
    where = _nth(path, root, loc, line, "\n".join(lines[: deep.line]).count(line))
    where = Location(where.path, where.line, where.column + marker_column(line, deep.marker))
    return [
        Finding(
            where,
            f"Markdown lists and quotes may be nested at most {MAX_NESTING} "
            f"levels deep; this one is level {deep.level}",
        )
    ]


@lru_cache(maxsize=1024)
def _printed(shape: Pattern, kind: str) -> tuple[bool, bool]:
    """Return whether a text at a path of this shape is printed, and whether it is Markdown.

    A shape is a path with its list indexes written as int: it names every entry of
    a list at once.
    """
    if any(_matches(shape, pattern) for pattern in NOT_PRINTED[kind]):
        return False, False
    return True, any(_matches(shape, pattern) for pattern in MARKDOWN[kind])


def printed_texts(root: Node, kind: str) -> Iterator[tuple[Path, str, bool]]:
    """Yield the path and value of every text reports print, and whether it is Markdown.

    kind is that of the source: "code" or "publication".
    """
    for loc, shape, value in _texts(root, (), (), []):
        printed, markdown = _printed(shape, kind)
        if printed:
            yield loc, value, markdown


def printing_findings(path: str, root: Node, kind: str) -> list[Finding]:
    """Return every text of a valid source that a report could not print in full.

    A text fails by its characters, its nesting or its length; kind is that of the
    source: "code" or "publication".
    """
    findings: list[Finding] = []
    covered = printable_characters()
    for loc, value, markdown in printed_texts(root, kind):
        text = printed_text(value) if markdown else value
        if _unprintable(text, covered):
            findings += _characters(path, root, loc, text)
        if markdown:
            findings += _nesting(path, root, loc, value)
        if loc in LIMITS[kind]:
            limit, where = LIMITS[kind][loc]
            if len(value) > limit:
                findings.append(
                    Finding(
                        locate(path, root, loc),
                        f'"{_name(loc)}" is {len(value):,} characters long; '
                        f"{where} holds at most {limit:,}; shorten it",
                    )
                )
    return findings
