"""`serve`: the live preview, loaded in a real headless Chromium while its sources change."""

from __future__ import annotations

import html
import io
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from cdp import Browser, Page
from conftest import HostilePreview, run_cli
from hostile_sources import shown_text
from serving import Preview, fetch, listening_addresses, start_preview, wait_until

from report.render import PdfSettings
from report.resources import styles_dir
from report.serve.pdfs import PdfCache
from report.serve.server import TEMPLATES_DIR
from report.serve.site import Site
from report.serve.watch import Change, Layout, Watched

AT = PdfSettings(epoch=1_790_000_000)  # a fixed date the PDFs are written at

TITLE = "Imaging of Vas Deferens, Seminal Vesicles, or Epididymis"
SUMMARY_START = "CPT code 74440 represents radiographic imaging"
RELOAD_BUDGET = 60.0  # seconds: a bound nothing should come near, never a measure


def served(url: str) -> bytes:
    """Return a page as served, but for its version (which every change moves on)."""
    return re.sub(rb'version=[^"]*', b"version=", fetch(url)[2])


@pytest.fixture(scope="module")
def page(browser: Browser) -> Page:
    """Return a tab of the session's Chromium for this module."""
    return browser.new_page()


@pytest.fixture
def code_file(preview: Preview) -> Iterator[Path]:
    """Return codes/74440.yaml of the served copy, put back as it was after the test.

    Once it is put back, wait until the server serves its page as before again.
    """
    path = preview.sources / "codes" / "74440.yaml"
    original = path.read_bytes()
    url = preview.url + "74440.html"
    page = served(url)
    yield path
    if path.read_bytes() != original:
        path.write_bytes(original)
        wait_until(lambda: served(url) == page, RELOAD_BUDGET)


class TestListening:
    """The server says where it is, listens on loopback only, and answers GET and HEAD."""

    def test_prints_its_url(self, preview: Preview) -> None:
        assert preview.announced == (
            f"serving 2 reports from {preview.sources} at "
            f"http://127.0.0.1:{preview.port}/ (0 errors); Ctrl-C stops"
        )

    def test_binds_loopback_by_default(self, preview: Preview) -> None:
        assert listening_addresses(preview.port) == {"127.0.0.1"}

    def test_a_port_in_use_is_a_usage_error(self, preview: Preview) -> None:
        result = run_cli("serve", "--sources", str(preview.sources), "--port", str(preview.port))
        assert result.code == 2
        assert result.stderr == (
            f"cannot listen on 127.0.0.1 port {preview.port}: Address "
            "already in use; choose another with --port or --host\n"
            "see docs/reference/cli.md#serve\n"
        )

    def test_refuses_other_methods(self, preview: Preview) -> None:
        status, headers, _ = fetch(preview.url, "POST")
        assert (status, headers["Allow"]) == (405, "GET, HEAD")

    def test_head_has_headers_only(self, preview: Preview) -> None:
        status, headers, body = fetch(preview.url + "74440.html", "HEAD")
        assert status == 200 and body == b"" and int(headers["Content-Length"]) > 10_000

    def test_refuses_a_foreign_host_name(self, preview: Preview) -> None:
        """A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) reads nothing."""
        status, _, body = fetch(preview.url, headers={"Host": f"evil.example:{preview.port}"})
        assert status == 403 and TITLE.encode() not in body


class TestPages:
    """The index lists every report; a report reads as its PDF does; unknown addresses are 404."""

    def test_index_lists_both_reports(self, preview: Preview, page: Page) -> None:
        page.goto(preview.url)
        rows = page.evaluate(
            "[...document.querySelectorAll('tbody tr')].map(row => "
            "[...row.cells].map(c => c.innerText.trim()).concat("
            "[...row.querySelectorAll('a')].map(a => a.getAttribute('href'))))"
        )
        assert rows == [
            [
                "55300",
                "CPT 55300: Vasotomy for Vasograms, Seminal Vesiculograms, or Epididymograms",
                "HTML",
                "PDF",
                "/55300.html",
                "/55300.pdf",
            ],
            ["74440", f"CPT 74440: {TITLE}", "HTML", "PDF", "/74440.html", "/74440.pdf"],
        ]
        assert "Every source is valid." in page.text()

    def test_report_shows_its_title_and_links_its_pdf(self, preview: Preview, page: Page) -> None:
        page.goto(preview.url + "74440.html")
        assert page.evaluate("document.querySelector('h1').innerText") == f"CPT 74440: {TITLE}"
        assert page.evaluate("document.title") == f"CPT 74440: {TITLE}"
        assert "/74440.pdf" in page.evaluate(
            "[...document.querySelectorAll('nav a')].map(a => a.getAttribute('href'))"
        )

    def test_report_is_styled_for_the_screen(self, preview: Preview, page: Page) -> None:
        page.goto(preview.url + "74440.html")
        loaded = page.evaluate(
            "document.fonts.ready.then(() => [...document.fonts]"
            ".filter(f => f.status === 'loaded').map(f => f.family))"
        )
        assert {"Source Serif 4", "Source Sans 3"} <= {f.strip('"') for f in loaded}
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector("
            "'main')); return [s.backgroundColor, s.maxWidth]; })()"
        )
        # A white sheet as wide as a line of some 70 characters and its margins.
        assert style == ["rgb(255, 255, 255)", "720px"]

    @pytest.mark.parametrize(
        "path",
        [
            "99999.html",
            "99999.pdf",
            "nothing",
            "74440",
            "styles/../pyproject.toml",
            "styles/report.j2",
        ],
    )
    def test_unknown_addresses_are_not_found(self, preview: Preview, path: str) -> None:
        status, _, body = fetch(preview.url + path)
        assert status == 404 and b"Not found" in body


class TestPdf:
    """/CODE.pdf is the builder's own PDF of the report, rendered on request and kept."""

    def test_is_the_builders_pdf(self, preview: Preview, sample_build: Path) -> None:
        status, headers, data = fetch(preview.url + "74440.pdf")
        assert (status, headers["Content-Type"]) == (200, "application/pdf")
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
        assert TITLE in " ".join(text.split())
        assert data == (sample_build / "74440.pdf").read_bytes()

    def test_is_kept_until_its_inputs_change(self) -> None:
        cache = PdfCache()
        try:
            first = cache.pdf("x", "<p>one</p>", AT)
            assert cache.pdf("x", "<p>one</p>", AT) is first
            assert cache.pdf("x", "<p>two</p>", AT) is not first
            cache.restart()  # a style changed
            again = cache.pdf("x", "<p>two</p>", AT)
            assert again.startswith(b"%PDF-")
            assert cache.pdf("x", "<p>two</p>", PdfSettings(epoch=1)) is not again
        finally:
            cache.close()


def edit_summary(file: Path, mark: str) -> None:
    """Put a mark into the first sentence of the summary."""
    text = file.read_text(encoding="utf-8")
    start = text.index("CPT code 74440 ")
    end = text.index("represents", start)
    file.write_text(text[:start] + f"CPT code 74440 {mark} " + text[end:], encoding="utf-8")


class TestLiveReload:
    """An open page shows an edit of its source, without being touched."""

    def test_edited_summary_shows_in_the_open_page(
        self, preview: Preview, browser: Browser, page: Page, code_file: Path
    ) -> None:
        other = browser.new_page()
        other.goto(preview.url + "55300.html")
        other.evaluate("window.untouched = true")
        page.goto(preview.url + "74440.html")
        seconds = []
        for n in range(1, 4):
            page.evaluate("window.before = true")
            start = time.monotonic()
            edit_summary(code_file, f"(edit {n})")
            page.wait_for_text(f"CPT code 74440 (edit {n}) represents", RELOAD_BUDGET)
            seconds.append(time.monotonic() - start)
            assert page.evaluate("typeof window.before") == "undefined"  # it reloaded itself
        print(f"\nreload latency, save to text shown: {', '.join(f'{s:.3f}' for s in seconds)} s")
        # Only the changed report's pages were rebuilt: the other report's page stayed.
        assert other.evaluate("window.untouched") is True

    def test_restored_source_shows_the_original(
        self, preview: Preview, page: Page, code_file: Path
    ) -> None:
        page.goto(preview.url + "74440.html")
        edit_summary(code_file, "(changed)")
        page.wait_for_text("CPT code 74440 (changed) represents")
        edit_summary(code_file, "")
        page.wait_for_text(SUMMARY_START)


BREAKS = {
    "unknown key": lambda text: text + "titel: x\n",
    "bad YAML": lambda text: text.replace("system: CPT\n", "system: [CPT\n", 1),
}


class TestBrokenSource:
    """A source with errors shows them, as `check` prints them, until it is fixed."""

    @pytest.mark.parametrize("damage", list(BREAKS))
    def test_errors_replace_the_report_then_it_returns(
        self, preview: Preview, page: Page, code_file: Path, damage: str
    ) -> None:
        page.goto(preview.url + "74440.html")
        original = code_file.read_text(encoding="utf-8")
        code_file.write_text(BREAKS[damage](original), encoding="utf-8")
        checked = run_cli("check", "--sources", str(preview.sources))
        findings = [
            line
            for line in checked.stderr.splitlines()
            if line.startswith(str(code_file)) and ": notice: " not in line
        ]
        assert checked.code == 1 and findings
        for finding in findings:
            page.wait_for_text(finding)
        assert TITLE not in page.text()  # no stale report beside the errors
        _, _, index = fetch(preview.url)
        assert all(finding in html.unescape(index.decode()) for finding in findings)
        status, _, body = fetch(preview.url + "74440.pdf")
        assert status == 409 and findings[0] in html.unescape(body.decode())
        code_file.write_text(original, encoding="utf-8")
        page.wait_for_text(SUMMARY_START)
        assert page.evaluate("document.querySelector('h1').innerText") == f"CPT 74440: {TITLE}"
        assert preview.process.poll() is None


class TestEscaping:
    """Served pages show source text, and error messages quoting it, as text: never markup."""

    FOREIGN = "main :is(b, img, script, style, iframe, object, embed, div, link), main [style]"

    def test_report_fields_are_text(self, hostile_preview: HostilePreview, page: Page) -> None:
        server, fields = hostile_preview.server, hostile_preview.fields
        page.goto(server.url + "74440.html")
        assert page.evaluate(f"document.querySelectorAll('{self.FOREIGN}').length") == 0
        assert page.evaluate("document.querySelectorAll('script').length") == 1  # the reload
        assert not page.evaluate(
            "[...document.querySelectorAll('a')].some(a => /^(javascript|file):/i"
            ".test(a.getAttribute('href')))"
        )
        text = page.text()
        for path in (("title",), ("summary",), ("modifiers", 0, "description")):
            assert all(piece in text for piece in shown_text(fields[path])), path

    def test_index_and_errors_are_text(self, hostile_preview: HostilePreview, page: Page) -> None:
        server, fields = hostile_preview.server, hostile_preview.fields
        for address in ("", "55300.html"):
            page.goto(server.url + address)
            assert page.evaluate(f"document.querySelectorAll('{self.FOREIGN}').length") == 0
            assert page.evaluate("typeof window.pwned") == "undefined"
            assert 'unknown key "<img src=x onerror=window.pwned=1>"' in page.text()
        page.goto(server.url)
        assert f"<script>S{fields[('title',)]}</script>" in page.text()

    def test_pages_carry_a_strict_policy(self, hostile_preview: HostilePreview) -> None:
        _, headers, _ = fetch(hostile_preview.server.url + "74440.html")
        policy = headers["Content-Security-Policy"]
        assert "script-src 'sha256-" in policy and "default-src 'self'" in policy


class TestStopping:
    """Ctrl-C stops the server, its PDF worker and its watcher, and says so."""

    def test_ctrl_c(self, preview_sources: Path, tmp_path: Path) -> None:
        server = start_preview(preview_sources, tmp_path / "serve.log")
        assert fetch(server.url + "55300.pdf")[0] == 200  # a worker has rendered
        workers = _descendants(server.process.pid)
        assert len(workers) >= 2  # the fork server and the worker
        assert server.stop(signal.SIGINT) == 0
        log = (tmp_path / "serve.log").read_text()
        assert log.splitlines()[-1] == "stopped" and "Traceback" not in log
        assert listening_addresses(server.port) == set()
        wait_until(lambda: all(_stat(pid)[0] in ("", "Z") for pid in workers))


def _descendants(root: int) -> list[str]:
    """Return the processes started by a process, and by those, and so on."""
    parents = {pid: _stat(pid)[1] for pid in os.listdir("/proc") if pid.isdigit()}
    found: list[str] = []
    level = {str(root)}
    while level:
        level = {pid for pid, parent in parents.items() if str(parent) in level}
        found += sorted(level)
    return found


def _stat(pid: str) -> tuple[str, int]:
    """Return a process's state and parent ("", 0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", 0
    state, parent = stat.rsplit(")", 1)[1].split()[:2]
    return state, int(parent)


class TestWhatAChangeAffects:
    """A code source's change affects its pages; publication, indices, templates, styles: all."""

    def test_classify(self, tmp_path: Path) -> None:
        layout = Layout(tmp_path / "src", tmp_path / "templates", tmp_path / "styles")
        assert layout.classify([tmp_path / "src/codes/74440.yaml"]) == Change(
            codes=frozenset({"74440"})
        )
        assert layout.classify([tmp_path / "src/publication.yaml"]).everything
        assert layout.classify([tmp_path / "src/gpci/2022.yaml"]) == Change(publication=True)
        assert Watched(tmp_path / "src/gpci", "*.yaml") in layout.watched()
        assert layout.classify([tmp_path / "templates/sections.html.j2"]) == Change(templates=True)
        assert layout.classify([tmp_path / "styles/fonts/x.ttf"]) == Change(styles=True)
        assert not layout.classify([tmp_path / "src/codes/notes.txt"])

    def test_only_affected_pages_get_a_new_version(self, sources_copy: Path) -> None:
        lines: list[str] = []
        site = Site(
            Layout(sources_copy, TEMPLATES_DIR, styles_dir()),
            str(sources_copy),
            PdfCache(),
            lines.append,
        )
        pages = ("", "74440", "55300")

        def versions() -> dict[str, str]:
            return {page: site.version(page) for page in pages}

        before = versions()
        site.apply(Change(codes=frozenset({"74440"})))
        after = versions()
        assert [after[p] != before[p] for p in pages] == [True, True, False]
        assert lines == ["changed: 74440; its pages reload; 0 errors"]
        site.apply(Change(styles=True))
        assert all(version != after[page] for page, version in versions().items())
