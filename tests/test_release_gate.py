"""The release gate: what `release` refuses, warns of and notes, where releases live, dates.

The refusals are made on a scratch copy of the sample sources and stop before the build,
so they take well under a second each; the releases that go through reuse the session's
(`releases` in conftest.py) where they can.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import NEXT_RELEASE, RELEASE, Releases, run_cli

from report.errors import ReleaseError, UsageError
from report.release.changes import clip, show
from report.release.command import release_date
from report.release.snapshot import Snapshot

STALE = "more than 12 months before the effective date 2026-11-01"
PLACEHOLDER = (
    'sources/codes/74450.yaml:25:8: title: still "Title to be written", as new wrote it: '
    "write the title before releasing the report"
)
EMPTY = (
    "sources/codes/74450.yaml:1:1: no data in any section: only the code, system and title "
    "are written; a release needs at least one section filled in"
)


def release(cwd: Path, *args: str) -> tuple[int, list[str]]:
    """Run `release` in cwd; return its exit code and its lines on standard error."""
    result = run_cli("release", *args, cwd=cwd)
    return result.code, result.stderr.splitlines()


class TestRefusals:
    """Each refusal is located, all are given at once, and nothing is written."""

    def test_placeholder_title_and_empty_report(self, sources_copy: Path) -> None:
        assert run_cli("new", "74450", "--sources", "sources", cwd=sources_copy.parent).code == 0
        code, lines = release(sources_copy.parent, "9.0.0", "--sources", "sources", "--out", "out")
        assert code == 1
        assert lines == [EMPTY, PLACEHOLDER, "release 9.0.0 refused: 2 reasons; nothing written"]
        assert not (sources_copy.parent / "out").exists()

    def test_strict_refuses_every_warning(self, sources_copy: Path) -> None:
        code, lines = release(
            sources_copy.parent, "9.0.0", "--sources", "sources", "--out", "out", "--strict"
        )
        assert code == 1
        assert lines[0] == (
            "sources/codes/55300.yaml:31:12: Benchmarks: Work RVU (global): as of 2022-01-01, "
            f"{STALE} (--strict refuses every warning)"
        )
        assert all(line.endswith("(--strict refuses every warning)") for line in lines[:-1])
        assert lines[-1] == "release 9.0.0 refused: 22 reasons; nothing written"
        assert not (sources_copy.parent / "out").exists()

    def test_unchanged_since_the_previous_release(self, releases: Releases, tmp_path: Path) -> None:
        shutil.copytree(releases.changed, tmp_path / "out" / NEXT_RELEASE)
        args = ("9.9.11", "--sources", str(releases.changed_sources), "--out", "out")
        code, lines = release(tmp_path, *args)
        assert code == 1
        assert lines == [
            f"out/{NEXT_RELEASE}/snapshot.json:1:1: release 9.9.11 would be the same as release "
            f"{NEXT_RELEASE}: the same sources, publication, builder version, PDF variant and "
            "engine; nothing changed since, so nothing is released (pass --allow-unchanged to "
            "release it anyway)",
            "release 9.9.11 refused: 1 reason; nothing written",
        ]
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [NEXT_RELEASE]


class TestUsage:
    """A malformed date or releases folder is refused with its exact message."""

    @pytest.mark.parametrize(
        "given, epoch, message",
        [
            ("2026-13-01", None, '--date "2026-13-01" is not a date written YYYY-MM-DD, such as '),
            ("2026-1-1", None, '--date "2026-1-1" is not a date written YYYY-MM-DD, such as '),
            (None, "x", 'SOURCE_DATE_EPOCH "x" is not a time in seconds since 1970 (UTC)'),
        ],
    )
    def test_bad_date(self, given: str | None, epoch: str | None, message: str) -> None:
        with pytest.raises(UsageError) as caught:
            release_date(given, epoch)
        assert str(caught.value).startswith(message)

    @pytest.mark.parametrize(
        "given, epoch, date",
        [
            ("2026-12-02", "0", dt.date(2026, 12, 2)),
            (None, "1796169600", dt.date(2026, 12, 2)),
        ],
    )
    def test_declared_date(self, given: str | None, epoch: str | None, date: dt.date) -> None:
        assert release_date(given, epoch) == date

    def test_absolute_releases_folder(self, sources_copy: Path) -> None:
        publication = sources_copy / "publication.yaml"
        text = publication.read_text(encoding="utf-8")
        publication.write_text(text.replace("audience:", "releases: /srv\naudience:"), "utf-8")
        code, lines = release(sources_copy.parent, "1.0.0", "--sources", "sources")
        assert code == 1
        assert lines == [
            'sources/publication.yaml:7:11: "/srv" must be a folder path relative to the '
            "sources' parent folder, written with /, such as releases"
        ]


class TestWhereReleasesLive:
    """publication.yaml's releases: names the folder; a first release there says so."""

    def test_releases_setting_and_first_release(self, sources_copy: Path) -> None:
        publication = sources_copy / "publication.yaml"
        text = publication.read_text(encoding="utf-8")
        publication.write_text(text.replace("audience:", "releases: archive/x\naudience:"), "utf-8")
        code, lines = release(sources_copy.parent, "1.0.0", "--sources", "sources")
        assert code == 0, lines
        assert lines[-3:] == [
            "first release in archive/x: no earlier release found there; the history starts here",
            "WARNING: 22 figures are as of more than 12 months before the effective date (listed "
            "above; recorded in manifest.json and CHANGES.md; --strict refuses them)",
            "released 1.0.0 to archive/x/1.0.0: first release, 2 reports; 0 errors, "
            "22 warnings, 23 notices",
        ]
        assert (
            "sources/codes/74440.yaml:1:1: notice: References: References: data not available"
            in lines
        )
        assert (sources_copy.parent / "archive" / "x" / "1.0.0" / "CHANGES.md").is_file()


class TestRecorded:
    """The warnings and the date are recorded in manifest.json and snapshot.json."""

    def test_manifest_warnings_and_date(self, releases: Releases) -> None:
        manifest = json.loads((releases.changed / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["date"] == "2026-12-02"
        assert len(manifest["warnings"]) == 22
        assert manifest["warnings"][0] == {
            "path": "codes/55300.yaml",
            "line": 31,
            "column": 12,
            "message": f"Benchmarks: Work RVU (global): as of 2022-01-01, {STALE}",
        }

    def test_snapshot_dates(self, releases: Releases) -> None:
        snapshot = json.loads((releases.changed / "snapshot.json").read_text(encoding="utf-8"))
        assert (snapshot["format"], snapshot["date"]) == (2, "2026-12-02")
        assert [(r["version"], r["date"]) for r in snapshot["history"]["74440"]] == [
            (NEXT_RELEASE, "2026-12-02"),
            (RELEASE, "2026-12-01"),
        ]

    def test_format_1_snapshot_is_still_read(self, releases: Releases) -> None:
        """A snapshot of a release made before dates reads, its revisions undated."""
        raw = json.loads((releases.first / "snapshot.json").read_text(encoding="utf-8"))
        raw["format"] = 1
        del raw["date"]
        for revisions in raw["history"].values():
            for revision in revisions:
                del revision["date"]
        snapshot = Snapshot.loads(json.dumps(raw).encode(), "snapshot.json")
        assert snapshot.date is None
        assert snapshot.history["74440"][0].date is None

    def test_format_2_needs_a_date(self, releases: Releases) -> None:
        raw = json.loads((releases.first / "snapshot.json").read_text(encoding="utf-8"))
        raw["date"] = None
        with pytest.raises(ReleaseError) as caught:
            Snapshot.loads(json.dumps(raw).encode(), "snapshot.json")
        assert [str(f) for f in caught.value.findings] == [
            'snapshot.json:1:1: "date" must be a date, YYYY-MM-DD, not null'
        ]


class TestWordBoundaries:
    """History text is cut between words, never inside one, and ends with an ellipsis."""

    @pytest.mark.parametrize(
        "text, limit, cut",
        [
            ("results were not conclusive at all", 26, "results were not…"),
            ("results were not conclusive", 27, "results were not conclusive"),
            ("one, two three", 6, "one…"),
            ("unbreakable", 4, "unbr…"),
        ],
    )
    def test_clip(self, text: str, limit: int, cut: str) -> None:
        assert clip(text, limit) == cut

    def test_long_value_is_cut_at_a_word(self) -> None:
        shown = show("word " * 40 + "conclusive")
        assert shown == "“" + ("word " * 24).strip() + "…”"
