"""Accessibility and archiving: header scopes, page labels, artifacts and the PDF/A-3b variant.

PDFs come from the session's build of the sample sources (`sample_build`, PDF/UA-1) and
from two builds of 74440 with `--pdf-variant pdf/a-3b`. Text is read with pypdf, the
structure tree with pikepdf.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pikepdf
import pydyf
import pypdf
import pytest
from conftest import SAMPLE_SOURCES
from weasyprint import HTML

from report.build import BuildOptions, build
from report.errors import UsageError
from report.render.provenance import stamp_pdf
from report.render.tagging import finisher, scope_table_headers, walk_structure
from report.stamp import Stamp

PAGE_OF = re.compile(r"Page (\d+) of (\d+)")
# A report page's folio, then its page within the report: `74440-2 · Page 2 of 5`.
FOLIO = re.compile(r"(\w+)-(\d+) · Page (\d+) of \d+")


# ---------------------------------------------------------------------------------------
# Reading a PDF back


@dataclass
class PageText:
    """One page's text: all of it, what lies in /Artifact content, and the text of each MCID."""

    text: str
    artifact: str
    by_mcid: dict[int, str] = field(default_factory=dict)


@cache
def page_texts(path: Path) -> list[PageText]:
    """Return every page's text, split by marked content."""
    pages = []
    for page in pypdf.PdfReader(path).pages:
        stack: list[tuple[str, int | None]] = []
        artifact: list[str] = []
        by_mcid: dict[int, str] = {}

        def before(operator, args, cm, tm, stack=stack):
            if operator == b"BDC":
                props = args[1] if len(args) > 1 else None
                mcid = props.get("/MCID") if isinstance(props, dict) else None
                stack.append((str(args[0]), None if mcid is None else int(mcid)))
            elif operator == b"BMC":
                stack.append((str(args[0]), None))
            elif operator == b"EMC" and stack:
                stack.pop()

        def visit(text, cm, tm, font, size, stack=stack, artifact=artifact, by_mcid=by_mcid):
            if any(tag == "/Artifact" for tag, _ in stack):
                artifact.append(text)
            mcid = next((m for _, m in reversed(stack) if m is not None), None)
            if mcid is not None:
                by_mcid[mcid] = by_mcid.get(mcid, "") + text

        text = page.extract_text(visitor_operand_before=before, visitor_text=visit)
        pages.append(PageText(text, "".join(artifact), by_mcid))
    return pages


@dataclass
class Node:
    """One structure element: its type, its attribute objects, its content and children."""

    type: str
    attributes: list[dict[str, str]]
    content: list[tuple[int, int]]  # (page index, MCID)
    children: list[Node]

    def walk(self):
        """Yield this element and every descendant in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def text(self, pages: list[PageText]) -> str:
        """Return the text of every marked-content sequence under this element."""
        parts = [
            pages[page].by_mcid.get(mcid, "") for node in self.walk() for page, mcid in node.content
        ]
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    def scope(self) -> str | None:
        """Return the /Scope of this element's /Table attribute object, if any."""
        return next((a.get("/Scope") for a in self.attributes if a.get("/O") == "/Table"), None)


@cache
def structure(path: Path) -> Node:
    """Return the structure tree of a tagged PDF."""
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}

        def listed(value) -> list:
            if value is None:
                return []
            return list(value) if isinstance(value, pikepdf.Array) else [value]

        def convert(node, page: int | None) -> Node:
            if "/Pg" in node:
                page = index[node.Pg.objgen]
            attributes = [
                {str(k): str(v) for k, v in a.items()}
                for a in listed(node.get("/A"))
                if isinstance(a, pikepdf.Dictionary)
            ]
            result = Node(str(node.get("/S", "/StructTreeRoot")), attributes, [], [])
            for kid in listed(node.get("/K")):
                if isinstance(kid, int):
                    result.content.append((page, int(kid)))
                elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    result.children.append(convert(kid, page))
                elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                    kid_page = index[kid.Pg.objgen] if "/Pg" in kid else page
                    result.content.append((kid_page, int(kid.MCID)))
            return result

        return convert(pdf.Root.StructTreeRoot, None)


def header_cells(table: Node) -> list[tuple[str, str, str | None]]:
    """Return (row group, text, scope) for each /TH of a /Table, in order."""
    found = []
    for group in table.children:
        for row in (r for r in group.walk() if r.type == "/TR"):
            found += [
                (group.type, cell, cell.scope()) for cell in row.children if cell.type == "/TH"
            ]
    return found


# ---------------------------------------------------------------------------------------
# Builds


@pytest.fixture(scope="module")
def pdfa_builds(cli, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the sample (its reports and volume) twice with --pdf-variant pdf/a-3b."""
    outs = []
    for _ in range(2):
        out = tmp_path_factory.mktemp("pdfa")
        result = cli(
            "build",
            "--sources",
            str(SAMPLE_SOURCES),
            "--out",
            str(out),
            "--pdf-variant",
            "pdf/a-3b",
        )
        assert result.code == 0, result.stderr
        outs.append(out)
    return outs[0], outs[1]


# ---------------------------------------------------------------------------------------
# Tests


class TestTableHeaderScope:
    """Every /TH carries /Scope in its /Table attributes.

    Its value is /Column for column heads, /Row for row heads.
    """

    def test_modifier_table_scopes(self, sample_build):
        """The modifier table's head cells are /Column and its row headers (the modifiers) /Row."""
        path = sample_build / "74440.pdf"
        pages = page_texts(path)
        table = next(
            t
            for t in structure(path).walk()
            if t.type == "/Table" and "When to Use" in t.text(pages)
        )
        cells = header_cells(table)
        head = [(cell.text(pages), scope) for group, cell, scope in cells if group == "/THead"]
        body = [(cell.text(pages), scope) for group, cell, scope in cells if group == "/TBody"]
        assert head[:3] == [
            ("Modifier", "/Column"),
            ("Description", "/Column"),
            ("When to Use", "/Column"),
        ]
        assert body, "the modifier table has no row headers"
        assert all(scope == "/Row" for _, scope in body), body

    @pytest.mark.parametrize("name", ["74440.pdf", "volume.pdf"])
    def test_every_header_cell_has_a_scope_and_keeps_its_attributes(self, sample_build, name):
        """No /TH is left without /Scope, and WeasyPrint's own /ColSpan stays beside it."""
        headers = [n for n in structure(sample_build / name).walk() if n.type == "/TH"]
        assert headers
        missing = [n.attributes for n in headers if n.scope() not in ("/Column", "/Row")]
        assert not missing, missing[:3]
        spanning = [n for n in headers if any("/ColSpan" in a for a in n.attributes)]
        assert spanning, "no spanning group label row: the benchmark table changed?"
        assert all(n.scope() == "/Column" for n in spanning)

    def test_existing_attributes_are_merged(self):
        """A /TH with other attribute objects gets /Scope added beside them, nothing dropped."""
        pdf = pydyf.PDF()

        def element(kind: str, parent, **extra) -> pydyf.Dictionary:
            node = pydyf.Dictionary({"Type": "/StructElem", "S": kind, "K": pydyf.Array(), **extra})
            pdf.add_object(node)
            if parent is not None:
                node["P"] = parent.reference
                parent["K"].append(node.reference)
            return node

        root = element("/StructTreeRoot", None)
        table = element("/Table", root)
        row = element("/TR", element("/TBody", table))
        layout = pydyf.Dictionary({"O": "/Layout", "Placement": "/Block"})
        in_array = element("/TH", row, A=pydyf.Array([layout, 0]))
        shared = pydyf.Dictionary({"O": "/Table", "Headers": pydyf.Array([b"(x)"])})
        own = element("/TH", row, A=shared)
        other = element("/TH", row, A=pydyf.Dictionary({"O": "/Layout"}))
        element("/TD", row)

        scope_table_headers(pdf, list(walk_structure(pdf, root)))

        assert in_array["A"][0]["Placement"] == "/Block" and in_array["A"][1] == 0
        assert in_array["A"][2]["O"] == "/Table" and in_array["A"][2]["Scope"] == "/Row"
        assert own["A"]["Scope"] == "/Row" and own["A"]["Headers"] == [b"(x)"]
        assert "Scope" not in shared, "a shared attribute object was changed in place"
        assert [a["O"] for a in other["A"]] == ["/Layout", "/Table"]
        assert other["A"][1]["Scope"] == "/Row"


class TestPageLabels:
    """Every PDF labels its pages as they print them: a report's `CODE-N · Page N of M`."""

    def test_volume_labels_follow_each_part(self, sample_build):
        """In the volume, front matter pages are 1..F and a report's pages CODE-1..CODE-M."""
        path = sample_build / "volume.pdf"
        labels = pypdf.PdfReader(path).page_labels
        printed = [PAGE_OF.search(page.text) for page in page_texts(path)]
        assert all(printed), [i + 1 for i, m in enumerate(printed) if not m]
        assert [label.rsplit("-", 1)[-1] for label in labels] == [m[1] for m in printed]
        reports = [label.split("-")[0] for label in labels if "-" in label]
        assert reports == sorted(reports) and set(reports) == {"55300", "74440"}

    @pytest.mark.parametrize("name", ["74440.pdf"])
    def test_labels_follow_the_printed_numbers(self, sample_build, name):
        """Page i is labelled CODE-(i+1), the folio it prints before its `Page N of M`."""
        path = sample_build / name
        with pikepdf.open(path) as pdf:
            assert "/PageLabels" in pdf.Root
        labels = pypdf.PdfReader(path).page_labels
        code = name.removesuffix(".pdf")
        assert labels == [f"{code}-{i + 1}" for i in range(len(labels))], labels
        printed = [FOLIO.search(page.text) for page in page_texts(path)]
        assert all(printed), [i + 1 for i, m in enumerate(printed) if not m]
        assert labels == [f"{m[1]}-{m[2]}" for m in printed]
        assert all(m[2] == m[3] for m in printed)


class TestPdfA3b:
    """`--pdf-variant pdf/a-3b` gives a tagged, reproducible PDF/A-3b with the same metadata."""

    def test_conformance_claims(self, sample_build, pdfa_builds):
        """The PDF/A-3b build claims PDF/A-3B and PDF/UA-1; the default build PDF/UA-1 alone."""
        with pikepdf.open(pdfa_builds[0] / "74440.pdf") as pdf:
            assert pdf.open_metadata().pdfa_status == "3B"
            assert pdf.open_metadata().get("pdfuaid:part") == "1"
            assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
            assert "/DestOutputProfile" in pdf.Root.OutputIntents[0]
            assert len(pdf.trailer.ID) == 2
        with pikepdf.open(sample_build / "74440.pdf") as pdf:
            meta = pdf.open_metadata()
            assert meta.pdfa_status == ""
            assert meta.get("pdfuaid:part") == "1"

    def test_tagged_with_artifacts_scopes_and_labels(self, pdfa_builds):
        """It keeps the structure tree, header scopes, page labels and /Artifact running feet."""
        path = pdfa_builds[0] / "74440.pdf"
        with pikepdf.open(path) as pdf:
            assert "/StructTreeRoot" in pdf.Root
            assert pdf.Root.MarkInfo.Marked
        tree = structure(path)
        assert {"/H1", "/Table", "/TH"} <= {n.type for n in tree.walk()}
        assert all(n.scope() for n in tree.walk() if n.type == "/TH")
        pages = page_texts(path)
        assert pypdf.PdfReader(path).page_labels == [f"74440-{i + 1}" for i in range(len(pages))]
        for number, page in enumerate(pages, start=1):
            assert PAGE_OF.search(page.artifact), f"page {number}: running foot not an artifact"
            tagged = " ".join(page.by_mcid.values())
            assert not PAGE_OF.search(tagged), f"page {number}: page number tagged as content"

    def test_same_metadata_as_the_default(self, sample_build, pdfa_builds):
        """Title, author, subject, keywords, dates and language are those of the PDF/UA-1 build."""
        keys = ("/Title", "/Author", "/Subject", "/Keywords", "/CreationDate", "/ModDate")
        found = []
        for path in (sample_build / "74440.pdf", pdfa_builds[0] / "74440.pdf"):
            with pikepdf.open(path) as pdf:
                found.append(
                    ({k: str(pdf.docinfo[k]) for k in keys if k in pdf.docinfo}, str(pdf.Root.Lang))
                )
        assert found[0][0].keys() == set(keys)
        assert found[0] == found[1]

    def test_reproducible(self, pdfa_builds):
        """Two builds give the same bytes, report and volume."""
        first, second = pdfa_builds
        for name in ("74440.pdf", "volume.pdf", "manifest.json"):
            assert (first / name).read_bytes() == (second / name).read_bytes(), name

    def test_release_stamp_keeps_pdfa(self):
        """The pikepdf pass that stamps a release keeps WeasyPrint's XMP, output intent and /ID."""
        html = (
            "<html lang='en'><title>T</title><table><thead><tr><th>A</th></tr></thead>"
            "<tbody><tr><th scope='row'>B</th></tr></tbody></table></html>"
        )
        raw = HTML(string=html).write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_tags=True,
            pdf_identifier=b"0" * 32,
            finisher=finisher("pdf/a-3b"),
        )
        stamp = Stamp("9.9.9", (), "2026-11-01")
        stamped = stamp_pdf(raw, stamp)
        with pikepdf.open(io.BytesIO(raw)) as before, pikepdf.open(io.BytesIO(stamped)) as after:
            xmp = after.Root.Metadata.read_bytes()
            assert xmp.replace(b"<xmpMM:VersionID>9.9.9</xmpMM:VersionID>", b"") != xmp
            assert after.pdf_version == before.pdf_version == "1.7"
            assert bytes(after.trailer.ID[0]) == bytes(before.trailer.ID[0])
            intent, kept = before.Root.OutputIntents[0], after.Root.OutputIntents[0]
            assert kept.DestOutputProfile.read_bytes() == intent.DestOutputProfile.read_bytes()
            assert {k: v for k, v in after.docinfo.items() if k != "/Version"} == dict(
                before.docinfo.items()
            )
            assert after.open_metadata().pdfa_status == "3B"
            assert after.open_metadata().get("pdfuaid:part") == "1"
            assert "/Filter" not in after.Root.Metadata  # qpdf leaves an XMP packet plain
        assert stamp_pdf(raw, stamp) == stamped


class TestUnknownVariant:
    """An unknown PDF variant is a usage error: exit 2 and a message, nothing written."""

    def test_command_line(self, cli, tmp_path: Path) -> None:
        """`--pdf-variant pdf/x-4` exits 2 naming the choices, before building anything."""
        result = cli(
            "build",
            "--sources",
            str(SAMPLE_SOURCES),
            "--out",
            "out",
            "--pdf-variant",
            "pdf/x-4",
            cwd=tmp_path,
        )

        assert result.code == 2
        assert "Traceback" not in result.stderr
        assert "--pdf-variant" in result.stderr and "pdf/x-4" in result.stderr
        assert "pdf/ua-1" in result.stderr and "pdf/a-3b" in result.stderr
        assert not (tmp_path / "out").exists()

    def test_build(self, tmp_path: Path) -> None:
        """report.build.build refuses it with a UsageError before reading any source."""
        with pytest.raises(UsageError, match="unknown PDF variant pdf/x-4"):
            build(tmp_path / "nowhere", tmp_path / "out", BuildOptions(variant="pdf/x-4"))
        assert not (tmp_path / "out").exists()
