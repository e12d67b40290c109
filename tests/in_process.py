"""The command line run in the test's own process, and the files a run leaves, by digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner, Result

from report.cli import main


def run(*args: str) -> Result:
    """Run the command line in this process."""
    return CliRunner().invoke(main, list(args))


def hashes(folder: Path) -> dict[str, str]:
    """Return the sha256 of every file under folder."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
