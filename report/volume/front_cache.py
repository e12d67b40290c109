"""Keep the volume's rendered front matter parts and measured contents lines between builds.

Each rendered part is kept as `volume-front-KEY-PAGES.pdf`, its key that of its inputs
(report/inputs.py: its HTML, variant, clock and stamp, and the builder); the measured
line heights as `volume-front-lines-KEY.json`, keyed by the contents page they were
measured in. Files of earlier builds that the last front matter did not use are removed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from report import inputs
from report.files import read_regular
from report.inputs import sha256
from report.outputs import atomic_write
from report.render import PdfSettings

# Every name of a cached front matter file starts with this; other files are left alone.
CACHE_PREFIX = "volume-front-"

Document = tuple[str, PdfSettings]  # a part's HTML and how it is written


class Renderer(Protocol):
    """What renders the documents the cache lacks."""

    def render(self, documents: Sequence[Document]) -> list[tuple[bytes, int]]:
        """Render each HTML document with its settings to PDF bytes and its page count."""
        ...


def part_key(html: str, settings: PdfSettings) -> str:
    """Return the key of a rendered part: that of its inputs."""
    stamp = settings.stamp.digest() if settings.stamp is not None else ""
    return inputs.FrontPart(sha256(html.encode()), settings.variant, settings.epoch, stamp).key()


@dataclass
class MeasuredLines:
    """The measured height and gap of each contents line by heading, and the pages' room."""

    lines: dict[str, tuple[float, float]]
    first_room: float | None = None
    room: float | None = None


class FrontCache:
    """Rendered parts (`volume-front-KEY-PAGES.pdf`) and measured lines (`-lines-KEY.json`)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def render(self, documents: list[Document], renderer: Renderer) -> list[tuple[bytes, int]]:
        """Return each document rendered: from the cache, or rendered together and kept."""
        keys = [part_key(html, settings) for html, settings in documents]
        self.used.update(keys)
        found: dict[str, tuple[bytes, int]] = {}
        for key, (path, pages) in self.rendered(keys).items():
            data = _cached(path)
            if data is not None:  # else removed meanwhile: rendered again
                found[key] = (data, pages)
        todo = {
            key: document for key, document in zip(keys, documents, strict=True) if key not in found
        }
        done = renderer.render(list(todo.values())) if todo else []
        for key, (data, pages) in zip(todo, done, strict=True):
            found[key] = (data, pages)
            self.keep(key, data, pages)
        return [found[key] for key in keys]

    def rendered(self, keys: list[str]) -> dict[str, tuple[Path, int]]:
        """Return the cached file and page count of each of keys rendered before."""
        found: dict[str, tuple[Path, int]] = {}
        if self.folder is not None:
            wanted = set(keys)
            for path in self.folder.glob(f"{CACHE_PREFIX}*.pdf"):
                key, _, pages = path.stem[len(CACHE_PREFIX) :].rpartition("-")
                if key in wanted and pages.isdigit():
                    found[key] = (path, int(pages))
        return found

    def keep(self, key: str, data: bytes, pages: int) -> None:
        """Keep a rendered document under its key."""
        if self.folder is not None:
            atomic_write(self.folder / f"{CACHE_PREFIX}{key}-{pages}.pdf", data, durable=False)

    def lines(self, key: str) -> MeasuredLines:
        """Return the line heights measured under key (none when there are none)."""
        self.used.add(f"lines-{key}")
        if self.folder is None:
            return MeasuredLines({})
        try:
            value = json.loads(read_regular(self.folder / f"{CACHE_PREFIX}lines-{key}.json")[0])
            return MeasuredLines(
                {h: (float(a), float(b)) for h, (a, b) in value["lines"].items()},
                float(value["first_room"]),
                float(value["room"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return MeasuredLines({})

    def keep_lines(self, key: str, known: MeasuredLines, headings: list[str]) -> None:
        """Keep the heights of these headings under key, for the next build."""
        if self.folder is None:
            return
        value = {
            "first_room": known.first_room,
            "room": known.room,
            "lines": {h: known.lines[h] for h in sorted(set(headings))},
        }
        data = json.dumps(value, sort_keys=True).encode()
        path = self.folder / f"{CACHE_PREFIX}lines-{key}.json"
        if _cached(path) != data:
            atomic_write(path, data, durable=False)

    def evict(self) -> None:
        """Remove cached parts and heights that this front matter did not use."""
        if self.folder is None:
            return
        for path in self.folder.glob(f"{CACHE_PREFIX}*"):
            name = path.stem[len(CACHE_PREFIX) :]
            if name.rpartition("-")[0] not in self.used and name not in self.used:
                path.unlink(missing_ok=True)


def _cached(path: Path) -> bytes | None:
    """Return a cache file's bytes, or None when it is missing, unreadable or not a file."""
    try:
        return read_regular(path)[0]
    except OSError:
        return None
