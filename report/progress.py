"""Show a build's progress: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from report.workers import RenderResult, RenderTask


class Progress:
    """Plain progress lines, one per report rendered; the base for the terminal bar."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.total = 0
        self.done = 0
        self.started = 0.0

    def start(self, total: int) -> None:
        """Begin a run of total reports."""
        self.total, self.done, self.started = total, 0, time.perf_counter()

    def advance(self, task: RenderTask, result: RenderResult) -> None:
        """Record one finished report."""
        self.done += 1
        if result.error is None:
            what = f"built {task.name}.pdf ({result.pages} pages, {result.seconds:.1f} s)"
        else:
            what = f"failed {task.name}: {result.error}"
        print(f"[{self.done}/{self.total}] {what}", file=self.stream, flush=True)

    def finish(self) -> None:
        """End the run."""


class BarProgress(Progress):
    """A progress bar with reports done of total, rate and time left (rich)."""

    def start(self, total: int) -> None:
        """Begin a run of total reports and draw the bar."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        super().start(total)
        self.bar = Bar(
            TextColumn("rendering"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
            transient=True,
        )
        self.task = self.bar.add_task("reports", total=total, rate="")
        self.bar.start()

    def advance(self, task: RenderTask, result: RenderResult) -> None:
        """Move the bar; print failures above it."""
        self.done += 1
        elapsed = time.perf_counter() - self.started
        rate = f"{self.done / elapsed:.1f} reports/s" if elapsed > 0 else ""
        self.bar.update(self.task, advance=1, rate=rate)
        if result.error is not None:
            self.bar.console.print(f"failed {task.name}: {result.error}", markup=False)

    def finish(self) -> None:
        """Remove the bar."""
        self.bar.stop()


def progress_for(stream: TextIO = sys.stderr) -> Progress:
    """Return a bar when stream is a terminal, plain lines otherwise."""
    return BarProgress(stream) if stream.isatty() else Progress(stream)
