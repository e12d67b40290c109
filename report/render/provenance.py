"""Stamp a release PDF with its version and embed its sources as associated files.

The build hands the renderer a Stamp (report/stamp.py) beside the HTML of each release
document. Once WeasyPrint has written the PDF, stamp_pdf opens it with pikepdf, applies
the stamp and saves it with a deterministic /ID, the same input always giving the same
bytes; it leaves the XMP metadata (but for the version), the document information, the
output intents and the PDF version as WeasyPrint wrote them, so a PDF/A file stays
PDF/A. A stamp adds:

- each file as an /EmbeddedFile stream (MIME type, size, MD5 checksum, the document's
  date), in a /Filespec with /F, /UF, /Desc and /AFRelationship /Source, listed in the
  catalog's /Names /EmbeddedFiles name tree and in its /AF array (PDF 2.0 and PDF/A-3
  associated files);
- the version as /Version in the document information and as xmpMM:VersionID in the XMP
  metadata.
"""

from __future__ import annotations

import hashlib
import io

import pikepdf

from report.stamp import Attachment, Stamp

XMP_MM = "http://ns.adobe.com/xap/1.0/mm/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MIME_TYPE = "application/yaml"


def stamp_pdf(data: bytes, stamp: Stamp) -> bytes:
    """Return the PDF with a release's stamp, saved by pikepdf with a deterministic /ID."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        apply_stamp(pdf, stamp)
        out = io.BytesIO()
        # fix_metadata_version=False: pikepdf would otherwise re-serialize the XMP packet.
        pdf.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
            fix_metadata_version=False,
        )
        return out.getvalue()


def apply_stamp(pdf: pikepdf.Pdf, stamp: Stamp) -> None:
    """Write the version to the metadata and embed the attachments as associated files."""
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
