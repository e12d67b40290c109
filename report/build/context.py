"""What a build is asked for, and what the publication fixes for everything it makes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from report.assemble import PublicationInfo, publication_info
from report.build.quick import makes_pdf
from report.errors import Finding, UsageError
from report.inputs import sha256
from report.outputs import OutputFile
from report.render import PDF_VARIANTS, PdfSettings, epoch_of
from report.sources import PublicationFile
from report.stamp import Release, stamp_of
from report.workers import DEFAULT_TIMEOUT

FORMATS = ("pdf", "html", "site")

Pause = Callable[[str], None]  # told the name of each point the build passes


def no_pause(point: str) -> None:
    """Go on at every point: a build that no test holds."""


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how: the codes (all when none), formats, PDF variant, workers."""

    codes: Sequence[str] = ()
    formats: Sequence[str] = ("pdf",)
    variant: str = PDF_VARIANTS[0]
    jobs: int | None = None
    force: bool = False
    timeout: float = DEFAULT_TIMEOUT
    scheduler: str | None = None
    release: Release | None = None  # a versioned release: version, history, embedded sources
    pause: Pause = no_pause  # the points a test may hold the build at (report/cli.py)

    @property
    def makes_pdf(self) -> bool:
        """Return whether the build has PDFs: asked for, or the web edition's to link to."""
        return makes_pdf(self.formats)

    def check(self) -> None:
        """Raise UsageError for a format or PDF variant the builder does not know."""
        bad = [f for f in self.formats if f not in FORMATS]
        if bad or not self.formats:
            raise UsageError(
                f"unknown format {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}"
            )
        if self.variant not in PDF_VARIANTS:
            raise UsageError(
                f"unknown PDF variant {self.variant}; choose from {', '.join(PDF_VARIANTS)}"
            )


@dataclass(frozen=True)
class BuildContext:
    """One build's options and what its publication fixes.

    That is the effective date (the clock every PDF is written at), the edition, and, in
    a release, its stamp.
    """

    options: BuildOptions
    publication: PublicationFile
    publication_sha: str  # of the publication as reports print it: without its volumes
    info: PublicationInfo  # what reports and covers print of the publication
    indices_sha: str  # of the indices (gpci/*.yaml) every report's payments by locality use

    @classmethod
    def of(cls, options: BuildOptions, publication: PublicationFile) -> BuildContext:
        """Return the context of a build of publication with options."""
        return cls(
            options,
            publication,
            sha256(publication.model.model_dump_json(exclude={"volumes"}).encode()),
            publication_info(publication, options.release),
            publication.indices_key(),
        )

    @property
    def effective_date(self) -> dt.date:
        """Return the publication's effective date."""
        return self.publication.model.effective_date

    @property
    def release_key(self) -> str:
        """Return what identifies the release's stamp; empty outside a release."""
        release = self.options.release
        return release.key() if release is not None else ""

    def settings(self, code: str | None) -> PdfSettings:
        """Return how to write a report's PDF (code), or the volume's (None)."""
        release = self.options.release
        date = self.effective_date.isoformat()
        return PdfSettings(
            self.options.variant,
            epoch_of(self.effective_date),
            stamp_of(release, code, date) if release is not None else None,
            code,
        )


@dataclass
class BuildResult:
    """What a build found, rendered and kept."""

    errors: list[Finding] = field(default_factory=list)
    files: list[OutputFile] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    up_to_date: int = 0
    volume_built: bool = False
    written: list[str] = field(default_factory=list)  # pages and copies: not rendered PDFs
    render_seconds: float = 0.0
    volume_seconds: float = 0.0
