"""Read a part: every object of a PDF as WeasyPrint (pydyf) or qpdf writes it.

WeasyPrint writes the reports and the front matter; pikepdf (qpdf) saves a release
document with its stamp (report/render/provenance.py), and rewrites any other PDF this
reader does not handle (load_pdf).
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from typing import overload

from report.volume.syntax import (
    DELIMITER,
    TOKEN,
    Ref,
    Unsupported,
    Value,
    as_dict,
    dump,
    parse,
    same,
    to_int,
)

_OBJ = re.compile(rb"(\d+)[\s\0]+(\d+)[\s\0]+obj(?![^" + DELIMITER + rb"])")
_STREAM = re.compile(rb"[\s\0]*stream(?:\r\n|\n|\r)")
_END = re.compile(rb"[\s\0]*(?:endstream[\s\0]*)?endobj")
_SPACE = re.compile(rb"(?:[\s\0]+|%[^\r\n]*)+")
_LENGTH = re.compile(rb"/Length[\s\0]+(\d+)(?![\s\0]+\d+[\s\0]+R)")
_KIND = re.compile(rb"/Type[\s\0]*(/ObjStm|/XRef)(?![^" + DELIMITER + rb"])")


@dataclass
class Packed:
    """The objects of one object stream: numbers, and their bodies, one a line."""

    nums: list[int]
    data: bytes  # every body followed by a newline, none holding another
    starts: list[int]  # where each body starts in data, and len(data) last


@dataclass
class ParsedPdf:
    """A PDF's objects as written: loose and packed bodies, stream dictionaries and data."""

    version: bytes
    trailer: dict[bytes, Value]
    bodies: dict[int, bytes] = field(default_factory=dict)  # loose non-stream objects
    packs: list[Packed] = field(default_factory=list)
    where: dict[int, tuple[Packed, int]] = field(default_factory=dict)
    streams: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)
    duplicates: bool = False  # whether an object number is written more than once

    def body(self, num: int) -> bytes:
        """Return the body of a non-stream object, as written on one line."""
        if num in self.bodies:
            return self.bodies[num]
        if num not in self.where:
            raise Unsupported(f"object {num} is missing or a stream")
        pack, index = self.where[num]
        return pack.data[pack.starts[index] : pack.starts[index + 1] - 1]

    @overload
    def get(self, value: Value) -> Value: ...
    @overload
    def get(self, value: None) -> None: ...
    @overload
    def get(self, value: Value | None) -> Value | None: ...

    def get(self, value: Value | None) -> Value | None:
        """Return a value, or the object it refers to."""
        return parse(self.body(value.num))[0] if isinstance(value, Ref) else value

    def numbers(self) -> set[int]:
        """Return the number of every object."""
        return set(self.bodies) | set(self.where) | set(self.streams)


def parse_pdf(data: bytes) -> ParsedPdf:
    """Read every object of a PDF by walking it from the start (xref tables are not needed).

    Raise Unsupported for a PDF laid out in a way this reader does not handle.
    """
    if not data.startswith(b"%PDF-"):
        raise Unsupported("not a PDF")
    parsed = ParsedPdf(version=data[5:8], trailer={})
    pos = data.index(b"\n") + 1
    while pos < len(data):
        skip = _SPACE.match(data, pos)
        if skip:
            pos = skip.end()
            continue
        header = _OBJ.match(data, pos)
        if header is not None:
            pos = _read_object(data, header, parsed)
        elif data.startswith(b"xref", pos):
            trailer = data.find(b"trailer", pos)
            if trailer < 0:
                raise Unsupported("a cross-reference table without trailer")
            value, pos = parse(data, trailer + len(b"trailer"))
            parsed.trailer.update(as_dict(value, "a trailer"))
        elif data.startswith(b"startxref", pos):
            skip = TOKEN.match(data, pos + len(b"startxref"))
            pos = skip.end() if skip else len(data)
        else:
            raise Unsupported(f"unexpected bytes at {pos}: {data[pos : pos + 20]!r}")
    if b"/Encrypt" in parsed.trailer or not isinstance(parsed.trailer.get(b"/Root"), Ref):
        raise Unsupported("an encrypted PDF, or one without a catalog")
    for pack in parsed.packs:
        for index, num in enumerate(pack.nums):
            if num not in parsed.bodies and num not in parsed.streams:
                parsed.where.setdefault(num, (pack, index))
    packed = sum(len(pack.nums) for pack in parsed.packs)
    parsed.duplicates = len(parsed.where) != packed or any(
        num in parsed.where for num in (*parsed.bodies, *parsed.streams)
    )
    return parsed


def _read_object(data: bytes, header: re.Match[bytes], parsed: ParsedPdf) -> int:
    """Read the object whose `N G obj` header matched; return the position after it."""
    num = int(header[1])
    start = header.end()
    # A stream dictionary without strings ends just before the first `stream`: no need to
    # parse it. Anything else is parsed.
    keyword = data.find(b"stream", start)
    head = data[start:keyword] if keyword >= 0 else b""
    if head.lstrip().startswith(b"<<") and b"(" not in head and b"endobj" not in head:
        end = start + len(head.rstrip())
        value = None
    else:
        value, end = parse(data, start)
    text = data[start:end].strip()
    begin = _STREAM.match(data, end)
    if begin is None:
        close = _END.match(data, end)
        if close is None or value is None:
            raise Unsupported(f"object {num} has no endobj")
        parsed.bodies[num] = (
            text if b"\n" not in text and b"\r" not in text else dump(value, same)
        )  # one line, as packed bodies are
        return close.end()
    length = _LENGTH.search(text) if value is None else None
    size = (
        int(length[1])
        if length is not None
        else to_int(value.get(b"/Length"))
        if isinstance(value, dict)
        else -1
    )
    raw = data[begin.end() : begin.end() + size] if size >= 0 else b""
    close = _END.match(data, begin.end() + len(raw))
    if size < 0 or close is None:
        raise Unsupported(f"stream {num} does not end where its /Length says")
    kind = _KIND.search(text)
    if kind is None:
        if value is not None or b"\n" in text or b"\r" in text:
            text = dump(parse(text)[0] if value is None else value, same)
        parsed.streams[num] = (text, raw)
    elif kind[1] == b"/XRef":
        parsed.trailer.update(as_dict(parse(text)[0], "a cross-reference stream"))
    else:
        parsed.packs.append(_unpack(as_dict(parse(text)[0], "an object stream"), raw))
    return close.end()


def _unpack(dictionary: dict[bytes, Value], raw: bytes) -> Packed:
    """Return the objects of an object stream (uncompressed, or /FlateDecode: no predictor)."""
    compression = dictionary.get(b"/Filter")
    if (
        compression not in (None, b"/FlateDecode", [b"/FlateDecode"])
        or b"/DecodeParms" in dictionary
        or b"/Extends" in dictionary
    ):
        raise Unsupported("an object stream not compressed with plain /FlateDecode")
    data = zlib.decompress(raw) if compression else raw
    first, count = to_int(dictionary[b"/First"]), to_int(dictionary[b"/N"])
    numbers = data[:first].split()
    body = data[first:]
    if len(numbers) != 2 * count:
        raise Unsupported("an object stream whose header does not match /N")
    # qpdf ends each object with a newline and writes none inside one (strings escape
    # theirs); WeasyPrint (pydyf) writes one between objects, and none after the last.
    # Either way bodies split at newlines and renumber as one text.
    if not body.endswith(b"\n"):
        body += b"\n"
    starts = [int(x) for x in numbers[1::2]] + [len(body)]
    if (
        body.count(b"\n") != count
        or any(body[at - 1 : at] != b"\n" for at in starts[1:-1])
        or starts[0] != 0
    ):
        raise Unsupported("an object stream whose objects are not one a line")
    return Packed([int(x) for x in numbers[0::2]], body, starts)


def load_pdf(data: bytes) -> ParsedPdf:
    """Read a PDF; one the reader does not handle is first rewritten by pikepdf (qpdf)."""
    try:
        return parse_pdf(data)
    except Unsupported:
        pass
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(
            out,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            deterministic_id=True,
            fix_metadata_version=False,
        )
    return parse_pdf(out.getvalue())
