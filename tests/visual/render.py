"""Render the sample reports' pages to small PNGs and compare them with the references.

Used by tests/test_visual.py, and run as a script by `make visual-refs`:

    python tests/visual/render.py            # build sources/ to a temp folder, rewrite references
    python tests/visual/render.py --pdfs DIR # render already built PDFs in DIR instead

The references are tests/visual/<pdf-stem>-<page>.png: every page of each report and
the first pages of the volume, rendered with PDFium (pypdfium2) at 50 dpi in 8-bit
grayscale. PDFium draws the fonts embedded in the PDF, so a render depends only on the
PDF and the PDFium build, never on the machine's fonts.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# PDF stem -> how many of its first pages to render (None: all of them).
DOCUMENTS: dict[str, int | None] = {"74440": None, "55300": None, "volume": 3}
DPI = 50

# Tolerance. A pixel counts as changed when its gray level moved by more than
# PIXEL_THRESHOLD (of 255): anti-aliasing differences between PDFium builds stay well
# below it, while ink appearing or disappearing (a glyph, a rule, a table border) moves
# pixels by 100 to 255. A page differs when more than MAX_CHANGED_PIXELS pixels changed:
# a single glyph swapped for another changes about 10 to 20 such pixels at 50 dpi, a
# word or a moved block hundreds to thousands; renders of one PDF change none.
PIXEL_THRESHOLD = 64
MAX_CHANGED_PIXELS = 8


def reference_path(stem: str, page: int, folder: Path = HERE) -> Path:
    """Return the reference PNG of page PAGE (1-based) of STEM.pdf."""
    return folder / f"{stem}-{page}.png"


def references(stem: str, folder: Path = HERE) -> list[Path]:
    """Return STEM's reference PNGs in page order."""
    found = []
    for path in folder.glob(f"{stem}-*.png"):
        number = path.stem.removeprefix(f"{stem}-")
        if number.isdigit():
            found.append((int(number), path))
    return [path for _, path in sorted(found)]


def render_pdf(pdf: Path, pages: int | None = None) -> list[Image.Image]:
    """Render the first PAGES pages of PDF (all when None) as 8-bit grayscale images."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        count = len(document) if pages is None else min(pages, len(document))
        images = []
        for index in range(count):
            page = document[index]
            try:
                bitmap = page.render(scale=DPI / 72, grayscale=True)
                images.append(bitmap.to_pil().convert("L"))
            finally:
                page.close()
        return images
    finally:
        document.close()


def render_build(folder: Path) -> dict[str, list[Image.Image]]:
    """Render the pages of every document of DOCUMENTS found in the build FOLDER."""
    return {stem: render_pdf(folder / f"{stem}.pdf", pages) for stem, pages in DOCUMENTS.items()}


def png_bytes(image: Image.Image) -> bytes:
    """Encode IMAGE as PNG; the same pixels always give the same bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def load(path: Path) -> Image.Image:
    """Load a reference PNG as 8-bit grayscale."""
    with Image.open(path) as image:
        return image.convert("L")


@dataclass(frozen=True)
class Comparison:
    """How a rendered page compares with its reference."""

    size_expected: tuple[int, int]
    size_actual: tuple[int, int]
    changed: int  # pixels whose gray level moved by more than PIXEL_THRESHOLD
    largest: int  # largest change of any pixel, 0..255
    box: tuple[int, int, int, int] | None  # bounding box of the changed pixels

    @property
    def equal(self) -> bool:
        """True when the page counts as unchanged under the tolerance."""
        return self.size_expected == self.size_actual and self.changed <= MAX_CHANGED_PIXELS

    def describe(self) -> str:
        """Say what differs, in one line."""
        if self.size_expected != self.size_actual:
            return (
                f"page size differs: reference {self.size_expected[0]}x{self.size_expected[1]} px, "
                f"actual {self.size_actual[0]}x{self.size_actual[1]} px"
            )
        return (
            f"{self.changed} pixels changed by more than {PIXEL_THRESHOLD}/255 "
            f"(at most {MAX_CHANGED_PIXELS} allowed), largest change {self.largest}, "
            f"in the box {self.box}"
        )


def _mask(expected: Image.Image, actual: Image.Image) -> Image.Image:
    """Return a 1-bit image of the pixels that changed by more than PIXEL_THRESHOLD."""
    return (
        ImageChops.difference(expected, actual)
        .point(lambda value: 255 if value > PIXEL_THRESHOLD else 0)
        .convert("1")
    )


def compare(expected: Image.Image, actual: Image.Image) -> Comparison:
    """Compare two grayscale renders of a page."""
    expected, actual = expected.convert("L"), actual.convert("L")
    if expected.size != actual.size:
        return Comparison(expected.size, actual.size, expected.width * expected.height, 255, None)
    difference = ImageChops.difference(expected, actual)
    histogram = difference.histogram()
    changed = sum(histogram[PIXEL_THRESHOLD + 1 :])
    largest = max((value for value, count in enumerate(histogram) if count), default=0)
    box = _mask(expected, actual).getbbox() if changed else None
    return Comparison(expected.size, actual.size, changed, largest, box)


def diff_image(expected: Image.Image, actual: Image.Image) -> Image.Image:
    """Return an RGB picture of the difference: the reference faded, changed pixels red.

    A red frame is drawn around the changed pixels. Pages of different sizes are set side by
    side.
    """
    expected, actual = expected.convert("L"), actual.convert("L")
    if expected.size != actual.size:
        width = expected.width + actual.width + 10
        canvas = Image.new("RGB", (width, max(expected.height, actual.height)), "red")
        canvas.paste(expected.convert("RGB"), (0, 0))
        canvas.paste(actual.convert("RGB"), (expected.width + 10, 0))
        return canvas
    faded = Image.blend(expected, Image.new("L", expected.size, 255), 0.75).convert("RGB")
    mask = _mask(expected, actual)
    faded.paste((220, 0, 0), mask=mask)
    box = mask.getbbox()
    if box:
        left, top, right, bottom = box
        ImageDraw.Draw(faded).rectangle(
            (left - 2, top - 2, right + 1, bottom + 1), outline=(220, 0, 0)
        )
    return faded


def write_references(
    pages: dict[str, list[Image.Image]], folder: Path = HERE
) -> dict[str, list[str]]:
    """Write PAGES as the references in FOLDER and delete stale ones.

    Files whose pixels did not change keep their bytes. Return the names written, unchanged
    and removed.
    """
    report: dict[str, list[str]] = {"written": [], "unchanged": [], "removed": []}
    keep = set()
    for stem, images in pages.items():
        for number, image in enumerate(images, start=1):
            path = reference_path(stem, number, folder)
            keep.add(path.name)
            data = png_bytes(image)
            if path.exists() and path.read_bytes() == data:
                report["unchanged"].append(path.name)
                continue
            path.write_bytes(data)
            report["written"].append(path.name)
    for path in sorted(folder.glob("*.png")):
        if path.name not in keep:
            path.unlink()
            report["removed"].append(path.name)
    return report


def build_sources(sources: Path, out: Path) -> None:
    """Build the PDFs of SOURCES into OUT with the project's own command line."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "--sources",
            str(sources),
            "--out",
            str(out),
            "--format",
            "pdf",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(
            f"building {sources} failed (exit {done.returncode}); references unchanged"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the visual regression references.")
    parser.add_argument(
        "--sources",
        type=Path,
        default=ROOT / "sources",
        help="sources to build (default: the repository's sources/)",
    )
    parser.add_argument(
        "--pdfs", type=Path, help="render the PDFs already built in this folder instead"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where the references go (default: tests/visual/)"
    )
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="visual-refs-") as temp:
        folder = options.pdfs
        if folder is None:
            folder = Path(temp)
            build_sources(options.sources, folder)
        pages = render_build(folder)
    report = write_references(pages, options.out)
    total = sum(path.stat().st_size for path in options.out.glob("*.png"))
    count = sum(len(images) for images in pages.values())
    print(
        f"{count} reference pages in {options.out} ({total / 1024:.0f} KiB): "
        f"{len(report['written'])} written, {len(report['unchanged'])} unchanged, "
        f"{len(report['removed'])} removed"
    )
    for kind in ("written", "removed"):
        if report[kind]:
            print(f"  {kind}: {' '.join(report[kind])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
