"""The web edition in the preview: /site/ serves the site's pages as a build publishes them.

The index, each code's page, the stylesheet, script and fonts, the PDFs and the search
bundle, all made from the sources as last loaded; each page follows its reload events
through /live.js (the preview's reload script as a file: the site's policy runs no inline
script). The preview renders no volume, so its code pages do not link to one.
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path

from report.assemble import assemble, publication_info
from report.render.search import search_bundle
from report.render.site import CodeCard, code_page, index_page, site_css
from report.render.web import web_fonts
from report.resources import styles_dir
from report.serve.pages import LIVE_SCRIPT, events_url
from report.serve.site import Snapshot

SITE_PAGE = re.compile(r"/site/codes/(?P<stem>[^/]+)\.html")
SITE_PDF = re.compile(r"/site/pdf/(?P<stem>[^/]+)\.pdf")
ASSET_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
}
SEARCH_TYPE = "application/octet-stream"  # the bundle's index, fragments and WebAssembly


def live_script() -> bytes:
    """Return /live.js: the reload script, which reads its events' address from its tag."""
    return LIVE_SCRIPT.encode("utf-8")


def site_index(snapshot: Snapshot, version: str) -> str | None:
    """Render the site's index of the valid codes (None: the publication has errors)."""
    if snapshot.publication is None:
        return None
    cards = [
        CodeCard.of(state.source.model)
        for state in snapshot.codes.values()
        if state.source is not None
    ]
    info = publication_info(snapshot.publication)
    return index_page(info, cards, [], live=events_url("", version))


def site_page(snapshot: Snapshot, stem: str, version: str) -> str | None:
    """Render a code's page of the site (None: the code or the publication has errors)."""
    state = snapshot.codes.get(stem)
    if snapshot.publication is None or state is None or state.source is None:
        return None
    report = assemble(state.source, snapshot.publication)
    return code_page(report, None, live=events_url(stem, version))


def site_asset(relative: str) -> tuple[str, bytes] | None:
    """Return the content type and bytes of assets/NAME, or None if the site has none."""
    if relative == "site.css":
        return ASSET_TYPES[".css"], site_css().encode("utf-8")
    if relative == "site.js":
        return ASSET_TYPES[".js"], (styles_dir() / "site.js").read_bytes()
    fonts = {f"fonts/{font.name}": font for font in web_fonts()}
    if relative in fonts:
        font = fonts[relative]
        return ASSET_TYPES[font.suffix], font.read_bytes()
    return None


class SearchBundles:
    """The search bundle of the sources' current version, made once when first asked for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: tuple[str, dict[str, bytes]] | None = None

    def file(self, snapshot: Snapshot, version: str, relative: str) -> tuple[str, bytes] | None:
        """Return pagefind/NAME of the current version's bundle, or None if it has none."""
        with self._lock:
            if self._made is None or self._made[0] != version:
                self._made = (version, self._bundle(snapshot))
            data = self._made[1].get(relative)
        if data is None:
            return None
        kind = ASSET_TYPES.get(Path(relative).suffix, SEARCH_TYPE)
        if relative.endswith(".js"):
            kind = ASSET_TYPES[".js"]
        return kind, data

    def _bundle(self, snapshot: Snapshot) -> dict[str, bytes]:
        """Index every valid code's page as the site would publish it."""
        if snapshot.publication is None:
            return {}
        with tempfile.TemporaryDirectory(prefix="report-serve-search-") as temp:
            site = Path(temp)
            (site / "codes").mkdir()
            for stem, state in snapshot.codes.items():
                if state.source is not None:
                    report = assemble(state.source, snapshot.publication)
                    page = code_page(report, None).encode("utf-8")
                    (site / "codes" / f"{stem}.html").write_bytes(page)
            return search_bundle(site, snapshot.publication.model.language)
