"""One build at a time per output folder: the second waits, says so, and never writes meanwhile."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_SOURCES

from report.errors import UsageError
from report.lock import LOCK_NAME, RELEASE_LOCK_NAME, output_lock

HOLD = """
import sys, time
from pathlib import Path
from report.lock import output_lock
with output_lock(Path(sys.argv[1]), log=lambda line: None, wait=0):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    print(f"releasing {time.time()!r}", flush=True)
"""


def hold(out: Path, seconds: float) -> subprocess.Popen:
    """Start a process that holds out's lock for seconds; return once it holds it."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "held\n"
    return process


def released_at(process: subprocess.Popen) -> float:
    """Wait for a holder to finish and return the time it released the lock."""
    out, _ = process.communicate(timeout=60)
    return float(out.split()[-1])


class TestOutputLock:
    """output_lock waits for another holder, gives up with a message, and survives a kill."""

    def test_second_holder_gives_up_with_a_message(self, tmp_path: Path) -> None:
        holder = hold(tmp_path, 30)
        try:
            said: list[str] = []
            start = time.monotonic()
            with pytest.raises(UsageError) as caught:
                with output_lock(tmp_path, said.append, wait=0.5):
                    pytest.fail("took a lock another process holds")
            assert 0.5 <= time.monotonic() - start < 5
            assert said == [
                f"waiting for the build already writing to {tmp_path} "
                f"(process {holder.pid}) to finish"
            ]
            assert str(caught.value) == (
                f"{tmp_path}: process {holder.pid} has been building into this folder for "
                "more than 0.5 s; run again once it has finished"
            )
        finally:
            holder.kill()
            holder.wait()

    def test_waits_until_the_holder_is_done(self, tmp_path: Path) -> None:
        holder = hold(tmp_path, 1.5)
        said: list[str] = []
        with output_lock(tmp_path, said.append, wait=60):
            taken = time.time()
        assert taken >= released_at(holder)
        assert len(said) == 1

    def test_a_killed_holder_leaves_no_lock(self, tmp_path: Path) -> None:
        holder = hold(tmp_path, 60)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        said: list[str] = []
        with output_lock(tmp_path, said.append, wait=0):
            pass
        assert said == []
        assert (tmp_path / LOCK_NAME).is_file()

    def test_nested_use_in_one_process(self, tmp_path: Path) -> None:
        with output_lock(tmp_path, wait=0):
            with output_lock(tmp_path, wait=0):
                pass
            holder = subprocess.run(
                [sys.executable, "-c", HOLD, str(tmp_path), "0"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert holder.returncode != 0  # still held by the outer block
        assert hold(tmp_path, 0).wait(timeout=60) == 0

    def test_leftover_temporary_files_are_removed(self, tmp_path: Path) -> None:
        stale = [
            tmp_path / ".74440.pdf.k2x_9abc.tmp",
            tmp_path / "html" / ".74440.html.abcdefgh.tmp",
            tmp_path / ".cache" / ".front-1.pdf.0a1b2c3d.tmp",
        ]
        kept = [
            tmp_path / "notes.tmp",
            tmp_path / ".notes.tmp",
            tmp_path / "74440.pdf",
            tmp_path / ".74440.pdf.short.tmp",
        ]
        for path in stale + kept:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
        with output_lock(tmp_path):
            assert [p for p in stale if p.exists()] == []
        assert all(path.exists() for path in kept)


class TestConcurrentBuilds:
    """A build started while another writes the same folder waits for it, then finishes."""

    def test_build_waits_for_the_lock(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        holder = hold(out, 3)
        started = time.time()
        build = subprocess.run(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "build",
                "55300",
                "--sources",
                str(SAMPLE_SOURCES),
                "--out",
                str(out),
                "--format",
                "html",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        released = released_at(holder)
        assert build.returncode == 0, build.stderr
        assert (
            build.stderr.splitlines()[0]
            == f"waiting for the build already writing to {out} (process {holder.pid}) to finish"
        )
        assert released - started > 2
        assert (out / "html" / "55300.html").stat().st_mtime >= released

    def test_two_builds_at_once(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        command = [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "55300",
            "--sources",
            str(SAMPLE_SOURCES),
            "--out",
            str(out),
        ]
        first = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (out / LOCK_NAME).is_file() or not (out / LOCK_NAME).read_text().strip():
            assert first.poll() is None and time.monotonic() < deadline, "never took the lock"
            time.sleep(0.05)
        second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        _, first_err = first.communicate(timeout=300)
        assert first.returncode == 0, first_err
        assert second.returncode == 0, second.stderr
        assert f"(process {first.pid}) to finish" in second.stderr.splitlines()[0]
        assert "rendered 1 report" in first_err.splitlines()[-1]
        assert second.stderr.splitlines()[-1].startswith("nothing to render: 1 report up to date")


class TestConcurrentReleases:
    """Releases into one folder are made one at a time: a release started while another
    is being made waits, then compares itself with it."""

    def test_two_versions_at_once(self, tmp_path: Path) -> None:
        first_sources, next_sources, root = tmp_path / "a", tmp_path / "b", tmp_path / "releases"
        shutil.copytree(SAMPLE_SOURCES, first_sources)
        shutil.copytree(SAMPLE_SOURCES, next_sources)
        code = next_sources / "codes" / "74440.yaml"
        code.write_text(
            code.read_text(encoding="utf-8").replace("value: 0.38", "value: 0.40", 1),
            encoding="utf-8",
        )

        def release(version: str, sources: Path) -> subprocess.Popen:
            return subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "build.py"),
                    "release",
                    version,
                    "--sources",
                    str(sources),
                    "--out",
                    str(root),
                ],
                cwd=tmp_path,
                stderr=subprocess.PIPE,
                text=True,
            )

        first = release("1.0.0", first_sources)
        lock = root / RELEASE_LOCK_NAME
        deadline = time.monotonic() + 120
        while not lock.is_file() or lock.read_text().strip() != str(first.pid):
            assert first.poll() is None and time.monotonic() < deadline, "never took the lock"
            time.sleep(0.02)
        second = release("1.0.1", next_sources)
        _, second_err = second.communicate(timeout=600)
        _, first_err = first.communicate(timeout=600)
        assert first.returncode == 0, first_err
        assert second.returncode == 0, second_err
        lines = second_err.splitlines()
        assert lines[0] == (
            f"waiting for the release already being made in {root} (process {first.pid}) to finish"
        )
        assert lines[-1] == (
            f"released 1.0.1 to {root}/1.0.1: 1 of 2 reports changed since 1.0.0 (74440); 0 errors"
        )
        manifest = json.loads((root / "1.0.1" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["previous"] == "1.0.0"
        changes = (root / "1.0.1" / "CHANGES.md").read_text(encoding="utf-8")
        assert "Compared with release 1.0.0." in changes.splitlines()
        assert (
            "- Benchmarks › Global › Work RVU › Value: changed from 0.38 to 0.40"
            in changes.splitlines()
        )
        assert sorted(p.name for p in root.iterdir()) == ["1.0.0", "1.0.1"]
