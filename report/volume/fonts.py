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
