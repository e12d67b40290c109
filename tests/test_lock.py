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
from running import TIMEOUT, wait_for_line

from report.errors import UsageError
from report.lock import LOCK_NAME, output_lock

HOLD = """
import sys, time
from pathlib import Path
from report.lock import output_lock
with output_lock(Path(sys.argv[1]), log=lambda line: None, wait=0):
    print("held", flush=True)
    sys.stdin.readline()
    print(f"releasing {time.time()!r} {time.monotonic()!r}", flush=True)
"""


def hold(out: Path) -> subprocess.Popen[str]:
    """Start a process that holds out's lock until let go; return once it holds it."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "held\n"
    return process


def let_go(process: subprocess.Popen[str]) -> None:
    """Tell a holder to release the lock."""
    assert process.stdin is not None
    process.stdin.close()


def released_at(process: subprocess.Popen[str]) -> tuple[float, float]:
    """Wait for a holder to finish; return when it released the lock: wall clock, monotonic."""
    assert process.stdout is not None
    out = process.stdout.read()  # to its end: the holder has been let go
    assert process.wait(timeout=60) == 0
    wall, monotonic = out.split()[-2:]
    return float(wall), float(monotonic)


class TestOutputLock:
    """output_lock waits for another holder, gives up with a message, and survives a kill."""

    def test_second_holder_gives_up_with_a_message(self, tmp_path: Path) -> None:
        holder = hold(tmp_path)
        try:
            said: list[str] = []
            start = time.monotonic()
            with (
                pytest.raises(UsageError) as caught,
                output_lock(tmp_path, said.append, wait=0.5),
            ):
                pytest.fail("took a lock another process holds")
            assert time.monotonic() - start >= 0.5  # it waited as long as it was told
            assert holder.poll() is None  # and gave up while the holder still held the lock
            waiting = f"waiting for the build already writing to {tmp_path} (process {holder.pid})"
            assert said == [f"{waiting} to finish"]
            assert str(caught.value) == (
                f"{tmp_path}: process {holder.pid} has been building into this folder for "
                "more than 0.5 s; run again once it has finished"
            )
        finally:
            holder.kill()
            holder.wait()

    def test_waits_until_the_holder_is_done(self, tmp_path: Path) -> None:
        holder = hold(tmp_path)
        said: list[str] = []

        def waiting(line: str) -> None:
            """Note the line, and let the holder go only now that the lock is waited for."""
            said.append(line)
            let_go(holder)

        with output_lock(tmp_path, waiting, wait=60):
            taken = time.monotonic()
        assert taken >= released_at(holder)[1]
        assert len(said) == 1

    def test_a_killed_holder_leaves_no_lock(self, tmp_path: Path) -> None:
        holder = hold(tmp_path)
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
                [sys.executable, "-c", HOLD, str(tmp_path)],
                cwd=ROOT,
                input="",  # were it to take the lock, it would let go at once
                capture_output=True,
                check=False,
                text=True,
                timeout=60,
            )
            assert holder.returncode != 0  # still held by the outer block
        again = hold(tmp_path)
        let_go(again)
        assert again.wait(timeout=60) == 0

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
        holder = hold(out)
        build = subprocess.Popen(
            [*build_command(SAMPLE_SOURCES, out), "55300", "--format", "html"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        waiting = f"waiting for the build already writing to {out} (process {holder.pid}) to finish"
        said = wait_for_line(build, waiting)
        assert said.splitlines() == [waiting]
        assert not (out / "html").exists()  # nothing written while it waits
        let_go(holder)
        _, rest = build.communicate(timeout=TIMEOUT)
        assert build.returncode == 0, said + rest
        assert (out / "html" / "55300.html").stat().st_mtime >= released_at(holder)[0]

    def test_two_builds_at_once(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        command = [*build_command(SAMPLE_SOURCES, out), "55300"]

        def start(*more: str) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [*command, *more],
                cwd=tmp_path,
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

        first = start("--pause-at", "planned")  # holds the lock there until told to go on
        first_said = wait_for_line(first, "paused at planned")
        second = start()
        second_said = wait_for_line(
            second,
            f"waiting for the build already writing to {out} (process {first.pid}) to finish",
        )
        assert first.poll() is None  # still held at its pause point
        _, first_rest = first.communicate("\n", timeout=TIMEOUT)
        _, second_rest = second.communicate(timeout=TIMEOUT)
        first_err, second_err = first_said + first_rest, second_said + second_rest
        assert first.returncode == 0, first_err
        assert second.returncode == 0, second_err
        assert "rendered 1 report" in first_err.splitlines()[-1]
        assert second_err.splitlines()[-1].startswith("nothing to render: 1 report up to date")


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
    ]


class TestConcurrentReleases:
    """Releases into one folder are made one at a time.

    A release started while another is being made waits, then compares itself with it.
    """

    def test_two_versions_at_once(self, tmp_path: Path) -> None:
        first_sources, next_sources, root = tmp_path / "a", tmp_path / "b", tmp_path / "releases"
        shutil.copytree(SAMPLE_SOURCES, first_sources)
        shutil.copytree(SAMPLE_SOURCES, next_sources)
        code = next_sources / "codes" / "74440.yaml"
        code.write_text(
            code.read_text(encoding="utf-8").replace("value: 0.38", "value: 0.40", 1),
            encoding="utf-8",
        )

        def release(version: str, sources: Path, *more: str) -> subprocess.Popen[str]:
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
                    *more,
                ],
                cwd=tmp_path,
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

        first = release("1.0.0", first_sources, "--pause-at", "planned")  # holds the lock
        first_said = wait_for_line(first, "paused at planned")
        second = release("1.0.1", next_sources)
        waiting = (
            f"waiting for the release already being made in {root} (process {first.pid}) to finish"
        )
        second_said = wait_for_line(second, waiting)
        assert first.poll() is None  # still held at its pause point
        _, first_rest = first.communicate("\n", timeout=TIMEOUT)
        _, second_rest = second.communicate(timeout=TIMEOUT)
        first_err, second_err = first_said + first_rest, second_said + second_rest
        assert first.returncode == 0, first_err
        assert second.returncode == 0, second_err
        lines = second_err.splitlines()
        assert lines[0] == waiting
        assert lines[-1] == (
            f"released 1.0.1 to {root}/1.0.1: 1 of 2 reports changed since 1.0.0 (74440); "
            "0 errors, 22 warnings, 23 notices"
        )
        manifest = json.loads((root / "1.0.1" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["previous"] == "1.0.0"
        changes = (root / "1.0.1" / "CHANGES.md").read_text(encoding="utf-8")
        assert changes.splitlines()[2].endswith(". Compared with release 1.0.0.")
        assert (
            "- Benchmarks › Global › Work RVU › Value: changed from 0.38 to 0.40"
            in changes.splitlines()
        )
        assert sorted(p.name for p in root.iterdir()) == ["1.0.0", "1.0.1"]
