"""`serve` under load on loopback: hundreds of clients at once, busy or idle, threads bounded."""

from __future__ import annotations

import html
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Self

import pytest
from serving import Preview, exchange, read_answer, thread_count, wait_until

from report.resources import styles_dir
from report.serve.connections import DEFAULT_LIMITS, Limits
from report.serve.pdfs import PdfCache
from report.serve.server import TEMPLATES_DIR, PreviewServer
from report.serve.site import Site
from report.serve.watch import Layout

CLIENTS = 300
IDLE = 200
BUDGET = 30.0  # seconds: a bound nothing should come near, never a measure
REQUEST = b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n"


class ThreadWatch:
    """Sample a process's thread count in the background and keep the highest."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = thread_count(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, thread_count(self.pid))


def timed_get(port: int, target: bytes, start: threading.Barrier) -> tuple[int | None, float]:
    """GET target once every client is ready; return the status and the seconds it took."""
    start.wait()
    began = time.monotonic()
    answer = exchange(port, REQUEST % target, timeout=BUDGET)
    return answer.status, time.monotonic() - began


def rest(preview: Preview) -> int:
    """Return the server's thread count once its request threads have all ended."""
    exchange(preview.port, REQUEST % b"/")
    counts = [thread_count(preview.process.pid)]

    def settled() -> bool:
        counts.append(thread_count(preview.process.pid))
        return len(counts) > 5 and len(set(counts[-5:])) == 1

    wait_until(settled, BUDGET)
    return counts[-1]


class TestBusyClients:
    """Hundreds of GETs at once are all answered 200, with at most 256 request threads."""

    def test_concurrent_gets(self, preview: Preview) -> None:
        base = rest(preview)
        targets = [b"/", b"/74440.html", b"/55300.html", b"/styles/report.css"]
        start = threading.Barrier(CLIENTS)
        with ThreadWatch(preview.process.pid) as threads, ThreadPoolExecutor(CLIENTS) as pool:
            results = list(
                pool.map(lambda n: timed_get(preview.port, targets[n % 4], start), range(CLIENTS))
            )
        statuses = [status for status, _ in results]
        print(
            f"\n{CLIENTS} concurrent GETs: answered 200 to {statuses.count(200)} of "
            f"{CLIENTS}; latency max {max(s for _, s in results):.3f} s, median "
            f"{sorted(s for _, s in results)[CLIENTS // 2]:.3f} s; server threads "
            f"{base} at rest, {threads.peak} at most (cap {DEFAULT_LIMITS.connections} "
            "request threads)"
        )
        assert statuses == [200] * CLIENTS
        assert threads.peak <= base + DEFAULT_LIMITS.connections
        assert "Traceback" not in preview.log.read_text()


class TestIdleClients:
    """Silent connections are closed after 5 s, and meanwhile others are served at once."""

    def test_idle_connections(self, preview: Preview) -> None:
        base = rest(preview)
        with ExitStack() as stack, ThreadWatch(preview.process.pid) as threads:
            opened = time.monotonic()
            idle = [
                stack.enter_context(
                    socket.create_connection(("127.0.0.1", preview.port), timeout=BUDGET)
                )
                for _ in range(IDLE)
            ]
            wait_until(lambda: thread_count(preview.process.pid) >= base + IDLE, BUDGET)
            began = time.monotonic()
            answer = exchange(preview.port, REQUEST % b"/74440.html", timeout=BUDGET)
            served = time.monotonic() - began
            still_open = sum(_open(connection) for connection in idle)
            # Each ends without a word: no bytes, then end of file.
            closed = [read_answer(connection).status is None for connection in idle]
            waited = time.monotonic() - opened
        print(
            f"\n{IDLE} idle connections: a GET meanwhile answered {answer.status} in "
            f"{served:.3f} s with {still_open} of them open; {closed.count(True)} of "
            f"{IDLE} closed by the server, the last {waited:.1f} s after opening (limit "
            f"{DEFAULT_LIMITS.head_seconds:g} s); server threads {base} at rest, "
            f"{threads.peak} at most"
        )
        assert answer.status == 200
        assert closed == [True] * IDLE
        assert threads.peak <= base + DEFAULT_LIMITS.connections
        wait_until(lambda: thread_count(preview.process.pid) <= base, BUDGET)


def _open(connection: socket.socket) -> bool:
    """Return whether the server has neither written to nor closed a connection yet."""
    connection.setblocking(False)
    try:
        connection.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    finally:
        connection.settimeout(BUDGET)
    return False


class TestEventStream:
    """A page's reload stream outlives the idle limit: keepalives flow every 10 s."""

    def test_stream_survives_the_idle_limit(self, preview: Preview) -> None:
        page = exchange(preview.port, REQUEST % b"/74440.html").body.decode()
        found = re.search(r'data-events="([^"]+)"', page)
        assert found is not None
        events = html.unescape(found[1]).encode()
        with socket.create_connection(("127.0.0.1", preview.port), timeout=BUDGET) as stream:
            stream.sendall(REQUEST % events)
            began = time.monotonic()
            received = b""
            while b": still here\n\n" not in received:
                chunk = stream.recv(4096)
                assert chunk, received  # the server must not close the stream
                received += chunk
            waited = time.monotonic() - began
        print(
            f"\nevent stream: first keepalive after {waited:.1f} s (idle limit "
            f"{DEFAULT_LIMITS.head_seconds:g} s)"
        )
        assert received.startswith(b"HTTP/1.0 200 OK\r\n")
        assert b"Content-Type: text/event-stream\r\n" in received
        assert b"event: reload" not in received


@pytest.fixture
def small_server(sources_copy: Path) -> Iterator[PreviewServer]:
    """Run a preview server in this process with room for 4 connections and 1 event stream."""
    site = Site(
        Layout(sources_copy, TEMPLATES_DIR, styles_dir()),
        str(sources_copy),
        PdfCache(),
        lambda _line: None,
    )
    limits = Limits(connections=4, streams=1, queue_seconds=0.5, head_seconds=BUDGET)
    server = PreviewServer(("127.0.0.1", 0), site, site.pdfs, limits)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    site.close()
    server.shutdown()
    thread.join()
    server.server_close()


class TestConnectionCap:
    """Beyond its connections a server answers 503 quickly; its threads never pass the cap."""

    def test_beyond_the_cap(self, small_server: PreviewServer) -> None:
        port = small_server.server_address[1]
        before = threading.active_count()
        with ExitStack() as stack:
            idle = [
                stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=BUDGET))
                for _ in range(20)
            ]
            wait_until(lambda: threading.active_count() >= before + 4, BUDGET)
            answer = exchange(port, REQUEST % b"/")
            turned = [read_answer(connection).status for connection in idle[4:]]
            peak = threading.active_count()
        print(
            f"\ncap of 4: 20 idle connections and a GET: {turned.count(503)} of 16 beyond "
            f"the cap and the GET answered 503; threads {before} before, {peak} at most"
        )
        assert (answer.status, answer.headers["Retry-After"], answer.body) == (
            503,
            "1",
            b"too many connections at once\n",
        )
        assert turned == [503] * 16
        assert peak <= before + 4
        wait_until(lambda: threading.active_count() == before, BUDGET)
        assert exchange(port, REQUEST % b"/").status == 200

    def test_event_streams_beyond_their_cap(self, small_server: PreviewServer) -> None:
        port = small_server.server_address[1]
        events = (
            b"GET /events?page=74440&version=%s HTTP/1.1\r\nHost: localhost\r\n\r\n"
            % small_server.site.version("74440").encode()
        )
        with socket.create_connection(("127.0.0.1", port), timeout=BUDGET) as stream:
            stream.sendall(events)
            assert stream.recv(17) == b"HTTP/1.0 200 OK\r\n"
            answer = exchange(port, events)
        assert (answer.status, answer.body) == (503, b"too many reload event streams\n")
