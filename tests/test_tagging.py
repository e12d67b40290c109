"""What the finisher and the signature add to WeasyPrint's tagging, one small document each.

Each case is rendered with WeasyPrint and the builder's finisher (report/render/tagging.py),
read back with pikepdf, and held to the independent validator (tests/validation.py): list
items hold only /Lbl and /LBody, every link annotation sits in its /Link and prints, the
XMP packet is unfiltered and claims what the variant is, and a release signature's field
is a described /Form in the structure tree; a Markdown text's headings nest below the
heading of the template they sit under; and no stream ends with CR before the LF that
precedes endstream (PDF/A's length rule would count one byte less).
"""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path

import pikepdf
import pydyf
import pytest
from conftest import SIGNING_PASSPHRASE, SigningKey
from validation import variant_failures
from weasyprint import HTML

from report.release.embedded import PdfSources, run_length_decoded
from report.release.sign import SIGNATURE_FIELD, load_key, sign_pdf
from report.render.html import render_markdown
from report.render.provenance import run_length, stamp_pdf
from report.render.streams import stream_bytes, written_streams
from report.render.tagging import finisher
from report.render.xmp import claim_pdfua
from report.stamp import Attachment, Stamp
from report.volume.format import stream_end

VARIANTS = ["pdf/ua-1", "pdf/a-3b"]


def render(html: str, variant: str = "pdf/ua-1") -> bytes:
    """Render an HTML body to a tagged PDF of variant, finished as the builder finishes it."""
    document = f"<html lang='en'><title>Case</title><body>{html}</body></html>"
    return HTML(string=document).write_pdf(
        pdf_variant=variant,
        pdf_tags=True,
        pdf_identifier=b"0" * 32,
        finisher=finisher(variant),
    )


def conforms(data: bytes, variant: str, tmp_path: Path) -> list[str]:
    """Return the validator's failures for the PDF data, for every profile variant claims."""
    path = tmp_path / "case.pdf"
    path.write_bytes(data)
    return variant_failures(path, variant)


def elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Return every structure element, in document order."""
    found: list[pikepdf.Dictionary] = []

    def walk(node: pikepdf.Object) -> None:
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(kid)
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return found


def parent_tree(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    """Return the ParentTree as a dictionary, its /Kids followed."""
    found: dict[int, pikepdf.Object] = {}

    def walk(node: pikepdf.Dictionary) -> None:
        nums = node.get("/Nums", [])
        found.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
        for kid in node.get("/Kids", []):
            walk(kid)

    walk(pdf.Root.StructTreeRoot.ParentTree)
    return found


class TestListBodies:
    """Everything under an /LI but its label sits in an /LBody, in the order written."""

    @pytest.mark.parametrize(
        "html",
        [
            "<ul><li><p>alpha</p></li></ul>",  # a Markdown item: a paragraph in the item
            "<ul><li><p>alpha</p><p>beta</p></li></ul>",  # a loose item of two paragraphs
            "<ol><li>alpha <p>beta</p></li></ol>",  # text, then a block
            "<ul><li><p>alpha</p><ul><li><p>beta</p></li></ul></li></ul>",  # nested
            "<ul style='list-style: none'><li><p>alpha</p><p>beta</p></li></ul>",  # no marker
            "<dl><dt>alpha</dt><dd><p>beta</p></dd></dl>",
        ],
    )
    @pytest.mark.parametrize("variant", VARIANTS)
    def test_items_hold_labels_and_bodies(self, html: str, variant: str, tmp_path: Path) -> None:
        data = render(html, variant)
        with pikepdf.open(io.BytesIO(data)) as pdf:
            found = elements(pdf)
            items = [e for e in found if e.S == "/LI"]
            assert items
            for item in items:
                kinds = [str(k.S) for k in item.K if isinstance(k, pikepdf.Dictionary)]
                assert set(kinds) <= {"/Lbl", "/LBody"} and "/LBody" in kinds, kinds
                for kid in item.K:
                    assert kid.P.objgen == item.objgen
            bodies = [e for e in found if e.S == "/LBody"]
            for body in bodies:
                for kid in body.K:
                    if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                        assert kid.P.objgen == body.objgen
            paragraphs = [e for e in found if e.S == "/P"]
            assert all(str(p.P.S) in ("/LBody", "/NonStruct") for p in paragraphs)
        assert conforms(data, variant, tmp_path) == []


class TestNestedListOrder:
    """A list nested in a Markdown list item is read where the text has it, in its item."""

    @pytest.mark.parametrize("variant", VARIANTS)
    @pytest.mark.parametrize(
        ("text", "order"),
        [
            # A paragraph, a nested list (its item a heading), then a quote, in one item.
            ("- alpha\n\n  - # beta\n\n  > gamma", ["/P", "/H3", "/BlockQuote", "/P"]),
            # An item that opens with a nested list, then a heading after it.
            ("- - # alpha\n\n  ## beta", ["/H3", "/H4"]),
        ],
    )
    def test_in_order(self, text: str, order: list[str], variant: str, tmp_path: Path) -> None:
        data = render(
            f"<h1>Case</h1><h2>Section</h2><ul><li>{render_markdown(text)}</li></ul>", variant
        )
        with pikepdf.open(io.BytesIO(data)) as pdf:
            kinds = [str(e.S) for e in elements(pdf) if str(e.S) in set(order)]
        assert kinds == order
        assert conforms(data, variant, tmp_path) == []


class TestLinkAnnotations:
    """Every link annotation's reference sits in a /Link element, and every annotation prints."""

    @pytest.mark.parametrize(
        "html",
        [
            "<p><a href='https://example.org/'>plain</a></p>",
            "<p><a href='https://example.org/'><span>in</span> <em>spans</em></a></p>",
            # A volume contents line: a block link around a title and a page number.
            "<ol style='list-style: none'><li><a href='#t' style='display: block'>"
            "<span>Title</span> <span>3</span></a></li></ol><h1 id='t'>Title</h1>",
        ],
    )
    @pytest.mark.parametrize("variant", VARIANTS)
    def test_in_link_and_printed(self, html: str, variant: str, tmp_path: Path) -> None:
        data = render(html, variant)
        with pikepdf.open(io.BytesIO(data)) as pdf:
            keys = parent_tree(pdf)
            annotations = [a for page in pdf.pages for a in page.get("/Annots", [])]
            assert annotations
            for annotation in annotations:
                assert int(annotation.F) == 4
                element = keys[int(annotation.StructParent)]
                assert element.S == "/Link"
                referenced = [
                    k.Obj.objgen
                    for k in element.K
                    if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"
                ]
                assert annotation.objgen in referenced
            for element in elements(pdf):
                if element.S != "/Link":
                    kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                    assert not any(
                        isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"
                        for k in kids
                    ), element.S
        assert conforms(data, variant, tmp_path) == []


class TestMetadata:
    """The XMP packet is stored unfiltered and claims what the variant is."""

    @pytest.mark.parametrize(
        ("variant", "pdfa", "extension"), [("pdf/ua-1", "", False), ("pdf/a-3b", "3B", True)]
    )
    def test_claims(self, variant: str, pdfa: str, extension: bool) -> None:
        with pikepdf.open(io.BytesIO(render("<p>x</p>", variant))) as pdf:
            stream = pdf.Root.Metadata
            assert "/Filter" not in stream
            assert stream.read_raw_bytes().startswith(b"<?xpacket begin=")
            meta = pdf.open_metadata()
            assert meta.pdfa_status == pdfa
            assert meta.get("pdfuaid:part") == "1"
            declared = b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in stream.read_bytes()
            assert declared == extension

    def test_claim_added_once(self) -> None:
        packet = b"<x:xmpmeta><rdf:RDF></rdf:RDF></x:xmpmeta>"
        claimed = claim_pdfua(packet)
        assert claimed.count(b'pdfuaid:part="1"') == 1
        assert claim_pdfua(claimed) == claimed

    def test_packet_without_rdf(self) -> None:
        with pytest.raises(ValueError) as raised:
            claim_pdfua(b"<x:xmpmeta/>")
        assert str(raised.value) == (
            "the XMP metadata has no rdf:RDF element to add the PDF/UA claim to"
        )


def split_parent_tree(data: bytes) -> bytes:
    """Return the PDF with its flat ParentTree split into /Kids leaves, as a volume writes it."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        tree = pdf.Root.StructTreeRoot.ParentTree
        nums = list(tree.Nums)
        leaves = pikepdf.Array()
        for start in range(0, len(nums), 4):
            pairs = nums[start : start + 4]
            leaves.append(
                pdf.make_indirect(
                    pikepdf.Dictionary(
                        Nums=pikepdf.Array(pairs), Limits=pikepdf.Array([pairs[0], pairs[-2]])
                    )
                )
            )
        del tree["/Nums"]
        tree.Kids = leaves
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


class TestSignatureField:
    """A release signature's field is a described /Form in the structure tree; metadata stays."""

    @pytest.mark.parametrize("variant", VARIANTS)
    @pytest.mark.parametrize("split", [False, True], ids=["flat", "kids"])
    def test_tagged_and_described(
        self, variant: str, split: bool, signing_key: SigningKey, tmp_path: Path
    ) -> None:
        data = render("<h1>Signed</h1><p><a href='https://example.org/'>link</a></p>", variant)
        data = split_parent_tree(data) if split else data
        key = load_key(signing_key.p12, SIGNING_PASSPHRASE)
        signed = sign_pdf(data, key, "9.9.9")
        assert signed.startswith(data)
        with pikepdf.open(io.BytesIO(data)) as before, pikepdf.open(io.BytesIO(signed)) as pdf:
            (field,) = pdf.Root.AcroForm.Fields
            assert str(field.T) == SIGNATURE_FIELD
            assert str(field.TU) == "Digital signature of release 9.9.9"
            keys = parent_tree(pdf)
            assert sorted(keys) == sorted([*parent_tree(before), max(parent_tree(before)) + 1])
            form = keys[int(field.StructParent)]
            assert form.S == "/Form" and str(form.Alt) == "Digital signature of release 9.9.9"
            assert form.K.Obj.objgen == field.objgen
            assert form.P.S == "/Document" and form.P.K[-1].objgen == form.objgen
            assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == int(field.StructParent) + 1
            # The update's cross-reference section is a table: it holds no stream.
            update = signed[len(data) :]
            assert b"\ntrailer" in update and b"endstream" not in update
            # The release's metadata, as released: the signing time is the signature's /M.
            assert pdf.Root.Metadata.read_bytes() == before.Root.Metadata.read_bytes()
            assert dict(pdf.docinfo.items()) == dict(before.docinfo.items())
        assert conforms(signed, variant, tmp_path) == []


class TestMarkdownHeadings:
    """A Markdown text's headings go below the heading it sits under, never skipping a level."""

    @pytest.mark.parametrize(
        ("under", "text", "levels"),
        [
            (2, "#### alone", ["h3"]),
            (2, "# a\n\n## b\n\n# c", ["h3", "h4", "h3"]),
            (2, "## a\n\n###### b\n\n### c", ["h3", "h4", "h4"]),
            (3, "# a\n## b\n### c\n#### d\n##### e", ["h4", "h5", "h6", "h6", "h6"]),
            (1, "### title block", ["h2"]),
            (2, "- item\n\n  # in a list", ["h3"]),
        ],
    )
    def test_levels(self, under: int, text: str, levels: list[str]) -> None:
        html = str(render_markdown(text, under))
        assert re.findall(r"<(h\d)>", html) == levels, html
        assert re.findall(r"</(h\d)>", html) == levels, html


class TestStreamEnds:
    """No stream the builder writes ends with CR right before the LF that precedes endstream."""

    @pytest.mark.parametrize(
        ("data", "end"), [(b"abc\r", b"abc\r\r\nendstream"), (b"abc", b"abc\nendstream")]
    )
    def test_weasyprint_streams(self, data: bytes, end: bytes) -> None:
        pdf = pydyf.PDF()
        pdf.add_object(pydyf.Stream([data]))
        out = io.BytesIO()
        with written_streams():
            pdf.write(out)
        assert end in out.getvalue()
        pdf.write(plain := io.BytesIO())  # outside, pydyf writes as it does
        assert data + b"\nendstream" in plain.getvalue()

    def test_compression_level(self) -> None:
        """A compressed stream is written at zlib's level 6, and reads back whole."""
        data = b"BT /F1 9 Tf (Seminal vesicles) Tj ET\n" * 200
        pdf = pydyf.PDF()
        pdf.add_object(pydyf.Stream([data], compress=True))
        with written_streams():
            pdf.write(out := io.BytesIO())
        written = out.getvalue()
        assert zlib.compress(data, 6) in written
        assert zlib.compress(data, 9) not in written

    def test_objects_made_once_per_file(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each stream is compressed once per file written, the file as if made twice."""
        data = b"BT /F1 9 Tf (Seminal vesicles) Tj ET\n" * 200

        def written() -> bytes:
            pdf = pydyf.PDF()
            pdf.add_object(pydyf.Stream([data], compress=True))
            pdf.add_object(pydyf.Dictionary({"Type": "/Example", "Count": 3}))
            pdf.write(out := io.BytesIO(), identifier=b"0123456789abcdef", compress=True)
            return out.getvalue()

        calls = []
        compressobj = zlib.compressobj
        monkeypatch.setattr(zlib, "compressobj", lambda **kw: calls.append(kw) or compressobj(**kw))
        with written_streams():
            once = written()
        made = len(calls)
        calls.clear()
        monkeypatch.setattr(pydyf.Stream, "data", property(stream_bytes))  # no bytes kept
        anew = written()
        assert (made, len(calls)) == (3, 5)
        assert once == anew

    @pytest.mark.parametrize(
        ("data", "end"), [(b"abc\r", b"\r\nendstream"), (b"abc", b"\nendstream")]
    )
    def test_volume_streams(self, data: bytes, end: bytes) -> None:
        assert stream_end(data) == end

    def test_release_stamp(self, tmp_path: Path) -> None:
        """Streams ending with CR are wrapped in /RunLengthDecode; the stamped file conforms.

        One is a stream of the PDF, the other an embedded source, which verify still reads.
        """
        rendered = render("<h1>Stamped</h1><p>text</p>", "pdf/a-3b")
        # Text whose compressed form ends with CR: its Adler-32 checksum's last byte is 13.
        text = next(t for n in range(256) if zlib.adler32(t := b"a" * n + b"\n") & 0xFF == 0x0D)
        source = b"code: '74440'\n# " + text
        source = next(s for n in range(256) if zlib.adler32(s := source + b"a" * n) & 0xFF == 0x0D)
        with pikepdf.open(io.BytesIO(rendered)) as pdf:
            extra = pikepdf.Stream(pdf, b"")
            extra.write(zlib.compress(text), filter=pikepdf.Name.FlateDecode)
            assert extra.read_raw_bytes().endswith(b"\r")
            pdf.Root.Extra = pdf.make_indirect(pikepdf.Dictionary(Data=extra))
            buffer = io.BytesIO()
            pdf.save(buffer, fix_metadata_version=False)
        attachment = Attachment("74440.yaml", "source", source)
        stamped = stamp_pdf(buffer.getvalue(), Stamp("9.9.9", (attachment,), "2026-11-01"))
        assert b"\r\nendstream" not in stamped
        specialized = pikepdf.StreamDecodeLevel.specialized
        with pikepdf.open(io.BytesIO(stamped)) as pdf:
            (spec,) = pdf.Root.AF
            for stream, data in ((pdf.Root.Extra.Data, text), (spec.EF.F, source)):
                assert list(stream.Filter) == ["/RunLengthDecode", "/FlateDecode"]
                assert stream.read_raw_bytes().endswith(b"\x80")
                assert stream.read_bytes(decode_level=specialized) == data
        assert PdfSources("74440.pdf", 2).read(io.BytesIO(stamped)) == [("74440.yaml", source)]
        assert conforms(stamped, "pdf/a-3b", tmp_path) == []

    @pytest.mark.parametrize(
        ("data", "decoded"),
        [
            (b"\x02abc\x80", b"abc"),
            (b"\xfex\x01yz\x80", b"xxxyz"),  # a run of 3, then 2 literal bytes
            (b"\x02ab", None),  # cut short
            (b"\x00a", None),  # no end of data
            (b"\x81x\x80", None),  # 128 bytes, past the limit of 100
        ],
    )
    def test_run_length_decoded(self, data: bytes, decoded: bytes | None) -> None:
        assert run_length_decoded(data, 100) == decoded

    def test_run_length(self) -> None:
        data = bytes(range(256)) * 3 + b"\r"
        encoded = run_length(data)
        assert encoded.endswith(b"\x80") and len(encoded) == len(data) + 8
        with pikepdf.new() as pdf:
            stream = pikepdf.Stream(pdf, b"")
            stream.write(encoded, filter=pikepdf.Name.RunLengthDecode)
            assert stream.read_bytes(decode_level=pikepdf.StreamDecodeLevel.specialized) == data
        assert run_length_decoded(encoded, len(data)) == data
