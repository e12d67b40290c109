"""`import-gpci`: CMS's GPCI addendum read as published, every malformed line refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, SAMPLE_SOURCES
from in_process import hashes, run

from report.errors import DataFileError
from report.gpci.reader import parse_addendum
from report.sources import load_publication

GPCI_SAMPLE = FIXTURES / "gpci" / "gpci2022.csv"
SHIPPED = SAMPLE_SOURCES / "gpci" / "2022.yaml"


def lines() -> list[bytes]:
    """Return the addendum's lines, without their CRLF."""
    return GPCI_SAMPLE.read_bytes().split(b"\r\n")


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """Return a copy of the sample sources without their indices."""
    target = tmp_path / "sources"
    shutil.copytree(SAMPLE_SOURCES, target, ignore=shutil.ignore_patterns("gpci"))
    return target


class TestReading:
    """The published file gives 112 localities, its footnotes and notes, CRLF or LF."""

    def test_published(self) -> None:
        addendum = parse_addendum(GPCI_SAMPLE.read_bytes(), "gpci2022.csv")
        assert (addendum.year, len(addendum.rows)) == (2022, 112)
        alaska = next(row for row in addendum.rows if row.state == "AK")
        assert (alaska.name, alaska.footnote, str(alaska.work)) == ("ALASKA", "*", "1.5")
        assert addendum.footnotes == {
            "*": "Work GPCI reflects a 1.5 floor in Alaska established by the MIPPA.",
            "**": "PE GPCI reflects a 1.0 floor for frontier states established by the ACA.",
        }
        assert addendum.notes == ["MAC Assignments as of October 27, 2020"]
        frontier = [row.name for row in addendum.rows if row.footnote == "**"]
        assert frontier == ["MONTANA", "NEVADA", "NORTH DAKOTA", "SOUTH DAKOTA", "WYOMING"]
        hawaii = next(row for row in addendum.rows if row.state == "HI")
        assert hawaii.name == "HAWAII, GUAM"  # quoted in the file: it holds a comma

    def test_lf_reads_the_same(self) -> None:
        crlf = parse_addendum(GPCI_SAMPLE.read_bytes(), "a.csv")
        lf = parse_addendum(GPCI_SAMPLE.read_bytes().replace(b"\r\n", b"\n"), "a.csv")
        assert [(r.line, r.name, r.work, r.pe, r.mp) for r in lf.rows] == [
            (r.line, r.name, r.work, r.pe, r.mp) for r in crlf.rows
        ]


class TestImport:
    """The import writes gpci/YEAR.yaml, the file the sample ships, and a second changes nothing."""

    def test_writes_the_shipped_file(self, bare: Path) -> None:
        result = run("import-gpci", str(GPCI_SAMPLE), "--sources", str(bare))
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{bare}/gpci/2022.yaml: written (112 localities, 2022)\n"
        assert (bare / "gpci" / "2022.yaml").read_bytes() == SHIPPED.read_bytes()
        again = run("import-gpci", str(GPCI_SAMPLE), "--sources", str(bare))
        assert again.stdout == f"{bare}/gpci/2022.yaml: up to date (112 localities, 2022)\n"

    def test_dry_run_writes_nothing(self, bare: Path) -> None:
        result = run("import-gpci", str(GPCI_SAMPLE), "--sources", str(bare), "--dry-run")
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{bare}/gpci/2022.yaml: would be written (112 localities, 2022)\n"
        assert not (bare / "gpci").exists()

    def test_shipped_file_loads(self) -> None:
        publication, errors = load_publication(SAMPLE_SOURCES, "sources")
        assert errors == [] and publication is not None
        indices = publication.indices[2022].model
        assert (len(indices.localities), str(indices.localities[1].work)) == (112, "1.5")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("missing.csv",), "missing.csv: cannot read the file: No such file or directory"),
            (
                ("/dev/null",),
                "/dev/null: cannot read the file: a character device, not a regular file",
            ),
            (
                (str(GPCI_SAMPLE), "--sources", "nowhere"),
                "nowhere: the sources folder does not exist",
            ),
        ],
        ids=["missing", "device", "no-sources"],
    )
    def test_usage(self, args: tuple[str, ...], message: str) -> None:
        result = run("import-gpci", *args)
        assert (result.exit_code, result.stderr) == (
            2,
            message + "\nsee docs/reference/cli.md#import-gpci\n",
        )


def replaced(number: int, line: bytes) -> list[bytes]:
    """Return the addendum with line number (1-based) replaced."""
    found = lines()
    found[number - 1] = line
    return found


def dropped(number: int) -> list[bytes]:
    """Return the addendum without line number (1-based)."""
    found = lines()
    del found[number - 1]
    return found


def moved_to_end(number: int) -> list[bytes]:
    """Return the addendum with line number moved after the footnotes."""
    found = lines()
    line = found.pop(number - 1)
    return [*found[:-1], line, b""]


BROKEN = [
    (
        "not-a-number",
        replaced(4, b"10112,AL,0,ALABAMA,1,0.8B8,0.921"),
        ['gpci.csv:4: PE GPCI "0.8B8" is not a number'],
    ),
    (
        "zero",
        replaced(6, b"3102,AZ,0,ARIZONA,1,0.951,0"),
        ["gpci.csv:6: MP GPCI 0 must be above 0 and below 10"],
    ),
    (
        "below-the-work-floor",
        replaced(4, b"10112,AL,0,ALABAMA,0.98,0.888,0.921"),
        ["gpci.csv:4: PW GPCI 0.98 is below the 1.0 floor the column header says it holds"],
    ),
    (
        "repeated",
        lines()[:4] + lines()[3:],
        ["gpci.csv:5: locality 0 of contractor 10112 is given twice (first at line 4)"],
    ),
    (
        "cut-short",
        replaced(7, b"7102,AR,13,ARKANSAS,1"),
        [
            "gpci.csv:7: the row has 5 fields; a locality row has 7: contractor, state, "
            "number, name and the three indices"
        ],
    ),
    (
        "footnote-missing",
        dropped(118),
        ['gpci.csv:5: ALASKA is marked "*", but no footnote line starts with it'],
    ),
    (
        "bad-state",
        replaced(4, b"10112,Al,0,ALABAMA,1,0.888,0.921"),
        ['gpci.csv:4: State "Al" must be two capital letters'],
    ),
    (
        "row-after-the-notes",
        moved_to_end(4),
        ["gpci.csv:119: a locality row after the notes that start at line 115"],
    ),
    (
        "proposed-rule",
        replaced(1, lines()[0].replace(b"FINAL", b"PROPOSED")),
        [
            "gpci.csv:1: this is a proposed rule's addendum; payments are computed with the "
            "final rule's indices"
        ],
    ),
    (
        "another-year's-column",
        replaced(3, lines()[2].replace(b"2022 PE GPCI", b"2021 PE GPCI")),
        ['gpci.csv:3: "2021 PE GPCI" is not of 2022, the title\'s year'],
    ),
    (
        "not-the-addendum",
        (FIXTURES / "pfs" / "pprrvu22-sample.csv").read_bytes().split(b"\r\n"),
        [
            "gpci.csv:1: the first line must be the addendum's title, such as \"ADDENDUM E. "
            "FINAL CY 2022 GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND MEDICARE "
            'LOCALITY"; found "2022 National Physician Fee Schedule Relative Value File '
            'January Release"'
        ],
    ),
    (
        "every-problem-at-once",
        replaced(6, b"3102,AZ,0,ARIZONA,1,-0.951,x"),
        ['gpci.csv:6: MP GPCI "x" is not a number', 'gpci.csv:6: PE GPCI "-0.951" is not a number'],
    ),
]


class TestRefused:
    """A malformed addendum is refused at FILE:line with every problem, and nothing is written."""

    @pytest.mark.parametrize(
        ("broken", "messages"),
        [(lines_, messages) for _, lines_, messages in BROKEN],
        ids=[name for name, _, _ in BROKEN],
    )
    def test_refused(
        self, bare: Path, tmp_path: Path, broken: list[bytes], messages: list[str]
    ) -> None:
        with pytest.raises(DataFileError) as raised:
            parse_addendum(b"\r\n".join(broken), "gpci.csv")
        assert raised.value.lines() == messages
        path = tmp_path / "gpci.csv"
        path.write_bytes(b"\r\n".join(broken))
        before = hashes(bare)
        result = run("import-gpci", str(path), "--sources", str(bare))
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == "".join(m.replace("gpci.csv", str(path)) + "\n" for m in messages)
        assert hashes(bare) == before and not (bare / "gpci").exists()
