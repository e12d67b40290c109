"""Which conversion factor a relative value file holds: QPP or non-QPP, from 2026 on.

From 2026 CMS publishes each release as two files, `PPRRVU2026_Jan_QPP.csv` and
`PPRRVU2026_Jan_nonQPP.csv`, identical but for the conversion factor (qualifying APM
participants get a higher one), and their title lines do not say which they are. The
file's name says it, or the `--conversion-factor` option; an importer that guessed
would print payments computed with a factor the reader cannot know.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Literal

from report.errors import UsageError

Factor = Literal["QPP", "non-QPP"]
FIRST_YEAR = 2026  # the first year CMS published two files per release
# `_QPP` or `_nonQPP` (also `-`, `.` or a space around it, `non-QPP`, any case).
NAMED = re.compile(r"(?:^|[^a-z0-9])(?P<non>non[-_ ]?)?qpp(?![a-z0-9])", re.IGNORECASE)
MONTH_ABBREVIATION = {1: "Jan", 4: "Apr", 7: "Jul", 10: "Oct"}  # by the release's month


def named_factor(path: str) -> Factor | None:
    """Return the factor a file's name says it holds, or None if it says none (or both)."""
    said: set[Factor] = {
        "non-QPP" if m["non"] else "QPP" for m in NAMED.finditer(os.path.basename(path))
    }
    return said.pop() if len(said) == 1 else None


def option_factor(path: str, option: str | None) -> Factor | None:
    """Return the factor --conversion-factor names; refuse one the file's name contradicts."""
    if option is None:
        return None
    chosen: Factor = "QPP" if option.lower() == "qpp" else "non-QPP"
    named = named_factor(path)
    if named is not None and named != chosen:
        raise UsageError(
            f"{path}: the file's name says it holds the {named} conversion factor, but "
            f"--conversion-factor says {option.lower()}; leave the option out, or check "
            "which file this is"
        )
    return chosen


def factor_problem(
    path: str, as_of: dt.date, option: Factor | None
) -> tuple[Factor | None, str | None]:
    """Return the file's factor, or the problem that it is not known (or not a choice)."""
    year = as_of.year
    factor = option or named_factor(path)
    said = "--conversion-factor" if option else "the file's name"
    if year < FIRST_YEAR:
        if factor is None:
            return None, None
        return None, (
            f"a {year} relative value file has one conversion factor, for every clinician, "
            f"but {said} says {factor}; QPP and non-QPP files begin in {FIRST_YEAR}"
        )
    if factor is None:
        abbreviation = MONTH_ABBREVIATION[as_of.month]
        return None, (
            f"from {FIRST_YEAR} each release comes as two files, QPP and non-QPP, that differ "
            "only in the conversion factor, and neither this file's name nor its title says "
            f"which it is: keep CMS's name (PPRRVU{year}_{abbreviation}_QPP.csv or "
            f"PPRRVU{year}_{abbreviation}_nonQPP.csv) or pass --conversion-factor qpp or "
            "non-qpp"
        )
    return factor, None
