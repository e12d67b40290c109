"""Visual regression: the sample's pages still look like the references in tests/visual/.

Each page of 74440.pdf and 55300.pdf and the first pages of volume.pdf are rendered
with PDFium at 50 dpi in grayscale and compared with tests/visual/<stem>-<page>.png
(tolerance: see tests/visual/render.py). After an intended change of layout, refresh
the references with `make visual-refs` and commit tests/visual/.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

VISUAL = Path(__file__).resolve().parent / "visual"
_spec = importlib.util.spec_from_file_location("visual_render", VISUAL / "render.py")
visual = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = visual
_spec.loader.exec_module(visual)

REFRESH = "run `make visual-refs` to rewrite tests/visual/ if the change is intended"


@pytest.fixture(scope="module")
def rendered(sample_build: Path) -> dict[str, list[Image.Image]]:
    """Return the sample build's pages, rendered as the references are."""
    return visual.render_build(sample_build)


def check_pages(stem: str, pages: list[Image.Image], references: Path, out: Path) -> list[str]:
    """Compare PAGES of STEM.pdf with the references in the folder REFERENCES.

    For each page that differs, write the actual page, the reference and a diff image into
    OUT. Return one line per problem (none when every page matches).
    """
    problems = []
    out.mkdir(parents=True, exist_ok=True)
    expected = [
        visual.reference_path(stem, number, references) for number in range(1, len(pages) + 1)
    ]
    stray = [path for path in visual.references(stem, references) if path not in expected]
    if stray:
        problems.append(
            f"{stem}.pdf now renders {len(pages)} pages, but there are references for more: "
            + ", ".join(path.name for path in stray)
        )
    for number, (image, reference) in enumerate(zip(pages, expected, strict=True), start=1):
        name = f"{stem}-{number}"
        actual = out / f"{name}.actual.png"
        if not reference.exists():
            image.save(actual)
            problems.append(
                f"{name}: no reference {reference.name} (page {number} of {len(pages)}); "
                f"actual page written to {actual}"
            )
            continue
        expected_image = visual.load(reference)
        comparison = visual.compare(expected_image, image)
        if comparison.equal:
            continue
        diff = out / f"{name}.diff.png"
        image.save(actual)
        expected_image.save(out / f"{name}.expected.png")
        visual.diff_image(expected_image, image).save(diff)
        problems.append(f"{name}: {comparison.describe()}; actual page {actual}, diff {diff}")
    return problems


@pytest.mark.parametrize("stem", list(visual.DOCUMENTS))
def test_pages_match_the_references(stem, rendered, tmp_path):
    if not visual.references(stem):
        pytest.fail(
            f"no reference images tests/visual/{stem}-*.png: run `make visual-refs` to create "
            "them, then commit tests/visual/"
        )
    problems = check_pages(stem, rendered[stem], VISUAL, tmp_path)
    assert not problems, (
        f"{stem}.pdf no longer looks like its references ({REFRESH}):\n  " + "\n  ".join(problems)
    )


def test_every_reference_belongs_to_a_rendered_page(rendered):
    names = {
        f"{stem}-{number}.png"
        for stem, pages in rendered.items()
        for number in range(1, len(pages) + 1)
    }
    stray = sorted(path.name for path in VISUAL.glob("*.png") if path.name not in names)
    assert not stray, f"stale references {stray}: {REFRESH}"


def test_references_stay_small_and_grayscale():
    paths = sorted(VISUAL.glob("*.png"))
    total = sum(path.stat().st_size for path in paths)
    assert total < 1_000_000, f"tests/visual/*.png hold {total} bytes; render at {visual.DPI} dpi"
    for path in paths:
        with Image.open(path) as image:
            assert image.mode == "L", f"{path.name} is {image.mode}, not 8-bit grayscale"
            # A page of at most 9 x 12 inches at 50 dpi.
            assert image.width <= 9 * visual.DPI and image.height <= 12 * visual.DPI, path.name


def test_rendering_is_deterministic(sample_build, rendered):
    again = visual.render_pdf(sample_build / "74440.pdf")
    assert len(again) == len(rendered["74440"])
    for first, second in zip(rendered["74440"], again, strict=True):
        comparison = visual.compare(first, second)
        assert comparison.equal and comparison.changed == 0 and comparison.largest == 0
        assert visual.png_bytes(first) == visual.png_bytes(second)


def test_tolerance_absorbs_antialiasing_but_not_more(rendered):
    page = rendered["74440"][0]
    # Every gray level moved by as much as the threshold: what another PDFium build's
    # anti-aliasing does (4.30 against 5.x moves edges by up to 48).
    lighter = page.point(lambda value: min(255, value + visual.PIXEL_THRESHOLD))
    assert visual.compare(page, lighter).equal
    # A few stray pixels pass; one more than allowed does not.
    speckled = page.copy()
    for index in range(visual.MAX_CHANGED_PIXELS + 1):
        x, y = 20 + 7 * index, 5
        speckled.putpixel((x, y), 255 - speckled.getpixel((x, y)))
        comparison = visual.compare(page, speckled)
        assert comparison.changed == index + 1
        assert comparison.equal == (index + 1 <= visual.MAX_CHANGED_PIXELS)


def test_a_moved_block_is_a_difference(rendered, tmp_path):
    page = rendered["74440"][0]
    width, height = page.size
    # Move the middle third of the page 2 pixels down (1 pt at 50 dpi is 0.7 px).
    block = (0, height // 3, width, 2 * height // 3)
    moved = page.copy()
    moved.paste(255, (0, block[1], width, block[1] + 2))
    moved.paste(page.crop(block), (0, block[1] + 2))
    comparison = visual.compare(page, moved)
    assert not comparison.equal
    assert comparison.changed > 10 * visual.MAX_CHANGED_PIXELS
    _left, top, _right, bottom = comparison.box
    assert block[1] <= top and bottom <= block[3] + 2
    # The whole page shifted by one pixel.
    assert not visual.compare(page, ImageChops.offset(page, 1, 0)).equal
    assert not visual.compare(page, ImageChops.offset(page, 0, 1)).equal
    # Another page size.
    resized = visual.compare(page, page.resize((width - 12, height + 35)))
    assert not resized.equal and "page size differs" in resized.describe()


def test_one_changed_word_fails_the_check_and_leaves_a_diff(sources_copy, cli, rendered, tmp_path):
    source = sources_copy / "codes" / "74440.yaml"
    text = source.read_text(encoding="utf-8")
    old = "for obstruction. This diagnostic"
    assert old in text, f"the 74440 summary no longer holds {old!r}; pick another line to change"
    source.write_text(text.replace(old, "for blockages. This diagnostic"), encoding="utf-8")
    result = cli("build", "74440", "--sources", str(sources_copy), "--out", str(tmp_path / "out"))
    assert result.code == 0, result.stderr
    changed = visual.render_pdf(tmp_path / "out" / "74440.pdf")

    # The unmodified sample's pages as references, in a folder of their own.
    references = tmp_path / "references"
    references.mkdir()
    visual.write_references({"74440": rendered["74440"]}, references)
    assert check_pages("74440", rendered["74440"], references, tmp_path / "same") == []

    problems = check_pages("74440", changed, references, tmp_path / "failed")
    assert problems and problems[0].startswith("74440-1: "), problems
    actual, diff = (
        tmp_path / "failed" / "74440-1.actual.png",
        tmp_path / "failed" / "74440-1.diff.png",
    )
    assert str(actual) in problems[0] and str(diff) in problems[0]
    with Image.open(actual) as image:
        assert visual.compare(image, changed[0]).changed == 0
    with Image.open(diff) as image:
        assert (220, 0, 0) in {color for _, color in image.convert("RGB").getcolors(1 << 20)}


def test_a_missing_reference_says_to_run_make_visual_refs(rendered, tmp_path):
    references = tmp_path / "references"
    references.mkdir()
    visual.write_references({"55300": rendered["55300"]}, references)
    (references / "55300-2.png").unlink()
    problems = check_pages("55300", rendered["55300"], references, tmp_path / "out")
    assert len(problems) == 1 and problems[0].startswith("55300-2: no reference 55300-2.png"), (
        problems
    )
    assert (tmp_path / "out" / "55300-2.actual.png").exists()


def test_refresh_rewrites_changed_pages_and_removes_stale_ones(rendered, tmp_path):
    references = tmp_path / "references"
    references.mkdir()
    first = visual.write_references(rendered, references)
    assert first["removed"] == [] and first["unchanged"] == []
    assert len(first["written"]) == sum(len(pages) for pages in rendered.values())
    (references / "74440-9.png").write_bytes(b"stale")
    second = visual.write_references(rendered, references)
    assert second["written"] == [] and second["removed"] == ["74440-9.png"]
    assert sorted(second["unchanged"]) == sorted(first["written"])
