"""The files a build writes: manifest, reproducibility, HTML, whole-file writes, escaping, fonts."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pypdf
import pytest
from ruamel.yaml import YAML

import report

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
FONTS = ROOT / "styles" / "fonts"
CODES = sorted(path.stem for path in (SOURCES / "codes").glob("*.yaml"))
KINDS = {"report", "volume", "html"}


def publication() -> dict:
    """Return sources/publication.yaml as plain data."""
    return YAML(typ="safe", pure=True).load((SOURCES / "publication.yaml").read_text("utf-8"))


def manifest(out: Path) -> dict:
    """Return an output folder's manifest.json."""
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def squash(text: str) -> str:
    """Drop soft hyphens (and the line break after one) and collapse whitespace."""
    return re.sub(r"\s+", " ", re.sub("\u00ad\\s*", "", text)).strip()


def page_texts(pdf: Path | bytes) -> list[str]:
    """Return each page's extracted text, squashed."""
    reader = pypdf.PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return [squash(page.extract_text()) for page in reader.pages]


def font_names(pdf: Path | bytes) -> dict[str, bool]:
    """Return every font a PDF uses, by BaseFont name, and whether its program is embedded."""
    fonts: dict[str, bool] = {}
    seen: set[tuple[int, int]] = set()

    def embedded(font: pikepdf.Dictionary) -> bool:
        if font.get("/Subtype") == "/Type0":
            font = font.DescendantFonts[0]
        if font.get("/Subtype") == "/Type3":
            return False
        descriptor = font.get("/FontDescriptor")
        return descriptor is not None and any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )

    def visit(resources: pikepdf.Dictionary) -> None:
        if resources is None:
            return
        for font in (resources.get("/Font") or {}).values():
            fonts[str(font.get("/BaseFont", font.get("/Name", "(unnamed Type3)")))] = embedded(font)
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                visit(xobject.get("/Resources"))

    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as document:
        for page in document.pages:
            visit(page.obj.get("/Resources"))
    return fonts


def bundled_family(base_font: str) -> bool:
    """Return whether a BaseFont name is a subset of Source Sans 3 or Source Serif 4."""
    name = re.sub(r"^[A-Z]{6}\+", "", base_font.lstrip("/"))
    name = re.sub(r"[^a-z0-9]", "", name.lower())
    return name.startswith(("sourcesans3", "sourceserif4"))


def run_build(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `python build.py ARGS` in a fresh process."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def second_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sample again, somewhere else, over a garbage 74440.pdf; return the folder.

    The sources are a copy in another folder, the working folder and the time zone differ
    from the session build, and SOURCE_DATE_EPOCH is unset: none of it may change a byte.
    """
    base = tmp_path_factory.mktemp("second")
    sources = base / "elsewhere" / "sources"
    shutil.copytree(SOURCES, sources)
    out = base / "out"
    out.mkdir()
    (out / "74440.pdf").write_bytes(b"not a PDF; " * 40_000)  # longer than the real one
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    env["TZ"] = "Pacific/Auckland"
    done = run_build(
        "build",
        "--sources",
        str(sources),
        "--out",
        str(out),
        "--format",
        "pdf,html",
        cwd=base,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return out


class TestManifest:
    """manifest.json has exactly the fields of builder.md and describes the files on disk."""

    def test_top_level(self, sample_build):
        data = manifest(sample_build)
        assert set(data) == {"edition", "effective_date", "builder_version", "files"}
        pub = publication()
        assert data["edition"] == pub["edition"] == "2026.11"
        assert data["effective_date"] == pub["effective_date"].isoformat() == "2026-11-01"
        assert data["builder_version"] == report.__version__
        assert isinstance(data["files"], list) and data["files"]

    def test_file_entries(self, sample_build):
        files = manifest(sample_build)["files"]
        paths = [entry["path"] for entry in files]
        assert len(paths) == len(set(paths))
        for entry in files:
            assert set(entry) == {"path", "kind", "code", "pages", "bytes", "sha256"}, entry
            assert entry["kind"] in KINDS, entry
            assert not entry["path"].startswith(("/", "..")) and "\\" not in entry["path"]
            assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), entry
            assert isinstance(entry["bytes"], int) and entry["bytes"] > 0, entry
        expected = {f"{code}.pdf": ("report", code) for code in CODES}
        expected |= {f"html/{code}.html": ("html", code) for code in CODES}
        expected["volume.pdf"] = ("volume", None)
        assert {e["path"]: (e["kind"], e["code"]) for e in files} == expected

    def test_entries_match_the_files(self, sample_build):
        for entry in manifest(sample_build)["files"]:
            data = (sample_build / entry["path"]).read_bytes()
            assert entry["bytes"] == len(data), entry["path"]
            assert entry["sha256"] == hashlib.sha256(data).hexdigest(), entry["path"]
            if entry["kind"] in ("report", "volume"):
                assert entry["pages"] == len(pypdf.PdfReader(sample_build / entry["path"]).pages)
            else:
                assert entry["pages"] is None, entry

    def test_every_pdf_and_html_is_listed(self, sample_build):
        listed = {entry["path"] for entry in manifest(sample_build)["files"]}
        on_disk = {
            p.relative_to(sample_build).as_posix()
            for p in [*sample_build.glob("*.pdf"), *sample_build.glob("html/*.html")]
        }
        assert on_disk == listed


class TestReproducible:
    """Building the same sources twice, elsewhere and in another time zone, gives the same bytes."""

    def test_same_bytes(self, sample_build, second_build):
        assert (second_build / "manifest.json").read_bytes() == (
            sample_build / "manifest.json"
        ).read_bytes()
        for entry in manifest(sample_build)["files"]:
            first = (sample_build / entry["path"]).read_bytes()
            second = (second_build / entry["path"]).read_bytes()
            assert first == second, f"{entry['path']} differs between two builds"


class TestWholeFiles:
    """Outputs are written whole: no temporary files stay, an existing file is replaced entirely."""

    @pytest.mark.parametrize("which", ["sample_build", "second_build"])
    def test_no_temporary_files(self, request, which):
        out = request.getfixturevalue(which)
        listed = {entry["path"] for entry in manifest(out)["files"]} | {"manifest.json"}
        fonts = {f"html/fonts/{font.name}" for font in FONTS.iterdir()}
        stray = []
        for path in out.rglob("*"):
            relative = path.relative_to(out).as_posix()
            if path.is_dir():
                continue
            # The builder's own bookkeeping: the index of content hashes, its cache, the lock.
            bookkeeping = relative in (".build-index.json", ".build.lock") or relative.startswith(
                ".cache/"
            )
            if re.search(r"(\.tmp|\.part|~)$", path.name) or (
                not bookkeeping
                and (
                    any(part.startswith(".") for part in path.relative_to(out).parts)
                    or relative not in listed | fonts
                )
            ):
                stray.append(relative)
        assert not stray, f"left in {which}: {stray}"

    def test_existing_file_replaced_whole(self, sample_build, second_build):
        data = (second_build / "74440.pdf").read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert b"not a PDF" not in data
        assert len(pypdf.PdfReader(second_build / "74440.pdf").pages) > 0
        assert data == (sample_build / "74440.pdf").read_bytes()


class TestHtml:
    """html/CODE.html is self-contained; plain WeasyPrint renders it to the same pages and text."""

    def test_html_only_build(self, tmp_path, sample_build):
        out = tmp_path / "out"
        done = run_build("build", "--sources", str(SOURCES), "--out", str(out), "--format", "html")
        assert done.returncode == 0, done.stderr
        for code in CODES:
            assert (out / "html" / f"{code}.html").read_bytes() == (
                sample_build / "html" / f"{code}.html"
            ).read_bytes()
        # The web's form of every bundled face, and its licences: no TrueType file.
        assert {f.name for f in (out / "html" / "fonts").iterdir()} == {
            f.with_suffix(".woff2").name for f in FONTS.glob("*.ttf")
        } | {f.name for f in FONTS.glob("OFL-*.md")}

    @pytest.mark.parametrize("code", CODES)
    def test_self_contained(self, sample_build, code):
        page = sample_build / "html" / f"{code}.html"
        html = page.read_text(encoding="utf-8")
        assert re.search(r"<style[^>]*>.*@font-face.*</style>", html, re.DOTALL)
        assert not re.search(r"<link\b[^>]*stylesheet", html, re.IGNORECASE)
        assert not re.search(r"(?:src|href)=[\"'](?:https?:|file:|/)", html.split("<body")[0])
        urls = re.findall(r"url\(\s*[\"']?([^\"')]+)", html)
        assert urls, "no url() in the inline style"
        for url in urls:
            assert not re.match(r"[a-z]+:|/", url), f"{url} is not relative to the HTML file"
            target = (page.parent / url).resolve()
            assert target.is_relative_to((page.parent / "fonts").resolve()), url
            assert target.is_file(), f"{url} does not resolve next to {page.name}"
            assert target.read_bytes() == (FONTS / target.name).read_bytes()

    @pytest.mark.parametrize("code", CODES)
    def test_renders_like_the_pdf(self, sample_build, tmp_path, code):
        from weasyprint import HTML

        copy = tmp_path / "html"  # away from the repository: only html/ itself may be used
        shutil.copytree(sample_build / "html", copy)
        rendered = HTML(filename=str(copy / f"{code}.html")).write_pdf()
        ours = page_texts(sample_build / f"{code}.pdf")
        theirs = page_texts(rendered)
        assert len(theirs) == len(ours)
        assert theirs == ours
        fonts = font_names(rendered)
        assert fonts and all(bundled_family(name) for name in fonts), sorted(fonts)


class TestRawHtml:
    """Raw HTML in a Markdown field is printed as text, never rendered."""

    def test_raw_html_is_text(self, sources_copy, tmp_path):
        source = sources_copy / "codes" / "74440.yaml"
        text = source.read_text(encoding="utf-8")
        marker = "summary: |\n"
        assert marker in text
        text = text.replace(
            marker,
            marker + "  Raw <b>x</b><script>alert(1)</script> inline.\n\n"
            "  <div>block html</div>\n\n",
            1,
        )
        source.write_text(text, encoding="utf-8")
        out = tmp_path / "out"
        done = run_build("build", "74440", "--sources", str(sources_copy), "--out", str(out))
        assert done.returncode == 0, done.stderr
        pdf_text = " ".join(page_texts(out / "74440.pdf"))
        assert "Raw <b>x</b><script>alert(1)</script> inline." in pdf_text
        assert "<div>block html</div>" in pdf_text
        assert "CPT code 74440 represents" in pdf_text


class TestFonts:
    """Every font in the PDFs is embedded and is Source Sans 3 or Source Serif 4: no fallback."""

    @pytest.mark.parametrize("name", ["74440.pdf", "55300.pdf", "volume.pdf"])
    def test_fonts(self, sample_build, name):
        fonts = font_names(sample_build / name)
        assert fonts
        not_embedded = [font for font, ok in fonts.items() if not ok]
        assert not not_embedded, f"not embedded: {not_embedded}"
        foreign = [font for font in fonts if not bundled_family(font)]
        assert not foreign, f"fallback fonts: {foreign}"
