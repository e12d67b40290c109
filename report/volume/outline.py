"""The volume's outline: the front matter's bookmarks, then the reports', grouped by code.

Bookmarks side by side form a chain (/Next, /Prev) that a reader walks one by one, and a
validator follows to a safety depth (page-validation stops at 256): a volume of a
thousand reports cannot list every report at the top. Once there are more than
OUTLINE_FANOUT reports, their bookmarks go in closed groups of OUTLINE_FANOUT, each titled
with the codes it spans (`Reports 70010 to 70450`) and opening the first of them; past
OUTLINE_FANOUT groups, the groups are grouped again. No chain is then longer than
OUTLINE_FANOUT plus the front matter's bookmarks, and a volume opens as a short list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from report.volume.place import Chunk
from report.volume.syntax import pdf_string

Allocate = Callable[[], int]  # the volume's allocate: a free object number

# Bookmarks side by side, at most, below one bookmark (or the outline's root, besides
# the front matter's).
OUTLINE_FANOUT = 50


@dataclass
class Bookmark:
    """A bookmark to write: a part's own (its body as placed) or a group of them."""

    num: int
    body: bytes  # the dictionary as written, without /Parent, /Prev and /Next
    visible: int  # the bookmarks it shows in its parent: itself, and its own when open
    first: str = ""  # the codes of the reports it spans, a group's title
    last: str = ""
    kids: list[Bookmark] = field(default_factory=list)


def outline(
    front: list[Chunk], reports: list[tuple[Chunk, str]], allocate: Allocate
) -> list[Bookmark]:
    """Return the outline's top bookmarks: the front matter's, then the reports', grouped.

    reports are each report's chunk and code, in volume order; allocate gives a new group
    its object number.
    """
    top = [Bookmark(num, body, visible) for chunk in front for num, body, visible in chunk.outline]
    # One entry per report: its bookmarks (usually its heading alone) stay side by side.
    entries = [
        [Bookmark(num, body, visible, code, code) for num, body, visible in chunk.outline]
        for chunk, code in reports
        if chunk.outline
    ]
    level = [bookmark for entry in entries for bookmark in entry]
    if len(entries) > OUTLINE_FANOUT:
        level = [_group(entry, allocate) for entry in _chunks(entries)]
        while len(level) > OUTLINE_FANOUT:
            level = [_group(chunk, allocate) for chunk in _chunks([[b] for b in level])]
    return top + level


def _chunks(entries: list[list[Bookmark]]) -> list[list[Bookmark]]:
    """Split entries (each a list of bookmarks kept together) into groups' kids."""
    return [
        [bookmark for entry in entries[start : start + OUTLINE_FANOUT] for bookmark in entry]
        for start in range(0, len(entries), OUTLINE_FANOUT)
    ]


def _group(kids: list[Bookmark], allocate: Allocate) -> Bookmark:
    """Return a closed bookmark over kids, titled with their codes, opening the first."""
    first, last = kids[0].first, kids[-1].last
    title = f"Reports {first} to {last}" if first != last else f"Report {first}"
    body = b"<< /Title %s /Dest %s /Count %d >>" % (
        pdf_string(title.encode("ascii")),
        pdf_string(b"report-" + first.encode("ascii")),
        -len(kids),
    )
    return Bookmark(allocate(), body, 1, first, last, kids)


def write_outline(
    root: int, top: list[Bookmark], objects: list[tuple[int, bytes]]
) -> tuple[int, int, int]:
    """Add the bookmarks under root to objects; return root's /First, /Last and /Count."""
    _link(root, top, objects)
    return top[0].num, top[-1].num, sum(bookmark.visible for bookmark in top)


def _link(parent: int, siblings: list[Bookmark], objects: list[tuple[int, bytes]]) -> None:
    """Write siblings under parent, each with /Parent, /Prev, /Next and its own kids."""
    for index, bookmark in enumerate(siblings):
        links = b" /Parent %d 0 R" % parent
        if index:
            links += b" /Prev %d 0 R" % siblings[index - 1].num
        if index + 1 < len(siblings):
            links += b" /Next %d 0 R" % siblings[index + 1].num
        if bookmark.kids:
            links += b" /First %d 0 R /Last %d 0 R" % (bookmark.kids[0].num, bookmark.kids[-1].num)
            _link(bookmark.num, bookmark.kids, objects)
        objects.append((bookmark.num, bookmark.body[:-2].rstrip() + links + b" >>"))
