"""Stamp a release PDF with its version and embed its sources as associated files.

The HTML of a release document says both (report/templates/base.html.j2): a
`<meta name="version">` and one `<link rel="attachment" href="data:...">` per source
file, named by `data-name`. WeasyPrint would embed those links itself, but with the
clock's time as their dates, without a file name and, outside PDF/A-3, without an
/AFRelationship; so the renderer takes them from WeasyPrint (see pdf.py) and this
module embeds them in the finishing pass, the same input always giving the same bytes:

- each file as an /EmbeddedFile stream (MIME type, size, MD5 checksum, the document's
  date), in a /Filespec with /F, /UF, /Desc and /AFRelationship /Source, listed in the
  catalog's /Names /EmbeddedFiles name tree and in its /AF array (PDF 2.0 and PDF/A-3
  associated files);
- the version as /Version in the document information and as xmpMM:VersionID in the XMP
  metadata.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pikepdf

XMP_MM = "http://ns.adobe.com/xap/1.0/mm/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MIME_TYPE = "application/yaml"


@dataclass(frozen=True)
class Attachment:
    """A file to embed: its name in the PDF, a description and its bytes."""

    name: str
    description: str
    data: bytes


@dataclass(frozen=True)
class Stamp:
    """What the finishing pass adds to a release PDF."""

    version: str | None
    attachments: tuple[Attachment, ...]
    date: str  # the document's date, YYYY-MM-DD

    @property
    def pdf_date(self) -> str:
        """Return the date in PDF form, e.g. D:20261101000000Z."""
        return "D:" + self.date.replace("-", "") + "000000Z"


def _data_url(url: str) -> bytes:
    """Return the bytes of a base64 data: URL (the only kind release HTML uses)."""
    header, _, payload = url.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise ValueError(f"a release attachment must be a base64 data: URL, not {url[:40]}")
    return base64.b64decode(payload, validate=True)


class _AttachmentLinks(HTMLParser):
    """Collect the attributes of each `<link rel="attachment">` in an HTML head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and "attachment" in values.get("rel", "").split():
            self.links.append(values)


def take_stamp(html: str, document: Any) -> Stamp | None:
    """Read a release document's version and attachments; stop WeasyPrint embedding them.

    document is the weasyprint.Document laid out from html. Returns None for a document
    that is not part of a release.
    """
    version = document.metadata.custom.get("version")
    head = html[: html.find("</head>")] if "</head>" in html else html
    parser = _AttachmentLinks()
    if 'rel="attachment"' in head:
        parser.feed(head)
        parser.close()
    if version is None and not parser.links:
        return None
    document.metadata.attachments = []
    attachments = tuple(
        Attachment(
            link.get("data-name") or "attachment.yaml",
            link.get("title", ""),
            _data_url(link.get("href", "")),
        )
        for link in parser.links
    )
    return Stamp(version, attachments, document.metadata.modified or "")


def apply_stamp(pdf: pikepdf.Pdf, stamp: Stamp) -> None:
    """Write the version to the metadata and embed the attachments as associated files."""
    if stamp.version is not None:
        set_version(pdf, stamp.version)
    if stamp.attachments:
        embed(pdf, stamp.attachments, stamp.pdf_date)


def set_version(pdf: pikepdf.Pdf, version: str) -> None:
    """Put the version in the document information (/Version) and the XMP (xmpMM:VersionID)."""
    pdf.docinfo[pikepdf.Name.Version] = pikepdf.String(version)
    if "/Metadata" not in pdf.Root:
        return
    stream = pdf.Root.Metadata
    xml = stream.read_bytes()
    escaped = version.replace("&", "&amp;").replace("<", "&lt;")
    description = (
        f'<rdf:Description xmlns:rdf="{RDF}" xmlns:xmpMM="{XMP_MM}" rdf:about="">'
        f"<xmpMM:VersionID>{escaped}</xmpMM:VersionID></rdf:Description>"
    )
    if b"</rdf:RDF>" not in xml:
        raise ValueError("the XMP metadata has no rdf:RDF element to add the version to")
    stream.write(xml.replace(b"</rdf:RDF>", description.encode() + b"</rdf:RDF>", 1))


def embed(pdf: pikepdf.Pdf, attachments: tuple[Attachment, ...], date: str) -> None:
    """Embed each file with /AFRelationship /Source, in /Names /EmbeddedFiles and /AF."""
    specs = []
    for attachment in attachments:
        stream = pikepdf.Stream(pdf, attachment.data)
        stream.Type = pikepdf.Name.EmbeddedFile
        stream.Subtype = pikepdf.Name("/" + MIME_TYPE)
        stream.Params = pikepdf.Dictionary(
            Size=len(attachment.data),
            CheckSum=pikepdf.String(hashlib.md5(attachment.data, usedforsecurity=False).digest()),
            CreationDate=pikepdf.String(date),
            ModDate=pikepdf.String(date),
        )
        spec = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Filespec,
                F=pikepdf.String(attachment.name),
                UF=pikepdf.String(attachment.name),
                Desc=pikepdf.String(attachment.description),
                AFRelationship=pikepdf.Name.Source,
                EF=pikepdf.Dictionary(F=stream, UF=stream),
            )
        )
        specs.append((attachment.name, spec))
    names = pdf.Root.get("/Names")
    if names is None:
        names = pdf.Root.Names = pikepdf.Dictionary()
    tree = pikepdf.Array()
    for name, spec in sorted(specs, key=lambda pair: pair[0]):
        tree.append(pikepdf.String(name))
        tree.append(spec)
    names.EmbeddedFiles = pdf.make_indirect(pikepdf.Dictionary(Names=tree))
    associated = pdf.Root.get("/AF")
    if associated is None:
        associated = pdf.Root.AF = pikepdf.Array()
    for _, spec in specs:
        associated.append(spec)
