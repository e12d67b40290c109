"""Assemble volume.pdf from the report PDFs already on disk and a rendered front matter.

The volume is never laid out as one document: only its front matter (cover, contents,
notices) is rendered with WeasyPrint; every report's finished PDF follows it as it is.

- Contents. The front matter prints the volume page on which each report starts,
  computed from the entries' page counts once the front matter's own page count is known
  (it is rendered again only when the count assumed was wrong). Each contents line links
  to the named destination `report-CODE`, which the merge points at the report's first
  page. The rendered front matter is cached by a hash of its HTML, variant and renderer.
- Outline. The front matter's bookmarks, then each report's own (its heading with its
  sections below it), closed, so that a volume of a thousand reports opens as a list of
  headings.
- Page labels. The front matter's pages are labelled 1 to F, as its `Page N of F`
  prints them; each report's pages `CODE-1` to `CODE-M`, as its running head (the code)
  and `Page N of M` print them.
- Structure tree. One /Document element holds the front matter's and each report's
  former /Document element, now a /Part titled with its heading. Their ParentTree
  entries are merged, the pages' /StructParents and annotations' /StructParent moved to
  keys of their own; RoleMap, ClassMap and IDTree are merged; structure element IDs
  (WeasyPrint numbers them per document) are prefixed with the report's code. Running
  heads and feet stay /Artifact as each input has them.
- Metadata. The catalog's /Lang, /MarkInfo, /ViewerPreferences, the XMP packet, the
  output intents and the document information are the front matter's (its title is the
  publication's title).

How. Holding a thousand reports in one pikepdf (qpdf) document takes about 1 GiB and
15 s, most of it parsing and copying some 600,000 objects one by one. So the merge works
on the bytes qpdf wrote (the finishing pass, report/render/tagging.py): it reads each
report's objects, renumbers every `N 0 R` at once over the text of its object stream,
rewrites only the few objects it must (the root of the report's page tree, its top
structure elements and bookmarks), and writes them on to the volume, one report at a time,
into compressed object streams with a cross-reference stream. A PDF laid out otherwise is
first rewritten by pikepdf. Each report takes object numbers and structure keys in
blocks that depend on it alone, so that a report keeps them when another one changes, and
its objects as placed are cached: a rebuild after one report changed writes the others
from the cache.

The same inputs give the same bytes, cached or not: the front matter is rendered from
HTML that depends only on the publication and the entries, numbering follows from the
inputs alone, and the file's /ID is a hash of its contents.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
import zlib
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import BinaryIO, NamedTuple

from report import __version__
from report.assemble import PublicationInfo
from report.outputs import atomic_stream, atomic_write
from report.render import pin_clock
from report.render.html import STYLES_DIR, stylesheet, volume_html

# Every name of a cached front matter starts with this; other files in cache_dir are left alone.
CACHE_PREFIX = "volume-front-"
# Bump when the cached front matter's meaning changes (what the key covers, how it is made).
CACHE_VERSION = "1"
# Renders of the front matter tried before giving up on a page count that keeps changing.
MAX_FRONT_RENDERS = 4
# Entries per node of the number and name trees written (ParentTree, Dests, IDTree).
TREE_FANOUT = 128
# Parts (front matter, reports) per node of the volume's page tree, when it has more.
NODES_PER_GROUP = 256
# Objects per object stream written, and their zlib level (1: fast, a little larger).
OBJECTS_PER_STREAM = 1000
COMPRESSION = 1
# Each report takes object numbers and structure parent keys in blocks of these sizes, so
# that a report keeps its numbers when one before it changes a little: its objects, as
# placed, then come from the cache. Numbers go up to what viewers accept (PDF 1.7, C.2);
# past that the volume is numbered densely, without the cache.
OBJECT_BLOCK = 1024
KEY_BLOCK = 64
MAX_OBJECT_NUMBER = 8_388_607
RESERVED_NUMBERS = 100
# Cache files of placed reports: names start with these; CHUNK_FORMAT changes with their format.
FACTS_PREFIX = "volume-facts-"
PART_PREFIX = "volume-part-"
CHUNK_FORMAT = f"1-{sys.byteorder}"


@dataclass(frozen=True)
class VolumeEntry:
    """One report of the volume: its code, printed heading, finished PDF and page count."""

    code: str
    heading: str
    pdf: Path
    pages: int


def write_volume(publication: PublicationInfo, entries: Sequence[VolumeEntry], target: Path,
                 variant: str = "pdf/ua-1", cache_dir: Path | None = None) -> int:
    """Write volume.pdf: rendered cover, contents and notices, then every report; return pages.

    The reports follow in the order of entries, each entry's pages as its PDF has them
    (ValueError otherwise: the contents would be wrong). With cache_dir, the rendered
    front matter and each report's objects as placed are kept there (files named
    volume-front-*, volume-facts-* and volume-part-*, about the volume's size; those
    of earlier volumes are removed), so that what did not change is not done again.
    target is written through a temporary file in its folder, renamed into place.
    """
    if not entries:
        raise ValueError("a volume needs at least one report")
    codes = [entry.code for entry in entries]
    if len(set(codes)) != len(codes):
        raise ValueError("a report appears twice in the volume")
    pin_clock(publication.effective_date)
    front, front_pages = front_matter(publication, entries, variant, cache_dir)
    cache = _Cache(cache_dir)

    def write(handle: BinaryIO) -> int:
        try:
            return _assemble(front, front_pages, entries, handle, cache, sparse=True)
        except _Overflow:
            handle.seek(0)
            handle.truncate()
            return _assemble(front, front_pages, entries, handle, _Cache(None), sparse=False)

    pages = _save(target, write)
    cache.evict()
    return pages


# ---------------------------------------------------------------------------------------
# Front matter


def start_pages(front_pages: int, entries: Sequence[VolumeEntry]) -> list[int]:
    """Return the volume page (1-based) on which each report starts, after the front matter."""
    starts = []
    page = front_pages + 1
    for entry in entries:
        if entry.pages < 1:
            raise ValueError(f"{entry.code}: a report has at least one page, not {entry.pages}")
        starts.append(page)
        page += entry.pages
    return starts


def estimate_front_pages(entries: Sequence[VolumeEntry]) -> int:
    """Guess the front matter's page count: the cover, then contents lines and notices.

    A guess only: the front matter is rendered again when it is wrong. About 30 contents
    lines fit a page (letter or A4), and the heading and notices take about 12 lines.
    """
    return 1 + -(-(len(entries) + 12) // 30)


def front_matter(publication: PublicationInfo, entries: Sequence[VolumeEntry], variant: str,
                 cache_dir: Path | None = None) -> tuple[bytes, int]:
    """Return the rendered front matter and its page count, its contents numbered to match.

    The contents numbers depend on the front matter's own length; starting from a guess,
    render until the page count printed on is the page count rendered.
    """
    assumed = estimate_front_pages(entries)
    used: list[str] = []
    for _ in range(MAX_FRONT_RENDERS):
        contents = [(entry.code, entry.heading, start) for entry, start
                    in zip(entries, start_pages(assumed, entries), strict=True)]
        html = volume_html(publication, contents=contents)
        data, pages, key = _render_cached(html, variant, cache_dir)
        used.append(key)
        if pages == assumed:
            if cache_dir is not None:
                _evict(cache_dir, keep=used)
            return data, pages
        assumed = pages
    raise RuntimeError(f"the volume's front matter does not settle on a page count after "
                       f"{MAX_FRONT_RENDERS} renders")


def _render_cached(html: str, variant: str, cache_dir: Path | None) -> tuple[bytes, int, str]:
    """Render HTML to PDF, or take it from cache_dir; return bytes, pages and the cache key.

    A cached front matter is named by its key and page count: `volume-front-KEY-PAGES.pdf`.
    """
    key = _cache_key(html, variant)
    if cache_dir is not None:
        for path in sorted(cache_dir.glob(f"{CACHE_PREFIX}{key}-*.pdf")):
            pages = path.stem.rpartition("-")[2]
            if pages.isdigit():
                return path.read_bytes(), int(pages), key
    from report.render.pdf import render_pdf  # loads WeasyPrint: only when rendering

    data, pages = render_pdf(html, variant)
    if cache_dir is not None:
        atomic_write(cache_dir / f"{CACHE_PREFIX}{key}-{pages}.pdf", data)
    return data, pages, key


def _cache_key(html: str, variant: str) -> str:
    """Hash everything that shapes a rendered front matter besides the HTML."""
    digest = hashlib.sha256()
    for part in (CACHE_VERSION, variant, __version__, metadata.version("weasyprint"),
                 os.environ.get("SOURCE_DATE_EPOCH", ""), stylesheet()):
        digest.update(part.encode("utf-8") + b"\0")
    render = Path(__file__).resolve().parent / "render"
    for source in (render / "pdf.py", render / "tagging.py"):
        digest.update(hashlib.sha256(source.read_bytes()).digest())
    for font in sorted((STYLES_DIR / "fonts").glob("*.ttf")):
        digest.update(f"{font.name}:{font.stat().st_size}\0".encode())
    digest.update(html.encode("utf-8"))
    return digest.hexdigest()


def _evict(cache_dir: Path, keep: list[str]) -> None:
    """Remove cached front matters other than the ones this volume used."""
    for path in cache_dir.glob(f"{CACHE_PREFIX}*.pdf"):
        if path.stem[len(CACHE_PREFIX):].rpartition("-")[0] not in keep:
            path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------
# PDF syntax: just enough to read and rewrite the structural objects of a part


class _Ref(NamedTuple):
    """An indirect reference of an input PDF, by object number (generation 0)."""

    num: int


class _Out(NamedTuple):
    """An indirect reference that already carries its object number in the volume."""

    num: int


class _Unsupported(ValueError):
    """A PDF the byte-level reader does not handle; pikepdf rewrites it first."""


_DELIMITER = rb"\s\0/\[\]<>(){}%"
_TOKEN = re.compile(
    rb"[\s\0]*(?:(\d+)[\s\0]+(\d+)[\s\0]+R(?![^" + _DELIMITER + rb"])"
    rb"|(<<|>>|\[|\]|/[^" + _DELIMITER + rb"]*|\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>"
    rb"|[^" + _DELIMITER + rb"]+))", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f",
            b"\n": b"", b"\r": b"", b"\r\n": b""}

# A parsed object: dict[bytes, _Value] | list[_Value] | _Ref | _Out | bytes (any other
# token, as written).
_Value = object


def _parse(data: bytes, pos: int = 0) -> tuple[_Value, int]:
    """Parse one PDF object at pos; return it and the position after it."""
    match = _TOKEN.match(data, pos)
    if match is None:
        raise _Unsupported(f"unreadable PDF syntax at byte {pos}: {data[pos:pos + 20]!r}")
    if match[1] is not None:
        if match[2] != b"0":
            raise _Unsupported("an object generation other than 0")
        return _Ref(int(match[1])), match.end()
    token = match[3]
    if token == b"<<":
        dictionary: dict[bytes, _Value] = {}
        pos = match.end()
        while True:
            key = _TOKEN.match(data, pos)
            if key is None or key[3] is None:
                raise _Unsupported(f"unreadable dictionary at byte {pos}")
            if key[3] == b">>":
                return dictionary, key.end()
            if not key[3].startswith(b"/"):
                raise _Unsupported(f"a dictionary key that is not a name at byte {pos}")
            dictionary[key[3]], pos = _parse(data, key.end())
    if token == b"[":
        items: list[_Value] = []
        pos = match.end()
        while True:
            end = _TOKEN.match(data, pos)
            if end is not None and end[3] == b"]":
                return items, end.end()
            item, pos = _parse(data, pos)
            items.append(item)
    if token in (b">>", b"]"):
        raise _Unsupported(f"unbalanced {token.decode()} at byte {pos}")
    return token, match.end()


def _dump(value: _Value, remap: Callable[[int], int | None]) -> bytes:
    """Write a parsed object back, input references through remap (None: null)."""
    if isinstance(value, _Out):
        return b"%d 0 R" % value.num
    if isinstance(value, _Ref):
        new = remap(value.num)
        return b"null" if new is None else b"%d 0 R" % new
    if isinstance(value, dict):
        return b"<< " + b" ".join(key + b" " + _dump(item, remap)
                                  for key, item in value.items()) + b" >>"
    if isinstance(value, list):
        return b"[ " + b" ".join(_dump(item, remap) for item in value) + b" ]"
    assert isinstance(value, bytes), value
    return value


def _same(num: int) -> int:
    return num


def _text(token: _Value) -> bytes:
    """Return the bytes of a string token, literal `(...)` or hex `<...>`."""
    if not isinstance(token, bytes) or token[:1] not in (b"(", b"<"):
        raise _Unsupported(f"not a string: {token!r}")
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1])
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))

    def unescape(match: re.Match[bytes]) -> bytes:
        code = match[1]
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(unescape, token[1:-1])


def _literal(text: bytes) -> bytes:
    """Return text as a literal string token."""
    for raw, escaped in ((b"\\", b"\\\\"), (b"(", b"\\("), (b")", b"\\)"), (b"\r", b"\\r"),
                         (b"\n", b"\\n"), (b"\0", b"\\000")):
        text = text.replace(raw, escaped)
    return b"(" + text + b")"


def _int(token: _Value) -> int:
    if not isinstance(token, bytes):
        raise _Unsupported(f"not an integer: {token!r}")
    return int(token)


# ---------------------------------------------------------------------------------------
# Renumbering: every `N 0 R` of a part's objects becomes `N + base 0 R`


_STRING = re.compile(rb"\((?:[^\\()]|\\.)*\)", re.S)
_REF_OR_STRING = re.compile(
    rb"\((?:[^\\()]|\\.)*\)|(?<![^\s\0\[\]()<>])(\d+) 0 R(?![^" + _DELIMITER + rb"])", re.S)


def _renumber(data: bytes, table: dict[bytes, bytes]) -> bytes:
    """Rewrite each reference `N 0 R` of data as table[b"N"] (`M 0 R`, or null).

    qpdf writes every reference as ` N 0 R` (generation 0, a space before), so the fast
    path splits at ` 0 R` and takes the number before it; a string holding ` 0 R` sends
    the text through a tokenizing path instead. A number missing from table, a reference
    to an object that is not there, becomes null.
    """
    pieces = data.split(b" 0 R")
    if len(pieces) == 1:
        return data
    if b"(" in data and any(b" 0 R" in text for text in _STRING.findall(data)):
        return _REF_OR_STRING.sub(
            lambda m: m[0] if m[1] is None else table.get(m[1], b"null"), data)
    out: list[bytes] = []
    extend = out.extend
    get = table.get
    for piece in pieces[:-1]:
        head, space, number = piece.rpartition(b" ")
        new = get(number)
        if new is None:
            new = b"null" if number.isdigit() else number + b" 0 R"
        extend((head, space, new))
    out.append(pieces[-1])
    return b"".join(out)


_STRUCT_PARENT = re.compile(rb"/StructParents?[\s\0]+(\d+)")


def _shift_keys(data: bytes, offset: int, keys: list[int]) -> bytes:
    """Add offset to every /StructParent and /StructParents of data; collect the old keys."""
    if b"/StructParent" not in data:
        return data

    def shift(match: re.Match[bytes]) -> bytes:
        keys.append(int(match[1]))
        return match[0][:match.start(1) - match.start()] + b"%d" % (keys[-1] + offset)

    return _STRUCT_PARENT.sub(shift, data)


_ID = re.compile(rb"/ID[\s\0]*(\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>)", re.S)
_ANY_ID = re.compile(rb"/ID[\s\0]*[(<]")
_HEADERS = re.compile(rb"/Headers[\s\0]*\[[^\]]*\]", re.S)


def _prefix_ids(data: bytes, prefix: bytes) -> bytes:
    """Prefix structure element IDs and the /Headers naming them, to keep them unique.

    WeasyPrint numbers IDs per document, so two reports hold the same IDs. qpdf writes
    `/ID (...)`, and a `(` inside a string escaped, so the common case is a replace.
    """
    if not prefix or b"/ID" not in data:
        return data
    literal = _literal(prefix)[:-1]  # `(prefix`, to open each string with
    if data.count(b"/ID (") == len(_ANY_ID.findall(data)):
        data = data.replace(b"/ID (", b"/ID " + literal)
    else:
        data = _ID.sub(lambda m: b"/ID " + _literal(prefix + _text(m[1])), data)
    if b"/Headers" in data:
        data = _HEADERS.sub(lambda m: m[0].replace(b"(", literal) if b"<" not in m[0][8:] else
                            b"/Headers [ " + b" ".join(_literal(prefix + _text(t[3]))
                                                       for t in _TOKEN.finditer(m[0], 8)
                                                       if t[3] and t[3] not in (b"[", b"]"))
                            + b" ]", data)
    return data


# ---------------------------------------------------------------------------------------
# Reading a part: every object of a PDF as written by qpdf (the finishing pass)


_OBJ = re.compile(rb"(\d+)[\s\0]+(\d+)[\s\0]+obj(?![^" + _DELIMITER + rb"])")
_STREAM = re.compile(rb"[\s\0]*stream(?:\r\n|\n|\r)")
_END = re.compile(rb"[\s\0]*(?:endstream[\s\0]*)?endobj")
_SPACE = re.compile(rb"(?:[\s\0]+|%[^\r\n]*)+")
_LENGTH = re.compile(rb"/Length[\s\0]+(\d+)(?![\s\0]+\d+[\s\0]+R)")
_KIND = re.compile(rb"/Type[\s\0]*(/ObjStm|/XRef)(?![^" + _DELIMITER + rb"])")


@dataclass
class _Packed:
    """The objects of one object stream: numbers, and their bodies, one a line."""

    nums: list[int]
    data: bytes            # every body followed by a newline, none holding another
    starts: list[int]      # where each body starts in data, and len(data) last


@dataclass
class _Source:
    """A PDF's objects as written: loose and packed bodies, stream dictionaries and data."""

    version: bytes
    trailer: dict[bytes, _Value]
    bodies: dict[int, bytes] = field(default_factory=dict)      # loose non-stream objects
    packs: list[_Packed] = field(default_factory=list)
    where: dict[int, tuple[_Packed, int]] = field(default_factory=dict)
    streams: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)
    duplicates: bool = False  # whether an object number is written more than once

    def body(self, num: int) -> bytes:
        if num in self.bodies:
            return self.bodies[num]
        if num not in self.where:
            raise _Unsupported(f"object {num} is missing or a stream")
        pack, index = self.where[num]
        return pack.data[pack.starts[index]:pack.starts[index + 1] - 1]

    def get(self, value: _Value) -> _Value:
        """Return a value, or the object it refers to."""
        return _parse(self.body(value.num))[0] if isinstance(value, _Ref) else value

    def numbers(self) -> set[int]:
        return set(self.bodies) | set(self.where) | set(self.streams)


def _read(data: bytes) -> _Source:
    """Read every object of a PDF by walking it from the start (xref tables are not needed)."""
    if not data.startswith(b"%PDF-"):
        raise _Unsupported("not a PDF")
    source = _Source(version=data[5:8], trailer={})
    pos = data.index(b"\n") + 1
    while pos < len(data):
        skip = _SPACE.match(data, pos)
        if skip:
            pos = skip.end()
            continue
        header = _OBJ.match(data, pos)
        if header is not None:
            pos = _read_object(data, header, source)
        elif data.startswith(b"xref", pos):
            trailer = data.find(b"trailer", pos)
            if trailer < 0:
                raise _Unsupported("a cross-reference table without trailer")
            value, pos = _parse(data, trailer + len(b"trailer"))
            source.trailer.update(value)  # type: ignore[arg-type]
        elif data.startswith(b"startxref", pos):
            skip = _TOKEN.match(data, pos + len(b"startxref"))
            pos = skip.end() if skip else len(data)
        else:
            raise _Unsupported(f"unexpected bytes at {pos}: {data[pos:pos + 20]!r}")
    if b"/Encrypt" in source.trailer or not isinstance(source.trailer.get(b"/Root"), _Ref):
        raise _Unsupported("an encrypted PDF, or one without a catalog")
    for pack in source.packs:
        for index, num in enumerate(pack.nums):
            if num not in source.bodies and num not in source.streams:
                source.where.setdefault(num, (pack, index))
    packed = sum(len(pack.nums) for pack in source.packs)
    source.duplicates = len(source.where) != packed or any(
        num in source.where for num in (*source.bodies, *source.streams))
    return source


def _read_object(data: bytes, header: re.Match[bytes], source: _Source) -> int:
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
        value, end = _parse(data, start)
    text = data[start:end].strip()
    begin = _STREAM.match(data, end)
    if begin is None:
        close = _END.match(data, end)
        if close is None or value is None:
            raise _Unsupported(f"object {num} has no endobj")
        source.bodies[num] = text if b"\n" not in text and b"\r" not in text \
            else _dump(value, _same)  # one line, as packed bodies are
        return close.end()
    length = _LENGTH.search(text) if value is None else None
    size = int(length[1]) if length is not None else \
        _int(value.get(b"/Length")) if isinstance(value, dict) else -1
    raw = data[begin.end():begin.end() + size] if size >= 0 else b""
    close = _END.match(data, begin.end() + len(raw))
    if size < 0 or close is None:
        raise _Unsupported(f"stream {num} does not end where its /Length says")
    kind = _KIND.search(text)
    if kind is None:
        if value is not None or b"\n" in text or b"\r" in text:
            text = _dump(_parse(text)[0] if value is None else value, _same)
        source.streams[num] = (text, raw)
    elif kind[1] == b"/XRef":
        source.trailer.update(_parse(text)[0])  # type: ignore[arg-type]
    else:
        source.packs.append(_unpack(_parse(text)[0], raw))  # type: ignore[arg-type]
    return close.end()


def _unpack(dictionary: dict[bytes, _Value], raw: bytes) -> _Packed:
    """Return the objects of an object stream (uncompressed, or /FlateDecode: no predictor)."""
    compression = dictionary.get(b"/Filter")
    if compression not in (None, b"/FlateDecode", [b"/FlateDecode"]) \
            or b"/DecodeParms" in dictionary or b"/Extends" in dictionary:
        raise _Unsupported("an object stream not compressed with plain /FlateDecode")
    data = zlib.decompress(raw) if compression else raw
    first, count = _int(dictionary[b"/First"]), _int(dictionary[b"/N"])
    numbers = data[:first].split()
    body = data[first:]
    if len(numbers) != 2 * count:
        raise _Unsupported("an object stream whose header does not match /N")
    starts = [int(x) for x in numbers[1::2]] + [len(body)]
    # qpdf ends each object with a newline and writes none inside one (strings escape
    # theirs); then bodies split at newlines and renumber as one text.
    if body.count(b"\n") != count or body.endswith(b"\n") is False \
            or any(body[at - 1:at] != b"\n" for at in starts[1:-1]) or starts[0] != 0:
        raise _Unsupported("an object stream whose objects are not one a line")
    return _Packed([int(x) for x in numbers[0::2]], body, starts)


def _load(data: bytes) -> _Source:
    """Read a PDF; one the reader does not handle is first rewritten by pikepdf (qpdf)."""
    try:
        return _read(data)
    except _Unsupported:
        pass
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 deterministic_id=True, fix_metadata_version=False)
    return _read(out.getvalue())


# ---------------------------------------------------------------------------------------
# A part of the volume (the front matter, or one report): analysed, then placed


@dataclass(frozen=True)
class _PartSpec:
    """How one input joins the volume."""

    code: str | None   # None for the front matter
    title: str         # the /T of its /Part structure element
    pages: int         # its page count, as the contents assumed it
    closed: bool       # whether its bookmarks start closed


@dataclass(frozen=True)
class _Facts:
    """What placing a part needs to know of it, whatever its place (cached by content)."""

    span: int                  # object numbers it takes: its own, then its object streams
    keys: int                  # structure parent keys it takes
    names: tuple[bytes, ...]   # its named destinations

    def dumps(self) -> bytes:
        return json.dumps({"format": CHUNK_FORMAT, "span": self.span, "keys": self.keys,
                           "names": [n.decode("latin-1") for n in self.names]}).encode()

    @classmethod
    def loads(cls, data: bytes) -> _Facts:
        value = json.loads(data)
        if value.get("format") != CHUNK_FORMAT:
            raise ValueError("another format")
        return cls(int(value["span"]), int(value["keys"]),
                   tuple(n.encode("latin-1") for n in value["names"]))


@dataclass(frozen=True)
class _Placement:
    """Where a part goes: its numbers, keys, page tree parent and renamed destinations."""

    base: int                      # added to each of its object numbers
    offset: int                    # added to each of its structure parent keys
    parent: int                    # the volume's page tree node above its own page tree
    document: int                  # the volume's /Document element
    outlines: int                  # the volume's outline root
    renamed: tuple[tuple[bytes, bytes], ...] = ()  # names other parts hold, and the new ones
    skipped: frozenset[bytes] = frozenset()         # names it gives up (the contents anchors)


@dataclass
class _Analysis:
    """A part's objects and what its catalog holds, before it is placed."""

    source: _Source
    spec: _PartSpec
    catalog: dict[bytes, _Value]
    node: _Ref                      # its page tree's root
    dropped: set[int]              # objects the volume's own replace
    tops: list[int]                # its top structure elements
    parent_pairs: list[tuple[int, bytes]]
    maps: dict[bytes, dict[bytes, _Value]]
    id_pairs: list[tuple[bytes, _Value]]
    items: list[tuple[int, dict[bytes, _Value]]]   # its top bookmarks
    dest_pairs: list[tuple[bytes, _Value]]
    names: dict[bytes, _Value]      # the catalog's /Names dictionary
    facts: _Facts


def _analyse(source: _Source, spec: _PartSpec) -> _Analysis:
    """Find a part's page tree, structure, outline and names, and what the volume replaces."""
    root_ref = source.trailer[b"/Root"]
    catalog = source.get(root_ref)
    if not isinstance(catalog, dict) or not isinstance(catalog.get(b"/Pages"), _Ref):
        raise _Unsupported("a catalog without a page tree")
    dropped = {root_ref.num}  # type: ignore[union-attr]

    def drop(value: _Value) -> _Value:
        if isinstance(value, _Ref):
            dropped.add(value.num)
        return source.get(value)

    node_ref: _Ref = catalog[b"/Pages"]  # type: ignore[assignment]
    node = source.get(node_ref)
    count = source.get(node.get(b"/Count", b"0")) if isinstance(node, dict) else None
    if count != b"%d" % spec.pages:
        raise ValueError(f"{spec.title}: {count!r} pages, but the volume's contents counted "
                         f"{spec.pages}; its page numbers would be wrong")

    tops: list[int] = []
    parent_pairs: list[tuple[int, bytes]] = []
    maps: dict[bytes, dict[bytes, _Value]] = {}
    id_pairs: list[tuple[bytes, _Value]] = []
    if b"/StructTreeRoot" in catalog:
        root = drop(catalog[b"/StructTreeRoot"])
        assert isinstance(root, dict)
        kids = root.get(b"/K", [])
        if isinstance(kids, _Ref) and not isinstance(source.get(kids), dict):
            kids = drop(kids)  # an indirect array
        for kid in kids if isinstance(kids, list) else [kids]:
            if not isinstance(kid, _Ref):
                raise _Unsupported("a structure element that is not an indirect object")
            tops.append(kid.num)
        if b"/ParentTree" in root:
            parent_pairs = _number_tree(source, root[b"/ParentTree"], dropped)
        for name in (b"/RoleMap", b"/ClassMap"):
            if name in root:
                maps[name] = drop(root[name])  # type: ignore[assignment]
        if b"/IDTree" in root:
            id_pairs = _name_tree(source, root[b"/IDTree"], dropped)

    items: list[tuple[int, dict[bytes, _Value]]] = []
    if isinstance(catalog.get(b"/Outlines"), _Ref):
        outlines = drop(catalog[b"/Outlines"])
        item, seen = outlines.get(b"/First"), set()  # type: ignore[union-attr]
        while isinstance(item, _Ref) and item.num not in seen:
            seen.add(item.num)
            items.append((item.num, source.get(item)))  # type: ignore[arg-type]
            item = items[-1][1].get(b"/Next")
    names = drop(catalog.get(b"/Names", {}))
    names = names if isinstance(names, dict) else {}
    dest_pairs = _name_tree(source, names.get(b"/Dests"), dropped) if b"/Dests" in names else []
    legacy = drop(catalog.get(b"/Dests", {}))
    if isinstance(legacy, dict):
        dest_pairs += [(key[1:], value) for key, value in legacy.items()]
    if isinstance(catalog.get(b"/PageLabels"), _Ref):
        dropped.add(catalog[b"/PageLabels"].num)  # type: ignore[union-attr]
    if spec.code is not None:  # the front matter's metadata and output intents stand for all
        if isinstance(catalog.get(b"/Metadata"), _Ref):
            dropped.add(catalog[b"/Metadata"].num)  # type: ignore[union-attr]
        for intent in drop(catalog.get(b"/OutputIntents", [])) or []:  # type: ignore[union-attr]
            intent = drop(intent)
            if isinstance(intent, dict) and isinstance(intent.get(b"/DestOutputProfile"), _Ref):
                dropped.add(intent[b"/DestOutputProfile"].num)  # type: ignore[union-attr]
        if isinstance(source.trailer.get(b"/Info"), _Ref):
            dropped.add(source.trailer[b"/Info"].num)  # type: ignore[union-attr]

    numbers = source.numbers()
    packed = len(numbers - dropped - set(source.streams)) - len(items)
    keys = [key for key, _ in parent_pairs]
    for text in (*(pack.data for pack in source.packs), *source.bodies.values(),
                 *(dictionary for dictionary, _ in source.streams.values())):
        if b"/StructParent" in text:
            keys += [int(k) for k in _STRUCT_PARENT.findall(text)]
    facts = _Facts(span=max(numbers) + -(-packed // OBJECTS_PER_STREAM),
                   keys=max(keys) + 1 if keys else 0,
                   names=tuple(name for name, _ in dest_pairs))
    return _Analysis(source, spec, catalog, node_ref, dropped, tops, parent_pairs, maps,
                     id_pairs, items, dest_pairs, names, facts)


@dataclass
class _Objects:
    """Objects written one after another, with their offsets or object streams, from 0."""

    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    loose: array = field(default_factory=lambda: array("Q"))     # object numbers at offsets
    offsets: array = field(default_factory=lambda: array("Q"))
    packed: array = field(default_factory=lambda: array("Q"))    # objects in object streams
    streams: array = field(default_factory=lambda: array("Q"))   # ... and that stream's number
    indexes: array = field(default_factory=lambda: array("Q"))   # ... and their index in it

    def _put(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)

    def stream(self, num: int, dictionary: bytes, data: bytes) -> None:
        """Add a stream object; dictionary must give data's /Length."""
        self.loose.append(num)
        self.offsets.append(self.size)
        self._put(b"%d 0 obj\n%s\nstream\n" % (num, dictionary))
        self._put(data)
        self._put(b"\nendstream\nendobj\n")

    def pack(self, numbers: Iterator[int], objects: list[tuple[int, bytes]]) -> None:
        """Add non-stream objects in compressed object streams numbered from numbers."""
        objects.sort()
        for start in range(0, len(objects), OBJECTS_PER_STREAM):
            chunk = objects[start:start + OBJECTS_PER_STREAM]
            num = next(numbers)
            heads, at = [], 0
            for index, (member, body) in enumerate(chunk):
                heads.append(b"%d %d" % (member, at))
                at += len(body) + 1
            self.packed.extend(member for member, _ in chunk)
            self.streams.extend([num] * len(chunk))
            self.indexes.extend(range(len(chunk)))
            head = b" ".join(heads) + b"\n"
            data = zlib.compress(head + b"\n".join([*(body for _, body in chunk), b""]),
                                 COMPRESSION)
            self.stream(num, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode "
                        b"/Length %d >>" % (len(chunk), len(head), len(data)), data)

    def data(self) -> bytes:
        return b"".join(self.chunks)


@dataclass
class _Chunk:
    """A placed part: its objects as written, and what the volume's catalog takes from it."""

    objects: _Objects
    node: int                                  # its page tree's root, renumbered
    tops: list[int]                            # its /Part elements
    parents: list[tuple[int, bytes]]           # ParentTree entries, keys and values final
    dests: list[tuple[bytes, bytes]]
    outline: list[tuple[int, bytes, int]]      # top bookmarks: number, body, visible count
    role_map: dict[bytes, bytes]
    class_map: dict[bytes, bytes]
    ids: list[tuple[bytes, bytes]]

    _ARRAYS = ("loose", "offsets", "packed", "streams", "indexes")

    def dumps(self) -> bytes:
        """Return the chunk as a cache file: a JSON header, the offset arrays, the objects."""
        text = "latin-1"
        arrays = b"".join(getattr(self.objects, a).tobytes() for a in self._ARRAYS)
        data = self.objects.data()
        header = json.dumps({
            "format": CHUNK_FORMAT, "node": self.node, "tops": self.tops,
            "parents": [[k, v.decode(text)] for k, v in self.parents],
            "dests": [[k.decode(text), v.decode(text)] for k, v in self.dests],
            "outline": [[n, b.decode(text), c] for n, b, c in self.outline],
            "role_map": {k.decode(text): v.decode(text) for k, v in self.role_map.items()},
            "class_map": {k.decode(text): v.decode(text) for k, v in self.class_map.items()},
            "ids": [[k.decode(text), v.decode(text)] for k, v in self.ids],
            "lengths": [len(getattr(self.objects, a)) for a in self._ARRAYS],
            "size": len(data), "sha256": hashlib.sha256(arrays + data).hexdigest(),
        }).encode()
        return b"%d\n" % len(header) + header + arrays + data

    @classmethod
    def loads(cls, blob: bytes) -> _Chunk:
        """Read a cache file written by dumps; raise ValueError if it is not whole."""
        text = "latin-1"
        line = blob.index(b"\n")
        start = line + 1 + int(blob[:line])
        head = json.loads(blob[line + 1:start])
        if head.get("format") != CHUNK_FORMAT or \
                hashlib.sha256(blob[start:]).hexdigest() != head["sha256"]:
            raise ValueError("a damaged or outdated cache file")
        objects = _Objects()
        for name, length in zip(cls._ARRAYS, head["lengths"], strict=True):
            getattr(objects, name).frombytes(blob[start:start + 8 * length])
            start += 8 * length
        objects.chunks, objects.size = [blob[start:]], head["size"]
        return cls(objects, head["node"], head["tops"],
                   [(k, v.encode(text)) for k, v in head["parents"]],
                   [(k.encode(text), v.encode(text)) for k, v in head["dests"]],
                   [(n, b.encode(text), c) for n, b, c in head["outline"]],
                   {k.encode(text): v.encode(text) for k, v in head["role_map"].items()},
                   {k.encode(text): v.encode(text) for k, v in head["class_map"].items()},
                   [(k.encode(text), v.encode(text)) for k, v in head["ids"]])


def _place(analysis: _Analysis, place: _Placement) -> _Chunk:
    """Write a part's objects at its place: renumbered, keys shifted, IDs prefixed."""
    source, spec, facts = analysis.source, analysis.spec, analysis.facts
    base, offset = place.base, place.offset
    kept = source.numbers() - analysis.dropped
    table = {b"%d" % num: b"%d 0 R" % (num + base) for num in kept}

    def remap(num: int) -> int | None:
        return num + base if num in kept else None

    # Destinations: a name another part holds is renamed; the report's own one assured.
    renamed = dict(place.renamed)
    dests = [(renamed.get(name, name), _dump(value, remap))
             for name, value in analysis.dest_pairs if name not in place.skipped]
    own = b"report-" + spec.code.encode() if spec.code else None
    if own is not None and (own not in facts.names or own in renamed):
        first, inherited = _first_page(source, analysis.node)
        box = inherited.get(b"/MediaBox", [b"0", b"0", b"0", b"0"])
        dests.append((own, b"[ %d 0 R /XYZ %s %s 0 ]" % (
            first + base, _dump(box[0], remap), _dump(box[3], remap))))  # type: ignore[index]

    # Objects rewritten here: the page tree's root, top structure elements, top bookmarks.
    rewritten: dict[int, bytes] = {}
    node = source.get(analysis.node)
    assert isinstance(node, dict)
    node[b"/Parent"] = _Out(place.parent)
    rewritten[analysis.node.num] = _dump(node, remap)
    prefix = spec.code.encode() + b"/" if spec.code else b""
    for num in analysis.tops:
        element = source.get(_Ref(num))
        assert isinstance(element, dict)
        element[b"/P"] = _Out(place.document)
        if element.get(b"/S") == b"/Document":
            element[b"/S"] = b"/Part"
            element[b"/T"] = _literal(spec.title.encode("utf-8")) if spec.title.isascii() \
                else b"<feff" + spec.title.encode("utf-16-be").hex().encode() + b">"
        rewritten[num] = _prefix_ids(_dump(element, remap), prefix)
    outline = []
    for num, item in analysis.items:
        item = dict(item)
        item[b"/Parent"] = _Out(place.outlines)
        item.pop(b"/Prev", None)
        item.pop(b"/Next", None)
        count = _int(item.get(b"/Count", b"0"))
        if spec.closed and count > 0:
            item[b"/Count"] = b"%d" % -count
        _rename_dest(item, renamed)
        outline.append((num + base, _dump(item, remap),
                        1 + (count if count > 0 and not spec.closed else 0)))
    if renamed:
        _rename_links(source, analysis.node, analysis.items, rewritten, renamed, remap)

    # Everything else as it is: renumbered, structure parent keys shifted, IDs prefixed.
    keys: list[int] = []
    skip = analysis.dropped | {num for num, _ in analysis.items} | set(rewritten)

    def finish(data: bytes) -> bytes:
        return _prefix_ids(_shift_keys(_renumber(data, table), offset, keys), prefix)

    objects = [(num + base, _shift_keys(body, offset, keys)) for num, body in rewritten.items()
               if num in kept]
    for pack in source.packs:
        bodies = finish(pack.data).split(b"\n")
        objects += [(num + base, body) for num, body in zip(pack.nums, bodies)
                    if num not in skip and (not source.duplicates or
                                            source.where[num][0] is pack)]
    loose = [num for num in source.bodies if num not in skip]
    if loose:
        bodies = finish(b"\n".join(source.bodies[num] for num in loose)).split(b"\n")
        objects += [(num + base, body) for num, body in zip(loose, bodies, strict=True)]
    written = _Objects()
    streams = [num for num in sorted(source.streams) if num in kept]
    if streams:
        dictionaries = finish(b"\n".join(source.streams[num][0] for num in streams))
        for num, dictionary in zip(streams, dictionaries.split(b"\n"), strict=True):
            written.stream(num + base, dictionary, source.streams[num][1])
    written.pack(iter(range(base + max(source.numbers()) + 1, base + facts.span + 1)), objects)

    # What the volume's catalog takes from the part.
    parents: list[tuple[int, bytes]] = []
    if analysis.parent_pairs:
        values = _renumber(b"\n".join(v for _, v in analysis.parent_pairs), table).split(b"\n")
        parents = [(key + offset, value)
                   for (key, _), value in zip(analysis.parent_pairs, values, strict=True)]
    maps = {name: {key: _dump(value, remap) for key, value in mapping.items()}
            for name, mapping in analysis.maps.items()}
    return _Chunk(written, analysis.node.num + base, [num + base for num in analysis.tops],
                  parents, dests, outline, maps.get(b"/RoleMap", {}), maps.get(b"/ClassMap", {}),
                  [(prefix + name, _dump(value, remap)) for name, value in analysis.id_pairs])


_INHERITED = (b"/Resources", b"/MediaBox", b"/CropBox", b"/Rotate")


def _first_page(source: _Source, node_ref: _Ref) -> tuple[int, dict[bytes, _Value]]:
    """Return the first page's number under a page tree node, with its inheritable entries."""
    inherited: dict[bytes, _Value] = {}
    seen = set()
    while node_ref.num not in seen:
        seen.add(node_ref.num)
        node = source.get(node_ref)
        assert isinstance(node, dict)
        inherited.update({k: node[k] for k in _INHERITED if k in node})
        kids = source.get(node.get(b"/Kids"))
        if not isinstance(kids, list):
            return node_ref.num, inherited
        if not kids or not isinstance(kids[0], _Ref):
            break
        node_ref = kids[0]
    raise _Unsupported("a page tree without pages")


_NUM_PAIR = re.compile(rb"[\s\0]*(\d+)[\s\0]+(\[[^\]]*\]|\d+[\s\0]+0[\s\0]+R|null)", re.S)


def _number_tree(source: _Source, node: _Value, dropped: set[int]) -> list[tuple[int, bytes]]:
    """Return a number tree's (key, value as written) pairs, dropping its node objects."""
    pairs: list[tuple[int, bytes]] = []
    if isinstance(node, _Ref):
        dropped.add(node.num)
        body = source.body(node.num)
        start = body.find(b"/Nums")
        if b"/Kids" not in body and start >= 0:  # the common flat tree: scan without parsing
            pos = body.index(b"[", start) + 1
            while (match := _NUM_PAIR.match(body, pos)) is not None:
                pairs.append((int(match[1]), match[2]))
                pos = match.end()
            if re.match(rb"[\s\0]*\]", body[pos:pos + 64]):
                return pairs
            pairs = []
        node = source.get(node)
    if not isinstance(node, dict):
        raise _Unsupported("a number tree node that is not a dictionary")
    nums = source.get(node.get(b"/Nums", []))
    for index in range(0, len(nums) - 1, 2):  # type: ignore[arg-type]
        pairs.append((_int(nums[index]), _dump(nums[index + 1], _same)))  # type: ignore[index]
    for kid in source.get(node.get(b"/Kids", [])):  # type: ignore[union-attr]
        pairs += _number_tree(source, kid, dropped)
    return pairs


def _name_tree(source: _Source, node: _Value, dropped: set[int]) -> list[tuple[bytes, _Value]]:
    """Return a name tree's (name, value) pairs, dropping its node objects."""
    if isinstance(node, _Ref):
        dropped.add(node.num)
    node = source.get(node)
    if not isinstance(node, dict):
        return []
    names = source.get(node.get(b"/Names", []))
    pairs = [(_text(names[i]), names[i + 1])  # type: ignore[index]
             for i in range(0, len(names) - 1, 2)]  # type: ignore[arg-type]
    for kid in source.get(node.get(b"/Kids", [])):  # type: ignore[union-attr]
        pairs += _name_tree(source, kid, dropped)
    return pairs


def _rename_dest(holder: dict[bytes, _Value], renamed: dict[bytes, bytes]) -> bool:
    """Point a link's or bookmark's named destination (/Dest or /A /D) at its new name."""
    changed = False
    action = holder.get(b"/A")
    for owner, key in ((holder, b"/Dest"), (action if isinstance(action, dict) else {}, b"/D")):
        token = owner.get(key)
        if isinstance(token, bytes) and token[:1] in (b"(", b"<") and _text(token) in renamed:
            owner[key] = _literal(renamed[_text(token)])
            changed = True
    return changed


def _rename_links(source: _Source, node_ref: _Ref, items: list[tuple[int, dict[bytes, _Value]]],
                  rewritten: dict[int, bytes], renamed: dict[bytes, bytes],
                  remap: Callable[[int], int | None]) -> None:
    """Point a part's links and nested bookmarks at the destinations renamed for it."""
    holders: list[_Value] = []
    stack: list[_Value] = [node_ref]
    while stack:  # the page tree, for the pages' annotations
        node = source.get(stack.pop())
        if isinstance(node, dict):
            kids = source.get(node.get(b"/Kids"))
            if isinstance(kids, list):
                stack += kids
            annots = source.get(node.get(b"/Annots", []))
            holders += annots if isinstance(annots, list) else []
    stack = [item.get(b"/First") for _, item in items]
    seen: set[int] = set()
    while stack:  # the bookmarks below the top ones
        ref = stack.pop()
        if isinstance(ref, _Ref) and ref.num not in seen:
            seen.add(ref.num)
            holders.append(ref)
            item = source.get(ref)
            if isinstance(item, dict):
                stack += [item.get(b"/Next"), item.get(b"/First")]
    for ref in holders:
        if isinstance(ref, _Ref) and ref.num not in rewritten and ref.num not in source.streams:
            holder = source.get(ref)
            if isinstance(holder, dict) and _rename_dest(holder, renamed):
                rewritten[ref.num] = _dump(holder, remap)


# ---------------------------------------------------------------------------------------
# The volume: parts placed one after another, then its catalog and cross-references


class _Overflow(Exception):
    """Padded object numbers would pass what viewers accept; number densely instead."""


class _File:
    """The volume file: placed parts appended, then a cross-reference stream."""

    def __init__(self, handle: BinaryIO, version: bytes) -> None:
        self.handle = handle
        self.pos = 0
        self.digest = hashlib.md5(usedforsecurity=False)
        self.kinds = bytearray()      # per object number: 0 free, 1 at offset, 2 packed
        self.field2 = array("Q")      # offset, or the object stream's number
        self.field3 = array("Q")      # generation, or the index in the object stream
        self._put(b"%PDF-" + version + b"\n%\xbf\xf7\xa2\xfe\n")

    def _put(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.pos += len(data)

    def _grow(self, top: int) -> None:
        grow = top + 1 - len(self.kinds)
        if grow > 0:
            self.kinds.extend(bytes(grow))
            self.field2.frombytes(bytes(8 * grow))
            self.field3.frombytes(bytes(8 * grow))

    def append(self, objects: _Objects) -> None:
        """Write objects and note where each is."""
        start = self.pos
        self._grow(max(max(objects.loose, default=0), max(objects.packed, default=0)))
        kinds, second, third = self.kinds, self.field2, self.field3
        for num, at in zip(objects.loose, objects.offsets):
            if kinds[num]:
                raise AssertionError(f"object {num} written twice")
            kinds[num], second[num], third[num] = 1, start + at, 0
        for num, stream, index in zip(objects.packed, objects.streams, objects.indexes):
            if kinds[num]:
                raise AssertionError(f"object {num} written twice")
            kinds[num], second[num], third[num] = 2, stream, index
        for chunk in objects.chunks:
            self._put(chunk)

    def finish(self, num: int, root: int, info: int | None) -> None:
        """Write the cross-reference stream (object num), listing the numbers in use."""
        start = self.pos
        self._grow(num)
        self.kinds[num], self.field2[num], self.field3[num] = 1, start, 0
        self.field3[0] = 65535
        runs = [(0, 1)] + [(m.start(), m.end() - m.start())
                           for m in re.finditer(rb"[^\x00]+", bytes(self.kinds))]
        second = max(1, (max(self.field2).bit_length() + 7) // 8)
        third = max(1, (max(self.field3).bit_length() + 7) // 8)
        width = 1 + second + third
        rows = []
        for first, count in runs:
            table = bytearray(count * width)
            table[0::width] = self.kinds[first:first + count]
            for values, column, size in ((self.field2, 1, second),
                                         (self.field3, 1 + second, third)):
                packed = array("Q", values[first:first + count])
                if sys.byteorder == "little":
                    packed.byteswap()
                raw = packed.tobytes()
                for byte in range(size):
                    table[column + byte::width] = raw[8 - size + byte::8]
            rows.append(bytes(table))
        identifier = self.digest.hexdigest().encode("ascii")
        data = zlib.compress(b"".join(rows), COMPRESSION)
        index = b" ".join(b"%d %d" % run for run in runs)
        info_entry = b" /Info %d 0 R" % info if info is not None else b""
        self._put(b"%d 0 obj\n<< /Type /XRef /Size %d /Index [ %s ] /W [ 1 %d %d ] /Root %d 0 R%s "
                  b"/ID [ <%s> <%s> ] /Filter /FlateDecode /Length %d >>\nstream\n"
                  % (num, len(self.kinds), index, second, third, root, info_entry,
                     identifier, identifier, len(data)))
        self._put(data)
        self._put(b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start)


class _Cache:
    """Facts and placed parts kept in cache_dir between builds (or nowhere)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def read(self, name: str) -> bytes | None:
        if self.folder is None:
            return None
        self.used.add(name)
        try:
            return (self.folder / name).read_bytes()
        except OSError:
            return None

    def write(self, name: str, data: bytes) -> None:
        """Write a cache file through a rename (no fsync: a damaged one is read as missing)."""
        if self.folder is None:
            return
        self.used.add(name)
        atomic_write(self.folder / name, data, durable=False)

    def evict(self) -> None:
        """Remove the facts and parts of earlier volumes that this one did not use."""
        if self.folder is None or not self.folder.is_dir():
            return
        for prefix in (FACTS_PREFIX, PART_PREFIX):
            for path in self.folder.glob(f"{prefix}*"):
                if path.name not in self.used:
                    path.unlink(missing_ok=True)


@dataclass
class _Volume:
    """The volume being written: numbering, and what its catalog gathers, part by part."""

    file: _File
    cache: _Cache
    sparse: bool                # numbers and keys in padded blocks, so that parts keep them
    parts_count: int            # the front matter and the reports
    reserved: dict[bytes, str]  # the report-CODE destination names, by code
    next: int = 1               # the next free object number
    next_key: int = 0           # the next free structure parent key
    catalog: int = 0
    struct_root: int = 0
    document: int = 0
    outlines: int = 0
    pages_root: int = 0
    groups: list[int] = field(default_factory=list)
    dests: dict[bytes, bytes] = field(default_factory=dict)

    def allocate(self) -> int:
        self.next += 1
        return self.next - 1

    def reserve(self) -> None:
        """Number the objects parts refer to: catalog, page tree, structure, outline."""
        self.catalog, self.struct_root, self.document, self.outlines, self.pages_root = (
            self.allocate() for _ in range(5))
        count = -(-self.parts_count // NODES_PER_GROUP) if self.parts_count > NODES_PER_GROUP \
            else 0
        self.groups = [self.allocate() for _ in range(count)]
        self.next = max(self.next, RESERVED_NUMBERS + 1)

    def node_parent(self, part: int) -> int:
        """Return the page tree node above the page tree of the part-th part (0: front)."""
        return self.groups[part // NODES_PER_GROUP] if self.groups else self.pages_root

    def placement(self, facts: _Facts, part: int, code: str | None) -> _Placement:
        """Return a part's place after those placed so far, and take its numbers and keys."""
        block = _round_up(facts.span, OBJECT_BLOCK) if self.sparse else facts.span
        keys = _round_up(facts.keys, KEY_BLOCK) if self.sparse else facts.keys
        base, offset = self.next - 1, self.next_key
        self.next += block
        self.next_key += keys
        if self.next > MAX_OBJECT_NUMBER:
            raise _Overflow
        renamed, skipped = [], set()
        own = b"report-" + code.encode() if code else None
        for name in facts.names:
            if code is None and name in self.reserved:
                skipped.add(name)  # a contents line's anchor: the report takes its name
            elif name in self.dests or (name in self.reserved and name != own):
                new = _free_name(self.dests, code.encode() + b"/" + name if code else name)
                renamed.append((name, new))
                self.dests[new] = b""
            else:
                self.dests[name] = b""
        if own is not None:
            self.dests[own] = b""
        return _Placement(base, offset, self.node_parent(part), self.document, self.outlines,
                          tuple(renamed), frozenset(skipped))


def _round_up(value: int, step: int) -> int:
    return max(step, -(-value // step) * step)


def _free_name(taken: dict[bytes, bytes], name: bytes) -> bytes:
    """Return name, or name with a number appended, whichever is not taken."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = name + b"-%d" % number
    return candidate


def _report_chunk(volume: _Volume, entry: VolumeEntry, part: int) -> _Chunk:
    """Return a report placed at its turn: from the cache when it was placed there before."""
    try:
        return _report_chunk_of(volume, entry, part)
    except _Unsupported as error:
        raise ValueError(f"{entry.pdf}: cannot add it to the volume: {error}") from error


def _report_chunk_of(volume: _Volume, entry: VolumeEntry, part: int) -> _Chunk:
    data = entry.pdf.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    spec = _PartSpec(entry.code, entry.heading, entry.pages, True)
    analysis = None
    facts_name = f"{FACTS_PREFIX}{digest}-{entry.pages}.json"
    cached = volume.cache.read(facts_name)
    try:
        facts = _Facts.loads(cached) if cached is not None else None
    except (ValueError, KeyError, TypeError):
        facts = None
    if facts is None:
        analysis = _analyse(_load(data), spec)
        facts = analysis.facts
        volume.cache.write(facts_name, facts.dumps())
    place = volume.placement(facts, part, entry.code)
    key = hashlib.sha256(repr((CHUNK_FORMAT, digest, entry.code, entry.heading, entry.pages,
                               place)).encode()).hexdigest()
    part_name = f"{PART_PREFIX}{key}.bin"
    cached = volume.cache.read(part_name)
    if cached is not None:
        try:
            return _Chunk.loads(cached)
        except (ValueError, KeyError, TypeError):
            pass
    if analysis is None:
        analysis = _analyse(_load(data), spec)
    chunk = _place(analysis, place)
    volume.cache.write(part_name, chunk.dumps())
    return chunk


def _assemble(front: bytes, front_pages: int, entries: Sequence[VolumeEntry], handle: BinaryIO,
              cache: _Cache, sparse: bool) -> int:
    """Write the volume to handle; return its pages.

    The reports are numbered first, each in a block of object numbers and structure keys
    that depends on it alone, so a rebuild finds every unchanged report's objects, placed
    as before, in the cache; the front matter (whose length follows the contents) comes last.
    """
    front_source = _load(front)
    volume = _Volume(_File(handle, front_source.version), cache, sparse, 1 + len(entries),
                     {b"report-" + e.code.encode(): e.code for e in entries})
    volume.reserve()
    chunks = []
    for part, entry in enumerate(entries, start=1):
        chunk = _report_chunk(volume, entry, part)
        volume.file.append(chunk.objects)
        chunk.objects = _Objects()  # written: keep only what the catalog needs
        chunks.append(chunk)
    spec = _PartSpec(None, "Cover, contents and notices", front_pages, False)
    analysis = _analyse(front_source, spec)
    place = volume.placement(analysis.facts, 0, None)
    front_chunk = _place(analysis, place)
    volume.file.append(front_chunk.objects)
    parts = [(front_chunk, front_pages, None)]
    parts += [(chunk, entry.pages, entry.code) for chunk, entry in zip(chunks, entries)]
    _finish(volume, parts, analysis, place.base)
    return front_pages + sum(entry.pages for entry in entries)


def _tree(volume: _Volume, pairs: list[tuple[bytes, bytes]], kind: bytes,
          objects: list[tuple[int, bytes]]) -> int:
    """Add a number tree (kind /Nums) or name tree (/Names) of sorted (key token, value)."""
    def leaf(chunk: list[tuple[bytes, bytes]], limits: bool) -> bytes:
        entries = b" ".join(key + b" " + value for key, value in chunk)
        bounds = b" /Limits [ %s %s ]" % (chunk[0][0], chunk[-1][0]) if limits else b""
        return b"<< %s [ %s ]%s >>" % (kind, entries, bounds)

    root = volume.allocate()
    if len(pairs) <= TREE_FANOUT:
        objects.append((root, leaf(pairs, False)))
        return root
    kids = []
    for start in range(0, len(pairs), TREE_FANOUT):
        kids.append(volume.allocate())
        objects.append((kids[-1], leaf(pairs[start:start + TREE_FANOUT], True)))
    objects.append((root, b"<< /Kids [ %s ] >>" % b" ".join(b"%d 0 R" % k for k in kids)))
    return root


def _finish(volume: _Volume, parts: list[tuple[_Chunk, int, str | None]], front: _Analysis,
            base: int) -> None:
    """Write the catalog, page tree, structure root, outline, name trees, cross-references.

    parts are (chunk, pages, code) in volume order, the front matter's first; base is
    what the front matter's object numbers moved by.
    """
    objects: list[tuple[int, bytes]] = []
    refs = b" ".join
    chunks = [chunk for chunk, _, _ in parts]
    pages = [count for _, count, _ in parts]

    # Page tree: the volume's root over each part's own page tree (in groups when many).
    nodes = [(chunk.node, count) for chunk, count in zip(chunks, pages, strict=True)]
    if volume.groups:
        top = []
        for index, group in enumerate(volume.groups):
            members = nodes[index * NODES_PER_GROUP:(index + 1) * NODES_PER_GROUP]
            objects.append((group, b"<< /Type /Pages /Parent %d 0 R /Kids [ %s ] /Count %d >>" % (
                volume.pages_root, refs(b"%d 0 R" % n for n, _ in members),
                sum(c for _, c in members))))
            top.append(group)
    else:
        top = [n for n, _ in nodes]
    objects.append((volume.pages_root, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (
        refs(b"%d 0 R" % k for k in top), sum(pages))))

    # Structure tree.
    parents = sorted(pair for chunk in chunks for pair in chunk.parents)
    parent_tree = _tree(volume, [(b"%d" % key, value) for key, value in parents], b"/Nums",
                        objects)
    objects.append((volume.document, b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>"
                    % (volume.struct_root,
                       refs(b"%d 0 R" % top for chunk in chunks for top in chunk.tops))))
    extra = b""
    for name in (b"/RoleMap", b"/ClassMap"):
        mapping: dict[bytes, bytes] = {}
        for chunk in chunks:
            for key, value in (chunk.role_map if name == b"/RoleMap" else chunk.class_map).items():
                mapping.setdefault(key, value)
        if mapping:
            extra += b" %s << %s >>" % (name, refs(k + b" " + v for k, v in mapping.items()))
    ids: dict[bytes, bytes] = {}
    for chunk in chunks:
        for key, value in chunk.ids:
            ids.setdefault(key, value)
    if ids:
        extra += b" /IDTree %d 0 R" % _tree(
            volume, [(_literal(k), v) for k, v in sorted(ids.items())], b"/Names", objects)
    objects.append((volume.struct_root, b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R"
                    b" /ParentTreeNextKey %d%s >>" % (volume.document, parent_tree,
                                                      volume.next_key, extra)))

    # Outline: every part's top bookmarks, in volume order.
    items = [item for chunk in chunks for item in chunk.outline]
    for index, (num, body, _) in enumerate(items):
        links = b""
        if index:
            links += b" /Prev %d 0 R" % items[index - 1][0]
        if index + 1 < len(items):
            links += b" /Next %d 0 R" % items[index + 1][0]
        objects.append((num, body[:-2].rstrip() + links + b" >>"))
    if items:
        objects.append((volume.outlines, b"<< /Type /Outlines /First %d 0 R /Last %d 0 R "
                        b"/Count %d >>" % (items[0][0], items[-1][0], sum(i[2] for i in items))))

    # Destinations, page labels and the catalog: the front matter's, with the volume's trees.
    dests = {name: value for chunk in chunks for name, value in chunk.dests}
    dests_root = _tree(volume, [(_literal(k), v) for k, v in sorted(dests.items())], b"/Names",
                       objects)
    labels, first = [], 0
    for _, count, code in parts:
        labels.append(b"%d << /S /D%s >>" % (
            first, b" /P " + _literal(code.encode() + b"-") if code else b""))
        first += count
    labels_num = volume.allocate()
    objects.append((labels_num, b"<< /Nums [ %s ] >>" % refs(labels)))

    def remap(num: int) -> int | None:
        return num + base if num not in front.dropped else None

    catalog = {k: v for k, v in front.catalog.items()
               if k not in (b"/Pages", b"/StructTreeRoot", b"/Outlines", b"/Names",
                            b"/PageLabels", b"/Dests")}
    catalog[b"/Pages"] = _Out(volume.pages_root)
    catalog[b"/StructTreeRoot"] = _Out(volume.struct_root)
    if items:
        catalog[b"/Outlines"] = _Out(volume.outlines)
    catalog[b"/Names"] = {**{k: v for k, v in front.names.items() if k != b"/Dests"},
                          b"/Dests": _Out(dests_root)}
    catalog[b"/PageLabels"] = _Out(labels_num)
    objects.append((volume.catalog, _dump(catalog, remap)))
    written = _Objects()
    written.pack(iter(volume.allocate, None), objects)
    volume.file.append(written)
    info = front.source.trailer.get(b"/Info")
    volume.file.finish(volume.allocate(), volume.catalog,
                       info.num + base if isinstance(info, _Ref) else None)


def _save(target: Path, write: Callable[[BinaryIO], int]) -> int:
    """Write target through a temporary file in its folder, renamed into place."""
    return atomic_stream(target, write)
