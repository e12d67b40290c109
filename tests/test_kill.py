"""A build killed with SIGKILL at any moment leaves every PDF old and whole or new and whole.

The old state is a complete build of the sample; the new sources change the edition, so
that every report and the volume change. One reference build of the new sources gives
the new bytes and a build's duration T. The build is then started over the old state and
killed, either after a fraction of T or the moment the output folder shows a given step
(a report replaced, the volume half written, the volume replaced), and the folder is
checked; after some kills the build is run again to completion.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT, SAMPLE_SOURCES

from report.lock import output_lock

Moment = Callable[["Scenario", Path, float], bool]  # (scenario, out, seconds in): kill now?


def after(fraction: float) -> Moment:
    """Kill once a fraction of a full build's duration has passed."""
    return lambda scenario, out, seconds: seconds >= fraction * scenario.seconds


def report_replaced(scenario: Scenario, out: Path, seconds: float) -> bool:
    """Kill as soon as one report PDF holds the new bytes."""
    return any(
        (out / name).read_bytes() == data
        for name, data in scenario.new.items()
        if name != "volume.pdf" and (out / name).is_file()
    )


def volume_half_written(scenario: Scenario, out: Path, seconds: float) -> bool:
    """Kill while the volume's temporary file is being filled."""
    return any(path.stat().st_size > 0 for path in out.glob(".volume.pdf.*.tmp"))


def volume_replaced(scenario: Scenario, out: Path, seconds: float) -> bool:
    """Kill as soon as volume.pdf holds the new bytes (the manifest and index not yet)."""
    return (out / "volume.pdf").read_bytes() == scenario.new["volume.pdf"]


# name: (when to kill, whether to build again to completion afterwards)
MOMENTS: dict[str, tuple[Moment, bool]] = {
    "after 25% of a build": (after(0.25), False),
    "after 50% of a build": (after(0.5), True),
    "a report replaced": (report_replaced, False),
    "the volume half written": (volume_half_written, True),
    "the volume replaced": (volume_replaced, False),
}


@dataclass(frozen=True)
class Scenario:
    """The old outputs, the new sources and the new outputs they give, and a build's duration."""

    old: Path
    sources: Path
    new: dict[str, bytes]
    seconds: float


def build_command(sources: Path, out: Path) -> list[str]:
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
    ]


def pdfs(folder: Path) -> dict[str, bytes]:
    """Return every PDF directly in folder by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.pdf"))}


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
    start = time.monotonic()
    done = subprocess.run(
        build_command(sources, base / "reference"),
        cwd=base,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    new = pdfs(base / "reference")
    old = pdfs(sample_build)
    assert set(new) == set(old) and len(new) >= 3
    assert all(new[name] != old[name] for name in new)
    return Scenario(sample_build, sources, new, seconds)


def killed_build(scenario: Scenario, out: Path, moment: Moment) -> bool:
    """Copy the old outputs to out, build the new sources there, SIGKILL the build at moment.

    Return whether the moment came before the build had finished by itself.
    """
    shutil.copytree(scenario.old, out)
    process = subprocess.Popen(
        build_command(scenario.sources, out),
        cwd=out.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    start = time.monotonic()
    while process.poll() is None and not moment(scenario, out, time.monotonic() - start):
        time.sleep(0.002)
    reached = process.poll() is None
    os.kill(process.pid, signal.SIGKILL)  # the build itself: its workers are orphaned
    process.wait()
    time.sleep(0.2)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # then whatever it left running
    except ProcessLookupError:
        pass
    return reached


class TestKilledBuild:
    """At every moment a kill leaves old or new whole PDFs; the next build completes."""

    @pytest.mark.parametrize("name", list(MOMENTS))
    def test_kill(self, name: str, scenario: Scenario, tmp_path: Path) -> None:
        moment, complete = MOMENTS[name]
        out = tmp_path / "out"
        old = pdfs(scenario.old)
        reached = killed_build(scenario, out, moment)

        left = pdfs(out)
        assert set(left) == set(old), f"PDFs appeared or vanished: {sorted(left)}"
        states = {}
        for pdf, data in left.items():
            assert data in (old[pdf], scenario.new[pdf]), f"{pdf} is neither old nor new"
            assert opens(data) > 0
            states[pdf] = "new" if data == scenario.new[pdf] else "old"
        print(
            f"\nkilled at {name} ({'reached' if reached else 'build had finished'}; "
            f"a build takes {scenario.seconds:.1f} s): {states}"
        )
        assert reached or name.startswith("after"), f"the build finished before {name}"

        if complete:
            done = subprocess.run(
                build_command(scenario.sources, out),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, done.stderr
            assert "Traceback" not in done.stderr
            assert pdfs(out) == scenario.new
            assert not [path.name for path in out.rglob("*.tmp")]


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
