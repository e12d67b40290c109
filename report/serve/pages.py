"""The preview's pages, rendered with the report templates and autoescaping Jinja."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from markupsafe import Markup

from report.assemble import assemble
from report.render import PdfSettings, epoch_of
from report.render.html import environment, report_context, report_html
from report.serve.site import Snapshot
from report.sources.models import CodeSource

# The reload script every page carries. It is the only script, and always the same text,
# so the Content-Security-Policy allows it by hash; what it listens to is in its data-events.
LIVE_SCRIPT = Markup(
    "(() => {"
    " const events = new EventSource(document.currentScript.dataset.events);"
    " const status = () => document.querySelector('[data-connection]');"
    " events.onopen = () => { document.documentElement.dataset.live = 'on'; };"
    " events.onerror = () => { document.documentElement.dataset.live = 'off';"
    " if (status()) status().textContent = 'Disconnected: is serve running?'; };"
    " events.addEventListener('reload', () => { events.close(); location.reload(); });"
    " })();"
)
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(LIVE_SCRIPT.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src '{SCRIPT_HASH}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@dataclass(frozen=True)
class IndexRow:
    """One report in the index: its code, heading (None while it has errors) and links."""

    code: str
    heading: str | None
    html: str
    pdf: str
    errors: int


@dataclass(frozen=True)
class Page:
    """What the preview's own templates show besides a report: bar, body and reload."""

    kind: Literal["report", "index", "errors", "missing", "failed"]
    title: str
    events: str | None  # the reload script's events URL; None: the page does not reload
    lang: str = "en"
    code: str | None = None
    rows: tuple[IndexRow, ...] = ()
    findings: tuple[str, ...] = ()
    message: str = ""
    script: Markup = LIVE_SCRIPT

    @property
    def pdf_url(self) -> str:
        """Return the address of this page's report PDF."""
        return f"/{quote(self.code or '')}.pdf"


def events_url(page: str, version: str) -> str:
    """Return the events address a page listens to: its name ("" the index) and version."""
    return "/events?" + urlencode({"page": page, "version": version})


def index_page(snapshot: Snapshot, version: str) -> str:
    """Render the index: every report with its links, and every error of the sources."""
    rows = tuple(
        IndexRow(
            stem,
            _heading(state.source.model) if state.source else None,
            f"/{quote(stem)}.html",
            f"/{quote(stem)}.pdf",
            len(state.errors),
        )
        for stem, state in snapshot.codes.items()
    )
    pub = snapshot.publication
    title = f"{pub.model.title}: preview" if pub else "Reports: preview"
    return _render_page(
        Page(
            "index",
            title,
            events_url("", version),
            pub.model.language if pub else "en",
            rows=rows,
            findings=tuple(str(f) for f in snapshot.errors),
        )
    )


def report_page(snapshot: Snapshot, stem: str, version: str) -> str:
    """Render a report for the screen, or the errors that keep it from being built."""
    state = snapshot.codes[stem]
    events = events_url(stem, version)
    if snapshot.publication is None or state.source is None:
        findings = tuple(str(f) for f in sorted(snapshot.publication_errors + state.errors))
        count = len(findings)
        return _render_page(
            Page(
                "errors",
                f"{stem}: {count} error{'s' * (count != 1)}",
                events,
                code=stem,
                findings=findings,
            )
        )
    report = assemble(state.source, snapshot.publication)
    page = Page("report", report.heading, events, code=stem)
    return (
        environment().get_template("preview.html.j2").render(doc=report_context(report), page=page)
    )


def pdf_input(snapshot: Snapshot, stem: str) -> tuple[str, PdfSettings] | None:
    """Return the HTML a report's PDF is rendered from and how it is written (None: errors)."""
    state = snapshot.codes[stem]
    if snapshot.publication is None or state.source is None:
        return None
    report = assemble(state.source, snapshot.publication)
    settings = PdfSettings(
        epoch=epoch_of(snapshot.publication.model.effective_date), code=report.code
    )
    return report_html(report), settings


def missing_page(path: str, events: str | None) -> str:
    """Render the page for an address that names nothing (it reloads if the code appears)."""
    return _render_page(
        Page("missing", "Not found", events, message=f"Nothing is served at {path}.")
    )


def failed_page(stem: str, message: str, events: str | None) -> str:
    """Render the page for a report whose PDF could not be rendered."""
    return _render_page(
        Page("failed", f"{stem}.pdf could not be rendered", events, code=stem, message=message)
    )


def _heading(model: CodeSource) -> str:
    return f"{model.system} {model.code}: {model.title}"


def _render_page(page: Page) -> str:
    return environment().get_template("preview-page.html.j2").render(page=page)
