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
from report.sources.volumes import volume_codes, volume_stem

VOLUME = "volume.pdf"
SITE = "site"  # the web edition's folder in the output folder


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
    """The outputs of one report: PDF, HTML and web page, each when the build makes it."""

    code: str
    heading: str
    size: int  # of its source: reports as long as their sources render longest first
    pdf: Output | None
    html: Output | None
    page: Output | None = None  # site/codes/CODE.html, with the web edition

    @property
    def outputs(self) -> tuple[Output, ...]:
        """Return the outputs the build makes of the report."""
        return tuple(out for out in (self.pdf, self.html, self.page) if out is not None)

    @property
    def stale(self) -> bool:
        """Return whether any output of the report must be made again."""
        return any(out.stale for out in self.outputs)


@dataclass(frozen=True)
class VolumePlan:
    """One volume to write: its output, title and definition, and the codes it holds.

    The title is None for the volume of all reports (volume.pdf), which a publication
    without volumes has; the definition is what publication.yaml says of the volume.
    """

    output: Output
    title: str | None
    definition: str
    codes: tuple[str, ...]  # the selected reports it holds, in code order


@dataclass(frozen=True)
class Plan:
    """What the build makes: the selected reports in code order, and the volumes of them.

    A build of named codes makes no volume: a volume holds every report, and those not
    named are not looked at.
    """

    reports: tuple[ReportPlan, ...]
    volumes: tuple[VolumePlan, ...]  # none without PDF output

    @property
    def volume(self) -> Output | None:
        """Return the output of the volume of all reports, if the build makes it."""
        return next((v.output for v in self.volumes if v.title is None), None)

    def to_render(self) -> list[ReportPlan]:
        """Return the reports with a stale output, the longest sources first.

        So no worker is left with a long report while the others have finished.
        """
        return sorted((r for r in self.reports if r.stale), key=lambda r: (-r.size, r.code))

    def renders_pdf(self) -> bool:
        """Return whether a PDF is stale: a report's or a volume's, to be rendered."""
        stale = [r.pdf for r in self.reports] + [v.output for v in self.volumes]
        return any(out is not None and out.stale for out in stale)

    def renders_any(self) -> bool:
        """Return whether any output of a report or volume is stale."""
        return any(r.stale for r in self.reports) or any(v.output.stale for v in self.volumes)

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
    holders = volume_of(context, [c.code for c in codes])
    for item in select(codes, options.codes, shown_path):
        assert item.heading is not None
        pdf = html = page = None
        if options.makes_pdf:
            key = inputs.ReportPdf(
                item.sha,
                context.publication_sha,
                context.indices_sha,
                options.variant,
                context.release_key,
            ).key()
            pdf = output(f"{item.code}.pdf", key)
        if "html" in options.formats:
            key = inputs.ReportHtml(
                item.sha, context.publication_sha, context.indices_sha, context.release_key
            ).key()
            html = output(f"html/{item.code}.html", key)
        if "site" in options.formats:
            volume = holders.get(item.code, "")
            key = inputs.SitePage(
                item.sha, context.publication_sha, context.release_key, volume
            ).key()
            page = output(f"{SITE}/codes/{item.code}.html", key)
        reports.append(ReportPlan(item.code, item.heading, item.size, pdf, html, page))
    volumes = []
    keys = {r.code: r.pdf.key for r in reports if r.pdf is not None}
    if options.codes:  # named codes: their reports only, the volumes left as they are
        keys = {}
    for title, definition, path, held in defined_volumes(context, list(keys)):
        key = volume_key(context, definition, [(code, keys[code]) for code in held])
        volumes.append(VolumePlan(output(path, key), title, definition, tuple(held)))
    return Plan(tuple(reports), tuple(volumes))


def defined_volumes(
    context: BuildContext, codes: Sequence[str]
) -> list[tuple[str | None, str, str, list[str]]]:
    """Return each volume of codes to write: (title, definition, path, the codes it holds).

    Without volumes in publication.yaml, that is volume.pdf of all; with them, each
    defined volume that holds at least one of codes.
    """
    defined = context.publication.model.volumes
    if defined is None:
        return [(None, "", VOLUME, list(codes))] if codes else []
    found: list[tuple[str | None, str, str, list[str]]] = []
    for volume in defined:
        held = volume_codes(volume.codes, codes)
        if held:
            stem = volume_stem(volume.file, volume.title)
            definition = repr((volume.title, stem, tuple(volume.codes)))
            found.append((volume.title, definition, f"{stem}.pdf", held))
    return found


def volume_of(context: BuildContext, codes: Sequence[str]) -> dict[str, str]:
    """Return the path of the volume that holds each of codes (the first, if several)."""
    found: dict[str, str] = {}
    for _, _, path, held in defined_volumes(context, sorted(codes)):
        for code in held:
            found.setdefault(code, path)
    return found


def volume_key(context: BuildContext, definition: str, reports: Sequence[tuple[str, str]]) -> str:
    """Return the key of a volume of these reports, each (code, key of its PDF)."""
    options = context.options
    return inputs.Volume(
        context.publication_sha, definition, options.variant, context.release_key, tuple(reports)
    ).key()
