"""Run a build's stages in order, holding the output folder's lock (see report/build)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from report.build.context import BuildContext, BuildOptions, BuildResult
from report.build.gather import gather_sources
from report.build.index import BuildIndex
from report.build.plan import plan_build
from report.build.record import left_volumes, record_build, save_index
from report.build.render import render_reports
from report.build.site import publish_site
from report.build.volume import assemble_volumes
from report.errors import Finding, UsageError
from report.lock import output_lock
from report.pools import EarlyStart, on_demand_pool
from report.progress import Progress


def build(
    folder: Path,
    out: Path,
    options: BuildOptions = BuildOptions(),
    shown_path: str | None = None,
    log: Callable[[str], None] = print,
    on_errors: Callable[[list[Finding]], None] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Validate every source of folder, then build what is stale into out.

    What is stale of the selected reports is built, and of the volumes when no code is
    named (a build of named codes leaves them as they are); shown_path is folder as
    messages name it.
    """
    options.check()
    shown_path = str(folder) if shown_path is None else shown_path
    if not folder.is_dir():
        raise UsageError(f"{shown_path}: the sources folder does not exist")
    result = BuildResult()
    with output_lock(out, log):
        index = BuildIndex.load(out)
        index.settled = None  # until this build has left everything up to date
        # The workers' fork server starts at the first changed source, or once the plan
        # finds a stale PDF: it loads WeasyPrint meanwhile. A build with nothing to render
        # starts none.
        early = EarlyStart(options.makes_pdf, options.scheduler)
        sources = gather_sources(folder, shown_path, index, options.force, early)
        result.errors += sources.errors
        if on_errors is not None:
            on_errors(sources.errors)
        if sources.publication is None:
            return result
        context = BuildContext.of(options, sources.publication)
        recorded = {path: entry.key for path, entry in index.outputs.items()}
        planned = plan_build(sources.codes, context, shown_path, recorded, index.on_disk(out))
        if planned.renders_pdf():
            early()
        options.pause("planned")
        with on_demand_pool(options.jobs, options.timeout, options.scheduler) as pool:
            render_reports(planned, sources, context, pool, out, index, result, progress, log)
            save_index(out, index)  # the reports are kept even if the volume fails
            volumes = assemble_volumes(planned, context, pool, out, index, result)
        site = publish_site(planned, context, sources, out, index, result, volumes)
        record_build(planned, context, out, index, result, volumes, sources, site)
        left_volumes(context, out, result, log)
    return result
