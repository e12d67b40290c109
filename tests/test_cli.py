"""The command line: exit codes, where messages go, and what `build` writes despite errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SAMPLE_SOURCES, Run, run_cli

from report.sources import load_sources

NOTICE = re.compile(
    r"^sources/codes/([0-9]{4}[0-9AFMTU])\.yaml:\d+:\d+: notice: (.+): (?:data not available|"
    r"as of \d{4}-\d\d-\d\d, more than 12 months before the effective date \d{4}-\d\d-\d\d)$"
)
BROKEN_CODE = 'code: 99999\nsystem: CPT\ntitle: "Broken on purpose"\n'
BROKEN_ERROR = (
    'sources/codes/99999.yaml:1:7: "code" must be text, not the number 99999; quote it: "99999"'
)


def located(line: str) -> tuple[str, int, int, str]:
    """Return a `path:line:column: message` line's sort key: its place, by number, then text."""
    path, number, column, message = line.split(":", 3)
    return path, int(number), int(column), message


@pytest.fixture(scope="module")
def sample_check() -> Run:
    """Run `check --sources sources` on the sample sources once."""
    return run_cli("check", "--sources", "sources")


class TestCheckFormats:
    """`check --format json` gives the same findings as data; `--strict` makes notices errors."""

    def test_json_lists_every_finding_with_its_place(
        self, sources_copy: Path, sample_check: Run
    ) -> None:
        (sources_copy / "codes" / "99999.yaml").write_text(BROKEN_CODE, encoding="utf-8")
        result = run_cli(
            "check", "--sources", "sources", "--format", "json", cwd=sources_copy.parent
        )
        assert result.code == 1 and result.stderr == ""
        report = json.loads(result.stdout)
        errors = [f for f in report["findings"] if f["severity"] == "error"]
        assert errors == [
            {
                "path": "sources/codes/99999.yaml",
                "line": 1,
                "column": 7,
                "severity": "error",
                "message": BROKEN_ERROR.split(": ", 1)[1],
            }
        ]
        notices = [f for f in report["findings"] if f["severity"] == "notice"]
        text = [line for line in sample_check.stderr.splitlines() if NOTICE.match(line)]
        assert [
            f"{f['path']}:{f['line']}:{f['column']}: notice: {f['message']}" for f in notices
        ] == text
        assert (report["errors"], report["notices"]) == (1, len(text))

    def test_strict_turns_notices_into_errors(self, sample_check: Run) -> None:
        result = run_cli("check", "--sources", "sources", "--strict")
        notices = [line for line in sample_check.stderr.splitlines() if NOTICE.match(line)]
        assert result.code == 1
        *lines, summary = result.stderr.splitlines()
        assert lines == [line.replace(": notice: ", ": ") for line in sorted(notices, key=located)]
        assert summary.endswith(f"; {len(notices)} errors")


class TestCheckSample:
    """`check` on the sample sources exits 0; missing data and old figures are located notices."""

    def test_sample_is_clean_with_notices(self, sample_check: Run) -> None:
        result = sample_check

        assert result.code == 0, result.stderr
        assert "Traceback" not in result.stderr
        *lines, summary = result.stderr.splitlines()
        assert lines, "the sparse sample code 55300 must give notices"
        assert [line for line in lines if not NOTICE.match(line)] == []
        assert summary == (
            f"{len(load_sources(SAMPLE_SOURCES).codes)} valid code sources; "
            f"0 errors, {len(lines)} notices"
        )

    def test_every_key_payer_without_an_entry_gets_a_notice(self, sample_check: Run) -> None:
        result = sample_check
        publication = load_sources(SAMPLE_SOURCES).publication
        assert publication is not None
        matches = [NOTICE.match(line) for line in result.stderr.splitlines()]
        notices_55300 = {m.group(2) for m in matches if m and m.group(1) == "55300"}
        # 55300.yaml has no payers mapping: every key payer is a missing row.
        for payer in publication.model.payers:
            assert f"Payer Coverage: {payer.name}" in notices_55300


class TestBuildWithABadFile:
    """`build` with one broken code file exits 1, names the error, and builds the rest."""

    def test_valid_reports_and_volume_still_written(self, cli, sources_copy: Path) -> None:
        (sources_copy / "codes" / "99999.yaml").write_text(BROKEN_CODE, encoding="utf-8")
        good = sorted(p.stem for p in SAMPLE_SOURCES.glob("codes/*.yaml"))
        work = sources_copy.parent

        result = cli("build", "--sources", "sources", "--out", "out", cwd=work)

        assert result.code == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert BROKEN_ERROR in result.stderr.splitlines()
        out = work / "out"
        for name in [f"{code}.pdf" for code in good] + ["volume.pdf"]:
            data = (out / name).read_bytes()
            assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:], name
        assert not (out / "99999.pdf").exists()
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        reports = sorted(f["code"] for f in manifest["files"] if f["kind"] == "report")
        assert reports == good
        visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
        assert visible == sorted([f"{code}.pdf" for code in good] + ["manifest.json", "volume.pdf"])


class TestUsageErrors:
    """A command line that asks for the impossible exits 2 with a message, not a traceback."""

    def test_unknown_format(self, cli, tmp_path: Path) -> None:
        result = cli(
            "build",
            "--sources",
            str(SAMPLE_SOURCES),
            "--out",
            "out",
            "--format",
            "pdf,docx",
            cwd=tmp_path,
        )

        assert result.code == 2
        assert "Traceback" not in result.stderr
        assert "unknown format docx; choose from pdf, html" in result.stderr
        assert not (tmp_path / "out").exists()

    def test_unknown_named_code(self, cli, tmp_path: Path) -> None:
        result = cli(
            "build", "12345", "--sources", str(SAMPLE_SOURCES), "--out", "out", cwd=tmp_path
        )

        assert result.code == 2
        assert "Traceback" not in result.stderr
        assert "no source for 12345" in result.stderr
        assert list(tmp_path.glob("out/*.pdf")) == []

    def test_missing_sources_folder(self, cli, tmp_path: Path) -> None:
        result = cli("check", "--sources", "nowhere", cwd=tmp_path)

        assert result.code == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[0] == "nowhere: the sources folder does not exist"


class TestHelp:
    """`python build.py --help` exits 0 and names both commands."""

    def test_help(self, cli) -> None:
        result = cli("--help")

        assert result.code == 0
        assert "Usage:" in result.stdout
        for command in ("build", "check"):
            assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command
