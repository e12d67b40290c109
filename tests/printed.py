"""What a PDF must show of its sources, and a way to find it in any reader's text.

Every text field a report prints, Markdown rendered to its text (report/markdown.py),
as words and as sentences; and the body text of a PDF page by page, in which a sentence
is found however lines, pages and table rows broke it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pdf_text import normal

from report.markdown import printed_blocks
from report.sources import load_sources
from report.sources.printable import printed_texts
from report.sources.yaml import Node

# Printed, but not as written: a component as its group's name, the page size not at all.
TRANSFORMED = {("benchmarks", "component"), ("page_size",)}
VOLUME_ONLY = {("subtitle",)}  # the cover prints it; a report does not
MONEY = (("benchmarks", "unit"), "USD")  # printed as the figure's $, not as a unit
# A hyphen of the source, or one a line end adds or marks: pypdf gives `-` and a line
# break, PDFium U+FFFE and none (a soft hyphen it takes for a hyphenation point).
HYPHENS = dict.fromkeys(map(ord, "-\u00ad\u2010\ufffe"))
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def pdfs(out: Path) -> list[Path]:
    """Return the PDFs of a build: every report, then the volume."""
    reports = sorted(p for p in out.glob("*.pdf") if p.name != "volume.pdf")
    assert reports and (out / "volume.pdf").is_file()
    return [*reports, out / "volume.pdf"]


def _printed(root: Node, kind: str, volume: bool) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield each printed text: a plain one whole, a Markdown one a block at a time."""
    for loc, value, markdown in printed_texts(root, kind):
        steps = tuple(step for step in loc if isinstance(step, str))
        if steps in TRANSFORMED or (steps in VOLUME_ONLY and not volume) or (steps, value) == MONEY:
            continue
        for block in printed_blocks(value) if markdown else [value]:
            yield loc, block


def printed_fields(sources: Path, code: str | None) -> list[tuple[str, str]]:
    """Return (field, text) for every text a report (or, code None, the volume) prints."""
    loaded = load_sources(sources, "sources")
    assert loaded.errors == [] and loaded.publication is not None
    roots = [(loaded.publication.root, "publication", "publication.yaml")]
    roots += [
        (c.root, "code", f"{c.code}.yaml") for c in loaded.codes if code is None or c.code == code
    ]
    return [
        (f"{name}:{'.'.join(map(str, loc))}", text)
        for root, kind, name in roots
        for loc, text in _printed(root, kind, code is None)
    ]


def source_words(sources: Path, code: str | None) -> list[tuple[str, str]]:
    """Return (field, word) for every word a report (or, code None, the volume) prints."""
    return [(field, word) for field, text in printed_fields(sources, code) for word in text.split()]


def source_sentences(sources: Path, code: str | None) -> list[tuple[str, str]]:
    """Return (field, sentence) for every sentence a report (or, code None, the volume) prints.

    A sentence ends at `.`, `!` or `?` before a space, or with its paragraph, list item or
    plain field.
    """
    return [
        (field, sentence)
        for field, text in printed_fields(sources, code)
        for sentence in SENTENCE_END.split(text.strip())
        if sentence
    ]


def squeezed(text: str) -> str:
    """Return text as sentences are compared: as normal() gives it, and without hyphens."""
    return normal(text).translate(HYPHENS)


class PageText:
    """One page's body text, squeezed, and the offsets at which its lines start and end."""

    def __init__(self, body: str) -> None:
        self.text = ""
        self.starts: set[int] = set()
        self.ends: set[int] = set()
        for line in body.splitlines():
            piece = squeezed(line)
            if piece:
                self.starts.add(len(self.text))
                self.text += piece
                self.ends.add(len(self.text))

    def ending(self, wanted: str, opening: bool) -> int:
        """Return how much of wanted's start ends a line here (opening: and starts one)."""
        low, high = 0, len(wanted)  # the longest start of wanted found anywhere on the page
        while low < high:
            middle = (low + high + 1) // 2
            if wanted[:middle] in self.text:
                low = middle
            else:
                high = middle - 1
        for length in range(low, 0, -1):
            at = self.text.find(wanted[:length])
            while at >= 0:
                if at + length in self.ends and (at in self.starts or not opening):
                    return length
                at = self.text.find(wanted[:length], at + 1)
        return 0

    def opens_with(self, wanted: str) -> bool:
        """Return whether wanted stands on this page from the start of one of its lines."""
        return any(self.text.startswith(wanted, start) for start in self.starts)


class PagedText:
    """A PDF's body text, page by page, to look sentences up in however it was broken."""

    def __init__(self, bodies: list[str]) -> None:
        self.pages = [PageText(body) for body in bodies]
        self.whole = "".join(page.text for page in self.pages)

    def has(self, sentence: str) -> bool:
        """Return whether a sentence is in the text.

        Whole, across lines and pages; or, as a table row broken over pages leaves it,
        begun at the end of lines of one page and continued from the start of a line of
        the next (other cells and a repeated table head may stand between).
        """
        wanted = squeezed(sentence)
        if wanted in self.whole:
            return True
        for first in range(len(self.pages) - 1):
            rest, index = wanted, first
            while index < len(self.pages) - 1 and (
                done := self.pages[index].ending(rest, opening=index > first)
            ):
                rest, index = rest[done:], index + 1
                if self.pages[index].opens_with(rest):
                    return True
        return False
