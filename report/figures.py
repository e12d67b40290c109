"""The Benchmarks section's model: figures by component with their status, notes and chart."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from report.indicators import PAID_UNDER_THE_SCHEDULE, meaning, no_figures_reason
from report.sources.models import Benchmark, Indicators

COMPONENT_NAMES = {
    "global": "Global",
    "26": "Professional component (modifier 26)",
    "TC": "Technical component (modifier TC)",
}
# The indicator holding each component's fee-schedule status (the global row's: status).
STATUS_KEYS = {"global": "status", "26": "status_26", "TC": "status_tc"}
STALE_MONTHS = 12  # a figure older than this before the effective date prints its date
# The year of a CMS PFS relative value file a figure's source names (the importer's).
FEE_SCHEDULE_YEAR = re.compile(
    r"(?:Computed from the )?(\d{4}) National Physician Fee Schedule Relative Value File\b"
)


def stale_cutoff(effective_date: dt.date) -> dt.date:
    """Return the earliest as-of date that is not stale: 12 months before effective_date."""
    if effective_date.year == 1:
        return dt.date.min
    try:
        return effective_date.replace(year=effective_date.year - 1)
    except ValueError:  # February 29: a year earlier has none
        return effective_date.replace(year=effective_date.year - 1, day=28)


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
    """Benchmarks of one component (global, 26 or TC): its status, figures, or why none."""

    component: str
    name: str
    rows: tuple[BenchmarkRow, ...]
    status: IndicatorRow | None = None  # the fee schedule's status of this component
    reason: str | None = None  # without figures: why the fee schedule gives none


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


def component_status(indicators: Indicators | None, component: str) -> IndicatorRow | None:
    """Return a component's fee-schedule status with its meaning, or None if not given."""
    value = getattr(indicators, STATUS_KEYS[component], None) if indicators else None
    if value is None:
        return None
    return IndicatorRow("Status", value, meaning("status", value))


def benchmark_groups(
    benchmarks: list[Benchmark], indicators: Indicators | None, effective_date: dt.date
) -> tuple[tuple[BenchmarkGroup, ...], tuple[SourceNote, ...]]:
    """Group the figures by component, each with its status; say why a component has none.

    A component appears when it has figures, or when its status is one under which the
    fee schedule sets no national payment (e.g. C: carriers price it).
    """
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
        status = component_status(indicators, component)
        if rows:
            groups.append(BenchmarkGroup(component, name, rows, status))
        elif status is not None and status.value not in PAID_UNDER_THE_SCHEDULE:
            groups.append(
                BenchmarkGroup(component, name, (), status, no_figures_reason(status.value))
            )
    return tuple(groups), tuple(SourceNote(n, src, as_of) for (src, as_of), n in notes.items())


def fee_schedule_heading(benchmarks: list[Benchmark]) -> str | None:
    """Return the figures' table heading naming the fee schedule's year(s), or None.

    E.g. "Medicare Physician Fee Schedule, 2022"; "…, 2022, and other sources" when the
    author added figures of their own; None when no figure comes from the fee schedule.
    """
    years = sorted(
        {m.group(1) for b in benchmarks if (m := FEE_SCHEDULE_YEAR.match(b.source)) is not None}
    )
    if not years:
        return None
    heading = "Medicare Physician Fee Schedule, " + " and ".join(years)
    if any(FEE_SCHEDULE_YEAR.match(b.source) is None for b in benchmarks):
        heading += ", and other sources"
    return heading


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
    """Chart the RVU parts (totals left out) of each component; None when under two bars.

    A single bar compares nothing that the table does not already show.
    """
    bars = []
    for group in groups:
        parts = _chart_parts(group)
        if len(parts) >= 2 and any(value > 0 for _, value in parts):
            bars.append(ChartBar(group.name, parts))
    return RvuChart(tuple(bars)) if len(bars) >= 2 else None
