"""Run `build.py` in a process of its own, with a time limit: a command that would wait
forever (on a FIFO, say) fails its test instead of hanging the run."""

from __future__ import annotations

import os
import selectors
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
