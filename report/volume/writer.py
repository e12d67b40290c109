"""The volume as it is written: its file, its object numbering, and each part placed in it."""

from __future__ import annotations

import hashlib
import re
import sys
import zlib
from array import array
from dataclasses import dataclass, field
from typing import BinaryIO

from report import inputs
from report.volume.analyse import Facts, PartSpec, analyse
from report.volume.cache import PartCache
from report.volume.format import CHUNK_FORMAT, COMPRESSION, FACTS_PREFIX, PART_PREFIX, stream_end
from report.volume.place import Chunk, Objects, Placement, place_part
from report.volume.reader import load_pdf
from report.volume.syntax import Unsupported

# Parts (front matter, reports) per node of the volume's page tree, when it has more.
NODES_PER_GROUP = 256
# Each report takes object numbers and structure parent keys in blocks of these sizes, so
# that a report keeps its numbers when one before it changes a little: its objects, as
# placed, then come from the cache. Numbers go up to what viewers accept (PDF 1.7, C.2);
# past that the volume is numbered densely, without the cache.
OBJECT_BLOCK = 1024
KEY_BLOCK = 64
MAX_OBJECT_NUMBER = 8_388_607
RESERVED_NUMBERS = 100


class Overflow(Exception):
    """Padded object numbers would pass what viewers accept; number densely instead."""


class VolumeFile:
    """The volume file: placed parts appended, then a cross-reference stream."""

    def __init__(self, handle: BinaryIO, version: bytes) -> None:
        self.handle = handle
        self.pos = 0
        self.digest = hashlib.md5(usedforsecurity=False)
        # Per object number, the three fields of its cross-reference entry: its kind (0 free,
        # 1 at an offset, 2 packed), then its offset or object stream, then its generation
        # or index in that stream.
        self.kinds = bytearray()
        self.offsets_or_streams = array("Q")
        self.generations_or_indexes = array("Q")
        self._put(b"%PDF-" + version + b"\n%\xbf\xf7\xa2\xfe\n")

    def _put(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.pos += len(data)

    def _grow(self, top: int) -> None:
        grow = top + 1 - len(self.kinds)
        if grow > 0:
            self.kinds.extend(bytes(grow))
            self.offsets_or_streams.frombytes(bytes(8 * grow))
            self.generations_or_indexes.frombytes(bytes(8 * grow))

    def append(self, objects: Objects) -> None:
        """Write objects and note where each is."""
        start = self.pos
        self._grow(max(max(objects.loose, default=0), max(objects.packed, default=0)))
        kinds, places, indexes = self.kinds, self.offsets_or_streams, self.generations_or_indexes
        for num, at in zip(objects.loose, objects.offsets, strict=True):
            if kinds[num]:
                raise AssertionError(f"object {num} written twice")
            kinds[num], places[num], indexes[num] = 1, start + at, 0
        for num, stream, index in zip(
            objects.packed, objects.streams, objects.indexes, strict=True
        ):
            if kinds[num]:
                raise AssertionError(f"object {num} written twice")
            kinds[num], places[num], indexes[num] = 2, stream, index
        for chunk in objects.chunks:
            self._put(chunk)

    def finish(self, num: int, root: int, info: int | None) -> None:
        """Write the cross-reference stream (object num), listing the numbers in use."""
        start = self.pos
        self._grow(num)
        self.kinds[num] = 1
        self.offsets_or_streams[num] = start
        self.generations_or_indexes[num] = 0
        self.generations_or_indexes[0] = 65535  # the head of the free list
        runs = [(0, 1)] + [
            (m.start(), m.end() - m.start()) for m in re.finditer(rb"[^\x00]+", bytes(self.kinds))
        ]
        second = max(1, (max(self.offsets_or_streams).bit_length() + 7) // 8)  # bytes wide
        third = max(1, (max(self.generations_or_indexes).bit_length() + 7) // 8)
        width = 1 + second + third
        rows = []
        for first, count in runs:
            table = bytearray(count * width)
            table[0::width] = self.kinds[first : first + count]
            for values, column, size in (
                (self.offsets_or_streams, 1, second),
                (self.generations_or_indexes, 1 + second, third),
            ):
                packed = array("Q", values[first : first + count])
                if sys.byteorder == "little":
                    packed.byteswap()
                raw = packed.tobytes()
                for byte in range(size):
                    table[column + byte :: width] = raw[8 - size + byte :: 8]
            rows.append(bytes(table))
        identifier = self.digest.hexdigest().encode("ascii")
        data = zlib.compress(b"".join(rows), COMPRESSION)
        index = b" ".join(b"%d %d" % run for run in runs)
        info_entry = b" /Info %d 0 R" % info if info is not None else b""
        self._put(
            b"%d 0 obj\n<< /Type /XRef /Size %d /Index [ %s ] /W [ 1 %d %d ] /Root %d 0 R%s "
            b"/ID [ <%s> <%s> ] /Filter /FlateDecode /Length %d >>\nstream\n"
            % (
                num,
                len(self.kinds),
                index,
                second,
                third,
                root,
                info_entry,
                identifier,
                identifier,
                len(data),
            )
        )
        self._put(data)
        self._put(stream_end(data) + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % start)


@dataclass
class Volume:
    """The volume being written: numbering, and what its catalog gathers, part by part."""

    handle: BinaryIO
    cache: PartCache
    sparse: bool  # numbers and keys in padded blocks, so that parts keep them
    reports: int  # how many reports it holds
    reserved: dict[bytes, str]  # the report-CODE destination names, by code
    file: VolumeFile | None = None  # started with the first part, which gives its version
    next: int = 1  # the next free object number
    next_key: int = 0  # the next free structure parent key
    catalog: int = 0
    struct_root: int = 0
    document: int = 0
    outlines: int = 0
    pages_root: int = 0
    groups: list[int] = field(default_factory=list)
    dests: dict[bytes, bytes] = field(default_factory=dict)

    def allocate(self) -> int:
        """Take the next free object number."""
        self.next += 1
        return self.next - 1

    def reserve(self) -> None:
        """Reserve the numbers of the objects parts refer to: catalog, pages, structure, outline."""
        self.catalog, self.struct_root, self.document, self.outlines, self.pages_root = (
            self.allocate() for _ in range(5)
        )
        count = -(-self.reports // NODES_PER_GROUP) if self.reports > NODES_PER_GROUP else 0
        self.groups = [self.allocate() for _ in range(count)]
        self.next = max(self.next, RESERVED_NUMBERS + 1)

    def report_parent(self, index: int) -> int:
        """Return the page tree node above the index-th report's page tree."""
        return self.groups[index // NODES_PER_GROUP] if self.groups else self.pages_root

    def append(self, objects: Objects, data: bytes) -> None:
        """Write a part's objects; the first part's header (data) gives the file's version."""
        if self.file is None:
            self.file = VolumeFile(self.handle, pdf_version(data))
        self.file.append(objects)

    def placement(self, facts: Facts, parent: int, code: str | None) -> Placement:
        """Return a part's place after those placed so far, and take its numbers and keys."""
        block = _round_up(facts.span, OBJECT_BLOCK) if self.sparse else facts.span
        keys = _round_up(facts.keys, KEY_BLOCK) if self.sparse else facts.keys
        base, offset = self.next - 1, self.next_key
        self.next += block
        self.next_key += keys
        if self.next > MAX_OBJECT_NUMBER:
            raise Overflow
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
        return Placement(
            base,
            offset,
            parent,
            self.document,
            tuple(renamed),
            tuple(sorted(skipped)),
        )


def pdf_version(data: bytes) -> bytes:
    """Return the version a PDF's header gives, such as b"1.7"."""
    match = re.match(rb"%PDF-(\d\.\d)", data)
    if match is None:
        raise ValueError("not a PDF: no %PDF- header")
    return match[1]


def _round_up(value: int, step: int) -> int:
    return max(step, -(-value // step) * step)


def _free_name(taken: dict[bytes, bytes], name: bytes) -> bytes:
    """Return name, or name with a number appended, whichever is not taken."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = name + b"-%d" % number
    return candidate


def placed_part(volume: Volume, data: bytes, spec: PartSpec, parent: int, name: str) -> Chunk:
    """Return a part placed at its turn: from the cache when it was placed there before."""
    try:
        return _placed_part(volume, data, spec, parent)
    except Unsupported as error:
        raise ValueError(f"{name}: cannot add it to the volume: {error}") from error


def _placed_part(volume: Volume, data: bytes, spec: PartSpec, parent: int) -> Chunk:
    digest = hashlib.sha256(data).hexdigest()
    analysis = None
    facts_name = f"{FACTS_PREFIX}{inputs.PartFacts(digest, spec.pages).key()}.json"
    cached = volume.cache.read(facts_name)
    try:
        facts = Facts.loads(cached) if cached is not None else None
    except (ValueError, KeyError, TypeError):
        facts = None
    if facts is None:
        analysis = analyse(load_pdf(data), spec)
        facts = analysis.facts
        volume.cache.write(facts_name, facts.dumps())
    place = volume.placement(facts, parent, spec.code)
    key = inputs.PlacedPart(digest, repr(spec), repr((CHUNK_FORMAT, place))).key()
    part_name = f"{PART_PREFIX}{key}.bin"
    cached = volume.cache.read(part_name)
    if cached is not None:
        try:
            return Chunk.loads(cached)
        except (ValueError, KeyError, TypeError):
            pass
    if analysis is None:
        analysis = analyse(load_pdf(data), spec)
    chunk = place_part(analysis, place)
    volume.cache.write(part_name, chunk.dumps())
    return chunk
