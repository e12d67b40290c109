"""Assemble volume.pdf from the report PDFs already on disk and a rendered front matter.

The volume is never laid out as one document: only its front matter (cover, contents,
notices) is rendered with WeasyPrint; every report's finished PDF follows it as it is.

- Contents. Each contents line cites the folio of the report's first page, `CODE-1`,
  which that page prints in its footer (each report page prints its own, `CODE-N`, as
  rendered alone: the merge changes no page) and which is that page's label; it links to
  the named destination `report-CODE`, which the merge points at the report's first
  page. So the contents does not depend on the reports' page counts. The rendered front
  matter is cached under the key of its inputs (report/inputs.py).
- Outline. The front matter's bookmarks, then each report's own (its heading with its
  sections below it), closed; past 50 reports, in closed groups by code range
  (report/volume/outline.py), so that a volume of a thousand reports opens as a short
  list and no chain of bookmarks side by side is longer than a reader (or a validator's
  safety depth) follows.
- Page labels. The front matter's pages are labelled 1 to F, as its `Page N of F`
  prints them; each report's pages `CODE-1` to `CODE-M`, the folios its footer prints
  (the same labels as the report's own PDF).
- Structure tree. One /Document element holds the front matter's and each report's
  former /Document element, now a /Part titled with its heading. Their ParentTree
  entries are merged, the pages' /StructParents and annotations' /StructParent moved to
  keys of their own; RoleMap, ClassMap and IDTree are merged; structure element IDs
  (WeasyPrint numbers them per document) are prefixed with the report's code. Running
  heads and feet stay /Artifact as each input has them.
- Fonts. Every part subsets the same few faces, keeping the faces' glyph ids
  (WeasyPrint's HarfBuzz subsets), so each face is embedded once: the parts' subsets of it
  merged glyph by glyph (report/volume/fonts.py), every part's font descriptor pointing at
  it; widths, ToUnicode and CIDToGIDMap stay the part's. The descriptors and programs are
  written after the parts, so a placed part (cached) does not depend on the others.
- Metadata. The catalog's /Lang, /MarkInfo, /ViewerPreferences, the XMP packet, the
  output intents and the document information are the front matter's (its title is the
  publication's title).

How. Holding a thousand reports in one pikepdf (qpdf) document takes about 1 GiB and
15 s, most of it parsing and copying some 600,000 objects one by one. So the merge works
on the bytes as written (by WeasyPrint, report/render/pdf.py, with the finisher of
tagging.py; a release document as pikepdf saved it with its stamp): it reads
each report's objects, renumbers every `N 0 R` at once over the text of its object stream,
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

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from report.assemble import PublicationInfo
from report.outputs import atomic_stream
from report.render import PdfSettings
from report.volume.analyse import PartSpec, analyse
from report.volume.cache import PartCache
from report.volume.catalog import finish_volume
from report.volume.entry import VolumeEntry
from report.volume.fonts import SharedFonts
from report.volume.front import (
    FrontRenderer,
    LocalRenderer,
    RenderedPart,
    front_matter,
    start_pages,
)
from report.volume.place import Chunk, Objects, place_part
from report.volume.reader import load_pdf
from report.volume.writer import Overflow, Volume, placed_part

__all__ = [
    "FrontRenderer",
    "LocalRenderer",
    "VolumeEntry",
    "start_pages",
    "write_volume",
]

Pause = Callable[[str], None]


def write_volume(
    publication: PublicationInfo,
    entries: Sequence[VolumeEntry],
    target: Path,
    settings: PdfSettings,
    cache_dir: Path | None = None,
    renderer: FrontRenderer | None = None,
    pause: Pause | None = None,
) -> int:
    """Write volume.pdf: the rendered front matter, then every report; return its pages.

    The reports follow in the order of entries, each entry's pages as its PDF has them
    (ValueError otherwise: the contents would be wrong). settings write the front matter
    (in a release, its opening carries the volume's stamp). renderer renders the front
    matter's parts (by default in this process, one after another). With cache_dir, the
    rendered parts, the measured contents lines and each report's objects as placed are
    kept there (files named volume-front-*, volume-facts-* and volume-part-*, about the
    volume's size; those of earlier volumes are removed), so that what did not change is
    not done again. target is written through a temporary file in its folder, renamed into
    place; pause, if given, is told "volume-half-written" once the first report is in it.
    """
    entries = list(entries)
    codes = [entry.code for entry in entries]
    cache = PartCache(cache_dir)
    # The front matter depends on the entries alone: it is rendered (by the workers) while
    # the reports are placed here, and placed after them.
    with ThreadPoolExecutor(1, thread_name_prefix="front-matter") as ahead:
        front = ahead.submit(front_matter, publication, entries, settings, cache_dir, renderer)

        def write(handle: BinaryIO) -> int:
            try:
                return assemble_volume(
                    entries, codes, front.result, handle, cache, sparse=True, pause=pause
                )
            except Overflow:
                handle.seek(0)
                handle.truncate()
                return assemble_volume(
                    entries, codes, front.result, handle, PartCache(None), sparse=False, pause=pause
                )

        pages = atomic_stream(target, write)
    cache.evict()
    return pages


def assemble_volume(
    entries: Sequence[VolumeEntry],
    codes: Sequence[str],
    front: Callable[[], list[RenderedPart]],
    handle: BinaryIO,
    cache: PartCache,
    sparse: bool,
    pause: Callable[[str], None] | None = None,
) -> int:
    """Write the volume to handle; return its pages.

    entries are the reports of codes, in that order. pause, if given, is told
    "volume-half-written" once the first report is written to handle. front gives the
    front matter's parts for them (asked for once the reports are placed), the opening
    first: its catalog, metadata and document information stand for the volume's. The
    reports are numbered first, each in a block of object numbers and structure keys that
    depends on it alone, then the contents pages, so a rebuild finds every unchanged part's
    objects, placed as before, in the cache; the opening (whose catalog the volume's is
    made from) comes last.
    """
    if not codes:
        raise ValueError("a volume needs at least one report")
    if len(set(codes)) != len(codes):
        raise ValueError("a report appears twice in the volume")
    volume = Volume(
        handle, cache, sparse, len(codes), {b"report-" + code.encode(): code for code in codes}
    )
    volume.reserve()
    placed: list[tuple[Chunk, int, str]] = []
    fonts = SharedFonts()  # each part's fonts merged as it is placed
    for index, entry in enumerate(entries):
        if index >= len(codes) or entry.code != codes[index]:
            raise ValueError(f"{entry.code}: not the report the volume holds next")
        data = entry.pdf.read_bytes()
        spec = PartSpec(entry.code, entry.heading, entry.pages, True)
        chunk = placed_part(volume, data, spec, volume.report_parent(index), str(entry.pdf))
        volume.append(chunk.objects, data)
        fonts.add(chunk.fonts)
        chunk.objects, chunk.fonts = Objects(), []  # written: keep only what the catalog needs
        placed.append((chunk, entry.pages, entry.code))
        if pause is not None and index == 0:
            handle.flush()
            pause("volume-half-written")
    if len(entries) != len(codes):
        raise ValueError(f"the volume was to hold {len(codes)} reports, not {len(entries)}")
    opening, *rest = front()
    pieces: list[tuple[Chunk, int]] = []
    for piece in rest:
        spec = PartSpec(None, piece.title, piece.pages, False)
        chunk = placed_part(volume, piece.pdf, spec, volume.pages_root, piece.title)
        volume.append(chunk.objects, piece.pdf)
        fonts.add(chunk.fonts)
        chunk.objects, chunk.fonts = Objects(), []
        pieces.append((chunk, piece.pages))
    analysis = analyse(
        load_pdf(opening.pdf), PartSpec(None, opening.title, opening.pages, False, primary=True)
    )
    place = volume.placement(analysis.facts, volume.pages_root, None)
    first = place_part(analysis, place)
    volume.append(first.objects, opening.pdf)
    fonts.add(first.fonts)
    volume.append(fonts.objects(volume.allocate), opening.pdf)
    finish_volume(volume, [(first, opening.pages), *pieces], placed, analysis, place.base)
    return opening.pages + sum(pages for _, pages in pieces) + sum(pages for _, pages, _ in placed)
