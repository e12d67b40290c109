"""What every output is made from, declared once per kind of output, and its key.

Each kind of output (a report's PDF, its HTML, the volume, a part of the volume's front
matter, the measured contents lines, a report's objects placed in the volume) is a frozen
dataclass of the inputs that make it. Its key is computed in one place, Inputs.key: the
hash of every declared field and of the builder itself. The builder counts as a whole:
every file of the package as it is installed (modules, templates, the stylesheets and the
fonts, by content) and the versions of the engine's packages; so no list of modules
can fall behind the code, and a changed font rebuilds every report even at the same size.
"""

from __future__ import annotations

import dataclasses
import hashlib
import platform
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

import report
from report.resources import styles_dir

# The packages whose versions shape the bytes of an output, besides the builder's own files.
ENGINE_PACKAGES = (
    "weasyprint",
    "pydyf",
    "pikepdf",
    "fonttools",
    "jinja2",
    "markdown-it-py",
    "pagefind-bin",  # the web edition's search index
)
# Bump when the meaning of a key changes without any file of the package changing.
KEY_FORMAT = "1"


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of data."""
    return hashlib.sha256(data).hexdigest()


def package_files() -> list[tuple[str, Path]]:
    """Return every file of the installed builder, by a name relative to it, in order.

    The package folder holds the modules and templates; the stylesheets and fonts are the
    package data report.styles, which an editable install keeps in the checkout's styles/.
    """
    package = Path(report.__file__).resolve().parent
    styles = styles_dir().resolve()
    roots = [("report", package)]
    if not styles.is_relative_to(package):
        roots.append(("report/styles", styles))
    files = [
        (f"{name}/{path.relative_to(root).as_posix()}", path)
        for name, root in roots
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]
    return sorted(files)


@cache
def builder_fingerprint() -> str:
    """Hash the builder as installed: every file of the package by content, and the engine."""
    digest = hashlib.sha256(f"key format {KEY_FORMAT}\n".encode())
    digest.update(f"python {platform.python_version()}\n".encode())
    for name in ENGINE_PACKAGES:
        digest.update(f"{name} {metadata.version(name)}\n".encode())
    for name, path in package_files():
        digest.update(f"{name} {sha256(path.read_bytes())}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Inputs:
    """The inputs of one output; subclasses declare them as fields."""

    def key(self) -> str:
        """Return the output's key: the hash of the builder, the kind and every input."""
        digest = hashlib.sha256(f"{builder_fingerprint()}\n{type(self).__name__}\n".encode())
        for item in dataclasses.fields(self):
            digest.update(f"{item.name}={getattr(self, item.name)!r}\n".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class ReportPdf(Inputs):
    """A report's PDF: its source, the publication, the indices, PDF variant, release stamp."""

    source: str  # SHA-256 of codes/CODE.yaml
    publication: str  # SHA-256 of publication.yaml (its effective date sets the clock)
    indices: str  # PublicationFile.indices_key(): gpci/*.yaml, Medicare payments by locality
    variant: str
    release: str  # Release.key() in a release; empty in a build


@dataclass(frozen=True)
class ReportHtml(Inputs):
    """A report's HTML file: its source, the publication, the indices and a release's stamp."""

    source: str
    publication: str
    indices: str  # PublicationFile.indices_key()
    release: str


@dataclass(frozen=True)
class SitePage(Inputs):
    """A report's page of the web edition: its source, the publication, release, volume."""

    source: str
    publication: str
    release: str
    volume: str  # the path of the volume that holds it, which the page links to


@dataclass(frozen=True)
class SiteWhole(Inputs):
    """The web edition's shared files: index, search index, styles, fonts, release pages.

    Made from every page of the site (their keys) and every PDF it offers.
    """

    publication: str
    release: str
    pages: tuple[tuple[str, str], ...]  # (path, key) of each code page, in code order
    pdfs: tuple[str, ...]  # the site's PDF copies, by path


@dataclass(frozen=True)
class Volume(Inputs):
    """A volume: the publication, its definition, variant, release, and each report's PDF.

    The definition is empty for volume.pdf of all reports, else the title, file and codes
    publication.yaml gives the volume: editing one volume rebuilds that volume alone.
    """

    publication: str  # the publication as reports print it: without its volumes
    definition: str
    variant: str
    release: str
    reports: tuple[tuple[str, str], ...]  # (code, ReportPdf key), in volume order


@dataclass(frozen=True)
class FrontPart(Inputs):
    """One rendered part of the volume's front matter: its HTML and how it is written."""

    html: str  # SHA-256 of the HTML
    variant: str
    epoch: int
    stamp: str  # Stamp.digest(), or empty


@dataclass(frozen=True)
class ContentsLines(Inputs):
    """The measured heights of the contents lines, laid out in one contents document."""

    shell: str  # SHA-256 of the contents page's HTML without lines


@dataclass(frozen=True)
class PlacedPart(Inputs):
    """A report's (or part's) objects as placed in the volume: its PDF and its place."""

    pdf: str  # SHA-256 of the part's PDF
    spec: str  # repr of what it is in the volume (code, heading, pages, kind)
    place: str  # repr of its place (object numbers, keys, parent)


@dataclass(frozen=True)
class PartFacts(Inputs):
    """What analysing a part's PDF found (its objects' sizes, keys, pages)."""

    pdf: str  # SHA-256 of the part's PDF
    pages: int
