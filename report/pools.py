"""Where a build renders: its worker processes, a Dask cluster, or nothing until needed.

open_pool gives the build's local WorkerPool (report/workers.py) or an ExecutorPool on an
existing Dask cluster; on_demand_pool opens either only when a task comes, so that a
build with nothing to render starts no worker. EarlyStart starts the workers' fork server
as soon as a build knows it will render, so that it loads WeasyPrint while the build goes
on. PoolRenderer renders the volume's front matter in the same pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from itertools import chain
from typing import cast

from report.errors import RenderError, UsageError
from report.render import PdfSettings
from report.render.measure import ContentsMetrics
from report.workers import (
    DEFAULT_TIMEOUT,
    Pool,
    Rendered,
    RenderResult,
    RenderTask,
    WorkerPool,
    default_jobs,
    render_task,
    start_context,
)


class EarlyStart:
    """Start the workers' fork server once, in the background, when a build will render.

    Called as soon as the build knows it has a PDF to make (its index is empty, a source
    changed, the plan finds a stale output): the server loads WeasyPrint while the build
    reads and plans. A build that renders no PDF (nothing stale, HTML only) or renders on
    a Dask cluster starts none, and never loads WeasyPrint.
    """

    def __init__(self, renders_pdf: bool, scheduler: str | None) -> None:
        self.wanted = renders_pdf and scheduler is None
        self.started = False

    def __call__(self) -> None:
        """Start the fork server, unless it is started or not wanted."""
        if self.wanted and not self.started:
            self.started = True
            start_context()


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
