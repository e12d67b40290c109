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

from report.volume.format import COMPRESSION
from report.volume.place import FontUse, Objects
from report.volume.syntax import parse


class NotMerged(ValueError):
    """Subsets that cannot be merged: they are written as they are."""


# Tables a merged face is made of; any other table leaves the face as it is.
_GLYPH_TABLES = {b"glyf", b"loca", b"hmtx", b"cmap", b"GDEF"}
_SAME_TABLES = {b"head", b"hhea", b"maxp", b"OS/2", b"name", b"post", b"gasp"}
_HINTING = {b"cvt ", b"fpgm", b"prep"}
# Bytes of the tables in _SAME_TABLES that depend on the glyphs a subset keeps.
_VARYING = {b"head": ((8, 12), (50, 52)), b"hhea": ((34, 36),), b"maxp": ((4, 6),)}
_OS2_VARYING = ((42, 58), (64, 68))


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


class Sfnt:
    """A TrueType font's tables, and its glyphs and metrics by glyph id."""

    def __init__(self, data: bytes, last: int) -> None:
        self.last = last  # the highest glyph the document uses: those past it are components
        self._canonical: dict[int, bytes] = {}
        try:
            self._read(data)
        except (struct.error, IndexError, KeyError) as error:
            raise NotMerged(f"an unreadable font: {error}") from error

    def _read(self, data: bytes) -> None:
        version, count = struct.unpack_from(">IH", data)
        if version != 0x00010000:
            raise NotMerged("not a TrueType font")
        self.tables: dict[bytes, bytes] = {}
        for index in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
            if offset + length > len(data):
                raise NotMerged("a table past the font's end")
            self.tables[tag] = data[offset : offset + length]
        tags = set(self.tables)
        if not {b"glyf", b"loca", b"hmtx", b"head", b"hhea", b"maxp"} <= tags or (
            tags - _GLYPH_TABLES - _SAME_TABLES - _HINTING
        ):
            raise NotMerged("a font with other tables")
        head, maxp, hhea = self.tables[b"head"], self.tables[b"maxp"], self.tables[b"hhea"]
        count = struct.unpack_from(">H", maxp, 4)[0]
        long_loca = struct.unpack_from(">h", head, 50)[0] == 1
        loca = struct.unpack_from(f">{count + 1}{'I' if long_loca else 'H'}", self.tables[b"loca"])
        scale = 1 if long_loca else 2
        glyf = self.tables[b"glyf"]
        self.glyphs = [glyf[loca[i] * scale : loca[i + 1] * scale] for i in range(count)]
        metrics = struct.unpack_from(">H", hhea, 34)[0]
        if not 0 < metrics <= count:
            raise NotMerged("a font whose metrics do not match its glyphs")
        pairs = struct.unpack_from(f">{2 * metrics}H", self.tables[b"hmtx"])
        lsbs = struct.unpack_from(f">{count - metrics}h", self.tables[b"hmtx"], 4 * metrics)
        self.metrics = [(pairs[2 * i], pairs[2 * i + 1] & 0xFFFF) for i in range(metrics)]
        self.metrics += [(pairs[-2], lsb & 0xFFFF) for lsb in lsbs]
        self.long_metrics = metrics
        self.cmap = read_cmap(self.tables.get(b"cmap", b""))
        if not 0 <= self.last < count:
            raise NotMerged("a font that lacks glyphs its document uses")

    def face(self) -> bytes:
        """Return what identifies the face: the tables that do not depend on the glyphs."""
        digest = hashlib.sha256()
        for tag in sorted(self.tables):
            table = bytearray(self.tables[tag] if tag not in _GLYPH_TABLES else b"")
            for start, end in _OS2_VARYING if tag == b"OS/2" else _VARYING.get(tag, ()):
                table[start:end] = bytes(end - start)
            digest.update(tag + struct.pack(">I", len(table)) + table)
        return digest.digest()

    def entry(self, gid: int) -> tuple[bool, tuple[bytes, int, int]] | None:
        """Return a glyph's (outline, advance, side bearing), and whether it is surely kept."""
        if gid > self.last:
            return None
        glyph, (advance, lsb) = self.canonical(gid), self.metrics[gid]
        if self.glyphs[gid] or gid == self.last or (gid < self.long_metrics and advance | lsb):
            return True, (glyph, advance, lsb)
        if gid >= self.long_metrics:  # past the long metrics: the advance is the last one's
            return False, (glyph, advance, lsb)
        return None

    def canonical(self, gid: int) -> bytes:
        """Return a glyph as compared between subsets: components past last by content."""
        if gid in self._canonical:
            return self._canonical[gid]
        self._canonical[gid] = b"?"  # a component cycle compares as unequal to anything
        glyph = bytearray(self.glyphs[gid])
        parts = []
        for at in components(self.glyphs[gid]):
            component = struct.unpack_from(">H", glyph, at)[0]
            if component >= len(self.glyphs):
                raise NotMerged(f"glyph {gid} has a missing component")
            if component > self.last:
                glyph[at : at + 2] = b"\xff\xff"
                parts.append(self.canonical(component) + b"%d %d" % self.metrics[component])
        text = b"\0".join([bytes(glyph), *parts])
        self._canonical[gid] = hashlib.sha256(text).digest() if parts else bytes(glyph)
        return self._canonical[gid]


def components(glyph: bytes) -> list[int]:
    """Return where a composite glyph gives its components' glyph ids (none if simple)."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph)[0] >= 0:
        return []
    at, found = 10, []
    while True:
        flags = struct.unpack_from(">H", glyph, at)[0]
        found.append(at + 2)
        at += 4 + (4 if flags & 0x1 else 2)
        at += 2 if flags & 0x8 else 4 if flags & 0x40 else 8 if flags & 0x80 else 0
        if not flags & 0x20:
            return found


def read_cmap(table: bytes) -> dict[int, int]:
    """Return a cmap's characters and glyphs (its format 4 and 12 subtables)."""
    mapping: dict[int, int] = {}
    if not table:
        return mapping
    count = struct.unpack_from(">H", table, 2)[0]
    for index in range(count):
        offset = struct.unpack_from(">I", table, 8 + 8 * index)[0]
        kind = struct.unpack_from(">H", table, offset)[0]
        if kind == 4:
            segments = struct.unpack_from(">H", table, offset + 6)[0] // 2
            at = offset + 14
            ends = struct.unpack_from(f">{segments}H", table, at)
            starts = struct.unpack_from(f">{segments}H", table, at + 2 * segments + 2)
            deltas = struct.unpack_from(f">{segments}H", table, at + 4 * segments + 2)
            ranges_at = at + 6 * segments + 2
            ranges = struct.unpack_from(f">{segments}H", table, ranges_at)
            for seg in range(segments):
                for char in range(starts[seg], ends[seg] + 1):
                    if char == 0xFFFF:
                        continue
                    if ranges[seg] == 0:
                        gid = (char + deltas[seg]) & 0xFFFF
                    else:
                        at_glyph = ranges_at + 2 * seg + ranges[seg] + 2 * (char - starts[seg])
                        gid = struct.unpack_from(">H", table, at_glyph)[0]
                        gid = (gid + deltas[seg]) & 0xFFFF if gid else 0
                    if gid:
                        mapping.setdefault(char, gid)
        elif kind == 12:
            groups = struct.unpack_from(">I", table, offset + 12)[0]
            for group in range(groups):
                start, end, gid = struct.unpack_from(">III", table, offset + 16 + 12 * group)
                for char in range(start, end + 1):
                    mapping.setdefault(char, gid + char - start)
        else:
            raise NotMerged(f"a cmap subtable of format {kind}")
    return mapping


def write_cmap(mapping: dict[int, int]) -> bytes:
    """Return a cmap of a format 4 subtable (and format 12 past the BMP) for mapping."""
    chars = sorted(mapping)
    runs: list[list[int]] = []  # [first char, last char, first glyph]
    for char in chars:
        if char > 0xFFFF:
            break
        last = runs[-1] if runs else None
        if last and char == last[1] + 1 and mapping[char] == last[2] + char - last[0]:
            last[1] = char
        else:
            runs.append([char, char, mapping[char]])
    runs.append([0xFFFF, 0xFFFF, 1])
    segments = len(runs)
    power = 1 << (segments.bit_length() - 1)
    fields = [4, 16 + 8 * segments, 0, 2 * segments, 2 * power]
    fields += [power.bit_length() - 1, 2 * segments - 2 * power]
    fmt4 = struct.pack(">7H", *fields)
    fmt4 += struct.pack(f">{segments}H", *(run[1] for run in runs)) + b"\0\0"
    fmt4 += struct.pack(f">{segments}H", *(run[0] for run in runs))
    fmt4 += struct.pack(f">{segments}H", *((run[2] - run[0]) & 0xFFFF for run in runs))
    fmt4 += bytes(2 * segments)
    subtables = [(0, 3, fmt4), (3, 1, fmt4)]
    wide = [char for char in chars if char > 0xFFFF]
    if wide:
        groups = [(char, char, mapping[char]) for char in chars]
        fmt12 = struct.pack(">HHIII", 12, 0, 16 + 12 * len(groups), 0, len(groups))
        fmt12 += b"".join(struct.pack(">III", *group) for group in groups)
        subtables = [(0, 3, fmt4), (0, 4, fmt12), (3, 1, fmt4), (3, 10, fmt12)]
    head = struct.pack(">HH", 0, len(subtables))
    at, body, offsets = 4 + 8 * len(subtables), b"", {}
    for _, _, data in subtables:
        if id(data) not in offsets:
            offsets[id(data)] = at + len(body)
            body += data
    head += b"".join(struct.pack(">HHI", p, e, offsets[id(d)]) for p, e, d in subtables)
    return head + body


def merge(fonts: list[Sfnt]) -> bytes:
    """Return one font holding every glyph of fonts, subsets of one face; NotMerged if not.

    Glyphs up to the highest any document uses keep their ids; the components HarfBuzz
    moved past a subset's last glyph follow them, one per distinct glyph, and composite
    glyphs refer to them there.
    """
    top = max(font.last for font in fonts)
    chosen_from: list[tuple[Sfnt, int] | None] = []
    metrics: list[tuple[int, int]] = []
    for gid in range(top + 1):
        found = [(font, entry) for font in fonts if (entry := font.entry(gid)) is not None]
        sure = [(font, value) for font, (surely, value) in found if surely]
        chosen = sure or [(font, value) for font, (_, value) in found]
        outlines = {value[0]: font for font, value in chosen if font.glyphs[gid]}
        if len({value[1:] for _, value in chosen}) > 1 or len(outlines) > 1:
            raise NotMerged(f"glyph {gid} differs between subsets")
        metrics.append(chosen[0][1][1:] if chosen else (0, 0))
        chosen_from.append((next(iter(outlines.values())), gid) if outlines else None)
    extras: dict[bytes, int] = {}  # components past the glyphs used, by content
    for font in fonts:
        for gid in range(font.last + 1, len(font.glyphs)):
            key = font.canonical(gid) + b"%d %d" % font.metrics[gid]
            if key not in extras:
                extras[key] = len(chosen_from)
                chosen_from.append((font, gid))
                metrics.append(font.metrics[gid])

    def new_id(font: Sfnt, gid: int) -> int:
        if gid <= font.last:
            return gid
        return extras[font.canonical(gid) + b"%d %d" % font.metrics[gid]]

    outlines_out: list[bytes] = []
    for source in chosen_from:
        if source is None:
            outlines_out.append(b"")
            continue
        font, gid = source
        glyph = bytearray(font.glyphs[gid])
        for at in components(font.glyphs[gid]):
            component = struct.unpack_from(">H", glyph, at)[0]
            glyph[at : at + 2] = struct.pack(">H", new_id(font, component))
        outlines_out.append(bytes(glyph))
    count = len(outlines_out)
    cmap: dict[int, int] = {}
    for font in fonts:
        for char, gid in font.cmap.items():
            if gid < len(font.glyphs) and cmap.setdefault(char, new_id(font, gid)) != new_id(
                font, gid
            ):
                raise NotMerged(f"character {char:#x} maps to two glyphs")
    base = fonts[0]
    tables = {tag: table for tag, table in base.tables.items() if tag != b"GDEF"}
    glyf = bytearray()
    loca = [0]
    for outline in outlines_out:
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
        for at in range(42, 58, 4):
            bits = 0
            for font in fonts:
                bits |= struct.unpack_from(">I", font.tables[b"OS/2"], at)[0]
            os2[at : at + 4] = struct.pack(">I", bits)
        if cmap:
            low, high = min(cmap), max(cmap)
            os2[64:68] = struct.pack(">HH", min(low, 0xFFFF), min(high, 0xFFFF))
        tables[b"OS/2"] = bytes(os2)
    if b"cmap" in tables:
        tables[b"cmap"] = write_cmap(cmap)
    return write_sfnt(tables)


def _checksum(data: bytes) -> int:
    padded = data + bytes(-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}I", padded)
    return sum(words) & 0xFFFFFFFF


def write_sfnt(tables: dict[bytes, bytes]) -> bytes:
    """Return a TrueType font of tables, its checksums computed."""
    tags = sorted(tables)
    power = 1 << (len(tags).bit_length() - 1)
    head = struct.pack(
        ">IHHHH",
        0x00010000,
        len(tags),
        16 * power,
        power.bit_length() - 1,
        16 * (len(tags) - power),
    )
    at = 12 + 16 * len(tags)
    directory, body, head_at = b"", b"", 0
    for tag in tags:
        table = tables[tag]
        if tag == b"head":
            head_at = at + len(body)
        directory += struct.pack(">4sIII", tag, _checksum(table), at + len(body), len(table))
        body += table + bytes(-len(table) % 4)
    font = bytearray(head + directory + body)
    if b"head" in tables:
        adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
        font[head_at + 8 : head_at + 12] = struct.pack(">I", adjustment)
    return bytes(font)


def shared_fonts(uses: list[FontUse], allocate: Callable[[], int]) -> Objects:
    """Write each distinct font program once, and every use's descriptor pointing at it.

    Programs go in the order they are first used; subsets of one TrueType face are merged
    into one program first.
    """
    groups: dict[bytes, list[int]] = {}  # uses by face, or by their bytes
    fonts: dict[int, Sfnt] = {}
    for index, use in enumerate(uses):
        key = b"bytes:" + hashlib.sha256(use.dictionary + b"\n" + use.data).digest()
        data = program(use) if use.key == b"/FontFile2" else None
        if data is not None:
            try:
                fonts[index] = Sfnt(data, use.last)
                key = b"face:" + fonts[index].face()
            except NotMerged:
                pass
        groups.setdefault(key, []).append(index)
    written = Objects()
    target: dict[int, int] = {}
    streams: list[tuple[int, bytes, bytes]] = []
    for key, members in groups.items():
        distinct: dict[bytes, list[int]] = {}
        for index in members:
            use = uses[index]
            same = b"%d\n%s\n%s" % (use.last, use.dictionary, use.data)
            distinct.setdefault(same, []).append(index)
        if key.startswith(b"face:") and len(distinct) > 1:
            try:
                merged = merge([fonts[indexes[0]] for indexes in distinct.values()])
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
                target.update((index, num) for index in members)
                continue
        for indexes in distinct.values():
            num = allocate()
            use = uses[indexes[0]]
            streams.append((num, use.dictionary, use.data))
            target.update((index, num) for index in indexes)
    descriptors = [
        (use.descriptor, use.body[:-2] + b"%s %d 0 R >>" % (use.key, target[index]))
        for index, use in enumerate(uses)
    ]
    for num, dictionary, data in streams:
        written.stream(num, dictionary, data)
    written.pack(iter(allocate, None), descriptors)
    return written
