"""Lay out the RVU bar chart as SVG: geometry here, drawing in templates/chart.svg.j2."""

from __future__ import annotations

from dataclasses import dataclass

from report.figures import RvuChart

WIDTH = 500.0
LABEL_WIDTH = 150.0
VALUE_WIDTH = 40.0  # at least: wider when a total needs it
DIGIT_WIDTH = 5.0  # what a character of a total takes at 9 units, with room to spare
BAR_HEIGHT = 16.0
BAR_GAP = 12.0
LEGEND_HEIGHT = 26.0  # one row of the legend
LEGEND_ROW = 14.0  # each further row
LEGEND_STEP = 115.0  # from one legend entry to the next in a row
LEGEND_PER_ROW = 3
LEGEND_CHARS = 20  # a longer label is cut short in the legend (the table gives it whole)
PALETTE = ("#1d4e89", "#5b8cc4", "#c9a227", "#8c6bb1", "#6a9e5b")


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar."""

    x: float
    width: float
    fill: str
    label: str
    value: float


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its segments and the position of its total."""

    y: float
    name: str
    segments: tuple[Segment, ...]
    total: float
    total_x: float


@dataclass(frozen=True)
class ChartLayout:
    """Everything the SVG template draws, in SVG user units."""

    width: float
    height: float
    label_width: float
    bar_height: float
    bars: tuple[Bar, ...]
    legend: tuple[LegendEntry, ...]
    title: str


@dataclass(frozen=True)
class LegendEntry:
    """One colour of the legend, what it stands for, and where it is drawn."""

    fill: str
    label: str
    x: float
    y: float


def _kind(label: str) -> str:
    """Name the kind of an RVU part, so that one kind keeps one colour across bars."""
    key = label.lower()
    for kind in ("malpractice", "practice expense", "work"):
        if kind in key:
            return kind.capitalize()
    return label.removesuffix(" RVU")


def _legend_label(kind: str) -> str:
    return kind if len(kind) <= LEGEND_CHARS else kind[: LEGEND_CHARS - 1].rstrip() + "…"


def layout(chart: RvuChart) -> ChartLayout:
    """Compute the chart's geometry: bars scaled to the largest total, room for labels.

    Room is left to the right of the bars for the longest total, so that nothing is drawn
    outside the chart.
    """
    largest = max(bar.total for bar in chart.bars) or 1.0
    longest = max(len(f"{bar.total:.2f}") for bar in chart.bars)
    value_width = max(VALUE_WIDTH, longest * DIGIT_WIDTH + 8)
    scale = (WIDTH - LABEL_WIDTH - value_width) / largest
    kinds = {_kind(label) for bar in chart.bars for label, _ in bar.parts}
    rows = -(-len(kinds) // LEGEND_PER_ROW)
    top = LEGEND_HEIGHT + (rows - 1) * LEGEND_ROW
    legend: dict[str, str] = {}
    bars = []
    for index, bar in enumerate(chart.bars):
        x = LABEL_WIDTH
        segments = []
        for label, value in bar.parts:
            fill = legend.setdefault(_kind(label), PALETTE[len(legend) % len(PALETTE)])
            segments.append(Segment(x, value * scale, fill, label, value))
            x += value * scale
        y = top + index * (BAR_HEIGHT + BAR_GAP)
        bars.append(Bar(y, bar.name, tuple(segments), bar.total, x + 4))
    height = top + len(bars) * (BAR_HEIGHT + BAR_GAP)
    entries = tuple(
        LegendEntry(
            fill,
            _legend_label(kind),
            LABEL_WIDTH + (number % LEGEND_PER_ROW) * LEGEND_STEP,
            4 + (number // LEGEND_PER_ROW) * LEGEND_ROW,
        )
        for number, (kind, fill) in enumerate(legend.items())
    )
    return ChartLayout(
        WIDTH, height, LABEL_WIDTH, BAR_HEIGHT, tuple(bars), entries, chart.description
    )
