"""Read a PDF's text layer with PDFium: each character with its box, and the fonts it embeds.

A page's area is the page less the margins of styles/report.css (`@page { margin }`):
its text is the body; the running heads and feet sit in the margins above and below.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from fontTools.ttLib import TTFont

from report.resources import fonts_dir

INCH = 72.0
MARGINS = {"top": 0.85 * INCH, "right": 0.8 * INCH, "bottom": 0.95 * INCH, "left": 0.8 * INCH}


@dataclass(frozen=True)
class Char:
    """One character of the text layer and its box (PDF points, origin bottom left)."""

    text: str
    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class Page:
    """One page's size and characters, in reading order."""

    number: int
    width: float
    height: float
    chars: tuple[Char, ...]

    def in_body(self, char: Char) -> bool:
        """Return whether a character stands between the top and bottom margins."""
        middle = (char.bottom + char.top) / 2
        return MARGINS["bottom"] < middle < self.height - MARGINS["top"]

    @property
    def body(self) -> str:
        """Return the text between the top and bottom margins (no running heads or feet)."""
        return "".join(c.text for c in self.chars if c.text.isspace() or self.in_body(c))


def read_pages(pdf: Path | bytes) -> list[Page]:
    """Return every page of a PDF with its characters and their boxes."""
    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    pages = []
    try:
        for number in range(len(document)):
            page = document[number]
            width, height = page.get_size()
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            chars = tuple(Char(text[i], *textpage.get_charbox(i)) for i in range(len(text)))
            pages.append(Page(number + 1, width, height, chars))
    finally:
        document.close()
    return pages


def normal(text: str) -> str:
    """Return text as compared: compatibility-composed, case-folded, without whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).casefold())


class TextLayer:
    """The body text of a whole PDF, to look words up in however the layout broke them."""

    def __init__(self, pages: list[Page]) -> None:
        body = "\n".join(page.body for page in pages)
        self.squeezed = normal(body)
        self.pieces = [normal(piece) for piece in body.split()]

    def has(self, word: str) -> bool:
        """Return whether a word of the source is in the text, whole or in pieces.

        A word broken over lines, table columns and pages is found as pieces: lines of
        text that follow one another in reading order (other text may stand between,
        such as the next column's lines or a repeated table head), together the word.
        """
        wanted = normal(word)
        if wanted in self.squeezed:
            return True
        done = 0
        for piece in self.pieces:
            if done == 0:
                start = next(
                    (
                        k
                        for k in range(min(len(piece), len(wanted)), 2, -1)
                        if piece.endswith(wanted[:k])
                    ),
                    0,
                )
                done = start
            elif wanted.startswith(piece, done):
                done += len(piece)
            elif piece.startswith(wanted[done:]):
                done = len(wanted)
            if done == len(wanted):
                return True
        return False


def bundled_faces() -> set[str]:
    """Return the PostScript names of the bundled fonts (SourceSans3-Regular, ...)."""
    return {TTFont(path, lazy=True)["name"].getDebugName(6) for path in fonts_dir().glob("*.ttf")}


@dataclass(frozen=True)
class EmbeddedFont:
    """A font a PDF embeds, named by its BaseFont and by its program.

    base_font is the BaseFont without the subset prefix, program the PostScript name of the
    embedded program (None when no program is embedded).
    """

    base_font: str
    program: str | None


def embedded_fonts(pdf: Path | bytes) -> list[EmbeddedFont]:
    """Return every font dictionary of a PDF that has a font descriptor."""
    found = []
    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as document:
        for obj in document.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
                continue
            descriptor = obj.get("/FontDescriptor")
            if descriptor is None:
                continue  # a Type0 font: its descendant is listed on its own
            base = str(obj.get("/BaseFont", ""))[1:]
            program = None
            for key in ("/FontFile2", "/FontFile3", "/FontFile"):
                if key in descriptor:
                    font = TTFont(io.BytesIO(descriptor[key].read_bytes()))
                    program = font["name"].getDebugName(6) if "name" in font else ""
            found.append(EmbeddedFont(base.split("+", 1)[-1], program))
    return found
