"""The build's volume step: volume.pdf written while the reports render, or after them.

When reports are to be rendered, a thread writes the volume meanwhile (report/volume/
feed.py): each report is placed as soon as it and those before it are ready, so that a
rebuild after one change places the thousand unchanged reports while that one renders.
When a report fails, or nothing was rendered, the volume is written after the reports,
from the report PDFs on disk, unless nothing it holds has changed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from report.assemble import PublicationInfo
from report.cache import BuildIndex, OutputEntry, key_of
from report.outputs import OutputFile
from report.volume import VolumeEntry, write_volume
from report.volume.feed import Abandoned, Background, VolumeFeed
from report.volume.front import FrontPlanner
from report.workers import Pool, PoolRenderer, RenderResult, RenderTask


class VolumeStep:
    """Write volume.pdf for the selected reports: in the background, or at the end."""

    def __init__(
        self,
        out: Path,
        headings: dict[str, str],
        base_key: str,
        variant: str,
        force: bool,
        index: BuildIndex,
        publication: PublicationInfo,
        pool: Pool,
    ) -> None:
        """headings gives each report's printed heading by code, in volume order."""
        self.out = out
        self.headings = dict(headings)
        self.base_key = base_key
        self.variant = variant
        self.force = force
        self.index = index
        self.publication = publication
        self.source_date_epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        self.renderer = _GatedRenderer(PoolRenderer(pool, self.source_date_epoch))
        self.feed: VolumeFeed | None = None
        self.background: Background | None = None
        self.planner: FrontPlanner | None = None
        self.batches: dict[str, list[str]] = {}
        self.done: dict[str, int] = {}  # page counts of the reports ready so far
        self.last_pages = 1  # those of the report ready last

    def start(self) -> None:
        """Start writing the volume in the background; reports come through ready()."""
        if not self.headings:
            return
        self.feed = VolumeFeed(list(self.headings))
        feed, codes = self.feed, list(self.headings)
        self.background = Background(
            lambda: write_volume(
                self.publication,
                iter(feed),
                self.out / "volume.pdf",
                self.variant,
                cache_dir=self.out / ".cache",
                renderer=self.renderer,
                codes=codes,
            )
        )

    def ahead(self, tasks: Iterator[RenderTask]) -> Iterator[RenderTask]:
        """Add to the reports' tasks the front matter's work that need not wait for them.

        First the contents lines not measured before; after the reports, the parts
        planned from the page counts known so far (the earlier build's, for a report being
        rendered again). took() keeps their results in the cache, where the front
        matter finds them when the counts were right.
        """
        first = next(tasks, None)  # a worker starts on a report while the rest is planned
        if first is not None:
            yield first
        self.planner = FrontPlanner(self.publication, self.variant, self.out / ".cache")
        headings = list(self.headings.values())
        for number, (html, batch) in enumerate(self.planner.measure(headings)):
            self.batches[f"volume:measure:{number}"] = batch
            yield RenderTask(
                f"volume:measure:{number}", html, self.variant, self.source_date_epoch, "measure"
            )
        yield from tasks
        guess, unknown = self._guessed_entries()
        # With no more than a report per worker still rendering, the contents pages planned
        # from guessed counts are likely right, and rendered while those reports finish.
        contents = unknown <= self.renderer.jobs
        for key, html in self.planner.parts(guess, contents=contents):
            yield RenderTask(f"volume:part:{key}", html, self.variant, self.source_date_epoch)

    def took(self, outcome: RenderResult) -> bool:
        """Keep the result of a task added by ahead(); return whether outcome was one."""
        if not outcome.code.startswith("volume:"):
            return False
        if self.planner is None or outcome.error is not None:
            return True
        kind, _, name = outcome.code[len("volume:") :].partition(":")
        if kind == "measure" and outcome.metrics is not None:
            self.planner.measured(
                self.batches.pop(outcome.code), outcome.metrics, list(self.headings.values())
            )
        elif kind == "part" and outcome.pdf is not None:
            self.planner.rendered(name, outcome.pdf, outcome.pages)
        return True

    def _guessed_entries(self) -> tuple[list[VolumeEntry], int]:
        """Return the entries with their page counts, guessed for reports still rendering,
        and how many were guessed.

        A guess is the count of the report's earlier build, else that of the report
        finished last: reports render longest first, so it is the closest in length.
        """
        entries, unknown = [], 0
        for code, heading in self.headings.items():
            pages = self.done.get(code)
            if pages is None:
                unknown += 1
                entry = self.index.outputs.get(f"{code}.pdf")
                pages = entry.pages if entry is not None and entry.pages else self.last_pages
            entries.append(VolumeEntry(code, heading, self.out / f"{code}.pdf", pages))
        return entries, unknown

    def ready(self, code: str, pages: int | None) -> None:
        """Give the volume a report whose PDF is on disk with pages (None: it failed)."""
        if pages is not None:
            self.done[code] = self.last_pages = pages
        if self.feed is None:
            return
        self.feed.put(
            code,
            None
            if pages is None
            else VolumeEntry(code, self.headings[code], self.out / f"{code}.pdf", pages),
        )

    def abandon(self) -> None:
        """Give the background volume up (the build stops), and wait until its thread has
        removed the temporary file it was writing."""
        if self.feed is not None:
            self.feed.stop()
        if self.background is not None:
            self.background.wait()  # at once: the feed raises Abandoned; the build's error stands

    def finish(self) -> tuple[OutputFile | None, float, bool]:
        """Wait for the volume or write it now; return its output, the seconds this took
        after the reports, and whether it was written."""
        start = time.perf_counter()
        self.renderer.open()
        if self.feed is not None:
            self.feed.close()
        entries, parts = [], [self.base_key]
        for code, heading in self.headings.items():
            entry = self.index.outputs.get(f"{code}.pdf")
            if entry is None or not (self.out / f"{code}.pdf").is_file():
                continue
            assert entry.pages is not None
            entries.append(VolumeEntry(code, heading, self.out / f"{code}.pdf", entry.pages))
            parts.append(f"{code}:{entry.sha256}")
        pages = None
        if self.background is not None:
            try:
                pages = self.background.join()
            except Abandoned:  # a report failed: the volume is written below, without it
                pass
        if not entries:
            return None, 0.0, False
        key = key_of(*parts)
        fresh = (
            None
            if self.force or pages is not None
            else self.index.fresh(self.out, "volume.pdf", key)
        )
        built = fresh is None
        if fresh is None:
            if pages is None:
                pages = write_volume(
                    self.publication,
                    entries,
                    self.out / "volume.pdf",
                    self.variant,
                    cache_dir=self.out / ".cache",
                    renderer=self.renderer,
                )
            path = self.out / "volume.pdf"
            fresh = self.index.outputs["volume.pdf"] = OutputEntry.of(
                path, path.read_bytes(), key, pages
            )
        return (
            OutputFile("volume.pdf", "volume", None, fresh.pages, fresh.bytes, fresh.sha256),
            time.perf_counter() - start,
            built,
        )


class _GatedRenderer:
    """A front matter renderer that waits until the build's reports no longer use the pool."""

    def __init__(self, renderer: PoolRenderer) -> None:
        self.inner = renderer
        self.jobs = renderer.jobs
        self._open = threading.Event()

    def open(self) -> None:
        """Let the front matter use the pool: every report has been rendered."""
        self._open.set()

    def render(self, htmls: Sequence[str], variant: str) -> list[tuple[bytes, int]]:
        """Render each HTML document to PDF bytes and its page count, once the pool is free."""
        self._open.wait()
        return self.inner.render(list(htmls), variant)

    def measure(self, htmls: Sequence[str]) -> list:  # type: ignore[type-arg]
        """Measure each contents document's lines, once the pool is free."""
        self._open.wait()
        return self.inner.measure(list(htmls))
