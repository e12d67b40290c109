"""One font program per face in the volume: the parts' subsets of it merged glyph by glyph.

WeasyPrint subsets each TrueType face it embeds with HarfBuzz, keeping the face's own
glyph ids (glyphs a document does not use are left empty), so the subsets of one face in
different reports are pieces of the same font: their union, glyph by glyph, serves every
report, whose widths, ToUnicode and CIDToGIDMap stay as they are. Subsets are of one face
when every table that does not depend on the glyphs chosen is the same, byte for byte
(names, head, metrics headers, hinting programs...); and where two subsets both hold a
glyph, its outline and metrics must agree, or the face is not merged. A program that is
not merged (another kind of font, or a face that did not pass) is still written once for
all the parts that embed the very same bytes.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from report.volume.format import COMPRESSION
from report.volume.place import FontUse, Objects
from report.volume.sfnt import NotMerged, Sfnt, components, write_cmap, write_sfnt
from report.volume.syntax import parse


def program(use: FontUse) -> bytes | None:
    """Return the font program a use embeds, or None if its filters are not plain Flate."""
    dictionary = parse(use.dictionary)[0]
    if not isinstance(dictionary, dict) or b"/DecodeParms" in dictionary:
        return None
    compression = dictionary.get(b"/Filter")
    if compression is None:
        return use.data
    if compression not in (b"/FlateDecode", [b"/FlateDecode"]):
        return None
    try:
        return zlib.decompress(use.data)
    except zlib.error:
        return None


# A glyph of the merged font: its id, kept from the subsets, or the key of a component
# HarfBuzz moved past a subset's last glyph (its content and metrics).
Ref = int | bytes


@dataclass
class Glyph:
    """A glyph of the union so far: how sure its metrics are, its metrics and outline."""

    sure: bool
    metrics: tuple[int, int]
    outline: bytes | None  # as compared between subsets (Sfnt.canonical); None if empty
    data: bytes = b""  # as written, its components' ids to be set from refs
    refs: list[tuple[int, Ref]] = field(default_factory=list)  # (offset, component)


def _ref(font: Sfnt, gid: int) -> Ref:
    """Return what a glyph id of font is in the merged font."""
    return gid if gid <= font.last else font.canonical(gid) + b"%d %d" % font.metrics[gid]


def _glyph(font: Sfnt, gid: int, sure: bool, metrics: tuple[int, int]) -> Glyph:
    """Return a glyph of font as the union keeps it, its components as refs."""
    data = font.glyphs[gid]
    refs = [(at, _ref(font, struct.unpack_from(">H", data, at)[0])) for at in components(data)]
    return Glyph(sure, metrics, font.canonical(gid) if data else None, data, refs)


class FaceMerger:
    """The subsets of one face, merged one at a time into the union of their glyphs.

    Only the union is held, not the subsets: a volume of thousands of reports merges each
    face in the memory of about one font. Glyphs up to the highest any subset uses keep
    their ids; the components HarfBuzz moved past a subset's last glyph follow them, one
    per distinct glyph, and composite glyphs refer to them there. Where subsets disagree on
    a glyph they both hold, NotMerged.
    """

    def __init__(self) -> None:
        self.tables: dict[bytes, bytes] = {}  # the first subset's: names, head, hinting...
        self.top = -1
        self.glyphs: dict[int, Glyph] = {}
        self.extras: dict[bytes, Glyph] = {}  # moved components, by content and metrics
        self.cmap: dict[int, Ref] = {}
        self.ranges = [0, 0, 0, 0]  # OS/2 ulUnicodeRange1 to 4, or-ed
        self.count = 0

    def add(self, font: Sfnt) -> None:
        """Merge one more subset of the face into the union."""
        if not self.tables:
            self.tables = {tag: table for tag, table in font.tables.items() if tag != b"GDEF"}
        self.count += 1
        self.top = max(self.top, font.last)
        for gid in range(font.last + 1):
            entry = font.entry(gid)
            if entry is None:
                continue
            sure, (advance, lsb) = entry
            held = self.glyphs.get(gid)
            if held is None or (sure and not held.sure):
                self.glyphs[gid] = _glyph(font, gid, sure, (advance, lsb))
            elif held.sure == sure:  # one more of the glyphs the union takes: they must agree
                if held.metrics != (advance, lsb):
                    raise NotMerged(f"glyph {gid} differs between subsets")
                if font.glyphs[gid]:
                    if held.outline is None:
                        self.glyphs[gid] = _glyph(font, gid, sure, held.metrics)
                    elif held.outline != font.canonical(gid):
                        raise NotMerged(f"glyph {gid} differs between subsets")
        for gid in range(font.last + 1, len(font.glyphs)):
            key = _ref(font, gid)
            assert isinstance(key, bytes)
            if key not in self.extras:
                self.extras[key] = _glyph(font, gid, True, font.metrics[gid])
        for char, gid in font.cmap.items():
            if gid < len(font.glyphs) and self.cmap.setdefault(char, _ref(font, gid)) != _ref(
                font, gid
            ):
                raise NotMerged(f"character {char:#x} maps to two glyphs")
        if b"OS/2" in font.tables:
            for index in range(4):
                bits = struct.unpack_from(">I", font.tables[b"OS/2"], 42 + 4 * index)[0]
                self.ranges[index] |= bits

    def font(self) -> bytes:
        """Return the merged font program."""
        ids = {key: self.top + 1 + index for index, key in enumerate(self.extras)}

        def new_id(ref: Ref) -> int:
            return ref if isinstance(ref, int) else ids[ref]

        empty = Glyph(False, (0, 0), None)
        glyphs = [self.glyphs.get(gid, empty) for gid in range(self.top + 1)]
        glyphs += self.extras.values()
        outlines: list[bytes] = []
        for glyph in glyphs:
            data = bytearray(glyph.data if glyph.outline is not None else b"")
            for at, ref in glyph.refs if data else ():
                data[at : at + 2] = struct.pack(">H", new_id(ref))
            outlines.append(bytes(data))
        cmap = {char: new_id(ref) for char, ref in self.cmap.items()}
        return _font_file(
            self.tables, outlines, [glyph.metrics for glyph in glyphs], cmap, self.ranges
        )


def merge(fonts: list[Sfnt]) -> bytes:
    """Return one font holding every glyph of fonts, subsets of one face; NotMerged if not."""
    merger = FaceMerger()
    for font in fonts:
        merger.add(font)
    return merger.font()


def _font_file(
    base: dict[bytes, bytes],
    outlines: list[bytes],
    metrics: list[tuple[int, int]],
    cmap: dict[int, int],
    ranges: list[int],
) -> bytes:
    """Return the font of base's tables with these glyphs, metrics, characters and ranges."""
    count = len(outlines)
    tables = dict(base)
    glyf = bytearray()
    loca = [0]
    for outline in outlines:
        glyf += outline + bytes(len(outline) % 2)
        loca.append(len(glyf))
    long_loca = len(glyf) > 0x1FFFE
    tables[b"glyf"] = bytes(glyf)
    tables[b"loca"] = (
        struct.pack(f">{len(loca)}I", *loca)
        if long_loca
        else struct.pack(f">{len(loca)}H", *(at // 2 for at in loca))
    )
    tables[b"hmtx"] = b"".join(struct.pack(">HH", *pair) for pair in metrics)
    hhea = bytearray(tables[b"hhea"])
    hhea[34:36] = struct.pack(">H", count)
    tables[b"hhea"] = bytes(hhea)
    maxp = bytearray(tables[b"maxp"])
    maxp[4:6] = struct.pack(">H", count)
    tables[b"maxp"] = bytes(maxp)
    head = bytearray(tables[b"head"])
    head[8:12] = bytes(4)
    head[50:52] = struct.pack(">h", 1 if long_loca else 0)
    tables[b"head"] = bytes(head)
    if b"OS/2" in tables:
        os2 = bytearray(tables[b"OS/2"])
        os2[42:58] = struct.pack(">4I", *ranges)
        if cmap:
            low, high = min(cmap), max(cmap)
            os2[64:68] = struct.pack(">HH", min(low, 0xFFFF), min(high, 0xFFFF))
        tables[b"OS/2"] = bytes(os2)
    if b"cmap" in tables:
        tables[b"cmap"] = write_cmap(cmap)
    return write_sfnt(tables)


class SharedFonts:
    """Font programs written once for all their uses, merged as the uses come.

    Programs go in the order they are first used; subsets of one TrueType face are merged
    into one program first, each as it comes (FaceMerger), so that no more than the union
    of a face is held at a time; the volume adds each part's uses as it is placed.
    """

    def __init__(self) -> None:
        self.uses: list[FontUse] = []
        self.groups: dict[bytes, dict[bytes, list[int]]] = {}  # by face or bytes: programs
        self.mergers: dict[bytes, FaceMerger | None] = {}  # None: its subsets disagree
        self.known: dict[bytes, bytes] = {}  # a program seen before -> its group's key

    def add(self, uses: list[FontUse]) -> None:
        """Take more uses of fonts: read and merge each program not seen before."""
        for use in uses:
            self._add(len(self.uses), use)
            self.uses.append(use)

    def _add(self, index: int, use: FontUse) -> None:
        same = hashlib.sha256(b"%d\n%s\n%s" % (use.last, use.dictionary, use.data)).digest()
        if same in self.known:  # the same subset again: read and merged once
            self.groups[self.known[same]][same].append(index)
            return
        key = b"bytes:" + hashlib.sha256(use.dictionary + b"\n" + use.data).digest()
        font = None
        data = program(use) if use.key == b"/FontFile2" else None
        if data is not None:
            try:
                font = Sfnt(data, use.last)
                key = b"face:" + font.face()
            except NotMerged:
                font = None
        self.known[same] = key
        distinct = self.groups.setdefault(key, {})
        if font is not None:
            merger = self.mergers.setdefault(key, FaceMerger())
            try:
                if merger is not None:
                    merger.add(font)
            except NotMerged:
                self.mergers[key] = None
        distinct.setdefault(same, []).append(index)

    def objects(self, allocate: Callable[[], int]) -> Objects:
        """Write each distinct program once, and every use's descriptor pointing at it."""
        written = Objects()
        target: dict[int, int] = {}
        streams: list[tuple[int, bytes, bytes]] = []
        for key, distinct in self.groups.items():
            merger = self.mergers.get(key)
            if merger is not None and len(distinct) > 1:
                try:
                    merged = merger.font()
                except NotMerged:
                    pass
                else:
                    num = allocate()
                    data = zlib.compress(merged, COMPRESSION)
                    dictionary = b"<< /Filter /FlateDecode /Length1 %d /Length %d >>" % (
                        len(merged),
                        len(data),
                    )
                    streams.append((num, dictionary, data))
                    target.update((i, num) for indexes in distinct.values() for i in indexes)
                    continue
            for indexes in distinct.values():
                num = allocate()
                use = self.uses[indexes[0]]
                streams.append((num, use.dictionary, use.data))
                target.update((index, num) for index in indexes)
        descriptors = [
            (use.descriptor, use.body[:-2] + b"%s %d 0 R >>" % (use.key, target[index]))
            for index, use in enumerate(self.uses)
        ]
        for num, dictionary, data in streams:
            written.stream(num, dictionary, data)
        written.pack(iter(allocate, None), descriptors)
        return written
