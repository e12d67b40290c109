"""Worker processes: every report rendered, one failing or hanging report failing alone."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

import report.render.pdf as pdf
from report.render import PdfSettings
from report.workers import Rendered, RenderResult, RenderTask, WorkerPool, render_task

REAL_RENDER = pdf.render_pdf
HTML = "<!DOCTYPE html><html lang='en'><head><title>t</title></head><body><p>{}</p></body></html>"


def misbehaving_render(html: str, settings: PdfSettings) -> tuple[bytes, int]:
    """Render normally, except for the markers that hang, crash or raise."""
    if "HANG" in html:
        time.sleep(600)
    if "CRASH" in html:
        os._exit(3)
    if "RAISE" in html:
        raise RuntimeError("a report that cannot be rendered")
    return REAL_RENDER(html, settings)


@pytest.fixture
def misbehaving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make render_pdf misbehave on markers; workers forked from this process inherit it.

    Workers forked from the fork server (the default) would not: the tests that use this
    fixture start theirs with start_method="fork".
    """
    monkeypatch.setattr(pdf, "render_pdf", misbehaving_render)


def tasks(*words: str) -> list[RenderTask]:
    """Return one task per word, named by the word itself."""
    return [RenderTask(word, HTML.format(word)) for word in words]


def by_code(results: Iterable[Rendered]) -> dict[str, RenderResult]:
    """Index results by the name of their task."""
    return {task.name: result for task, result in results}


class TestRenderTask:
    """A task renders to PDF bytes in the calling process, or reports why it could not."""

    def test_renders_a_pdf(self) -> None:
        """A plain page renders to one PDF page."""
        result = render_task(tasks("hello")[0])
        assert result.error is None and result.pdf is not None
        assert result.pdf.startswith(b"%PDF-") and result.pages == 1

    def test_unknown_variant_is_an_error_not_an_exception(self) -> None:
        """A report that cannot render gives an error result."""
        result = render_task(RenderTask("x", HTML.format("x"), PdfSettings("pdf/x-9")))
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
        with WorkerPool(2, start_method="fork") as pool:
            results = by_code(list(pool.map(tasks("a", "RAISE", "b"))))
        assert "a report that cannot be rendered" in (results["RAISE"].error or "")
        assert results["a"].pdf and results["b"].pdf

    def test_a_crashing_worker_fails_its_report_and_is_replaced(self, misbehaving: None) -> None:
        """A worker that dies fails its report, and a new worker renders the rest."""
        with WorkerPool(1, start_method="fork") as pool:
            results = by_code(list(pool.map(tasks("CRASH", "a", "b"))))
        assert "worker process died" in (results["CRASH"].error or "")
        assert results["a"].pdf and results["b"].pdf

    def test_a_hanging_report_is_stopped_at_the_time_limit(self, misbehaving: None) -> None:
        """A report past the time limit is stopped; the others are built meanwhile."""
        with WorkerPool(2, timeout=10, start_method="fork") as pool:
            results = by_code(list(pool.map(tasks("HANG", "a", "b", "c"))))
        assert "longer than 10 s" in (results["HANG"].error or "")
        assert all(results[c].pdf for c in "abc")


class TestForkServer:
    """Workers fork from a server that set WeasyPrint up once; a stopped one is replaced."""

    def test_workers_are_children_of_the_fork_server(self) -> None:
        """Each worker's parent is the fork server, which loaded the renderer before forking."""
        with WorkerPool(2) as pool:
            assert pool.context.get_start_method() == "forkserver"
            list(pool.map(tasks("a", "b")))
            parents = {parent_pid(w.process.pid) for w in pool.workers}
        assert len(parents) == 1 and os.getpid() not in parents
        server = parents.pop()
        assert "multiprocessing.forkserver" in Path(f"/proc/{server}/cmdline").read_text()
        assert "report.render.preload" in Path(f"/proc/{server}/cmdline").read_text()

    def test_a_report_past_the_time_limit_is_stopped_and_its_worker_replaced(self) -> None:
        """A report that renders longer than the limit fails; a new worker renders the rest."""
        # Minutes of layout, against a limit that a one-line page meets however busy the
        # machine: the outcome does not depend on how fast it renders.
        rows = "".join(f"<tr><td>{n}</td><td>{'word ' * 40}</td></tr>" for n in range(30000))
        long = RenderTask("long", HTML.format("").replace("<p></p>", f"<table>{rows}</table>"))
        with WorkerPool(1, timeout=10) as pool:
            first = pool.workers[0].process.pid
            results = by_code(list(pool.map([long, *tasks("a")])))
            assert pool.workers[0].process.pid != first
        assert "longer than 10 s" in (results["long"].error or "")
        assert results["a"].error is None and results["a"].pdf

    def test_a_changed_stylesheet_sets_the_renderer_up_again(self, monkeypatch) -> None:
        """A worker's renderer, set up before the stylesheet changed, is not used after."""
        before = pdf.renderer()
        assert pdf.renderer() is before
        changed = before.css + "\np { color: red; }\n"
        monkeypatch.setattr(pdf, "stylesheet", lambda: changed)
        after = pdf.renderer()
        assert after is not before and after.css == changed

    def test_a_changed_font_sets_the_renderer_up_again(self, tmp_path, monkeypatch) -> None:
        """A bundled font replaced (same stylesheet) gives a renderer set up afresh."""
        styles = tmp_path / "styles"
        shutil.copytree(pdf.styles_dir(), styles)
        monkeypatch.setattr(pdf, "fonts_dir", lambda: styles / "fonts")
        before = pdf.renderer()
        assert pdf.renderer() is before
        font = next((styles / "fonts").glob("*.ttf"))
        os.utime(font, ns=(font.stat().st_atime_ns, font.stat().st_mtime_ns + 10**9))
        assert pdf.renderer() is not before


def parent_pid(pid: int | None) -> int:
    """Return a process's parent, from /proc (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])
