"""The builder's exception tree: every expected failure derives from ReportError."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self


def excerpt(value: object, limit: int = 60) -> str:
    """Return a value as a message quotes it: on one line, at most limit characters."""
    text = str(value).replace("\r\n", "\n").replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_name(name: str) -> str:
    """Return a file name as messages show it: control characters and the like escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file: path as given, 1-based line and column."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Finding:
    """One located problem or notice found in the sources."""

    location: Location
    message: str
    severity: str = "error"

    @classmethod
    def at(cls, path: str, message: str, severity: str = "error") -> Finding:
        """Build a finding placed at the start of a file."""
        return cls(Location(path), message, severity)

    def order(self) -> tuple[str, int, int, str, str]:
        """Return the finding's sort key: as the dataclass orders it, faster to compare."""
        where = self.location
        return where.path, where.line, where.column, self.message, self.severity

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")  # one line each
        return f"{self.location}: {prefix}{message}"


class ReportError(Exception):
    """Root of every error the builder reports without a traceback."""

    exit_code = 1

    def lines(self) -> list[str]:
        """Return the error as lines for standard error."""
        return [str(self)]


class UsageError(ReportError):
    """The command line asked for something that cannot be done."""

    exit_code = 2


class LocatedError(ReportError):
    """One or more located problems, each `path:line:column: message`."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = self.order(findings)
        super().__init__("\n".join(str(f) for f in self.findings))

    @staticmethod
    def order(findings: list[Finding]) -> list[Finding]:
        """Return the findings in the order they are shown: by place."""
        return sorted(findings)

    @classmethod
    def at(cls, path: str | Path, line: int, column: int, message: str) -> Self:
        """Build an error with a single finding."""
        return cls([Finding(Location(str(path), line, column), message)])

    def lines(self) -> list[str]:
        """Return one line per finding."""
        return [str(f) for f in self.findings]


class SourceError(LocatedError):
    """One or more located problems in the sources."""


class ReleaseRefused(SourceError):
    """A release the gate refuses: every reason, located, then what was (not) done."""

    def __init__(self, findings: list[Finding], version: str) -> None:
        super().__init__(findings)
        self.version = version

    def lines(self) -> list[str]:
        """Return one line per reason, then the verdict."""
        count = len(self.findings)
        return [
            *super().lines(),
            f"release {self.version} refused: {count} reason{'s' * (count != 1)}; nothing written",
        ]


class ReleaseError(LocatedError):
    """A file of a release folder is malformed or cannot be read as one (manifest, sums...)."""

    @staticmethod
    def order(findings: list[Finding]) -> list[Finding]:
        """Keep the order found: a JSON file's type errors, all at 1:1, in document order."""
        return list(findings)


@dataclass(frozen=True, order=True)
class LineFinding:
    """One problem in a line-based data file, such as a CSV row: `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class DataFileError(ReportError):
    """A data file the builder reads (not a source) is malformed; every problem is listed."""

    def __init__(self, findings: list[LineFinding]) -> None:
        self.findings = sorted(findings)
        super().__init__("\n".join(str(f) for f in self.findings))

    def lines(self) -> list[str]:
        """Return one line per problem."""
        return [str(f) for f in self.findings]


class CodesNotFound(ReportError):
    """Codes named on the command line that a data file does not hold: nothing is done."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))

    def lines(self) -> list[str]:
        """Return one line per code, then what was done: nothing."""
        return list(self.messages)


class RenderError(ReportError):
    """A report could not be rendered or written."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.location = Location(str(path))
        super().__init__(f"{self.location}: {message}")


class FetchRefused(ReportError):
    """The renderer was asked to load something other than the project's styles and fonts."""


def why(exc: OSError) -> str:
    """Return what the system said of a refused operation, as a message ends with it."""
    return exc.strerror or str(exc)


class WriteError(ReportError):
    """The system refused to write a file: a full disk, a read-only or vanished folder."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: cannot write: {reason}")

    @classmethod
    def of(cls, path: str | Path, exc: OSError) -> WriteError:
        """Describe the OSError that writing path raised."""
        return cls(path, why(exc))


class SystemFault(ReportError):
    """The system refused an operation that no narrower boundary expected to fail."""

    @classmethod
    def of(cls, exc: OSError, context: str = "error") -> SystemFault:
        """Describe an OSError at the file it names, else after context."""
        return cls(f"{exc.filename if exc.filename is not None else context}: {why(exc)}")
