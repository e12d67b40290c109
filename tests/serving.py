"""Start `build.py serve` in a process of its own, and read what it listens on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Preview:
    """A running preview server: its sources, process, address, first line and terminal log."""

    sources: Path
    process: subprocess.Popen[str]
    url: str
    announced: str
    log: Path

    @property
    def port(self) -> int:
        """Return the port it listens on."""
        return int(self.url.rstrip("/").rsplit(":", 1)[1])

    def stop(self, sig: int = signal.SIGINT) -> int:
        """Stop it as Ctrl-C (or another signal) does; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_preview(sources: Path, log: Path, *args: str) -> Preview:
    """Run `build.py serve --sources SOURCES --port 0 ARGS` and wait until it listens."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "serve",
            "--sources",
            str(sources),
            "--port",
            "0",
            *args,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("serving "):
        process.kill()
        raise RuntimeError(f"serve did not start: {line!r}\n{log.read_text()}")
    url = line.split(" at ", 1)[1].split(" ", 1)[0]
    return Preview(sources, process, url, line, log)


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Return the status, headers and body of one request (errors included)."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass(frozen=True)
class Answer:
    """What a server sent back on one connection: status (None: nothing), headers and body."""

    status: int | None
    headers: dict[str, str]
    body: bytes


def exchange(port: int, data: bytes, close_sending: bool = False, timeout: float = 30.0) -> Answer:
    """Send raw bytes on a new connection and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        if close_sending:
            connection.shutdown(socket.SHUT_WR)
        return read_answer(connection)


def read_answer(connection: socket.socket) -> Answer:
    """Read an answer until the server closes the connection."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        return Answer(None, {}, b"")
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("iso-8859-1").split("\r\n")
    return Answer(int(status_line.split(" ")[1]), dict(line.split(": ", 1) for line in lines), body)


def thread_count(pid: int) -> int:
    """Return how many threads a process runs now."""
    return len(os.listdir(f"/proc/{pid}/task"))


def listening_addresses(port: int) -> set[str]:
    """Return the local addresses with a socket listening on port (Linux /proc/net/tcp*)."""
    found = set()
    for table, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if family == 4:
                found.add(".".join(str(b) for b in reversed(raw)))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(":".join(words[i : i + 2].hex() for i in range(0, 16, 2)))
    return found


def wait_until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait until check() is true; raise TimeoutError after timeout, a generous budget."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)
