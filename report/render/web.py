"""The stylesheet and fonts of pages read in a browser: report.css, web.css, WOFF2 fonts.

The PDF renderer reads the bundled TrueType fonts; a browser gets the same faces as
WOFF2, committed beside them in styles/fonts (made from them by fontTools with Brotli:
`make webfonts`), about a third of their size. The print stylesheet's @font-face rules
are rewritten to name them, so a page reads exactly the faces its PDF prints with.
"""

from __future__ import annotations

import re
from pathlib import Path

from report.resources import fonts_dir, styles_dir, stylesheet

_TRUETYPE = re.compile(r'url\("fonts/([A-Za-z0-9-]+)\.ttf"\)')


def woff2_css(fonts: str = "fonts/") -> str:
    """Return report.css with its fonts read as WOFF2 from the folder fonts."""
    return _TRUETYPE.sub(
        lambda match: f'url("{fonts}{match[1]}.woff2") format("woff2")', stylesheet()
    )


def web_css(fonts: str = "fonts/") -> str:
    """Return report.css with its fonts as WOFF2 under fonts, then the screen's web.css."""
    screen = (styles_dir() / "web.css").read_text(encoding="utf-8")
    return f"{woff2_css(fonts)}\n{screen}"


def web_fonts() -> list[Path]:
    """Return the files a page's fonts folder holds: every WOFF2 face and its licence."""
    folder = fonts_dir()
    return sorted([*folder.glob("*.woff2"), *folder.glob("OFL-*.md")])


def woff2_of(ttf: Path) -> bytes:
    """Return the WOFF2 form of a TrueType font: the same bytes for the same font."""
    from io import BytesIO

    from fontTools.ttLib import TTFont

    font = TTFont(ttf, recalcTimestamp=False)  # the font's own date, not today's
    font.flavor = "woff2"
    data = BytesIO()
    font.save(data)
    return data.getvalue()


if __name__ == "__main__":  # make webfonts
    for face in sorted(fonts_dir().glob("*.ttf")):
        face.with_suffix(".woff2").write_bytes(woff2_of(face))
