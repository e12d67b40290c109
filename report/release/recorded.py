"""A warning as a release records it, in manifest.json and CHANGES.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Recorded:
    """A warning located within the sources folder (codes/74440.yaml), not where it lay.

    So the same sources give the same bytes wherever they are, and `verify` finds the
    same warnings in the sources the PDFs embed.
    """

    path: str  # publication.yaml or codes/CODE.yaml
    line: int
    column: int
    message: str

    def json(self) -> dict[str, Any]:
        """Return the warning as manifest.json lists it."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"
