"""Place an analysed part in the volume: renumbered, keys shifted, IDs prefixed."""

from __future__ import annotations

import json
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from report.volume.analyse import Analysis, first_page
from report.volume.format import CHUNK_FORMAT, COMPRESSION, OBJECTS_PER_STREAM, stream_end
from report.volume.reader import ParsedPdf
from report.volume.syntax import (
    Out,
    Ref,
    Value,
    as_list,
    dump,
    pdf_string,
    prefix_ids,
    renumber,
    shift_keys,
    text_of,
    to_int,
)


@dataclass(frozen=True)
class Placement:
    """Where a part goes: its numbers, keys, page tree parent and renamed destinations."""

    base: int  # added to each of its object numbers
    offset: int  # added to each of its structure parent keys
    parent: int  # the volume's page tree node above its own page tree
    document: int  # the volume's /Document element
    renamed: tuple[tuple[bytes, bytes], ...] = ()  # names other parts hold, and the new ones
    # Names it gives up (the contents anchors), sorted: the placement is part of a cache
    # key, so its repr must not depend on the process (a set's order does).
    skipped: tuple[bytes, ...] = ()


@dataclass
class Objects:
    """Objects written one after another, with their offsets or object streams, from 0."""

    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    loose: array[int] = field(default_factory=lambda: array("Q"))  # object numbers at offsets
    offsets: array[int] = field(default_factory=lambda: array("Q"))
    packed: array[int] = field(default_factory=lambda: array("Q"))  # objects in object streams
    streams: array[int] = field(default_factory=lambda: array("Q"))  # ... and that stream's number
    indexes: array[int] = field(default_factory=lambda: array("Q"))  # ... and their index in it

    def _put(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)

    def stream(self, num: int, dictionary: bytes, data: bytes) -> None:
        """Add a stream object; dictionary must give data's /Length."""
        self.loose.append(num)
        self.offsets.append(self.size)
        self._put(b"%d 0 obj\n%s\nstream\n" % (num, dictionary))
        self._put(data)
        self._put(stream_end(data) + b"\nendobj\n")

    def pack(self, numbers: Iterator[int], objects: list[tuple[int, bytes]]) -> None:
        """Add non-stream objects in compressed object streams numbered from numbers."""
        objects.sort()
        for start in range(0, len(objects), OBJECTS_PER_STREAM):
            chunk = objects[start : start + OBJECTS_PER_STREAM]
            num = next(numbers)
            heads, at = [], 0
            for member, body in chunk:
                heads.append(b"%d %d" % (member, at))
                at += len(body) + 1
            self.packed.extend(member for member, _ in chunk)
            self.streams.extend([num] * len(chunk))
            self.indexes.extend(range(len(chunk)))
            head = b" ".join(heads) + b"\n"
            data = zlib.compress(
                head + b"\n".join([*(body for _, body in chunk), b""]), COMPRESSION
            )
            self.stream(
                num,
                b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode "
                b"/Length %d >>" % (len(chunk), len(head), len(data)),
                data,
            )

    def data(self) -> bytes:
        """Return the objects as written."""
        return b"".join(self.chunks)


@dataclass(frozen=True)
class FontUse:
    """A part's font descriptor whose program the volume writes once for all parts."""

    descriptor: int  # its object number in the volume
    body: bytes  # the descriptor as placed, without its font file entry: `<< ... >>`
    key: bytes  # the entry that refers to the program: /FontFile2 or /FontFile3
    dictionary: bytes  # the program stream's dictionary as written
    data: bytes  # the program stream's data as written
    last: int  # the highest glyph id its font uses


@dataclass
class Chunk:
    """A placed part: its objects as written, and what the volume's catalog takes from it."""

    objects: Objects
    node: int  # its page tree's root, renumbered
    tops: list[int]  # its /Part elements
    parents: list[tuple[int, bytes]]  # ParentTree entries, keys and values final
    dests: list[tuple[bytes, bytes]]
    outline: list[tuple[int, bytes, int]]  # top bookmarks: number, body, visible count
    role_map: dict[bytes, bytes]
    class_map: dict[bytes, bytes]
    ids: list[tuple[bytes, bytes]]
    fonts: list[FontUse] = field(default_factory=list)  # descriptors the volume writes

    _ARRAYS = ("loose", "offsets", "packed", "streams", "indexes")

    def dumps(self) -> bytes:
        """Return the chunk as a cache file: a JSON header, the offset arrays, the objects."""
        text = "latin-1"
        arrays = b"".join(getattr(self.objects, a).tobytes() for a in self._ARRAYS)
        data = self.objects.data()
        programs = b"".join(f.data for f in self.fonts)
        header = json.dumps(
            {
                "format": CHUNK_FORMAT,
                "node": self.node,
                "tops": self.tops,
                "parents": [[k, v.decode(text)] for k, v in self.parents],
                "dests": [[k.decode(text), v.decode(text)] for k, v in self.dests],
                "outline": [[n, b.decode(text), c] for n, b, c in self.outline],
                "role_map": {k.decode(text): v.decode(text) for k, v in self.role_map.items()},
                "class_map": {k.decode(text): v.decode(text) for k, v in self.class_map.items()},
                "ids": [[k.decode(text), v.decode(text)] for k, v in self.ids],
                "fonts": [
                    [
                        f.descriptor,
                        f.body.decode(text),
                        f.key.decode(text),
                        f.dictionary.decode(text),
                        len(f.data),
                        f.last,
                    ]
                    for f in self.fonts
                ],
                "lengths": [len(getattr(self.objects, a)) for a in self._ARRAYS],
                "size": len(data),
                "crc32": zlib.crc32(programs, zlib.crc32(data, zlib.crc32(arrays))),
            }
        ).encode()
        return b"%d\n" % len(header) + header + arrays + data + programs

    @classmethod
    def loads(cls, blob: bytes) -> Chunk:
        """Read a cache file written by dumps; raise ValueError if it is not whole."""
        text = "latin-1"
        line = blob.index(b"\n")
        start = line + 1 + int(blob[:line])
        head = json.loads(blob[line + 1 : start])
        # A checksum, not a digest: cache files are written whole (renamed into place), so
        # this only catches a file damaged on disk, and must cost little for a thousand.
        if head.get("format") != CHUNK_FORMAT or zlib.crc32(blob[start:]) != head["crc32"]:
            raise ValueError("a damaged or outdated cache file")
        objects = Objects()
        for name, length in zip(cls._ARRAYS, head["lengths"], strict=True):
            getattr(objects, name).frombytes(blob[start : start + 8 * length])
            start += 8 * length
        objects.chunks, objects.size = [blob[start : start + head["size"]]], head["size"]
        start += head["size"]
        fonts = []
        for descriptor, body, key, dictionary, length, last in head["fonts"]:
            data = blob[start : start + length]
            fonts.append(
                FontUse(
                    descriptor,
                    body.encode(text),
                    key.encode(text),
                    dictionary.encode(text),
                    data,
                    last,
                )
            )
            start += length
        if start != len(blob):
            raise ValueError("a damaged cache file")
        return cls(
            objects,
            head["node"],
            head["tops"],
            [(k, v.encode(text)) for k, v in head["parents"]],
            [(k.encode(text), v.encode(text)) for k, v in head["dests"]],
            [(n, b.encode(text), c) for n, b, c in head["outline"]],
            {k.encode(text): v.encode(text) for k, v in head["role_map"].items()},
            {k.encode(text): v.encode(text) for k, v in head["class_map"].items()},
            [(k.encode(text), v.encode(text)) for k, v in head["ids"]],
            fonts,
        )


def place_part(analysis: Analysis, place: Placement) -> Chunk:
    """Write a part's objects at its place: renumbered, keys shifted, IDs prefixed."""
    parsed, spec, facts = analysis.parsed, analysis.spec, analysis.facts
    base, offset = place.base, place.offset
    kept = parsed.numbers() - analysis.dropped
    table = {b"%d" % num: b"%d 0 R" % (num + base) for num in kept}

    def remap(num: int) -> int | None:
        return num + base if num in kept else None

    # Destinations: a name another part holds is renamed; the report's own one assured.
    renamed = dict(place.renamed)
    dests = [
        (renamed.get(name, name), dump(value, remap))
        for name, value in analysis.dest_pairs
        if name not in place.skipped
    ]
    own = b"report-" + spec.code.encode() if spec.code else None
    if own is not None and (own not in facts.names or own in renamed):
        first, inherited = first_page(parsed, analysis.node)
        box = as_list(inherited.get(b"/MediaBox", [b"0", b"0", b"0", b"0"]), "a /MediaBox")
        left, top = dump(box[0], remap), dump(box[3], remap)
        dests.append((own, b"[ %d 0 R /XYZ %s %s 0 ]" % (first + base, left, top)))

    # Objects rewritten here: the page tree's root, top structure elements, top bookmarks.
    rewritten: dict[int, bytes] = {}
    node = parsed.get(analysis.node)
    assert isinstance(node, dict)
    node[b"/Parent"] = Out(place.parent)
    rewritten[analysis.node.num] = dump(node, remap)
    prefix = spec.code.encode() + b"/" if spec.code else b""
    for num in analysis.tops:
        element = parsed.get(Ref(num))
        assert isinstance(element, dict)
        element[b"/P"] = Out(place.document)
        if element.get(b"/S") == b"/Document":
            element[b"/S"] = b"/Part"
            element[b"/T"] = (
                pdf_string(spec.title.encode("utf-8"))
                if spec.title.isascii()
                else b"<feff" + spec.title.encode("utf-16-be").hex().encode() + b">"
            )
        rewritten[num] = prefix_ids(dump(element, remap), prefix)
    outline = []
    for num, item in analysis.items:
        item = dict(item)
        for link in (b"/Parent", b"/Prev", b"/Next"):  # the volume's outline sets them
            item.pop(link, None)
        count = to_int(item.get(b"/Count", b"0"))
        if spec.closed and count > 0:
            item[b"/Count"] = b"%d" % -count
        rename_dest(item, renamed)
        outline.append(
            (num + base, dump(item, remap), 1 + (count if count > 0 and not spec.closed else 0))
        )
    if renamed:
        rename_links(parsed, analysis.node, analysis.items, rewritten, renamed, remap)

    # Everything else as it is: renumbered, structure parent keys shifted, IDs prefixed.
    keys: list[int] = []
    skip = analysis.dropped | {num for num, _ in analysis.items} | set(rewritten)
    skip |= {descriptor for descriptor, _, _, _ in analysis.fonts}
    programs = {program for _, program, _, _ in analysis.fonts}

    def rewrite(data: bytes) -> bytes:
        return prefix_ids(shift_keys(renumber(data, table), offset, keys), prefix)

    objects = [
        (num + base, shift_keys(body, offset, keys))
        for num, body in rewritten.items()
        if num in kept
    ]
    for pack in parsed.packs:
        bodies = rewrite(pack.data).split(b"\n")  # one more: the text ends with a newline
        objects += [
            (num + base, body)
            for num, body in zip(pack.nums, bodies, strict=False)
            if num not in skip and (not parsed.duplicates or parsed.where[num][0] is pack)
        ]
    loose = [num for num in parsed.bodies if num not in skip]
    if loose:
        bodies = rewrite(b"\n".join(parsed.bodies[num] for num in loose)).split(b"\n")
        objects += [(num + base, body) for num, body in zip(loose, bodies, strict=True)]
    written = Objects()
    streams = [num for num in sorted(parsed.streams) if num in kept and num not in programs]
    if streams:
        dictionaries = rewrite(b"\n".join(parsed.streams[num][0] for num in streams))
        for num, dictionary in zip(streams, dictionaries.split(b"\n"), strict=True):
            written.stream(num + base, dictionary, parsed.streams[num][1])
    written.pack(iter(range(base + max(parsed.numbers()) + 1, base + facts.span + 1)), objects)

    # What the volume's catalog takes from the part.
    parents: list[tuple[int, bytes]] = []
    if analysis.parent_pairs:
        values = renumber(b"\n".join(v for _, v in analysis.parent_pairs), table).split(b"\n")
        parents = [
            (key + offset, value)
            for (key, _), value in zip(analysis.parent_pairs, values, strict=True)
        ]
    maps = {
        name: {key: dump(value, remap) for key, value in mapping.items()}
        for name, mapping in analysis.maps.items()
    }
    fonts = []
    for descriptor, program, key, last in analysis.fonts:
        entries = parsed.get(Ref(descriptor))
        assert isinstance(entries, dict)
        entries.pop(key)
        fonts.append(
            FontUse(descriptor + base, dump(entries, remap), key, *parsed.streams[program], last)
        )
    return Chunk(
        written,
        analysis.node.num + base,
        [num + base for num in analysis.tops],
        parents,
        dests,
        outline,
        maps.get(b"/RoleMap", {}),
        maps.get(b"/ClassMap", {}),
        [(prefix + name, dump(value, remap)) for name, value in analysis.id_pairs],
        fonts,
    )


def rename_dest(holder: dict[bytes, Value], renamed: dict[bytes, bytes]) -> bool:
    """Point a link's or bookmark's named destination (/Dest or /A /D) at its new name."""
    changed = False
    action = holder.get(b"/A")
    for owner, key in ((holder, b"/Dest"), (action if isinstance(action, dict) else {}, b"/D")):
        token = owner.get(key)
        if isinstance(token, bytes) and token[:1] in (b"(", b"<") and text_of(token) in renamed:
            owner[key] = pdf_string(renamed[text_of(token)])
            changed = True
    return changed


def rename_links(
    parsed: ParsedPdf,
    node_ref: Ref,
    items: list[tuple[int, dict[bytes, Value]]],
    rewritten: dict[int, bytes],
    renamed: dict[bytes, bytes],
    remap: Callable[[int], int | None],
) -> None:
    """Point a part's links and nested bookmarks at the destinations renamed for it."""
    holders: list[Value] = []
    stack: list[Value | None] = [node_ref]
    while stack:  # the page tree, for the pages' annotations
        node = parsed.get(stack.pop())
        if isinstance(node, dict):
            kids = parsed.get(node.get(b"/Kids"))
            if isinstance(kids, list):
                stack += kids
            annots = parsed.get(node.get(b"/Annots", []))
            holders += annots if isinstance(annots, list) else []
    stack = [item.get(b"/First") for _, item in items]
    seen: set[int] = set()
    while stack:  # the bookmarks below the top ones
        ref = stack.pop()
        if isinstance(ref, Ref) and ref.num not in seen:
            seen.add(ref.num)
            holders.append(ref)
            item = parsed.get(ref)
            if isinstance(item, dict):
                stack += [item.get(b"/Next"), item.get(b"/First")]
    for ref in holders:
        if isinstance(ref, Ref) and ref.num not in rewritten and ref.num not in parsed.streams:
            holder = parsed.get(ref)
            if isinstance(holder, dict) and rename_dest(holder, renamed):
                rewritten[ref.num] = dump(holder, remap)
