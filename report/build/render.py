"""Render the stale reports: HTML written on the way, each PDF stored as its worker ends.

Reports are assembled one at a time, as a worker becomes free, so that the build holds
the models of only the reports in flight. A report that fails to render fails alone:
its error is noted and its old PDF is no longer counted as built.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from report.assemble import assemble
from report.build.context import BuildContext, BuildResult
from report.build.gather import CodeSource, Sources, load_again
from report.build.index import BuildIndex, OutputEntry
from report.build.plan import Output, Plan, ReportPlan, volume_of
from report.errors import Finding, Location, WriteError
from report.files import read_regular
from report.outputs import atomic_write
from report.progress import Progress
from report.render.html import report_html
from report.render.site import code_page
from report.render.web import web_fonts
from report.workers import Pool, RenderTask

HARFBUZZ_WARNING = (
    "warning: HarfBuzz's subsetter (libharfbuzz-subset0) is missing; WeasyPrint falls back "
    "to fontTools, which is about twice as slow (install it with: apt-get install "
    "libharfbuzz-subset0). Output stays reproducible: font subsets are dated from the "
    "effective date."
)

Log = Callable[[str], None]


def render_reports(
    plan: Plan,
    sources: Sources,
    context: BuildContext,
    pool: Pool,
    out: Path,
    index: BuildIndex,
    result: BuildResult,
    progress: Progress | None,
    log: Log,
) -> None:
    """Make every stale output of the plan's reports: HTML here, PDFs in the pool."""
    todo = plan.to_render()
    by_code = {item.code: item for item in sources.codes}
    volumes = volume_of(context, list(by_code))
    if any(r.html is not None and r.html.stale for r in todo):
        copy_fonts(out / "html" / "fonts")

    def tasks() -> Iterator[RenderTask]:
        """Assemble each report when a worker is free for it; write its HTML on the way."""
        for report_plan in todo:
            item = by_code[report_plan.code]
            source = load_again(item, sources)
            if source is None or sources.publication is None:
                _failed(item, report_plan, index, result, log)
                continue
            report = assemble(source, sources.publication, context.options.release)
            html = report_plan.html
            if html is not None and html.stale:
                page = report_html(report, inline_styles=True).encode("utf-8")
                store(out, html, page, None, index)
                result.written.append(html.path)
            site = report_plan.page
            if site is not None and site.stale:
                volume = Path(volumes[item.code]).name if item.code in volumes else None
                store(out, site, code_page(report, volume).encode("utf-8"), None, index)
                result.written.append(site.path)
            if report_plan.pdf is not None and report_plan.pdf.stale:
                yield RenderTask(item.code, report_html(report), context.settings(item.code))

    count = sum(1 for r in todo if r.pdf is not None and r.pdf.stale)
    start = time.perf_counter()
    if count == 0:
        for _ in tasks():  # HTML only
            pass
        return
    planned = {r.code: r.pdf for r in todo if r.pdf is not None}
    if progress is not None:
        progress.start(count)
    warned = False
    try:
        for task, outcome in pool.map(tasks()):
            if not outcome.fast_subset and not warned:
                log(HARFBUZZ_WARNING)
                warned = True
            output = planned[task.name]
            if outcome.error is not None or outcome.pdf is None:
                index.outputs.pop(output.path, None)
                error = outcome.error or "no PDF"
                result.errors.append(Finding(Location(by_code[task.name].shown_path), error))
            else:
                store(out, output, outcome.pdf, outcome.pages, index)
                result.rendered.append(task.name)
                context.options.pause("report-written")
            if progress is not None:
                progress.advance(task, outcome)
    finally:
        if progress is not None:
            progress.finish()
    result.render_seconds = time.perf_counter() - start
    result.errors.sort()


def _failed(
    item: CodeSource, report_plan: ReportPlan, index: BuildIndex, result: BuildResult, log: Log
) -> None:
    """Note the errors of a source that could not be read again to be rendered.

    Its outputs no longer count as built.
    """
    for output in report_plan.outputs:
        index.outputs.pop(output.path, None)
    result.errors += item.errors
    for finding in item.errors:
        log(str(finding))


def store(out: Path, output: Output, data: bytes, pages: int | None, index: BuildIndex) -> None:
    """Write an output and record it in the index under its key."""
    path = out / output.path
    atomic_write(path, data)
    try:
        index.outputs[output.path] = OutputEntry.of(path, data, output.key, pages)
    except OSError as exc:  # the output folder was removed since
        raise WriteError.of(path, exc) from exc


def copy_fonts(target: Path) -> None:
    """Place the bundled fonts, as WOFF2, beside the HTML files so each reads as its PDF."""
    for font in web_fonts():
        data = font.read_bytes()
        try:
            same = read_regular(target / font.name, len(data) + 1)[0] == data
        except OSError:
            same = False
        if not same:
            atomic_write(target / font.name, data)
