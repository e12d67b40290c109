"""A release's JSON files (manifest.json, snapshot.json) read as untrusted input.

Syntax errors are located at their line and column; a value of the wrong type is named
by its key path (`"sources"[0]["path"]`) at 1:1, since the parser keeps no positions.
Nothing malformed raises anything but ReleaseError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from report.errors import Finding, Location, ReleaseError, excerpt
from report.release.version import is_version

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
Key = str | int
SHA256 = re.compile(r"[0-9a-f]{64}")
# manifest.json, snapshot.json and SHA256SUMS: a snapshot of 1,000 codes is some 6 MB.
MAX_JSON_BYTES = 32 << 20


def too_large(size: int, what: str, limit: int = MAX_JSON_BYTES) -> str:
    """Return the message for a file larger than what (e.g. "a release's manifest.json") can be."""
    return f"is {size:,} bytes, more than {what} can be ({limit:,} bytes at most): not read"


def position(data: bytes, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column (in characters) of a byte offset of UTF-8 data."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def parse_json(data: bytes, shown_path: str) -> JsonValue:
    """Parse UTF-8 JSON; raise ReleaseError at the line and column where it goes wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = position(data, exc.start)
        raise ReleaseError.at(shown_path, line, column, "not UTF-8 text") from exc
    try:
        value: JsonValue = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ReleaseError.at(
            shown_path, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise ReleaseError.at(shown_path, 1, 1, "not valid JSON: nested too deeply") from exc
    except ValueError as exc:  # a constant, or an integer of more digits than Python reads
        raise ReleaseError.at(shown_path, 1, 1, f"not valid JSON: {exc}") from exc
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def key_path(keys: tuple[Key, ...]) -> str:
    """Return a key path as messages name it: "sources"[0]["path"]."""
    if not keys:
        return "the document"
    first, rest = keys[0], keys[1:]
    text = json.dumps(first, ensure_ascii=False) if isinstance(first, str) else f"[{first}]"
    for key in rest:
        text += f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key, ensure_ascii=False)}]"
    return excerpt(text, 80)


def describe(value: JsonValue) -> str:
    """Name a JSON value in a message: null, true, the number 1, an array, the string "x"."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return f"the number {excerpt(json.dumps(value), 40)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"the string {excerpt(json.dumps(value, ensure_ascii=False), 60)}"


@dataclass
class Checker:
    """Collect the type problems of one JSON document, each named by its key path."""

    shown_path: str
    findings: list[Finding] = field(default_factory=list)

    def fail(self, keys: tuple[Key, ...], message: str) -> None:
        """Record that the value at keys is not what it must be."""
        subject = key_path(keys) + " " if keys else ""
        self.findings.append(Finding(Location(self.shown_path), f"{subject}{message}"))

    def raise_any(self) -> None:
        """Raise ReleaseError with every problem recorded, if there is any."""
        if self.findings:
            raise ReleaseError(self.findings)

    def object(
        self,
        value: JsonValue,
        keys: tuple[Key, ...],
        names: tuple[str, ...],
        what: str | None = None,
    ) -> Mapping[str, JsonValue] | None:
        """Return value if it is an object holding every key of names; else record a problem."""
        if isinstance(value, dict) and all(name in value for name in names):
            return value
        held = " and ".join(", ".join(f'"{n}"' for n in names).rsplit(", ", 1))
        self.fail(keys, f"must be {what or 'an object'}" + (f" with {held}" if names else ""))
        return None

    def array(
        self, value: JsonValue, keys: tuple[Key, ...], what: str
    ) -> Iterator[tuple[tuple[Key, ...], JsonValue]]:
        """Yield each item of an array with its key path; record a problem if not an array."""
        if not isinstance(value, list):
            self.fail(keys, f"must be an array of {what}, not {describe(value)}")
            return
        for index, item in enumerate(value):
            yield (*keys, index), item

    def string(self, value: JsonValue, keys: tuple[Key, ...]) -> str | None:
        """Return value if it is a string; else record a problem."""
        if isinstance(value, str):
            return value
        self.fail(keys, f"must be a string, not {describe(value)}")
        return None

    def optional_string(self, value: JsonValue, keys: tuple[Key, ...]) -> str | None:
        """Return value if it is a string; record a problem unless it is null."""
        if value is None or isinstance(value, str):
            return value
        self.fail(keys, f"must be a string or null, not {describe(value)}")
        return None

    def version(self, value: JsonValue, keys: tuple[Key, ...], optional: bool = False) -> bool:
        """Record a problem unless value is a release version (or null, when optional)."""
        if (optional and value is None) or (isinstance(value, str) and is_version(value)):
            return True
        self.fail(
            keys,
            f"must be a release version{' or null' if optional else ''}, such as "
            f'"2026.12" or "1.4.0", not {describe(value)}',
        )
        return False

    def choice(self, value: JsonValue, keys: tuple[Key, ...], allowed: tuple[str, ...]) -> bool:
        """Record a problem unless value is one of the allowed strings."""
        if isinstance(value, str) and value in allowed:
            return True
        names = [json.dumps(name) for name in allowed]
        self.fail(keys, f"must be {', '.join(names[:-1])} or {names[-1]}, not {describe(value)}")
        return False

    def sha256(self, value: JsonValue, keys: tuple[Key, ...]) -> str | None:
        """Return value if it is a SHA-256 in lowercase hexadecimal; else record a problem."""
        if isinstance(value, str) and SHA256.fullmatch(value):
            return value
        self.fail(
            keys, f"must be a SHA-256 (64 lowercase hexadecimal digits), not {describe(value)}"
        )
        return None
