"""Run a build: validate every source, render what changed in workers, assemble the volume.

Sources are checked first and every error is reported before anything is rendered.
Outputs whose inputs did not change (see report/cache.py) are kept as they are.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from report.assemble import assemble, publication_info
from report.cache import (
    BuildIndex,
    OutputEntry,
    SourceEntry,
    environment_hash,
    key_of,
    sha256,
)
from report.errors import Finding, Location, UsageError, WriteError
from report.files import read_regular
from report.lock import output_lock
from report.outputs import OutputFile, atomic_write, manifest_bytes
from report.progress import Progress
from report.release.model import Release
from report.render import PDF_VARIANTS, pin_clock
from report.render.html import report_html
from report.render.styles import STYLES_DIR
from report.sources import CodeFile, PublicationFile, load_code, load_publication
from report.sources.yaml import unreadable
from report.volume_step import VolumeStep
from report.workers import (
    DEFAULT_TIMEOUT,
    Pool,
    RenderResult,
    RenderTask,
    default_jobs,
    open_pool,
)

FORMATS = ("pdf", "html")
HARFBUZZ_WARNING = (
    "warning: HarfBuzz's subsetter (libharfbuzz-subset0) is missing; WeasyPrint falls back "
    "to fontTools, which is about twice as slow (install it with: apt-get install "
    "libharfbuzz-subset0). Output stays reproducible: SOURCE_DATE_EPOCH is set from "
    "effective_date."
)

Log = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how."""

    codes: Sequence[str] = ()
    formats: Sequence[str] = ("pdf",)
    variant: str = PDF_VARIANTS[0]
    jobs: int | None = None
    force: bool = False
    timeout: float = DEFAULT_TIMEOUT
    scheduler: str | None = None
    release: Release | None = None  # a versioned release: version, history, embedded sources


@dataclass
class BuildResult:
    """What a build found, rendered and kept."""

    errors: list[Finding] = field(default_factory=list)
    files: list[OutputFile] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    up_to_date: int = 0
    volume_built: bool = False
    render_seconds: float = 0.0
    volume_seconds: float = 0.0


@dataclass
class _Code:
    """One code source as this build sees it: hash, cached or fresh validation, keys."""

    file: Path
    folder: str  # the sources folder as given, for messages
    shown: str
    sha: str
    source: CodeFile | None = None
    errors: list[Finding] = field(default_factory=list)
    heading: str | None = None
    size: int = 0

    @property
    def code(self) -> str:
        return self.file.stem


def _check_options(options: BuildOptions) -> None:
    bad = [f for f in options.formats if f not in FORMATS]
    if bad or not options.formats:
        raise UsageError(
            f"unknown format {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    if options.variant not in PDF_VARIANTS:
        raise UsageError(
            f"unknown PDF variant {options.variant}; choose from {', '.join(PDF_VARIANTS)}"
        )


def build(
    folder: Path,
    out: Path,
    options: BuildOptions = BuildOptions(),
    shown: str | None = None,
    log: Log = print,
    on_errors: Callable[[list[Finding]], None] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Validate all sources, then build what changed of the selected reports and the volume.

    The output folder is locked for the whole build: a second build into it waits.
    """
    _check_options(options)
    shown = str(folder) if shown is None else shown
    if not folder.is_dir():
        raise UsageError(f"{shown}: the sources folder does not exist")
    with output_lock(out, log):
        # Workers start now, to load WeasyPrint while the sources are read.
        jobs = options.jobs or default_jobs()
        with open_pool(jobs, options.timeout, options.scheduler) as pool:
            result = _build(folder, out, options, shown, pool, log, on_errors, progress)
    return result


def _build(
    folder: Path,
    out: Path,
    options: BuildOptions,
    shown: str,
    pool: Pool,
    log: Log,
    on_errors: Callable[[list[Finding]], None] | None,
    progress: Progress | None,
) -> BuildResult:
    index = BuildIndex.load(out)
    environment = environment_hash()
    if index.environment != environment:
        index = BuildIndex(environment)
    result = BuildResult()

    publication, pub_errors = load_publication(folder, shown)
    result.errors += pub_errors
    pub_shown = os.path.join(shown, "publication.yaml")
    pub_sha = sha256(publication.data) if publication else ""
    previous = index.sources.get(pub_shown)
    reparse = options.force or previous is None or previous.sha256 != pub_sha
    codes = _scan_codes(folder, shown, index, publication, reparse, result)
    result.errors.sort()
    if on_errors is not None:
        on_errors(result.errors)
    if publication is None:
        return result
    try:
        stat = (folder / "publication.yaml").stat()
        index.sources[pub_shown] = SourceEntry(stat.st_size, stat.st_mtime_ns, pub_sha)
    except OSError:  # removed since it was read: the next build reads every source again
        index.sources.pop(pub_shown, None)

    selected = _select(codes, options.codes, shown)
    pin_clock(publication.model.effective_date)
    base_key = key_of(
        environment, pub_sha, options.variant, *([options.release.key()] if options.release else [])
    )
    volume = None
    if "pdf" in options.formats:
        headings = {c.code: c.heading for c in selected if c.heading}
        volume = VolumeStep(
            out,
            headings,
            base_key,
            options.variant,
            options.force,
            index,
            publication_info(publication, options.release),
            pool,
        )
    try:
        _render_reports(
            out,
            selected,
            base_key,
            options,
            index,
            publication,
            result,
            progress,
            log,
            pool,
            volume,
        )
        if result.rendered:  # kept even if the volume fails: the reports need not render again
            atomic_write(out / ".build-index.json", index.dumps())
        if volume is not None:
            output, result.volume_seconds, result.volume_built = volume.finish()
            if output is not None:
                result.files.append(output)
    except BaseException:
        if volume is not None:  # its thread removes what it was writing before we go on
            volume.abandon()
        raise
    manifest = manifest_bytes(publication_info(publication), result.files)
    if not _holds(out / "manifest.json", manifest):
        atomic_write(out / "manifest.json", manifest)
    atomic_write(out / ".build-index.json", index.dumps())
    return result


def _scan_codes(
    folder: Path,
    shown: str,
    index: BuildIndex,
    publication: PublicationFile | None,
    reparse: bool,
    result: BuildResult,
) -> list[_Code]:
    """Hash every code source; parse only those that changed (or all when told to)."""
    files = sorted((folder / "codes").glob("*.yaml")) if (folder / "codes").is_dir() else []
    if not files:
        result.errors.append(
            Finding.at(
                os.path.join(shown, "codes"),
                "no code sources found (expected codes/CODE.yaml files)",
            )
        )
    pub_model = publication.model if publication else None
    codes = []
    for file in files:
        path = os.path.join(shown, "codes", file.name)
        try:
            digest, changed, stat = index.source_hash(path, file)
        except OSError as exc:  # vanished, unreadable, or a FIFO or device: never read
            item = _Code(file, shown, path, "", errors=unreadable(path, exc).findings)
            result.errors += item.errors
            codes.append(item)
            continue
        entry = index.sources.get(path)
        item = _Code(file, shown, path, digest)
        if changed or reparse or entry is None or publication is None:
            item.source, item.errors = load_code(file, shown, pub_model)
            entry = SourceEntry(stat.st_size, stat.st_mtime_ns, digest)
            entry.errors = [
                [f.location.path, f.location.line, f.location.column, f.message]
                for f in item.errors
            ]
            if item.source is not None:
                model = item.source.model
                entry.heading = f"{model.system} {model.code}: {model.title}"
            if publication is not None:
                index.sources[path] = entry
        else:
            item.errors = entry.findings()
        item.heading = entry.heading
        item.size = entry.size
        result.errors += item.errors
        codes.append(item)
    return codes


def _select(codes: list[_Code], named: Sequence[str], shown: str) -> list[_Code]:
    """Return the valid codes to build, in code order: the named ones, or all."""
    known = {c.code: c for c in codes}
    unknown = [code for code in named if code not in known]
    if unknown:
        raise UsageError(f"no source for {', '.join(unknown)} in {os.path.join(shown, 'codes')}")
    chosen = [known[c] for c in sorted(set(named))] if named else codes
    return [c for c in chosen if not c.errors and c.heading]


def _render_reports(
    out: Path,
    selected: list[_Code],
    base_key: str,
    options: BuildOptions,
    index: BuildIndex,
    publication: PublicationFile,
    result: BuildResult,
    progress: Progress | None,
    log: Log,
    pool: Pool,
    volume: VolumeStep | None,
) -> None:
    """Render the selected reports whose inputs changed; keep the others.

    volume, when given, is written meanwhile: each report is given to it when ready.
    """
    keys: dict[str, str] = {}
    todo: list[tuple[_Code, bool, bool]] = []
    for item in selected:
        key = keys[item.code] = key_of(base_key, item.sha)
        need_pdf = "pdf" in options.formats and (
            options.force or index.fresh(out, f"{item.code}.pdf", key) is None
        )
        need_html = "html" in options.formats and (
            options.force or index.fresh(out, f"html/{item.code}.html", key) is None
        )
        if need_pdf or need_html:
            todo.append((item, need_pdf, need_html))
        if not need_pdf:
            result.up_to_date += 1
    count = sum(1 for _, need_pdf, _ in todo if need_pdf)
    if volume is not None and count:
        volume.start()
        rendering = {item.code for item, need_pdf, _ in todo if need_pdf}
        for item in selected:
            entry = index.fresh(out, f"{item.code}.pdf", keys[item.code])
            if item.code not in rendering and entry is not None:
                volume.ready(item.code, entry.pages)

    # The longest sources first (a report's length follows its source's), so that no
    # worker is left with a long report while the others have finished.
    todo.sort(key=lambda job: -job[0].size)

    def prepare() -> Iterator[RenderTask]:
        """Assemble each report as a worker becomes free; write HTML outputs on the way."""
        for item, need_pdf, need_html in todo:
            if item.source is None:  # unchanged since the index, but an output is missing
                item.source, item.errors = load_code(item.file, item.folder, publication.model)
                result.errors += item.errors  # such as a source removed since it was hashed
                for finding in item.errors:
                    log(str(finding))
            if item.source is None:
                if volume is not None and need_pdf:
                    volume.ready(item.code, None)
                continue
            report = assemble(item.source, publication, options.release)
            if need_html:
                page = report_html(report, inline_styles=True).encode("utf-8")
                _store(out, f"html/{item.code}.html", page, keys[item.code], None, index)
            if need_pdf:
                yield RenderTask(
                    item.code,
                    report_html(report),
                    options.variant,
                    os.environ.get("SOURCE_DATE_EPOCH", ""),
                )

    if any(need_html for _, _, need_html in todo):
        _copy_fonts(out / "html" / "fonts")
    tasks = prepare()
    if not count:
        for _ in tasks:
            pass
    start = time.perf_counter()
    if count:
        if progress is not None:
            progress.start(count)
        by_code = {c.code: c for c in selected}
        warned = False
        try:
            for outcome in pool.map(volume.ahead(tasks) if volume is not None else tasks):
                if volume is not None and volume.took(outcome):
                    continue
                if not outcome.fast_subset and not warned:
                    log(HARFBUZZ_WARNING)
                    warned = True
                pages = _take(
                    out, outcome, keys[outcome.code], by_code[outcome.code], index, result
                )
                if volume is not None:
                    volume.ready(outcome.code, pages)
                if progress is not None:
                    progress.advance(outcome)
        finally:
            if progress is not None:
                progress.finish()
    result.render_seconds = time.perf_counter() - start
    wanted = [("{}.pdf", "report")] * ("pdf" in options.formats) + [("html/{}.html", "html")] * (
        "html" in options.formats
    )
    for item in selected:
        for pattern, kind in wanted:
            relative = pattern.format(item.code)
            entry = index.fresh(out, relative, keys[item.code])
            if entry is not None:
                result.files.append(
                    OutputFile(relative, kind, item.code, entry.pages, entry.bytes, entry.sha256)
                )
    result.errors.sort()


def _take(
    out: Path, outcome: RenderResult, key: str, item: _Code, index: BuildIndex, result: BuildResult
) -> int | None:
    """Store a rendered report, or note its error; return its pages (None: it failed)."""
    if outcome.error is not None or outcome.pdf is None:
        index.outputs.pop(f"{item.code}.pdf", None)
        result.errors.append(Finding(Location(item.shown), outcome.error or "no PDF"))
        return None
    _store(out, f"{item.code}.pdf", outcome.pdf, key, outcome.pages, index)
    result.rendered.append(item.code)
    return outcome.pages


def _store(
    out: Path, relative: str, data: bytes, key: str, pages: int | None, index: BuildIndex
) -> None:
    atomic_write(out / relative, data)
    try:
        index.outputs[relative] = OutputEntry.of(out / relative, data, key, pages)
    except OSError as exc:  # the output folder was removed since
        raise WriteError.of(out / relative, exc) from exc


def _holds(path: Path, data: bytes) -> bool:
    """Return whether path is a regular file holding exactly data."""
    try:
        return read_regular(path, len(data) + 1)[0] == data
    except OSError:
        return False


def _copy_fonts(target: Path) -> None:
    """Place the bundled fonts beside the HTML files so each renders as the PDF did."""
    for font in sorted((STYLES_DIR / "fonts").iterdir()):
        if (
            not (target / font.name).is_file()
            or (target / font.name).stat().st_size != font.stat().st_size
        ):
            atomic_write(target / font.name, font.read_bytes())
