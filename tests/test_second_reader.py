"""A second reader agrees: every sentence a PDF prints of its sources is in its text.

Read with PDFium (tests/pdf_text.py) and with pypdf (tests/test_pdf.py), each PDF's body
text holds every sentence of every field it prints (tests/printed.py: Markdown rendered
to its text first), compared without whitespace, case or hyphens, so that line breaks,
soft hyphens and a reader's own marks for them do not count. Checked on the sample and
on the extreme corpus (tests/extreme_sources.py), reports and volumes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pdf_text
import pytest
import test_pdf
from conftest import SAMPLE_SOURCES
from extreme_sources import FOLDERS, ExtremeBuild
from printed import PagedText, pdfs, source_sentences

READERS: dict[str, Callable[[Path], list[str]]] = {
    "pdfium": lambda pdf: [page.body for page in pdf_text.read_pages(pdf)],
    "pypdf": lambda pdf: [page.body for page in test_pdf.read_pages(pdf)],
}


@pytest.fixture(params=["sample", *FOLDERS])
def build(
    request: pytest.FixtureRequest,
    sample_build: Path,
    extreme_builds: dict[str, ExtremeBuild],
) -> tuple[Path, Path]:
    """Return the sources and the output folder of one build (PDF/UA-1)."""
    if request.param == "sample":
        return SAMPLE_SOURCES, sample_build
    built = extreme_builds[request.param]
    return built.sources, built.outs["pdf/ua-1"]


class TestEverySentenceIsRead:
    """Each reader finds every sentence of every printed field in every PDF of a build."""

    @pytest.mark.parametrize("reader", READERS)
    def test_every_sentence_is_in_the_text(self, build: tuple[Path, Path], reader: str) -> None:
        sources, out = build
        for pdf in pdfs(out):
            sentences = source_sentences(sources, None if pdf.name == "volume.pdf" else pdf.stem)
            assert len(sentences) > 10
            text = PagedText(READERS[reader](pdf))
            missing = [(field, sentence) for field, sentence in sentences if not text.has(sentence)]
            assert missing == [], f"{pdf.name}: {len(missing)} of {len(sentences)} missing"


class TestTheComparison:
    """A sentence is found however a reader broke it, and only if all of it is there."""

    @pytest.mark.parametrize(
        ("pages", "sentence", "found"),
        [
            (["Entry one\nof the text."], "Entry one of the text.", True),
            (["Last line: Entry one", "of the text. Next"], "Entry one of the text.", True),
            (["SUMMARY & OVERVIEW"], "Summary & Overview", True),
            (["a 32-\nyear-old man"], "a 32-year-old man", True),
            (["a 32-year\ufffeold man"], "a 32-year-old man", True),
            (["before radio-\ngraphic work."], "before radio\u00adgraphic work.", True),
            (["before radiographic work."], "before radio\u00adgraphic work.", True),
            (["Entry one of a text."], "Entry one of the text.", False),
            (["Entry one the text."], "Entry one of the text.", False),
            (["Entry one of the", "Other cell text."], "Entry one of the text.", False),
            (
                ["Aetna Begun in\nthe first cell\nOther cell", "Payer Coverage\nand ended."],
                "Begun in the first cell and ended.",
                True,
            ),
            (
                ["Begun in\nX", "Y\nthe first\nZ", "Head\ncell and ended.\nmore"],
                "Begun in the first cell and ended.",
                True,
            ),
            (
                ["Begun in the first Other\ncell", "Head\ncell and ended."],
                "Begun in the first cell and ended.",
                False,
            ),
            (
                ["x\nBegun in the first\nOther", "Head\nOther cell and ended."],
                "Begun in the first cell and ended.",
                False,
            ),
            (
                ["Begun in the first\n", "Middle\n", "cell and ended.\n"],
                "Begun in the first cell and ended.",
                False,
            ),
        ],
        ids=[
            "lines",
            "pages",
            "case",
            "hyphen-at-line-end",
            "pdfium-hyphen-mark",
            "soft-hyphen-broken",
            "soft-hyphen-unbroken",
            "word-changed",
            "word-missing",
            "page-break-mid-line",
            "table-row-over-pages",
            "table-row-over-three-pages",
            "not-at-a-line-end",
            "not-from-a-line-start",
            "pages-not-consecutive",
        ],
    )
    def test_has(self, pages: list[str], sentence: str, found: bool) -> None:
        assert PagedText(pages).has(sentence) is found
