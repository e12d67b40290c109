"""Run `build.py` in a process of its own, with a time limit.

A command that would wait forever (on a FIFO, say) fails its test instead of hanging the
run.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from serving import fetch

TIMEOUT = 240  # seconds: far beyond any command of the tests, short of a hung test run


@dataclass(frozen=True)
class Ran:
    """The outcome of one command run in its own process."""

    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        """Return standard error's lines."""
        return self.stderr.splitlines()


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdout: Path | None = None
) -> Ran:
    """Run `build.py ARGS`; fail, rather than hang, if it has not ended within TIMEOUT."""
    out = stdout.open("w") if stdout is not None else subprocess.PIPE
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"build.py {' '.join(args)} did not end within {TIMEOUT} s")
    finally:
        if stdout is not None:
            out.close()  # type: ignore[union-attr]
    assert "Traceback" not in done.stderr, done.stderr
    return Ran(done.returncode, done.stdout or "", done.stderr)


def first_line(process: subprocess.Popen[str]) -> str:
    """Return the first line the process prints; fail if none comes within TIMEOUT."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(TIMEOUT):
            process.kill()
            pytest.fail(f"printed nothing within {TIMEOUT} s")
    return process.stdout.readline().rstrip("\n")


def wait_for(url: str, text: bytes) -> tuple[int, dict[str, str], bytes]:
    """Fetch url until its page holds text (the preview polls its files); fail after TIMEOUT."""
    for _ in range(TIMEOUT * 10):
        answer = fetch(url)
        if text in answer[2]:
            return answer
        time.sleep(0.1)
    pytest.fail(f"{url} never showed {text!r}")


def wait_for_line(process: subprocess.Popen[str], line: str, timeout: float = TIMEOUT) -> str:
    """Read the process's standard error until it prints line; return what it printed.

    Fail if the process ends first or has not printed line within timeout. Only what was
    read is consumed: a later communicate() gets the rest.
    """
    assert process.stderr is not None
    fd = process.stderr.fileno()
    said = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while line.encode() not in said.splitlines():
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                pytest.fail(f"{line!r} did not come within {timeout} s: {said!r}")
            chunk = os.read(fd, 65536)
            if not chunk:
                code = process.wait()
                pytest.fail(f"ended (exit {code}) without printing {line!r}: {said!r}")
            said += chunk
    return said.decode()


def killable_env(folder: Path) -> dict[str, str]:
    """Return this environment with TMPDIR in folder (made), for a build the test kills.

    A process killed with SIGKILL cannot remove its temporary folders (its fork server's
    font files, multiprocessing's socket folder): they stay with the test's own files.
    """
    temporary = folder / "tmp"
    temporary.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(temporary)}


def kill_group(process: subprocess.Popen[str], timeout: float = TIMEOUT) -> None:
    """SIGKILL a process started in a session of its own and every process of its group.

    The group holds its workers and its fork server; return once none of them runs.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while _group_alive(process.pid):
        assert time.monotonic() < deadline, f"process group {process.pid} outlived SIGKILL"
        time.sleep(0.05)


def _group_alive(group: int) -> bool:
    """Return whether a process of the process group is still running (not a zombie)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
