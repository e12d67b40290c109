"""Record a build: the index of what each output was made from, and manifest.json."""

from __future__ import annotations

from pathlib import Path

from report.build.context import BuildContext, BuildResult
from report.build.index import INDEX_NAME, BuildIndex
from report.build.plan import Plan
from report.files import read_regular
from report.outputs import OutputFile, atomic_write, manifest_bytes

MANIFEST_NAME = "manifest.json"


def save_index(out: Path, index: BuildIndex) -> None:
    """Write the index, so that what is built need not be built again."""
    atomic_write(out / INDEX_NAME, index.dumps())


def record_build(
    plan: Plan,
    context: BuildContext,
    out: Path,
    index: BuildIndex,
    result: BuildResult,
    volume_keys: dict[str, str],
) -> None:
    """List every output the build holds, as built; write the index and the manifest.

    volume_keys are those of the volumes the build holds, by path.
    """
    present = index.on_disk(out)
    for report in plan.reports:
        for output, kind in ((report.pdf, "report"), (report.html, "html")):
            entry = present.get(output.path) if output is not None else None
            if output is not None and entry is not None and entry.key == output.key:
                result.files.append(
                    OutputFile(
                        output.path, kind, report.code, entry.pages, entry.size, entry.sha256
                    )
                )
    for planned in plan.volumes:
        path = planned.output.path
        volume = present.get(path)
        if volume is not None and path in volume_keys and volume.key == volume_keys[path]:
            result.files.append(
                OutputFile(path, "volume", None, volume.pages, volume.size, volume.sha256)
            )
    result.up_to_date = plan.up_to_date
    manifest = manifest_bytes(context.info, result.files)
    if not _holds(out / MANIFEST_NAME, manifest):
        atomic_write(out / MANIFEST_NAME, manifest)
    save_index(out, index)


def _holds(path: Path, data: bytes) -> bool:
    """Return whether path is a regular file holding exactly data."""
    try:
        return read_regular(path, len(data) + 1)[0] == data
    except OSError:
        return False
