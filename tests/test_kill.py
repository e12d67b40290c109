"""A build killed with SIGKILL at any point leaves every PDF old and whole or new and whole.

The old state is a complete build of the sample; the new sources change the edition, so
that every report and the volume change. A reference build of the new sources gives the
new outputs. The build is then started over the old state with the hidden option
`--pause-at POINT` (report/cli.py): when it reaches POINT it says `paused at POINT` on
standard error and waits there, and is killed, workers and all, with SIGKILL. The folder
must then hold what that point promises, and a build run again to completion must leave
it as the reference build.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT, SAMPLE_SOURCES
from running import kill_group, killable_env, wait_for_line

from report.lock import output_lock

TIMEOUT = 300  # seconds: far beyond any build of the sample, short of a hung test run
VOLUME = "volume.pdf"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Point:
    """A point the build is killed at and what the folder then holds."""

    name: str
    reports_new: str  # how many report PDFs hold the new bytes: "none", "one" or "all"
    volume_new: bool  # whether volume.pdf holds the new bytes
    volume_temporary: bool  # whether a half-written temporary file of volume.pdf is there


POINTS = [
    Point("planned", "none", volume_new=False, volume_temporary=False),
    Point("report-written", "one", volume_new=False, volume_temporary=False),
    Point("volume-half-written", "all", volume_new=False, volume_temporary=True),
    Point("volume-written", "all", volume_new=True, volume_temporary=False),
]


@dataclass(frozen=True)
class Scenario:
    """The old outputs, the new sources and the reference build they give."""

    old: Path
    sources: Path
    reference: Path

    @property
    def new(self) -> dict[str, bytes]:
        """Return the reference build's PDFs by name."""
        return pdfs(self.reference)


def build_command(sources: Path, out: Path, *more: str) -> list[str]:
    """Return the command line of a build of sources into out."""
    return [
        sys.executable,
        str(ROOT / "build.py"),
        "build",
        "--sources",
        str(sources),
        "--out",
        str(out),
        "--jobs",
        "2",
        *more,
    ]


def complete_build(sources: Path, out: Path) -> None:
    """Build sources into out to completion; fail if it fails or does not end in TIMEOUT."""
    try:
        done = subprocess.run(
            build_command(sources, out),
            cwd=out.parent,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"a build of {sources} did not end within {TIMEOUT} s")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def pdfs(folder: Path) -> dict[str, bytes]:
    """Return every PDF directly in folder by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.pdf"))}


def temporaries(folder: Path) -> list[Path]:
    """Return every temporary file anywhere under folder."""
    return sorted(folder.rglob("*.tmp"))


def opens(data: bytes) -> int:
    """Return the page count of a PDF read back with pypdf, failing on a damaged file."""
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    return len(reader.pages)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, sample_build: Path) -> Scenario:
    """Return the old outputs (the session's build), new sources and their reference build."""
    base = tmp_path_factory.mktemp("kill")
    sources = base / "sources"
    shutil.copytree(SAMPLE_SOURCES, sources)
    publication = sources / "publication.yaml"
    text = publication.read_text(encoding="utf-8")
    assert 'edition: "2026.11"' in text
    publication.write_text(text.replace('edition: "2026.11"', 'edition: "2026.12"'), "utf-8")
    (base / "reference").mkdir()
    complete_build(sources, base / "reference")
    result = Scenario(sample_build, sources, base / "reference")
    new, old = result.new, pdfs(sample_build)
    assert set(new) == set(old) and len(new) >= 3 and VOLUME in new
    assert all(new[name] != old[name] for name in new)
    return result


def killed_at(sources: Path, out: Path, point: str) -> None:
    """Build sources into out, and SIGKILL the build once it says it is paused at point."""
    process = subprocess.Popen(
        build_command(sources, out, "--pause-at", point),
        cwd=out.parent,
        env=killable_env(out.parent),
        stdin=subprocess.DEVNULL,  # no line will come: it stays paused until killed
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the build and its workers
    )
    try:
        wait_for_line(process, f"paused at {point}", TIMEOUT)
    finally:
        kill_group(process)
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "the build ended before it was killed"


def check_killed(scenario: Scenario, out: Path, point: Point) -> None:
    """Check every PDF of out is old and whole or new and whole, as point promises."""
    old, new = pdfs(scenario.old), scenario.new
    left = pdfs(out)
    assert set(left) == set(old), f"PDFs appeared or vanished: {sorted(left)}"
    states = {}
    for name, data in left.items():
        whole = data in (old[name], new[name])  # not the bytes: pytest would print them
        assert whole, f"{name} is neither old nor new"
        assert opens(data) > 0
        states[name] = "new" if data == new[name] else "old"
    reports = [state for name, state in states.items() if name != VOLUME]
    counts = {"none": 0, "one": 1, "all": len(reports)}
    assert reports.count("new") == counts[point.reports_new], states
    assert states[VOLUME] == ("new" if point.volume_new else "old"), states
    assert (out / MANIFEST).read_bytes() == (scenario.old / MANIFEST).read_bytes()
    halves = [path for path in temporaries(out) if path.name.startswith(f".{VOLUME}.")]
    if point.volume_temporary:
        (half,) = halves
        data = half.read_bytes()
        partial = data.startswith(b"%PDF-") and data not in (old[VOLUME], new[VOLUME])
        assert partial, f"{half.name} is not a half-written volume ({len(data)} bytes)"
    else:
        assert not halves, halves


def check_complete(scenario: Scenario, out: Path) -> None:
    """Check out holds the reference build's PDFs and manifest, and no temporary file."""
    assert pdfs(out) == scenario.new
    assert (out / MANIFEST).read_bytes() == (scenario.reference / MANIFEST).read_bytes()
    assert not temporaries(out)


class TestKilledBuild:
    """A build killed at each point leaves old or new whole PDFs; the next build completes."""

    @pytest.mark.parametrize("point", POINTS, ids=[point.name for point in POINTS])
    def test_kill(self, point: Point, scenario: Scenario, tmp_path: Path) -> None:
        out = tmp_path / "out"
        shutil.copytree(scenario.old, out)
        killed_at(scenario.sources, out, point.name)
        check_killed(scenario, out, point)
        complete_build(scenario.sources, out)
        check_complete(scenario, out)

    def test_kill_at_every_point_in_turn(self, scenario: Scenario, tmp_path: Path) -> None:
        out = tmp_path / "out"
        shutil.copytree(scenario.old, out)
        for point in POINTS:
            killed_at(scenario.sources, out, point.name)
            check_killed(scenario, out, point)
        complete_build(scenario.sources, out)
        check_complete(scenario, out)


HALF_WRITE = """
import sys, time
from pathlib import Path
from report.outputs import atomic_stream

def write(handle):
    handle.write(b"%PDF-1.7 the new file, half written")
    handle.flush()
    print("half", flush=True)
    time.sleep(60)

atomic_stream(Path(sys.argv[1]), write)
"""


class TestAtomicWrite:
    """A process killed in the middle of writing an output leaves the old file as it was."""

    def test_kill_mid_write(self, tmp_path: Path) -> None:
        target = tmp_path / "74440.pdf"
        target.write_bytes(b"%PDF-1.7 the old file, complete %%EOF")
        writer = subprocess.Popen(
            [sys.executable, "-c", HALF_WRITE, str(target)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert writer.stdout is not None and writer.stdout.readline() == "half\n"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        assert target.read_bytes() == b"%PDF-1.7 the old file, complete %%EOF"
        (temporary,) = [p for p in tmp_path.iterdir() if p != target]
        assert temporary.read_bytes() == b"%PDF-1.7 the new file, half written"
        with output_lock(tmp_path):  # the next build sweeps it away
            assert not temporary.exists()
