"""What the volume is made of: one entry per report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VolumeEntry:
    """One report of the volume: its code, printed heading, finished PDF and page count."""

    code: str
    heading: str
    pdf: Path
    pages: int
