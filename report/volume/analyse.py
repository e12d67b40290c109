"""Analyse a part of the volume (the front matter, or one report) before it is placed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from report.volume.format import CHUNK_FORMAT, OBJECTS_PER_STREAM
from report.volume.reader import ParsedPdf
from report.volume.syntax import (
    STRUCT_PARENT,
    Ref,
    Unsupported,
    Value,
    as_dict,
    as_list,
    as_ref,
    dump,
    same,
    text_of,
    to_int,
)


@dataclass(frozen=True)
class PartSpec:
    """How one input joins the volume."""

    code: str | None  # None for the front matter
    title: str  # the /T of its /Part structure element
    pages: int  # its page count, as the contents assumed it
    closed: bool  # whether its bookmarks start closed
    primary: bool = False  # its catalog, metadata and information stand for the volume's


@dataclass(frozen=True)
class Facts:
    """What placing a part needs to know of it, whatever its place (cached by content)."""

    span: int  # object numbers it takes: its own, then its object streams
    keys: int  # structure parent keys it takes
    names: tuple[bytes, ...]  # its named destinations

    def dumps(self) -> bytes:
        """Return the facts as a cache file."""
        return json.dumps(
            {
                "format": CHUNK_FORMAT,
                "span": self.span,
                "keys": self.keys,
                "names": [n.decode("latin-1") for n in self.names],
            }
        ).encode()

    @classmethod
    def loads(cls, data: bytes) -> Facts:
        """Read a cache file written by dumps; raise ValueError if it is of another format."""
        value = json.loads(data)
        if value.get("format") != CHUNK_FORMAT:
            raise ValueError("another format")
        return cls(
            int(value["span"]),
            int(value["keys"]),
            tuple(n.encode("latin-1") for n in value["names"]),
        )


@dataclass
class Analysis:
    """A part's objects and what its catalog holds, before it is placed."""

    parsed: ParsedPdf
    spec: PartSpec
    catalog: dict[bytes, Value]
    node: Ref  # its page tree's root
    dropped: set[int]  # objects the volume's own replace
    tops: list[int]  # its top structure elements
    parent_pairs: list[tuple[int, bytes]]
    maps: dict[bytes, dict[bytes, Value]]
    id_pairs: list[tuple[bytes, Value]]
    items: list[tuple[int, dict[bytes, Value]]]  # its top bookmarks
    dest_pairs: list[tuple[bytes, Value]]
    names: dict[bytes, Value]  # the catalog's /Names dictionary
    facts: Facts
    # Font descriptors whose program the volume writes once for all parts (descriptor,
    # program stream, the descriptor's entry for it).
    fonts: list[tuple[int, int, bytes, int]]


def analyse(parsed: ParsedPdf, spec: PartSpec) -> Analysis:
    """Find a part's page tree, structure, outline and names, and what the volume replaces."""
    root_ref = as_ref(parsed.trailer.get(b"/Root"), "a catalog")
    catalog = as_dict(parsed.get(root_ref), "a catalog")
    if not isinstance(catalog.get(b"/Pages"), Ref):
        raise Unsupported("a catalog without a page tree")
    dropped = {root_ref.num}

    def drop(value: Value) -> Value:
        if isinstance(value, Ref):
            dropped.add(value.num)
        return parsed.get(value)

    def drop_ref(value: Value | None) -> None:
        if isinstance(value, Ref):
            dropped.add(value.num)

    node_ref = as_ref(catalog[b"/Pages"], "a page tree")
    node = parsed.get(node_ref)
    count = parsed.get(node.get(b"/Count", b"0")) if isinstance(node, dict) else None
    if count != b"%d" % spec.pages:
        raise ValueError(
            f"{spec.title}: {count!r} pages, but the volume's contents counted "
            f"{spec.pages}; its page numbers would be wrong"
        )

    tops: list[int] = []
    parent_pairs: list[tuple[int, bytes]] = []
    maps: dict[bytes, dict[bytes, Value]] = {}
    id_pairs: list[tuple[bytes, Value]] = []
    if b"/StructTreeRoot" in catalog:
        root = as_dict(drop(catalog[b"/StructTreeRoot"]), "a structure tree root")
        kids = root.get(b"/K", [])
        if isinstance(kids, Ref) and not isinstance(parsed.get(kids), dict):
            kids = drop(kids)  # an indirect array
        tops += [
            as_ref(kid, "a structure element").num
            for kid in (kids if isinstance(kids, list) else [kids])
        ]
        if b"/ParentTree" in root:
            parent_pairs = number_tree(parsed, root[b"/ParentTree"], dropped)
        for name in (b"/RoleMap", b"/ClassMap"):
            if name in root:
                maps[name] = as_dict(drop(root[name]), name.decode())
        if b"/IDTree" in root:
            id_pairs = name_tree(parsed, root[b"/IDTree"], dropped)

    items: list[tuple[int, dict[bytes, Value]]] = []
    if isinstance(catalog.get(b"/Outlines"), Ref):
        outlines = as_dict(drop(catalog[b"/Outlines"]), "an outline root")
        item, seen = outlines.get(b"/First"), set()
        while isinstance(item, Ref) and item.num not in seen:
            seen.add(item.num)
            items.append((item.num, as_dict(parsed.get(item), "a bookmark")))
            item = items[-1][1].get(b"/Next")
    found = drop(catalog.get(b"/Names", {}))
    names = found if isinstance(found, dict) else {}
    dest_pairs = name_tree(parsed, names.get(b"/Dests"), dropped)
    legacy = drop(catalog.get(b"/Dests", {}))
    if isinstance(legacy, dict):
        dest_pairs += [(key[1:], value) for key, value in legacy.items()]
    drop_ref(catalog.get(b"/PageLabels"))
    if not spec.primary:  # the opening's metadata and output intents stand for all
        drop_ref(catalog.get(b"/Metadata"))
        intents = drop(catalog.get(b"/OutputIntents", []))
        for intent in intents if isinstance(intents, list) else []:
            intent_dict = drop(intent)
            if isinstance(intent_dict, dict):
                drop_ref(intent_dict.get(b"/DestOutputProfile"))
        drop_ref(parsed.trailer.get(b"/Info"))
        drop_embedded_files(parsed, catalog, names, dropped)

    numbers = parsed.numbers()
    packed = len(numbers - dropped - set(parsed.streams)) - len(items)
    keys = [key for key, _ in parent_pairs]
    for text in (
        *(pack.data for pack in parsed.packs),
        *parsed.bodies.values(),
        *(dictionary for dictionary, _ in parsed.streams.values()),
    ):
        if b"/StructParent" in text:
            keys += [int(k) for k in STRUCT_PARENT.findall(text)]
    facts = Facts(
        span=max(numbers) + -(-packed // OBJECTS_PER_STREAM),
        keys=max(keys) + 1 if keys else 0,
        names=tuple(name for name, _ in dest_pairs),
    )
    return Analysis(
        parsed,
        spec,
        catalog,
        node_ref,
        dropped,
        tops,
        parent_pairs,
        maps,
        id_pairs,
        items,
        dest_pairs,
        names,
        facts,
        shared_fonts(parsed, dropped),
    )


def shared_fonts(parsed: ParsedPdf, dropped: set[int]) -> list[tuple[int, int, bytes, int]]:
    """Find the font descriptors whose program the volume can write once for all parts.

    Each comes with the highest glyph its CID font uses (by /W; glyphs past it in a
    subset are components HarfBuzz renumbered). A descriptor with a /CIDSet or /CharSet
    (which list the glyphs of its program), one not below a CID font whose CIDs are glyph
    ids, or whose program stream refers to other objects, keeps its own program.
    """
    if parsed.duplicates:
        return []
    found: list[tuple[int, int, bytes, int]] = []
    texts = [(pack.nums, pack.data) for pack in parsed.packs]
    last = used_glyphs(parsed, texts)
    texts += [([num], body) for num, body in parsed.bodies.items()]
    programs: set[int] = set()
    for nums, text in texts:
        if b"/FontFile" not in text or b"/FontDescriptor" not in text:
            continue
        for num in nums:
            body = parsed.body(num)
            if b"/FontFile" not in body or num in dropped:
                continue
            descriptor = parsed.get(Ref(num))
            if not isinstance(descriptor, dict) or descriptor.get(b"/Type") != b"/FontDescriptor":
                continue
            keys = [
                key for key in (b"/FontFile", b"/FontFile2", b"/FontFile3") if key in descriptor
            ]
            if len(keys) != 1 or b"/CIDSet" in descriptor or b"/CharSet" in descriptor:
                continue
            ref = descriptor[keys[0]]
            if (
                not isinstance(ref, Ref)
                or ref.num not in parsed.streams
                or ref.num in dropped
                or ref.num in programs
                or b" R" in parsed.streams[ref.num][0]
                or num not in last
            ):
                continue
            programs.add(ref.num)
            found.append((num, ref.num, keys[0], last[num]))
    return sorted(found)


def used_glyphs(parsed: ParsedPdf, texts: list[tuple[list[int], bytes]]) -> dict[int, int]:
    """Return the highest glyph each CID font (with CIDs as glyph ids) uses, by descriptor."""
    last: dict[int, int] = {}
    for nums, text in texts:
        if b"/CIDFontType" not in text:
            continue
        for num in nums:
            if b"/CIDFontType" not in parsed.body(num):
                continue
            font = parsed.get(Ref(num))
            if not isinstance(font, dict) or font.get(b"/CIDToGIDMap") != b"/Identity":
                continue
            descriptor = font.get(b"/FontDescriptor")
            widths = parsed.get(font.get(b"/W"))
            if not isinstance(descriptor, Ref) or not isinstance(widths, list) or not widths:
                continue
            items = [parsed.get(item) for item in widths]
            highest, index = 0, 0
            while index < len(items) - 1:
                following = items[index + 1]
                if isinstance(following, list):
                    highest = max(highest, to_int(items[index]) + len(following) - 1)
                    index += 2
                else:
                    highest = max(highest, to_int(following))
                    index += 3
            if descriptor.num in last:  # two fonts on one descriptor: leave it
                last[descriptor.num] = -1
            else:
                last[descriptor.num] = highest
    return {num: highest for num, highest in last.items() if highest >= 0}


def drop_embedded_files(
    parsed: ParsedPdf, catalog: dict[bytes, Value], names: dict[bytes, Value], dropped: set[int]
) -> None:
    """Drop a part's embedded files (a release report's sources): the volume embeds its own.

    Only the catalog (/AF, /Names /EmbeddedFiles) refers to them in the reports this
    builder writes, and the catalog is not copied.
    """
    specs = [value for _, value in name_tree(parsed, names.get(b"/EmbeddedFiles"), dropped)]
    associated = catalog.get(b"/AF", [])
    if isinstance(associated, Ref):
        dropped.add(associated.num)
    listed = parsed.get(associated)
    specs += listed if isinstance(listed, list) else []
    for spec in specs:
        if not isinstance(spec, Ref) or spec.num in dropped:
            continue
        dropped.add(spec.num)
        files = parsed.get(as_dict(parsed.get(spec), "a file specification").get(b"/EF", {}))
        for stream in files.values() if isinstance(files, dict) else ():
            if isinstance(stream, Ref):
                dropped.add(stream.num)


INHERITED = (b"/Resources", b"/MediaBox", b"/CropBox", b"/Rotate")


def first_page(parsed: ParsedPdf, node_ref: Ref) -> tuple[int, dict[bytes, Value]]:
    """Return the first page's number under a page tree node, with its inheritable entries."""
    inherited: dict[bytes, Value] = {}
    seen = set()
    while node_ref.num not in seen:
        seen.add(node_ref.num)
        node = parsed.get(node_ref)
        assert isinstance(node, dict)
        inherited.update({k: node[k] for k in INHERITED if k in node})
        kids = parsed.get(node.get(b"/Kids"))
        if not isinstance(kids, list):
            return node_ref.num, inherited
        if not kids or not isinstance(kids[0], Ref):
            break
        node_ref = kids[0]
    raise Unsupported("a page tree without pages")


_NUM_PAIR = re.compile(rb"[\s\0]*(\d+)[\s\0]+(\[[^\]]*\]|\d+[\s\0]+0[\s\0]+R|null)", re.DOTALL)


def number_tree(
    parsed: ParsedPdf, node: Value | None, dropped: set[int]
) -> list[tuple[int, bytes]]:
    """Return a number tree's (key, value as written) pairs, dropping its node objects."""
    pairs: list[tuple[int, bytes]] = []
    if isinstance(node, Ref):
        dropped.add(node.num)
        body = parsed.body(node.num)
        start = body.find(b"/Nums")
        if b"/Kids" not in body and start >= 0:  # the common flat tree: scan without parsing
            pos = body.index(b"[", start) + 1
            while (match := _NUM_PAIR.match(body, pos)) is not None:
                pairs.append((int(match[1]), match[2]))
                pos = match.end()
            if re.match(rb"[\s\0]*\]", body[pos : pos + 64]):
                return pairs
            pairs = []
        node = parsed.get(node)
    if not isinstance(node, dict):
        raise Unsupported("a number tree node that is not a dictionary")
    nums = as_list(parsed.get(node.get(b"/Nums", [])), "a number tree's /Nums")
    for index in range(0, len(nums) - 1, 2):
        pairs.append((to_int(nums[index]), dump(nums[index + 1], same)))
    for kid in as_list(parsed.get(node.get(b"/Kids", [])), "a number tree's /Kids"):
        pairs += number_tree(parsed, kid, dropped)
    return pairs


def name_tree(
    parsed: ParsedPdf, node_ref: Value | None, dropped: set[int]
) -> list[tuple[bytes, Value]]:
    """Return a name tree's (name, value) pairs, dropping its node objects."""
    if isinstance(node_ref, Ref):
        dropped.add(node_ref.num)
    node = parsed.get(node_ref)
    if not isinstance(node, dict):
        return []
    names = as_list(parsed.get(node.get(b"/Names", [])), "a name tree's /Names")
    pairs = [(text_of(names[i]), names[i + 1]) for i in range(0, len(names) - 1, 2)]
    for kid in as_list(parsed.get(node.get(b"/Kids", [])), "a name tree's /Kids"):
        pairs += name_tree(parsed, kid, dropped)
    return pairs
