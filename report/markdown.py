"""CommonMark as the builder reads it: raw HTML off, links only to the web and to mail.

The sources are checked with the same parser that renders them (report/render/html.py),
so what validation refuses is exactly what rendering would have met.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from report.breaks import breakable

# A link target or address field must be one of these; anything else stays text.
WEB_ADDRESS = re.compile(r"(?:https?://[^\s/?#@]+|mailto:[^\s/]+@)\S*", re.IGNORECASE)


def is_web_address(url: str) -> bool:
    """Return whether url is an http(s) address with a host, or a mailto: address."""
    return WEB_ADDRESS.fullmatch(url) is not None


# Render rules, called as markdown-it's renderer calls its own: (renderer, tokens, index,
# options, env), all positional.


def _alt_text(
    _renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    _options: OptionsDict,
    _env: EnvType,
) -> str:
    """Render an image that reaches rendering as its alt text."""
    return escapeHtml(tokens[index].content)


def _text(
    _renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    _options: OptionsDict,
    _env: EnvType,
) -> str:
    """Render text with its break opportunities."""
    return str(breakable(tokens[index].content))


def _code_inline(
    _renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    _options: OptionsDict,
    _env: EnvType,
) -> str:
    """Render a code span with its break opportunities."""
    return f"<code>{breakable(tokens[index].content)}</code>"


def _code_block(
    _renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    _options: OptionsDict,
    _env: EnvType,
) -> str:
    """Render an indented code block with its break opportunities."""
    return f"<pre><code>{breakable(tokens[index].content)}</code></pre>\n"


def _list_open(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """Open a list inside a <div>, so that a PDF keeps it where the text has it.

    WeasyPrint's tagged PDF moves a list that is a child of a list item out of it, to
    follow its item in the outer list; the rest of the item (a paragraph or heading after
    the nested list) is then read before the nested list. A <div> in between (tagged
    /NonStruct) keeps the nested list in its item, in order.
    """
    return "<div>" + renderer.renderToken(tokens, index, options, env)


def _list_close(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    index: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    """Close a list and the <div> _list_open put it in."""
    return renderer.renderToken(tokens, index, options, env) + "</div>\n"


def _fenced_code(content: str, _language: str, _attributes: str) -> str:
    """Return a fenced block's code with its break opportunities; markdown-it wraps it."""
    return str(breakable(content))  # in <pre><code>


def _commonmark() -> MarkdownIt:
    """Return a CommonMark parser without raw HTML or typographic replacements."""
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


@cache
def parser() -> MarkdownIt:
    """Return the CommonMark parser: raw HTML shown as text, links kept only to web addresses."""
    md = _commonmark()
    md.validateLink = is_web_address  # type: ignore[method-assign]
    md.add_render_rule("image", _alt_text)
    # Text gets the break opportunities every printed field gets (report/breaks.py).
    md.add_render_rule("text", _text)
    md.add_render_rule("code_inline", _code_inline)
    md.add_render_rule("code_block", _code_block)
    for kind in ("bullet_list", "ordered_list"):
        md.add_render_rule(f"{kind}_open", _list_open)
        md.add_render_rule(f"{kind}_close", _list_close)
    md.options["highlight"] = _fenced_code
    return md


def nest_headings(tokens: list[Token], under: int) -> list[Token]:
    """Set each heading's level below under, never more than one below the one before.

    An author writes `#` to `######` for a text alone; in a report the text sits under a
    heading of the template's (level under), and PDF/UA, like assistive technology, wants
    no level skipped. Each heading takes its rank among the headings still open above it in
    the text (those of a smaller written level), plus under; past level 6 it stays 6.
    """
    open_: list[int] = []  # the written levels of the headings above, outermost first
    for token in tokens:
        if token.type not in ("heading_open", "heading_close"):
            continue
        if token.type == "heading_open":
            written = int(token.tag[1:])
            while open_ and open_[-1] >= written:
                open_.pop()
            open_.append(written)
        token.tag = f"h{min(6, under + len(open_))}"
    return tokens


@cache
def _finder() -> MarkdownIt:
    """Return a parser that takes every target as a link, to find images whatever they load."""
    md = _commonmark()
    # Its parameter keeps markdown-it's name (url), unused.
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # noqa: ARG005
    return md


@dataclass(frozen=True)
class Image:
    """A Markdown image found in a text: its alt text as written and its target."""

    alt: str
    source: str

    @property
    def markup(self) -> str:
        """Return the image as an author would have written it."""
        return f"![{self.alt}]({self.source})"


def images(text: str) -> list[Image]:
    """Return every image in a Markdown text, in order."""
    return [
        Image(token.content, str(token.attrs.get("src", "")))
        for block in _finder().parse(text)
        for token in block.children or ()
        if token.type == "image"
    ]


# Lists and block quotes may nest this deep: each level indents its text (report.css), and
# at this depth the narrowest Markdown field (a payer's coverage, a table cell) still
# holds a line of some 16 characters on A4. The parser itself stops at 20 levels of
# tags (a list level is two: the list and its item) and drops what lies deeper.
MAX_NESTING = 6
_OPENS = {"bullet_list_open", "ordered_list_open", "blockquote_open"}
_CLOSES = {"bullet_list_close", "ordered_list_close", "blockquote_close"}


@dataclass(frozen=True)
class TooDeep:
    """A list or quote nested past MAX_NESTING: its level, line and marker.

    The line is 0-based in the text; the marker is its 0-based index among the line's
    markers, `>` of quotes and `-`, `*`, `+` or `1.` of lists.
    """

    level: int
    line: int
    marker: int


_MARKER = re.compile(r"[ \t]*(>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))")


def too_deep(text: str) -> TooDeep | None:
    """Return the first list or quote of a Markdown text nested past MAX_NESTING, if any."""
    open_: list[tuple[str, int]] = []  # the lists and quotes around: their type and line
    for token in parser().parse(text):
        if token.type in _OPENS:
            line = token.map[0] if token.map else 0
            if len(open_) == MAX_NESTING:
                # On its line stand the markers of the quotes around it (a list around it
                # is only indentation there) and of what opened on the same line before it.
                marker = sum(
                    1 for kind, start in open_ if start == line or kind == "blockquote_open"
                )
                return TooDeep(len(open_) + 1, line, marker)
            open_.append((token.type, line))
        elif token.type in _CLOSES:
            open_.pop()
    return None


def marker_column(line: str, marker: int) -> int:
    """Return the 0-based column of a line's marker-th list or quote marker (0 if none)."""
    at, column = 0, 0
    for _ in range(marker + 1):
        found = _MARKER.match(line, at)
        if found is None:
            return 0
        at, column = found.end(), found.start(1)
    return column


def printed_blocks(text: str) -> list[str]:
    """Return the text each block of a Markdown text prints: paragraph, heading or code.

    No markup, link targets or fence info; a line break inside a paragraph is a space.
    """
    blocks: list[str] = []
    for token in parser().parse(text):
        if token.type in ("fence", "code_block"):
            blocks.append(token.content)
        elif token.children is not None:
            blocks.append(
                "".join(
                    child.content if child.type in ("text", "code_inline") else " "
                    for child in token.children
                    if child.type in ("text", "code_inline", "softbreak", "hardbreak")
                )
            )
    return blocks


def printed_text(text: str) -> str:
    """Return the text a Markdown text prints, a block a line: no markup or link targets."""
    return "".join(f"{block}\n" for block in printed_blocks(text))
