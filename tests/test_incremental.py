"""Incremental builds: only what changed is rendered, and a no-op rebuild renders nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT, SAMPLE_SOURCES
from qpdf import qpdf_check

import report.build.gather as gather
import report.inputs as inputs
from report.assemble import publication_info
from report.build import BuildOptions, BuildResult, build
from report.render import PdfSettings, epoch_of
from report.sources import load_sources
from report.volume import VolumeEntry, write_volume

OUTPUTS = ("55300.pdf", "74440.pdf", "volume.pdf", "manifest.json")


def quiet(line: str) -> None:
    """Swallow log lines."""


def stamps(out: Path) -> dict[str, tuple[int, bytes]]:
    """Return each output's modification time and bytes."""
    return {name: ((out / name).stat().st_mtime_ns, (out / name).read_bytes()) for name in OUTPUTS}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BuildResult]:
    """Copy the sample sources and build them once with two workers."""
    root = tmp_path_factory.mktemp("incremental")
    sources, out = root / "sources", root / "out"
    shutil.copytree(SAMPLE_SOURCES, sources)
    first = build(sources, out, BuildOptions(jobs=2), log=quiet)
    assert not first.errors
    return sources, out, first


def volume_headings(sources: Path) -> list[tuple[str, str]]:
    """Return (code, heading) of each valid source, in code order."""
    return [
        (c.model.code, f"{c.model.system} {c.model.code}: {c.model.title}")
        for c in sorted(load_sources(sources).codes, key=lambda c: c.model.code)
    ]


def rebuild(sources: Path, out: Path, **options: object) -> BuildResult:
    """Build again with the given options; the volume passes qpdf's check."""
    result = build(sources, out, BuildOptions(jobs=2, **options), log=quiet)  # type: ignore[arg-type]
    qpdf_check(out / "volume.pdf")
    return result


class TestFirstBuild:
    """A first build renders every report and the volume."""

    def test_everything_rendered(self, built: tuple[Path, Path, BuildResult]) -> None:
        """Both reports rendered and the volume assembled."""
        _, _, first = built
        assert sorted(first.rendered) == ["55300", "74440"]
        assert first.volume_built and first.up_to_date == 0


class TestNoOpRebuild:
    """Nothing changed: nothing is rendered or parsed, and no output is touched."""

    def test_renders_and_parses_nothing(self, built, monkeypatch: pytest.MonkeyPatch) -> None:
        """No report is rendered, no code source parsed, no file rewritten."""
        sources, out, _ = built
        before = stamps(out)
        parsed: list[Path] = []
        real = gather.load_code
        monkeypatch.setattr(
            gather, "load_code", lambda file, *a: parsed.append(file) or real(file, *a)
        )
        again = rebuild(sources, out)
        assert again.rendered == [] and not again.volume_built
        assert again.up_to_date == 2 and parsed == []
        assert stamps(out) == before


class TestChangedSource:
    """Changing one code's file rebuilds that report and the volume only."""

    def test_one_report_and_the_volume(self, built) -> None:
        """Editing 55300.yaml renders 55300 and the volume; 74440.pdf is left as it was."""
        sources, out, _ = built
        before = stamps(out)
        path = sources / "codes" / "55300.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "valued in the facility setting only", "valued in facility settings only"
            ),
            encoding="utf-8",
        )
        again = rebuild(sources, out)
        assert again.rendered == ["55300"] and again.volume_built
        after = stamps(out)
        assert after["74440.pdf"] == before["74440.pdf"]
        assert after["55300.pdf"][1] != before["55300.pdf"][1]
        assert after["volume.pdf"][1] != before["volume.pdf"][1]

    def test_volume_from_the_cache_is_the_volume_written_afresh(
        self, built, tmp_path: Path
    ) -> None:
        """A volume using cached parts has the bytes of one written without any cache.

        The unchanged reports' parts come from the cache; the other volume is written from the
        report PDFs alone.
        """
        sources, out, _ = built
        path = sources / "codes" / "74440.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                'title: "Imaging', 'title: "Revised: Imaging', 1
            ),
            encoding="utf-8",
        )
        again = rebuild(sources, out)
        assert again.rendered == ["74440"] and again.volume_built
        fresh = tmp_path / "volume.pdf"
        publication = load_sources(sources).publication
        assert publication is not None
        info = publication_info(publication)
        settings = PdfSettings(epoch=epoch_of(publication.model.effective_date))
        entries = [
            VolumeEntry(
                code, heading, out / f"{code}.pdf", len(pypdf.PdfReader(out / f"{code}.pdf").pages)
            )
            for code, heading in volume_headings(sources)
        ]
        write_volume(info, entries, fresh, settings)
        assert fresh.read_bytes() == (out / "volume.pdf").read_bytes()
        assert "Revised: " in pypdf.PdfReader(fresh).pages[2].extract_text()

    def test_an_output_replaced_at_the_same_size_is_rebuilt(self, built) -> None:
        """A PDF replaced since the index was saved is rendered again, even at the same size.

        Such a PDF is left by a build killed before saving the index; it is rendered again even
        when the bytes that replaced it have the same size.
        """
        sources, out, _ = built
        path = out / "55300.pdf"
        data = bytearray(path.read_bytes())
        data[-100] ^= 0xFF
        path.write_bytes(bytes(data))
        again = rebuild(sources, out)
        assert again.rendered == ["55300"]
        assert path.read_bytes() != bytes(data)

    def test_a_deleted_output_is_rebuilt_alone(self, built) -> None:
        """A missing PDF is rendered again; the other is kept."""
        sources, out, _ = built
        (out / "74440.pdf").unlink()
        again = rebuild(sources, out)
        assert again.rendered == ["74440"]
        assert (out / "74440.pdf").read_bytes().startswith(b"%PDF-")


class TestEverythingRebuilt:
    """A change to what shapes every report, or --force, rebuilds all."""

    def test_changed_builder_rebuilds_all(self, built, monkeypatch: pytest.MonkeyPatch) -> None:
        """A builder whose files hash otherwise renders every report and the volume again."""
        sources, out, _ = built
        monkeypatch.setattr(inputs, "builder_fingerprint", lambda: "another builder")
        again = rebuild(sources, out)
        assert sorted(again.rendered) == ["55300", "74440"] and again.volume_built

    def test_force_rebuilds_all(self, built) -> None:
        """--force renders every report and the volume though nothing changed."""
        sources, out, _ = built
        again = rebuild(sources, out, force=True)
        assert sorted(again.rendered) == ["55300", "74440"] and again.volume_built

    def test_publication_change_reparses_every_source(
        self, built, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Editing publication.yaml re-checks every code against it and renders all."""
        sources, out, _ = built
        parsed: list[str] = []
        real = gather.load_code
        monkeypatch.setattr(
            gather, "load_code", lambda file, *a: parsed.append(file.stem) or real(file, *a)
        )
        path = sources / "publication.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace("2026.11", "2026.12"), encoding="utf-8"
        )
        again = rebuild(sources, out)
        assert sorted(parsed) == ["55300", "74440"]
        assert sorted(again.rendered) == ["55300", "74440"]


class TestCachedErrors:
    """An unchanged invalid source is reported again without being parsed again."""

    def test_errors_replayed(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The second build prints the same located error and still exits with it."""
        sources = tmp_path / "sources"
        shutil.copytree(SAMPLE_SOURCES, sources)
        (sources / "codes" / "99999.yaml").write_text(
            'code: 99999\nsystem: CPT\ntitle: "X"\n', encoding="utf-8"
        )
        first = build(sources, tmp_path / "out", BuildOptions(codes=["74440"]), log=quiet)
        parsed: list[str] = []
        real = gather.load_code
        monkeypatch.setattr(
            gather, "load_code", lambda file, *a: parsed.append(file.stem) or real(file, *a)
        )
        second = build(sources, tmp_path / "out", BuildOptions(codes=["74440"]), log=quiet)
        assert [str(e) for e in second.errors] == [str(e) for e in first.errors]
        assert any("quote it" in str(e) for e in second.errors)
        assert parsed == []


class Project:
    """A copy of the builder, run from its own folder so that its files can be changed.

    The copy holds build.py and the package, its styles inside it; changing it never touches
    the checkout's files.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(
            ROOT / "report", root / "report", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copytree(
            ROOT / "styles",
            root / "report" / "styles",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        shutil.copy(ROOT / "build.py", root / "build.py")
        self.sources = root / "sources"
        shutil.copytree(SAMPLE_SOURCES, self.sources)

    def build(self, out: str) -> str:
        """Build the sample into root/out with this copy; return what it printed."""
        args = ["build", "--sources", "sources", "--out", out, "--jobs", "2"]
        done = subprocess.run(
            [sys.executable, "build.py", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        qpdf_check(self.root / out / "volume.pdf")
        imported = subprocess.run(
            [sys.executable, "-c", "import report.inputs as i; print(i.report.__file__)"],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"{self.root}/report/" in imported, "the copy must import its own package"
        return done.stderr.splitlines()[-1]


class TestBuilderFiles:
    """Every file of the builder counts as an input: no list of modules can fall behind."""

    @pytest.fixture
    def project(self, tmp_path: Path) -> Project:
        """Return a copy of the builder holding the sample sources."""
        return Project(tmp_path)

    def test_a_changed_volume_module_rebuilds_the_volume(self, project: Project) -> None:
        """The volume's compression level changed: the next build writes the volume again.

        The volume written has the bytes of a clean build by the changed code.
        """
        project.build("out")
        before = (project.root / "out" / "volume.pdf").read_bytes()
        module = project.root / "report" / "volume" / "format.py"
        text = module.read_text(encoding="utf-8")
        assert "COMPRESSION = 1\n" in text
        module.write_text(text.replace("COMPRESSION = 1\n", "COMPRESSION = 9\n"), "utf-8")
        summary = project.build("out")
        assert "volume up to date" not in summary and "nothing to render" not in summary
        after = (project.root / "out" / "volume.pdf").read_bytes()
        project.build("clean")
        assert after != before
        assert after == (project.root / "clean" / "volume.pdf").read_bytes()

    def test_a_font_changed_at_the_same_size_rebuilds_every_report(self, project: Project) -> None:
        """A bundled font whose bytes change but not its size renders every report again."""
        project.build("out")
        font = project.root / "report" / "styles" / "fonts" / "SourceSerif4-Regular.ttf"
        data = bytearray(font.read_bytes())
        head = data.index(b"head")  # the table directory's entry: tag, checksum, offset
        offset = int.from_bytes(data[head + 8 : head + 12], "big")
        data[offset + 8] ^= 0xFF  # the head table's checkSumAdjustment, read by no renderer
        font.write_bytes(bytes(data))
        assert font.stat().st_size == len(data)
        summary = project.build("out")
        assert summary.startswith("rendered 2 reports"), summary
