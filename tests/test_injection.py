"""HTML, Jinja syntax and CSS in any source field is shown as text, in every kind of field."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, get_args, get_origin

import pypdf
import pytest
from conftest import HostileBuild
from hostile_sources import (
    ADDRESS,
    CODE_FIELDS,
    MARKDOWN,
    MODIFIER,
    NOT_PRINTED,
    PUBLICATION_FIELDS,
    limit,
    shown_text,
)
from pydantic import BaseModel

from report.sources.models import CodeSource, Publication


def compact(text: str) -> str:
    """Drop all whitespace, so that text wrapped across lines (even at a "/") compares."""
    return re.sub(r"\s+", "", text)


def pdf_text(path: Any) -> str:
    """Return a PDF's text, all pages, without whitespace."""
    return compact(" ".join(page.extract_text() for page in pypdf.PdfReader(path).pages))


def text_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Return the dotted paths (list indexes left out) of every text field of a model."""
    found: set[tuple[str, ...]] = set()
    for name, info in model.model_fields.items():
        stack = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found |= text_fields(annotation, (*prefix, name))
            elif annotation is str:
                found.add((*prefix, name))
            elif get_origin(annotation) is dict:
                stack.append(get_args(annotation)[1])  # keys are payer ids
            else:
                stack.extend(get_args(annotation))
    return found


def field_names(fields: dict) -> set[tuple[str, ...]]:
    """Return the paths of fields with list indexes and payer ids left out."""
    return {
        tuple(step for step in path if isinstance(step, str) and step != "aetna") for path in fields
    }


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def build(hostile_build: HostileBuild) -> HostileBuild:
    """Return the hostile build, checked to have succeeded."""
    assert hostile_build.result.code == 0, hostile_build.result.stderr
    assert "Traceback" not in hostile_build.result.stderr
    return hostile_build


class TestEveryFieldKindIsCovered:
    """The hostile sources put a payload in every text field of the format but codes and ids."""

    def test_code_fields(self) -> None:
        constrained = {("code",), ("related_codes", "code"), ("indicators", "pc_tc")}
        assert field_names(CODE_FIELDS) == text_fields(CodeSource) - constrained

    def test_publication_fields(self) -> None:
        constrained = {("language",), ("payers", "id"), ("releases",)}  # releases: a folder
        # A defined volume is written as a file of its own (tests/test_volumes_*.py).
        constrained |= {("volumes", "title"), ("volumes", "file"), ("volumes", "codes")}
        # A locality entry must name a locality of the indices (invalid/pub-locality-unknown).
        constrained |= {("localities",)}
        assert field_names(PUBLICATION_FIELDS) == text_fields(Publication) - constrained


class TestShownAsText:
    """Every payload reaches the PDF as the characters the author typed."""

    def test_every_field_prints_its_payload_verbatim(self, build: HostileBuild) -> None:
        text = pdf_text(build.out / "74440.pdf") + " " + pdf_text(build.out / "volume.pdf")
        fields = {
            **{
                ("publication", *p): n
                for p, n in build.sources.publication.items()
                if p not in NOT_PRINTED
            },
            **{("code", *p): n for p, n in build.sources.code.items()},
        }
        kinds = {
            **{("publication", *p): k for p, k in PUBLICATION_FIELDS.items()},
            **{("code", *p): k for p, k in CODE_FIELDS.items()},
        }
        missing = []
        for path, n in fields.items():
            if kinds[path] in (ADDRESS, MODIFIER):
                continue
            missing += [
                f"{path}: {piece}"
                for piece in shown_text(n, limit(path[0], path[1:]))
                if compact(piece) not in text
            ]
        assert not missing, missing
        assert "<b" in text  # the two-character modifier

    def test_title_metadata_is_the_text(self, build: HostileBuild) -> None:
        n = build.sources.code[("title",)]
        title = pypdf.PdfReader(build.out / "74440.pdf").metadata.title
        assert title.startswith(f"CPT 74440: F{n} <b>B{n}</b> <script>S{n}</script>")


@pytest.fixture(scope="module")
def tags(build: HostileBuild) -> list[tuple[str, dict[str, str | None]]]:
    """Return the start tags of the hostile report's HTML, with their attributes."""
    parser = _Tags()
    parser.feed((build.out / "html" / "74440.html").read_text(encoding="utf-8"))
    return parser.tags


@pytest.fixture(scope="module")
def uris(build: HostileBuild) -> list[str]:
    """Return the target of every link annotation in the hostile report's PDF."""
    found = []
    for page in pypdf.PdfReader(build.out / "74440.pdf").pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                found.append(str(action["/URI"]))
    return found


class TestHtmlHasNoInjectedMarkup:
    """The HTML each PDF is rendered from holds only the templates' elements."""

    def test_no_foreign_elements(self, tags) -> None:
        names = {name for name, _ in tags}
        assert not names & {"script", "b", "img", "link", "iframe", "object", "embed", "div"}
        assert [name for name, _ in tags].count("style") == 2  # the stylesheet, the page size

    def test_no_style_attributes(self, tags) -> None:
        assert [attrs for _, attrs in tags if "style" in attrs] == []

    def test_links_only_to_web_addresses_and_anchors(self, tags, build: HostileBuild) -> None:
        hrefs = [attrs["href"] or "" for name, attrs in tags if name == "a"]
        assert hrefs
        for href in hrefs:
            assert re.match(r"(#|https?://127\.0\.0\.1:\d+/|mailto:a\d+@example\.org$)", href), href
        assert not any("javascript" in href or "file:" in href for href in hrefs)

    def test_address_fields_stay_inside_their_attribute(self, tags, build: HostileBuild) -> None:
        hrefs = {attrs["href"] for name, attrs in tags if name == "a"}
        for path, n in build.sources.code.items():
            if CODE_FIELDS[path] == ADDRESS:
                assert f'{build.sources.server}/address{n}?a=1&b="><script>S{n}</script>' in hrefs


class TestMarkdownLinks:
    """Markdown links keep web and mail targets as links; any other target stays text."""

    def test_web_and_mail_links_are_links(self, uris: list[str], build: HostileBuild) -> None:
        server = build.sources.server
        for path, n in build.sources.code.items():
            if CODE_FIELDS[path] == MARKDOWN:
                assert f"{server}/md{n}" in uris
                assert f"{server}/auto{n}" in uris
                assert f"mailto:a{n}@example.org" in uris

    def test_other_targets_are_text(self, uris: list[str], build: HostileBuild) -> None:
        assert not [uri for uri in uris if not uri.startswith(("http://", "mailto:"))]
        text = pdf_text(build.out / "74440.pdf")
        for path, n in build.sources.code.items():
            if CODE_FIELDS[path] == MARKDOWN:
                assert f"[js{n}](javascript:alert({n}))" in text
                assert f"[file{n}](file:///etc/passwd)" in text
                assert f"[rel{n}](page{n}.html)" in text
                assert f"[ftp{n}](ftp://x/{n})" in text
                assert f"<{build.sources.server}/auto{n}>" not in text  # the autolink is a link
