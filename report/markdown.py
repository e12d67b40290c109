"""CommonMark as the builder reads it: raw HTML off, links only to the web and to mail.

The sources are checked with the same parser that renders them (report/render/html.py),
so what validation refuses is exactly what rendering would have met.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from report.render.breaks import breakable

# A link target or address field must be one of these; anything else stays text.
WEB_ADDRESS = re.compile(r"(?:https?://[^\s/?#@]+|mailto:[^\s/]+@)\S*", re.IGNORECASE)


def is_web_address(url: str) -> bool:
    """Return whether url is an http(s) address with a host, or a mailto: address."""
    return WEB_ADDRESS.fullmatch(url) is not None


def _alt_text(self: Any, tokens: list[Any], index: int, options: Any, env: Any) -> str:
    return escapeHtml(tokens[index].content)  # an image that reaches rendering shows its alt text


def _text(self: Any, tokens: list[Any], index: int, options: Any, env: Any) -> str:
    return str(breakable(tokens[index].content))


def _code_inline(self: Any, tokens: list[Any], index: int, options: Any, env: Any) -> str:
    return f"<code>{breakable(tokens[index].content)}</code>"


def _code_block(self: Any, tokens: list[Any], index: int, options: Any, env: Any) -> str:
    return f"<pre><code>{breakable(tokens[index].content)}</code></pre>\n"


def _fenced_code(content: str, language: str, attributes: str) -> str:
    return str(breakable(content))  # markdown-it puts it in <pre><code>


def _commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


@cache
def parser() -> MarkdownIt:
    """Return the CommonMark parser: raw HTML shown as text, links kept only to web addresses."""
    md = _commonmark()
    md.validateLink = is_web_address  # type: ignore[method-assign]
    md.add_render_rule("image", _alt_text)
    # Text gets the break opportunities every printed field gets (report/render/breaks.py).
    md.add_render_rule("text", _text)
    md.add_render_rule("code_inline", _code_inline)
    md.add_render_rule("code_block", _code_block)
    md.options["highlight"] = _fenced_code
    return md


@cache
def _finder() -> MarkdownIt:
    """Return a parser that takes every target as a link, to find images whatever they load."""
    md = _commonmark()
    md.validateLink = lambda url: True  # type: ignore[method-assign]
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
    found = []
    for block in _finder().parse(text):
        for token in block.children or ():
            if token.type == "image":
                found.append(Image(token.content, str(token.attrs.get("src", ""))))
    return found
