"""Incremental builds: only what changed is rendered, and a no-op rebuild renders nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pypdf
import pytest
from conftest import SAMPLE_SOURCES

import report.cache as cache
import report.pipeline as pipeline
from report.assemble import publication_info
from report.pipeline import BuildOptions, BuildResult, build
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
    """Build again with the given options."""
    return build(sources, out, BuildOptions(jobs=2, **options), log=quiet)  # type: ignore[arg-type]


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
        real = pipeline.load_code
        monkeypatch.setattr(
            pipeline, "load_code", lambda file, *a: parsed.append(file) or real(file, *a)
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

    def test_volume_written_meanwhile_is_the_volume_written_afresh(
        self, built, tmp_path: Path
    ) -> None:
        """The volume placed from the cache while a report renders has the bytes of one
        written from the report PDFs alone, without any cache."""
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
        info = publication_info(load_sources(sources).publication)
        entries = [
            VolumeEntry(
                code, heading, out / f"{code}.pdf", len(pypdf.PdfReader(out / f"{code}.pdf").pages)
            )
            for code, heading in volume_headings(sources)
        ]
        write_volume(info, entries, fresh)
        assert fresh.read_bytes() == (out / "volume.pdf").read_bytes()
        assert "Revised: " in pypdf.PdfReader(fresh).pages[2].extract_text()

    def test_an_output_replaced_at_the_same_size_is_rebuilt(self, built) -> None:
        """A PDF replaced since the index was saved (a build killed before saving it) is
        rendered again, even when the bytes that replaced it have the same size."""
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

    def test_changed_stylesheet_rebuilds_all(self, built, monkeypatch: pytest.MonkeyPatch) -> None:
        """A different templates/styles/fonts hash renders every report again."""
        sources, out, _ = built
        monkeypatch.setattr(pipeline, "environment_hash", lambda: "styles changed")
        again = rebuild(sources, out)
        assert sorted(again.rendered) == ["55300", "74440"] and again.volume_built

    def test_what_shapes_output_is_hashed_and_preview_files_are_not(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The print stylesheet changes the environment hash; the preview's stylesheet not."""
        package = tmp_path / "report"
        shutil.copytree(cache.PACKAGE_DIR / "templates", package / "templates")
        shutil.copytree(
            cache.PACKAGE_DIR.parent / "styles",
            tmp_path / "styles",
            ignore=shutil.ignore_patterns("fonts"),
        )
        monkeypatch.setattr(cache, "PACKAGE_DIR", package)
        monkeypatch.setattr(cache, "SHAPING_DIRS", (package / "templates", tmp_path / "styles"))
        digest = cache.environment_hash.__wrapped__
        before = digest()
        for name in (
            "styles/screen.css",
            "report/templates/preview-page.html.j2",
            "report/templates/code.yaml.j2",
        ):
            (tmp_path / name).write_text("/* changed */", encoding="utf-8")
        assert digest() == before
        (tmp_path / "styles" / "report.css").write_text("/* changed */", encoding="utf-8")
        assert digest() != before

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
        real = pipeline.load_code
        monkeypatch.setattr(
            pipeline, "load_code", lambda file, *a: parsed.append(file.stem) or real(file, *a)
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
        real = pipeline.load_code
        monkeypatch.setattr(
            pipeline, "load_code", lambda file, *a: parsed.append(file.stem) or real(file, *a)
        )
        second = build(sources, tmp_path / "out", BuildOptions(codes=["74440"]), log=quiet)
        assert [str(e) for e in second.errors] == [str(e) for e in first.errors]
        assert any("quote it" in str(e) for e in second.errors)
        assert parsed == []
