"""The web edition: `build --format site` writes a static site that works from any server.

The sample is built once with `--format pdf,site`; its site/ is served over loopback by
Python's own http.server (as a reader would host it) and driven in the session's
headless Chromium: axe-core on every page, each page's width on a phone, the search, and
every address each page names. `pytest -s` prints the figures.
"""

from __future__ import annotations

import http.server
import re
import shutil
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from cdp import Browser, Page
from conftest import SAMPLE_SOURCES, RecordingServer, Releases, run_cli
from hostile_sources import write_hostile_sources
from serving import Preview, start_preview
from test_axe import AXE, assert_clean, audit

from report.render.web import woff2_of
from report.resources import fonts_dir

PAGES = ["index.html", "codes/55300.html", "codes/74440.html"]
# The site's files besides the search bundle (pagefind/), which Pagefind names by content.
TREE = [
    "assets/fonts/OFL-SourceSans3.md",
    "assets/fonts/OFL-SourceSerif4.md",
    *(
        f"assets/fonts/{face}.woff2"
        for face in (
            "SourceSans3-Bold",
            "SourceSans3-BoldIt",
            "SourceSans3-It",
            "SourceSans3-Regular",
            "SourceSans3-Semibold",
            "SourceSans3-SemiboldIt",
            "SourceSerif4-Bold",
            "SourceSerif4-BoldIt",
            "SourceSerif4-It",
            "SourceSerif4-Regular",
        )
    ),
    "assets/site.css",
    "assets/site.js",
    "codes/55300.html",
    "codes/74440.html",
    "index.html",
    "pdf/55300.pdf",
    "pdf/74440.pdf",
    "pdf/volume.pdf",
]
WIDTHS = (320, 375)


@pytest.fixture(scope="module")
def axe() -> str:
    """Return axe-core's script, installed by `make test` (`npm ci`)."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `make test`, or `npm ci` in the checkout")
    return AXE.read_text(encoding="utf-8")


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def named(self, tag: str) -> list[dict[str, str]]:
        """Return the attributes of every tag of this name."""
        return [attrs for name, attrs in self.tags if name == tag]


def tags_of(path: Path) -> Tags:
    """Parse a page's tags."""
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def files_under(folder: Path) -> list[str]:
    """Return every file under folder, by its path within it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sample with PDFs and the web edition; return the output folder."""
    out = tmp_path_factory.mktemp("site") / "out"
    result = run_cli(
        "build", "--sources", str(SAMPLE_SOURCES), "--out", str(out), "--format", "pdf,site"
    )
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines()[-1].endswith(f"written to {out}; 0 errors")
    return out


@pytest.fixture(scope="module")
def served(site_build: Path) -> Iterator[str]:
    """Serve the site over loopback with Python's http.server; return its address."""
    yield from serve_folder(site_build / "site")


@pytest.fixture(scope="module")
def served_release(releases: Releases) -> Iterator[str]:
    """Serve the site of the session's release 9.9.10 over loopback; return its address."""
    yield from serve_folder(releases.changed / "site")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Python's file server, without a line for every request."""

    def log_message(self, format: str, *args: object) -> None:
        """Say nothing."""


class QuietServer(http.server.ThreadingHTTPServer):
    """A threading file server that ignores a browser closing a connection early."""

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore a connection the browser closed; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def serve_folder(folder: Path) -> Iterator[str]:
    """Serve folder over loopback with Python's http.server until the generator closes."""
    handler = partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    """Return a tab of the session's Chromium, at a desktop width after each test."""
    tab = browser.new_page()
    yield tab
    browser.send("Emulation.clearDeviceMetricsOverride", tab.session)


def at_width(page: Page, width: int) -> None:
    """Lay the tab out as a phone's screen width pixels wide."""
    page.browser.send(
        "Emulation.setDeviceMetricsOverride",
        page.session,
        width=width,
        height=800,
        deviceScaleFactor=1,
        mobile=True,
    )


class TestTree:
    """The site holds its pages, the build's PDFs, its styles, fonts and search bundle."""

    def test_files(self, site_build: Path) -> None:
        site = site_build / "site"
        found = files_under(site)
        print("\nsite/:\n  " + "\n  ".join(found))
        assert [f for f in found if not f.startswith("pagefind/")] == TREE
        assert {"pagefind/pagefind.js", "pagefind/pagefind-entry.json"} <= set(found)
        assert any(f.startswith("pagefind/fragment/") for f in found)

    @pytest.mark.parametrize("name", ["55300.pdf", "74440.pdf", "volume.pdf"])
    def test_pdfs_are_the_builds(self, site_build: Path, name: str) -> None:
        copy = (site_build / "site" / "pdf" / name).read_bytes()
        assert copy[:5] == b"%PDF-"
        assert copy == (site_build / name).read_bytes()

    def test_manifest_lists_the_site(self, site_build: Path) -> None:
        manifest = (site_build / "manifest.json").read_text(encoding="utf-8")
        for name in TREE:
            assert f'"path": "site/{name}"' in manifest

    def test_fonts_are_woff2(self, site_build: Path) -> None:
        fonts = site_build / "site" / "assets" / "fonts"
        assert all(p.read_bytes()[:4] == b"wOF2" for p in fonts.glob("*.woff2"))
        assert not list(site_build.rglob("*.ttf"))
        css = (site_build / "site" / "assets" / "site.css").read_text(encoding="utf-8")
        named = set(re.findall(r'url\("([^"]+)"\)', css))
        assert named == {f"fonts/{p.name}" for p in fonts.glob("*.woff2")}

    def test_a_second_build_has_nothing_to_do(self, site_build: Path) -> None:
        result = run_cli(
            "build", "--sources", str(SAMPLE_SOURCES), "--out", str(site_build), "--format",
            "pdf,site",
        )  # fmt: skip
        assert result.code == 0
        assert result.stderr == (
            f"nothing to render: 2 reports up to date in {site_build}; 0 errors\n"
        )

    def test_a_changed_page_is_made_again(self, site_build: Path) -> None:
        index = site_build / "site" / "index.html"
        kept = index.read_bytes()
        index.write_bytes(b"changed")
        result = run_cli(
            "build", "--sources", str(SAMPLE_SOURCES), "--out", str(site_build), "--format",
            "pdf,site",
        )  # fmt: skip
        assert result.code == 0, result.stderr
        assert index.read_bytes() == kept
        assert "site: " in result.stderr and "nothing to render" not in result.stderr


class TestPages:
    """Every page: language, one h1, a skip link, a CSP, the site's own files only."""

    @pytest.mark.parametrize("name", PAGES)
    def test_page(self, site_build: Path, name: str) -> None:
        path = site_build / "site" / name
        tags = tags_of(path)
        assert tags.named("html")[0]["lang"] == "en-US"
        assert len(tags.named("h1")) == 1
        assert tags.named("a")[0] == {"class": "skip", "href": "#main"}
        assert tags.named("main")[0]["id"] == "main"
        viewport = [m for m in tags.named("meta") if m.get("name") == "viewport"]
        assert viewport == [{"name": "viewport", "content": "width=device-width, initial-scale=1"}]
        policy = [m for m in tags.named("meta") if m.get("http-equiv") == "Content-Security-Policy"]
        assert "script-src 'self' 'wasm-unsafe-eval';" in policy[0]["content"]
        scripts = [s["src"] for s in tags.named("script")]
        assert scripts == [("" if name == "index.html" else "../") + "assets/site.js"]
        loaded = [s["src"] for s in tags.named("script")] + [
            link["href"] for link in tags.named("link") if link.get("rel") == "stylesheet"
        ]
        assert all(
            not urlsplit(address).scheme and not address.startswith("//") for address in loaded
        )

    def test_code_page_links_its_pdfs(self, site_build: Path) -> None:
        links = [
            a["href"] for a in tags_of(site_build / "site" / "codes" / "74440.html").named("a")
        ]
        assert "../pdf/74440.pdf" in links and "../pdf/volume.pdf" in links

    def test_index_lists_every_code(self, site_build: Path) -> None:
        text = (site_build / "site" / "index.html").read_text(encoding="utf-8")
        rows = re.findall(r'<tr data-code="(\d+)" data-system="(\w+)"', text)
        assert rows == [("55300", "CPT"), ("74440", "CPT")]
        assert (
            "CPT code 74440 represents radiographic imaging supervision and interpretation" in text
        )


class TestWebFonts:
    """The committed WOFF2 faces are exactly what `make webfonts` makes of the TrueType ones."""

    @pytest.mark.parametrize("face", sorted(p.stem for p in fonts_dir().glob("*.ttf")))
    def test_made_from_the_truetype_face(self, face: str) -> None:
        ttf = fonts_dir() / f"{face}.ttf"
        committed = ttf.with_suffix(".woff2").read_bytes()
        assert committed == woff2_of(ttf)
        assert len(committed) < ttf.stat().st_size / 2


class TestNamedCodes:
    """A build of named codes writes their pages and PDFs, and says the index is left."""

    def test_named_then_all(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        args = ("--sources", str(SAMPLE_SOURCES), "--out", str(out), "--format", "site")
        first = run_cli("build", "74440", *args)
        assert first.code == 0, first.stderr
        assert [line for line in first.stderr.splitlines() if "without codes" in line] == [
            "site/index.html not written: run build without codes to make it",
            "volume.pdf not written: run build without codes to make it",
        ]
        assert files_under(out / "site") == ["codes/74440.html", "pdf/74440.pdf"]
        every = run_cli("build", *args)
        assert every.code == 0, every.stderr
        assert [f for f in files_under(out / "site") if not f.startswith("pagefind/")] == TREE
        again = run_cli("build", "74440", "--force", *args)
        assert [line for line in again.stderr.splitlines() if "without codes" in line] == [
            "site/index.html left as it was: run build without codes to update it",
            "volume.pdf left as it was: run build without codes to update it",
        ]


class TestHtmlExport:
    """`--format html` says what it wrote, and its pages read on a phone."""

    def test_into_an_empty_folder(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        result = run_cli(
            "build", "--sources", str(SAMPLE_SOURCES), "--out", str(out), "--format", "html"
        )
        assert result.code == 0, result.stderr
        assert result.stderr == f"wrote 2 HTML pages; written to {out}; 0 errors\n"
        fonts = sorted(p.name for p in (out / "html" / "fonts").iterdir())
        assert fonts and all(name.endswith((".woff2", ".md")) for name in fonts)
        assert '<meta name="viewport"' in (out / "html" / "74440.html").read_text("utf-8")


class TestHostile:
    """Markup in every field of the sources stays text on the site's pages."""

    def test_no_script_but_the_sites(
        self, tmp_path: Path, recording_server: RecordingServer
    ) -> None:
        sources = write_hostile_sources(tmp_path / "sources", recording_server.url)
        out = tmp_path / "out"
        result = run_cli(
            "build", "--sources", str(sources.folder), "--out", str(out), "--format", "site"
        )
        assert result.code == 0, result.stderr
        for name in ("index.html", "codes/74440.html"):
            tags = tags_of(out / "site" / name)
            assert len(tags.named("script")) == 1
            assert not [t for t, attrs in tags.tags if any(a.startswith("on") for a in attrs)]
            assert not tags.named("iframe") and not tags.named("img")
        assert "<script>" in (out / "site" / "index.html").read_text("utf-8").replace(
            "&lt;script&gt;", "<script>"
        )


class TestBrowser:
    """Served over loopback, in headless Chromium, every page works as a reader needs."""

    @pytest.mark.parametrize("name", PAGES)
    def test_axe(self, served: str, page: Page, axe: str, name: str) -> None:
        page.goto(served + name)
        assert_clean(audit(page, axe, f"site/{name}"))

    @pytest.mark.parametrize("width", WIDTHS)
    @pytest.mark.parametrize("name", PAGES)
    def test_no_wider_than_a_phone(self, served: str, page: Page, name: str, width: int) -> None:
        at_width(page, width)
        page.goto(served + name)
        page.evaluate("document.fonts.ready.then(() => true)")
        wide = page.evaluate("document.documentElement.scrollWidth")
        print(f"\nsite/{name} at {width} px: {wide} px wide")
        assert wide <= width

    @pytest.mark.parametrize("width", WIDTHS)
    def test_html_export_on_a_phone(self, sample_build: Path, page: Page, width: int) -> None:
        at_width(page, width)
        page.goto((sample_build / "html" / "74440.html").as_uri())
        page.evaluate("document.fonts.ready.then(() => true)")
        wide = page.evaluate("document.documentElement.scrollWidth")
        print(f"\nhtml/74440.html at {width} px: {wide} px wide")
        assert wide <= width
        assert page.evaluate("document.fonts.check('16px \"Source Serif 4\"')")

    @pytest.mark.parametrize(
        ("words", "found"),
        [
            ("seminal", ["codes/55300.html", "codes/74440.html"]),
            ("Epididymis", ["codes/55300.html", "codes/74440.html"]),
            ("azoospermia", ["codes/74440.html"]),
            ("vasotomy", ["codes/55300.html", "codes/74440.html"]),
        ],
    )
    def test_search(self, served: str, page: Page, words: str, found: list[str]) -> None:
        page.goto(f"{served}index.html?q={words}")
        page.wait_for_text("matches")
        results = page.evaluate(
            "Array.from(document.querySelectorAll('#search-results a'), a => a.href)"
        )
        print(f"\nsearch {words!r}: {results}")
        assert sorted(results) == [served + path for path in found]

    def test_filter_by_code(self, served: str, page: Page) -> None:
        page.goto(f"{served}index.html?q=74440")
        page.wait_for_text("1 of 2 codes listed")
        shown = page.evaluate(
            "Array.from(document.querySelectorAll('#codes tbody tr:not([hidden])'),"
            " r => r.dataset.code)"
        )
        assert shown == ["74440"]

    def test_sort(self, served: str, page: Page) -> None:
        page.goto(f"{served}index.html")
        page.evaluate("document.querySelector('th[data-sort=code] button').click()")
        order = page.evaluate(
            "Array.from(document.querySelectorAll('#codes tbody tr'), r => r.dataset.code)"
        )
        assert order == ["74440", "55300"]
        assert page.evaluate("document.querySelector('th[data-sort=code]').ariaSort") == (
            "descending"
        )

    def test_every_link_resolves(self, served: str, page: Page) -> None:
        checked: set[str] = set()
        for name in PAGES:
            page.goto(served + name)
            addresses = page.evaluate(
                "Array.from(document.querySelectorAll('a[href], link[href], script[src]'),"
                " e => e.href || e.src)"
            )
            css = page.evaluate("Array.from(document.fonts, f => f.status).length")
            assert css > 0
            for address in addresses:
                if address.startswith(served):
                    checked.add(address.split("#")[0])
        fonts = re.findall(
            r'url\("([^"]+)"\)',
            urllib.request.urlopen(served + "assets/site.css").read().decode(),
        )
        checked |= {urljoin(served + "assets/site.css", font) for font in fonts}
        missing = not_answered(checked)
        print(f"\n{len(checked)} addresses checked")
        assert not missing
        assert len(checked) >= len(TREE) - 2  # the licences are linked from no page


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """Serve a copy of the sample sources with `serve`."""
    sources = tmp_path_factory.mktemp("preview-site") / "sources"
    shutil.copytree(SAMPLE_SOURCES, sources)
    server = start_preview(sources, sources.parent / "serve.log")
    yield server
    server.stop()


def resolve_all(base: str, page: Page, names: list[str]) -> list[str]:
    """Open each page under base; return every address of base they name that is not 200."""
    checked: set[str] = set()
    for name in names:
        page.goto(base + name)
        addresses = page.evaluate(
            "Array.from(document.querySelectorAll('a[href], link[href], script[src]'),"
            " e => e.href || e.src)"
        )
        checked |= {a.split("#")[0] for a in addresses if a.startswith(base)}
    return not_answered(checked)


def not_answered(addresses: set[str]) -> list[str]:
    """Return each address, with its status, that does not answer 200."""
    missing = []
    for address in sorted(addresses):
        try:
            with urllib.request.urlopen(address) as answer:
                assert answer.status == 200
        except urllib.error.HTTPError as exc:
            missing.append(f"{address}: {exc.code}")
    return missing


class TestPreview:
    """`serve` offers the web edition at /site/ as published, reloading as sources change."""

    @pytest.mark.parametrize("name", PAGES)
    def test_axe(self, preview: Preview, page: Page, axe: str, name: str) -> None:
        page.goto(preview.url + "site/" + name)
        assert_clean(audit(page, axe, f"preview site/{name}"))

    def test_search(self, preview: Preview, page: Page) -> None:
        page.goto(preview.url + "site/index.html?q=seminal")
        page.wait_for_text("matches")
        results = page.evaluate(
            "Array.from(document.querySelectorAll('#search-results a'), a => a.href)"
        )
        assert preview.url + "site/codes/74440.html" in results

    def test_every_link_resolves(self, preview: Preview, page: Page) -> None:
        names = [*PAGES, "codes/74440.html"]
        assert resolve_all(preview.url + "site/", page, names) == []

    def test_reloads_when_a_source_changes(self, preview: Preview, page: Page) -> None:
        page.goto(preview.url + "site/codes/55300.html")
        file = preview.sources / "codes" / "55300.yaml"
        text = file.read_text(encoding="utf-8")
        file.write_text(text.replace("Vasotomy for Vasograms", "Vasotomy (edited)"), "utf-8")
        page.wait_for_text("CPT 55300: Vasotomy (edited)")
        page.goto(preview.url + "site/index.html")
        assert "Vasotomy (edited)" in page.text()


class TestReleaseSite:
    """A release's site in Chromium: its What changed page too, every link resolving."""

    @pytest.mark.parametrize("name", ["index.html", "changes.html", "codes/74440.html"])
    def test_axe(self, served_release: str, page: Page, axe: str, name: str) -> None:
        page.goto(served_release + name)
        assert_clean(audit(page, axe, f"release site/{name}"))

    def test_every_link_resolves(self, served_release: str, page: Page) -> None:
        names = [*PAGES, "changes.html"]
        assert resolve_all(served_release, page, names) == []
        with urllib.request.urlopen(served_release + "feed.xml") as answer:
            assert answer.read().startswith(b'<?xml version="1.0" encoding="utf-8"?>')
