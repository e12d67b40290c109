"""Fill the fixed report outline from a validated source: the report model, no markup."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from report.figures import (
    COMPONENT_NAMES,
    STALE_MONTHS,
    BenchmarkGroup,
    IndicatorRow,
    RvuChart,
    SourceNote,
    benchmark_groups,
    fee_schedule_heading,
    rvu_chart,
    stale_cutoff,
)
from report.gpci.part import LocalityPart, locality_part
from report.indicators import meaning
from report.sources import CodeFile, PublicationFile
from report.sources.models import (
    Benchmark,
    CodeSource,
    Diagnosis,
    Lookup,
    Modifier,
    Policy,
    Publication,
    Reference,
    RelatedCode,
)
from report.stamp import Release

NOT_AVAILABLE = "Data not available in the source."
# What a reader sees in a payer's row for a value the source does not give.
NOT_IN_EDITION = "Not available in this edition."
# Names of report/figures.py that other modules take from here, as they always have.
__all__ = [
    "COMPONENT_NAMES",
    "STALE_MONTHS",
    "BenchmarkGroup",
    "IndicatorRow",
    "RvuChart",
    "rvu_chart",
    "stale_cutoff",
]

# The label of the sites of service, as the seed spells it: the plural only for several.
SITE_OF_SERVICE, SITES_OF_SERVICE = "Typical site of service", "Typical sites of service"
INDICATOR_NAMES = {
    "status": "Status",
    "global_period": "Global period",
    "pc_tc": "PC/TC indicator",
}


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
    last_reviewed: dt.date | None = None
    lookup: Lookup | None = None  # where a reader checks the payer's current policy

    @property
    def available(self) -> bool:
        """Return whether the source says anything about this payer."""
        return bool(self.coverage or self.prior_authorization or self.policies)


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
    fee_schedule: str | None  # the figures' table heading: the fee schedule and its year
    considerations: tuple[str, ...]
    references: tuple[Reference, ...]
    availability: list[Availability] = field(default_factory=list)
    # Medicare payment by locality, when the figures have RVU parts (report/gpci/part.py)
    localities: LocalityPart | None = None

    @property
    def heading(self) -> str:
        """Return the report title as printed: system, code and title."""
        return f"{self.system} {self.code}: {self.title}"

    @property
    def sites_label(self) -> str:
        """Return the label of the sites of service, in the number the report has."""
        return sites_of_service_label(len(self.sites_of_service))

    @property
    def covered_payers(self) -> tuple[PayerRow, ...]:
        """Return the key payers the source says something about, in publication order."""
        return tuple(p for p in self.payers if p.available)

    @property
    def uncovered_payers(self) -> tuple[PayerRow, ...]:
        """Return the key payers the source says nothing about, in publication order."""
        return tuple(p for p in self.payers if not p.available)

    @property
    def has_figures(self) -> bool:
        """Return whether any component has figures (not only a reason it has none)."""
        return any(group.rows for group in self.benchmarks)

    @property
    def gap_lines(self) -> tuple[str, ...]:
        """Return the Data availability summary: each section's items without data.

        A section of one item is named alone ("References"), others with their items.
        """
        sections: dict[str, list[Availability]] = {}
        for item in self.availability:
            sections.setdefault(item.section, []).append(item)
        lines = []
        for section, items in sections.items():
            missing = [item.item for item in items if not item.available]
            if missing:
                lines.append(section if len(items) == 1 else f"{section}: {', '.join(missing)}")
        return tuple(lines)

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
            entry.last_reviewed if entry else None,
            p.lookup,
        )
        for p in publication.model.payers
    )
    indicators = code.indicators
    groups, notes = benchmark_groups(
        code.benchmarks or [], indicators, publication.model.effective_date
    )
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
            if value is not None and key in INDICATOR_NAMES
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
        fee_schedule=fee_schedule_heading(code.benchmarks or []),
        considerations=tuple(code.coding_considerations or ()),
        references=tuple(code.references or ()),
    )
    report.availability = availability(code, publication.model)
    report.localities = locality_part(
        code.benchmarks or [],
        publication.model,
        publication.indices,
        len(notes) + 1,
        notes,
    )
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
