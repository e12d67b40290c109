"""Share WeasyPrint's first-line splits of a text across the documents one renderer lays out.

Laying out a text box, WeasyPrint asks Pango where its first line ends
(weasyprint.text.line_break's split_first_line), for line boxes and for the preferred
widths of table cells. Reports of one publication repeat many texts in the same style at
the same width: headings, table headers, "Data not available in the source.", the
copyright line, footnote marks. SharedLines answers a split it has seen with the answer
it kept.

An answer depends on the text, the style, the width, the justification spacing and
whether the line starts a line box; the layout context only caches hyphenation
dictionaries. A style is keyed by identity: styles are shared across documents
(report/render/cascade.py), so a text of the same element kind in two reports has the same
style object, which the kept answer holds alive; a text in a style that is not shared (a
page's margin boxes) is split afresh and not kept. The layout WeasyPrint returns is
already deactivated (it holds its text and widths; drawing sets it up again from the text
box's own style and puts it back), so two text boxes may hold the same one. While a
document is drawn (drawn_lines), a shared layout drawn twice already is no longer put
back: it stays set up for its style, and the next text box drawn with it skips Pango's
set-up and shaping. A report's bytes do not depend on what was laid out or drawn before it
(tests/test_cascade.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import weasyprint.layout.inline
import weasyprint.layout.preferred
from weasyprint.text.line_break import Layout, split_first_line

MAX_LINES = 100_000  # answers kept before the cache starts again; a report asks about 350
MAX_SET_UP = 5_000  # shared layouts kept set up for drawing, at most
DRAWN = "_shared_drawn"  # attribute of a shared layout: how many times it was drawn
SET_UP = "_shared_set_up_for"  # attribute of a shared layout kept set up: for which style

Key = tuple[str, int, object, object, bool, bool]


class SharedLines:
    """First-line splits by text, style, width and line start, across documents."""

    def __init__(self, shared: Callable[[object], bool]) -> None:
        self.shared = shared  # whether a style is shared across documents
        # key -> (WeasyPrint's answer, the style the key names by identity, kept alive)
        self.answers: dict[Key, tuple[tuple[Any, ...], object]] = {}
        self.asked = 0
        self.set_up = 0  # shared layouts kept set up for drawing

    def split(
        self,
        text: str,
        style: Any,
        context: Any,
        max_width: Any,
        justification_spacing: Any,
        is_line_start: bool = True,
        minimum: bool = False,
    ) -> tuple[Any, ...]:
        """Return split_first_line's answer, the one kept if the same split was asked before."""
        self.asked += 1
        answer: tuple[Any, ...]
        if not self.shared(style):  # a page's, or a style no other document will have
            answer = split_first_line(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
            return answer
        key = (text, id(style), max_width, justification_spacing, is_line_start, minimum)
        found = self.answers.get(key)
        if found is not None:
            return found[0]
        answer = split_first_line(
            text, style, context, max_width, justification_spacing, is_line_start, minimum
        )
        if len(self.answers) >= MAX_LINES:
            self.answers.clear()
            self.set_up = 0
        setattr(answer[0], DRAWN, 0)
        self.answers[key] = (answer, style)
        return answer

    def deactivate(self, layout: Any, deactivate: Callable[[Any], None]) -> None:
        """Put a layout back after drawing, unless it is a shared one drawn twice already.

        Such a layout stays set up for its style, so that the next text box drawn with it
        need not set it up again; at most MAX_SET_UP do.
        """
        drawn = getattr(layout, DRAWN, None)
        if drawn is None:  # not a shared layout
            deactivate(layout)
        elif getattr(layout, SET_UP, None) is not None:
            pass  # already kept set up
        elif drawn >= 1 and self.set_up < MAX_SET_UP:
            setattr(layout, SET_UP, layout.style)
            self.set_up += 1
        else:
            setattr(layout, DRAWN, drawn + 1)
            deactivate(layout)

    @staticmethod
    def reactivate(layout: Any, style: Any, reactivate: Callable[[Any, Any], None]) -> None:
        """Set a layout up to draw it in style, unless it is kept set up for that style."""
        if getattr(layout, SET_UP, None) is not style:
            reactivate(layout, style)
            if hasattr(layout, SET_UP):
                setattr(layout, SET_UP, style)


@contextmanager
def shared_lines(shared: SharedLines) -> Iterator[None]:
    """Lay documents out with first-line splits shared through shared, in the body."""
    modules = (weasyprint.layout.inline, weasyprint.layout.preferred)
    originals = [module.split_first_line for module in modules]
    for module in modules:
        module.split_first_line = shared.split
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.split_first_line = original


@contextmanager
def drawn_lines(shared: SharedLines) -> Iterator[None]:
    """Draw documents keeping the layouts of repeated texts set up, in the body."""
    reactivate, deactivate = Layout.reactivate, Layout.deactivate
    Layout.reactivate = lambda layout, style: shared.reactivate(layout, style, reactivate)
    Layout.deactivate = lambda layout: shared.deactivate(layout, deactivate)
    try:
        yield
    finally:
        Layout.reactivate, Layout.deactivate = reactivate, deactivate
