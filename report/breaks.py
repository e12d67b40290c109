"""Where printed text may break besides its spaces: after the commas of a run-on list.

A list written without spaces ("74400,74401,74402") is one word to the line breaker, so
it would only break where the stylesheet's `overflow-wrap: anywhere` lets it, inside a
code. A `<wbr>` after each such comma lets the line end there instead. WeasyPrint draws
it as a zero-width space that the PDF's text layer leaves out, so copying the list
still gives exactly what the source says.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# A comma or semicolon with neither a space nor another separator after it.
_SEPARATOR = re.compile(r"[,;](?=[^\s,;])")
# A thousands separator, as in 1,250 or 12,500,000: never a place to break a number.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

WBR = Markup("<wbr>")


def break_offsets(text: str) -> list[int]:
    """Return the offsets in text after which a line may break that has no space there."""
    return [
        match.end()
        for match in _SEPARATOR.finditer(text)
        if _THOUSANDS.match(text, match.start()) is None
    ]


def breakable(text: str) -> Markup:
    """Escape text for HTML, with a <wbr> after each comma or semicolon that a word follows."""
    if isinstance(text, Markup):
        return text
    parts, start = [], 0
    for offset in break_offsets(text):
        parts.append(escape(text[start:offset]))
        start = offset
    parts.append(escape(text[start:]))
    return WBR.join(parts)
