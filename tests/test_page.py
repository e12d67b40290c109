"""Nothing the source says is lost on the page.

Every word of every printed field is in the PDF's text layer, every character lies inside
the page, and every glyph comes from a bundled font. Checked on the sample and on sources
that push the layout (tests/layout_sources.py), in both PDF variants, and on every other
kind of PDF the builder writes (a release, the hostile-markup build).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE_SOURCES, Built, HostileBuild, Releases
from layout_sources import VARIANTS, write_layout_sources
from pdf_text import MARGINS, TextLayer, bundled_faces, embedded_fonts, read_pages
from printed import pdfs, source_words

from report.glyphs import printable_characters
from report.sources import load_sources

TOLERANCE = 1.5  # points a glyph's box may stand past the page area (side bearings, italics)
EDGE = 14.0  # points (5 mm) from the paper's edge no text may come nearer: printers lose that


@pytest.fixture(params=["sample", "long", "limits", "limits-a3b"])
def built(
    request: pytest.FixtureRequest, sample_build: Path, layout_builds: dict[str, Built]
) -> Built:
    """Return one build: the sample's, or a layout variant's."""
    if request.param == "sample":
        return Built(SAMPLE_SOURCES, sample_build)
    return layout_builds[request.param]


class TestEveryWordInTheTextLayer:
    """Every word of every field a PDF prints is in its text layer, however it was broken."""

    def test_every_word_is_in_the_text_layer(self, built: Built) -> None:
        for pdf in pdfs(built.out):
            layer = TextLayer(read_pages(pdf))
            code = None if pdf.name == "volume.pdf" else pdf.stem
            words = source_words(built.sources, code)
            assert len(words) > 50
            missing = [(field, word[:40]) for field, word in words if not layer.has(word)]
            assert missing == [], f"{pdf.name}: {len(missing)} words missing"


class TestEveryCharacterOnThePage:
    """Every character lies inside the page area's width, and clear of the paper's edges."""

    def test_every_character_is_inside_the_page(self, built: Built) -> None:
        for pdf in pdfs(built.out):
            outside = []
            for page in read_pages(pdf):
                left, right = MARGINS["left"] - TOLERANCE, page.width - MARGINS["right"] + TOLERANCE
                for char in page.chars:
                    if char.text.isspace() or char.right <= char.left:
                        continue  # a space or line end PDFium adds, with no box
                    if not (
                        left <= char.left
                        and char.right <= right
                        and char.bottom >= EDGE
                        and char.top <= page.height - EDGE
                    ):
                        outside.append(
                            (page.number, char.text, round(char.left), round(char.bottom))
                        )
            assert outside[:5] == [], f"{pdf.name}: {len(outside)} characters off the page"

    def test_body_text_stays_between_the_margins(self, built: Built) -> None:
        for pdf in pdfs(built.out):
            for page in read_pages(pdf):
                body = [c for c in page.chars if page.in_body(c) and not c.text.isspace()]
                assert body or page.number > 1, f"{pdf.name}: page {page.number} is empty"
                for char in body:
                    assert char.bottom >= MARGINS["bottom"] - TOLERANCE - 3, (pdf.name, char)
                    assert char.top <= page.height - MARGINS["top"] + TOLERANCE + 3, (
                        pdf.name,
                        char,
                    )


class TestEveryCharacterPrintable:
    """Every character of the text layer is one a bundled font has: nothing prints as a box."""

    def test_text_layer_holds_only_printable_characters(self, built: Built) -> None:
        covered = printable_characters()
        for pdf in pdfs(built.out):
            text = "".join(c.text for page in read_pages(pdf) for c in page.chars)
            assert {c for c in text if ord(c) not in covered and not c.isspace()} == set(), pdf


# Every kind of PDF the builder writes: reports and volumes of both variants, a release,
# and the sources with markup in every field.
FONT_BUILDS = ["sample", "long", "limits", "limits-a3b", "release", "hostile"]


@pytest.fixture(params=FONT_BUILDS)
def any_pdfs(request: pytest.FixtureRequest) -> list[Path]:
    """Return the PDFs of one build of FONT_BUILDS."""
    if request.param == "sample":
        return pdfs(request.getfixturevalue("sample_build"))
    if request.param == "release":
        releases: Releases = request.getfixturevalue("releases")
        return pdfs(releases.first)
    if request.param == "hostile":
        hostile: HostileBuild = request.getfixturevalue("hostile_build")
        assert hostile.result.code == 0, hostile.result.stderr
        return pdfs(hostile.out)
    return pdfs(request.getfixturevalue("layout_builds")[request.param].out)


class TestOnlyBundledFonts:
    """Every font a PDF embeds is a bundled face, never one of the machine's."""

    def test_every_embedded_font_is_bundled(self, any_pdfs: list[Path]) -> None:
        faces = bundled_faces()
        assert len(faces) == 10  # Source Sans 3: six faces; Source Serif 4: four
        for pdf in any_pdfs:
            fonts = embedded_fonts(pdf)
            assert fonts, pdf
            for font in fonts:
                family = font.base_font.replace("-", "").rstrip(",")
                assert family.startswith(("SourceSans3", "SourceSerif4")), (pdf, font)
                assert font.program in faces, (pdf, font)


def test_layout_variants_write_what_check_allows(tmp_path: Path) -> None:
    """The layout variants are valid sources: they test the page, not the checks."""
    for name, variant in VARIANTS.items():
        write_layout_sources(tmp_path / name, variant)
        assert load_sources(tmp_path / name, name).errors == []
        shutil.rmtree(tmp_path / name)


# What the builder itself prints besides the sources: the report and volume templates,
# the stylesheet's generated content, the list markers of nested lists, and the text the
# report model and revision history compose.
OWN_TEXT = [
    *(
        Path("report/templates") / name
        for name in (
            "base.html.j2",
            "report.html.j2",
            "sections.html.j2",
            "front.html.j2",
            "chart.svg.j2",
        )
    ),
    Path("styles/report.css"),
    Path("report/assemble.py"),
    Path("report/release/changes.py"),
    Path("report/render/chart.py"),
]
LIST_MARKERS = "•◦▪"  # disc, circle, square: WeasyPrint's markers for nested lists


class TestTheBuildersOwnCharacters:
    """Every character the builder adds to a page is one a bundled font has."""

    @pytest.mark.parametrize("path", OWN_TEXT, ids=str)
    def test_characters_are_printable(self, path: Path) -> None:
        text = (Path(__file__).resolve().parents[1] / path).read_text(encoding="utf-8")
        covered = printable_characters()
        assert {
            c for c in text + LIST_MARKERS if ord(c) not in covered and not c.isspace()
        } == set()
