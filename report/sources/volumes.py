"""The volumes publication.yaml may define: their codes, file names and cross-volume rules.

A volume's `codes` lists single codes ("74440") and inclusive ranges ("70010-79999").
Codes have three forms, each of five characters: 5 digits (CPT Category I), 4 digits then
a letter (CPT 0001A, 0001F, 0042T...: the letter is part of the form) and a letter then 4
digits (HCPCS). Both ends of a range have one form, and a range holds the codes of that
form between its ends, compared character by character (digits before letters): 5-digit
codes by number, 0001F-9007F only codes ending in F, and HCPCS codes by letter, then
number (A0000-E9999 spans the sections A to E). So 70010-79999 never holds 7010F.

A volume is written to its `file` (VOLUME_FILE, such as volume-radiology.pdf), by
default `volume-` and a slug of its title; the name always starts with `volume-`, so it
can be neither a report's PDF nor another file of a build or release.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from report.errors import excerpt

# The forms of a code, as the code patterns of models.py accept them.
FORMS = (
    (re.compile(r"[0-9]{5}"), "5 digits"),
    (re.compile(r"[0-9]{4}[AFMTU]"), "4 digits then {letter}"),
    (re.compile(r"[A-EGHJ-MP-V][0-9]{4}"), "a letter then 4 digits"),
)
# A volume's file name stem: volume- and lowercase words joined by single hyphens.
VOLUME_STEM = re.compile(r"volume(-[a-z0-9]+)+")
VOLUME_FILE = re.compile(r"volume(-[a-z0-9]+)+\.pdf")
MAX_STEM = 64
MAX_VOLUME_TITLE = 80
# Codes a notice names at most, of those in no volume.
SHOWN_CODES = 5


def code_form(code: str) -> str | None:
    """Return the name of the code's form, or None when it is no code."""
    for pattern, name in FORMS:
        if pattern.fullmatch(code):
            return name.format(letter=code[-1])
    return None


def parse_item(item: str) -> tuple[str, str]:
    """Return the first and last code of a volume's codes item; ValueError if malformed."""
    start, dash, end = item.partition("-")
    start, end = start.strip(), (end.strip() if dash else start.strip())
    first, last = code_form(start), code_form(end)
    if first is None or last is None:
        raise ValueError(
            f'"{excerpt(item)}" is neither a code (such as 74440) nor a range of codes '
            "(such as 70010-79999)"
        )
    if first != last:
        raise ValueError(
            f'range "{excerpt(item)}" joins codes of two forms ({first}; {last}): '
            "both ends must be of one form"
        )
    if start > end:
        raise ValueError(f'range "{excerpt(item)}" starts after it ends: write "{end}-{start}"')
    return start, end


def check_item(item: str) -> str:
    """Return a volume's codes item unchanged if it is a code or range; ValueError if not."""
    parse_item(item)
    return item


def check_stem(value: str) -> str:
    """Return a volume's file stem (a trailing .pdf dropped); ValueError if not plain."""
    stem = value.removesuffix(".pdf")
    if len(stem) > MAX_STEM or not VOLUME_STEM.fullmatch(stem):
        raise ValueError(
            f'"{excerpt(value)}" is not a volume file name: write volume- then lowercase '
            f"letters and digits, words joined by single hyphens, at most {MAX_STEM} "
            "characters (such as volume-radiology)"
        )
    return stem


def check_title(value: str) -> str:
    """Return a volume's title; ValueError if longer than its cover line holds."""
    if len(value) > MAX_VOLUME_TITLE:
        raise ValueError(
            f"a volume's title must be at most {MAX_VOLUME_TITLE} characters, not {len(value)}"
        )
    return value


def slug_stem(title: str) -> str | None:
    """Return the default file stem of a volume titled title, or None if it gives no word."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    stem = "volume-" + "-".join(words)
    stem = stem[:MAX_STEM].rstrip("-")
    return stem if words else None


def volume_codes(items: Sequence[str], codes: Iterable[str]) -> list[str]:
    """Return the codes a volume of items holds, in the order given."""
    ranges = [parse_item(item) for item in items]
    return [
        code
        for code in codes
        if any(s <= code <= e and code_form(s) == code_form(code) for s, e in ranges)
    ]


def shown_codes(codes: Sequence[str]) -> str:
    """Return the first few codes, and how many more there are."""
    shown = ", ".join(codes[:SHOWN_CODES])
    more = len(codes) - SHOWN_CODES
    return shown + (f" and {more} more" if more > 0 else "")


def volume_stem(file: str | None, title: str) -> str:
    """Return the file stem of a valid volume: its file, or volume- and its title's slug."""
    stem = file or slug_stem(title)
    if stem is None:
        raise ValueError(f"{title}: a volume without a file name")
    return stem
