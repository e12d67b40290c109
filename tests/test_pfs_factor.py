"""From 2026 a release is two files, QPP and non-QPP: the figures say which factor they use."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, PFS_SAMPLE, pfs_lines
from in_process import hashes, run

from report.pfs.factor import named_factor
from report.pfs.plan import code_import
from report.pfs.reader import read_pfs
from report.sources import load_sources

RELEASES = FIXTURES / "pfs" / "2026"
MONTHS = {"Jan": 1, "Apr": 4, "Jul": 7, "Oct": 10}
FACTORS = {"QPP": ("QPP", "33.5675", "99.36"), "nonQPP": ("non-QPP", "33.4009", "98.87")}
FILES = [(month, kind) for month in MONTHS for kind in FACTORS]
UNNAMED = (
    "1: from 2026 each release comes as two files, QPP and non-QPP, that differ only in the "
    "conversion factor, and neither this file's name nor its title says which it is: keep "
    "CMS's name (PPRRVU2026_Jan_QPP.csv or PPRRVU2026_Jan_nonQPP.csv) or pass "
    "--conversion-factor qpp or non-qpp"
)


def unnamed(tmp_path: Path, name: str = "pprrvu.csv") -> Path:
    """Return a copy of the January 2026 non-QPP file under a name that says no factor."""
    path = tmp_path / name
    shutil.copyfile(RELEASES / "PPRRVU2026_Jan_nonQPP.csv", path)
    return path


def labels(csv: Path) -> dict[str, str]:
    """Return 74440's global figures, label to value, as the file gives them."""
    pfs = read_pfs(csv, csv.name)
    imported = code_import(pfs, "74440")
    assert imported is not None
    return {f.label: str(f.value) for f in imported.figures if f.component == "global"}


class TestReleases:
    """Each quarter's two files read: the release's quarter, and the factor the name says."""

    @pytest.mark.parametrize(("month", "kind"), FILES)
    def test_each_file(self, month: str, kind: str) -> None:
        path = RELEASES / f"PPRRVU2026_{month}_{kind}.csv"
        assert path.read_bytes().endswith(b"\r\n\x1a" + b"," * 30 + b"\r\n")
        pfs = read_pfs(path, path.name)
        factor, value, payment = FACTORS[kind]
        assert (pfs.factor, pfs.as_of) == (factor, dt.date(2026, MONTHS[month], 1))
        assert pfs.rows["74440"][""].conversion_factor == Decimal(value)
        assert pfs.described.endswith(f", released {pfs.released} ({factor} conversion factor)")
        figures = labels(path)
        assert figures[f"Conversion factor ({factor})"] == value
        assert (
            figures[
                "National unadjusted non-facility payment (computed: 2.96 total RVU × "
                f"${value} {factor} conversion factor)"
            ]
            == payment
        )

    def test_before_2026_one_factor_and_the_labels_as_they_were(self) -> None:
        pfs = read_pfs(PFS_SAMPLE, "PPRRVU22_JAN.csv")
        assert pfs.factor is None and pfs.described == pfs.source
        figures = labels(PFS_SAMPLE)
        assert figures["Conversion factor"] == "34.6062"
        assert "National unadjusted non-facility payment (computed: 2.96 total RVU × $34.6062)" in (
            figures
        )

    @pytest.mark.parametrize(
        ("name", "factor"),
        [
            ("PPRRVU2026_Jan_QPP.csv", "QPP"),
            ("PPRRVU2026_Jan_nonQPP.csv", "non-QPP"),
            ("pprrvu2026_oct_nonqpp.CSV", "non-QPP"),
            ("PPRRVU2026-Apr-non-QPP.csv", "non-QPP"),
            ("rvu26a/PPRRVU2026_Jul_QPP.csv", "QPP"),
            ("PPRRVU2026_Jan.csv", None),
            ("PPRRVU2026_Jan_QPPX.csv", None),
            ("PPRRVU2026_QPP_nonQPP.csv", None),
            ("QPP/PPRRVU2026_Jan.csv", None),
        ],
    )
    def test_what_a_name_says(self, name: str, factor: str | None) -> None:
        assert named_factor(name) == factor


class TestNeitherNameNorOption:
    """A 2026 file whose name says no factor is refused, located, unless the option says."""

    def test_refused_and_nothing_written(self, sources_copy: Path, tmp_path: Path) -> None:
        csv = unnamed(tmp_path)
        before = hashes(sources_copy)
        result = run("import-pfs", str(csv), "--sources", str(sources_copy))
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr.splitlines() == [f"{csv}:{UNNAMED}"]
        assert hashes(sources_copy) == before

    def test_refused_with_every_other_problem(self, tmp_path: Path) -> None:
        csv = unnamed(tmp_path)
        lines = csv.read_bytes().split(b"\r\n")
        lines[17] = lines[17].replace(b",0.38,", b",0.3B,", 1)
        csv.write_bytes(b"\r\n".join(lines))
        result = run("import-pfs", str(csv), "--sources", "nowhere")
        assert result.stderr.splitlines() == [
            f"{csv}:{UNNAMED}",
            f'{csv}:18: WORK RVU is "0.3B", not a number',
        ]

    @pytest.mark.parametrize(("option", "factor"), [("qpp", "QPP"), ("NON-QPP", "non-QPP")])
    def test_the_option_says(
        self, sources_copy: Path, tmp_path: Path, option: str, factor: str
    ) -> None:
        csv = unnamed(tmp_path)
        result = run(
            "import-pfs", str(csv), "--sources", str(sources_copy), "--conversion-factor", option
        )
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith(
            "2026 National Physician Fee Schedule Relative Value File January Release, "
            f"released 12/01/2025 ({factor} conversion factor): 2 updated"
        )
        (code,) = [c for c in load_sources(sources_copy).codes if c.code == "74440"]
        assert f"Conversion factor ({factor})" in [b.label for b in code.model.benchmarks or []]

    def test_option_and_name_that_disagree(self, tmp_path: Path) -> None:
        csv = unnamed(tmp_path, "PPRRVU2026_Jan_QPP.csv")
        result = run("import-pfs", str(csv), "--conversion-factor", "non-qpp")
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"{csv}: the file's name says it holds the QPP conversion factor, but "
            "--conversion-factor says non-qpp; leave the option out, or check which file this is",
            "see docs/reference/cli.md#import-pfs",
        ]

    @pytest.mark.parametrize(
        ("name", "option", "said"),
        [
            ("PPRRVU22_JAN.csv", "qpp", "--conversion-factor says QPP"),
            ("PPRRVU22_JAN_nonQPP.csv", None, "the file's name says non-QPP"),
        ],
    )
    def test_a_file_before_2026_has_one_factor(
        self, tmp_path: Path, name: str, option: str | None, said: str
    ) -> None:
        csv = tmp_path / name
        csv.write_bytes(b"\r\n".join(pfs_lines()))
        result = run("import-pfs", str(csv), *(["--conversion-factor", option] if option else []))
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"{csv}:1: a 2022 relative value file has one conversion factor, for every "
            f"clinician, but {said}; QPP and non-QPP files begin in 2026"
        ]


class TestSwitchingFiles:
    """Importing the other file of a release replaces the factor and the payments."""

    def test_qpp_then_non_qpp(self, sources_copy: Path) -> None:
        for kind in ("QPP", "nonQPP"):
            csv = RELEASES / f"PPRRVU2026_Jan_{kind}.csv"
            result = run("import-pfs", str(csv), "74440", "--sources", str(sources_copy))
            assert result.exit_code == 0, result.output
        lines = run(
            "import-pfs",
            str(RELEASES / "PPRRVU2026_Jan_QPP.csv"),
            "74440",
            "--sources",
            str(sources_copy),
            "--dry-run",
        ).stdout.splitlines()
        assert "  + global: Conversion factor (QPP) 33.5675 USD" in lines
        assert "  - global: Conversion factor (non-QPP) 33.4009 USD" in lines
        (code,) = [c for c in load_sources(sources_copy).codes if c.code == "74440"]
        computed = [b.label for b in code.model.benchmarks or [] if "computed" in b.label]
        assert computed and all(label.endswith("non-QPP conversion factor)") for label in computed)
