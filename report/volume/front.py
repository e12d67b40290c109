"""Render the volume's front matter in parts: the opening, then the contents page by page.

The opening (cover and notices) is one part; each page of the contents is a part of its
own, rendered separately and cached by its HTML, so that a rebuild after one report
changed renders again only the contents page that lists it, and only when its heading
changed: a line cites the folio of its report's first page (`CODE-1`), not a volume
page, so the reports' page counts do not reach the contents. Which lines go on which
page is planned from each line's measured height, the way the layout would break them:
the heights are a function of the line's heading alone, measured once and kept in the
cache. Every part is checked after rendering; a contents page that would not fit its
lines, or an opening longer than assumed, is planned and rendered again. The plan and
every part depend only on the inputs, so a volume built from the cache has the same bytes
as one built without.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from report import inputs
from report.assemble import PublicationInfo
from report.inputs import sha256
from report.render import PdfSettings, folio
from report.render.html import ContentsLine, FrontPart, front_html
from report.render.measure import ContentsMetrics
from report.volume.entry import VolumeEntry
from report.volume.front_cache import Document, FrontCache

# Plans tried before giving up on a front matter whose pages keep moving.
MAX_FRONT_RENDERS = 4
# The opening's pages as first assumed: the cover and one page of notices.
OPENING_PAGES = 2
# Lines measured per batch at least, when measuring is spread over workers.
MIN_MEASURE_BATCH = 40
# Slack for rounding when adding line heights up to a page's room, in CSS pixels.
EPSILON = 0.01


class FrontRenderer(Protocol):
    """What renders the front matter's parts: in this process or in the build's workers."""

    jobs: int

    def render(self, documents: Sequence[Document]) -> list[tuple[bytes, int]]:
        """Render each HTML document with its settings to PDF bytes and its page count."""
        ...

    def measure(self, htmls: Sequence[str]) -> list[ContentsMetrics]:
        """Lay each contents document out and measure its lines."""
        ...


class LocalRenderer:
    """Render and measure in this process, one document after another."""

    jobs = 1

    def render(self, documents: Sequence[Document]) -> list[tuple[bytes, int]]:
        """Render each HTML document with its settings to PDF bytes and its page count."""
        from report.render.pdf import render_pdf  # loads WeasyPrint: only when rendering

        return [render_pdf(html, settings) for html, settings in documents]

    def measure(self, htmls: Sequence[str]) -> list[ContentsMetrics]:
        """Lay each contents document out and measure its lines."""
        from report.render.measure import measure_contents

        return [measure_contents(html) for html in htmls]


@dataclass(frozen=True)
class RenderedPart:
    """One rendered part of the front matter: its PDF, page count and structure title."""

    pdf: bytes
    pages: int
    title: str


def start_pages(front_pages: int, entries: Sequence[VolumeEntry]) -> list[int]:
    """Return the volume page (1-based) on which each report starts, after the front matter."""
    starts = []
    page = front_pages + 1
    for entry in entries:
        if entry.pages < 1:
            raise ValueError(f"{entry.code}: a report has at least one page, not {entry.pages}")
        starts.append(page)
        page += entry.pages
    return starts


def plan_pages(
    heights: Sequence[float],
    gaps: Sequence[float],
    first_room: float,
    room: float,
    limits: dict[int, int] | None = None,
) -> list[tuple[int, int]]:
    """Split contents lines into pages, as many on each as fit; return (start, end) ranges.

    A page ends in its last line's bottom margin, which the break truncates. limits caps
    the lines of the page starting at a given line (one that did not fit when rendered).
    """
    limits = limits or {}
    pages: list[tuple[int, int]] = []
    start, used, space = 0, 0.0, first_room
    for index, height in enumerate(heights):
        if index > start and (
            used + height - gaps[index] > space + EPSILON
            or index - start >= limits.get(start, math.inf)
        ):
            pages.append((start, index))
            start, used, space = index, 0.0, room
        used += height
    pages.append((start, len(heights)))
    return pages


def front_matter(
    publication: PublicationInfo,
    entries: Sequence[VolumeEntry],
    settings: PdfSettings,
    cache_dir: Path | None = None,
    renderer: FrontRenderer | None = None,
) -> list[RenderedPart]:
    """Render the front matter's parts, the contents numbered to match the reports.

    The opening is written with settings (in a release, its stamp: the volume's version
    and every source); the contents pages with the same settings but no stamp.
    """
    renderer = renderer or LocalRenderer()
    cache = FrontCache(cache_dir)
    metrics = _line_metrics(publication, entries, renderer, cache)
    unstamped = dataclasses.replace(settings, stamp=None)
    limits: dict[int, int] = {}
    opening = OPENING_PAGES
    for _ in range(MAX_FRONT_RENDERS):
        plan, fronts = _parts(entries, metrics, opening, limits)
        documents = [
            (front_html(publication, f), settings if f.part == "opening" else unstamped)
            for f in fronts
        ]
        rendered = cache.render(documents, renderer)
        settled = rendered[0][1] == opening
        opening = rendered[0][1]
        for (start, end), (_, count) in zip(plan, rendered[1:], strict=True):
            if count != 1:  # the lines did not fit as measured: one fewer on that page
                limits[start] = max(1, end - start - 1)
                settled = False
        if settled:
            cache.evict()
            titles = ["Cover and notices"] + ["Contents"] * len(plan)
            return [
                RenderedPart(pdf, count, title)
                for (pdf, count), title in zip(rendered, titles, strict=True)
            ]
    raise RuntimeError(
        f"the volume's front matter does not settle on its pages after {MAX_FRONT_RENDERS} renders"
    )


def _parts(
    entries: Sequence[VolumeEntry],
    metrics: ContentsMetrics,
    opening: int,
    limits: dict[int, int],
) -> tuple[list[tuple[int, int]], list[FrontPart]]:
    """Plan the contents pages; return the plan and the parts.

    The parts are the opening, then each contents page, whose lines cite the folio of each
    report's first page (`CODE-1`): what that page prints and its page label.
    """
    plan = plan_pages(metrics.heights, metrics.gaps, metrics.first_room, metrics.room, limits)
    total = opening + len(plan)
    fronts = [FrontPart("opening", 1, total, report_count=len(entries))]
    for number, (start, end) in enumerate(plan):
        lines = tuple(ContentsLine(e.code, e.heading, folio(e.code, 1)) for e in entries[start:end])
        fronts.append(
            FrontPart("contents", opening + number + 1, total, lines, opens_contents=number == 0)
        )
    return plan, fronts


def _shell() -> FrontPart:
    """Return the contents part whose HTML, without lines, keys the measured line heights."""
    return FrontPart("contents", 1, 1, opens_contents=True)


def _measure_html(publication: PublicationInfo, headings: Sequence[str]) -> str:
    """Return a contents document of headings, for measuring their lines."""
    lines = tuple(ContentsLine(f"line-{n}", h, "") for n, h in enumerate(headings))
    return front_html(publication, FrontPart("contents", 1, 1, lines, opens_contents=True))


def _line_metrics(
    publication: PublicationInfo,
    entries: Sequence[VolumeEntry],
    renderer: FrontRenderer,
    cache: FrontCache,
) -> ContentsMetrics:
    """Return every contents line's height and the pages' room: cached, or measured."""
    key = inputs.ContentsLines(sha256(front_html(publication, _shell()).encode())).key()
    known = cache.lines(key)
    headings = [entry.heading for entry in entries]
    missing = sorted({h for h in headings if h not in known.lines})
    if missing or known.room is None:
        missing = missing or headings[:1]
        size = max(MIN_MEASURE_BATCH, -(-len(missing) // max(1, renderer.jobs)))
        batches = [missing[i : i + size] for i in range(0, len(missing), size)]
        htmls = [_measure_html(publication, batch) for batch in batches]
        for batch, measured in zip(batches, renderer.measure(htmls), strict=True):
            known.lines.update(
                zip(batch, zip(measured.heights, measured.gaps, strict=True), strict=True)
            )
            known.first_room, known.room = measured.first_room, measured.room
    assert known.first_room is not None and known.room is not None
    cache.keep_lines(key, known, headings)
    return ContentsMetrics(
        tuple(known.lines[h][0] for h in headings),
        tuple(known.lines[h][1] for h in headings),
        known.first_room,
        known.room,
    )
