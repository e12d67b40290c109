"""The HTML is accessible: axe-core finds no violation in any page the builder writes or serves.

Each page is loaded in the session's headless Chromium (the built HTML from file://, the
preview's pages from the server), axe-core (node_modules/, installed by `make test` with
`npm ci`) is injected into it and run for WCAG 2.0, 2.1 and 2.2 A and AA and axe's best
practices. `pytest -s` prints one summary line per page: passes, violations, incomplete.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cdp import Browser, CdpError, Page
from conftest import FIXTURES, ROOT, HostileBuild, HostilePreview, run_cli
from serving import Preview, start_preview

from report.serve.pages import failed_page

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
AUDIT_BUDGET = 120.0  # seconds for one run of axe: a bound nothing should come near

# The results as plain data: counts, and each violation's rule, impact, help and targets.
OPTIONS = json.dumps({"runOnly": {"type": "tag", "values": list(TAGS)}})
RUN = f"axe.run(document, {OPTIONS})" + (
    ".then(r => ({"
    " passes: r.passes.length,"
    " incomplete: r.incomplete.map(i => ({id: i.id,"
    " nodes: i.nodes.map(n => ({target: n.target.join(' '), html: n.html}))})),"
    " violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
    " helpUrl: v.helpUrl, nodes: v.nodes.map(n => ({target: n.target.join(' '),"
    " summary: n.failureSummary}))}))}))"
)

# What axe could not decide ("incomplete", to be reviewed by a person), reviewed: the chart's
# labels are SVG text, #1b1f24 on the white figure (16:1), whose background axe cannot
# compute inside an image; a benchmark group's label row (scope="rowgroup", spanning the
# table) heads data cells axe does not follow. Anything else left undecided fails.
REVIEWED: dict[str, Callable[[dict[str, str]], bool]] = {
    "color-contrast": lambda node: node["html"].startswith("<text "),
    "th-has-data-cells": lambda node: node["html"].startswith('<table class="benchmarks"'),
}

# A source with errors beside the sample's: its page lists them, and so does the index.
BROKEN_CODE = 'code: "12345"\nsystem: CPT\ntitle: "Broken"\ntitel: x\nsummary: [1, 2]\n'


@dataclass(frozen=True)
class Audit:
    """What axe-core found in one page."""

    name: str
    passes: int
    incomplete: list[dict[str, Any]]
    violations: list[dict[str, Any]]

    def summary(self) -> str:
        """Return the page's one-line summary."""
        rules = [f"{i['id']} x{len(i['nodes'])}" for i in self.incomplete]
        review = f" ({', '.join(rules)})" if rules else ""
        return (
            f"axe-core {self.name}: {self.passes} passes, {len(self.violations)} violations, "
            f"{len(self.incomplete)} incomplete{review}"
        )

    def details(self) -> str:
        """Return every violation: rule, impact, help and each element it names."""
        lines = []
        for v in self.violations:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            lines += [f"    {node['target']}: {node['summary']}" for node in v["nodes"]]
        return "\n".join(lines)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """Return axe-core's script, installed by `make test` (`npm ci`)."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `make test`, or `npm ci` in the checkout")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(browser: Browser) -> Page:
    """Return a tab of the session's Chromium for this module."""
    return browser.new_page()


def audit(page: Page, axe: str, name: str) -> Audit:
    """Run axe-core on the page as loaded (once its fonts are) and print its summary."""
    page.evaluate("document.fonts.ready.then(() => true)")
    injected = page.browser.send("Runtime.evaluate", page.session, expression=axe, timeout=60)
    if "exceptionDetails" in injected:
        raise CdpError(f"axe-core did not load: {injected['exceptionDetails']}")
    found = page.evaluate(RUN, timeout=AUDIT_BUDGET)
    result = Audit(name, found["passes"], found["incomplete"], found["violations"])
    print(f"\n{result.summary()}")
    return result


def assert_clean(result: Audit) -> None:
    """Fail with every violation's rule, impact, targets and help."""
    assert not result.violations, f"{result.summary()}\n{result.details()}"
    assert result.passes > 0  # axe ran its rules
    unreviewed = [
        f"{i['id']}: {node['target']}: {node['html'][:120]}"
        for i in result.incomplete
        for node in i["nodes"]
        if not REVIEWED.get(i["id"], lambda _: False)(node)
    ]
    assert not unreviewed, "\n".join(unreviewed)


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build, with HTML, a report whose every section is empty (only code, system, title)."""
    root = tmp_path_factory.mktemp("empty")
    shutil.copytree(FIXTURES / "valid" / "minimal", root / "sources")
    result = run_cli(
        "build", "--sources", str(root / "sources"), "--out", str(root / "out"), "--format", "html"
    )
    assert result.code == 0, result.stderr
    return root / "out"


@pytest.fixture(scope="module")
def broken_preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """Serve the sample sources plus codes/12345.yaml, which has errors."""
    sources = tmp_path_factory.mktemp("broken") / "sources"
    shutil.copytree(ROOT / "sources", sources)
    (sources / "codes" / "12345.yaml").write_text(BROKEN_CODE, encoding="utf-8")
    server = start_preview(sources, sources.parent / "serve.log")
    yield server
    server.stop()


class TestBuiltHtml:
    """html/CODE.html of a build (styles inline, fonts beside it) has no violation."""

    @pytest.mark.parametrize("code", ["74440", "55300"])
    def test_sample(self, sample_build: Path, page: Page, axe_source: str, code: str) -> None:
        page.goto((sample_build / "html" / f"{code}.html").as_uri())
        assert_clean(audit(page, axe_source, f"sample html/{code}.html"))

    def test_every_section_empty(self, empty_build: Path, page: Page, axe_source: str) -> None:
        page.goto((empty_build / "html" / "74440.html").as_uri())
        assert page.evaluate("document.querySelectorAll('[data-missing]').length") > 5
        assert_clean(audit(page, axe_source, "empty html/74440.html"))

    def test_hostile_text(self, hostile_build: HostileBuild, page: Page, axe_source: str) -> None:
        """Markup, scripts and local addresses in every field, shown as text."""
        assert hostile_build.result.code == 0, hostile_build.result.stderr
        page.goto((hostile_build.out / "html" / "74440.html").as_uri())
        assert_clean(audit(page, axe_source, "hostile html/74440.html"))


class TestPreview:
    """Every kind of page `serve` sends has no violation, styled for the screen."""

    @pytest.mark.parametrize(
        ("address", "kind"),
        [("", "index"), ("74440.html", None), ("55300.html", None), ("nothing", "missing")],
    )
    def test_sample(
        self, preview: Preview, page: Page, axe_source: str, address: str, kind: str | None
    ) -> None:
        page.goto(preview.url + address)
        assert page.evaluate("document.querySelector('main').dataset.page || null") == kind
        assert_clean(audit(page, axe_source, f"preview /{address}"))

    @pytest.mark.parametrize(("address", "kind"), [("", "index"), ("12345.html", "errors")])
    def test_source_with_errors(
        self, broken_preview: Preview, page: Page, axe_source: str, address: str, kind: str
    ) -> None:
        page.goto(broken_preview.url + address)
        assert page.evaluate("document.querySelector('main').dataset.page") == kind
        assert page.evaluate("document.querySelectorAll('[data-findings] li').length") >= 2
        assert_clean(audit(page, axe_source, f"preview with errors /{address}"))

    @pytest.mark.parametrize(
        ("address", "kind"), [("", "index"), ("74440.html", None), ("55300.html", "errors")]
    )
    def test_hostile_text(
        self,
        hostile_preview: HostilePreview,
        page: Page,
        axe_source: str,
        address: str,
        kind: str | None,
    ) -> None:
        """Markup in every field, and an unknown key that is an HTML tag."""
        page.goto(hostile_preview.server.url + address)
        assert page.evaluate("document.querySelector('main').dataset.page || null") == kind
        assert_clean(audit(page, axe_source, f"hostile preview /{address}"))

    def test_failed_pdf(self, preview: Preview, page: Page, axe_source: str) -> None:
        """The page for a PDF that could not be rendered, shown at the server's address."""
        markup = failed_page("74440", "rendering took longer than 60 s", None)
        page.goto(preview.url + "nothing")
        frame = page.browser.send("Page.getFrameTree", page.session)["frameTree"]["frame"]["id"]
        page.browser.send("Page.setDocumentContent", page.session, frameId=frame, html=markup)
        assert (
            page.evaluate(  # once its stylesheets are loaded, the page is styled
                "Promise.all([...document.querySelectorAll('link[rel=stylesheet]')].map(link =>"
                " link.sheet || new Promise(done => link.addEventListener('load', done))))"
                ".then(() => getComputedStyle(document.querySelector('main')).maxWidth)"
            )
            == "960px"  # the preview's own pages: 60rem
        )
        assert page.evaluate("document.querySelector('main').dataset.page") == "failed"
        assert_clean(audit(page, axe_source, "preview failed PDF"))


# Pages with one known fault each, and the rule axe-core must name for it.
FAULTS = {
    "no language": ("<title>t</title><main><h1>t</h1></main>", "html-has-lang"),
    "no title": ('<html lang="en"><main><h1>t</h1></main>', "document-title"),
    "pale text": (
        '<html lang="en"><title>t</title><main><h1>t</h1>'
        '<p style="color: #aaa; background: #fff">pale</p></main>',
        "color-contrast",
    ),
    "empty link": (
        '<html lang="en"><title>t</title><main><h1>t</h1><a href="/x"></a></main>',
        "link-name",
    ),
    "no main landmark": ('<html lang="en"><title>t</title><h1>t</h1>', "landmark-one-main"),
    "skipped heading level": (
        '<html lang="en"><title>t</title><main><h1>t</h1><h3>u</h3></main>',
        "heading-order",
    ),
}


class TestAuditor:
    """The audit finds a known fault, so that a clean result means something."""

    @pytest.mark.parametrize("fault", list(FAULTS))
    def test_finds(self, page: Page, axe_source: str, fault: str) -> None:
        markup, rule = FAULTS[fault]
        page.goto("data:text/html;charset=utf-8," + quote(markup))
        result = audit(page, axe_source, f"fault: {fault}")
        assert rule in [v["id"] for v in result.violations], result.details()
