"""CMS's published CSV files, as the importers read them: bytes, text, records, findings.

The relative value file (report/pfs/reader.py) and the GPCI addendum
(report/gpci/reader.py) are both Windows text files CMS publishes for download: read as
regular files of bounded size, decoded as UTF-8 or else cp1252, split into CSV records
that may run over several lines, each located at the line it starts on.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from report.errors import DataFileError, LineFinding, UsageError, why
from report.files import read_regular

Record = tuple[int, list[str]]  # the line a CSV record starts on, and its fields


class LineChecker:
    """Collect every problem of one file, each at its line, before anything is returned."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.findings: list[LineFinding] = []

    def add(self, line: int, message: str) -> None:
        """Note a problem at a line of the file."""
        self.findings.append(LineFinding(self.path, line, message))


def read_file(path: Path, shown_path: str, limit: int, what: str) -> bytes:
    """Return the bytes of the regular file at path, at most limit of them.

    what names the file in the message of one too large ("a relative value file").
    """
    try:
        data, size = read_regular(path, limit + 1)
    except OSError as exc:
        raise UsageError(f"{shown_path}: cannot read the file: {why(exc)}") from exc
    if len(data) > limit:
        raise UsageError(
            f"{shown_path}: the file is {max(size, len(data)):,} bytes; {what} is at most "
            f"{limit:,} bytes"
        )
    return data


def read_records(data: bytes, path: str) -> list[Record]:
    """Return each CSV record of the file's bytes with the line it starts on."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # CMS publishes Windows text files
    reader = csv.reader(io.StringIO(text, newline=""))
    found, start = [], 1
    try:
        for fields in reader:
            found.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataFileError([LineFinding(path, 1, f"not a readable CSV file: {exc}")]) from exc
    return found
