"""Fill the fixed report outline from a validated source: the report model, no markup."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from report.indicators import meaning
from report.sources import CodeFile, PublicationFile
from report.sources.models import (
    Benchmark,
    CodeSource,
    Diagnosis,
    Modifier,
    Policy,
    Publication,
    Reference,
    RelatedCode,
)
from report.stamp import Release

NOT_AVAILABLE = "Data not available in the source."

COMPONENT_NAMES = {
    "global": "Global",
    "26": "Professional component (modifier 26)",
    "TC": "Technical component (modifier TC)",
}
# The label of the sites of service, as the seed spells it: the plural only for several.
SITE_OF_SERVICE, SITES_OF_SERVICE = "Typical site of service", "Typical sites of service"
INDICATOR_NAMES = {
    "status": "Status",
    "global_period": "Global period",
    "pc_tc": "PC/TC indicator",
}
STALE_MONTHS = 12  # a figure older than this before the effective date prints its date


def stale_cutoff(effective_date: dt.date) -> dt.date:
    """Return the earliest as-of date that is not stale: 12 months before effective_date."""
    if effective_date.year == 1:
        return dt.date.min
    try:
        return effective_date.replace(year=effective_date.year - 1)
    except ValueError:  # February 29: a year earlier has none
        return effective_date.replace(year=effective_date.year - 1, day=28)


def stale_benchmarks(
    benchmarks: list[Benchmark] | None, effective_date: dt.date
) -> list[tuple[int, Benchmark]]:
    """Return (index, benchmark) of each figure as of more than 12 months before the date."""
    cutoff = stale_cutoff(effective_date)
    return [(i, b) for i, b in enumerate(benchmarks or []) if b.as_of < cutoff]


def sites_of_service_label(count: int) -> str:
    """Return the sites of service's label for a number of sites: singular unless several."""
    return SITES_OF_SERVICE if count > 1 else SITE_OF_SERVICE


@dataclass(frozen=True)
class Availability:
    """Whether one outline item has data, and where in the source it belongs."""

    section: str
    item: str
    available: bool
    path: tuple[str, ...]


@dataclass(frozen=True)
class PublicationInfo:
    """What every page and cover shows of the publication."""

    title: str
    subtitle: str | None
    publisher: str
    edition: str
    effective_date: dt.date
    language: str
    page_size: str
    audience: str | None
    copyright: str
    disclaimer: str
    trademark: str | None
    release: Release | None = None  # set in a versioned release, None in a plain build
    volume: str | None = None  # the title of the volume being written, of those defined

    @property
    def volume_title(self) -> str:
        """Return the title of the volume being written: the publication's, and its own."""
        return f"{self.title} — {self.volume}" if self.volume else self.title


@dataclass(frozen=True)
class PayerRow:
    """One key payer's row in the payer coverage table."""

    id: str
    name: str
    coverage: str | None
    prior_authorization: str | None
    policies: tuple[Policy, ...]

    @property
    def available(self) -> bool:
        """Return whether the source says anything about this payer."""
        return bool(self.coverage or self.prior_authorization or self.policies)


@dataclass(frozen=True)
class IndicatorRow:
    """One fee-schedule indicator: its name, its value and what CMS says the value means."""

    name: str
    value: str
    meaning: str | None


@dataclass(frozen=True)
class BenchmarkRow:
    """One benchmark figure, the number of its source note, and whether it is stale."""

    figure: Benchmark
    note: int
    stale: bool = False  # as of more than 12 months before the effective date: say when


@dataclass(frozen=True)
class BenchmarkGroup:
    """Benchmarks of one component (global, 26 or TC), in source order."""

    component: str
    name: str
    rows: tuple[BenchmarkRow, ...]


@dataclass(frozen=True)
class SourceNote:
    """Where a set of benchmark figures comes from, and the date they hold for."""

    number: int
    source: str
    as_of: dt.date


@dataclass(frozen=True)
class ChartBar:
    """One component's RVU parts, in source order, and their sum."""

    name: str
    parts: tuple[tuple[str, float], ...]

    @property
    def total(self) -> float:
        """Return the sum of the parts."""
        return round(sum(value for _, value in self.parts), 4)


@dataclass(frozen=True)
class RvuChart:
    """The RVU components of each billed component, as a stacked bar chart shows them."""

    bars: tuple[ChartBar, ...]

    @property
    def description(self) -> str:
        """Return the chart's text alternative: every figure it draws, in words."""
        lines = [
            f"{bar.name}: "
            + ", ".join(f"{label} {value:.2f}" for label, value in bar.parts)
            + f" (sum {bar.total:.2f})"
            for bar in self.bars
        ]
        return "Stacked bar chart of relative value units by component. " + "; ".join(lines) + "."


@dataclass
class ReportModel:
    """One code report: every outline section, with None or () where data is missing."""

    code: str
    system: str
    title: str
    publication: PublicationInfo
    summary: str | None
    description: str | None
    service_type: str | None
    sites_of_service: tuple[str, ...]
    indicators: tuple[IndicatorRow, ...]
    vignette: str | None
    personnel: tuple[str, ...]
    settings: tuple[str, ...]
    modifiers: tuple[Modifier, ...]
    related_codes: tuple[RelatedCode, ...]
    diagnoses: tuple[Diagnosis, ...]
    payers: tuple[PayerRow, ...]
    benchmarks: tuple[BenchmarkGroup, ...]
    benchmark_notes: tuple[SourceNote, ...]
    chart: RvuChart | None
    considerations: tuple[str, ...]
    references: tuple[Reference, ...]
    availability: list[Availability] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """Return the report title as printed: system, code and title."""
        return f"{self.system} {self.code}: {self.title}"

    @property
    def sites_label(self) -> str:
        """Return the label of the sites of service, in the number the report has."""
        return sites_of_service_label(len(self.sites_of_service))

    @property
    def missing(self) -> list[Availability]:
        """Return the outline items the source has no data for."""
        return [item for item in self.availability if not item.available]


def publication_info(source: PublicationFile, release: Release | None = None) -> PublicationInfo:
    """Extract what reports and covers print of the publication (and of its release)."""
    pub = source.model
    return PublicationInfo(
        title=pub.title,
        subtitle=pub.subtitle,
        publisher=pub.publisher,
        edition=pub.edition,
        effective_date=pub.effective_date,
        language=pub.language,
        page_size=pub.page_size,
        audience=pub.audience,
        copyright=pub.notices.copyright,
        disclaimer=pub.notices.disclaimer,
        trademark=pub.notices.trademark,
        release=release,
    )


def _benchmarks(
    benchmarks: list[Benchmark], effective_date: dt.date
) -> tuple[tuple[BenchmarkGroup, ...], tuple[SourceNote, ...]]:
    notes: dict[tuple[str, dt.date], int] = {}
    for b in benchmarks:
        notes.setdefault((b.source, b.as_of), len(notes) + 1)
    cutoff = stale_cutoff(effective_date)
    groups = []
    for component, name in COMPONENT_NAMES.items():
        rows = tuple(
            BenchmarkRow(b, notes[b.source, b.as_of], b.as_of < cutoff)
            for b in benchmarks
            if b.component == component
        )
        if rows:
            groups.append(BenchmarkGroup(component, name, rows))
    return tuple(groups), tuple(SourceNote(n, src, as_of) for (src, as_of), n in notes.items())


def _chart_parts(group: BenchmarkGroup) -> tuple[tuple[str, float], ...]:
    """Return the RVU parts a bar stacks: no totals; the non-facility setting when both are."""
    parts = [
        (row.figure.label, row.figure.value)
        for row in group.rows
        if row.figure.unit == "RVU"
        and row.figure.value >= 0
        and not row.figure.label.lower().startswith("total")
    ]
    if any(label.lower().startswith("non-facility") for label, _ in parts):
        parts = [
            (label, value) for label, value in parts if not label.lower().startswith("facility")
        ]
    return tuple(parts)


def rvu_chart(groups: tuple[BenchmarkGroup, ...]) -> RvuChart | None:
    """Chart the RVU parts (totals left out) of each component; None when too few to chart."""
    bars = []
    for group in groups:
        parts = _chart_parts(group)
        if len(parts) >= 2 and any(value > 0 for _, value in parts):
            bars.append(ChartBar(group.name, parts))
    return RvuChart(tuple(bars)) if bars else None


def assemble(
    source: CodeFile, publication: PublicationFile, release: Release | None = None
) -> ReportModel:
    """Build the report model of one code: the fixed outline, gaps marked."""
    code = source.model
    overview = code.overview
    clinical = code.clinical_context
    entries = code.payers or {}
    payers = tuple(
        PayerRow(
            p.id,
            p.name,
            ((entry := entries.get(p.id)) and entry.coverage) or None,
            (entry and entry.prior_authorization) or None,
            tuple(entry.policies or ()) if entry else (),
        )
        for p in publication.model.payers
    )
    indicators = code.indicators
    groups, notes = _benchmarks(code.benchmarks or [], publication.model.effective_date)
    report = ReportModel(
        code=code.code,
        system=code.system,
        title=code.title,
        publication=publication_info(publication, release),
        summary=code.summary,
        description=overview.description if overview else None,
        service_type=overview.service_type if overview else None,
        sites_of_service=tuple(overview.sites_of_service or ()) if overview else (),
        indicators=tuple(
            IndicatorRow(INDICATOR_NAMES[key], value, meaning(key, value))
            for key, value in (indicators.model_dump() if indicators else {}).items()
            if value is not None
        ),
        vignette=clinical.vignette if clinical else None,
        personnel=tuple(clinical.personnel or ()) if clinical else (),
        settings=tuple(clinical.settings or ()) if clinical else (),
        modifiers=tuple(code.modifiers or ()),
        related_codes=tuple(code.related_codes or ()),
        diagnoses=tuple(code.diagnoses or ()),
        payers=payers,
        benchmarks=groups,
        benchmark_notes=notes,
        chart=rvu_chart(groups),
        considerations=tuple(code.coding_considerations or ()),
        references=tuple(code.references or ()),
    )
    report.availability = availability(code, publication.model)
    return report


def availability(code: CodeSource, publication: Publication) -> list[Availability]:
    """Return whether the source has data for each outline item, and where it belongs.

    Read from the source itself: `check` asks it of every code without building reports.
    """

    def item(section: str, name: str, has: object, *path: str) -> Availability:
        return Availability(section, name, bool(has), path)

    overview, clinical, coding = (
        "Billing Code Overview",
        "Clinical Context",
        "Coding Specifications",
    )
    about = code.overview
    context = code.clinical_context
    indicators = code.indicators
    entries = code.payers or {}
    items = [
        item("Summary & Overview", "Summary", code.summary, "summary"),
        item(overview, "Description", about and about.description, "overview", "description"),
        item(overview, "Service type", about and about.service_type, "overview", "service_type"),
        item(
            overview,
            sites_of_service_label(len(about.sites_of_service or []) if about else 0),
            about and about.sites_of_service,
            "overview",
            "sites_of_service",
        ),
        item(
            overview,
            "Fee schedule indicators",
            indicators and any(v is not None for v in indicators.model_dump().values()),
            "indicators",
        ),
        item(
            clinical,
            "Clinical vignette",
            context and context.vignette,
            "clinical_context",
            "vignette",
        ),
        item(clinical, "Personnel", context and context.personnel, "clinical_context", "personnel"),
        item(clinical, "Settings", context and context.settings, "clinical_context", "settings"),
        item(coding, "Modifiers", code.modifiers, "modifiers"),
        item(coding, "Related codes", code.related_codes, "related_codes"),
        item(coding, "Diagnoses", code.diagnoses, "diagnoses"),
    ]
    items += [
        item(
            "Payer Coverage",
            payer.name,
            (entry := entries.get(payer.id))
            and (entry.coverage or entry.prior_authorization or entry.policies),
            "payers",
            payer.id,
        )
        for payer in publication.payers
    ]
    items += [
        item("Benchmarks", "Benchmarks", code.benchmarks, "benchmarks"),
        item(
            "Policy & Coding Considerations",
            "Policy and coding considerations",
            code.coding_considerations,
            "coding_considerations",
        ),
        item("References", "References", code.references, "references"),
    ]
    return items
