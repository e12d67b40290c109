"""Render the web edition's pages: each code's page, the index of codes, What changed.

Every page is a static file that links by relative addresses only (a file share serves
it as well as a web server), carries a Content-Security-Policy that lets nothing but the
site's own files load, and runs no script but the site's search (styles/site.js).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from report.assemble import PublicationInfo, ReportModel
from report.markdown import parser as markdown_parser
from report.render.html import environment, report_context
from report.render.web import web_css
from report.resources import styles_dir
from report.sources.models import CodeSource

# No inline script or style; WebAssembly for the search index (Pagefind's), fonts and
# the index's fragments from the site itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SUMMARY_CHARS = 160  # an index line's summary at most, cut at a word


@dataclass(frozen=True)
class CodeCard:
    """One code as the index lists it: code, system, title and a one-line summary."""

    code: str
    system: str
    title: str
    summary: str

    @classmethod
    def of(cls, model: CodeSource) -> CodeCard:
        """Return the index line of a code source."""
        return cls(model.code, model.system, model.title, one_line(model.summary or ""))


@dataclass(frozen=True)
class SitePage:
    """What the site's frame needs: the page's title, where the site's root is, its kind."""

    kind: Literal["code", "index", "changes"]
    title: str
    root: str  # the relative address of the site's root from the page: "" or "../"
    publication: PublicationInfo
    description: str
    code: str | None = None
    volume: str | None = None  # the volume's file name in pdf/, which holds the code
    live: str | None = None  # in the preview: the reload events' address the page follows

    @property
    def csp(self) -> str:
        """Return the page's Content-Security-Policy."""
        return CONTENT_SECURITY_POLICY

    @property
    def version(self) -> str | None:
        """Return the release's version, if the site is a release's."""
        release = self.publication.release
        return release.version if release is not None else None


@dataclass(frozen=True)
class FeedEntry:
    """One release in the Atom feed: its version, date, what it changed, and its id."""

    version: str
    date: dt.date
    summary: str
    id: str  # a UUID made from the publication and the version: the same in every rebuild
    current: bool  # the release the feed is part of


def one_line(markdown: str) -> str:
    """Return the first sentence of a Markdown text as plain text, cut at a word if long."""
    md = markdown_parser()
    words: list[str] = []
    for token in md.parse(markdown):
        if token.type == "inline":
            words += [
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or []
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            ]
            break
    text = " ".join("".join(words).split())
    end = next(
        (i + 1 for i, c in enumerate(text) if c in ".!?" and text[i + 1 : i + 2] in (" ", "")), 0
    )
    if end:
        text = text[:end]
    if len(text) > SUMMARY_CHARS:
        text = text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def site_css() -> str:
    """Return the site's one stylesheet: the report's, the screen's and the site's own."""
    own = (styles_dir() / "site.css").read_text(encoding="utf-8")
    return f"{web_css('fonts/')}\n{own}"


def code_page(report: ReportModel, volume: str | None, live: str | None = None) -> str:
    """Render a code's page: its report, as its PDF has it, in the site's frame.

    live: in the preview, the reload events' address the page follows.
    """
    pub = report.publication
    page = SitePage(
        "code",
        report.heading,
        "../",
        pub,
        f"{report.heading}. {pub.title}, edition {pub.edition}",
        code=report.code,
        volume=volume,
        live=live,
    )
    template = environment().get_template("site-code.html.j2")
    return template.render(doc=report_context(report), page=page)


def index_page(
    publication: PublicationInfo,
    cards: list[CodeCard],
    pdfs: list[tuple[str, str]],
    live: str | None = None,
) -> str:
    """Render the index: every code with its system, title and summary, and the search.

    pdfs are the volumes the site offers: (file name in pdf/, what it is); live, in the
    preview, the reload events' address the page follows.
    """
    page = SitePage(
        "index",
        publication.title,
        "",
        publication,
        f"{publication.title}, edition {publication.edition}: every code, searchable",
        live=live,
    )
    template = environment().get_template("site-index.html.j2")
    return template.render(page=page, cards=cards, pdfs=pdfs)


def changes_page(publication: PublicationInfo, changes: str) -> str:
    """Render the release's What changed page from its CHANGES.md."""
    version = publication.release.version if publication.release else ""
    page = SitePage(
        "changes",
        f"What changed in release {version}",
        "",
        publication,
        f"{publication.title}: what changed in release {version}",
    )
    template = environment().get_template("site-changes.html.j2")
    return template.render(page=page, changes=changes)


def feed_xml(publication: PublicationInfo, entries: list[FeedEntry]) -> str:
    """Render the Atom feed of the releases: one entry each, the newest first."""
    name = f"{publication.title}\n{publication.publisher}\nreleases"
    return (
        environment()
        .get_template("feed.xml.j2")
        .render(
            publication=publication,
            entries=entries,
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            updated=entries[0].date if entries else publication.effective_date,
        )
    )
