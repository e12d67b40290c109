"""report/volume/front.py: the volume's contents, planned from measured lines, page by page.

A volume of 48 reports (the two sample reports under made-up codes, with headings of one
and of two lines) has a contents of several pages. Each contents page is rendered on its
own and cached; these tests check that the pages break where one long layout would break
them, that every line cites its report's first folio and links to its start page, and that a rebuild
renders again only the contents pages whose lines changed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from qpdf import qpdf_check
from test_pdf import SOURCES, read_page, sample_settings, squash

import report.render.measure
import report.render.pdf
import report.volume.front
from report.assemble import publication_info
from report.render import PdfSettings
from report.render.html import ContentsLine, FrontPart, front_html
from report.sources import load_sources
from report.volume import VolumeEntry, start_pages, write_volume
from report.volume.front import plan_pages

COUNT = 48


def many_entries(sample_build: Path) -> list[VolumeEntry]:
    """Return COUNT entries over the two sample reports, with short and long headings."""
    pdfs = [(sample_build / "55300.pdf", 3), (sample_build / "74440.pdf", 4)]
    entries = []
    for n in range(COUNT):
        pdf, _pages = pdfs[n % 2]
        long = " with a description long enough to wrap onto a second line" * (n % 3 == 0)
        entries.append(
            VolumeEntry(
                f"{70000 + n}",
                f"CPT {70000 + n}: Procedure {n}{long}",
                pdf,
                len(pypdf.PdfReader(pdf).pages),
            )
        )
    return entries


class Calls:
    """Counts of the documents rendered and measured since the last reset."""

    def __init__(self) -> None:
        self.rendered: list[str] = []
        self.measured: list[int] = []


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Count every front matter part rendered, and every line measured."""
    counts = Calls()
    render = report.render.pdf.render_pdf
    measure = report.render.measure.measure_contents

    def counting_render(html: str, settings: PdfSettings) -> tuple[bytes, int]:
        counts.rendered.append(html)
        return render(html, settings)

    def counting_measure(html: str):
        metrics = measure(html)
        counts.measured.append(len(metrics.heights))
        return metrics

    monkeypatch.setattr(report.render.pdf, "render_pdf", counting_render)
    monkeypatch.setattr(report.render.measure, "measure_contents", counting_measure)
    return counts


@pytest.fixture(scope="module")
def volume(
    sample_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[VolumeEntry], Path]:
    """Write the volume of COUNT reports once: its path, entries and cache folder."""
    folder = tmp_path_factory.mktemp("many")
    entries = many_entries(sample_build)
    info = publication_info(load_sources(SOURCES).publication)
    write_volume(info, entries, folder / "volume.pdf", sample_settings(), folder / "cache")
    qpdf_check(folder / "volume.pdf")
    return folder / "volume.pdf", entries, folder / "cache"


def contents_pages(path: Path, entries: list[VolumeEntry]) -> list[list[tuple[str, str]]]:
    """Return, per contents page, the (code, printed folio) of each of its lines."""
    reader = pypdf.PdfReader(path)
    found = []
    for number in range(1, len(reader.pages) - sum(e.pages for e in entries) + 1):
        text = squash(read_page(number, reader.pages[number - 1]).body)
        lines = [(m[1], m[2]) for m in re.finditer(r"CPT (\d{5}): .*? (\d{5}-\d+)(?= CPT|$)", text)]
        if lines:
            found.append(lines)
    return found


class TestPlan:
    """Lines go on a page while they fit, the last one's bottom margin not counted."""

    def test_fill(self):
        assert plan_pages([10] * 5, [2] * 5, first_room=25, room=30) == [(0, 2), (2, 5)]

    def test_limits(self):
        assert plan_pages([10] * 5, [2] * 5, 25, 30, limits={2: 2}) == [(0, 2), (2, 4), (4, 5)]

    def test_a_line_taller_than_a_page_takes_a_page(self):
        assert plan_pages([50, 10], [2, 2], 25, 30) == [(0, 1), (1, 2)]


class TestContents:
    """The contents of many reports spans pages, each line numbered and linked right."""

    def test_lines_and_folios(self, volume):
        path, entries, _ = volume
        pages = contents_pages(path, entries)
        assert len(pages) >= 2
        expected = [(e.code, f"{e.code}-1") for e in entries]
        assert [line for page in pages for line in page] == expected

    def test_pages_break_as_one_layout_breaks_them(self, volume):
        """The planned pages hold the same lines as the contents laid out as one document."""
        path, entries, _ = volume
        info = publication_info(load_sources(SOURCES).publication)
        lines = tuple(ContentsLine(e.code, e.heading, f"{e.code}-1") for e in entries)
        document = report.render.pdf.renderer().layout(
            front_html(info, FrontPart("contents", 1, 1, lines, opens_contents=True))
        )
        laid_out = [
            [anchor[len("report-") :] for anchor in page.anchors if anchor.startswith("report-")]
            for page in document.pages
        ]
        planned = [[code for code, _ in page] for page in contents_pages(path, entries)]
        assert planned == laid_out

    def test_links_go_to_each_report(self, volume):
        path, entries, _ = volume
        reader = pypdf.PdfReader(path)
        front = len(reader.pages) - sum(e.pages for e in entries)
        starts = dict(zip([e.code for e in entries], start_pages(front, entries), strict=True))
        found = {}
        for index in range(front):
            for annot in reader.pages[index].get("/Annots", []):
                name = str(annot.get_object()["/Dest"])
                found[name] = (
                    reader.get_destination_page_number(reader.named_destinations[name]) + 1
                )
        assert found == {f"report-{code}": start for code, start in starts.items()}


class TestRebuild:
    """A rebuild renders only the contents pages whose lines changed, and gives the same bytes."""

    def rebuild(self, volume, tmp_path, entries):
        _, _, cache = volume
        copy = tmp_path / "cache"
        copy.mkdir()
        for file in cache.iterdir():
            (copy / file.name).write_bytes(file.read_bytes())
        info = publication_info(load_sources(SOURCES).publication)
        write_volume(info, entries, tmp_path / "volume.pdf", sample_settings(), copy)
        qpdf_check(tmp_path / "volume.pdf")
        return tmp_path / "volume.pdf"

    def test_nothing_changed(self, volume, tmp_path, calls):
        path, entries, _ = volume
        again = self.rebuild(volume, tmp_path, entries)
        assert calls.rendered == [] and calls.measured == []
        assert again.read_bytes() == path.read_bytes()

    def test_one_heading_changed(self, volume, tmp_path, calls):
        _, entries, _ = volume
        changed = list(entries)
        changed[30] = VolumeEntry(
            entries[30].code, entries[30].heading + " (revised)", entries[30].pdf, entries[30].pages
        )
        again = self.rebuild(volume, tmp_path, changed)
        assert calls.measured == [1]
        assert len(calls.rendered) == 1 and "(revised)" in calls.rendered[0]
        info = publication_info(load_sources(SOURCES).publication)
        write_volume(info, changed, tmp_path / "fresh.pdf", sample_settings())  # no cache at all
        assert again.read_bytes() == (tmp_path / "fresh.pdf").read_bytes()

    def test_page_count_changed(self, volume, tmp_path, calls):
        """A longer report renders no contents page again: the folios cited do not move."""
        path, entries, _ = volume
        changed = list(entries)
        longer = max(entries, key=lambda e: e.pages)
        assert longer.pages > entries[36].pages
        changed[36] = VolumeEntry(entries[36].code, entries[36].heading, longer.pdf, longer.pages)
        again = self.rebuild(volume, tmp_path, changed)
        assert calls.rendered == []
        assert calls.measured == []
        assert contents_pages(again, changed) == contents_pages(path, entries)
        name = f"report-{entries[37].code}"
        before, after = (
            reader.get_destination_page_number(reader.named_destinations[name])
            for reader in (pypdf.PdfReader(path), pypdf.PdfReader(again))
        )
        assert after == before + longer.pages - entries[36].pages
