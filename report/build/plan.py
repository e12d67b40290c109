"""Plan a build: which outputs the selected reports need, their keys, and which are stale.

A pure function of the gathered sources, the build's context and what the index records:
it reads no file and renders nothing. Each output's key is that of its inputs
(report/inputs.py); an output is stale when it was not built before, its inputs changed,
its file is missing or was changed since, or the build is forced.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from report import inputs
from report.build.context import BuildContext
from report.build.gather import CodeSource
from report.errors import UsageError

VOLUME = "volume.pdf"


@dataclass(frozen=True)
class Output:
    """One output the build is to have: its path, its inputs' key, and why it is stale.

    The path is within the output folder; the reason is None when it is up to date.
    """

    path: str
    key: str
    stale: str | None


@dataclass(frozen=True)
class ReportPlan:
    """The outputs of one report: its PDF and HTML, each when the build makes that format."""

    code: str
    heading: str
    size: int  # of its source: reports as long as their sources render longest first
    pdf: Output | None
    html: Output | None

    @property
    def stale(self) -> bool:
        """Return whether any output of the report must be made again."""
        return any(out is not None and out.stale for out in (self.pdf, self.html))


@dataclass(frozen=True)
class Plan:
    """What the build makes: the selected reports in code order, and the volume of them."""

    reports: tuple[ReportPlan, ...]
    volume: Output | None  # None without PDF output

    def to_render(self) -> list[ReportPlan]:
        """Return the reports with a stale output, the longest sources first.

        So no worker is left with a long report while the others have finished.
        """
        return sorted((r for r in self.reports if r.stale), key=lambda r: (-r.size, r.code))

    @property
    def up_to_date(self) -> int:
        """Return how many reports keep their PDF as it is."""
        return sum(1 for r in self.reports if r.pdf is None or r.pdf.stale is None)


def select(codes: Sequence[CodeSource], named: Sequence[str], shown_path: str) -> list[CodeSource]:
    """Return the valid codes to build, in code order: the named ones, or all."""
    known = {c.code: c for c in codes}
    unknown = [code for code in named if code not in known]
    if unknown:
        raise UsageError(
            f"no source for {', '.join(unknown)} in {os.path.join(shown_path, 'codes')}"
        )
    chosen = [known[c] for c in sorted(set(named))] if named else list(codes)
    return [c for c in chosen if not c.errors and c.heading]


def staleness(
    path: str, key: str, force: bool, recorded: Mapping[str, str], present: Collection[str]
) -> str | None:
    """Say why the output at path must be made again, or None if it is up to date."""
    if force:
        return "--force"
    if path not in recorded:
        return "not built before"
    if recorded[path] != key:
        return "its inputs changed"
    if path not in present:
        return "missing, or changed since it was written"
    return None


def plan_build(
    codes: Sequence[CodeSource],
    context: BuildContext,
    shown_path: str,
    recorded: Mapping[str, str],
    present: Collection[str],
) -> Plan:
    """Plan the build of the selected codes.

    recorded gives each output's key as last built, present the outputs still on disk as
    written.
    """
    options = context.options
    force = options.force

    def output(path: str, key: str) -> Output:
        return Output(path, key, staleness(path, key, force, recorded, present))

    reports = []
    for item in select(codes, options.codes, shown_path):
        assert item.heading is not None
        pdf = html = None
        if "pdf" in options.formats:
            key = inputs.ReportPdf(
                item.sha, context.publication_sha, options.variant, context.release_key
            ).key()
            pdf = output(f"{item.code}.pdf", key)
        if "html" in options.formats:
            key = inputs.ReportHtml(item.sha, context.publication_sha, context.release_key).key()
            html = output(f"html/{item.code}.html", key)
        reports.append(ReportPlan(item.code, item.heading, item.size, pdf, html))
    volume = None
    if "pdf" in options.formats and reports:
        volume = output(
            VOLUME, volume_key(context, [(r.code, r.pdf.key) for r in reports if r.pdf is not None])
        )
    return Plan(tuple(reports), volume)


def volume_key(context: BuildContext, reports: Sequence[tuple[str, str]]) -> str:
    """Return the key of a volume of these reports, each (code, key of its PDF)."""
    options = context.options
    return inputs.Volume(
        context.publication_sha, options.variant, context.release_key, tuple(reports)
    ).key()
