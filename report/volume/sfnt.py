"""TrueType fonts as the volume reads and writes them: tables, glyphs, metrics, cmaps.

Only what merging the subsets of a face needs (report/volume/fonts.py): a font's tables,
its glyphs and metrics by glyph id, its characters (cmap formats 4 and 12), and a font
written back from tables with its checksums.
"""

from __future__ import annotations

import hashlib
import struct


class NotMerged(ValueError):
    """Subsets that cannot be merged: they are written as they are."""


# Tables a merged face is made of; any other table leaves the face as it is.
_GLYPH_TABLES = {b"glyf", b"loca", b"hmtx", b"cmap", b"GDEF"}
_SAME_TABLES = {b"head", b"hhea", b"maxp", b"OS/2", b"name", b"post", b"gasp"}
_HINTING = {b"cvt ", b"fpgm", b"prep"}
# Bytes of the tables in _SAME_TABLES that depend on the glyphs a subset keeps.
_VARYING = {b"head": ((8, 12), (50, 52)), b"hhea": ((34, 36),), b"maxp": ((4, 6),)}
_OS2_VARYING = ((42, 58), (64, 68))


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

    def entry(self, gid: int) -> tuple[bool, tuple[int, int]] | None:
        """Return a glyph's (advance, side bearing), and whether it is surely kept.

        None for a glyph the union does not take from this subset. Its outline is compared
        (canonical) only where the union takes or holds it: most ids of a subset that keeps
        the face's glyph ids are empty.
        """
        if gid > self.last:
            return None
        advance, lsb = self.metrics[gid]
        if self.glyphs[gid] or gid == self.last or (gid < self.long_metrics and advance | lsb):
            return True, (advance, lsb)
        if gid >= self.long_metrics:  # past the long metrics: the advance is the last one's
            return False, (advance, lsb)
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


def _checksum(data: bytes) -> int:
    """Return the TrueType checksum of data: its big-endian 32-bit words summed, zero-padded."""
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
