"""The builder's own parse of its HTML gives HTML5's tree, or leaves the document to it."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import tinyhtml5
from conftest import ROOT
from extreme_sources import write_extreme_sources
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_sources import markdown_code

from report.assemble import assemble
from report.render.html import ContentsLine, FrontPart, front_html, report_html
from report.render.tree import parse_html
from report.sources import code_from_bytes, load_sources

SAMPLE = ROOT / "sources"


def html5(html: str) -> ElementTree.Element:
    """Return the tree WeasyPrint's own parser builds."""
    return tinyhtml5.parse(html, namespace_html_elements=False)  # type: ignore[no-any-return]


def difference(mine: ElementTree.Element, theirs: ElementTree.Element, path: str = "") -> str:
    """Return where two trees differ first, or "" if they are the same."""
    here = f"{path}/{theirs.tag}"
    for what, a, b in (
        ("tag", mine.tag, theirs.tag),
        ("attributes", mine.attrib, theirs.attrib),
        ("text", mine.text or "", theirs.text or ""),
        ("tail", mine.tail or "", theirs.tail or ""),
        ("children", len(mine), len(theirs)),
    ):
        if a != b:
            return f"{here}: {what} {a!r} != {b!r}"
    for index, (child, other) in enumerate(zip(mine, theirs, strict=True)):
        found = difference(child, other, f"{here}[{index}]")
        if found:
            return found
    return ""


def documents(folder: Path) -> list[tuple[str, str]]:
    """Return every report of a sources folder as HTML, with and without inline styles."""
    loaded = load_sources(folder)
    assert loaded.publication is not None
    reports = [(s.model.code, assemble(s, loaded.publication, None)) for s in loaded.codes]
    lines = tuple(ContentsLine(code, report.title, f"{code}-1") for code, report in reports)
    parts = (
        FrontPart("opening", 1, 3, report_count=len(lines)),
        FrontPart("contents", 2, 3, lines, opens_contents=True),
    )
    return [
        *(
            (f"{code}{' inline' * inline}", report_html(report, inline))
            for code, report in reports
            for inline in (False, True)
        ),
        *((f"front matter {p.part}", front_html(reports[0][1].publication, p)) for p in parts),
    ]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """Return the documents of the sample and of both extreme corpora."""
    folders = [SAMPLE, *write_extreme_sources(tmp_path_factory.mktemp("x")).values()]
    return [
        (f"{folder.name} {name}", html) for folder in folders for name, html in documents(folder)
    ]


class TestSameTree:
    """Every document the builder makes is parsed here, into HTML5's very tree."""

    def test_every_document(self, corpora: list[tuple[str, str]]) -> None:
        """The sample's and the extreme corpora's reports and front matter parse the same."""
        assert len(corpora) > 10
        for name, html in corpora:
            mine = parse_html(html)
            assert mine is not None, f"{name}: left to tinyhtml5"
            assert difference(mine, html5(html)) == "", name

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(markdown_code())
    def test_any_markdown(self, code: bytes) -> None:
        """A report of generated Markdown parses to HTML5's tree, or is left to tinyhtml5."""
        loaded = load_sources(SAMPLE)
        assert loaded.publication is not None
        source, errors = code_from_bytes(code, "74440.yaml", "74440", loaded.publication.model)
        assert source is not None, errors
        html = report_html(assemble(source, loaded.publication, None))
        mine = parse_html(html)
        if mine is not None:
            assert difference(mine, html5(html)) == ""


PAGE = "<!DOCTYPE html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body>\n{}\n</body>\n</html>\n"


NESTED = (
    "p div b em a span blockquote ul ol li dl dt dd h2 h3 section table caption colgroup "
    "thead tbody tr th td svg text"
)
ELEMENTS = NESTED.split()
LEAVES = st.sampled_from(["word", " ", "\n", "&amp;", "&#39;", "<br>", "<hr>", "<col>", "<rect/>"])


def element(tag: str, children: list[str]) -> str:
    """Return an element holding children, its end tag written."""
    return f"<{tag}{' href=#x' * (tag == 'a')}>{''.join(children)}</{tag}>"


# Bodies of elements nested every way, closed as written: most are not what HTML5 keeps
# as written (a <div> in a <p>, a row outside a table section), which the rules must see.
BODIES = st.recursive(
    LEAVES,
    lambda inner: st.builds(
        element,
        st.sampled_from(ELEMENTS),
        st.lists(inner, max_size=4),
    ),
    max_leaves=25,
)


class TestAnyNesting:
    """However elements nest, the tree is HTML5's or the document is left to tinyhtml5."""

    @settings(max_examples=300, deadline=None)
    @given(st.lists(BODIES, max_size=4))
    def test_any_nesting(self, parts: list[str]) -> None:
        """A body of elements nested any way parses to HTML5's tree, or to nothing."""
        html = PAGE.format("".join(parts))
        mine = parse_html(html)
        if mine is not None:
            assert difference(mine, html5(html)) == ""


class TestLeftToHtml5:
    """A document with anything HTML5 repairs, moves or reads its own way is not parsed here."""

    @pytest.mark.parametrize(
        "body",
        [
            "<!-- a comment -->",
            "<table><tr><td>a row without its section</td></tr></table>",
            "<p>a paragraph<div>that a block closes</div></p>",
            "<p>an end tag</span> that closes nothing</p>",
            "<p>AT&T, an ampersand alone</p>",
            "<p>a named reference &copy without its semicolon</p>",
            "<p>a carriage\rreturn</p>",
            "<a href='#'>a link <a href='#'>in a link</a></a>",
            "<ul><li>an item <li>in an open item</li></li></ul>",
            "<dl><dd>a definition <div><dt>in an open one</dt></div></dd></dl>",
            "<h2>a heading <h3>in a heading</h3></h2>",
            "<pre>\nits first newline dropped</pre>",
            "<table><tbody><tr>text in a row<td>a</td></tr></tbody></table>",
            "<p title='a' title='b'>an attribute twice</p>",
            "<div/>a slash HTML5 ignores",
            "<svg><foreignObject>HTML inside</foreignObject></svg>",
            "<svg><p>an element that breaks out</p></svg>",
            "<textarea>raw text</textarea>",
        ],
    )
    def test_unsure(self, body: str) -> None:
        """The document is left to tinyhtml5."""
        assert parse_html(PAGE.format(body)) is None

    @pytest.mark.parametrize(
        "html",
        [
            "<html><body></body></html>",  # no doctype: quirks mode
            "<!DOCTYPE html><html><head><base href='x/'></head><body></body></html>",
            "<!DOCTYPE html><html><head></head><body></body></html>trailing text",
            "<!DOCTYPE html><html><head></head><body><p>unclosed</body></html>",
        ],
    )
    def test_unsure_documents(self, html: str) -> None:
        """A document not opened and closed as the templates write it is left to tinyhtml5."""
        assert parse_html(html) is None

    @pytest.mark.parametrize(
        "body",
        [
            "<p>plain &amp; escaped &lt;text&gt; &#169; &#x2014; &nbsp;</p>",
            "<table><caption>c</caption><colgroup><col><col></colgroup>"
            "<thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9" role="img">'
            '<title>t</title><rect x="1" height="2"/><text x="2" xlink:href="#a">a</text></svg>',
            "<ul><li>a<ul><li>nested</li></ul></li></ul><dl><dt>t</dt><dd>d</dd></dl>",
            "<p data-missing>an attribute without a value<br>and a break</p>",
            "<li>an item outside a list, as HTML5 leaves it</li>",
        ],
    )
    def test_sure(self, body: str) -> None:
        """A document in the subset is parsed here, into HTML5's tree."""
        html = PAGE.format(body)
        mine = parse_html(html)
        assert mine is not None
        assert difference(mine, html5(html)) == ""
