"""Render the volume's front matter in parts: the opening, then the contents page by page.

The opening (cover and notices) is one part; each page of the contents is a part of its
own, rendered separately and cached by its HTML, so that a rebuild after one report
changed renders again only the contents page that lists it (or, when its page count
changed, the pages whose numbers moved). Which lines go on which page is planned from
each line's measured height, the way the layout would break them: the heights are a
function of the line's heading alone, measured once and kept in the cache. Every part is
checked after rendering; a contents page that would not fit its lines, or an opening
longer than assumed, is planned and rendered again. The plan and every part depend only
on the inputs, so a volume built from the cache has the same bytes as one built without.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Protocol

from report import __version__
from report.assemble import PublicationInfo
from report.files import read_regular
from report.outputs import atomic_write
from report.render.html import ContentsLine, FrontPart, front_html
from report.render.measure import ContentsMetrics
from report.render.styles import STYLES_DIR, stylesheet
from report.volume.entry import VolumeEntry

# Every name of a cached front matter file starts with this; other files are left alone.
CACHE_PREFIX = "volume-front-"
# Bump when the meaning of cached parts or line heights changes (what the key covers).
CACHE_VERSION = "2"
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

    def render(self, htmls: Sequence[str], variant: str) -> list[tuple[bytes, int]]:
        """Render each HTML document to PDF bytes and its page count."""
        ...

    def measure(self, htmls: Sequence[str]) -> list[ContentsMetrics]:
        """Lay each contents document out and measure its lines."""
        ...


class LocalRenderer:
    """Render and measure in this process, one document after another."""

    jobs = 1

    def render(self, htmls: Sequence[str], variant: str) -> list[tuple[bytes, int]]:
        """Render each HTML document to PDF bytes and its page count."""
        from report.render.pdf import (
            render_pdf,  # loads WeasyPrint: only when rendering
        )

        return [render_pdf(html, variant) for html in htmls]

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
    variant: str,
    cache_dir: Path | None = None,
    renderer: FrontRenderer | None = None,
) -> list[RenderedPart]:
    """Render the front matter's parts, the contents numbered to match the reports."""
    renderer = renderer or LocalRenderer()
    cache = _FrontCache(cache_dir, variant)
    metrics = _line_metrics(publication, entries, renderer, cache)
    limits: dict[int, int] = {}
    opening = OPENING_PAGES
    for _ in range(MAX_FRONT_RENDERS):
        plan, fronts = _parts(publication, entries, metrics, opening, limits)
        rendered = cache.render([front_html(publication, f) for f in fronts], renderer)
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
    publication: PublicationInfo,
    entries: Sequence[VolumeEntry],
    metrics: ContentsMetrics,
    opening: int,
    limits: dict[int, int],
    contents: bool = True,
) -> tuple[list[tuple[int, int]], list[FrontPart]]:
    """Plan the contents pages; return the plan and the parts: the opening, then (with
    contents) each contents page, numbered from the entries' page counts."""
    plan = plan_pages(metrics.heights, metrics.gaps, metrics.first_room, metrics.room, limits)
    total = opening + len(plan)
    fronts = [FrontPart("opening", 1, total, report_count=len(entries))]
    if contents:
        pages = start_pages(total, entries)
        for number, (start, end) in enumerate(plan):
            lines = tuple(
                ContentsLine(e.code, e.heading, page)
                for e, page in zip(entries[start:end], pages[start:end], strict=True)
            )
            fronts.append(
                FrontPart(
                    "contents", opening + number + 1, total, lines, opens_contents=number == 0
                )
            )
    return plan, fronts


class FrontPlanner:
    """Work the front matter out ahead, while the reports render: the lines to measure,
    then the parts to render, their results kept in the cache where front_matter() will
    find them. A guess: a part rendered for page counts that turn out otherwise is left
    unused (and removed from the cache by the next front matter)."""

    def __init__(self, publication: PublicationInfo, variant: str, cache_dir: Path) -> None:
        self.publication = publication
        self.cache = _FrontCache(cache_dir, variant)
        self.key = self.cache.key(front_html(publication, _shell()))

    def measure(self, headings: Sequence[str]) -> list[tuple[str, list[str]]]:
        """Return the contents document to measure, and its headings, for headings not
        measured before (none when all were)."""
        known = self.cache.lines(self.key)
        missing = sorted({h for h in headings if h not in known.lines})
        if not missing and known.room is not None:
            return []
        batch = missing or list(headings[:1])
        return [(_measure_html(self.publication, batch), batch)]

    def measured(
        self, batch: Sequence[str], metrics: ContentsMetrics, headings: Sequence[str]
    ) -> None:
        """Keep the measured lines of batch, with those kept before for headings."""
        known = self.cache.lines(self.key)
        known.lines.update(zip(batch, zip(metrics.heights, metrics.gaps, strict=True), strict=True))
        known.first_room, known.room = metrics.first_room, metrics.room
        self.cache.keep_lines(self.key, known, [h for h in headings if h in known.lines])

    def parts(self, entries: Sequence[VolumeEntry], contents: bool) -> list[tuple[str, str]]:
        """Return (key, HTML) of the parts not in the cache, planned from measured lines
        (none if a line was not measured); with contents, the contents pages as well."""
        known = self.cache.lines(self.key)
        if (
            known.room is None
            or known.first_room is None
            or any(e.heading not in known.lines for e in entries)
        ):
            return []
        metrics = ContentsMetrics(
            tuple(known.lines[e.heading][0] for e in entries),
            tuple(known.lines[e.heading][1] for e in entries),
            known.first_room,
            known.room,
        )
        _, fronts = _parts(self.publication, entries, metrics, OPENING_PAGES, {}, contents)
        htmls = {
            self.cache.key(html): html for html in (front_html(self.publication, f) for f in fronts)
        }
        cached = self.cache.rendered(list(htmls))
        return [(key, html) for key, html in htmls.items() if key not in cached]

    def rendered(self, key: str, pdf: bytes, pages: int) -> None:
        """Keep a part rendered ahead."""
        self.cache.keep(key, pdf, pages)


def _shell() -> FrontPart:
    """The contents part whose HTML, without lines, keys the measured line heights."""
    return FrontPart("contents", 1, 1, opens_contents=True)


def _measure_html(publication: PublicationInfo, headings: Sequence[str]) -> str:
    """Return a contents document of headings, for measuring their lines."""
    lines = tuple(ContentsLine(f"line-{n}", h, 0) for n, h in enumerate(headings))
    return front_html(publication, FrontPart("contents", 1, 1, lines, opens_contents=True))


def _line_metrics(
    publication: PublicationInfo,
    entries: Sequence[VolumeEntry],
    renderer: FrontRenderer,
    cache: _FrontCache,
) -> ContentsMetrics:
    """Return every contents line's height and the pages' room: cached, or measured."""
    key = cache.key(front_html(publication, _shell()))
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


@dataclass
class _Lines:
    lines: dict[str, tuple[float, float]]
    first_room: float | None = None
    room: float | None = None


class _FrontCache:
    """Rendered parts (`volume-front-KEY-PAGES.pdf`) and measured lines (`-lines-KEY.json`)."""

    def __init__(self, folder: Path | None, variant: str) -> None:
        self.folder = folder
        self.used: set[str] = set()
        digest = hashlib.sha256()  # everything that shapes a part besides its HTML
        for part in (
            CACHE_VERSION,
            variant,
            __version__,
            metadata.version("weasyprint"),
            os.environ.get("SOURCE_DATE_EPOCH", ""),
            stylesheet(),
        ):
            digest.update(part.encode("utf-8") + b"\0")
        render = Path(__file__).resolve().parent.parent / "render"
        for source in sorted(render.glob("*.py")):  # the whole renderer, whatever it grows
            digest.update(hashlib.sha256(source.read_bytes()).digest())
        for font in sorted((STYLES_DIR / "fonts").glob("*.ttf")):
            digest.update(f"{font.name}:{font.stat().st_size}\0".encode())
        self.variant = variant
        self.environment = digest.digest()

    def key(self, html: str) -> str:
        """Return the cache key of a document: its HTML and what renders it."""
        return hashlib.sha256(self.environment + html.encode("utf-8")).hexdigest()

    def render(self, htmls: list[str], renderer: FrontRenderer) -> list[tuple[bytes, int]]:
        """Return each document rendered: from the cache, or rendered together and kept."""
        keys = [self.key(html) for html in htmls]
        self.used.update(keys)
        found: dict[str, tuple[bytes, int]] = {}
        for key, (path, pages) in self.rendered(keys).items():
            data = _cached(path)
            if data is not None:  # else removed meanwhile: rendered again
                found[key] = (data, pages)
        todo = {key: html for key, html in zip(keys, htmls, strict=True) if key not in found}
        done = renderer.render(list(todo.values()), self.variant) if todo else []
        for key, (data, pages) in zip(todo, done, strict=True):
            found[key] = (data, pages)
            self.keep(key, data, pages)
        return [found[key] for key in keys]

    def rendered(self, keys: list[str]) -> dict[str, tuple[Path, int]]:
        """Return the cached file and page count of each of keys rendered before."""
        found: dict[str, tuple[Path, int]] = {}
        if self.folder is not None:
            wanted = set(keys)
            for path in self.folder.glob(f"{CACHE_PREFIX}*.pdf"):
                key, _, pages = path.stem[len(CACHE_PREFIX) :].rpartition("-")
                if key in wanted and pages.isdigit():
                    found[key] = (path, int(pages))
        return found

    def keep(self, key: str, data: bytes, pages: int) -> None:
        """Keep a rendered document under its key."""
        if self.folder is not None:
            atomic_write(self.folder / f"{CACHE_PREFIX}{key}-{pages}.pdf", data, durable=False)

    def lines(self, key: str) -> _Lines:
        """Return the line heights measured under key (none when there are none)."""
        self.used.add(f"lines-{key}")
        if self.folder is None:
            return _Lines({})
        try:
            value = json.loads(read_regular(self.folder / f"{CACHE_PREFIX}lines-{key}.json")[0])
            return _Lines(
                {h: (float(a), float(b)) for h, (a, b) in value["lines"].items()},
                float(value["first_room"]),
                float(value["room"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return _Lines({})

    def keep_lines(self, key: str, known: _Lines, headings: list[str]) -> None:
        """Keep the heights of these headings under key, for the next build."""
        if self.folder is None:
            return
        value = {
            "first_room": known.first_room,
            "room": known.room,
            "lines": {h: known.lines[h] for h in sorted(set(headings))},
        }
        data = json.dumps(value, sort_keys=True).encode()
        path = self.folder / f"{CACHE_PREFIX}lines-{key}.json"
        if _cached(path) != data:
            atomic_write(path, data, durable=False)

    def evict(self) -> None:
        """Remove cached parts and heights that this front matter did not use."""
        if self.folder is None:
            return
        for path in self.folder.glob(f"{CACHE_PREFIX}*"):
            name = path.stem[len(CACHE_PREFIX) :]
            if name.rpartition("-")[0] not in self.used and name not in self.used:
                path.unlink(missing_ok=True)


def _cached(path: Path) -> bytes | None:
    """Return a cache file's bytes, or None when it is missing, unreadable or not a file."""
    try:
        return read_regular(path)[0]
    except OSError:
        return None
