"""Assemble the volumes: the report PDFs on disk, merged behind a rendered front matter.

An ordinary stage after the reports: it reads each report's finished PDF (report/volume/
merges them at the byte level) and renders only the front matter, in the build's
workers. It holds the reports that are built, in code order: a report that failed to
render is left out, and the volume's key, made from those reports', says so. Without
volumes in publication.yaml that is volume.pdf of every report; with them, each defined
volume, of the reports it holds, with its title on its cover and in its metadata.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from report.build.context import BuildContext, BuildResult
from report.build.index import BuildIndex, OutputEntry
from report.build.plan import Plan, VolumePlan, staleness, volume_key
from report.errors import SystemFault, WriteError
from report.pools import PoolRenderer
from report.volume import VolumeEntry, write_volume
from report.workers import Pool

CACHE_FOLDER = ".cache"


def assemble_volumes(
    plan: Plan,
    context: BuildContext,
    pool: Pool,
    out: Path,
    index: BuildIndex,
    result: BuildResult,
) -> dict[str, str]:
    """Write each volume of the plan's built reports that is not up to date.

    Return the key of each volume the build holds, by its path (none for a volume without
    a built report).
    """
    start = time.perf_counter()
    keys = {}
    for volume in plan.volumes:
        key = assemble_volume(plan, volume, context, pool, out, index, result)
        if key is not None:
            keys[volume.output.path] = key
    result.volume_seconds = time.perf_counter() - start
    return keys


def assemble_volume(
    plan: Plan,
    volume: VolumePlan,
    context: BuildContext,
    pool: Pool,
    out: Path,
    index: BuildIndex,
    result: BuildResult,
) -> str | None:
    """Write one volume of the plan's built reports, unless it is up to date.

    Return the key of the volume the build holds (None: none, for want of a built report).
    """
    present = index.on_disk(out)
    held = set(volume.codes)
    entries, keys = [], []
    for report in plan.reports:
        if report.pdf is None or report.code not in held:
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
    name = volume.output.path
    key = volume_key(context, volume.definition, keys)
    recorded = {name: index.outputs[name].key} if name in index.outputs else {}
    if staleness(name, key, context.options.force, recorded, present) is not None:
        path = out / name
        cache = out / CACHE_FOLDER
        if volume.title is not None:  # each volume keeps its own cache, not evicting others'
            cache = cache / Path(name).stem
        info = dataclasses.replace(context.info, volume=volume.title)
        pages = write_volume(
            info,
            entries,
            path,
            context.settings(None),
            cache_dir=cache,
            renderer=PoolRenderer(pool),
            pause=context.options.pause,
        )
        try:
            index.outputs[name] = OutputEntry.of(path, path.read_bytes(), key, pages)
        except OSError as exc:  # the output folder was removed since
            raise WriteError.of(path, exc) from exc
        result.volume_built = True
        context.options.pause("volume-written")
    return key
