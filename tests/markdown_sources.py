"""Hypothesis strategies for valid code sources whose Markdown fields hold every construct.

Every Markdown field of a code (summary, description, vignette, each coding consideration,
each payer's coverage) gets a generated CommonMark document: paragraphs with emphasis,
code spans and links, tight and loose lists nested up to three levels, block quotes,
headings, code blocks and rules; references and payer policies get titles and web
addresses. The text is drawn from characters the bundled fonts print and kept within the
limits `check` sets, so every source drawn is valid and builds.
"""

from __future__ import annotations

from typing import Any

import yaml
from conftest import SAMPLE_SOURCES
from hypothesis import strategies as st

CODE_TEXT = (SAMPLE_SOURCES / "codes" / "74440.yaml").read_bytes()
PAYERS = ["aetna", "bcbs", "cigna", "unitedhealthcare"]
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüßñçøÆΩжł"

WORDS = st.text(alphabet=LETTERS, min_size=1, max_size=12)
URLS = st.builds(
    lambda path: f"https://example.org/{path}", st.text(alphabet="abc123-", max_size=8)
)


@st.composite
def inline(draw: st.DrawFn) -> str:
    """Return a line of Markdown text: words, emphasis, code spans, links, autolinks."""
    pieces = draw(
        st.lists(
            st.one_of(
                WORDS,
                WORDS.map(lambda w: f"*{w}*"),
                WORDS.map(lambda w: f"**{w}**"),
                WORDS.map(lambda w: f"`{w}`"),
                st.builds(lambda w, u: f"[{w}]({u})", WORDS, URLS),
                st.builds(lambda w, u: f"[*{w}* `{w}`]({u})", WORDS, URLS),
                URLS.map(lambda u: f"<{u}>"),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return " ".join(pieces)


def _indent(text: str, prefix: str, first: str) -> str:
    """Return text with first before its first line and prefix before the others."""
    lines = text.split("\n")
    return "\n".join([first + lines[0], *(prefix + line if line else "" for line in lines[1:])])


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> str:
    """Return one Markdown block; lists and quotes nest at most three levels."""
    kinds = ["paragraph", "heading", "code", "rule"]
    if depth < 3:
        kinds += ["bullets", "numbers", "quote"]
    kind = draw(st.sampled_from(kinds))
    if kind == "paragraph":
        return draw(inline())
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + " " + draw(inline())
    if kind == "code":
        return "```\n" + draw(WORDS) + "\n```"
    if kind == "rule":
        return "---"
    if kind == "quote":
        return _indent(draw(document(depth + 1)), "> ", "> ")
    loose = draw(st.booleans())
    items = draw(st.lists(document(depth + 1, 2), min_size=1, max_size=3))
    marker = [f"{n}." for n in range(1, len(items) + 1)] if kind == "numbers" else ["-"] * 3
    written = [
        _indent(item, " " * (len(m) + 1), m + " ") for m, item in zip(marker, items, strict=False)
    ]
    return ("\n\n" if loose else "\n").join(written)


@st.composite
def document(draw: st.DrawFn, depth: int = 0, most: int = 3) -> str:
    """Return a Markdown document of up to most blocks."""
    return "\n\n".join(draw(st.lists(block(depth), min_size=1, max_size=most)))


@st.composite
def markdown_code(draw: st.DrawFn) -> bytes:
    """Return the sample 74440 source (YAML) with every Markdown field generated."""
    data: dict[str, Any] = yaml.safe_load(CODE_TEXT)
    data["summary"] = draw(document())
    data["overview"]["description"] = draw(document())
    data["clinical_context"]["vignette"] = draw(document())
    data["coding_considerations"] = draw(st.lists(document(), min_size=1, max_size=3))
    data["payers"] = {
        payer: {
            "coverage": draw(document(most=2)),
            "policies": [{"title": draw(WORDS), "url": draw(URLS)}],
        }
        for payer in draw(st.lists(st.sampled_from(PAYERS), min_size=1, max_size=2, unique=True))
    }
    data["references"] = [
        {"title": draw(inline()), "url": draw(URLS)} for _ in range(draw(st.integers(1, 3)))
    ]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
