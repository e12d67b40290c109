"""Medicare payments by locality: hand-worked figures, the report's part, years that must match."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import SAMPLE_SOURCES, run_cli
from pdf_text import normal, read_pages

from report.assemble import assemble
from report.checking import check_folder
from report.gpci.part import locality_part, ordinal
from report.gpci.payments import RvuParts, cents, payment, rvu_parts
from report.sources import CodeFile, PublicationFile, load_sources
from report.sources.indices import Locality, matching
from report.sources.models import Benchmark


@pytest.fixture(scope="module")
def sample() -> tuple[PublicationFile, dict[str, CodeFile]]:
    """Return the sample publication (with its indices) and code sources."""
    loaded = load_sources(SAMPLE_SOURCES, "sources")
    assert loaded.errors == [] and loaded.publication is not None
    return loaded.publication, {code.code: code for code in loaded.codes}


def parts_of(code: CodeFile, component: str) -> RvuParts:
    """Return a sample code's RVU parts of one component."""
    years, found = rvu_parts(code.model.benchmarks or [])
    assert years == [2022]
    return next(parts for parts in found if parts.component == component)


def locality(publication: PublicationFile, entry: str) -> Locality:
    """Return the one 2022 locality an entry names."""
    (found,) = matching(entry, publication.indices[2022].model.localities)
    return found


# Worked by hand: Σ RVU × GPCI, times $34.6062; rounded to the cent once, at the end.
# 74440 global: work 0.38, non-facility PE 2.56, MP 0.02 (facility NA); 26: 0.38, 0.13
# (both settings), 0.01; TC: 0.00, 2.43 (non-facility; facility NA), 0.01.
# ALABAMA 1 / 0.888 / 0.921: 0.38 + 2.27328 + 0.01842 = 2.6717 × 34.6062 = 92.45738454.
# ALASKA (work floor 1.5) 1.5 / 1.118 / 0.614: 0.57 + 2.86208 + 0.01228 = 3.44436.
# MANHATTAN 1.056 / 1.203 / 2.031; PUERTO RICO 1 / 1.008 / 0.986; WYOMING (PE floor) 1 / 1 / 0.841.
WORKED = [
    (
        "74440",
        "global",
        "non-facility",
        "ALABAMA",
        "(0.38 × 1 + 2.56 × 0.888 + 0.02 × 0.921) × $34.6062",
        "92.45738454",
        "92.46",
    ),
    (
        "74440",
        "26",
        "facility",
        "ALABAMA",
        "(0.38 × 1 + 0.13 × 0.888 + 0.01 × 0.921) × $34.6062",
        "17.46401883",
        "17.46",
    ),
    (
        "74440",
        "TC",
        "non-facility",
        "ALABAMA",
        "(0.00 × 1 + 2.43 × 0.888 + 0.01 × 0.921) × $34.6062",
        "74.99336571",
        "74.99",
    ),
    (
        "74440",
        "global",
        "non-facility",
        "AK",
        "(0.38 × 1.5 + 2.56 × 1.118 + 0.02 × 0.614) × $34.6062",
        "119.196211032",
        "119.20",
    ),
    (
        "74440",
        "26",
        "non-facility",
        "AK",
        "(0.38 × 1.5 + 0.13 × 1.118 + 0.01 × 0.614) × $34.6062",
        "24.967681176",
        "24.97",
    ),
    (
        "74440",
        "TC",
        "non-facility",
        "AK",
        "(0.00 × 1.5 + 2.43 × 1.118 + 0.01 × 0.614) × $34.6062",
        "94.228529856",
        "94.23",
    ),
    (
        "74440",
        "global",
        "non-facility",
        "Manhattan",
        "(0.38 × 1.056 + 2.56 × 1.203 + 0.02 × 2.031) × $34.6062",
        "121.868501796",
        "121.87",
    ),
    (
        "74440",
        "26",
        "non-facility",
        "Manhattan",
        "(0.38 × 1.056 + 0.13 × 1.203 + 0.01 × 2.031) × $34.6062",
        "20.001691476",
        "20.00",
    ),
    (
        "74440",
        "TC",
        "non-facility",
        "Manhattan",
        "(0.00 × 1.056 + 2.43 × 1.203 + 0.01 × 2.031) × $34.6062",
        "101.86681032",
        "101.87",
    ),
    (
        "74440",
        "global",
        "non-facility",
        "PR",
        "(0.38 × 1 + 2.56 × 1.008 + 0.02 × 0.986) × $34.6062",
        "103.13339724",
        "103.13",
    ),
    (
        "74440",
        "26",
        "non-facility",
        "PR",
        "(0.38 × 1 + 0.13 × 1.008 + 0.01 × 0.986) × $34.6062",
        "18.02636958",
        "18.03",
    ),
    (
        "74440",
        "TC",
        "non-facility",
        "PR",
        "(0.00 × 1 + 2.43 × 1.008 + 0.01 × 0.986) × $34.6062",
        "85.10702766",
        "85.11",
    ),
    (
        "74440",
        "global",
        "non-facility",
        "WY 21",
        "(0.38 × 1 + 2.56 × 1 + 0.02 × 0.841) × $34.6062",
        "102.324304284",
        "102.32",
    ),
    (
        "74440",
        "26",
        "non-facility",
        "WY",
        "(0.38 × 1 + 0.13 × 1 + 0.01 × 0.841) × $34.6062",
        "17.940200142",
        "17.94",
    ),
    (
        "74440",
        "TC",
        "non-facility",
        "WY",
        "(0.00 × 1 + 2.43 × 1 + 0.01 × 0.841) × $34.6062",
        "84.384104142",
        "84.38",
    ),
    # 55300 is priced in the facility setting only: 3.50, 1.50, 0.41.
    (
        "55300",
        "global",
        "facility",
        "ALASKA",
        "(3.50 × 1.5 + 1.50 × 1.118 + 0.41 × 0.614) × $34.6062",
        "248.428912188",
        "248.43",
    ),
]


class TestWorked:
    """Each payment is the hand-worked figure, exact before its one rounding."""

    @pytest.mark.parametrize(
        ("code", "component", "setting", "entry", "formula", "amount", "rounded"),
        WORKED,
        ids=[f"{c}-{comp}-{s}-{e}" for c, comp, s, e, *_ in WORKED],
    )
    def test_payment(
        self,
        sample: tuple[PublicationFile, dict[str, CodeFile]],
        code: str,
        component: str,
        setting: str,
        entry: str,
        formula: str,
        amount: str,
        rounded: str,
    ) -> None:
        publication, codes = sample
        found = payment(parts_of(codes[code], component), setting, locality(publication, entry))
        assert found is not None
        assert (found.formula, found.amount.normalize(), found.rounded) == (
            formula,
            Decimal(amount),
            Decimal(rounded),
        )

    @pytest.mark.parametrize(
        ("code", "component"), [("74440", "global"), ("74440", "TC"), ("55300", "global")]
    )
    def test_na_setting_has_no_payment(
        self, sample: tuple[PublicationFile, dict[str, CodeFile]], code: str, component: str
    ) -> None:
        publication, codes = sample
        setting = "non-facility" if code == "55300" else "facility"
        assert (
            payment(parts_of(codes[code], component), setting, locality(publication, "AL")) is None
        )

    @pytest.mark.parametrize(
        ("amount", "rounded"),
        [("0.125", "0.13"), ("0.135", "0.14"), ("92.45499999", "92.45"), ("92.455", "92.46")],
    )
    def test_half_a_cent_rounds_up(self, amount: str, rounded: str) -> None:
        assert cents(Decimal(amount)) == Decimal(rounded)


def fraction_payment(code: CodeFile, where: Locality) -> Fraction:
    """Return 74440's global non-facility payment in a locality, worked with fractions."""
    return (
        Fraction("0.38") * Fraction(str(where.work))
        + Fraction("2.56") * Fraction(str(where.pe))
        + Fraction("0.02") * Fraction(str(where.mp))
    ) * Fraction("34.6062")


NOTE_4 = (
    "Global: payment = (work RVU 0.38 × work GPCI + PE RVU (2.56 non-facility, NA facility) × "
    "PE GPCI + MP RVU 0.02 × MP GPCI) × conversion factor $34.6062, rounded to the cent. "
    "ALABAMA, non-facility: (0.38 × 1 + 2.56 × 0.888 + 0.02 × 0.921) × $34.6062 = "
    "$92.45738454, rounded to $92.46. Median, non-facility: (HOUSTON $105.35511528 + MIAMI "
    "$105.599435052) ÷ 2 = $105.477275166, rounded to $105.48. Sources: [1], [3]."
)
NOTE_5 = (
    "Professional component (modifier 26): payment = (work RVU 0.38 × work GPCI + PE RVU 0.13 "
    "× PE GPCI + MP RVU 0.01 × MP GPCI) × conversion factor $34.6062, rounded to the cent. "
    "ALABAMA, both settings: (0.38 × 1 + 0.13 × 0.888 + 0.01 × 0.921) × $34.6062 = "
    "$17.46401883, rounded to $17.46. Median, both settings: (FORT LAUDERDALE $18.297336126 "
    "+ REST OF MARYLAND $18.330558078) ÷ 2 = $18.313947102, rounded to $18.31. Sources: "
    "[1], [3]."
)
ALASKA_FOOTNOTE = (
    "* The addendum's footnote to ALASKA: Work GPCI reflects a 1.5 floor in Alaska "
    "established by the MIPPA."
)


class TestReportPart:
    """The 74440 report names the publication's localities, then the lowest, median, highest."""

    def test_rows(self, sample: tuple[PublicationFile, dict[str, CodeFile]]) -> None:
        publication, codes = sample
        part = assemble(codes["74440"], publication).localities
        assert part is not None and part.missing is None and part.year == 2022
        rows = {
            (group.component, row.label): (row.detail, *row.indices, *(c.text for c in row.cells))
            for group in part.groups
            for row in group.rows
        }
        assert rows[("global", "ALABAMA")] == (
            "AL, locality 0",
            "1",
            "0.888",
            "0.921",
            "$92.46",
            "NA",
        )
        assert rows[("global", "ALASKA")] == (
            "AK, locality 1",
            "1.5",
            "1.118",
            "0.614",
            "$119.20",
            "NA",
        )
        assert rows[("26", "ALASKA")][-2:] == ("$24.97", "$24.97")
        assert rows[("TC", "MANHATTAN")][1:] == ("1.056", "1.203", "2.031", "$101.87", "NA")
        assert rows[("global", "Lowest of 112")] == (
            "MISSISSIPPI (MS, locality 0)",
            "1",
            "0.842",
            "0.671",
            "$88.21",
            "NA",
        )
        assert rows[("global", "Median of 112")] == (
            "mean of HOUSTON and MIAMI",
            "—",
            "—",
            "—",
            "$105.48",
            "NA",
        )
        assert rows[("global", "Highest of 112")] == (
            "SAN JOSE-SUNNYVALE-SANTA CLARA (SAN BENITO CNTY) (CA, locality 65)",
            "1.096",
            "1.383",
            "0.597",
            "$137.35",
            "NA",
        )
        assert rows[("26", "Highest of 112")][0] == "ALASKA* (AK, locality 1)"
        assert [row.label for row in part.groups[0].rows][:4] == [
            "ALABAMA",
            "ALASKA",
            "MANHATTAN",
            "LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGELES CNTY)",
        ]
        assert [(g.component, g.note) for g in part.groups] == [("global", 4), ("26", 5), ("TC", 6)]
        assert [row.marker for row in part.groups[0].rows][:2] == ["", "*"]

    def test_median_of_equal_middle_payments(
        self, sample: tuple[PublicationFile, dict[str, CodeFile]]
    ) -> None:
        """55300's 56th and 57th facility payments are the same: the median is one of them."""
        publication, codes = sample
        part = assemble(codes["55300"], publication).localities
        assert part is not None
        (group,) = part.groups
        median = next(row for row in group.rows if row.label.startswith("Median"))
        assert (median.detail, median.indices, [c.text for c in median.cells]) == (
            "MADERA (CA, locality 58) and 10 more paying the same",
            ("1.027", "1.065", "0.597"),
            ["NA", "$188.15"],
        )
        assert part.notes[1].text == (
            "Global: payment = (work RVU 3.50 × work GPCI + PE RVU (NA non-facility, 1.50 "
            "facility) × PE GPCI + MP RVU 0.41 × MP GPCI) × conversion factor $34.6062, rounded "
            "to the cent. ALABAMA, facility: (3.50 × 1 + 1.50 × 0.888 + 0.41 × 0.921) × "
            "$34.6062 = $180.284805582, rounded to $180.28. Sources: [1], [3]."
        )
        assert part.remarks == (
            ALASKA_FOOTNOTE,
            "Median of 112: the mean of the 56th and 57th payments from the lowest, rounded "
            "to the cent; where the two are equal, one of the localities that pay it.",
        )

    def test_statistics_checked_with_fractions(
        self, sample: tuple[PublicationFile, dict[str, CodeFile]]
    ) -> None:
        """Lowest: Mississippi; highest: San Jose (San Benito); median: Houston and Miami's mean."""
        publication, codes = sample
        every = sorted(
            fraction_payment(codes["74440"], where)
            for where in publication.indices[2022].model.localities
        )
        assert len(every) == 112
        assert every[0] == Fraction("88.209127428")  # (0.38 + 2.56 × 0.842 + 0.02 × 0.671) × CF
        assert every[-1] == Fraction("137.34854718")
        median = (every[55] + every[56]) / 2  # 105.35511528 (Houston), 105.599435052 (Miami)
        assert median == Fraction("105.477275166")

    def test_notes(self, sample: tuple[PublicationFile, dict[str, CodeFile]]) -> None:
        """One note for the indices' source, then one per component; the rest said once."""
        publication, codes = sample
        part = assemble(codes["74440"], publication).localities
        assert part is not None
        notes = {note.number: note.text for note in part.notes}
        assert sorted(notes) == [3, 4, 5, 6]
        assert notes[3] == (
            "ADDENDUM E. FINAL CY 2022 GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND "
            "MEDICARE LOCALITY; the indices of 2022."
        )
        assert notes[4] == NOTE_4
        assert notes[5] == NOTE_5
        assert notes[6].startswith("Technical component (modifier TC): payment = (work RVU 0.00")
        assert part.remarks == (
            ALASKA_FOOTNOTE,
            "Median of 112: the mean of the 56th and 57th payments from the lowest, rounded "
            "to the cent; as no one locality's, its indices print “—”.",
        )

    def test_printed(self, sample_build: Path) -> None:
        """The text layer of the built 74440.pdf holds the part, its figures and notes."""
        text = normal(" ".join(page.body for page in read_pages(sample_build / "74440.pdf")))
        for said in (
            "Medicare payment by locality, 2022",
            "Global [4] Work GPCI PE GPCI MP GPCI Non-facility Facility",
            "ALABAMA AL, locality 0 1 0.888 0.921 $92.46 NA",
            "Lowest of 112: MISSISSIPPI (MS, locality 0) 1 0.842 0.671 $88.21 NA",
            "Median of 112: mean of HOUSTON and MIAMI — — — $105.48 NA",
            "= $92.45738454, rounded to $92.46",
            ALASKA_FOOTNOTE,
        ):
            assert normal(said) in text
        assert text.count(normal("Sources: [1], [3].")) == 3


class TestSettingsApart:
    """Where the settings' lowest, median or highest differ, each setting has its own row."""

    def test_rows(self, sample: tuple[PublicationFile, dict[str, CodeFile]]) -> None:
        publication, _ = sample
        figures = [
            figure("Work RVU", 0.38),
            figure("Non-facility practice expense RVU", 2.56),
            figure("Facility practice expense RVU", 0.13),
            figure("Malpractice RVU", 0.02),
            figure("Conversion factor", 34.6062),
        ]
        part = locality_part(figures, publication.model, publication.indices, 3, ())
        assert part is not None
        (group,) = part.groups
        assert [
            (row.label, row.detail, row.indices[0], *(c.text for c in row.cells))
            for row in group.rows
            if row.statistic
        ] == [
            ("Lowest of 112, non-facility", "MISSISSIPPI (MS, locality 0)", "1", "$88.21", "—"),
            ("Lowest of 112, facility", "ARKANSAS (AR, locality 13)", "1", "—", "$17.28"),
            ("Median of 112, non-facility", "mean of HOUSTON and MIAMI", "—", "$105.48", "—"),
            ("Median of 112, facility", "mean of PORTLAND and NEVADA", "—", "—", "$18.62"),
            (
                "Highest of 112, non-facility",
                "SAN JOSE-SUNNYVALE-SANTA CLARA (SAN BENITO CNTY) (CA, locality 65)",
                "1.096",
                "$137.35",
                "—",
            ),
            ("Highest of 112, facility", "ALASKA* (AK, locality 1)", "1.5", "—", "$25.18"),
        ]
        assert part.notes[1].text.endswith(
            "facility: (PORTLAND $18.59218095 + NEVADA $18.649973304) ÷ 2 = $18.621077127, "
            "rounded to $18.62. Sources: 2022 National Physician Fee Schedule Relative Value "
            "File January Release, released 12/15/2021, [3]."
        )


def sample_figures() -> list[Benchmark]:
    """Return 74440's global fee-schedule figures, non-facility only (facility NA)."""
    return [
        figure("Work RVU", 0.38),
        figure("Non-facility practice expense RVU", 2.56),
        figure("Malpractice RVU", 0.02),
        figure("Conversion factor", 34.6062),
    ]


class TestSaidOnce:
    """The addendum's footnotes of the rows shown, and the median's rule, are said once."""

    def test_footnote_of_several_localities(
        self, sample: tuple[PublicationFile, dict[str, CodeFile]]
    ) -> None:
        publication, _ = sample
        named = publication.model.model_copy(update={"localities": ["MT", "WY", "AL"]})
        part = locality_part(sample_figures(), named, publication.indices, 3, ())
        assert part is not None
        assert [row.marker for row in part.groups[0].rows][:3] == ["**", "**", ""]
        assert part.remarks[0] == (
            "** The addendum's footnote to MONTANA and WYOMING: PE GPCI reflects a 1.0 floor "
            "for frontier states established by the ACA."
        )
        assert part.notes[1].text.split(". ")[1].startswith("MONTANA, non-facility: ")

    @pytest.mark.parametrize(
        ("drop", "rule"),
        [
            (
                0,
                "Median of 112: the mean of the 56th and 57th payments from the lowest, "
                "rounded to the cent; as no one locality's, its indices print “—”.",
            ),
            (1, "Median of 111: the 56th payment from the lowest."),
        ],
        ids=["even", "odd"],
    )
    def test_median_rule(
        self, sample: tuple[PublicationFile, dict[str, CodeFile]], drop: int, rule: str
    ) -> None:
        publication, _ = sample
        held = publication.indices[2022]
        every = held.model.localities
        fewer = held.model.model_copy(update={"localities": every[: len(every) - drop]})
        indices = {2022: dataclasses.replace(held, model=fewer)}
        bare = publication.model.model_copy(update={"localities": None})
        part = locality_part(sample_figures(), bare, indices, 3, ())
        assert part is not None
        assert part.remarks == (rule,)
        assert [row.label for row in part.groups[0].rows] == [
            f"Lowest of {len(fewer.localities)}",
            f"Median of {len(fewer.localities)}",
            f"Highest of {len(fewer.localities)}",
        ]
        assert part.notes[1].text.split(". ")[1].startswith("MISSISSIPPI, non-facility: ")


class TestOrdinal:
    """Positions read as English ordinals."""

    @pytest.mark.parametrize(
        ("number", "said"),
        [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (56, "56th"),
            (57, "57th"),
            (102, "102nd"),
            (111, "111th"),
        ],
    )
    def test_ordinal(self, number: int, said: str) -> None:
        assert ordinal(number) == said


def with_indices_of(tmp_path: Path, year: int) -> Path:
    """Return a copy of the sample sources whose only indices are 2022's, labelled year."""
    target = tmp_path / "sources"
    shutil.copytree(SAMPLE_SOURCES, target)
    text = (target / "gpci" / "2022.yaml").read_text(encoding="utf-8")
    (target / "gpci" / "2022.yaml").unlink()
    (target / "gpci" / f"{year}.yaml").write_text(
        text.replace("\nyear: 2022\n", f"\nyear: {year}\n")
    )
    return target


LACKING_2022 = (
    "the geographic practice cost indices of 2022 (gpci/2022.yaml, which import-gpci writes; "
    "they hold those of 2021)"
)


class TestYearsMatch:
    """A payment needs the RVUs, conversion factor and indices of one year, or says what lacks."""

    def test_indices_of_another_year(self, tmp_path: Path) -> None:
        folder = with_indices_of(tmp_path, 2021)
        loaded = load_sources(folder, "sources")
        assert loaded.errors == [] and loaded.publication is not None
        code = next(c for c in loaded.codes if c.code == "74440")
        part = assemble(code, loaded.publication).localities
        assert part is not None and part.groups == ()
        assert part.missing == (
            "No payments by locality: they need the relative values, conversion factor and "
            f"indices of one year, and the sources lack {LACKING_2022}."
        )
        notices = [
            str(f) for f in check_folder(folder, "sources").notices if "locality" in f.message
        ]
        assert notices == [
            f"sources/codes/{code}:{line}:1: notice: Benchmarks: Medicare payment by "
            f"locality: the sources lack {LACKING_2022}; the report says so instead of giving "
            "payments"
            for code, line in (("55300.yaml", 25), ("74440.yaml", 94))
        ]

    def test_no_conversion_factor(self, sources_copy: Path) -> None:
        path = sources_copy / "codes" / "74440.yaml"
        text = path.read_text(encoding="utf-8")
        start = text.index('  - label: "Conversion factor"')
        end = text.index("  - label:", start + 1)
        path.write_text(text[:start] + text[end:], encoding="utf-8")
        loaded = load_sources(sources_copy, "sources")
        assert loaded.errors == [] and loaded.publication is not None
        code = next(c for c in loaded.codes if c.code == "74440")
        part = assemble(code, loaded.publication).localities
        assert part is not None and part.missing is not None
        assert part.missing.endswith("lack a conversion factor of 2022 among the benchmarks.")

    def test_report_says_it(self, tmp_path: Path) -> None:
        folder = with_indices_of(tmp_path, 2021)
        out = tmp_path / "out"
        done = run_cli("build", "74440", "--sources", str(folder), "--out", str(out))
        assert done.code == 0, done.stderr
        text = normal(" ".join(page.body for page in read_pages(out / "74440.pdf")))
        assert normal("they hold those of 2021)") in text
        assert "$92.46" not in text


def figure(
    label: str,
    value: float,
    source: str = "2022 National Physician Fee Schedule "
    "Relative Value File January Release, released 12/15/2021",
) -> Benchmark:
    """Return a global benchmark figure as of 2022-01-01."""
    return Benchmark(label=label, value=value, unit="RVU", source=source, as_of=date(2022, 1, 1))


class TestWhichFigures:
    """Only the fee schedule's figures make a payment; an author's own are left alone."""

    @pytest.mark.parametrize(
        ("figures", "years", "priced"),
        [
            (
                [
                    figure("Work RVU", 9.99, source="Specialty society survey, 2021"),
                    figure("Work RVU", 0.38),
                    figure("Practice expense RVU", 0.13),
                    figure("Malpractice RVU", 0.01),
                    figure("Conversion factor", 34.6062),
                ],
                [2022],
                ("0.38", "0.13", "0.13", "0.01", "34.6062"),
            ),
            (
                [
                    figure("Work RVU", 0.38, source="Specialty society survey, 2021"),
                    figure("Malpractice RVU", 0.01, source="Specialty society survey, 2021"),
                ],
                [],
                None,
            ),
            (
                [
                    figure("Work RVU", 0.38),
                    figure("Facility practice expense RVU", 0.13),
                    figure("Malpractice RVU", 0.01),
                ],
                [2022],
                None,  # no conversion factor of 2022: the part says so
            ),
        ],
        ids=["author's-figure-first", "author's-figures-only", "no-conversion-factor"],
    )
    def test_parts(
        self, figures: list[Benchmark], years: list[int], priced: tuple[str, ...] | None
    ) -> None:
        found_years, found = rvu_parts(figures)
        assert found_years == years
        assert [
            (
                str(p.work),
                str(p.pe["non-facility"]),
                str(p.pe["facility"]),
                str(p.mp),
                str(p.factor),
            )
            for p in found
        ] == ([priced] if priced else [])
