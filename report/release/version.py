"""Release version numbers: semantic (1.4.0, 2.0.0-rc.1) or calendar (2026.11, 2026.11.2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from report.errors import UsageError

# semver.org's own pattern: MAJOR.MINOR.PATCH, then -PRERELEASE and +BUILD, both optional.
SEMANTIC = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
# Calendar versioning: YYYY.MM (or YYYY.0M), then an optional .DAY or .MICRO.
CALENDAR = re.compile(r"([12]\d{3})\.(0?[1-9]|1[0-2])(?:\.(0|[1-9]\d*))?")
FORMATS = (
    "a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0 or 2.0.0-rc.1) or a calendar "
    "version (YYYY.MM or YYYY.MM.N, e.g. 2026.11 or 2026.11.2)"
)


@dataclass(frozen=True)
class Version:
    """A release version as written, ordered by precedence (semver rules; calendar by numbers)."""

    text: str
    numbers: tuple[int, ...]
    prerelease: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text

    def order(self) -> tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]:
        """Return a sort key: numbers, then a release after its pre-releases."""
        pre = tuple((0, int(part)) if part.isdigit() else (1, part) for part in self.prerelease)
        return self.numbers, 0 if self.prerelease else 1, pre

    def __lt__(self, other: Version) -> bool:
        return self.order() < other.order()


def parse_version(text: str) -> Version:
    """Return the version text means, or raise UsageError saying what a version looks like."""
    if match := SEMANTIC.fullmatch(text):
        prerelease = tuple(match[4].split(".")) if match[4] else ()
        return Version(text, (int(match[1]), int(match[2]), int(match[3])), prerelease)
    if match := CALENDAR.fullmatch(text):
        return Version(text, tuple(int(part) for part in match.groups() if part is not None))
    hint = ""
    if re.fullmatch(r"[vV]\d.*", text):
        hint = f"; drop the leading {text[0]!r}"
    elif re.fullmatch(r"[12]\d{3}\.(\d+)(\.\d+)?", text):
        hint = "; a calendar version's month runs from 1 to 12"
    raise UsageError(f'release version "{text}" is malformed: use {FORMATS}{hint}')


def is_version(text: str) -> bool:
    """Return whether text is a well-formed release version."""
    try:
        parse_version(text)
    except UsageError:
        return False
    return True
