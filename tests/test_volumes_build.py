"""A publication of several volumes: each its own PDF, contents, outline, key and entry.

Built once from 20 generated sources (benchmarks/generate.py) into a Radiology and a
Medicine volume; read back with pikepdf and pypdf, and held to the independent PDF/UA-1
validator and qpdf. A release of two volumes verifies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from conftest import RELEASE, ROOT, SAMPLE_SOURCES, run_cli
from pypdf import PdfReader
from qpdf import qpdf_check
from validation import variant_failures

from report.build import BuildOptions, build

VOLUMES = """volumes:
  - title: Radiology
    codes: ["70010-79999"]
  - title: Medicine
    file: volume-medicine
    codes: ["90000-99999", "G0000-G9999"]
"""
NAMES = ("volume-radiology.pdf", "volume-medicine.pdf")


def quiet(message: str) -> None:
    """Print nothing."""


@pytest.fixture(scope="module")
def two_volumes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build 20 generated sources, in two volumes; return the sources and output folders."""
    base = tmp_path_factory.mktemp("volumes")
    sources = base / "sources"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "20", str(sources)],
        check=True,
        capture_output=True,
    )
    with (sources / "publication.yaml").open("a", encoding="utf-8") as handle:
        handle.write(VOLUMES)
    result = build(sources, base / "out", BuildOptions(jobs=2), log=quiet)
    assert result.errors == []
    return sources, base / "out"


def codes_in(sources: Path, first: str, last: str) -> list[str]:
    """Return the generated codes from first to last (of one form), in order."""
    return sorted(p.stem for p in (sources / "codes").glob("*.yaml") if first <= p.stem <= last)


class TestVolumeFiles:
    """Each defined volume is written, and volume.pdf of all is not."""

    def test_files_and_manifest(self, two_volumes: tuple[Path, Path]) -> None:
        """The manifest lists each volume file with its pages, as on disk."""
        _, out = two_volumes
        assert not (out / "volume.pdf").exists()
        files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
        volumes = {f["path"]: f for f in files if f["kind"] == "volume"}
        assert sorted(volumes) == sorted(NAMES)
        for name in NAMES:
            assert volumes[name]["pages"] == len(PdfReader(out / name).pages)

    @pytest.mark.parametrize(
        ("name", "title", "ranges"),
        [
            (NAMES[0], "Radiology", [("70010", "79999")]),
            (NAMES[1], "Medicine", [("90000", "99999"), ("G0000", "G9999")]),
        ],
    )
    def test_contents_outline_and_title(
        self,
        two_volumes: tuple[Path, Path],
        name: str,
        title: str,
        ranges: list[tuple[str, str]],
    ) -> None:
        """Cover, metadata title, contents and outline name only the volume's reports."""
        sources, out = two_volumes
        codes = [c for first, last in ranges for c in codes_in(sources, first, last)]
        assert len(codes) >= 5
        full = f"CPT/HCPCS Code Reports — {title}"
        reader = PdfReader(out / name)
        assert reader.metadata is not None and reader.metadata.title == full
        assert full in " ".join((reader.pages[0].extract_text() or "").split())
        report_pages = sum(len(PdfReader(out / f"{c}.pdf").pages) for c in codes)
        with pikepdf.open(out / name) as pdf:
            top = [item.title for item in pdf.open_outline().root]
            front = len(pdf.pages) - report_pages
            contents = " ".join(
                PdfReader(out / name).pages[i].extract_text() or "" for i in range(front)
            )
        assert top[:3] == [full, "About this publication", "Contents"]
        assert [t.split(":")[0].split()[-1] for t in top[3:]] == codes
        others = set(codes_in(sources, "00000", "ZZZZZ")) - set(codes)
        assert all(code in contents for code in codes)
        assert not any(code in contents for code in others)

    @pytest.mark.parametrize("name", NAMES)
    def test_conforms(self, two_volumes: tuple[Path, Path], name: str) -> None:
        """The independent validator finds no PDF/UA-1 failure, and qpdf no error."""
        _, out = two_volumes
        assert variant_failures(out / name, "pdf/ua-1") == []
        qpdf_check(out / name)


class TestVolumeKeys:
    """Each volume has its own key: editing one volume rebuilds it alone, and no report."""

    def test_one_volume_changed(self, two_volumes: tuple[Path, Path], tmp_path: Path) -> None:
        """Narrowing Medicine rebuilds Medicine; Radiology and every report are kept."""
        sources, out = two_volumes
        copy_sources, copy_out = tmp_path / "sources", tmp_path / "out"
        shutil.copytree(sources, copy_sources)
        shutil.copytree(out, copy_out)
        radiology = (copy_out / NAMES[0]).read_bytes()
        path = copy_sources / "publication.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(', "G0000-G9999"', ""), encoding="utf-8")
        again = build(copy_sources, copy_out, BuildOptions(jobs=1), log=quiet)
        assert again.errors == [] and again.rendered == [] and again.volume_built
        assert (copy_out / NAMES[0]).read_bytes() == radiology
        with pikepdf.open(copy_out / NAMES[1]) as pdf:
            titles = [item.title for item in pdf.open_outline().root]
        assert not any(t.startswith("HCPCS") for t in titles) and len(titles) > 3
        index = json.loads((copy_out / ".build-index.json").read_text(encoding="utf-8"))
        assert set(NAMES) <= set(index["outputs"])


class TestRelease:
    """A release holds every volume, lists it in SHA256SUMS and manifest, and verifies."""

    def test_release_and_verify(self, tmp_path: Path) -> None:
        """Two volumes of the sample's two codes are released, embedded sources and all."""
        sources = tmp_path / "sources"
        shutil.copytree(SAMPLE_SOURCES, sources)
        with (sources / "publication.yaml").open("a", encoding="utf-8") as handle:
            handle.write(
                'volumes:\n  - title: Surgery\n    codes: ["10000-69999"]\n'
                '  - title: Radiology\n    codes: ["70010-79999"]\n'
            )
        made = run_cli(
            "release", RELEASE, "--sources", str(sources), "--out", str(tmp_path / "rel")
        )
        assert made.code == 0, made.stderr
        folder = tmp_path / "rel" / RELEASE
        sums = (folder / "SHA256SUMS").read_text(encoding="ascii")
        for name in ("volume-surgery.pdf", "volume-radiology.pdf"):
            assert f"  {name}\n" in sums
            with pikepdf.open(folder / name) as pdf:
                assert len(pdf.attachments) == 4  # every source: the indices too
        assert not (folder / "volume.pdf").exists()
        checked = run_cli("verify", str(folder))
        assert checked.code == 0, checked.stdout + checked.stderr
        assert "volume-surgery.pdf" not in checked.stderr
