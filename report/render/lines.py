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
box's own style and puts it back), so two text boxes may hold the same one. A report's
bytes do not depend on what was laid out before it (tests/test_cascade.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import weasyprint.layout.inline
import weasyprint.layout.preferred
from weasyprint.text.line_break import split_first_line

MAX_LINES = 100_000  # answers kept before the cache starts again; a report asks about 350

Key = tuple[str, int, object, object, bool, bool]


class SharedLines:
    """First-line splits by text, style, width and line start, across documents."""

    def __init__(self, shared: Callable[[object], bool]) -> None:
        self.shared = shared  # whether a style is shared across documents
        # key -> (WeasyPrint's answer, the style the key names by identity, kept alive)
        self.answers: dict[Key, tuple[tuple[Any, ...], object]] = {}
        self.asked = 0

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
        self.answers[key] = (answer, style)
        return answer


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
