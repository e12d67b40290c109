"""Record a build: the index of what each output was made from, and manifest.json.

A build of all reports writes a manifest of what it holds. A build of named codes leaves
the volumes as they were, so its manifest is the one before it with the entries of the
files it wrote replaced, and each volume that holds a report rendered again marked with
`"outdated": [codes]`: its bytes are as listed, but it holds an earlier build of those
reports, until a build of all reports writes the volume and a manifest without the mark.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from report.build.context import BuildContext, BuildResult
from report.build.gather import Sources
from report.build.index import INDEX_NAME, BuildIndex, Settled
from report.build.plan import Plan, defined_volumes
from report.build.quick import settled
from report.files import read_regular
from report.outputs import OutputFile, atomic_write, manifest_bytes

MANIFEST_NAME = "manifest.json"
# Enough for the manifest of any folder the builder writes; a larger one is not its own.
MANIFEST_LIMIT = 256 * 1024 * 1024


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
    sources: Sources,
    site: Sequence[OutputFile] = (),
) -> None:
    """List every output the build holds, as built; write the index and the manifest.

    volume_keys are those of the volumes the build holds, by path; site the files of the
    web edition it holds. A build of all reports
    that left every output up to date, without errors, records so in the index.
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
    result.files += site
    result.up_to_date = plan.up_to_date
    manifest = manifest_bytes(context.info, result.files)
    if context.options.codes:
        manifest = _named_manifest(out, context, result, manifest)
    if not _holds(out / MANIFEST_NAME, manifest):
        atomic_write(out / MANIFEST_NAME, manifest)
    index.settled = _settled(plan, context, index, result, sources, manifest, site)
    save_index(out, index)


def _settled(
    plan: Plan,
    context: BuildContext,
    index: BuildIndex,
    result: BuildResult,
    sources: Sources,
    manifest: bytes,
    site: Sequence[OutputFile],
) -> Settled | None:
    """Return what a build of all reports left up to date, if it left all (else None)."""
    options = context.options
    planned = [out.path for r in plan.reports for out in r.outputs]
    planned += [v.output.path for v in plan.volumes]
    planned += [file.path for file in site]
    held = {file.path for file in result.files}
    entries = [index.sources.get(code.shown_path) for code in sources.codes]
    if options.codes or options.release is not None or result.errors or sources.errors:
        return None
    if set(planned) != held or sources.publication is None or None in entries:
        return None
    return settled(
        sources.folder,
        sources.shown_path,
        options.formats,
        options.variant,
        sources.publication.data,
        sources.publication.indices_files(),
        {
            code.shown_path: [e.size, e.mtime_ns]
            for code, e in zip(sources.codes, entries, strict=True)
            if e
        },
        sorted(held),
        manifest,
        len(plan.reports),  # each one up to date now
    )


def left_volumes(
    context: BuildContext, out: Path, result: BuildResult, log: Callable[[str], None]
) -> None:
    """Say, after a build of named codes, which volumes (and site index) it left as they were."""
    if not context.options.codes:
        return
    if any(path.startswith("site/codes/") for path in result.written):
        if (out / "site" / "index.html").exists():
            log("site/index.html left as it was: run build without codes to update it")
        else:
            log("site/index.html not written: run build without codes to make it")
    for _, _, path, _ in defined_volumes(context, sorted(set(result.rendered))):
        if (out / path).exists():
            log(f"{path} left as it was: run build without codes to update it")
        else:
            log(f"{path} not written: run build without codes to make it")


def _named_manifest(out: Path, context: BuildContext, result: BuildResult, written: bytes) -> bytes:
    """Return the manifest of a build of named codes: the previous one, brought up to date.

    written is the manifest of the files this build wrote; without a readable previous
    manifest, that is the manifest.
    """
    try:
        previous = json.loads(read_regular(out / MANIFEST_NAME, MANIFEST_LIMIT)[0])
        files: dict[str, dict[str, Any]] = {entry["path"]: entry for entry in previous["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return written
    for file in result.files:
        files[file.path] = asdict(file)
    for _, _, path, held in defined_volumes(context, sorted(set(result.rendered))):
        entry = files.get(path)
        if entry is not None and entry.get("kind") == "volume":
            entry["outdated"] = sorted({*entry.get("outdated", ()), *held})
    manifest = json.loads(written)
    manifest["files"] = [files[path] for path in sorted(files)]
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _holds(path: Path, data: bytes) -> bool:
    """Return whether path is a regular file holding exactly data."""
    try:
        return read_regular(path, len(data) + 1)[0] == data
    except OSError:
        return False
