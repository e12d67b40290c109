"""Read CMS's GPCI addendum (Addendum E of the PFS final rule) as published, checking every line.

The published CSV holds a title line, a blank line, the column header, one row per
Medicare payment locality, then notes and footnotes (`*`, `**`) after the rows, with CRLF
line ends and every line padded with commas to the header's width. A locality's name
carries the marker of the footnote that applies to it (`ALASKA*`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from report.cmsfile import LineChecker, read_file, read_records
from report.errors import DataFileError, display_name

TITLE = re.compile(
    r"ADDENDUM [A-Z]{1,2}\. (?P<stage>FINAL|PROPOSED) CY (?P<year>\d{4}) GEOGRAPHIC PRACTICE "
    r"COST INDICES \(GPCIS\) BY STATE AND MEDICARE LOCALITY",
)
# The columns, in order: as a message names each, and the pattern of its header.
COLUMNS = (
    ("Medicare Administrative Contractor", re.compile(r"Medicare Administrative Contractor")),
    ("State", re.compile(r"State")),
    ("Locality Number", re.compile(r"Locality Number")),
    ("Locality Name", re.compile(r"Locality Name")),
    ("YEAR PW GPCI", re.compile(r"(?P<year>\d{4}) PW GPCI(?P<floor> \(with 1\.0 Floor\))?")),
    ("YEAR PE GPCI", re.compile(r"(?P<year>\d{4}) PE GPCI")),
    ("YEAR MP GPCI", re.compile(r"(?P<year>\d{4}) MP GPCI")),
)
HEADER_EXAMPLE = (
    "Medicare Administrative Contractor,State,Locality Number,Locality Name,"
    "YEAR PW GPCI (with 1.0 Floor),YEAR PE GPCI,YEAR MP GPCI"
)
INDEX_NAMES = {"work": "PW GPCI", "pe": "PE GPCI", "mp": "MP GPCI"}
NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")
DIGITS = re.compile(r"[0-9]{1,6}")
STATE = re.compile(r"[A-Z]{2}")
MARKED = re.compile(r"(?P<name>.*?[^*\s])\s*(?P<marker>\*{1,3})")
FOOTNOTE = re.compile(r"(?P<marker>\*{1,3})\s*(?P<text>\S.*)")
FIRST_YEAR = 1992  # the fee schedule's first year
INDEX_LIMIT = Decimal(10)  # indices are near 1; none published comes near 10
WORK_FLOOR = Decimal(1)
MAX_FILE_BYTES = 4 * 1024 * 1024  # the addendum is some 10 kilobytes


@dataclass(frozen=True)
class GpciRow:
    """One locality of the addendum: contractor, state, number, name, footnote and indices."""

    line: int
    mac: str
    state: str
    number: str
    name: str
    footnote: str | None
    work: Decimal
    pe: Decimal
    mp: Decimal


@dataclass
class GpciAddendum:
    """A checked addendum: its title and year, its rows, footnotes and notes."""

    path: str
    title: str
    year: int
    rows: list[GpciRow] = field(default_factory=list)
    footnotes: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _texts(fields: list[str]) -> list[str]:
    return [f for f in fields if f]


def _title(check: LineChecker, records: list[tuple[int, list[str]]]) -> tuple[str, int] | None:
    line, fields = records[0] if records else (1, [])
    title = " ".join(_texts(fields))
    match = TITLE.fullmatch(title.upper())
    if match is None:
        check.add(
            line,
            "the first line must be the addendum's title, such as \"ADDENDUM E. FINAL CY 2022 "
            'GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE AND MEDICARE LOCALITY"; found '
            f'"{display_name(title[:120])}"',
        )
        return None
    if match["stage"] == "PROPOSED":
        check.add(
            line,
            "this is a proposed rule's addendum; payments are computed with the final "
            "rule's indices",
        )
        return None
    year = int(match["year"])
    if year < FIRST_YEAR:
        check.add(line, f"the title's year {year} is before {FIRST_YEAR}, the fee schedule's first")
        return None
    return title, year


def _header(check: LineChecker, line: int, fields: list[str], year: int) -> bool:
    """Check the column header: the seven columns in order, each index of the title's year."""
    names = fields[: len(COLUMNS)]
    extra = _texts(fields[len(COLUMNS) :])
    if len(names) < len(COLUMNS) or extra:
        check.add(line, f"the column header must be {HEADER_EXAMPLE}; found {','.join(fields)}")
        return False
    ok = True
    for position, ((expected, pattern), name) in enumerate(zip(COLUMNS, names, strict=True), 1):
        match = pattern.fullmatch(name)
        if match is None:
            wanted = expected.replace("YEAR", str(year))
            check.add(line, f'column {position} is "{display_name(name)}", not "{wanted}"')
            ok = False
        elif "year" in match.groupdict() and int(match["year"]) != year:
            check.add(line, f'"{name}" is not of {year}, the title\'s year')
            ok = False
    return ok


def _index(check: LineChecker, line: int, key: str, text: str) -> Decimal | None:
    name = INDEX_NAMES[key]
    if not NUMBER.fullmatch(text):
        check.add(line, f'{name} "{display_name(text)}" is not a number')
        return None
    value = Decimal(text)
    if not Decimal(0) < value < INDEX_LIMIT:
        check.add(line, f"{name} {text} must be above 0 and below {INDEX_LIMIT}")
        return None
    return value


def _row(check: LineChecker, line: int, fields: list[str], floor: bool) -> GpciRow | None:
    before = len(check.findings)
    mac, state, number, marked = fields[:4]
    if not DIGITS.fullmatch(mac):
        check.add(line, f'Medicare Administrative Contractor "{display_name(mac)}" must be digits')
    if not STATE.fullmatch(state):
        check.add(line, f'State "{display_name(state)}" must be two capital letters')
    if not DIGITS.fullmatch(number):
        check.add(line, f'Locality Number "{display_name(number)}" must be digits')
    found = MARKED.fullmatch(marked)
    name, footnote = (found["name"], found["marker"]) if found else (marked, None)
    if not name or "*" in name:
        check.add(line, f'Locality Name "{display_name(marked)}" must be a name')
    values = {key: _index(check, line, key, fields[i]) for i, key in enumerate(INDEX_NAMES, 4)}
    work = values["work"]
    if floor and work is not None and work < WORK_FLOOR:
        check.add(line, f"PW GPCI {work} is below the 1.0 floor the column header says it holds")
    if len(check.findings) > before:
        return None
    assert work is not None and values["pe"] is not None and values["mp"] is not None
    return GpciRow(line, mac, state, number, name, footnote, work, values["pe"], values["mp"])


def _is_text_line(fields: list[str]) -> bool:
    """Return whether a line holds running text only (a note): its first field alone."""
    return bool(fields) and bool(fields[0]) and not any(fields[1:])


def parse_addendum(data: bytes, path: str) -> GpciAddendum:
    """Parse and check a whole addendum; raise DataFileError listing every problem."""
    check = LineChecker(path)
    records = [(line, [f.strip() for f in fields]) for line, fields in read_records(data, path)]
    titled = _title(check, records)
    rest = [(line, fields) for line, fields in records[1:] if any(fields)]
    if titled is None:
        raise DataFileError(check.findings)
    if not rest:
        check.add(records[0][0], "no column header below the title")
        raise DataFileError(check.findings)
    header_line, header = rest[0]
    work_column = header[4] if len(header) > 4 else ""
    floor = bool((m := COLUMNS[4][1].fullmatch(work_column)) and m["floor"])
    if not _header(check, header_line, header, titled[1]):
        raise DataFileError(check.findings)
    addendum = GpciAddendum(path, *titled)
    seen: dict[tuple[str, str], int] = {}
    notes_from: int | None = None
    for line, fields in rest[1:]:
        if _is_text_line(fields):
            notes_from = notes_from or line
            if (footnote := FOOTNOTE.fullmatch(fields[0])) is not None:
                marker = footnote["marker"]
                if marker in addendum.footnotes:
                    check.add(line, f'footnote "{marker}" is given twice')
                addendum.footnotes[marker] = footnote["text"]
            else:
                addendum.notes.append(fields[0])
            continue
        if notes_from is not None:
            check.add(line, f"a locality row after the notes that start at line {notes_from}")
            continue
        if len(_texts(fields[len(COLUMNS) :])) or len(fields) < len(COLUMNS):
            check.add(
                line,
                f"the row has {len(_texts(fields))} fields; a locality row has {len(COLUMNS)}: "
                "contractor, state, number, name and the three indices",
            )
            continue
        row = _row(check, line, fields, floor)
        if row is None:
            continue
        key = (row.mac, row.number)
        if key in seen:
            check.add(
                line,
                f"locality {row.number} of contractor {row.mac} is given twice "
                f"(first at line {seen[key]})",
            )
            continue
        seen[key] = line
        addendum.rows.append(row)
    for row in addendum.rows:
        if row.footnote is not None and row.footnote not in addendum.footnotes:
            check.add(
                row.line,
                f'{row.name} is marked "{row.footnote}", but no footnote line starts with it',
            )
    if not addendum.rows and not check.findings:
        check.add(header_line, "the file holds no locality rows below the column header")
    if check.findings:
        raise DataFileError(check.findings)
    return addendum


def read_addendum(path: Path, shown_path: str) -> GpciAddendum:
    """Read and check the addendum at path; shown_path is the path used in messages."""
    data = read_file(path, shown_path, MAX_FILE_BYTES, "the GPCI addendum")
    return parse_addendum(data, shown_path)
