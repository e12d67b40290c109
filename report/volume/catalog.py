"""The volume's catalog: page tree, structure root, outline, name trees, page labels."""

from __future__ import annotations

from report.render import folio_prefix
from report.volume.analyse import Analysis
from report.volume.outline import outline, write_outline
from report.volume.place import Chunk, Objects
from report.volume.syntax import Out, Ref, dump, pdf_string
from report.volume.writer import NODES_PER_GROUP, Volume

# Entries per node of the number and name trees written (ParentTree, Dests, IDTree).
TREE_FANOUT = 128


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

    # Outline: every part's top bookmarks, in volume order, the reports' grouped when many.
    items = outline(
        [chunk for chunk, _ in front],
        [(chunk, code) for chunk, _, code in reports],
        volume.allocate,
    )
    if items:
        objects.append(
            (
                volume.outlines,
                b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
                % write_outline(volume.outlines, items, objects),
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
            prefix = b" /P " + pdf_string(folio_prefix(code).encode()) if code else b""
            labels.append(b"%d << /S /D%s >>" % (first, prefix))
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
