"""The characters the bundled fonts can draw, read from their character maps.

The renderer uses no other font (report/render/fonts.py), and every font list of the
stylesheet names both bundled families, so a character one of them has is drawn: this
set is what `check` lets text hold (report/sources/printable.py).
"""

from __future__ import annotations

import time
from functools import lru_cache

from fontTools.ttLib import TTFont

from report.resources import fonts_dir

# How long the fonts' stamp is trusted before their files are looked at again: `check`
# asks once per text of every source, the preview server for as long as it runs.
RECHECK_SECONDS = 1.0
_last: tuple[float, frozenset[int]] | None = None


def bundled_fonts() -> list[str]:
    """Return the file names of the bundled fonts, sorted."""
    return sorted(path.name for path in fonts_dir().glob("*.[ot]tf"))


def printable_characters() -> frozenset[int]:
    """Return the code points some bundled font maps to a glyph (read again if one changed).

    The font files are looked at again at most once a second.
    """
    global _last
    now = time.monotonic()
    if _last is not None and now - _last[0] < RECHECK_SECONDS:
        return _last[1]
    folder = fonts_dir()
    stamp = tuple(
        (name, (folder / name).stat().st_size, (folder / name).stat().st_mtime_ns)
        for name in bundled_fonts()
    )
    covered = _characters(stamp)
    _last = (now, covered)
    return covered


@lru_cache(maxsize=1)
def _characters(stamp: tuple[tuple[str, int, int], ...]) -> frozenset[int]:
    covered: set[int] = set()
    for name, _, _ in stamp:
        covered.update(TTFont(fonts_dir() / name, lazy=True).getBestCmap())
    return frozenset(covered)
