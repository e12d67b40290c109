"""Reading the CMS relative value file: the sample, and broken copies refused line by line."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from conftest import PFS_SAMPLE, PFS_SOURCE, pfs_lines

from report.errors import DataFileError, UsageError
from report.pfs.reader import parse_pfs, read_pfs


def problems(data: bytes) -> list[str]:
    """Parse data that must be refused and return its error lines."""
    with pytest.raises(DataFileError) as caught:
        parse_pfs(data, "f.csv")
    return caught.value.lines()


def edited(*changes: tuple[int, bytes, bytes]) -> bytes:
    """Return the sample with (line number, old, new) replacements made once each."""
    lines = pfs_lines()
    for number, old, new in changes:
        assert old in lines[number - 1], (number, old)
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return b"\r\n".join(lines)


class TestSample:
    """The sample file reads whole: its release, its 29 rows, its NA settings."""

    def test_release_and_quarter(self) -> None:
        pfs = read_pfs(PFS_SAMPLE, "sample.csv")
        assert pfs.source == PFS_SOURCE
        assert pfs.as_of == dt.date(2022, 1, 1)

    def test_every_row_is_read(self) -> None:
        pfs = read_pfs(PFS_SAMPLE, "sample.csv")
        assert sorted(pfs.rows) == [
            "55300",
            "71045",
            "74440",
            "74445",
            "74450",
            "74455",
            "76870",
            "76872",
            "77065",
            "99213",
            "G0279",
        ]
        assert sum(len(rows) for rows in pfs.rows.values()) == 29

    def test_row_values(self) -> None:
        row = read_pfs(PFS_SAMPLE, "sample.csv").rows["74440"][""]
        assert (row.line, row.status, row.global_period, row.pc_tc) == (18, "A", "XXX", "1")
        assert (row.work, row.pe_nonfacility, row.malpractice, row.total_nonfacility) == (
            Decimal("0.38"),
            Decimal("2.56"),
            Decimal("0.02"),
            Decimal("2.96"),
        )
        assert row.conversion_factor == Decimal("34.6062")

    def test_na_indicator_drops_that_setting(self) -> None:
        rows = read_pfs(PFS_SAMPLE, "sample.csv").rows
        assert rows["74440"][""].pe_facility is None  # facility NA
        assert rows["74440"][""].total_facility is None
        assert rows["55300"][""].pe_nonfacility is None  # non-facility NA
        assert rows["55300"][""].pe_facility == Decimal("1.50")
        assert rows["74440"]["26"].pe_facility == Decimal("0.13")  # no NA: both settings

    def test_quoted_description_with_comma(self) -> None:
        assert (
            read_pfs(PFS_SAMPLE, "s.csv").rows["G0279"]["TC"].description == "Tomosynthesis, mammo"
        )

    @pytest.mark.parametrize("month,first", [("April", 4), ("July", 7), ("October", 10)])
    def test_as_of_is_the_first_day_of_the_release_quarter(self, month: str, first: int) -> None:
        pfs = parse_pfs(edited((1, b"January", month.encode())), "f.csv")
        assert pfs.as_of == dt.date(2022, first, 1)
        assert pfs.source.startswith(
            f"2022 National Physician Fee Schedule Relative Value "
            f"File {month} Release, released 12/15/2021"
        )

    def test_lf_line_ends_read_the_same(self) -> None:
        data = PFS_SAMPLE.read_bytes()
        assert parse_pfs(data.replace(b"\r\n", b"\n"), "f.csv") == parse_pfs(data, "f.csv")

    def test_missing_file_is_a_usage_error(self, tmp_path) -> None:
        with pytest.raises(UsageError, match=r"^nope\.csv: cannot read the file"):
            read_pfs(tmp_path / "nope.csv", "nope.csv")


EOF_LINE = b"\x1a" + b"," * 30  # the full files' last line: 0x1A, then a field per column


class TestPublishedShape:
    """The files as CMS publishes them: the end-of-file mark, CRLF or LF, quoted commas."""

    @pytest.mark.parametrize(
        "tail",
        [
            EOF_LINE + b"\r\n",
            EOF_LINE,
            b"\x1a\r\n",
            b"\x1a",
            EOF_LINE + b"\r\n\r\n,,,\r\n",
        ],
        ids=["with commas", "no line end", "bare", "bare, no line end", "blank lines after"],
    )
    def test_end_of_file_mark_is_read_as_the_end(self, tail: bytes) -> None:
        data = PFS_SAMPLE.read_bytes()
        assert parse_pfs(data + tail, "f.csv") == parse_pfs(data, "f.csv")

    def test_lf_file_with_the_mark(self) -> None:
        data = PFS_SAMPLE.read_bytes()
        with_mark = (data + EOF_LINE + b"\r\n").replace(b"\r\n", b"\n")
        assert parse_pfs(with_mark, "f.csv") == parse_pfs(data, "f.csv")

    def test_mark_before_rows_is_refused(self) -> None:
        lines = pfs_lines()
        lines.insert(20, EOF_LINE)
        assert problems(b"\r\n".join(lines)) == [
            "f.csv:21: the end-of-file mark (byte 0x1A) may only be the last line; rows follow it"
        ]

    def test_mark_with_a_value_is_a_row(self) -> None:
        data = PFS_SAMPLE.read_bytes() + b"\x1a" + b"," * 14 + b"XXX" + b"," * 16 + b"\r\n"
        assert 'f.csv:40: HCPCS "\\x1a" must be 5 letters or digits' in problems(data)

    def test_damage_is_still_refused_beside_the_mark(self) -> None:
        lines = pfs_lines()
        lines[17] = lines[17].replace(b",0.38,", b",0.3B,", 1)
        lines[38] = lines[38][:40]
        lines[-1] = EOF_LINE
        assert problems(b"\r\n".join(lines) + b"\r\n") == [
            'f.csv:18: WORK RVU is "0.3B", not a number',
            "f.csv:39: the row has 6 fields; the column header has 31 (is the row cut short?)",
        ]

    def test_quoted_description_with_commas_and_quotes(self) -> None:
        lines = pfs_lines()
        lines[17] = lines[17].replace(b"74440,,", b'74440,,"X-ray, male ""genital"", tract",', 1)
        lines[17] = lines[17].replace(b"X-ray male genital tract,", b"", 1)
        pfs = parse_pfs(b"\r\n".join(lines), "f.csv")
        assert pfs.rows["74440"][""].description == 'X-ray, male "genital", tract'


class TestBrokenCopies:
    """A malformed file is refused with `FILE:line: message`, every problem at once."""

    def test_wrong_title(self) -> None:
        assert problems(edited((1, b"National Physician", b"National Hospital"))) == [
            "f.csv:1: the first line must be the file's title, such as \"2022 National "
            'Physician Fee Schedule Relative Value File January Release"; found "2022 '
            'National Hospital Fee Schedule Relative Value File January Release"'
        ]

    def test_missing_release_line(self) -> None:
        assert problems(edited((5, b"RELEASED 12/15/2021", b""))) == [
            'f.csv:10: no "RELEASED MM/DD/YYYY" line above the column header'
        ]

    def test_impossible_release_date(self) -> None:
        assert problems(edited((5, b"12/15/2021", b"13/15/2021"))) == [
            'f.csv:5: "13/15/2021" is not a calendar date'
        ]

    def test_wrong_header(self) -> None:
        assert problems(edited((9, b",WORK,", b",LABOR,"))) == [
            'f.csv:10: the column header has no "WORK RVU" column; is this a CMS PPRRVU file?'
        ]

    def test_no_header_row(self) -> None:
        assert problems(b"code,value\r\n74440,0.38\r\n") == [
            "f.csv:1: no column header (a line starting HCPCS,MOD) in the first 20 lines; "
            "is this a CMS PPRRVU file?"
        ]

    def test_non_numeric_rvu(self) -> None:
        assert problems(edited((18, b",0.38,", b",0.3B,"))) == [
            'f.csv:18: WORK RVU is "0.3B", not a number'
        ]

    def test_truncated_row(self) -> None:
        lines = pfs_lines()
        lines[38] = lines[38][:40]
        assert problems(b"\r\n".join(lines)) == [
            "f.csv:39: the row has 6 fields; the column header has 31 (is the row cut short?)"
        ]

    def test_na_indicator_other_than_na(self) -> None:
        assert problems(edited((14, b",NA,1.50", b",N/A,1.50"))) == [
            'f.csv:14: NON-FAC NA INDICATOR "N/A" must be NA or empty'
        ]

    def test_indicator_values(self) -> None:
        assert problems(
            edited((20, b",XXX,", b",XX,"), (21, b",1,XXX", b",X,XXX"), (22, b",C,", b",CC,"))
        ) == [
            'f.csv:20: GLOB DAYS "XX" must be one of 000, 010, 090, XXX, YYY, ZZZ, MMM',
            'f.csv:21: PCTC IND "X" must be one digit',
            'f.csv:22: STATUS CODE "CC" must be one capital letter',
        ]

    def test_digits_of_another_script_are_not_a_number(self) -> None:
        assert problems(edited((18, b",0.38,", ",\u0663.38,".encode()))) == [
            'f.csv:18: WORK RVU is "\u0663.38", not a number'
        ]

    def test_every_bad_row_is_listed(self) -> None:
        assert problems(edited((12, b",0.70,", b",x,"), (30, b",0.64,", b",,"))) == [
            'f.csv:12: NON-FAC PE RVU is "x", not a number',
            'f.csv:30: WORK RVU is "", not a number',
        ]

    def test_duplicate_row(self) -> None:
        lines = pfs_lines()
        lines.insert(-1, lines[17])
        assert problems(b"\r\n".join(lines)) == [
            "f.csv:40: 74440 (no modifier) is given twice (first at line 18)"
        ]

    def test_no_rows(self) -> None:
        assert problems(b"\r\n".join(pfs_lines()[:10]) + b"\r\n") == [
            "f.csv:10: the file holds no rows below the column header"
        ]


def with_field(line: int, column: str, value: str) -> bytes:
    """Return the sample with one field of one row (by its column's name) set to value."""
    names = (
        [
            "HCPCS",
            "MOD",
            "DESCRIPTION",
            "STATUS CODE",
            "",
            "WORK RVU",
            "NON-FAC PE RVU",
            "NON-FAC NA INDICATOR",
            "FACILITY PE RVU",
            "FACILITY NA INDICATOR",
            "MP RVU",
            "NON-FACILITY TOTAL",
            "FACILITY TOTAL",
        ]
        + [""] * 11
        + ["CONV FACTOR"]
    )
    lines = pfs_lines()
    fields = lines[line - 1].split(b",")
    fields[names.index(column)] = value.encode()
    lines[line - 1] = b",".join(fields)
    return b"\r\n".join(lines)


class TestRanges:
    """Every figure must lie in the range the CMS format allows, or its line is refused."""

    @pytest.mark.parametrize(
        "column",
        [
            "WORK RVU",
            "NON-FAC PE RVU",
            "FACILITY PE RVU",
            "MP RVU",
            "NON-FACILITY TOTAL",
            "FACILITY TOTAL",
        ],
    )
    @pytest.mark.parametrize(
        "value,rule",
        [
            ("-3.50", "must not be negative"),
            ("-0", "must not be negative"),
            ("10000", "must be below 10,000"),
        ],
    )
    def test_relative_values(self, column: str, value: str, rule: str) -> None:
        assert problems(with_field(18, column, value)) == [f'f.csv:18: {column} "{value}" {rule}']

    def test_largest_relative_value_and_zero(self) -> None:
        pfs = parse_pfs(with_field(18, "WORK RVU", "9999.99"), "f.csv")
        assert pfs.rows["74440"][""].work == Decimal("9999.99")
        assert parse_pfs(with_field(18, "MP RVU", "0"), "f.csv").rows["74440"][""].malpractice == 0

    @pytest.mark.parametrize(
        "value,rule",
        [
            ("0", "must be above zero"),
            ("-34.6062", "must be above zero"),
            ("1000", "must be below 1,000"),
        ],
    )
    def test_conversion_factor(self, value: str, rule: str) -> None:
        assert problems(with_field(18, "CONV FACTOR", value)) == [
            f'f.csv:18: CONV FACTOR "{value}" {rule}'
        ]

    @pytest.mark.parametrize("year", ["0000", "0001", "1991"])
    def test_title_year_before_the_fee_schedule(self, year: str) -> None:
        assert problems(edited((1, b",2022 National", f",{year} National".encode()))) == [
            f"f.csv:1: the title's year {year} is before 1992, the fee schedule's first year"
        ]

    @pytest.mark.parametrize(
        "date,message",
        [
            ("12/15/0000", '"12/15/0000" is not a calendar date'),
            ("12/15/1990", '"12/15/1990" is before 1991, when the first fee schedule was released'),
            ("02/30/2021", '"02/30/2021" is not a calendar date'),
        ],
    )
    def test_release_date(self, date: str, message: str) -> None:
        assert problems(edited((5, b"12/15/2021", date.encode()))) == [f"f.csv:5: {message}"]

    def test_first_and_last_years_read(self) -> None:
        for year, name in (("1992", "f.csv"), ("9999", "f_nonQPP.csv")):  # 2026 on: two files
            pfs = parse_pfs(edited((1, b",2022 National", f",{year} National".encode())), name)
            assert pfs.as_of == dt.date(int(year), 1, 1)


class TestNotAFile:
    """A FIFO or a device is refused by its type, and a file too large by its size.

    Each is refused before a byte is parsed.
    """

    @pytest.mark.parametrize("kind", ["a FIFO", "a character device"])
    def test_refused(self, tmp_path, kind: str) -> None:
        path = tmp_path / "table.csv"
        if kind == "a FIFO":
            os.mkfifo(path)
        else:
            path.symlink_to("/dev/zero")
        with pytest.raises(UsageError) as caught:
            read_pfs(path, "table.csv")
        assert str(caught.value) == f"table.csv: cannot read the file: {kind}, not a regular file"

    def test_too_large(self, tmp_path) -> None:
        path = tmp_path / "table.csv"
        with path.open("wb") as handle:  # sparse: no disk taken
            handle.truncate(64 * 1024 * 1024 + 10)
        with pytest.raises(UsageError) as caught:
            read_pfs(path, "table.csv")
        assert str(caught.value) == (
            "table.csv: the file is 67,108,874 bytes; a relative value "
            "file is at most 67,108,864 bytes"
        )
