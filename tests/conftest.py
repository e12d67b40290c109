"""Shared fixtures: the repository's paths, a CLI runner and one build of the sample sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SOURCES = ROOT / "sources"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A verbatim copy of the original text of the first report (shared/seed/cpt-74440.txt).
SEED = FIXTURES / "seed" / "cpt-74440.txt"


@dataclass(frozen=True)
class Run:
    """The outcome of one command-line run."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path = ROOT) -> Run:
    """Run `python build.py ARGS` in a fresh process and capture its output."""
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def cli():
    """Return the command-line runner."""
    return run_cli


@pytest.fixture
def sources_copy(tmp_path: Path) -> Path:
    """Return a writable copy of the sample sources."""
    target = tmp_path / "sources"
    shutil.copytree(SAMPLE_SOURCES, target)
    return target


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sample sources once, with PDF and HTML, and return the output folder."""
    out = tmp_path_factory.mktemp("dist")
    result = run_cli("build", "--sources", str(SAMPLE_SOURCES), "--out", str(out),
                     "--format", "pdf,html")
    assert result.code == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def seed_text() -> str:
    """Return the original text of the 74440 report."""
    return SEED.read_text(encoding="utf-8")


# A byte-for-byte copy of shared/data/pprrvu22-sample.csv (see tests/fixtures/pfs/README.md).
PFS_SAMPLE = FIXTURES / "pfs" / "pprrvu22-sample.csv"
PFS_SOURCE = ("2022 National Physician Fee Schedule Relative Value File January Release, "
              "released 12/15/2021")


def pfs_lines() -> list[bytes]:
    """Return the sample file's lines, without their CRLF ends."""
    return PFS_SAMPLE.read_bytes().split(b"\r\n")


@pytest.fixture
def pfs_file(tmp_path: Path):
    """Return a writer of relative value files: the sample's lines, changed by edit."""
    def write(edit=None, name: str = "pprrvu.csv") -> Path:
        lines = pfs_lines()
        if edit is not None:
            edit(lines)
        path = tmp_path / name
        path.write_bytes(b"\r\n".join(lines))
        return path
    return write
