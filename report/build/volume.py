"""Assemble the volume: the report PDFs on disk, merged behind a rendered front matter.

An ordinary stage after the reports: it reads each report's finished PDF (report/volume/
merges them at the byte level) and renders only the front matter, in the build's
workers. It holds the reports that are built, in code order: a report that failed to
render is left out, and the volume's key, made from those reports', says so.
"""

from __future__ import annotations

import time
from pathlib import Path

from report.build.context import BuildContext, BuildResult
from report.build.index import BuildIndex, OutputEntry
from report.build.plan import VOLUME, Plan, staleness, volume_key
from report.errors import SystemFault, WriteError
from report.pools import PoolRenderer
from report.volume import VolumeEntry, write_volume
from report.workers import Pool

CACHE_FOLDER = ".cache"


def assemble_volume(
    plan: Plan,
    context: BuildContext,
    pool: Pool,
    out: Path,
    index: BuildIndex,
    result: BuildResult,
) -> str | None:
    """Write volume.pdf of the plan's built reports, unless it is up to date.

    Return the key of the volume the build holds (None: none, for want of a built report).
    """
    if plan.volume is None:
        return None
    start = time.perf_counter()
    present = index.on_disk(out)
    entries, keys = [], []
    for report in plan.reports:
        if report.pdf is None:
            continue
        if report.pdf.path not in index.outputs:
            continue  # failed to render: left out
        entry = present.get(report.pdf.path)
        if entry is None or entry.key != report.pdf.key or entry.pages is None:
            raise SystemFault(f"{out / report.pdf.path}: removed or changed while the build ran")
        entries.append(VolumeEntry(report.code, report.heading, out / report.pdf.path, entry.pages))
        keys.append((report.code, report.pdf.key))
    if not entries:
        return None
    key = volume_key(context, keys)
    recorded = {VOLUME: index.outputs[VOLUME].key} if VOLUME in index.outputs else {}
    if staleness(VOLUME, key, context.options.force, recorded, present) is not None:
        path = out / VOLUME
        pages = write_volume(
            context.info,
            entries,
            path,
            context.settings(None),
            cache_dir=out / CACHE_FOLDER,
            renderer=PoolRenderer(pool),
            pause=context.options.pause,
        )
        try:
            index.outputs[VOLUME] = OutputEntry.of(path, path.read_bytes(), key, pages)
        except OSError as exc:  # the output folder was removed since
            raise WriteError.of(path, exc) from exc
        result.volume_built = True
        context.options.pause("volume-written")
    result.volume_seconds = time.perf_counter() - start
    return key
