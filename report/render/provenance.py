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

qpdf writes LF before every endstream. After stream data that ends with CR the bytes then
read CR LF, which PDF/A's length rule (ISO 19005-2 and -3, 6.1.7.1) takes for the
end-of-line marker (WeasyPrint's streams get CR LF there, report/render/streams.py, but
qpdf writes its own). So no stream qpdf writes ends with CR: such a stream's data is
wrapped in /RunLengthDecode, whose data ends with its end-of-data byte 128 and which qpdf
copies as it is; the embedded files are compressed here, likewise; and should a stream
qpdf makes itself (an object stream, the cross-reference stream) end with CR, the file is
saved again without object streams, so with neither.
"""

from __future__ import annotations

import hashlib
import io
import zlib

import pikepdf

from report.stamp import Attachment, Stamp

XMP_MM = "http://ns.adobe.com/xap/1.0/mm/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MIME_TYPE = "application/yaml"


def stamp_pdf(data: bytes, stamp: Stamp) -> bytes:
    """Return the PDF with a release's stamp, saved by pikepdf with a deterministic /ID."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        apply_stamp(pdf, stamp)
        for stream in [o for o in pdf.objects if isinstance(o, pikepdf.Stream)]:
            if stream.read_raw_bytes().endswith(b"\r"):
                wrap_run_length(stream)
        written = b""
        for mode in (pikepdf.ObjectStreamMode.preserve, pikepdf.ObjectStreamMode.disable):
            out = io.BytesIO()
            # fix_metadata_version=False: pikepdf would otherwise re-serialize the XMP.
            pdf.save(
                out,
                deterministic_id=True,
                compress_streams=True,
                object_stream_mode=mode,
                fix_metadata_version=False,
            )
            written = out.getvalue()
            if b"\r\nendstream" not in written:
                break
        return written


def run_length(data: bytes) -> bytes:
    """Return data encoded for /RunLengthDecode, as literal runs: it ends with byte 128."""
    runs = (
        bytes([len(data[i : i + 128]) - 1]) + data[i : i + 128] for i in range(0, len(data), 128)
    )
    return b"".join(runs) + b"\x80"


def wrap_run_length(stream: pikepdf.Stream) -> None:
    """Put a /RunLengthDecode before a stream's filters, so that its data ends with 128."""
    filters = stream.get("/Filter")
    parms = stream.get("/DecodeParms")
    listed = list(filters) if isinstance(filters, pikepdf.Array) else [filters] if filters else []
    kept = list(parms) if isinstance(parms, pikepdf.Array) else [parms] * bool(listed)
    stream.write(
        run_length(stream.read_raw_bytes()),
        filter=pikepdf.Array([pikepdf.Name.RunLengthDecode, *listed]),
        decode_parms=pikepdf.Array([None, *kept]) if parms is not None else None,
    )


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
        # Compressed here, not by qpdf: a stream whose data ends with CR is wrapped (above).
        stream = pikepdf.Stream(pdf, zlib.compress(attachment.data, 9))
        stream.Filter = pikepdf.Name.FlateDecode
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
