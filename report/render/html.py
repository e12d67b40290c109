"""Render report models to self-contained HTML through Jinja2 templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Literal, TypeVar

import jinja2
from markupsafe import Markup

from report import __version__
from report.assemble import NOT_AVAILABLE, NOT_IN_EDITION, PublicationInfo, ReportModel
from report.breaks import breakable
from report.figures import BenchmarkGroup
from report.markdown import nest_headings
from report.markdown import parser as markdown_parser
from report.render.chart import layout as chart_layout
from report.render.web import web_css
from report.sources.models import Benchmark
from report.stamp import Release


@dataclass(frozen=True)
class DocumentContext:
    """Everything a template may use: one report, or the whole volume."""

    kind: Literal["report", "volume"]
    title: str
    description: str
    lang: str
    keywords: tuple[str, ...]
    date: str
    generator: str
    publication: PublicationInfo
    reports: tuple[ReportModel, ...]
    css: str
    release: Release | None = None


def render_markdown(text: str, under: int = 2) -> Markup:
    """Render CommonMark to HTML; raw HTML is shown as text, links only to web addresses.

    under is the level of the heading the text sits under (the template's <h2> of its
    section, by default): the text's own headings go below it (report/markdown.py).
    """
    md = markdown_parser()
    tokens = nest_headings(md.parse(text), under)
    return Markup(md.renderer.render(tokens, md.options, {}))


def format_figure(benchmark: Benchmark) -> str:
    """Format a benchmark value: at least two decimals, more only when the source has them."""
    value = benchmark.value
    text = f"{value:.2f}" if round(value, 2) == value else f"{value:f}".rstrip("0")
    return f"${text}" if benchmark.unit == "USD" else text


NARROW_FIGURES = 10  # characters a figure's column holds on one line; wider ones widen it


def wide_figures(groups: tuple[BenchmarkGroup, ...]) -> bool:
    """Return whether a report's longest figure needs the wider figure column."""
    return any(
        len(format_figure(row.figure)) > NARROW_FIGURES for group in groups for row in group.rows
    )


T = TypeVar("T")


def groupby_ordered(items: list[T], attribute: str) -> list[tuple[object, list[T]]]:
    """Group items by an attribute, keeping the order in which groups first appear."""
    groups: dict[object, list[T]] = {}
    for item in items:
        groups.setdefault(getattr(item, attribute), []).append(item)
    return list(groups.items())


def long_date(value: dt.date) -> str:
    """Format a date for print, e.g. November 1, 2026."""
    return f"{value:%B} {value.day}, {value.year}"


@cache
def environment() -> jinja2.Environment:
    """Return the Jinja2 environment: package templates, autoescaping, strict undefined."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        markdown=render_markdown,
        figure=format_figure,
        long_date=long_date,
        chart_layout=chart_layout,
        groupby_ordered=groupby_ordered,
        css_string=css_string,
        breakable=breakable,
        wide_figures=wide_figures,
    )
    env.globals["NOT_AVAILABLE"] = NOT_AVAILABLE
    env.globals["NOT_IN_EDITION"] = NOT_IN_EDITION
    return env


def _context(
    kind: Literal["report", "volume"],
    title: str,
    description: str,
    publication: PublicationInfo,
    reports: tuple[ReportModel, ...],
    keywords: tuple[str, ...],
    inline_styles: bool = False,
) -> DocumentContext:
    release = publication.release
    if release is not None:
        description += f", release {release.version}"
    return DocumentContext(
        kind=kind,
        title=title,
        description=description,
        lang=publication.language,
        keywords=keywords,
        date=publication.effective_date.isoformat(),
        generator=f"report {__version__}",
        publication=publication,
        reports=reports,
        css=web_css() if inline_styles else "",
        release=release,
    )


def report_context(report: ReportModel, inline_styles: bool = False) -> DocumentContext:
    """Return the template context of one code report (with its CSS when inline_styles)."""
    pub = report.publication
    return _context(
        "report",
        report.heading,
        f"{pub.title}, edition {pub.edition}",
        pub,
        (report,),
        (
            report.code,
            f"{report.system} {report.code}",
            report.system,
            pub.title,
            f"edition {pub.edition}",
        ),
        inline_styles,
    )


def report_html(report: ReportModel, inline_styles: bool = False) -> str:
    """Render one code report as HTML; with inline_styles, self-contained with its CSS.

    Without inline styles the renderer applies the same stylesheet, parsed once per process.
    """
    context = report_context(report, inline_styles)
    return environment().get_template("report.html.j2").render(doc=context)


@dataclass(frozen=True)
class ContentsLine:
    """One line of the volume's contents: a report's code, heading and the folio it cites.

    The folio is that of the report's first page (`74440-1`), printed on that page and
    its page label.
    """

    code: str
    heading: str
    folio: str


@dataclass(frozen=True)
class FrontPart:
    """One separately rendered piece of the volume's front matter, and its page numbers.

    "opening" is the cover and the notices; "contents" one page of the contents (the
    first page carries the heading). first_page and total_pages number its pages in the
    front matter: `Page N of F`.
    """

    part: Literal["opening", "contents"]
    first_page: int
    total_pages: int
    lines: tuple[ContentsLine, ...] = ()
    opens_contents: bool = False
    report_count: int = 0


def css_string(value: str) -> Markup:
    """Quote text as a CSS string, escaping anything that could end it or the style element."""
    escaped = "".join(
        f"\\{ord(c):x} " if c in '"\\<>&' or not c.isprintable() else c for c in value
    )
    return Markup(f'"{escaped}"')


def front_html(publication: PublicationInfo, front: FrontPart) -> str:
    """Render one part of the volume's front matter as HTML (without inline styles).

    Each contents line links to `#report-CODE`, an anchor on the line itself that
    report/volume re-points to the report's first page once merged.
    """
    subtitle = publication.subtitle or "Combined volume"
    context = _context(
        "volume",
        publication.volume_title,
        f"{subtitle}, edition {publication.edition}",
        publication,
        (),
        (
            *(line.code for line in front.lines),
            publication.title,
            f"edition {publication.edition}",
        ),
    )
    return environment().get_template("front.html.j2").render(doc=context, front=front)
