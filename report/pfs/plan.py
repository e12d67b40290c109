"""Decide what the relative value file says of one code: its benchmarks and indicators."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from report.indicators import PAID_UNDER_THE_SCHEDULE, meaning
from report.pfs.reader import PfsFile, PfsRow
from report.sources.models import Benchmark, Component, Indicators

COMPONENTS: dict[str, Component] = {"": "global", "26": "26", "TC": "TC"}
INDICATOR_KEYS = ("status", "global_period", "pc_tc", "status_26", "status_tc")
# The indicator that holds each component row's own status (the global row's is "status").
COMPONENT_STATUS_KEYS: dict[Component, str] = {
    "global": "status",
    "26": "status_26",
    "TC": "status_tc",
}
# Benchmarks whose source names a PFS relative value file (any year or release) are the
# importer's: it replaces them all. Every other benchmark was written by hand and is kept.
OWNED_SOURCE = re.compile(
    r"(Computed from the )?\d{4} National Physician Fee Schedule "
    r"Relative Value File\b"
)
CENT = Decimal("0.01")


def owned(source: str) -> bool:
    """Return whether a benchmark with this source comes from the importer."""
    return OWNED_SOURCE.match(source) is not None


def figure_text(value: Decimal) -> str:
    """Write a figure as YAML will hold it: the file's digits, at least two decimals."""
    text = format(value, "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


@dataclass(frozen=True)
class Figure:
    """One benchmark entry the importer writes."""

    label: str
    value: Decimal
    unit: str
    component: Component
    source: str
    as_of: dt.date

    @property
    def key(self) -> tuple[Component, str]:
        """Return what identifies the entry among a code's benchmarks: component and label."""
        return self.component, self.label

    def describe(self) -> str:
        """Return the entry as one line of a change listing."""
        return f"{self.component}: {self.label} {figure_text(self.value)} {self.unit}"


@dataclass(frozen=True)
class CodeImport:
    """What the file says of one code, and which of its rows give no figures."""

    code: str
    description: str
    figures: tuple[Figure, ...]
    indicators: dict[str, str]
    skipped: tuple[str, ...]


def _settings(row: PfsRow) -> list[tuple[str, Decimal, Decimal]]:
    """Return (setting name, PE RVU, total RVU) per applicable setting; one if both agree."""
    nonfacility = (row.pe_nonfacility, row.total_nonfacility)
    facility = (row.pe_facility, row.total_facility)
    pe, total = nonfacility
    if pe is not None and total is not None and nonfacility == facility:
        return [("", pe, total)]
    return [
        (name, pe, total)
        for name, (pe, total) in (("non-facility", nonfacility), ("facility", facility))
        if pe is not None and total is not None
    ]


def _row_figures(
    row: PfsRow, component: Component, pfs: PfsFile, with_factor: bool
) -> list[Figure]:
    """Return the figures of one row: the RVUs, the factor if asked, the payments."""

    def figure(label: str, value: Decimal, unit: str = "RVU", source: str = pfs.source) -> Figure:
        return Figure(label, value, unit, component, source, pfs.as_of)

    settings = _settings(row)
    figures = [figure("Work RVU", row.work)]
    figures += [
        figure(f"{name.capitalize()} practice expense RVU" if name else "Practice expense RVU", pe)
        for name, pe, _ in settings
    ]
    figures.append(figure("Malpractice RVU", row.malpractice))
    figures += [
        figure(f"Total {name} RVU" if name else "Total RVU", total) for name, _, total in settings
    ]
    factor = row.conversion_factor
    # From 2026 a release has two factors: the figures say which one they use.
    which = f" {pfs.factor} conversion factor" if pfs.factor else ""
    if with_factor:
        label = f"Conversion factor ({pfs.factor})" if pfs.factor else "Conversion factor"
        figures.append(figure(label, factor, "USD"))
    for name, _, total in settings:
        payment = (total * factor).quantize(CENT, ROUND_HALF_UP)
        label = (
            f"National unadjusted {name + ' ' if name else ''}payment (computed: "
            f"{figure_text(total)} total RVU × ${figure_text(factor)}{which})"
        )
        figures.append(figure(label, payment, "USD", f"Computed from the {pfs.source}"))
    return figures


def code_import(pfs: PfsFile, code: str) -> CodeImport | None:
    """Return the benchmarks and indicators the file gives a code; None if it has no rows."""
    rows = pfs.rows.get(code)
    if not rows:
        return None
    figures: list[Figure] = []
    skipped: list[str] = []
    for modifier, component in COMPONENTS.items():
        row = rows.get(modifier)
        if row is None:
            continue
        if row.status not in PAID_UNDER_THE_SCHEDULE:
            why = meaning("status", row.status) or "not a status the fee schedule pays"
            skipped.append(
                f"{component} row (line {row.line}): status {row.status} ({why}); "
                "no relative values written"
            )
            continue
        figures += _row_figures(row, component, pfs, with_factor=not figures)
    skipped += [
        f"modifier {m} row (line {row.line}): only the global, 26 and TC rows are imported"
        for m, row in rows.items()
        if m not in COMPONENTS
    ]
    main = rows.get("")
    indicators = {key: getattr(main, key) for key in INDICATOR_KEYS[:3]} if main else {}
    for modifier, component in COMPONENTS.items():
        row = rows.get(modifier)
        if row is not None and modifier:
            indicators[COMPONENT_STATUS_KEYS[component]] = row.status
    description = next(iter(rows.values())).description
    return CodeImport(code, description, tuple(figures), indicators, tuple(skipped))


def _benchmark_line(b: Benchmark) -> str:
    return f"{b.component}: {b.label} {figure_text(Decimal(str(b.value)))} {b.unit}"


def change_lines(
    imported: CodeImport, indicators: Indicators | None, benchmarks: Sequence[Benchmark]
) -> list[str]:
    """List what importing would change in a source with these indicators and benchmarks."""
    lines = []
    for name, new in imported.indicators.items():
        old = getattr(indicators, name) if indicators else None
        if old != new:
            lines.append(f'indicators.{name}: "{new}"' + (f' (was "{old}")' if old else ""))
    before = {(b.component, b.label): b for b in benchmarks if owned(b.source)}
    after = {f.key: f for f in imported.figures}
    for key, figure in after.items():
        old = before.get(key)
        if old is None:
            lines.append(f"+ {figure.describe()}")
        elif (Decimal(str(old.value)), old.unit) != (figure.value, figure.unit):
            lines.append(f"~ {_benchmark_line(old)} -> {figure_text(figure.value)} {figure.unit}")
    lines += [f"- {_benchmark_line(b)}" for key, b in before.items() if key not in after]
    sources = {(f.source, f.as_of) for f in imported.figures}
    replaced = sorted({(b.source, b.as_of) for b in before.values()} - sources)
    lines += [
        f'figures of "{source}" (as of {as_of.isoformat()}) replaced'
        for source, as_of in replaced
        if not source.startswith("Computed")
    ]
    return lines
