"""Keep the facts and placed objects of parts between builds."""

from __future__ import annotations

from pathlib import Path

from report.files import read_regular
from report.outputs import atomic_write
from report.volume.format import FACTS_PREFIX, PART_PREFIX


class PartCache:
    """Facts and placed parts kept in folder between builds (or nowhere, without one)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def read(self, name: str) -> bytes | None:
        """Return a cached file's bytes, or None if it is not there."""
        if self.folder is None:
            return None
        self.used.add(name)
        try:
            return read_regular(self.folder / name)[0]
        except OSError:
            return None

    def write(self, name: str, data: bytes) -> None:
        """Write a cache file through a rename (no fsync: a damaged one is read as missing)."""
        if self.folder is None:
            return
        self.used.add(name)
        atomic_write(self.folder / name, data, durable=False)

    def evict(self) -> None:
        """Remove the facts and parts of earlier volumes that this one did not use."""
        if self.folder is None or not self.folder.is_dir():
            return
        for prefix in (FACTS_PREFIX, PART_PREFIX):
            for path in self.folder.glob(f"{prefix}*"):
                if path.name not in self.used:
                    path.unlink(missing_ok=True)
