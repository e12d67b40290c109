"""Worker processes: every report rendered, one failing or hanging report failing alone."""

from __future__ import annotations

import os
import time

import pytest

import report.render.pdf as pdf
from report.workers import RenderResult, RenderTask, WorkerPool, render_task

REAL_RENDER = pdf.render_pdf
HTML = "<!DOCTYPE html><html lang='en'><head><title>t</title></head><body><p>{}</p></body></html>"


def misbehaving_render(html: str, variant: str) -> tuple[bytes, int]:
    """Render normally, except for the markers that hang, crash or raise."""
    if "HANG" in html:
        time.sleep(600)
    if "CRASH" in html:
        os._exit(3)
    if "RAISE" in html:
        raise RuntimeError("a report that cannot be rendered")
    return REAL_RENDER(html, variant)


@pytest.fixture
def misbehaving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make render_pdf misbehave on markers; forked workers inherit the patch."""
    monkeypatch.setattr(pdf, "render_pdf", misbehaving_render)


def tasks(*words: str) -> list[RenderTask]:
    """Return one task per word, its code the word itself."""
    return [RenderTask(word, HTML.format(word), "pdf/ua-1") for word in words]


def by_code(results: list[RenderResult]) -> dict[str, RenderResult]:
    """Index results by code."""
    return {r.code: r for r in results}


class TestRenderTask:
    """A task renders to PDF bytes in the calling process, or reports why it could not."""

    def test_renders_a_pdf(self) -> None:
        """A plain page renders to one PDF page."""
        result = render_task(tasks("hello")[0])
        assert result.error is None and result.pdf is not None
        assert result.pdf.startswith(b"%PDF-") and result.pages == 1

    def test_unknown_variant_is_an_error_not_an_exception(self) -> None:
        """A report that cannot render gives an error result."""
        result = render_task(RenderTask("x", HTML.format("x"), "pdf/x-9"))
        assert result.pdf is None and "unknown PDF variant" in (result.error or "")


class TestWorkerPool:
    """Workers render every task; a failure, crash or hang fails that report alone."""

    def test_all_tasks_are_rendered_by_two_workers(self) -> None:
        """Five tasks on two workers give five PDFs."""
        with WorkerPool(2) as pool:
            results = by_code(list(pool.map(tasks("a", "b", "c", "d", "e"))))
        assert sorted(results) == ["a", "b", "c", "d", "e"]
        assert all(r.error is None and r.pdf for r in results.values())

    def test_workers_live_for_the_whole_build(self) -> None:
        """The same worker processes render every task."""
        with WorkerPool(2) as pool:
            before = [w.process.pid for w in pool.workers]
            list(pool.map(tasks("a", "b", "c", "d")))
            assert [w.process.pid for w in pool.workers] == before

    def test_a_raising_report_fails_alone(self, misbehaving: None) -> None:
        """An exception in one report is its error; the others are built."""
        with WorkerPool(2) as pool:
            results = by_code(list(pool.map(tasks("a", "RAISE", "b"))))
        assert "a report that cannot be rendered" in (results["RAISE"].error or "")
        assert results["a"].pdf and results["b"].pdf

    def test_a_crashing_worker_fails_its_report_and_is_replaced(self, misbehaving: None) -> None:
        """A worker that dies fails its report, and a new worker renders the rest."""
        with WorkerPool(1) as pool:
            results = by_code(list(pool.map(tasks("CRASH", "a", "b"))))
        assert "worker process died" in (results["CRASH"].error or "")
        assert results["a"].pdf and results["b"].pdf

    def test_a_hanging_report_is_stopped_at_the_time_limit(self, misbehaving: None) -> None:
        """A report past the time limit is stopped; the others are built meanwhile."""
        start = time.monotonic()
        with WorkerPool(2, timeout=3) as pool:
            results = by_code(list(pool.map(tasks("HANG", "a", "b", "c"))))
        assert time.monotonic() - start < 30
        assert "longer than 3 s" in (results["HANG"].error or "")
        assert all(results[c].pdf for c in "abc")
