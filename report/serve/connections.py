"""How many connections the preview takes on at once, how long it waits, and how it hangs up."""

from __future__ import annotations

import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUSY_TEXT = b"too many connections at once\n"
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s"
    % (len(BUSY_TEXT), BUSY_TEXT)
)
LINGER_BYTES = 65536


@dataclass(frozen=True)
class Limits:
    """What the server takes on: connections and event streams at once, and its waits."""

    connections: int = 256  # handled at once, each by a thread; more wait in the queue
    streams: int = 64  # of those, reload event streams (each lasts while its page is open)
    backlog: int = 1024  # connections the system holds until they are taken
    queue_seconds: float = 2.0  # the wait for a free thread before 503s
    head_seconds: float = 5.0  # to send the request line and headers once connected
    write_seconds: float = 30.0  # to take an answer; each write of an event stream
    linger_seconds: float = 2.0  # to close its side after the answer


DEFAULT_LIMITS = Limits()


class LimitedServer(ThreadingHTTPServer):
    """A threading HTTP server with at most Limits.connections threads at work.

    A connection beyond them waits, with those the system holds, for a thread to come
    free, and is answered 503 if none does within queue_seconds; those after it are
    answered 503 at once until a thread is free again.
    """

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], limits: Limits
    ) -> None:
        self.limits = limits
        self.request_queue_size = limits.backlog
        self.slots = threading.BoundedSemaphore(limits.connections)
        self.streams = threading.BoundedSemaphore(limits.streams)
        self.turning_away = False
        super().__init__(address, handler)

    def process_request(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: tuple[str, int] | str,
    ) -> None:
        """Hand a connection to a thread once one is free; else answer 503."""
        assert isinstance(request, socket.socket)
        if self.turning_away:  # the last one waited in vain: no wait until a thread is free
            taken = self.slots.acquire(blocking=False)
        else:
            taken = self.slots.acquire(timeout=self.limits.queue_seconds)
        self.turning_away = not taken
        if not taken:
            turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: tuple[str, int] | str,
    ) -> None:
        """Handle a connection in its thread, then free the thread's place."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        """Close a connection so that the client reads the whole answer."""
        assert isinstance(request, socket.socket)
        linger(request, self.limits.linger_seconds)
        self.close_request(request)

    def handle_error(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: tuple[str, int] | str,
    ) -> None:
        """Say nothing of a client that went away or stalled; show a bug's traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def linger(connection: socket.socket, seconds: float) -> None:
    """Close the sending side, then read what the client still sends until it closes.

    Closing with unread bytes makes the system reset the connection, and a reset can
    destroy the answer before the client has read it (a refused request's body, say).
    """
    deadline = time.monotonic() + seconds
    taken = 0
    try:
        connection.shutdown(socket.SHUT_WR)
        while taken < LINGER_BYTES and (remaining := deadline - time.monotonic()) > 0:
            connection.settimeout(remaining)
            data = connection.recv(16384)
            if not data:
                return
            taken += len(data)
    except OSError:
        return


def turn_away(connection: socket.socket) -> None:
    """Answer 503 at once and close, without ever blocking the thread that accepts."""
    try:
        connection.setblocking(False)
        connection.send(BUSY)
        connection.shutdown(socket.SHUT_WR)
        while connection.recv(16384):
            pass
    except OSError:
        pass
    connection.close()
