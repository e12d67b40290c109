"""Render reports in long-lived worker processes, one report failing or hanging alone.

Each worker sets WeasyPrint up once (fonts, the parsed stylesheet) and renders report
after report. A report that raises fails alone; one that runs past the time limit has
its worker killed and replaced, and the other reports go on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext
from typing import Literal, Protocol, cast

from report.errors import why
from report.render import PdfSettings
from report.render.measure import ContentsMetrics

DEFAULT_TIMEOUT = 120.0
PRELOAD = "report.render.preload"  # what the fork server loads before it forks a worker


@dataclass(frozen=True)
class RenderTask:
    """One document to render: what it is called, its HTML, and how to write it.

    kind "pdf" renders it to PDF with settings; "measure" lays a contents part out and
    measures its lines (report/volume/front.py). name says what the document is, in
    progress lines and messages: a report's code, or a part of the volume.
    """

    name: str
    html: str
    settings: PdfSettings = PdfSettings()
    kind: Literal["pdf", "measure"] = "pdf"


@dataclass(frozen=True)
class RenderResult:
    """What rendering one document gave: PDF bytes and page count (or metrics), or an error.

    fast_subset says whether the worker's WeasyPrint found HarfBuzz's subsetter.
    """

    pdf: bytes | None = None
    pages: int = 0
    error: str | None = None
    seconds: float = 0.0
    metrics: ContentsMetrics | None = None
    fast_subset: bool = True


Rendered = tuple[RenderTask, RenderResult]  # a task and what rendering it gave


def render_task(task: RenderTask) -> RenderResult:
    """Render one task in this process; a failing report gives an error, not an exception."""
    from report.render.measure import measure_contents
    from report.render.pdf import harfbuzz_subset_available, render_pdf

    start = time.perf_counter()
    fast = harfbuzz_subset_available()
    try:
        if task.kind == "measure":
            return RenderResult(
                metrics=measure_contents(task.html),
                seconds=time.perf_counter() - start,
                fast_subset=fast,
            )
        pdf, pages = render_pdf(task.html, task.settings)
    except OSError as exc:  # the system refused the engine a file, such as in a full TMPDIR
        where = f"{exc.filename}: " if exc.filename else ""
        return RenderResult(
            error=f"rendering failed: {where}{why(exc)}",
            seconds=time.perf_counter() - start,
            fast_subset=fast,
        )
    except Exception as exc:  # a report that fails, fails alone; the message keeps the cause
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return RenderResult(
            error=f"rendering failed: {detail}",
            seconds=time.perf_counter() - start,
            fast_subset=fast,
        )
    return RenderResult(pdf, pages, seconds=time.perf_counter() - start, fast_subset=fast)


def _worker_main(conn: Connection) -> None:
    from report.render.engine import start_engine

    # Ctrl-C in a terminal reaches the whole process group: the parent stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    start_engine()  # the fonts and stylesheet, once (already, in a worker of the fork server)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(render_task(task))


class _Worker:
    """A worker process and the pipe it takes tasks from."""

    def __init__(self, context: StartContext) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task: RenderTask | None = None
        self.deadline = 0.0
        self.used = False

    def stop(self, kill: bool = False) -> None:
        if kill or not self.used:  # one that never rendered may still be loading WeasyPrint
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


# The contexts workers may start in, by start method.
StartContext = ForkServerContext | ForkContext | SpawnContext


def _context_of(method: str) -> StartContext:
    """Return the multiprocessing context of a start method."""
    if method == "forkserver":
        return multiprocessing.get_context("forkserver")
    if method == "fork":
        return multiprocessing.get_context("fork")
    if method == "spawn":
        return multiprocessing.get_context("spawn")
    raise ValueError(f"cannot find context for {method!r}")


def start_context(method: str | None = None) -> StartContext:
    """Return the multiprocessing context workers start in: a warm fork server if possible.

    The fork server (a fresh process) loads WeasyPrint and the renderer once
    (report/render/preload.py), starting now, while this process goes on; each worker
    is then forked from it ready to render. Without one: fork, else spawn.
    """
    methods = multiprocessing.get_all_start_methods()
    if method is None:
        method = next(m for m in ("forkserver", "fork", "spawn") if m in methods)
    context = _context_of(method)
    if method == "forkserver":
        context.set_forkserver_preload([PRELOAD])
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return context


def default_jobs() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Pool(Protocol):
    """Where a build renders: local worker processes, or a Dask cluster."""

    jobs: int

    def map(self, tasks: Iterable[RenderTask]) -> Iterator[Rendered]:
        """Render every task, yielding each with its result as it finishes (in any order)."""
        ...


class WorkerPool:
    """A fixed set of worker processes that live for the whole build.

    They start at once, so that they load WeasyPrint while the build reads its sources;
    the pool renders batch after batch (the reports, then the volume's front matter).
    """

    def __init__(
        self, jobs: int, timeout: float = DEFAULT_TIMEOUT, start_method: str | None = None
    ) -> None:
        self.context = start_context(start_method)
        self.timeout = timeout
        self.jobs = max(1, jobs)
        self._workers: list[_Worker] | None = None
        if self.context.get_start_method() != "forkserver":
            self._workers = [_Worker(self.context) for _ in range(self.jobs)]

    @property
    def workers(self) -> list[_Worker]:
        """The worker processes, forked on first use (from the fork server, once it is ready)."""
        if self._workers is None:
            self._workers = [_Worker(self.context) for _ in range(self.jobs)]
        return self._workers

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(kill=kind is not None)  # stopped by an error or Ctrl-C: at once

    def close(self, kill: bool = False) -> None:
        """Stop the workers started so far: after their task, or at once when kill."""
        for worker in self._workers or ():
            worker.stop(kill)

    def map(self, tasks: Iterable[RenderTask]) -> Iterator[Rendered]:
        """Render every task, yielding each with its result as it finishes (in any order).

        Tasks are drawn from the iterable only when a worker is free, so the caller can
        prepare the next report while the workers render.
        """
        pending = iter(tasks)
        exhausted = False
        busy: dict[Connection, _Worker] = {}
        while not exhausted or busy:
            for worker in self.workers:
                if worker.task is None and not exhausted:
                    task = next(pending, None)
                    if task is None:
                        exhausted = True
                        break
                    worker.task = task
                    worker.used = True
                    worker.deadline = time.monotonic() + self.timeout
                    worker.conn.send(task)
                    busy[worker.conn] = worker
            if not busy:
                continue
            nearest = min(w.deadline for w in busy.values())
            ready = wait(list(busy), timeout=max(0.0, nearest - time.monotonic()))
            for conn in cast(list[Connection], ready):
                worker = busy.pop(conn)
                task, worker.task = worker.task, None
                assert task is not None
                try:
                    result = cast(RenderResult, conn.recv())
                except (EOFError, OSError):
                    result = RenderResult(
                        error="rendering failed: the worker "
                        f"process died (exit code {worker.process.exitcode})"
                    )
                    self._replace(worker)
                yield task, result
            now = time.monotonic()
            for conn, worker in list(busy.items()):
                if worker.deadline <= now:
                    del busy[conn]
                    task, worker.task = worker.task, None
                    assert task is not None
                    self._replace(worker)
                    yield (
                        task,
                        RenderResult(
                            error=f"rendering took longer than {self.timeout:g} s and was stopped"
                        ),
                    )

    def _replace(self, worker: _Worker) -> None:
        worker.stop(kill=True)
        self.workers[self.workers.index(worker)] = _Worker(self.context)
