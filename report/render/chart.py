"""Lay out the RVU bar chart as SVG: geometry here, drawing in templates/chart.svg.j2."""

from __future__ import annotations

from dataclasses import dataclass

from report.assemble import RvuChart

WIDTH = 500.0
LABEL_WIDTH = 150.0
VALUE_WIDTH = 40.0
BAR_HEIGHT = 16.0
BAR_GAP = 12.0
LEGEND_HEIGHT = 26.0
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
    legend: tuple[tuple[str, str], ...]
    title: str


def _kind(label: str) -> str:
    """Name the kind of an RVU part, so that one kind keeps one colour across bars."""
    key = label.lower()
    for kind in ("malpractice", "practice expense", "work"):
        if kind in key:
            return kind.capitalize()
    return label.removesuffix(" RVU")


def layout(chart: RvuChart) -> ChartLayout:
    """Compute the chart's geometry: bars scaled to the largest total."""
    largest = max(bar.total for bar in chart.bars) or 1.0
    scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / largest
    legend: dict[str, str] = {}
    bars = []
    for index, bar in enumerate(chart.bars):
        x = LABEL_WIDTH
        segments = []
        for label, value in bar.parts:
            fill = legend.setdefault(_kind(label), PALETTE[len(legend) % len(PALETTE)])
            segments.append(Segment(x, value * scale, fill, label, value))
            x += value * scale
        y = LEGEND_HEIGHT + index * (BAR_HEIGHT + BAR_GAP)
        bars.append(Bar(y, bar.name, tuple(segments), bar.total, x + 4))
    height = LEGEND_HEIGHT + len(bars) * (BAR_HEIGHT + BAR_GAP)
    return ChartLayout(WIDTH, height, LABEL_WIDTH, BAR_HEIGHT, tuple(bars),
                       tuple((fill, kind) for kind, fill in legend.items()),
                       chart.description)
