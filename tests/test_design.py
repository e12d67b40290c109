"""Print design: the benchmarks chart, the page size and the empty-report layout."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES
from pypdf import PdfReader
from qpdf import qpdf_check

from report.figures import BenchmarkGroup, BenchmarkRow, RvuChart, rvu_chart
from report.sources.models import Benchmark

MINIMAL = FIXTURES / "valid" / "minimal"
LETTER = (612, 792)
A4 = (595, 842)


def figure(label: str, value: float, unit: str = "RVU") -> BenchmarkRow:
    """Return one benchmark row with a fixed source."""
    return BenchmarkRow(
        Benchmark(label=label, value=value, unit=unit, source="CMS", as_of=dt.date(2022, 1, 1)), 1
    )


# A second component to chart beside the group under test: a chart needs two bars.
OTHER = BenchmarkGroup(
    "TC", "Technical component (modifier TC)", (figure("Work RVU", 0.0), figure("PE RVU", 2.4))
)


def chart_of(group: BenchmarkGroup) -> RvuChart:
    """Return the chart of a group beside OTHER: the group's bar comes first."""
    chart = rvu_chart((group, OTHER))
    assert chart is not None
    return chart


def figures_of(path: Path) -> list[str]:
    """Return the Alt text of every Figure in a PDF's structure tree."""
    found: list[str] = []
    with pikepdf.open(path) as pdf:
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            elif isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure":
                    found.append(str(node.get("/Alt", "")))
                if "/K" in node:
                    stack.append(node.K)
    return found


@pytest.fixture(scope="module")
def empty_a4(tmp_path_factory: pytest.TempPathFactory, cli) -> Path:
    """Build a report with every section empty, on A4 paper, and return its output folder."""
    root = tmp_path_factory.mktemp("empty")
    shutil.copytree(MINIMAL, root / "sources")
    publication = root / "sources" / "publication.yaml"
    publication.write_text(
        publication.read_text(encoding="utf-8") + "page_size: A4\n", encoding="utf-8"
    )
    result = cli("build", "--sources", str(root / "sources"), "--out", str(root / "out"))
    assert result.code == 0, result.stderr
    qpdf_check(root / "out" / "volume.pdf")
    return root / "out"


class TestRvuChart:
    """A chart is drawn only when a component has at least two RVU parts to stack."""

    def test_parts_exclude_totals_and_other_units(self) -> None:
        """Totals and dollar figures are left out of the bars."""
        group = BenchmarkGroup(
            "global",
            "Global",
            (
                figure("Work RVU", 0.38),
                figure("Practice expense RVU", 2.56),
                figure("Total RVU", 2.94),
                figure("Conversion factor", 34.6, "USD"),
            ),
        )
        chart = chart_of(group)
        assert chart.bars[0].parts == (("Work RVU", 0.38), ("Practice expense RVU", 2.56))
        assert chart.bars[0].total == 2.94

    def test_a_bar_stacks_one_setting(self) -> None:
        """Where both settings are given, the bar stacks the non-facility ones, not both."""
        group = BenchmarkGroup(
            "global",
            "Global",
            (
                figure("Work RVU", 1.30),
                figure("Non-facility practice expense RVU", 1.26),
                figure("Facility practice expense RVU", 0.55),
                figure("Malpractice RVU", 0.10),
                figure("Total non-facility RVU", 2.66),
                figure("Total facility RVU", 1.95),
            ),
        )
        bar = chart_of(group).bars[0]
        assert [label for label, _ in bar.parts] == [
            "Work RVU",
            "Non-facility practice expense RVU",
            "Malpractice RVU",
        ]
        assert bar.total == 2.66

    def test_a_single_setting_is_stacked_whichever_it_is(self) -> None:
        """A facility-only code (non-facility NA) stacks its facility practice expense."""
        group = BenchmarkGroup(
            "global",
            "Global",
            (
                figure("Work RVU", 3.50),
                figure("Facility practice expense RVU", 1.50),
                figure("Malpractice RVU", 0.41),
            ),
        )
        assert chart_of(group).bars[0].total == 5.41

    def test_a_single_part_makes_no_chart(self) -> None:
        """One figure per component is not a chart."""
        group = BenchmarkGroup(
            "global", "Global", (figure("Work RVU", 3.5), figure("Total RVU", 3.5))
        )
        assert rvu_chart((group, OTHER)) is None  # OTHER's bar alone is left: no chart

    def test_a_single_bar_makes_no_chart(self) -> None:
        """A chart of one bar compares nothing the table does not show: none is drawn."""
        assert rvu_chart((OTHER,)) is None

    def test_alternative_text_names_every_figure(self) -> None:
        """The text alternative carries every value the chart draws."""
        group = BenchmarkGroup(
            "26",
            "Professional component (modifier 26)",
            (
                figure("Work RVU", 0.38),
                figure("Practice expense RVU", 0.13),
                figure("Malpractice RVU", 0.01),
            ),
        )
        text = chart_of(group).description
        for part in (
            "Work RVU 0.38",
            "Practice expense RVU 0.13",
            "Malpractice RVU 0.01",
            "sum 0.52",
        ):
            assert part in text


class TestChartInPdf:
    """The chart is a tagged Figure with Alt text when figures allow, and absent otherwise."""

    def test_report_with_figures_has_one_figure_with_alt(self, sample_build: Path) -> None:
        """74440's chart is one Figure whose Alt gives its values."""
        alts = figures_of(sample_build / "74440.pdf")
        assert len(alts) == 1
        assert "Work RVU 0.38" in alts[0] and "Non-facility practice expense RVU 2.43" in alts[0]

    def test_report_with_one_component_has_no_figure(self, sample_build: Path) -> None:
        """55300's figures are of the global component only: one bar, so no chart."""
        assert figures_of(sample_build / "55300.pdf") == []

    def test_report_without_figures_has_no_figure(self, empty_a4: Path) -> None:
        """A report with no benchmarks has no chart and no empty frame."""
        assert figures_of(empty_a4 / "74440.pdf") == []


class TestPageSize:
    """Letter paper by default; A4 when publication.yaml says page_size: A4."""

    @staticmethod
    def sizes(path: Path) -> set[tuple[int, int]]:
        with pikepdf.open(path) as pdf:
            return {(round(float(p.mediabox[2])), round(float(p.mediabox[3]))) for p in pdf.pages}

    def test_default_is_letter(self, sample_build: Path) -> None:
        """The sample publication sets no page size and prints on Letter."""
        assert self.sizes(sample_build / "74440.pdf") == {LETTER}
        assert self.sizes(sample_build / "volume.pdf") == {LETTER}

    def test_a4_is_selectable(self, empty_a4: Path) -> None:
        """page_size: A4 gives A4 pages in reports and volume."""
        assert self.sizes(empty_a4 / "74440.pdf") == {A4}
        assert self.sizes(empty_a4 / "volume.pdf") == {A4}


LONG_CODE = (
    "N46.01, N46.021, N46.022, N46.023, N46.024, N46.025, N46.029, N46.11, N46.121, "
    "N46.122, N46.123, N46.124, N46.125, N46.129"
)


def right_edges(path: Path, page_index: int) -> list[tuple[float, str]]:
    """Return (x where each text run starts, its text) for one page, in PDF points."""
    found: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            found.append((cm[4] + tm[4] * cm[0], text))

    PdfReader(path).pages[page_index].extract_text(visitor_text=visit)
    return found


class TestLongDiagnosisCode:
    """A diagnosis code written as long text wraps inside its column instead of leaving the page."""

    def test_wraps_within_the_page(self, tmp_path: Path, cli) -> None:
        sources = tmp_path / "sources"
        shutil.copytree(FIXTURES / "valid" / "full", sources)
        source = sources / "codes" / "J1234.yaml"
        text = source.read_text(encoding="utf-8")
        source.write_text(
            text.replace('  - code: "N46.01"', f'  - code: "{LONG_CODE}"'), encoding="utf-8"
        )
        result = cli("build", "J1234", "--sources", str(sources), "--out", str(tmp_path / "out"))
        assert result.code == 0, result.stderr
        path = tmp_path / "out" / "J1234.pdf"
        reader = PdfReader(path)
        index = next(i for i, page in enumerate(reader.pages) if "N46.129" in page.extract_text())
        width = float(reader.pages[index].mediabox.width)
        runs = [(x, t) for x, t in right_edges(path, index) if "N46." in t]
        lines = [t for _, t in runs]
        assert len(lines) >= 3, lines  # wrapped over several lines, not one
        assert "".join("".join(lines).split()) == "".join(LONG_CODE.split())
        assert all(x < width / 3 for x, _ in runs), runs  # every line starts in the code column
