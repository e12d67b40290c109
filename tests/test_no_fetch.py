"""Nothing an author writes makes the renderer reach the network or the disk.

A local HTTP server records every connection: the tests show that it notices a fetch
(the stock WeasyPrint fetcher reaches it), then that the builder never reaches it.
"""

from __future__ import annotations

import base64
import urllib.request
from pathlib import Path

import pytest
from conftest import HostileBuild, RecordingServer

from report.errors import FetchRefused
from report.render import PdfSettings
from report.render.pdf import MAX_DATA_URL, ProjectFetcher, Renderer
from report.resources import fonts_dir

PIXEL = base64.b64encode(
    bytes.fromhex(
        "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
    )
).decode()  # a 1x1 GIF
NETWORK = "only the project's own style and font files may be loaded, never the network"


def shown(url: str) -> str:
    """Return a URL as a refusal quotes it: at most 80 characters."""
    return url if len(url) <= 80 else url[:79] + "…"


def _html_fetching(url: str) -> dict[str, str]:
    """Return every way an HTML page can make WeasyPrint load url."""
    return {
        "img": f'<img src="{url}/img">',
        "stylesheet link": f'<link rel="stylesheet" href="{url}/link.css"><p>x</p>',
        "css import": f"<style>@import url({url}/import.css);</style><p>x</p>",
        "background": f'<p style="background: url({url}/bg.png)">x</p>',
        "font face": f"<style>@font-face {{ font-family: X; src: url({url}/f.ttf) }}"
        "p { font-family: X }</style><p>x</p>",
        "list image": f'<ul style="list-style-image: url({url}/li.png)"><li>x</li></ul>',
        "object": f'<object data="{url}/object.svg" type="image/svg+xml"></object>',
        "embed": f'<embed src="{url}/embed.svg" type="image/svg+xml">',
        "svg image": f'<svg width="10" height="10"><image href="{url}/svg.png" width="10" '
        'height="10"/></svg>',
        "attachment": f'<a rel="attachment" href="{url}/attach.txt">x</a>',
        "base and relative": f'<base href="{url}/"><img src="relative.png">',
        "generated content": f"<style>p::before {{ content: url({url}/before.png) }}</style>"
        "<p>x</p>",
        "image in an svg image": f'<img src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/'
        f"2000/svg%22><image href=%22{url}/nested.png%22 width=%221%22 "
        'height=%221%22/></svg>">',
    }


class TestRecordingServer:
    """The server notices a fetch, so that an empty record means nothing was fetched."""

    def test_urllib_reaches_it(self, recording_server: RecordingServer) -> None:
        before = len(recording_server.connections)
        with urllib.request.urlopen(f"{recording_server.url}/probe", timeout=60) as response:
            assert response.status == 200
        assert len(recording_server.connections) == before + 1
        assert recording_server.requests[-1] == "/probe"

    def test_stock_weasyprint_reaches_it(self, recording_server: RecordingServer) -> None:
        from weasyprint import HTML

        before = len(recording_server.requests)
        HTML(string=f'<img src="{recording_server.url}/stock.png">').render()
        assert recording_server.requests[before:] == ["/stock.png"]


class TestProjectFetcher:
    """The fetcher serves the project's styles and fonts and small data: URLs, nothing else."""

    def test_serves_a_bundled_font(self) -> None:
        font = next(fonts_dir().glob("*.ttf"))
        response = ProjectFetcher().fetch(font.as_uri())
        assert response.read() == font.read_bytes()

    def test_serves_a_small_data_url(self) -> None:
        response = ProjectFetcher().fetch(f"data:image/gif;base64,{PIXEL}")
        assert response.read()[:6] == b"GIF89a"

    def test_refuses_a_large_data_url(self) -> None:
        url = "data:text/plain;base64," + "A" * MAX_DATA_URL
        with pytest.raises(FetchRefused) as caught:
            ProjectFetcher().fetch(url)
        assert str(caught.value) == (
            f"refused to load {shown(url)}: a data: URL may hold at most {MAX_DATA_URL:,} "
            f"characters, this one holds {len(url):,}"
        )

    @pytest.mark.parametrize("scheme", ["http", "https"])
    def test_refuses_the_network(self, scheme: str, recording_server: RecordingServer) -> None:
        before = len(recording_server.connections)
        url = recording_server.url.replace("http", scheme, 1) + "/x.css"
        with pytest.raises(FetchRefused) as caught:
            ProjectFetcher().fetch(url)
        assert str(caught.value) == f"refused to load {url}: {NETWORK}"
        assert len(recording_server.connections) == before

    @pytest.mark.parametrize(
        "url", ["ftp://127.0.0.1/x", "javascript:alert(1)", "about:blank", "gopher://127.0.0.1/x"]
    )
    def test_refuses_other_schemes(self, url: str) -> None:
        with pytest.raises(FetchRefused) as caught:
            ProjectFetcher().fetch(url)
        assert str(caught.value) == f"refused to load {url}: {NETWORK}"

    def test_refuses_files_outside_its_folder(self, tmp_path: Path) -> None:
        root = tmp_path / "styles"
        root.mkdir()
        (root / "ok.css").write_text("p {}")
        secret = tmp_path / "secret.txt"
        secret.write_text("secret")
        (root / "link.css").symlink_to(secret)
        fetcher = ProjectFetcher(root)
        assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p {}"
        refused = [
            secret.as_uri(),
            (root / "link.css").as_uri(),
            (root / "..").as_uri() + "/secret.txt",
            f"{root.as_uri()}/%2e%2e/secret.txt",
            "file://otherhost" + str(root / "ok.css"),
            (root / "missing.css").as_uri(),
        ]
        only = f"only the files under {root.resolve()} may be loaded"
        for url in refused:
            with pytest.raises(FetchRefused) as caught:
                fetcher.fetch(url)
            assert str(caught.value) == f"refused to load {shown(url)}: {only}"


class TestRendererNeverFetches:
    """However HTML asks for a resource elsewhere, the render stops with the refusal, unfetched."""

    @pytest.mark.parametrize("way", list(_html_fetching("http://x")))
    def test_html_and_css_references(self, way: str, recording_server: RecordingServer) -> None:
        before = len(recording_server.connections)
        html = _html_fetching(recording_server.url)[way]
        with pytest.raises(FetchRefused) as caught:
            Renderer().render(html, PdfSettings())
        assert str(caught.value).startswith(f"refused to load {recording_server.url}/")
        assert len(recording_server.connections) == before

    def test_local_file(self, tmp_path: Path) -> None:
        (tmp_path / "x.png").write_bytes(b"x")
        with pytest.raises(FetchRefused, match="only the files under"):
            Renderer().render(f'<img src="{(tmp_path / "x.png").as_uri()}">', PdfSettings())

    def test_small_data_image_renders(self) -> None:
        data, pages = Renderer().render(f'<img src="data:image/gif;base64,{PIXEL}">', PdfSettings())
        assert data.startswith(b"%PDF-") and pages == 1


class TestBuildNeverFetches:
    """A build of sources full of local addresses, markup and CSS makes no request at all."""

    def test_no_connection_during_the_build(
        self, hostile_build: HostileBuild, recording_server: RecordingServer
    ) -> None:
        assert hostile_build.result.code == 0, hostile_build.result.stderr
        server = hostile_build.sources.server
        assert server == recording_server.url
        assert (hostile_build.sources.folder / "codes" / "74440.yaml").read_text().count(
            server
        ) > 50
        assert hostile_build.connections == []
        assert hostile_build.requests == []
