"""Measure the volume's contents lines, so that report/volume can plan its pages.

ContentsMetrics travels from worker processes to the build: this module loads WeasyPrint
only when it measures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContentsMetrics:
    """Heights of contents lines as laid out, and the room a contents page has for them.

    All lengths are in CSS pixels. A line's height includes its margins; gap is its bottom
    margin, which a page may end in (a page break truncates it).
    """

    heights: tuple[float, ...]
    gaps: tuple[float, ...]
    first_room: float  # on the page that opens the contents, below its heading
    room: float  # on every later page, from the top of its page area


def measure_contents(html: str) -> ContentsMetrics:
    """Lay a contents part out and measure each line (`li`) and the room its pages give."""
    from weasyprint.formatting_structure.boxes import BlockBox  # the engine: only here

    from report.render.pdf import renderer

    document = renderer().layout(html)
    heights: list[float] = []
    gaps: list[float] = []
    first_room = room = 0.0
    for number, page in enumerate(document.pages):
        box = page._page_box
        top = box.content_box_y()
        bottom = top + box.height
        room = bottom - top
        for child in box.descendants():
            if isinstance(child, BlockBox) and child.element_tag == "li":
                if number == 0 and not heights:
                    first_room = bottom - child.position_y
                heights.append(child.margin_height())
                gaps.append(child.margin_bottom)
    if not heights:
        raise ValueError("no contents lines to measure")
    return ContentsMetrics(tuple(heights), tuple(gaps), first_room, room)
