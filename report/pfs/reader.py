"""Read the CMS Physician Fee Schedule relative value file (PPRRVU) and check every line."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import get_args

from report.cmsfile import LineChecker, read_file, read_records
from report.errors import DataFileError, display_name
from report.pfs.factor import Factor, factor_problem
from report.sources.models import GlobalPeriod

TITLE = re.compile(
    r"(?P<year>\d{4}) National Physician Fee Schedule Relative Value File "
    r"(?P<month>January|April|July|October) Release\b.*"
)
RELEASED = re.compile(r"RELEASED (?P<date>\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE)
QUARTER_MONTH = {"January": 1, "April": 4, "July": 7, "October": 10}
HEADER_SEARCH_LINES = 20
NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
HCPCS = re.compile(r"[0-9A-Z]{5}")
MODIFIER = re.compile(r"[0-9A-Z]{2}")
GLOBAL_PERIODS = get_args(GlobalPeriod)

# The columns the importer uses, by the name the header's stacked lines give each.
COLUMNS = {
    "hcpcs": "HCPCS",
    "modifier": "MOD",
    "description": "DESCRIPTION",
    "status": "STATUS CODE",
    "work": "WORK RVU",
    "pe_nonfacility": "NON-FAC PE RVU",
    "na_nonfacility": "NON-FAC NA INDICATOR",
    "pe_facility": "FACILITY PE RVU",
    "na_facility": "FACILITY NA INDICATOR",
    "malpractice": "MP RVU",
    "total_nonfacility": "NON-FACILITY TOTAL",
    "total_facility": "FACILITY TOTAL",
    "pc_tc": "PCTC IND",
    "global_period": "GLOB DAYS",
    "conversion_factor": "CONV FACTOR",
}
RVUS = (
    "work",
    "pe_nonfacility",
    "pe_facility",
    "malpractice",
    "total_nonfacility",
    "total_facility",
)
NUMBERS = (*RVUS, "conversion_factor")
FIRST_YEAR = 1992  # the first year of the fee schedule (RBRVS)
RVU_LIMIT = Decimal(10_000)  # the largest relative values are in the low hundreds
FACTOR_LIMIT = Decimal(1_000)  # dollars per RVU; about 34 in the 2020s
MAX_FILE_BYTES = 64 * 1024 * 1024  # the whole national file is a few megabytes
# The full files end with a line holding the DOS end-of-file byte, then commas.
END_OF_FILE = "\x1a"
END_OF_FILE_NAME = "the end-of-file mark (byte 0x1A)"


@dataclass(frozen=True)
class PfsRow:
    """One HCPCS/MOD row: relative values, with None where the file marks a setting NA."""

    line: int
    hcpcs: str
    modifier: str
    description: str
    status: str
    work: Decimal
    pe_nonfacility: Decimal | None
    pe_facility: Decimal | None
    malpractice: Decimal
    total_nonfacility: Decimal | None
    total_facility: Decimal | None
    pc_tc: str
    global_period: str
    conversion_factor: Decimal


@dataclass(frozen=True)
class PfsFile:
    """A checked relative value file: its release and its rows by code, then modifier."""

    path: str
    title: str
    released: str
    as_of: dt.date
    factor: Factor | None = None  # which of a 2026+ release's two files: QPP or non-QPP
    rows: dict[str, dict[str, PfsRow]] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """Return the source line benchmarks cite: the file's title and release date."""
        return f"{self.title}, released {self.released}"

    @property
    def described(self) -> str:
        """Return the source line, with the conversion factor the file holds if it has two."""
        return self.source + (f" ({self.factor} conversion factor)" if self.factor else "")


def _first_text(fields: list[str]) -> str:
    return next((f.strip() for f in fields if f.strip()), "")


def _release(
    check: LineChecker, head: list[tuple[int, list[str]]], header_line: int
) -> tuple[str, str, dt.date] | None:
    title = _first_text(head[0][1]) if head else ""
    match = TITLE.fullmatch(title)
    if match is None:
        check.add(
            1,
            "the first line must be the file's title, such as \"2022 National Physician "
            f'Fee Schedule Relative Value File January Release"; found "{title}"',
        )
        return None
    if int(match["year"]) < FIRST_YEAR:
        check.add(
            head[0][0],
            f"the title's year {match['year']} is before {FIRST_YEAR}, the "
            "fee schedule's first year",
        )
        return None
    for line, fields in head[1:]:
        if released := RELEASED.fullmatch(_first_text(fields)):
            month, day, year = (int(part) for part in released["date"].split("/"))
            try:
                dt.date(year, month, day)
            except ValueError:
                check.add(line, f'"{released["date"]}" is not a calendar date')
                return None
            if year < FIRST_YEAR - 1:
                check.add(
                    line,
                    f'"{released["date"]}" is before {FIRST_YEAR - 1}, when the '
                    "first fee schedule was released",
                )
                return None
            as_of = dt.date(int(match["year"]), QUARTER_MONTH[match["month"]], 1)
            return title, released["date"], as_of
    check.add(header_line, 'no "RELEASED MM/DD/YYYY" line above the column header')
    return None


def _columns(
    check: LineChecker, head: list[tuple[int, list[str]]], header_line: int
) -> dict[str, int] | None:
    # The names stack over the lines below the last line of running text (title, notices,
    # release), which holds at most one field.
    text_lines = [i for i, (_, f) in enumerate(head[:-1]) if sum(bool(x.strip()) for x in f) < 2]
    stacked = [fields for _, fields in head[text_lines[-1] + 1 if text_lines else 0 :]]
    width = len(stacked[-1])
    names = [
        " ".join(part for part in (f[i].strip() if i < len(f) else "" for f in stacked) if part)
        for i in range(width)
    ]
    columns: dict[str, int] = {}
    for key, name in COLUMNS.items():
        found = [i for i, n in enumerate(names) if n == name]
        if len(found) != 1:
            check.add(
                header_line,
                f"the column header has {'no' if not found else 'more than one'}"
                f' "{name}" column; is this a CMS PPRRVU file?',
            )
        else:
            columns[key] = found[0]
    return columns if len(columns) == len(COLUMNS) else None


def _end_of_file(fields: list[str]) -> bool:
    """Return whether a record is the end-of-file mark: 0x1A, then empty fields (or none)."""
    return fields[0] == END_OF_FILE and not any(f.strip() for f in fields[1:])


def _number(check: LineChecker, line: int, name: str, text: str) -> Decimal:
    if not NUMBER.fullmatch(text):
        check.add(line, f'{name} is "{display_name(text)}", not a number')
        return Decimal(0)
    return Decimal(text)


def _row(
    check: LineChecker, line: int, fields: list[str], columns: dict[str, int], width: int
) -> PfsRow | None:
    if len(fields) != width:
        check.add(
            line,
            f"the row has {len(fields)} fields; the column header has {width}"
            + (" (is the row cut short?)" if len(fields) < width else ""),
        )
        return None
    value = {key: fields[i].strip() for key, i in columns.items()}
    before = len(check.findings)
    if not HCPCS.fullmatch(value["hcpcs"]):
        check.add(line, f'HCPCS "{display_name(value["hcpcs"])}" must be 5 letters or digits')
    if value["modifier"] and not MODIFIER.fullmatch(value["modifier"]):
        check.add(
            line, f'MOD "{display_name(value["modifier"])}" must be empty or 2 letters or digits'
        )
    if not re.fullmatch(r"[A-Z]", value["status"]):
        check.add(line, f'STATUS CODE "{display_name(value["status"])}" must be one capital letter')
    if not re.fullmatch(r"[0-9]", value["pc_tc"]):
        check.add(line, f'PCTC IND "{display_name(value["pc_tc"])}" must be one digit')
    if value["global_period"] not in GLOBAL_PERIODS:
        check.add(
            line,
            f'GLOB DAYS "{display_name(value["global_period"])}" must be one of '
            + ", ".join(GLOBAL_PERIODS),
        )
    for key in ("na_nonfacility", "na_facility"):
        if value[key] not in ("", "NA"):
            check.add(line, f'{COLUMNS[key]} "{display_name(value[key])}" must be NA or empty')
    number = {key: _number(check, line, COLUMNS[key], value[key]) for key in NUMBERS}
    for key in RVUS:
        if value[key].startswith("-") and NUMBER.fullmatch(value[key]):
            check.add(line, f'{COLUMNS[key]} "{value[key]}" must not be negative')
        elif number[key] >= RVU_LIMIT:
            check.add(line, f'{COLUMNS[key]} "{value[key]}" must be below {RVU_LIMIT:,}')
    factor = value["conversion_factor"]
    if NUMBER.fullmatch(factor) and number["conversion_factor"] <= 0:
        check.add(line, f'CONV FACTOR "{factor}" must be above zero')
    elif number["conversion_factor"] >= FACTOR_LIMIT:
        check.add(line, f'CONV FACTOR "{factor}" must be below {FACTOR_LIMIT:,}')
    if len(check.findings) > before:
        return None
    nonfacility = value["na_nonfacility"] != "NA"
    facility = value["na_facility"] != "NA"
    return PfsRow(
        line=line,
        hcpcs=value["hcpcs"],
        modifier=value["modifier"],
        description=value["description"],
        status=value["status"],
        work=number["work"],
        pe_nonfacility=number["pe_nonfacility"] if nonfacility else None,
        pe_facility=number["pe_facility"] if facility else None,
        malpractice=number["malpractice"],
        total_nonfacility=number["total_nonfacility"] if nonfacility else None,
        total_facility=number["total_facility"] if facility else None,
        pc_tc=value["pc_tc"],
        global_period=value["global_period"],
        conversion_factor=number["conversion_factor"],
    )


def parse_pfs(data: bytes, path: str, factor_option: Factor | None = None) -> PfsFile:
    """Parse and check a whole relative value file; raise DataFileError listing every problem.

    factor_option is the conversion factor --conversion-factor names, if it does.
    """
    check = LineChecker(path)
    records = read_records(data, path)
    header_at = next(
        (
            i
            for i, (_, fields) in enumerate(records[:HEADER_SEARCH_LINES])
            if fields and fields[0].strip() == "HCPCS"
        ),
        None,
    )
    if header_at is None:
        check.add(
            1,
            f"no column header (a line starting HCPCS,MOD) in the first "
            f"{HEADER_SEARCH_LINES} lines; is this a CMS PPRRVU file?",
        )
        raise DataFileError(check.findings)
    header_line, header = records[header_at]
    head = records[: header_at + 1]
    release = _release(check, head, header_line)
    columns = _columns(check, head, header_line)
    if release is None or columns is None:
        raise DataFileError(check.findings)
    factor, problem = factor_problem(path, release[2], factor_option)
    if problem is not None:
        check.add(records[0][0], problem)
    pfs = PfsFile(path, *release, factor)
    rows = [
        (line, fields) for line, fields in records[header_at + 1 :] if any(map(str.strip, fields))
    ]
    if rows and _end_of_file(rows[-1][1]):
        rows.pop()  # the DOS end-of-file mark that ends the full files
    for line, fields in rows:
        if _end_of_file(fields):
            check.add(line, f"{END_OF_FILE_NAME} may only be the last line; rows follow it")
            continue
        row = _row(check, line, fields, columns, len(header))
        if row is None:
            continue
        by_modifier = pfs.rows.setdefault(row.hcpcs, {})
        if (first := by_modifier.get(row.modifier)) is not None:
            check.add(
                line,
                f"{row.hcpcs} {row.modifier or '(no modifier)'} is given twice "
                f"(first at line {first.line})",
            )
        by_modifier[row.modifier] = row
    if not pfs.rows and not check.findings:
        check.add(header_line, "the file holds no rows below the column header")
    if check.findings:
        raise DataFileError(check.findings)
    return pfs


def read_pfs(path: Path, shown_path: str, factor_option: Factor | None = None) -> PfsFile:
    """Read and check the relative value file at path; shown_path is the path used in messages."""
    data = read_file(path, shown_path, MAX_FILE_BYTES, "a relative value file")
    return parse_pfs(data, shown_path, factor_option)
