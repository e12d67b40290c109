"""A benchmark as of more than 12 months before the effective date: a notice, and its date shown."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_SOURCES

from report.assemble import assemble, stale_cutoff
from report.cli import main
from report.render.html import report_html
from report.sources import load_sources

CODE = """code: "74440"
system: CPT
title: "T"
benchmarks:
  - label: "Work RVU"
    value: 0.38
    unit: RVU
    source: "S"
    as_of: {old}
  - label: "Hand count"
    value: 3.00
    unit: films
    component: "26"
    source: "Log"
    as_of: {new}
"""


def sources_with(sources_copy: Path, effective: str, old: str, new: str) -> Path:
    """Return the sample sources with one code whose two figures are as of old and new."""
    publication = sources_copy / "publication.yaml"
    text = publication.read_text(encoding="utf-8")
    publication.write_text(
        re.sub(r"(?m)^effective_date: .*$", f"effective_date: {effective}", text),
        encoding="utf-8",
    )
    for path in (sources_copy / "codes").glob("*.yaml"):
        path.unlink()
    (sources_copy / "codes" / "74440.yaml").write_text(
        CODE.format(old=old, new=new), encoding="utf-8"
    )
    return sources_copy


def check_notices(sources: Path) -> list[str]:
    """Return the stale-figure notices `check` prints for sources."""
    result = CliRunner().invoke(main, ["check", "--sources", str(sources)])
    assert result.exit_code == 0, result.output
    return [line for line in result.stderr.splitlines() if "months before" in line]


class TestCutoff:
    """Twelve months before the effective date, a day earlier is stale; February 29 too."""

    @pytest.mark.parametrize(
        ("effective", "cutoff"),
        [
            (dt.date(2026, 11, 1), dt.date(2025, 11, 1)),
            (dt.date(2026, 1, 1), dt.date(2025, 1, 1)),
            (dt.date(2028, 2, 29), dt.date(2027, 2, 28)),
            (dt.date(1, 1, 1), dt.date.min),
        ],
    )
    def test_cutoff(self, effective: dt.date, cutoff: dt.date) -> None:
        assert stale_cutoff(effective) == cutoff


class TestCheckNotice:
    """`check` gives a notice located at each stale figure's as_of, and none for the others."""

    @pytest.mark.parametrize(
        ("effective", "old", "stale"),
        [
            ("2026-11-01", "2025-10-31", True),
            ("2026-11-01", "2025-11-01", False),
            ("2026-11-01", "2022-01-01", True),
            ("2028-02-29", "2027-02-27", True),
            ("2028-02-29", "2027-02-28", False),
        ],
    )
    def test_boundary(self, sources_copy: Path, effective: str, old: str, stale: bool) -> None:
        sources = sources_with(sources_copy, effective, old, effective)
        expected = (
            f"{sources}/codes/74440.yaml:9:12: notice: Benchmarks: Work RVU (global): as of "
            f"{old}, more than 12 months before the effective date {effective}"
        )
        assert check_notices(sources) == ([expected] if stale else [])

    def test_every_stale_figure_of_the_sample(self) -> None:
        lines = check_notices(SAMPLE_SOURCES)
        codes = load_sources(SAMPLE_SOURCES).codes
        assert len(lines) == sum(len(c.model.benchmarks or []) for c in codes) == 22
        assert all(
            line.endswith(
                ": as of 2022-01-01, more than 12 months before the effective date 2026-11-01"
            )
            for line in lines
        )

    def test_strict_makes_them_errors(self, sources_copy: Path) -> None:
        sources = sources_with(sources_copy, "2026-11-01", "2022-01-01", "2026-10-01")
        result = CliRunner().invoke(main, ["check", "--sources", str(sources), "--strict"])
        assert result.exit_code == 1
        assert (
            f"{sources}/codes/74440.yaml:9:12: Benchmarks: Work RVU (global): as of 2022-01-01, "
            "more than 12 months before the effective date 2026-11-01"
        ) in result.stderr.splitlines()


class TestReportShowsTheDate:
    """The report prints a stale figure's as-of date beside its label, and no other's."""

    def test_row_labels(self, sources_copy: Path) -> None:
        sources = sources_with(sources_copy, "2026-11-01", "2022-01-01", "2026-10-01")
        loaded = load_sources(sources)
        assert loaded.publication is not None
        report = assemble(loaded.codes[0], loaded.publication)
        assert [(row.figure.label, row.stale) for g in report.benchmarks for row in g.rows] == [
            ("Work RVU", True),
            ("Hand count", False),
        ]
        html = report_html(report)
        assert (
            '<th scope="row">Work RVU <span class="as-of">(as of January 1, 2022)</span></th>'
            in html
        )
        assert '<th scope="row">Hand count</th>' in html
        assert html.count('class="as-of"') == 1
