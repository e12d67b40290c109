"""report/volume.py: volume.pdf assembled from the report PDFs and a rendered front matter.

Every test builds the volume from the sample build's report PDFs (`sample_build`) with
write_volume into its own folder, and reads it back with pypdf and pikepdf through the
helpers of tests/test_pdf.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_pdf import (
    OUTLINE,
    SOURCES,
    codes,
    contains,
    heading,
    in_order,
    outline,
    page_margins,
    parent_tree,
    phrase,
    publication,
    read_pages,
    report_start_pages,
    sample_entries,
    sample_settings,
    squash,
    structure,
    write_sample_volume,
)

import report.render.pdf
import report.volume.front
import report.volume.writer
from report.assemble import PublicationInfo, publication_info
from report.sources import load_sources
from report.volume import VolumeEntry, start_pages, write_volume
from report.volume.syntax import (
    Ref,
    nested_string_spans,
    parse,
    prefix_ids,
    renumber,
    shift_keys,
    string_spans,
)

PAGE_OF = re.compile(r"Page (\d+) of (\d+)")


def _publication() -> PublicationInfo:
    return publication_info(load_sources(SOURCES).publication)


@pytest.fixture(scope="module")
def built(
    sample_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, int, list[VolumeEntry]]:
    """Write the sample volume once for the module: its path, pages and entries."""
    target = tmp_path_factory.mktemp("volume") / "volume.pdf"
    pages = write_sample_volume(sample_build, target, tmp_path_factory.mktemp("cache"))
    return target, pages, sample_entries(sample_build)


def front_pages(built: tuple[Path, int, list[VolumeEntry]]) -> int:
    """Return the number of pages before the first report."""
    _, pages, entries = built
    return pages - sum(entry.pages for entry in entries)


def contents_index(path: Path) -> int:
    """Return the index of the page that opens the contents."""
    return next(
        index
        for index, page in enumerate(read_pages(path))
        if squash(page.body).startswith("Contents")
    )


class TestPages:
    """The volume is the front matter's pages, then every report's pages in entry order."""

    def test_page_count(self, built):
        path, pages, _ = built
        assert len(pypdf.PdfReader(path).pages) == pages
        assert front_pages(built) >= 3  # a cover, the notices, and the contents on its own page

    def test_reports_start_after_one_another(self, built):
        path, _, entries = built
        starts = start_pages(front_pages(built), entries)
        assert report_start_pages(path) == dict(zip(codes(), starts, strict=True))

    def test_report_pages_are_copied_unchanged(self, built):
        path, _, entries = built
        pages = read_pages(path)
        for entry, start in zip(entries, start_pages(front_pages(built), entries), strict=True):
            own = read_pages(entry.pdf)
            assert [p.text for p in pages[start - 1 : start - 1 + entry.pages]] == [
                p.text for p in own
            ], entry.code


class TestContents:
    """The contents lists each report with the folio of its first page, and links to that page."""

    def test_lines_cite_each_report_first_folio(self, built):
        path, _, entries = built
        text = squash(read_pages(path)[contents_index(path)].body)
        for entry in entries:
            match = re.search(phrase(entry.heading).pattern + r" (\S+)", text)
            assert match and match[1] == f"{entry.code}-1", (entry.code, text)

    def test_links_go_to_each_report_first_page(self, built):
        path, _, entries = built
        reader = pypdf.PdfReader(path)
        starts = dict(zip(codes(), start_pages(front_pages(built), entries), strict=True))
        found = {}
        for index in range(front_pages(built)):
            for annot in reader.pages[index].get("/Annots", []):
                name = str(annot.get_object()["/Dest"])
                target = reader.get_destination_page_number(reader.named_destinations[name])
                found.setdefault(name, set()).add(target + 1)
        assert found == {f"report-{code}": {start} for code, start in starts.items()}

    def test_lines_have_dotted_leaders(self, built):
        """Between a line's title and its number, the line is dotted: small, even dots."""
        path, _, _ = built
        pdfium = pytest.importorskip("pypdfium2")
        reader = pypdf.PdfReader(path)
        index = contents_index(path)
        page = reader.pages[index]
        link = page["/Annots"][0].get_object()  # the first line, its full width
        xs, ys = [float(v) for v in link["/Rect"][0::2]], [float(v) for v in link["/Rect"][1::2]]
        scale = 4
        height = float(page.mediabox.height)
        image = pdfium.PdfDocument(path)[index].render(scale=scale, grayscale=True).to_pil()
        # The dots sit a few points above the line's bottom, right of the title and left of
        # the folio (52pt of room at its right): take the darkest pixel of each column of that band.
        rows = range(int((height - min(ys) - 7) * scale), int((height - min(ys) - 2) * scale))
        row = [
            min(image.getpixel((x, y)) for y in rows)
            for x in range(
                int((min(xs) + 0.75 * (max(xs) - min(xs))) * scale), int((max(xs) - 60) * scale)
            )
        ]
        runs = re.findall(r"1+", "".join("1" if v < 128 else "0" for v in row))
        assert len(runs) >= 10, runs
        assert max(len(run) for run in runs) <= 2 * scale, "not dots"


class TestOutline:
    """The outline holds the front matter's bookmarks, then each report's, on its own pages."""

    def test_front_matter_then_reports(self, built):
        path, _, _ = built
        titles = [b.title for b in outline(path)]
        assert titles[:3] == [publication()["title"], "About this publication", "Contents"], titles
        assert titles[-len(codes()) :] == [heading(code) for code in codes()], titles

    def test_sections_point_into_their_report(self, built):
        path, _, entries = built
        pages = read_pages(path)
        tops = {b.title: b for b in outline(path)}
        for entry, start in zip(entries, start_pages(front_pages(built), entries), strict=True):
            node = tops[entry.heading]
            assert node.page == start
            assert in_order([b.title for b in node.walk()], OUTLINE)
            for child in node.walk():
                assert start <= child.page < start + entry.pages, (entry.code, child.title)
                if child.title in OUTLINE:
                    assert contains(pages[child.page - 1].body, child.title), child.title

    def test_report_bookmarks_start_closed(self, built):
        """A volume of many reports opens as a list of their headings."""
        path, _, _ = built
        with pikepdf.open(path) as pdf:
            item, counts = pdf.Root.Outlines.First, {}
            while item is not None:
                counts[str(item.Title)] = int(item.get("/Count", 0))
                item = item.get("/Next")
            assert all(counts[heading(code)] < 0 for code in codes()), counts
            visible = sum(1 + max(count, 0) for count in counts.values())
            assert int(pdf.Root.Outlines.Count) == visible


class TestPageLabels:
    """Labels match the printed numbers: front matter 1 to F, each report CODE-1 to CODE-M."""

    def test_labels(self, built):
        path, _, entries = built
        front = front_pages(built)
        expected = [str(n) for n in range(1, front + 1)]
        for entry in entries:
            expected += [f"{entry.code}-{n}" for n in range(1, entry.pages + 1)]
        assert pypdf.PdfReader(path).page_labels == expected

    def test_labels_are_what_the_page_prints(self, built):
        path, _, _ = built
        for label, page in zip(pypdf.PdfReader(path).page_labels, read_pages(path), strict=True):
            number = PAGE_OF.search(squash(page.foot))
            assert number, (label, page.foot)
            code, _, printed = label.rpartition("-")
            assert printed == number[1], (label, page.foot)
            if code:
                assert code in squash(page.head), (label, page.head)


class TestStructure:
    """One /Document holds the front matter and each report as a /Part, with all their content."""

    def test_parts(self, built):
        path, _, entries = built
        tree = structure(path)
        assert [e.type for e in tree.children] == ["/Document"]
        parts = tree.children[0].children
        # The front matter's parts: the opening (cover and notices), then each contents page.
        front = len(parts) - len(entries)
        assert front == 2 and [e.type for e in parts] == ["/Part"] * len(parts)
        pages = read_pages(path)
        for part, entry in zip(parts[front:], entries, strict=True):
            h1 = next(e for e in part.walk() if e.type == "/H1")
            assert h1.text(pages) == entry.heading
        with pikepdf.open(path) as pdf:
            titles = [str(p.get("/T")) for p in pdf.Root.StructTreeRoot.K[0].K]
        assert titles == ["Cover and notices", "Contents"] + [entry.heading for entry in entries]

    def test_every_marked_content_is_reachable_and_in_the_parent_tree(self, built):
        path, _, _ = built
        pages = read_pages(path)
        used = {
            (index, f.mcid)
            for index, page in enumerate(pages)
            for f in page.fragments
            if f.mcid is not None and f.text.strip()
        }
        tagged = set(structure(path).all_content())
        assert used, "no tagged content"
        assert not used - tagged, sorted(used - tagged)[:5]
        claimed = parent_tree(path)
        assert not tagged - claimed.keys(), sorted(tagged - claimed.keys())[:5]

    def test_struct_parents_are_unique(self, built):
        """Each page and link annotation has its own ParentTree key, below ParentTreeNextKey."""
        path, _, _ = built
        with pikepdf.open(path) as pdf:
            keys = [int(p.obj.StructParents) for p in pdf.pages]
            keys += [
                int(a.StructParent)
                for p in pdf.pages
                for a in p.obj.get("/Annots", ())
                if "/StructParent" in a
            ]
            limit = int(pdf.Root.StructTreeRoot.ParentTreeNextKey)
        assert len(keys) == len(set(keys)) and max(keys) < limit

    def test_element_ids_are_unique(self, built):
        """Both reports number their table cells alike; the volume prefixes each with its code."""
        path, _, _ = built
        with pikepdf.open(path) as pdf:
            ids, headers = [], []
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/StructElem":
                    if "/ID" in obj:
                        ids.append(bytes(obj.ID))
                    attributes = obj.get("/A")
                    for item in (
                        [attributes]
                        if isinstance(attributes, pikepdf.Dictionary)
                        else attributes or []
                    ):
                        if isinstance(item, pikepdf.Dictionary) and "/Headers" in item:
                            headers += [bytes(h) for h in item.Headers]
        assert ids and len(ids) == len(set(ids))
        assert set(headers) <= set(ids)

    def test_running_heads_and_feet_stay_artifacts(self, built):
        path, _, _ = built
        margin_top, margin_bottom = page_margins()
        claimed = parent_tree(path)
        for index, page in enumerate(read_pages(path)):
            furniture = [
                f
                for f in page.fragments
                if f.top is not None
                and f.text.strip()
                and claimed.get((index, f.mcid)) != "/Figure"
                and (f.top < margin_top or f.top > page.height - margin_bottom)
            ]
            assert furniture and all(f.artifact for f in furniture), page.number


class TestMetadata:
    """The volume keeps the front matter's catalog, metadata and title."""

    def test_catalog_and_metadata(self, built):
        path, _, _ = built
        with pikepdf.open(path) as pdf:
            assert pdf.check_pdf_syntax() == []
            assert str(pdf.Root.Lang) == "en-US"
            assert bool(pdf.Root.MarkInfo.Marked)
            assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
            assert str(pdf.docinfo["/Title"]) == publication()["title"]
            xmp = pdf.open_metadata()
            assert xmp.get("dc:title") == publication()["title"]
            assert xmp.get("pdfuaid:part") == "1"
            assert len(pdf.trailer.ID) == 2

    def test_pdfa_variant_keeps_its_output_intent(self, sample_build, tmp_path):
        target = tmp_path / "volume.pdf"
        write_sample_volume(sample_build, target, variant="pdf/a-3b")
        with pikepdf.open(target) as pdf:
            assert pdf.open_metadata().pdfa_status == "3B"
            assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
            assert len(pdf.Root.OutputIntents) == 1  # the reports' own are not added


class TestReproducible:
    """The same inputs give the same bytes, with the cache or without, written atomically."""

    def test_same_bytes(self, built, sample_build, tmp_path):
        path, _, _ = built
        again = tmp_path / "again.pdf"
        write_sample_volume(sample_build, again, tmp_path / "cache")
        assert again.read_bytes() == path.read_bytes()
        write_sample_volume(sample_build, again)
        assert again.read_bytes() == path.read_bytes()

    def test_failure_leaves_the_target_alone(self, built, sample_build, tmp_path):
        _, _, entries = built
        target = tmp_path / "volume.pdf"
        target.write_bytes(b"previous")
        wrong = [VolumeEntry(e.code, e.heading, e.pdf, e.pages + 1) for e in entries]
        with pytest.raises(ValueError, match="pages"):
            write_volume(_publication(), wrong, target, sample_settings())
        assert target.read_bytes() == b"previous"
        assert [p.name for p in tmp_path.iterdir()] == ["volume.pdf"]


class TestCache:
    """An unchanged front matter is not rendered again, nor unchanged reports placed again."""

    def test_front_matter_rendered_once(self, sample_build, tmp_path, monkeypatch):
        calls = []
        render = report.render.pdf.render_pdf

        def counting(html, settings):
            calls.append(settings.variant)
            return render(html, settings)

        monkeypatch.setattr(report.render.pdf, "render_pdf", counting)
        write_sample_volume(sample_build, tmp_path / "first.pdf", tmp_path / "cache")
        assert len(calls) == 2  # the opening and the one contents page
        write_sample_volume(sample_build, tmp_path / "second.pdf", tmp_path / "cache")
        assert len(calls) == 2
        assert (tmp_path / "first.pdf").read_bytes() == (tmp_path / "second.pdf").read_bytes()

    def test_reports_placed_once(self, sample_build, tmp_path, monkeypatch):
        placed = []
        place = report.volume.writer.place_part

        def counting(analysis, where):
            placed.append(analysis.spec.code)
            return place(analysis, where)

        monkeypatch.setattr(report.volume.writer, "place_part", counting)  # reports, contents
        monkeypatch.setattr(report.volume, "place_part", counting)  # the opening
        write_sample_volume(sample_build, tmp_path / "first.pdf", tmp_path / "cache")
        assert sorted(placed, key=str) == sorted([None, None, *codes()], key=str)
        placed.clear()
        write_sample_volume(sample_build, tmp_path / "second.pdf", tmp_path / "cache")
        assert placed == [None]  # only the opening, which is cheap to place
        names = sorted(p.name.split("-")[1] for p in (tmp_path / "cache").iterdir())
        # facts and placed objects of both reports and the contents page; the two rendered
        # parts and the measured contents lines
        assert names == ["facts"] * 3 + ["front"] * 3 + ["part"] * 3, names

    def test_wrong_guess_of_the_opening(self, sample_build, tmp_path, monkeypatch):
        """However wrong the first guess of the opening's length, the contents ends up right."""
        monkeypatch.setattr(report.volume.front, "OPENING_PAGES", 7)
        target = tmp_path / "volume.pdf"
        write_sample_volume(sample_build, target)
        starts = report_start_pages(target)
        text = squash(read_pages(target)[contents_index(target)].body)
        reader = pypdf.PdfReader(target)
        for code in codes():
            match = re.search(phrase(heading(code)).pattern + r" (\S+)", text)
            assert match and match[1] == f"{code}-1"
            page = reader.get_destination_page_number(reader.named_destinations[f"report-{code}"])
            assert page + 1 == starts[code]
            assert reader.page_labels[page] == match[1]


class TestInputs:
    """Inputs laid out otherwise than the finishing pass writes them merge the same."""

    def test_report_without_object_streams(self, built, sample_build, tmp_path):
        path, _, entries = built
        plain = tmp_path / "74440.pdf"
        with pikepdf.open(sample_build / "74440.pdf") as pdf:
            pdf.save(
                plain,
                object_stream_mode=pikepdf.ObjectStreamMode.disable,
                compress_streams=False,
                deterministic_id=True,
            )
        assert b"/ObjStm" not in plain.read_bytes() and b"\nxref" in plain.read_bytes()
        changed = [
            VolumeEntry(e.code, e.heading, plain if e.code == "74440" else e.pdf, e.pages)
            for e in entries
        ]
        target = tmp_path / "volume.pdf"
        write_volume(_publication(), changed, target, sample_settings())
        assert [p.text for p in read_pages(target)] == [p.text for p in read_pages(path)]
        assert pypdf.PdfReader(target).page_labels == pypdf.PdfReader(path).page_labels

    def test_references_inside_strings_are_left_alone(self):
        table = {b"12": b"112 0 R", b"3": b"103 0 R"}
        data = b"<< /A 12 0 R /T (see 12 0 R \\(3 0 R\\)) /K [ 3 0 R 4 0 R ] >>"
        assert (
            renumber(data, table)
            == b"<< /A 112 0 R /T (see 12 0 R \\(3 0 R\\)) /K [ 103 0 R null ] >>"
        )
        assert (
            renumber(data.replace(b" (see 12 0 R \\(3 0 R\\))", b" (x)"), table)
            == b"<< /A 112 0 R /T (x) /K [ 103 0 R null ] >>"
        )

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (b"<< /T (a (b) 12 0 R) /K [3 0 R] >>", b"<< /T (a (b) 12 0 R) /K [103 0 R] >>"),
            (b"<< /T ((12 0 R)) /P 12 0 R >>", b"<< /T ((12 0 R)) /P 112 0 R >>"),
            (
                b"<< /T (a \\) 12 0 R (x) 3 0 R) /K 3 0 R >>",
                b"<< /T (a \\) 12 0 R (x) 3 0 R) /K 103 0 R >>",
            ),
            (b"<< /T (a \\\\) 12 0 R /K 3 0 R >>", b"<< /T (a \\\\) 112 0 R /K 103 0 R >>"),
            (b"<< /T (cut short 12 0 R", b"<< /T (cut short 12 0 R"),
        ],
        ids=["nested", "doubly nested", "escaped parenthesis", "escaped backslash", "unterminated"],
    )
    def test_strings_are_skipped_with_their_nesting_depth(self, data, expected):
        """A reference written inside a literal string, nested or escaped, is text."""
        assert renumber(data, {b"12": b"112 0 R", b"3": b"103 0 R"}) == expected

    def test_keys_and_ids_inside_strings_are_text(self):
        """Structure keys and IDs written inside a string are left as they are."""
        keys: list[int] = []
        data = b"<< /StructParents 4 /T (x (/StructParent 5)) >>"
        assert shift_keys(data, 10, keys) == b"<< /StructParents 14 /T (x (/StructParent 5)) >>"
        assert keys == [4]
        data = b"<< /ID (E1) /T (x (/ID (y))) /Headers [(E2) <4533>] /A [(z)] >>"
        assert (
            prefix_ids(data, b"74440-")
            == b"<< /ID (74440-E1) /T (x (/ID (y))) /Headers [(74440-E2) (74440-E3)] /A [(z)] >>"
        )

    @given(st.binary().map(lambda raw: bytes(b"()\\ a\n"[byte % 6] for byte in raw)))
    def test_flat_strings_found_as_read_mark_by_mark(self, data: bytes) -> None:
        """The strings one regular expression finds are those read mark by mark."""
        assert string_spans(data) == nested_string_spans(data)

    def test_parse_reads_nested_strings(self):
        """The reader takes a string with nested parentheses as one string."""
        assert parse(b"<< /T (a (b) c) /K 3 0 R >>")[0] == {b"/T": b"(a (b) c)", b"/K": Ref(3)}

    def test_references_written_without_spaces(self):
        """WeasyPrint writes `[3 0 R]` and `/P 12 0 R/Pg`: every one is renumbered."""
        table = {b"12": b"112 0 R", b"3": b"103 0 R"}
        data = b"<</P 12 0 R/K [3 0 R 4 0 R]/A [12 0 R]/N -3 0 R/W 1.3 0 R>>"
        assert (
            renumber(data, table)
            == b"<</P 112 0 R/K [103 0 R null]/A [112 0 R]/N -3 0 R/W 1.3 0 R>>"
        )


class TestPlacementKey:
    """A placement, part of a cache key, reads the same in every process."""

    def test_skipped_names_are_sorted(self):
        import io

        from report.volume.analyse import Facts
        from report.volume.cache import PartCache
        from report.volume.writer import Volume

        names = (b"report-3", b"report-1", b"contents", b"report-2")
        volume = Volume(
            io.BytesIO(),
            PartCache(None),
            True,
            3,
            {b"report-1": "1", b"report-2": "2", b"report-3": "3"},
        )
        volume.reserve()
        place = volume.placement(Facts(span=10, keys=2, names=names), volume.pages_root, None)
        assert place.skipped == (b"report-1", b"report-2", b"report-3")
        assert "frozenset" not in repr(place) and "{" not in repr(place)
