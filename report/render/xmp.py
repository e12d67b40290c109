"""Finish the XMP metadata WeasyPrint writes: uncompressed, and its conformance claims.

Run from the finisher (report/render/tagging.py), on the metadata stream about to be
written, so that nothing is parsed again:

- The packet is stored without a filter. WeasyPrint compresses it with the rest, but
  PDF/A (ISO 19005-2 and -3, 6.6.2.1) forbids a /Filter on the catalog's metadata
  stream, and XMP is meant to be found by tools that do not decode PDF streams; both
  variants store it plainly, so they differ only in what they claim.
- A PDF/A-3b file also claims PDF/UA-1. WeasyPrint writes one claim per file, but the
  PDF/A-3b variant is tagged and finished exactly as the PDF/UA-1 one is (the tests hold
  both variants to an independent validator's PDF/UA-1 profile), so it declares
  `pdfuaid:part` 1 too. PDF/A admits only the XMP schemas it predefines unless the file
  describes the others, so the PDF/UA identification schema comes with its PDF/A
  extension schema description.
"""

from __future__ import annotations

from typing import Any

import pydyf

RDF_END = b"</rdf:RDF>"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFUA_ID = "http://www.aiim.org/pdfua/ns/id/"

# The PDF/UA identification (part 1) and its PDF/A extension schema description.
UA_CLAIM = (
    f'<rdf:Description xmlns:rdf="{RDF}" xmlns:pdfuaid="{PDFUA_ID}" rdf:about=""'
    ' pdfuaid:part="1" />'
    f'<rdf:Description xmlns:rdf="{RDF}" rdf:about=""'
    ' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
    ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
    "<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>"
    f"<pdfaSchema:namespaceURI>{PDFUA_ID}</pdfaSchema:namespaceURI>"
    "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>"
    '<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">'
    "<pdfaProperty:name>part</pdfaProperty:name>"
    "<pdfaProperty:valueType>Integer</pdfaProperty:valueType>"
    "<pdfaProperty:category>internal</pdfaProperty:category>"
    "<pdfaProperty:description>Indicates which part of ISO 14289 the document conforms to"
    "</pdfaProperty:description>"
    "</rdf:li></rdf:Seq></pdfaSchema:property>"
    "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
).encode()


def finish_metadata(pdf: pydyf.PDF, variant: str) -> None:
    """Store the catalog's XMP packet unfiltered; a PDF/A-3b one also claims PDF/UA-1."""
    reference = pdf.catalog.get("Metadata")
    if not isinstance(reference, bytes):
        return
    stream: Any = pdf.objects[int(reference.split()[0])]
    if not isinstance(stream, pydyf.Stream):
        return
    stream.compress = False
    if variant == "pdf/a-3b":
        stream.stream = [claim_pdfua(b"\n".join(stream.stream))]


def claim_pdfua(packet: bytes) -> bytes:
    """Return an XMP packet with the PDF/UA-1 identification and its extension schema added."""
    if b"pdfuaid:part" in packet:
        return packet
    if RDF_END not in packet:
        raise ValueError("the XMP metadata has no rdf:RDF element to add the PDF/UA claim to")
    return packet.replace(RDF_END, UA_CLAIM + RDF_END, 1)
