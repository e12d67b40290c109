"""Parse the builder's own HTML into the tree WeasyPrint's parser builds, several times faster.

WeasyPrint parses every document with tinyhtml5, an HTML5 parser written in Python: about
8 ms of a report's 140. The builder's documents come from its templates, in a plain subset
of HTML: every element is closed where it was opened, text is escaped, and nothing calls
on the HTML5 algorithm's repairs (an end tag implied by a start tag, a table row given a
section, a misnested tag). For such a document, HTML5's tree is the tree of the tags as
written, with the whitespace around the head and body placed by HTML5's rules; Python's
html.parser reads it in about 1 ms. A document with anything outside that subset (a
comment, an end tag that is not the last one opened, an element that HTML5 would close,
reopen or move, a character it would replace) is left to tinyhtml5 whole, so the tree
is always HTML5's: tests/test_tree.py holds the two to one tree for every kind of source.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import cssselect2
from tinyhtml5.constants import adjust_foreign_attributes, adjust_svg_attributes
from weasyprint import HTML
from weasyprint.urls import URLFetcher, ensure_url


def _names(text: str) -> frozenset[str]:
    """Return the set of the names that text lists, separated by spaces."""
    return frozenset(text.split())


DOCTYPE = "<!DOCTYPE html>"  # no-quirks mode, as every template declares
# Anything HTML5 may read otherwise than html.parser: an ampersand that starts no plain
# reference, a carriage return or NUL, a comment, CDATA, a processing instruction.
UNSURE = re.compile(
    r"&(?!(?:amp|lt|gt|quot|apos|nbsp|#[0-9]+|#[xX][0-9a-fA-F]+);)|[\r\x00]|<!--|<!\[|<\?"
)
VOID = _names("area base br col embed hr img input link meta source track wbr")
HEAD = _names("link meta script style title")  # a <base> would move the base URL
HEADINGS = _names("h1 h2 h3 h4 h5 h6")
# Elements whose start tag HTML5 treats by rules of their own (foreign content, forms,
# raw text, a dropped first newline, ruby, frames, templates): never in the subset.
SPECIAL_RULES = _names(
    "body button form frame frameset head html iframe image isindex keygen listing "
    "math nobr noembed noframes noscript optgroup option plaintext pre rb rp rt rtc "
    "select template textarea xmp"
)
# HTML5's "special" elements, at which its search for an open <li>, <dd> or <dt> stops
# (address, div and p excepted).
SPECIAL = _names(
    "applet area article aside base basefont bgsound blockquote body br button "
    "caption center col colgroup dd details dir dl dt embed fieldset figcaption "
    "figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html "
    "iframe img input keygen li link listing main marquee menu meta nav noembed "
    "noframes noscript object ol param plaintext pre script search section select "
    "source style summary table tbody td template textarea tfoot th thead title tr "
    "track ul wbr xmp"
)
CLOSES_P = _names(
    "address article aside blockquote center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol "
    "p search section summary table ul"
)
BUTTON_SCOPE = _names("applet button caption html marquee object table td template th")
# What a table's parts may hold as written; any other child HTML5 adds or moves.
TABLE_CHILDREN = {
    "table": _names("caption colgroup thead tbody tfoot"),
    "thead": _names("tr"),
    "tbody": _names("tr"),
    "tfoot": _names("tr"),
    "tr": _names("td th"),
    "colgroup": _names("col"),
}
TABLE_PARENTS = {
    tag: frozenset(parent for parent, children in TABLE_CHILDREN.items() if tag in children)
    for tag in frozenset().union(*TABLE_CHILDREN.values())
}
WHITESPACE = " \t\n\f"
# The element each mode before the body must open next, the mode its start tag leads to,
# and the mode each end tag of the document's frame leads to.
FOLLOWING = {"before html": "html", "before head": "head", "after head": "body"}
STARTED = {"html": "before head", "head": "in head", "body": "in body"}
ENDED = {"head": "after head", "body": "after body", "html": "after html"}
SVG = "{http://www.w3.org/2000/svg}"
# The SVG elements of the charts, whose names HTML5 keeps as written (no camel case) and
# none of which breaks out of foreign content.
SVG_TAGS = _names("svg g title desc rect text tspan line path circle ellipse polyline polygon")


class Unsure(Exception):
    """The document uses what HTML5 parses by its own rules: leave it to tinyhtml5."""


def parse_html(html: str) -> ElementTree.Element | None:
    """Return the root element HTML5 would build from html, or None if not sure of it."""
    if not html.startswith(DOCTYPE) or UNSURE.search(html):
        return None
    builder = _Builder()
    try:
        builder.feed(html[len(DOCTYPE) :])
        builder.close()
        return builder.root()
    except (Unsure, AssertionError):  # html.parser asserts what it takes for granted
        return None


def html_document(html: str, base_url: str, url_fetcher: URLFetcher) -> HTML:
    """Return WeasyPrint's document of html: parsed here if sure of its tree, else by it."""
    root = parse_html(html)
    if root is None:
        return HTML(string=html, base_url=base_url, url_fetcher=url_fetcher)
    # What HTML.__init__ (WeasyPrint 70.0) sets from the tree it parses; without a <base>
    # element, the base URL is the one given.
    document = HTML.__new__(HTML)
    document.base_url = ensure_url(base_url)
    document.url_fetcher = url_fetcher
    document.media_type = "print"
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
    document.etree_element = document.wrapper_element.etree_element
    return document


def check_start(tag: str, open_tags: list[str]) -> None:
    """Raise Unsure unless HTML5 opens tag, in the body, as a child of the last open tag."""
    parent = open_tags[-1]
    if tag in SPECIAL_RULES:
        raise Unsure(f"<{tag}>")
    if tag in TABLE_PARENTS or parent in TABLE_CHILDREN:
        if parent not in TABLE_PARENTS.get(tag, ()):
            raise Unsure(f"<{tag}> in <{parent}>")
        return
    if tag in CLOSES_P and _in_scope("p", open_tags):
        raise Unsure(f"<{tag}> in an open <p>")
    if (tag == "a" and "a" in open_tags) or (tag in HEADINGS and parent in HEADINGS):
        raise Unsure(f"<{tag}> in <{parent}>")
    if tag in ("li", "dd", "dt"):
        closed = ("li",) if tag == "li" else ("dd", "dt")
        for name in reversed(open_tags):
            if name in closed:
                raise Unsure(f"<{tag}> in an open <{name}>")
            if name in SPECIAL and name not in ("address", "div", "p"):
                break


def _in_scope(tag: str, open_tags: list[str]) -> bool:
    """Return whether tag is open in HTML5's button scope."""
    for name in reversed(open_tags):
        if name == tag:
            return True
        if name in BUTTON_SCOPE:
            return False
    return False


class _Builder(HTMLParser):
    """Build the element tree of a document in the plain subset, or raise Unsure."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tree = ElementTree.TreeBuilder()
        self.open: list[str] = []
        self.mode = "before html"  # where text goes: HTML5's insertion modes, in short
        self.trailing: list[str] = []  # whitespace after </body>: HTML5 ends the body with it
        self.svg = 0  # how many <svg> elements are open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an element, or raise Unsure where HTML5 would not open it as written."""
        self._start(tag, attrs, closed=tag in VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open and close an element: a void one, or one of SVG (HTML5 ignores other slashes)."""
        if tag not in VOID and not (tag in SVG_TAGS and (tag == "svg" or self.svg)):
            raise Unsure(f"<{tag}/>")
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        """Open an element, closed at once if closed, or raise Unsure."""
        names = [name for name, _ in attrs]
        if len(set(names)) != len(names):
            raise Unsure(f"<{tag}> repeats an attribute")
        values = {name: "" if value is None else value for name, value in attrs}
        if self.svg or tag == "svg":
            if tag not in SVG_TAGS or self.mode != "in body":
                raise Unsure(f"<{tag}> in foreign content")
            if tag == "svg" and not self.svg:
                check_start(tag, self.open)
            self._open(SVG + tag, _foreign(values), closed)
            return
        if self.mode in FOLLOWING:
            if tag != FOLLOWING[self.mode]:
                raise Unsure(f"<{tag}> where HTML5 implies <{FOLLOWING[self.mode]}>")
            self.mode = STARTED[tag]
        elif self.mode == "in head":
            if tag not in HEAD:
                raise Unsure(f"<{tag}> in the head")
        elif self.mode == "in body":
            check_start(tag, self.open)
        else:
            raise Unsure(f"<{tag}> after the body")
        self._open(tag, values, closed)

    def _open(self, name: str, attributes: dict[str, str], closed: bool) -> None:
        """Add an element to the tree, and to the open ones unless closed."""
        self.tree.start(name, attributes)
        if closed:
            self.tree.end(name)
        else:
            self.open.append(name)
            self.svg += name == SVG + "svg"

    def handle_endtag(self, tag: str) -> None:
        """Close the element last opened, which must be tag."""
        name = SVG + tag if self.svg else tag
        if not self.open or self.open[-1] != name or tag in VOID:
            raise Unsure(f"</{tag}> does not close the element last opened")
        self.open.pop()
        self.svg -= name == SVG + "svg"
        self.tree.end(name)
        self.mode = ENDED.get(tag, self.mode)

    def handle_data(self, data: str) -> None:
        """Add text where HTML5 puts it: whitespace outside head and body as its rules say."""
        text = bool(data.strip(WHITESPACE))
        if self.mode in ("before html", "before head"):
            if text:
                raise Unsure("text before the head")
        elif self.mode in ("after body", "after html"):
            if text:
                raise Unsure("text after the body")
            self.trailing.append(data)
        elif text and self.open[-1] in ("head", "html", *TABLE_CHILDREN):
            raise Unsure(f"text in <{self.open[-1]}>")
        else:
            self.tree.data(data)  # after </head>: the head's tail, as HTML5 has it

    def handle_decl(self, decl: str) -> None:
        """Refuse a second declaration."""
        raise Unsure(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        """Refuse CDATA and other declarations."""
        raise Unsure(f"<![{data}>")

    def handle_comment(self, data: str) -> None:
        """Refuse comments (HTML5 keeps them as nodes of their own)."""
        raise Unsure(f"a comment: {data[:20]}")

    def handle_pi(self, data: str) -> None:
        """Refuse processing instructions (HTML5 reads them as comments)."""
        raise Unsure(f"a processing instruction: {data[:20]}")

    def root(self) -> ElementTree.Element:
        """Return the finished tree's root, the whitespace after the body added to it."""
        if self.open or self.mode not in ("after body", "after html"):
            raise Unsure("a document not closed as it was opened")
        root = self.tree.close()
        body = root[-1]
        trailing = "".join(self.trailing)
        if trailing and len(body):
            body[-1].tail = (body[-1].tail or "") + trailing
        elif trailing:
            body.text = (body.text or "") + trailing
        return root


def _foreign(attributes: dict[str, str]) -> dict[str, str]:
    """Return the attributes of an SVG element as HTML5 names them (viewBox, xlink:href)."""
    named = {}
    for name, value in attributes.items():
        name = adjust_svg_attributes.get(name, name)
        foreign = adjust_foreign_attributes.get(name)
        named[name if foreign is None else f"{{{foreign[2]}}}{foreign[1]}"] = value
    return named
