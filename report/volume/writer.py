"""Write the volume: parts placed one after another, then its catalog and cross-references."""

from __future__ import annotations

import hashlib
import re
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from report import inputs
from report.volume.analyse import Analysis, Facts, PartSpec, analyse
from report.volume.cache import PartCache
from report.volume.entry import VolumeEntry
from report.volume.format import CHUNK_FORMAT, COMPRESSION, FACTS_PREFIX, PART_PREFIX
from report.volume.front import RenderedPart
from report.volume.place import Chunk, Objects, Placement, place_part
from report.volume.reader import load_pdf
from report.volume.syntax import Out, Ref, Unsupported, dump, pdf_string

# Entries per node of the number and name trees written (ParentTree, Dests, IDTree).
TREE_FANOUT = 128
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
        self._put(b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start)


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
            self.outlines,
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


def write_tree(
    volume: Volume, pairs: list[tuple[bytes, bytes]], kind: bytes, objects: list[tuple[int, bytes]]
) -> int:
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
        objects.append((kids[-1], leaf(pairs[start : start + TREE_FANOUT], True)))
    objects.append((root, b"<< /Kids [ %s ] >>" % b" ".join(b"%d 0 R" % k for k in kids)))
    return root


def finish_volume(
    volume: Volume,
    front: list[tuple[Chunk, int]],
    reports: list[tuple[Chunk, int, str]],
    opening: Analysis,
    base: int,
) -> None:
    """Write the catalog, page tree, structure root, outline, name trees, cross-references.

    front is the front matter's parts (chunk, pages), the opening first; reports each
    report's (chunk, pages, code), in volume order; base is what the opening's object
    numbers moved by.
    """
    objects: list[tuple[int, bytes]] = []
    refs = b" ".join
    parts = [(chunk, count, None) for chunk, count in front] + list(reports)
    chunks = [chunk for chunk, _, _ in parts]
    pages = [count for _, count, _ in parts]

    # Page tree: the volume's root over the front matter's parts and the reports' own page
    # trees (those in groups when there are many).
    nodes = [(chunk.node, count) for chunk, count, _ in reports]
    top = [chunk.node for chunk, _ in front]
    if volume.groups:
        for index, group in enumerate(volume.groups):
            members = nodes[index * NODES_PER_GROUP : (index + 1) * NODES_PER_GROUP]
            objects.append(
                (
                    group,
                    b"<< /Type /Pages /Parent %d 0 R /Kids [ %s ] /Count %d >>"
                    % (
                        volume.pages_root,
                        refs(b"%d 0 R" % n for n, _ in members),
                        sum(c for _, c in members),
                    ),
                )
            )
            top.append(group)
    else:
        top += [n for n, _ in nodes]
    objects.append(
        (
            volume.pages_root,
            b"<< /Type /Pages /Kids [ %s ] /Count %d >>"
            % (refs(b"%d 0 R" % k for k in top), sum(pages)),
        )
    )

    # Structure tree.
    parents = sorted(pair for chunk in chunks for pair in chunk.parents)
    parent_tree = write_tree(
        volume, [(b"%d" % key, value) for key, value in parents], b"/Nums", objects
    )
    objects.append(
        (
            volume.document,
            b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>"
            % (volume.struct_root, refs(b"%d 0 R" % top for chunk in chunks for top in chunk.tops)),
        )
    )
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
        extra += b" /IDTree %d 0 R" % write_tree(
            volume, [(pdf_string(k), v) for k, v in sorted(ids.items())], b"/Names", objects
        )
    objects.append(
        (
            volume.struct_root,
            b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R"
            b" /ParentTreeNextKey %d%s >>" % (volume.document, parent_tree, volume.next_key, extra),
        )
    )

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
        objects.append(
            (
                volume.outlines,
                b"<< /Type /Outlines /First %d 0 R /Last %d 0 R "
                b"/Count %d >>" % (items[0][0], items[-1][0], sum(i[2] for i in items)),
            )
        )

    # Destinations, page labels and the catalog: the front matter's, with the volume's trees.
    dests = {name: value for chunk in chunks for name, value in chunk.dests}
    dests_root = write_tree(
        volume, [(pdf_string(k), v) for k, v in sorted(dests.items())], b"/Names", objects
    )
    labels, first = [], 0
    for index, (_, count, code) in enumerate(parts):
        if code is not None or index == 0:  # the front matter's pages run on from 1
            labels.append(
                b"%d << /S /D%s >>"
                % (first, b" /P " + pdf_string(code.encode() + b"-") if code else b"")
            )
        first += count
    labels_num = volume.allocate()
    objects.append((labels_num, b"<< /Nums [ %s ] >>" % refs(labels)))

    def remap(num: int) -> int | None:
        return num + base if num not in opening.dropped else None

    catalog = {
        k: v
        for k, v in opening.catalog.items()
        if k
        not in (b"/Pages", b"/StructTreeRoot", b"/Outlines", b"/Names", b"/PageLabels", b"/Dests")
    }
    catalog[b"/Pages"] = Out(volume.pages_root)
    catalog[b"/StructTreeRoot"] = Out(volume.struct_root)
    if items:
        catalog[b"/Outlines"] = Out(volume.outlines)
    catalog[b"/Names"] = {
        **{k: v for k, v in opening.names.items() if k != b"/Dests"},
        b"/Dests": Out(dests_root),
    }
    catalog[b"/PageLabels"] = Out(labels_num)
    objects.append((volume.catalog, dump(catalog, remap)))
    written = Objects()
    written.pack(iter(volume.allocate, None), objects)
    if volume.file is None:
        raise ValueError("a volume is finished after its parts are written")
    volume.file.append(written)
    info = opening.parsed.trailer.get(b"/Info")
    volume.file.finish(
        volume.allocate(), volume.catalog, info.num + base if isinstance(info, Ref) else None
    )


def assemble_volume(
    entries: Iterable[VolumeEntry],
    codes: Sequence[str],
    front: Callable[[list[VolumeEntry]], list[RenderedPart]],
    handle: BinaryIO,
    cache: PartCache,
    sparse: bool,
    pause: Callable[[str], None] | None = None,
) -> int:
    """Write the volume to handle; return its pages.

    entries are the reports of codes, in that order. pause, if given, is told
    "volume-half-written" once the first report is written to handle. front gives the
    front matter's parts for them, the opening first: its catalog, metadata and document
    information stand for the volume's. The reports are numbered first, each in a block of
    object numbers and structure keys that depends on it alone, then the contents pages, so
    a rebuild finds every unchanged part's objects, placed as before, in the cache; the
    opening (whose catalog the volume's is made from) comes last.
    """
    if not codes:
        raise ValueError("a volume needs at least one report")
    if len(set(codes)) != len(codes):
        raise ValueError("a report appears twice in the volume")
    volume = Volume(
        handle, cache, sparse, len(codes), {b"report-" + code.encode(): code for code in codes}
    )
    volume.reserve()
    seen: list[VolumeEntry] = []
    placed: list[tuple[Chunk, int, str]] = []
    for index, entry in enumerate(entries):
        if index >= len(codes) or entry.code != codes[index]:
            raise ValueError(f"{entry.code}: not the report the volume holds next")
        seen.append(entry)
        data = entry.pdf.read_bytes()
        spec = PartSpec(entry.code, entry.heading, entry.pages, True)
        chunk = placed_part(volume, data, spec, volume.report_parent(index), str(entry.pdf))
        volume.append(chunk.objects, data)
        chunk.objects = Objects()  # written: keep only what the catalog needs
        placed.append((chunk, entry.pages, entry.code))
        if pause is not None and index == 0:
            handle.flush()
            pause("volume-half-written")
    if len(seen) != len(codes):
        raise ValueError(f"the volume was to hold {len(codes)} reports, not {len(seen)}")
    opening, *rest = front(seen)
    pieces: list[tuple[Chunk, int]] = []
    for piece in rest:
        spec = PartSpec(None, piece.title, piece.pages, False)
        chunk = placed_part(volume, piece.pdf, spec, volume.pages_root, piece.title)
        volume.append(chunk.objects, piece.pdf)
        chunk.objects = Objects()
        pieces.append((chunk, piece.pages))
    analysis = analyse(
        load_pdf(opening.pdf), PartSpec(None, opening.title, opening.pages, False, primary=True)
    )
    place = volume.placement(analysis.facts, volume.pages_root, None)
    first = place_part(analysis, place)
    volume.append(first.objects, opening.pdf)
    finish_volume(volume, [(first, opening.pages), *pieces], placed, analysis, place.base)
    return opening.pages + sum(pages for _, pages in pieces) + sum(pages for _, pages, _ in placed)
