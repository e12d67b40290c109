"""Folios a reader can find: what the volume's contents cites is printed on the page it points to.

Each report page prints its folio, `CODE-N` (the code and the page within the report),
which is also its page label, alone and in the volume; the contents cites the folio of
each report's first page. Checked on the sample's volume and on a volume of 20 generated
reports, read back with pypdf: the page each contents line links to, its label and its
text.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT, run_cli
from qpdf import qpdf_check
from test_pdf import squash
from validation import variant_failures

# A contents line as extracted: its heading, then the folio it cites.
CONTENTS_LINE = re.compile(r"(?:CPT|HCPCS) ([0-9A-Z]{5}): .*? ([0-9A-Z]{5}-\d+)(?= CPT| HCPCS|$)")
GENERATED = 20


@pytest.fixture(scope="module")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build 20 generated sources once; return the output folder."""
    folder = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(GENERATED), str(folder)],
        check=True,
        capture_output=True,
    )
    result = run_cli("build", "--sources", str(folder), "--out", str(folder / "dist"))
    assert result.code == 0, result.stderr
    return folder / "dist"


@pytest.fixture(params=["sample", "generated"])
def volume(request: pytest.FixtureRequest) -> Path:
    """Return the volume of the sample build or of the generated one."""
    folder: Path = request.getfixturevalue(
        "sample_build" if request.param == "sample" else "generated_build"
    )
    return folder / "volume.pdf"


def page_text(reader: pypdf.PdfReader, index: int) -> str:
    """Return the text of a page, whitespace collapsed."""
    return squash(reader.pages[index].extract_text())


def contents_citations(reader: pypdf.PdfReader) -> list[tuple[str, str, int]]:
    """Return each contents line's (code, cited folio, index of the page its link goes to)."""
    found = []
    for index, label in enumerate(reader.page_labels):
        if "-" in label:  # the front matter ends where the reports begin
            break
        lines = CONTENTS_LINE.findall(page_text(reader, index))
        targets = [
            reader.get_destination_page_number(
                reader.named_destinations[str(annot.get_object()["/Dest"])]
            )
            for annot in reader.pages[index].get("/Annots", [])
        ]
        # WeasyPrint may write several annotations for one line: keep one per line, in order.
        unique = list(dict.fromkeys(targets))
        assert len(unique) == len(lines), (index, lines, targets)
        found += [
            (code, folio, target) for (code, folio), target in zip(lines, unique, strict=True)
        ]
    return found


class TestContentsCitesPrintedFolios:
    """Every contents line cites a folio that the page it links to prints and is labelled with."""

    def test_every_report_is_cited_as_its_first_page(self, volume):
        reader = pypdf.PdfReader(volume)
        cited = contents_citations(reader)
        codes = sorted({label.rsplit("-", 1)[0] for label in reader.page_labels if "-" in label})
        assert [code for code, _, _ in cited] == codes
        assert all(folio == f"{code}-1" for code, folio, _ in cited), cited

    def test_cited_folio_is_the_label_and_the_text_of_the_linked_page(self, volume):
        reader = pypdf.PdfReader(volume)
        labels = reader.page_labels
        for code, folio, target in contents_citations(reader):
            assert labels[target] == folio, (code, labels[target])
            assert re.search(rf"\b{re.escape(folio)} · Page 1 of \d+", page_text(reader, target))

    def test_typing_the_folio_finds_the_page(self, volume):
        """A viewer finds a typed label by its page: each report folio labels one page."""
        labels = pypdf.PdfReader(volume).page_labels
        folios = [label for label in labels if "-" in label]
        assert len(folios) == len(set(folios))


class TestEveryPagePrintsItsLabel:
    """Each page prints what its label says: report pages CODE-N, the front matter Page N of F."""

    def test_volume_pages(self, volume):
        reader = pypdf.PdfReader(volume)
        for index, label in enumerate(reader.page_labels):
            text = page_text(reader, index)
            if "-" in label:
                page = label.rsplit("-", 1)[1]
                assert re.search(rf"\b{re.escape(label)} · Page {page} of \d+", text), label
            else:
                assert re.search(rf"\bPage {label} of \d+", text), (label, text[-80:])

    def test_a_report_alone_reads_as_in_the_volume(self, sample_build):
        """The report's own PDF labels and prints its pages as the volume does."""
        volume = pypdf.PdfReader(sample_build / "volume.pdf")
        alone = pypdf.PdfReader(sample_build / "74440.pdf")
        assert alone.page_labels == [f"74440-{n}" for n in range(1, len(alone.pages) + 1)]
        start = volume.page_labels.index("74440-1")
        for index, label in enumerate(alone.page_labels):
            assert volume.page_labels[start + index] == label
            assert page_text(volume, start + index) == page_text(alone, index)


class TestGeneratedVolumeConforms:
    """The generated volume passes qpdf's check and the independent PDF/UA-1 validator."""

    def test_qpdf_and_validator(self, generated_build):
        path = generated_build / "volume.pdf"
        qpdf_check(path)
        assert variant_failures(path, "pdf/ua-1") == []
