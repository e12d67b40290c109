"""`build CODE...` renders the named reports and leaves the volume and the others as they are.

Its manifest is the one before it with the rebuilt files' entries replaced and the volume
marked `"outdated"`; a following build of all reports rebuilds the volume alone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pypdf
import pytest
from conftest import SAMPLE_SOURCES, run_cli

from report.build import BuildOptions, build

LEFT = "volume.pdf left as it was: run build without codes to update it"
NOT_WRITTEN = "volume.pdf not written: run build without codes to make it"
TITLE = "Imaging of Vas Deferens, Seminal Vesicles, or Epididymis"


def manifest(out: Path) -> dict[str, dict[str, object]]:
    """Return manifest.json's files by path."""
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    return {entry["path"]: entry for entry in files}


def assert_manifest_is_true(out: Path) -> None:
    """Assert that every file the manifest lists has the size and hash it gives."""
    for path, entry in manifest(out).items():
        data = (out / path).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"])


@pytest.fixture
def revised(tmp_path: Path) -> tuple[Path, Path]:
    """Build the sample in full, then retitle 74440; return the sources and output folders."""
    sources, out = tmp_path / "sources", tmp_path / "out"
    shutil.copytree(SAMPLE_SOURCES, sources)
    assert build(sources, out, BuildOptions(), log=lambda _: None).errors == []
    source = sources / "codes" / "74440.yaml"
    text = source.read_text(encoding="utf-8")
    assert TITLE in text
    source.write_text(text.replace(TITLE, TITLE + " Revised"), encoding="utf-8")
    return sources, out


class TestNamedBuild:
    """A build of named codes writes their reports, never a volume, and says so."""

    def test_volume_left_as_it_was(self, revised):
        sources, out = revised
        volume = (out / "volume.pdf").read_bytes()
        other = (out / "55300.pdf").stat().st_mtime_ns
        done = run_cli("build", "74440", "--sources", str(sources), "--out", str(out))
        assert done.code == 0, done.stderr
        assert LEFT in done.stderr.splitlines()
        summary = done.stderr.splitlines()[-1]  # it claims no volume
        assert summary.startswith("rendered 1 report in ") and "up to date); written to" in summary
        assert (out / "volume.pdf").read_bytes() == volume
        assert (out / "55300.pdf").stat().st_mtime_ns == other
        assert "Revised" in pypdf.PdfReader(out / "74440.pdf").pages[0].extract_text()

    def test_manifest_describes_the_folder(self, revised):
        sources, out = revised
        build(sources, out, BuildOptions(codes=["74440"]), log=lambda _: None)
        files = manifest(out)
        assert sorted(files) == ["55300.pdf", "74440.pdf", "volume.pdf"]
        assert files["volume.pdf"]["outdated"] == ["74440"]
        assert all("outdated" not in files[name] for name in ("55300.pdf", "74440.pdf"))
        assert_manifest_is_true(out)

    def test_full_build_then_rebuilds_the_volume_alone(self, revised):
        sources, out = revised
        build(sources, out, BuildOptions(codes=["74440"]), log=lambda _: None)
        again = build(sources, out, BuildOptions(), log=lambda _: None)
        assert again.rendered == [] and again.volume_built
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(out / "volume.pdf").pages)
        assert TITLE + " Revised" in " ".join(text.split())
        assert all("outdated" not in entry for entry in manifest(out).values())
        assert_manifest_is_true(out)
        last = build(sources, out, BuildOptions(), log=lambda _: None)
        assert last.rendered == [] and not last.volume_built

    def test_nothing_rendered_marks_nothing(self, revised):
        """A named report already up to date leaves the volume unmarked and says nothing of it."""
        sources, out = revised
        lines: list[str] = []
        build(sources, out, BuildOptions(codes=["55300"]), log=lines.append)
        assert LEFT not in lines
        assert "outdated" not in manifest(out)["volume.pdf"]

    def test_into_an_empty_folder(self, tmp_path):
        out = tmp_path / "out"
        done = run_cli("build", "55300", "--sources", str(SAMPLE_SOURCES), "--out", str(out))
        assert done.code == 0, done.stderr
        assert NOT_WRITTEN in done.stderr.splitlines()
        assert not (out / "volume.pdf").exists()
        assert sorted(manifest(out)) == ["55300.pdf"]
        assert_manifest_is_true(out)
