"""qpdf's own check of a PDF: the volumes the tests build are held to it, not only to our reading.

`qpdf --check` (Debian's qpdf, which `make test` installs) parses every object and
decodes every stream; it exits 0, or 3 with warnings only, when the file is sound.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

QPDF = shutil.which("qpdf")


def qpdf_check(path: Path) -> None:
    """Assert that qpdf finds no syntax or stream error in the PDF at path, nor a warning."""
    assert QPDF is not None, "qpdf is missing: make test installs it (apt-get install qpdf)"
    done = subprocess.run([QPDF, "--check", str(path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (
        f"qpdf --check {path}: exit {done.returncode}\n{done.stdout}{done.stderr}"
    )
    assert "No syntax or stream encoding errors found" in done.stdout, done.stdout
    assert "WARNING" not in done.stdout + done.stderr, done.stdout + done.stderr
