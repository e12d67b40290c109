"""Read the built PDFs back: text, metadata, bookmarks, running heads, tags and the volume.

Text is read with pypdf, structure with pikepdf, from the session's one build of the
sample sources (the `sample_build` fixture); the volume is assembled from that build's
report PDFs with report/volume.py (the `sample_volume` fixture), as the build assembles
it. Page furniture (running heads and feet) is told apart from the body by position: text
whose baseline lies in the @page margins of styles/report.css is furniture, the rest is
body.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pikepdf
import pypdf
import pytest
from qpdf import qpdf_check
from ruamel.yaml import YAML

from report.assemble import publication_info
from report.render import PdfSettings, epoch_of
from report.sources import PublicationFile, load_sources
from report.volume import VolumeEntry, write_volume

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
STYLESHEET = ROOT / "styles" / "report.css"

NOT_AVAILABLE = "Data not available in the source."
# The fixed outline of source-format.md, as each report's bookmarks and headings give it.
OUTLINE = (
    "Summary & Overview",
    "Billing Code Overview",
    "Clinical & Coding Specifications",
    "Clinical Context",
    "Coding Specifications",
    "Payer Coverage",
    "Benchmarks",
    "Policy & Coding Considerations",
    "References",
    "Data availability",
)
SUBSECTIONS = {"Clinical & Coding Specifications": ("Clinical Context", "Coding Specifications")}
HYPHEN_LIKE = "-\u2010"  # hyphen-minus, and U+2010 which WeasyPrint uses for hyphenation


# ---------------------------------------------------------------------------------------
# Sources


@cache
def load_yaml(path: Path) -> dict:
    """Return one YAML source file as plain data."""
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def publication() -> dict:
    """Return sources/publication.yaml."""
    return load_yaml(SOURCES / "publication.yaml")


def code_source(code: str) -> dict:
    """Return sources/codes/CODE.yaml."""
    return load_yaml(SOURCES / "codes" / f"{code}.yaml")


def heading(code: str) -> str:
    """Return a report's printed title: `CPT 74440: <title>`."""
    source = code_source(code)
    return f"{source['system']} {code}: {source['title']}"


def codes() -> list[str]:
    """Return the sample codes in code order."""
    return sorted(path.stem for path in (SOURCES / "codes").glob("*.yaml"))


# ---------------------------------------------------------------------------------------
# Text matching


def squash(text: str) -> str:
    """Drop soft hyphens (and the line break after one) and collapse whitespace."""
    text = re.sub("\u00ad\\s*", "", text)
    return re.sub(r"\s+", " ", text).strip()


def phrase(expected: str, hyphens: str = HYPHEN_LIKE) -> re.Pattern[str]:
    """Return a pattern for expected text as extracted from a PDF.

    Whitespace matches one space (run squash() on the text first); a word may be broken
    at a line end by an added hyphen (`defer- ens`); a hyphen of the source may sit at a
    line end (`jurisdiction- specific`) and may be any character of `hyphens`.
    """
    parts: list[str] = []
    previous = ""
    for char in squash(expected):
        if char == " ":
            parts.append(" ")
        elif char == "-":
            parts.append(f"[{re.escape(hyphens)}] ?")
        else:
            if previous.isalpha() and char.isalpha():
                parts.append(r"(?:[-\u2010] )?")
            parts.append(re.escape(char))
        previous = char
    return re.compile("".join(parts))


def contains(text: str, expected: str, hyphens: str = HYPHEN_LIKE) -> bool:
    """Return whether expected appears in the squashed text."""
    return phrase(expected, hyphens).search(squash(text)) is not None


# ---------------------------------------------------------------------------------------
# Reading a PDF: text by position and by marked-content id


@cache
def page_margins() -> tuple[float, float]:
    """Return the top and bottom @page margins of styles/report.css, in points."""
    css = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(encoding="utf-8"), flags=re.DOTALL)
    block = re.search(r"@page\s*\{(.*?)(?:@top|@bottom|@left|@right|\})", css, re.DOTALL)
    assert block, "styles/report.css has no @page rule"
    units = {"in": 72.0, "pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "px": 0.75}

    def points(value: str) -> float:
        number = re.fullmatch(r"([\d.]+)(in|pt|mm|cm|px)?", value.strip())
        assert number, f"cannot read the @page margin {value!r}"
        return float(number[1]) * units[number[2] or "px"]

    top = bottom = None
    shorthand = re.search(r"(?<![-\w])margin\s*:\s*([^;]+);", block[1])
    if shorthand:
        values = [points(v) for v in shorthand[1].split()]
        top = values[0]
        bottom = values[2] if len(values) > 2 else values[0]
    for side in ("top", "bottom"):
        longhand = re.search(rf"margin-{side}\s*:\s*([^;]+);", block[1])
        if longhand:
            if side == "top":
                top = points(longhand[1])
            else:
                bottom = points(longhand[1])
    assert top is not None and bottom is not None, "cannot read the @page margins"
    return top, bottom


@dataclass(frozen=True)
class Fragment:
    """One piece of text pypdf extracted, where it sits and which marked content holds it."""

    text: str
    top: float | None  # baseline distance from the top of the page, in points
    mcid: int | None  # innermost marked-content id around it
    artifact: bool  # whether it is inside /Artifact marked content


@dataclass
class Page:
    """One page's text, whole and split into running head, body and running foot."""

    number: int
    height: float
    text: str
    fragments: list[Fragment]
    head: str = ""
    body: str = ""
    foot: str = ""
    by_mcid: dict[int, str] = field(default_factory=dict)


def read_page(number: int, page: pypdf.PageObject) -> Page:
    """Extract one page's text and sort every fragment into head, body or foot."""
    height = float(page.mediabox.height)
    margin_top, margin_bottom = page_margins()
    stack: list[tuple[str, int | None]] = []
    fragments: list[Fragment] = []

    def before(operator: bytes, args: list, cm: list, tm: list) -> None:
        if operator == b"BDC":
            props = args[1] if len(args) > 1 else None
            mcid = props.get("/MCID") if isinstance(props, dict) else None
            stack.append((str(args[0]), int(mcid) if mcid is not None else None))
        elif operator == b"BMC":
            stack.append((str(args[0]), None))
        elif operator == b"EMC" and stack:
            stack.pop()

    def visit(text: str, cm: list, tm: list, font: object, size: float) -> None:
        top = None
        if text.strip():
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            top = height - y
        mcid = next((m for _, m in reversed(stack) if m is not None), None)
        artifact = any(tag == "/Artifact" for tag, _ in stack)
        fragments.append(Fragment(text, top, mcid, artifact))

    text = page.extract_text(visitor_operand_before=before, visitor_text=visit)
    result = Page(number, height, text, fragments)
    parts = {"head": [], "body": [], "foot": []}
    for fragment in fragments:
        if fragment.mcid is not None:
            result.by_mcid[fragment.mcid] = result.by_mcid.get(fragment.mcid, "") + fragment.text
        if fragment.top is None:  # whitespace belongs to every part
            for chunks in parts.values():
                chunks.append(fragment.text)
            continue
        if fragment.top < margin_top:
            parts["head"].append(fragment.text)
        elif fragment.top > height - margin_bottom:
            parts["foot"].append(fragment.text)
        else:
            parts["body"].append(fragment.text)
    result.head, result.body, result.foot = ("".join(parts[k]) for k in ("head", "body", "foot"))
    return result


@cache
def read_pages(path: Path) -> list[Page]:
    """Return every page of a PDF, read once per session."""
    reader = pypdf.PdfReader(path)
    return [read_page(number, page) for number, page in enumerate(reader.pages, start=1)]


def body_text(path: Path) -> str:
    """Return the body text of a whole PDF, running heads and feet left out."""
    return "\n".join(page.body for page in read_pages(path))


def body_lines(path: Path) -> list[str]:
    """Return the squashed, non-empty lines of a PDF's body text."""
    return [squash(line) for line in body_text(path).splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------
# Structure tree


@dataclass
class Element:
    """One structure element: its type, its marked content and its children, in order."""

    type: str
    content: list[tuple[int, int]]  # (page index, MCID)
    children: list[Element]

    def walk(self):
        """Yield this element and every descendant, depth first in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def text(self, pages: list[Page]) -> str:
        """Return the text of all marked content under this element."""
        own = (pages[page].by_mcid.get(mcid, "") for page, mcid in self.all_content())
        return squash(" ".join(own))

    def all_content(self) -> list[tuple[int, int]]:
        """Return the marked content of this element and its descendants, in order."""
        return [item for element in self.walk() for item in element.content]


@cache
def structure(path: Path) -> Element:
    """Return the structure tree of a tagged PDF as Elements."""
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        root = pdf.Root.StructTreeRoot

        def kids(node) -> list:
            k = node.get("/K")
            if k is None:
                return []
            return list(k) if isinstance(k, pikepdf.Array) else [k]

        def convert(node, page: int | None) -> Element:
            if "/Pg" in node:
                page = pages[node.Pg.objgen]
            element = Element(str(node.get("/S", "/StructTreeRoot")), [], [])
            for kid in kids(node):
                if isinstance(kid, int):
                    assert page is not None, "an MCID without a page"
                    element.content.append((page, int(kid)))
                elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    element.children.append(convert(kid, page))
                elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                    kid_page = pages[kid.Pg.objgen] if "/Pg" in kid else page
                    element.content.append((kid_page, int(kid.MCID)))
            return element

        return convert(root, None)


# ---------------------------------------------------------------------------------------
# Outline (bookmarks)


@dataclass
class Bookmark:
    """One outline entry: its title, its destination page (1-based) and its children."""

    title: str
    page: int
    children: list[Bookmark]

    def walk(self):
        """Yield this bookmark and every descendant in order."""
        yield self
        for child in self.children:
            yield from child.walk()


@cache
def outline(path: Path) -> list[Bookmark]:
    """Return the top level of a PDF's outline."""
    reader = pypdf.PdfReader(path)

    def build(items: list) -> list[Bookmark]:
        nodes: list[Bookmark] = []
        for item in items:
            if isinstance(item, list):
                nodes[-1].children.extend(build(item))
            else:
                nodes.append(Bookmark(item.title, reader.get_destination_page_number(item) + 1, []))
        return nodes

    return build(reader.outline)


def flat(bookmarks: list[Bookmark]) -> list[Bookmark]:
    """Return every bookmark, depth first."""
    return [node for top in bookmarks for node in top.walk()]


def in_order(items: list[str], expected: tuple[str, ...] | list[str]) -> bool:
    """Return whether expected is a subsequence of items."""
    remaining = iter(items)
    return all(any(item == wanted for item in remaining) for wanted in expected)


# ---------------------------------------------------------------------------------------
# The seed text of 74440


@dataclass(frozen=True)
class SeedItem:
    """One thing of the seed text that the PDF must show."""

    text: str
    label: str | None = None  # for `Label: value` list items, the label


def seed_items(seed: str) -> list[SeedItem]:
    """Split the seed into headings, sentences, list items and table cells.

    The seed's modifier table breaks off at `TC |`; the source completes that row.
    """
    items: list[SeedItem] = []
    list_item = False
    header_cells = 0
    for raw in seed.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "-":  # a bullet: the next line is a list item
            list_item = True
            continue
        if "|" in line:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            cells = [cell for cell in cells if cell]
            if all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                continue
            if not header_cells:
                header_cells = len(cells)
            elif len(cells) < header_cells:  # the truncated row: complete it from the source
                modifier = next(
                    m for m in code_source("74440")["modifiers"] if m["code"] == cells[0]
                )
                assert modifier["description"] == "Technical component"
                cells = [modifier["code"], modifier["description"], modifier["when_to_use"]]
            items += [SeedItem(cell) for cell in cells]
            continue
        if list_item:
            list_item = False
            label, _, value = line.partition(": ")
            items.append(SeedItem(value, label))
            continue
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", line):
            items.append(SeedItem(sentence))
    return items


# ---------------------------------------------------------------------------------------
# The volume


def sample_entries(sample_build: Path) -> list[VolumeEntry]:
    """Return the sample build's reports as volume entries, in code order."""
    return [
        VolumeEntry(
            code,
            heading(code),
            sample_build / f"{code}.pdf",
            len(pypdf.PdfReader(sample_build / f"{code}.pdf").pages),
        )
        for code in codes()
    ]


def write_sample_volume(
    sample_build: Path, target: Path, cache_dir: Path | None = None, variant: str = "pdf/ua-1"
) -> int:
    """Assemble the sample build's reports into target with report/volume.py; return pages."""
    info = publication_info(sample_publication())
    pages = write_volume(
        info, sample_entries(sample_build), target, sample_settings(variant), cache_dir
    )
    qpdf_check(target)
    return pages


def sample_publication() -> PublicationFile:
    """Return the sample publication, validated."""
    publication = load_sources(SOURCES).publication
    assert publication is not None
    return publication


def sample_settings(variant: str = "pdf/ua-1") -> PdfSettings:
    """Return how the sample's documents are written: variant, at the effective date."""
    return PdfSettings(variant, epoch_of(sample_publication().model.effective_date))


@pytest.fixture(scope="session")
def sample_volume(sample_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return volume.pdf assembled from the sample build's report PDFs."""
    target = tmp_path_factory.mktemp("volume") / "volume.pdf"
    write_sample_volume(sample_build, target)
    return target


def built(sample_build: Path, sample_volume: Path, name: str) -> Path:
    """Return the path of a built PDF by name: a report of the build, or the volume."""
    return sample_volume if name == "volume.pdf" else sample_build / name


def printed_numbers(path: Path) -> list[tuple[int, int]]:
    """Return the (N, M) each page of a PDF must print as `Page N of M`.

    A report numbers its own pages. In the volume the front matter numbers its pages and
    each report keeps its own numbers, 1 to its page count, on its pages.
    """
    pages = read_pages(path)
    starts = sorted(report_start_pages(path).values()) if path.name == "volume.pdf" else []
    bounds = [1, *starts, len(pages) + 1]
    return [
        (number - first + 1, last - first)
        for first, last in itertools.pairwise(bounds)
        for number in range(first, last)
    ]


# ---------------------------------------------------------------------------------------
# Tests


class TestFidelity:
    """Every heading, sentence, list item and table cell of the 74440 seed is in its PDF's text."""

    def test_seed_parses_into_items(self, seed_text):
        items = seed_items(seed_text)
        texts = [item.text for item in items]
        assert "Clinical & Coding Specifications" in texts
        assert "Technical component" in texts
        assert any(item.label == "Service type" for item in items)
        assert len(items) > 30

    @pytest.mark.parametrize("name", ["74440.pdf", "volume.pdf"])
    def test_every_seed_item_is_in_the_text(self, sample_build, sample_volume, seed_text, name):
        text = squash(body_text(built(sample_build, sample_volume, name)))
        missing = [
            item.text for item in seed_items(seed_text) if not phrase(item.text).search(text)
        ]
        assert not missing, f"{len(missing)} seed items not found in {name}: {missing}"

    def test_list_items_keep_their_labels(self, sample_build, seed_text):
        text = squash(body_text(sample_build / "74440.pdf"))
        labelled = [item for item in seed_items(seed_text) if item.label]
        assert labelled
        for item in labelled:
            pattern = re.escape(item.label) + r":?\s+" + phrase(item.text).pattern
            assert re.search(pattern, text), f"{item.label}: {item.text}"

    def test_hyphens_of_the_source_extract_as_hyphen_minus(self, sample_build):
        """A copied or searched `32-year-old` or `2022-01-01` must match the source."""
        text = squash(body_text(sample_build / "74440.pdf"))
        for word in ("32-year-old", "12-month", "pre-procedure", "jurisdiction-specific"):
            assert phrase(word, hyphens="-").search(text), f"{word!r} not extracted as typed"
        assert "\u2010" not in text, "U+2010 HYPHEN in the text; the source has only '-'"

    def test_paragraph_order_follows_the_source(self, sample_build, seed_text):
        text = squash(body_text(sample_build / "74440.pdf"))
        anchors = [
            "CPT code 74440 represents",
            "CPT code 74440 describes",
            "A 32-year-old male",
            "Use when billing only the interpretation",
        ]
        positions = [phrase(anchor).search(text) for anchor in anchors]
        assert all(positions), anchors
        starts = [match.start() for match in positions]
        assert starts == sorted(starts)


class TestMetadata:
    """Each report's info, XMP and catalog carry its title, author, code, language and dates."""

    @pytest.mark.parametrize("code", codes())
    def test_document_info(self, sample_build, code):
        pub = publication()
        with pikepdf.open(sample_build / f"{code}.pdf") as pdf:
            info = {str(k): str(v) for k, v in pdf.docinfo.items()}
        assert info["/Title"] == heading(code)
        assert info["/Author"] == pub["publisher"]
        keywords = [k.strip() for k in re.split(r"[,;]", info["/Keywords"])]
        assert code in keywords
        effective = pub["effective_date"]
        for key in ("/CreationDate", "/ModDate"):
            assert pdf_date(info[key]) == effective, (key, info[key])

    def test_title_is_the_seed_title(self, sample_build):
        with pikepdf.open(sample_build / "74440.pdf") as pdf:
            assert str(pdf.docinfo["/Title"]) == (
                "CPT 74440: Imaging of Vas Deferens, Seminal Vesicles, or Epididymis"
            )

    @pytest.mark.parametrize("name", ["74440.pdf", "55300.pdf", "volume.pdf"])
    def test_catalog(self, sample_build, sample_volume, name):
        with pikepdf.open(built(sample_build, sample_volume, name)) as pdf:
            root = pdf.Root
            assert str(root.get("/Lang")) == publication().get("language", "en-US") == "en-US"
            assert bool(root.ViewerPreferences.get("/DisplayDocTitle")) is True
            assert bool(root.MarkInfo.get("/Marked")) is True
            assert "/StructTreeRoot" in root

    def test_xmp(self, sample_build):
        pub = publication()
        with pikepdf.open(sample_build / "74440.pdf") as pdf:
            xmp = pdf.open_metadata()
            assert xmp.get("pdfuaid:part") == "1"
            assert xmp.get("dc:title") == heading("74440")
            assert pub["publisher"] in str(xmp.get("dc:creator"))
            assert "74440" in str(xmp.get("pdf:Keywords"))
            for key in ("xmp:CreateDate", "xmp:ModifyDate"):
                value = str(xmp.get(key))
                assert value[:10] == pub["effective_date"].isoformat(), (key, value)


def pdf_date(value: str) -> dt.date:
    """Return the calendar date of a PDF date string `D:YYYYMMDD...`."""
    match = re.fullmatch(r"D:(\d{4})(\d{2})(\d{2}).*", value)
    assert match, f"not a PDF date with a day: {value!r}"
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


class TestOutline:
    """Bookmarks hold each report heading and every outline section, pointing at its page."""

    @pytest.mark.parametrize("code", codes())
    def test_report_bookmarks(self, sample_build, code):
        tops = outline(sample_build / f"{code}.pdf")
        titles = [b.title for b in flat(tops)]
        assert heading(code) in [b.title for b in tops]
        missing = [t for t in OUTLINE if t not in titles]
        assert not missing, f"no bookmark for {missing}"
        assert in_order(titles, (heading(code), *OUTLINE))

    def test_subsections_nest_under_their_section(self, sample_build):
        for node in flat(outline(sample_build / "74440.pdf")):
            if node.title in SUBSECTIONS:
                children = [child.title for child in node.walk()]
                assert all(sub in children for sub in SUBSECTIONS[node.title]), children
                break
        else:
            pytest.fail("no Clinical & Coding Specifications bookmark")

    def test_bookmarks_point_at_their_heading(self, sample_build):
        path = sample_build / "74440.pdf"
        pages = read_pages(path)
        for node in flat(outline(path)):
            if node.title in OUTLINE or node.title == heading("74440"):
                assert contains(pages[node.page - 1].body, node.title), (node.title, node.page)

    def test_volume_bookmarks_hold_every_report(self, sample_build, sample_volume):
        """The volume's bookmarks: the front matter's, then each report's own, on its pages."""
        path = sample_volume
        tops = outline(path)
        titles = [b.title for b in tops]
        reports = [heading(code) for code in codes()]
        assert titles[-len(reports) :] == reports, titles
        assert in_order(titles, [publication()["title"], "Contents"]), titles
        starts = report_start_pages(path)
        pages = read_pages(path)
        for code in codes():
            node = next(b for b in tops if b.title == heading(code))
            assert node.page == starts[code], (code, node.page, starts[code])
            assert in_order([b.title for b in node.walk()], OUTLINE)
            last = starts[code] + len(read_pages(sample_build / f"{code}.pdf")) - 1
            for child in node.walk():
                assert starts[code] <= child.page <= last, (code, child.title, child.page)
                if child.title in OUTLINE:
                    assert contains(pages[child.page - 1].body, child.title), (code, child.title)


class TestRunningFeet:
    """Every page of every PDF shows `Page N of M`, the edition, the copyright and its code."""

    @pytest.mark.parametrize("name", ["74440.pdf", "55300.pdf", "volume.pdf"])
    def test_footer_on_every_page(self, sample_build, sample_volume, name):
        """Each report numbers its own pages, in the volume too; so does the front matter."""
        path = built(sample_build, sample_volume, name)
        pages = read_pages(path)
        copyright_ = squash(publication()["notices"]["copyright"])
        edition = publication()["edition"]
        assert edition == "2026.11"
        for page, (number, total) in zip(pages, printed_numbers(path), strict=True):
            foot = squash(page.foot)
            assert re.search(rf"\bPage {number} of {total}\b", foot), (page.number, foot)
            assert re.search(rf"(?<![\d.]){re.escape(edition)}(?![\d.])", foot), (page.number, foot)
            assert copyright_ in foot, (page.number, foot)

    @pytest.mark.parametrize("code", codes())
    def test_report_code_on_every_page(self, sample_build, code):
        source = code_source(code)
        label = f"{source['system']} {code}"
        for page in read_pages(sample_build / f"{code}.pdf"):
            assert label in squash(page.head + " " + page.foot), (page.number, page.head)

    def test_volume_report_pages_carry_their_code(self, sample_volume):
        path = sample_volume
        pages = read_pages(path)
        starts = report_start_pages(path)
        order = sorted(starts.items(), key=lambda item: item[1])
        for index, (code, first) in enumerate(order):
            last = order[index + 1][1] - 1 if index + 1 < len(order) else len(pages)
            label = f"{code_source(code)['system']} {code}"
            for page in pages[first - 1 : last]:
                assert label in squash(page.head + " " + page.foot), (code, page.number)

    def test_page_numbers_are_only_in_the_margins(self, sample_build):
        for page in read_pages(sample_build / "74440.pdf"):
            assert not re.search(r"Page \d+ of \d+", page.body), page.number


class TestTags:
    """74440.pdf tags headings, lists and tables, headings in order, page furniture left out."""

    def test_structure_types(self, sample_build):
        types = {element.type for element in structure(sample_build / "74440.pdf").walk()}
        wanted = {"/H1", "/H2", "/H3", "/P", "/L", "/LI", "/Table", "/TR", "/TH", "/TD"}
        assert wanted <= types, f"missing {sorted(wanted - types)}"

    def test_headings_in_order_without_skipping_levels(self, sample_build):
        path = sample_build / "74440.pdf"
        pages = read_pages(path)
        headings = [
            (int(e.type[2]), e.text(pages))
            for e in structure(path).walk()
            if re.fullmatch(r"/H[1-6]", e.type)
        ]
        assert headings and headings[0] == (1, heading("74440")), headings[:2]
        for (level, _), (next_level, text) in itertools.pairwise(headings):
            assert next_level <= level + 1, f"{text!r} skips from H{level} to H{next_level}"
        assert in_order([text for _, text in headings], OUTLINE), headings

    def test_tables_have_header_cells(self, sample_build):
        path = sample_build / "74440.pdf"
        pages = read_pages(path)
        tables = [e for e in structure(path).walk() if e.type == "/Table"]
        assert tables
        for table in tables:
            cells = [e for e in table.walk() if e.type in ("/TH", "/TD")]
            assert any(e.type == "/TH" for e in cells), table.text(pages)[:80]
        modifier_table = next(t for t in tables if "When to Use" in t.text(pages))
        header = [e.text(pages) for e in modifier_table.walk() if e.type == "/TH"]
        assert header[:3] == ["Modifier", "Description", "When to Use"]

    def test_running_heads_are_artifacts(self, sample_build):
        """Running heads and feet are /Artifact: no structure element claims their text."""
        path = sample_build / "74440.pdf"
        pages = read_pages(path)
        tagged = structure(path).all_content()
        tagged_text = [pages[page].by_mcid.get(mcid, "") for page, mcid in tagged]
        numbers = [text for text in tagged_text if re.search(r"Page \d+ of", text)]
        assert not numbers, f"page numbers tagged as content: {numbers}"
        claimed = parent_tree(path)
        margin_top, margin_bottom = page_margins()
        for index, page in enumerate(pages):
            # Text drawn inside an SVG figure is placed in the SVG's own coordinate system,
            # which this position test does not model: the figure's tag places it instead.
            furniture = [
                f
                for f in page.fragments
                if f.top is not None
                and claimed.get((index, f.mcid)) != "/Figure"
                and (f.top < margin_top or f.top > page.height - margin_bottom)
            ]
            assert furniture, f"page {page.number} has no running head or foot"
            owned = [
                (f.text, claimed[index, f.mcid]) for f in furniture if (index, f.mcid) in claimed
            ]
            assert not owned, f"page {page.number}: running head/foot claimed by {owned}"
            assert all(f.artifact for f in furniture), (
                f"page {page.number}: running head/foot not marked /Artifact: "
                f"{[f.text for f in furniture if not f.artifact]}"
            )

    @pytest.mark.parametrize("name", ["74440.pdf", "volume.pdf"])
    def test_all_tagged_content_is_in_the_tree(self, sample_build, sample_volume, name):
        """Every marked-content id on a page belongs to an element reachable from the root."""
        path = built(sample_build, sample_volume, name)
        pages = read_pages(path)
        used = {
            (index, f.mcid)
            for index, page in enumerate(pages)
            for f in page.fragments
            if f.mcid is not None and f.text.strip()
        }
        orphans = sorted(used - set(structure(path).all_content()))
        assert not orphans, (
            f"{len(orphans)} marked-content sequences outside the structure tree, e.g. "
            f"{[(page + 1, pages[page].by_mcid[mcid]) for page, mcid in orphans[:4]]}"
        )


@cache
def parent_tree(path: Path) -> dict[tuple[int, int], str]:
    """Return the structure type the ParentTree gives each (page index, MCID)."""
    claimed = {}
    with pikepdf.open(path) as pdf:
        tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        for index, page in enumerate(pdf.pages):
            if "/StructParents" not in page.obj:
                continue
            for mcid, element in enumerate(tree[int(page.obj.StructParents)]):
                if isinstance(element, pikepdf.Dictionary):
                    claimed[index, mcid] = str(element.get("/S"))
    return claimed


def sections(path: Path) -> dict[str, str]:
    """Return the body text under each outline heading of a report, up to the next heading."""
    lines = body_lines(path)
    found: dict[str, int] = {}
    start = 0
    for title in OUTLINE:
        index = next((i for i in range(start, len(lines)) if lines[i] == title), None)
        assert index is not None, f"no heading line {title!r} after line {start}"
        found[title] = index
        start = index + 1
    bounds = [*found.items(), ("", len(lines))]
    return {
        title: " ".join(lines[begin + 1 : bounds[i + 1][1]])
        for i, (title, begin) in enumerate(bounds[:-1])
    }


class TestMissingData:
    """55300.pdf notes "Data not available in the source." in each empty section, lists the gaps."""

    def test_empty_sections_say_so(self, sample_build):
        parts = sections(sample_build / "55300.pdf")
        for title in (
            "Summary & Overview",
            "Billing Code Overview",
            "Clinical Context",
            "Coding Specifications",
            "References",
        ):
            assert NOT_AVAILABLE in parts[title], (title, parts[title])

    def test_sections_with_data_do_not(self, sample_build):
        parts = sections(sample_build / "55300.pdf")
        for title in ("Benchmarks", "Policy & Coding Considerations"):
            assert NOT_AVAILABLE not in parts[title], (title, parts[title])
        assert "not applicable (NA)" in parts["Policy & Coding Considerations"]

    def test_payers_without_data_are_named_in_one_line(self, sample_build):
        coverage = sections(sample_build / "55300.pdf")["Payer Coverage"]
        names = ", ".join(payer["name"] for payer in publication()["payers"])
        assert coverage.startswith(NOT_AVAILABLE), coverage
        assert f"No coverage information in this edition for: {names}." in coverage
        assert coverage.count(NOT_AVAILABLE) == 1

    def test_data_availability_lists_the_missing_items(self, sample_build):
        listing = sections(sample_build / "55300.pdf")["Data availability"]
        payers = ", ".join(payer["name"] for payer in publication()["payers"])
        assert "holds data for 4 of the 19 items of the outline" in listing
        for line in (
            "Summary & Overview.",
            "Billing Code Overview: Description, Service type, Typical site of service.",
            "Clinical Context: Clinical vignette, Personnel, Settings.",
            "Coding Specifications: Modifiers, Diagnoses.",
            f"Payer Coverage: {payers}.",
            "References.",
        ):
            assert line in listing, (line, listing)
        for item in ("Related codes", "Benchmarks"):
            assert item not in listing, item

    def test_full_report_lists_only_its_gaps(self, sample_build):
        listing = sections(sample_build / "74440.pdf")["Data availability"]
        assert "Coding Specifications: Diagnoses." in listing
        assert "Summary" not in listing and "Modifiers" not in listing


def report_start_pages(path: Path) -> dict[str, int]:
    """Return the page (1-based) where each report's heading opens its first page."""
    pages = read_pages(path)
    starts = {}
    for code in codes():
        wanted = phrase(heading(code))
        for page in pages:
            lines = [squash(line) for line in page.body.splitlines() if line.strip()]
            opening = " ".join(lines[:4])
            match = wanted.search(opening)
            # Not a contents line: dotted leaders (if extracted as text) and a page number.
            if match and not re.match(r"[ .]*\d+\b", opening[match.end() :]):
                starts[code] = page.number
                break
    return starts


class TestVolume:
    """volume.pdf: cover, contents citing each report's first folio, every report in code order."""

    def test_cover(self, sample_volume):
        first = squash(read_pages(sample_volume)[0].body)
        assert publication()["title"] in first
        assert all(heading(code) not in first for code in codes())

    def test_contents_cites_each_report_first_folio(self, sample_volume):
        path = sample_volume
        pages = read_pages(path)
        contents = next((p for p in pages if body_first_line(p) == "Contents"), None)
        assert contents is not None, "no page opens with Contents"
        text = squash(contents.body)
        starts = report_start_pages(path)
        assert sorted(starts) == codes(), starts
        listed = []
        for code in codes():
            match = re.search(phrase(heading(code)).pattern + r"[ .]*?(\w+-\d+)\b", text)
            assert match, f"{heading(code)} not in the contents: {text}"
            listed.append((match.start(), code))
            assert match[1] == f"{code}-1", (code, match[1])
            assert contents.number < starts[code]
        assert [code for _, code in sorted(listed)] == codes()

    def test_reports_in_code_order(self, sample_volume):
        starts = report_start_pages(sample_volume)
        assert sorted(starts, key=starts.get) == codes()

    def test_reports_keep_their_pages(self, sample_build, sample_volume):
        """Each report's pages follow the front matter unchanged: same count, same text."""
        pages = read_pages(sample_volume)
        starts = report_start_pages(sample_volume)
        reports = {code: read_pages(sample_build / f"{code}.pdf") for code in codes()}
        assert len(pages) == starts[codes()[0]] - 1 + sum(len(r) for r in reports.values())
        for code, own in reports.items():
            copied = pages[starts[code] - 1 : starts[code] - 1 + len(own)]
            assert [p.text for p in copied] == [p.text for p in own], code

    def test_page_count_matches_the_manifest(self, sample_build):
        manifest = json.loads((sample_build / "manifest.json").read_text(encoding="utf-8"))
        entry = next(f for f in manifest["files"] if f["path"] == "volume.pdf")
        assert entry["pages"] == len(pypdf.PdfReader(sample_build / "volume.pdf").pages)
        report_pages = sum(len(read_pages(sample_build / f"{c}.pdf")) for c in codes())
        assert entry["pages"] > report_pages  # the cover and contents come on top


def body_first_line(page: Page) -> str:
    """Return the first non-empty line of a page's body."""
    return next((squash(line) for line in page.body.splitlines() if line.strip()), "")


class TestBenchmarks:
    """The 74440 report shows the figures imported from the CMS file, by component.

    The file's release is given as their source, and the payments are marked as computed.
    """

    def benchmarks(self, sample_build: Path) -> str:
        return sections(sample_build / "74440.pdf")["Benchmarks"]

    def component(self, sample_build: Path, name: str) -> str:
        """Return the benchmark table's text from one component's group label to the next.

        The chart's labels (the same component names) come earlier or in between in the
        extracted text; a group label in the table is followed by its fee-schedule status.
        """
        table = self.benchmarks(sample_build)
        starts = [
            table.index(f"{label} Status A: active code")
            for label in (
                "Global",
                "Professional component (modifier 26)",
                "Technical component (modifier TC)",
            )
        ]
        ends = [*starts[1:], table.index("[1] 2022")]
        parts = (table[a:b] for a, b in zip(starts, ends, strict=True))
        return dict(zip(("global", "26", "TC"), parts, strict=True))[name]

    @pytest.mark.parametrize(
        "component,label,value",
        [
            ("global", "Work RVU", "0.38"),
            ("global", "Total non-facility RVU", "2.96"),
            ("global", "Conversion factor", "$34.6062"),
            ("26", "Total RVU", "0.52"),
            ("TC", "Total non-facility RVU", "2.44"),
        ],
    )
    def test_figures(self, sample_build, component: str, label: str, value: str):
        # The publication is effective 2026-11-01: figures of 2022 print their date.
        text = self.component(sample_build, component)
        assert re.search(
            rf"(?<![\w-]){re.escape(label)} \(as of January 1, 2022\) {re.escape(value)}(?!\d)",
            text,
        ), text

    def test_facility_figures_the_file_marks_na_are_left_out(self, sample_build):
        assert "Facility practice expense" not in self.component(sample_build, "global")
        assert "Total facility RVU" not in self.benchmarks(sample_build)

    def test_source_is_the_files_release(self, sample_build):
        table = self.benchmarks(sample_build)
        release = (
            "2022 National Physician Fee Schedule Relative Value File January Release, "
            "released 12/15/2021"
        )
        assert f"[1] {release}; figures as of January 1, 2022." in table
        assert f"[2] Computed from the {release}; figures as of January 1, 2022." in table

    def test_computed_payment_is_labelled_computed(self, sample_build):
        table = self.benchmarks(sample_build)
        assert f"${round(2.96 * 34.6062, 2):.2f}" == "$102.43"
        assert re.search(
            r"payment \(computed: 2\.96 total RVU × \$34\.6062\) \(as of January 1, 2022\) "
            r"\$102\.43 \[2\]",
            table,
        )
        assert re.search(
            r"payment \(computed: 0\.52 total RVU × \$34\.6062\) \(as of January 1, 2022\) "
            r"\$18\.00 \[2\]",
            self.component(sample_build, "26"),
        )


class TestIndicators:
    """The Billing Code Overview shows the imported fee-schedule indicators and their meaning."""

    def test_74440(self, sample_build):
        overview = sections(sample_build / "74440.pdf")["Billing Code Overview"]
        assert (
            "Fee schedule indicators Status: A (active code, paid separately under the "
            "physician fee schedule)" in overview
        )
        assert "Global period: XXX (the global surgery concept does not apply)" in overview
        assert (
            "PC/TC indicator: 1 (diagnostic test or radiology service with professional "
            "(26) and technical (TC) components)" in overview
        )

    def test_55300(self, sample_build):
        overview = sections(sample_build / "55300.pdf")["Billing Code Overview"]
        assert (
            "Global period: 000 (procedure with related services on the day of the "
            "procedure only)" in overview
        )
        assert "PC/TC indicator: 0 (physician service; the PC/TC split does not apply)" in overview
