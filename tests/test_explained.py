"""Benchmarks and Payer coverage explain themselves to clinicians and billers, read from PDFs.

The status-C case is imported from `tests/fixtures/pfs/pprrvu22-74445.csv` (the 2022
sample's rows of 74445: global and TC status C, 26 status A) into a sparse source; the
sparse payer case is the sample 74440 with two of the five key payers filled in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, SAMPLE_SOURCES
from test_design import figures_of
from test_pdf import sections, squash

from report.pfs.plan import code_import
from report.pfs.reader import read_pfs

STATUS_C = FIXTURES / "pfs" / "pprrvu22-74445.csv"
SAMPLE_FILE = FIXTURES / "pfs" / "pprrvu22-sample.csv"
MAC = (
    "No national figures. Medicare Administrative Contractors (MACs) price this code claim "
    "by claim: ask the MAC that processes the claim for the amount."
)
OWN_POLICY = "each payer\u2019s own coverage policy for the member\u2019s plan"
MCD = "https://www.cms.gov/medicare-coverage-database/"


def link_targets(path: Path) -> set[str]:
    """Return the URI of every link annotation of a PDF."""
    with pikepdf.open(path) as pdf:
        return {
            str(annot.A.URI)
            for page in pdf.pages
            for annot in page.get("/Annots", [])
            if "/A" in annot and "/URI" in annot.A
        }


@pytest.fixture(scope="module")
def status_c(tmp_path_factory: pytest.TempPathFactory, cli) -> Path:
    """Import 74445 from the status-C file into a new source, build it; return its PDF."""
    root = tmp_path_factory.mktemp("status-c")
    (root / "sources" / "codes").mkdir(parents=True)
    shutil.copy(SAMPLE_SOURCES / "publication.yaml", root / "sources")
    sources, out = str(root / "sources"), str(root / "out")
    imported = cli("import-pfs", str(STATUS_C), "74445", "--create", "--sources", sources)
    assert imported.code == 0, imported.stderr
    built = cli("build", "--sources", sources, "--out", out)
    assert built.code == 0, built.stderr
    return root / "out" / "74445.pdf"


@pytest.fixture(scope="module")
def sparse_payers(tmp_path_factory: pytest.TempPathFactory, cli) -> Path:
    """Build the sample with Medicare and Aetna filled in for 74440; return its PDF."""
    root = tmp_path_factory.mktemp("sparse-payers")
    shutil.copytree(SAMPLE_SOURCES, root / "sources")
    source = root / "sources" / "codes" / "74440.yaml"
    text = source.read_text(encoding="utf-8")
    payers = (
        "payers:\n"
        "  medicare:\n"
        '    coverage: "Covered when reasonable and necessary."\n'
        "    last_reviewed: 2026-10-15\n"
        "  aetna:\n"
        '    prior_authorization: "Not required."\n\n'
    )
    source.write_text(text.replace("related_codes:", payers + "related_codes:", 1), "utf-8")
    built = cli("build", "74440", "--sources", str(root / "sources"), "--out", str(root / "out"))
    assert built.code == 0, built.stderr
    return root / "out" / "74440.pdf"


class TestComponentStatusImport:
    """The importer keeps each component row's status: the 26 and TC rows' beside the global."""

    @pytest.mark.parametrize(
        ("code", "statuses"),
        [
            ("74445", {"status": "C", "status_26": "A", "status_tc": "C"}),
            ("74440", {"status": "A", "status_26": "A", "status_tc": "A"}),
            ("55300", {"status": "A"}),  # no 26 or TC rows: no component statuses
        ],
    )
    def test_statuses(self, code: str, statuses: dict[str, str]) -> None:
        indicators = code_import(read_pfs(SAMPLE_FILE, "pprrvu.csv"), code)
        assert indicators is not None
        kept = {k: v for k, v in indicators.indicators.items() if k.startswith("status")}
        assert kept == statuses


class TestStatusC:
    """A carrier-priced code's Benchmarks say so in place of its global and TC figures."""

    @pytest.mark.parametrize(
        "expected",
        [
            f"Global Status C: carriers price the code {MAC}",
            f"Technical component (modifier TC) Status C: carriers price the code {MAC}",
            "Professional component (modifier 26) Status A: active code, paid separately "
            "under the physician fee schedule Work RVU (as of January 1, 2022) 1.14 RVU [1]",
            "National unadjusted payment (computed: 1.57 total RVU × $34.6062) "
            "(as of January 1, 2022) $54.33 [2]",
            "Medicare Physician Fee Schedule, 2022",
        ],
    )
    def test_benchmarks_say(self, status_c: Path, expected: str) -> None:
        assert expected in squash(sections(status_c)["Benchmarks"])

    def test_no_chart_of_one_bar(self, status_c: Path) -> None:
        assert figures_of(status_c) == []


class TestBenchmarksExplained:
    """74440's Benchmarks say what the figures are, their year, and print money once."""

    @pytest.mark.parametrize(
        "expected",
        [
            "Medicare\u2019s national unadjusted payment is the total RVU × the conversion factor "
            "(dollars per RVU): its national amount before the locality (GPCI) adjustment, "
            "not what other payers pay.",
            "Medicare Physician Fee Schedule, 2022 Benchmark Value Unit Source Global",
            "Conversion factor (as of January 1, 2022) $34.6062 [1]",
        ],
    )
    def test_benchmarks_say(self, sample_build: Path, expected: str) -> None:
        assert expected in squash(sections(sample_build / "74440.pdf")["Benchmarks"])

    def test_no_dollar_figure_carries_a_unit(self, sample_build: Path) -> None:
        assert "USD" not in sections(sample_build / "74440.pdf")["Benchmarks"]


class TestPayerCoverage:
    """Payers with data get a row with where to check; the rest are named in one line."""

    @pytest.mark.parametrize(
        "expected",
        [
            "Aetna Not available in this edition. Not required. Not available in this edition. "
            "Where to check: the payer\u2019s own coverage policy for the member\u2019s plan.",
            "Medicare Last reviewed October 15, 2026 Covered when reasonable and necessary. "
            "Not available in this edition. Not available in this edition. Where to check: "
            "Medicare Coverage Database (national and local coverage determinations).",
            "No coverage information in this edition for: Blue Cross Blue Shield, Cigna "
            f"Health, UnitedHealthcare. Where to check: for Blue Cross Blue Shield, Cigna "
            f"Health, UnitedHealthcare, {OWN_POLICY}.",
        ],
    )
    def test_rows_and_line(self, sparse_payers: Path, expected: str) -> None:
        coverage = squash(sections(sparse_payers)["Payer Coverage"])
        assert expected in coverage, coverage
        assert "Data not available in the source." not in coverage

    def test_no_payer_data_keeps_the_section_note(self, sample_build: Path) -> None:
        """With no payer data the section still says so, names them all and where to check."""
        coverage = squash(sections(sample_build / "74440.pdf")["Payer Coverage"])
        assert coverage == (
            "Data not available in the source. No coverage information in this edition for: "
            "Aetna, Blue Cross Blue Shield, Cigna Health, UnitedHealthcare, Medicare. Where "
            "to check: for Medicare, Medicare Coverage Database (national and local coverage "
            f"determinations); for Aetna, Blue Cross Blue Shield, Cigna Health, "
            f"UnitedHealthcare, {OWN_POLICY}."
        )

    def test_lookup_is_a_link(self, sparse_payers: Path) -> None:
        assert MCD in link_targets(sparse_payers)
