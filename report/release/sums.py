r"""SHA256SUMS: written as `sha256sum -c` reads it, read back strictly by `verify`.

Each line is `HASH  NAME`: 64 hexadecimal digits, two spaces, and the plain name of a file
beside it (no "/", no "\", no control character, not "." or ".."). Every line is checked,
as `sha256sum -c` checks them, so a name listed twice is an error whichever line is right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from report.errors import Finding, Location, ReleaseError, display_name
from report.release.jsondoc import position
from report.release.model import SITE_DEPTH, SITE_FOLDER, SUMS_NAME

if TYPE_CHECKING:
    from report.release.folder import ReleaseFolder

SUM_LINE = re.compile(r"([0-9a-fA-F]{64})  (.+)")
NAME_COLUMN = 67  # after the hash and two spaces


@dataclass(frozen=True)
class SumLine:
    """One well-formed line of SHA256SUMS."""

    line: int
    digest: str  # lowercase
    name: str


@dataclass
class SumsCheck:
    """What checking a release's files against SHA256SUMS found."""

    problems: list[Finding] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)
    summary: str = f"{SUMS_NAME}: not read"


def name_problem(name: str) -> str | None:
    """Say why name is not the plain name of a file in the release folder, or None if it is.

    A file of the web edition is named by its path in site/, each part a plain name.
    """
    if "/" in name and not name.startswith(f"{SITE_FOLDER}/"):
        return 'it holds a "/"'
    parts = name.split("/")
    if len(parts) > 1 and any(part in ("", ".", "..") for part in parts):
        return 'a part of its path is empty, "." or ".."'
    if len(parts) > SITE_DEPTH + 1:
        return f"its path is deeper than a release's {SITE_FOLDER}/ goes"
    if "\\" in name:
        return 'it holds a "\\"'
    if not name.isprintable():
        return "it holds a control character"
    if name in (".", ".."):
        return f'it is "{name}"'
    return None


def parse_sums(data: bytes, shown_path: str) -> tuple[list[SumLine], list[Finding]]:
    """Return SHA256SUMS's well-formed lines, and a located problem for each other one.

    A name listed again is a problem, and its line is still returned to be checked.
    """
    lines: list[SumLine] = []
    problems: list[Finding] = []
    first: dict[str, int] = {}
    chunks = data.split(b"\n")
    if chunks[-1] == b"":
        chunks.pop()  # the newline that ends the last line
    for number, chunk in enumerate(chunks, 1):
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            _, column = position(chunk, exc.start)
            problems.append(Finding(Location(shown_path, number, column), "not UTF-8 text"))
            continue
        match = SUM_LINE.fullmatch(text)
        if match is None:
            problems.append(
                Finding(Location(shown_path, number, 1), "not a line of the form `SHA256  NAME`")
            )
        elif (why := name_problem(match[2])) is not None:
            problems.append(
                Finding(
                    Location(shown_path, number, NAME_COLUMN),
                    f'"{display_name(match[2])}" is not a plain file name: {why}',
                )
            )
        else:
            name = match[2]
            if name in first:
                problems.append(
                    Finding(
                        Location(shown_path, number, NAME_COLUMN),
                        f'"{display_name(name)}" is listed twice (first on line {first[name]})',
                    )
                )
            first.setdefault(name, number)
            lines.append(SumLine(number, match[1].lower(), name))
    return lines, problems


def check_sums(release: ReleaseFolder) -> SumsCheck:
    """Check every file of the release against SHA256SUMS, and every line of it."""
    result = SumsCheck()
    if SUMS_NAME not in release.sizes:
        return result  # not a regular file, or too large: the folder's listing said so
    try:
        lines, result.problems = parse_sums(release.read(SUMS_NAME), release.path(SUMS_NAME))
    except ReleaseError as exc:
        result.problems = exc.findings
        return result
    good: dict[str, bool] = {}
    for entry in lines:
        name = entry.name
        if not good.get(name, True):
            continue  # already named
        ok = False
        if name not in release.present:
            result.problems.append(
                Finding.at(release.path(name), f"listed in {SUMS_NAME} but missing")
            )
        elif name in release.folders:
            result.problems.append(
                Finding.at(release.path(name), f"is a folder, listed in {SUMS_NAME} as a file")
            )
        elif name in release.sizes:  # else not a regular file: the listing named it
            try:
                ok = release.sha256(name) == entry.digest
            except ReleaseError as exc:
                result.problems += exc.findings
            else:
                if not ok:
                    result.problems.append(
                        Finding.at(
                            release.path(name),
                            f"does not match its SHA-256 in {SUMS_NAME}: the file changed",
                        )
                    )
        good[name] = ok
    for name in release.files():
        if name not in good and name != SUMS_NAME:
            result.problems.append(Finding.at(release.path(name), f"not listed in {SUMS_NAME}"))
    result.listed = set(good)
    result.summary = f"{SUMS_NAME}: {sum(good.values())} of {len(good)} files match"
    return result
