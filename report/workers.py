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
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from itertools import chain
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext
from typing import Literal, Protocol, cast

from report.errors import RenderError, UsageError, why
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
    from report.render.pdf import renderer

    # Ctrl-C in a terminal reaches the whole process group: the parent stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The fonts and stylesheet, once. On an OSError, such as a full TMPDIR, each task tries
    # again and fails with the cause.
    with suppress(OSError):
        renderer()
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


@contextmanager
def dask_executor(scheduler: str) -> Iterator[object]:
    """Yield a concurrent.futures executor that renders on an existing Dask cluster."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise UsageError(
            "--scheduler needs Dask's distributed package: pip install 'report[dask]'"
        ) from exc
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        yield client.get_executor()
    finally:
        client.close()


class ExecutorPool:
    """Render on a concurrent.futures executor (a Dask cluster's), each task in time."""

    def __init__(self, executor: object, jobs: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.executor = executor
        self.jobs = max(1, jobs)
        self.timeout = timeout

    def map(self, tasks: Iterable[RenderTask]) -> Iterator[Rendered]:
        """Render every task, yielding each with its result as it finishes (in any order)."""
        return _run_on_executor(list(tasks), self.executor, self.timeout)


@contextmanager
def open_pool(
    jobs: int, timeout: float = DEFAULT_TIMEOUT, scheduler: str | None = None
) -> Iterator[Pool]:
    """Start local worker processes, or connect to a Dask cluster; stop them on leaving."""
    if scheduler is not None:
        with dask_executor(scheduler) as executor:
            yield ExecutorPool(executor, jobs, timeout)
        return
    with WorkerPool(jobs, timeout) as pool:
        yield pool


class OnDemandPool:
    """A pool opened in stack on the first task it is given.

    A build with nothing to render then starts no worker (and connects to no cluster).
    """

    def __init__(self, jobs: int, timeout: float, scheduler: str | None, stack: ExitStack):
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.scheduler = scheduler
        self._stack = stack
        self._pool: Pool | None = None

    def map(self, tasks: Iterable[RenderTask]) -> Iterator[Rendered]:
        """Render every task, yielding each with its result as it finishes (in any order)."""
        pending = iter(tasks)
        first = next(pending, None)
        if first is None:
            return
        if self._pool is None:
            self._pool = self._stack.enter_context(
                open_pool(self.jobs, self.timeout, self.scheduler)
            )
        yield from self._pool.map(chain([first], pending))


@contextmanager
def on_demand_pool(
    jobs: int | None, timeout: float = DEFAULT_TIMEOUT, scheduler: str | None = None
) -> Iterator[OnDemandPool]:
    """Yield a pool that starts its workers (or connects) only when given work.

    It stops them on leaving: at once when leaving on an error or Ctrl-C.
    """
    with ExitStack() as stack:
        yield OnDemandPool(jobs or default_jobs(), timeout, scheduler, stack)


class PoolRenderer:
    """Render and measure the volume's front matter in a pool (report/volume's renderer)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.jobs = pool.jobs

    def _run(self, tasks: list[RenderTask]) -> list[RenderResult]:
        """Render tasks in the pool; return their results in task order, or RenderError."""
        order = {id(task): number for number, task in enumerate(tasks)}
        results: list[RenderResult | None] = [None] * len(tasks)
        for task, result in self.pool.map(tasks):
            if result.error is not None:
                raise RenderError("volume.pdf", f"its front matter: {result.error}")
            results[order[id(task)]] = result
        return [result for result in results if result is not None]

    def render(self, documents: Sequence[tuple[str, PdfSettings]]) -> list[tuple[bytes, int]]:
        """Render each HTML document with its settings to PDF bytes and its page count."""
        tasks = [
            RenderTask(f"front matter part {n + 1}", html, settings)
            for n, (html, settings) in enumerate(documents)
        ]
        return [(cast(bytes, r.pdf), r.pages) for r in self._run(tasks)]

    def measure(self, htmls: Sequence[str]) -> list[ContentsMetrics]:
        """Lay each contents document out and measure its lines, in parallel."""
        tasks = [
            RenderTask(f"contents lines {n + 1}", html, kind="measure")
            for n, html in enumerate(htmls)
        ]
        return [cast(ContentsMetrics, r.metrics) for r in self._run(tasks)]


def _run_on_executor(
    tasks: list[RenderTask], executor: object, timeout: float
) -> Iterator[Rendered]:
    from concurrent.futures import FIRST_COMPLETED
    from concurrent.futures import wait as wait_futures

    submit: Callable[..., Future[RenderResult]] = executor.submit  # type: ignore[attr-defined]
    futures = {submit(render_task, task): task for task in tasks}
    deadline = time.monotonic() + timeout * max(1, len(tasks))
    waiting = set(futures)
    while waiting:
        done, waiting = wait_futures(
            waiting, timeout=max(0.0, deadline - time.monotonic()), return_when=FIRST_COMPLETED
        )
        if not done:
            for future in waiting:
                future.cancel()
                yield (
                    futures[future],
                    RenderResult(error="rendering did not finish on the scheduler in time"),
                )
            return
        for future in done:
            try:
                result = future.result()
            except Exception as exc:  # the scheduler lost the task: that report fails alone
                result = RenderResult(error=f"rendering failed on the scheduler: {exc}")
            yield futures[future], result
