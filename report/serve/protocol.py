"""What the preview takes of HTTP: a request head read within a deadline and checked strictly."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

MAX_LINE = 8192  # bytes of the request line
MAX_HEAD = 65536  # bytes of the request line and headers together
MAX_HEADERS = 100
MAX_PATH = 1024  # characters of a target's path, and of its query
MAX_NAME = 255  # bytes of one decoded path segment (a file name's limit)
MAX_FIELDS = 16  # query fields

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
TARGET = re.compile(rb"[\x21-\x7e]+")
# A header: a token, a colon, a value of visible characters, spaces, tabs and obs-text.
HEADER = re.compile(
    rb"(?P<name>[!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*"
    rb"(?P<value>[^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*"
)
HEAD_END = re.compile(rb"\r?\n\r?\n")
LINE_BYTES = re.compile(rb"[\x20-\x7e]*\r?")  # what a request line may hold so far
ESCAPED = re.compile(r"(?:[^%]|%[0-9A-Fa-f]{2})*")
HOST = re.compile(
    r"(?:\[(?P<literal>[^\]]*)\]|(?P<name>[A-Za-z0-9._~!$&'()*+,;=%-]*))"
    r"(?::(?P<port>[0-9]*))?"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class Refusal(Exception):
    """A request answered with an error status and a one-line reason, not with a page."""

    def __init__(
        self, status: HTTPStatus, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status.value} {reason}")
        self.status = status
        self.reason = reason
        self.headers = headers or {}


@dataclass(frozen=True)
class Request:
    """A request head as sent: method, target, version and header fields (names lowercased)."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...] = ()

    def values(self, name: str) -> list[str]:
        """Return every value of one header field."""
        return [value for key, value in self.headers if key == name]


@dataclass(frozen=True)
class Address:
    """A target decoded: its path of text segments and its query fields."""

    path: str
    query: dict[str, str] = field(default_factory=dict)


def read_head(connection: socket.socket, seconds: float) -> bytes | None:
    """Read a request line and headers sent within seconds; None: nothing came; raise Refusal."""
    deadline = time.monotonic() + seconds
    buffer = bytearray()
    while True:
        end = HEAD_END.search(buffer.lstrip(b"\r\n"))
        if end is not None:
            return bytes(buffer.lstrip(b"\r\n")[: end.end()])
        _check_partial(bytes(buffer.lstrip(b"\r\n")))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection.settimeout(remaining)
        try:
            data = connection.recv(16384)
        except TimeoutError:
            break
        if not data:  # the client closed its side
            if buffer.strip(b"\r\n"):
                raise Refusal(HTTPStatus.BAD_REQUEST, "incomplete request head")
            return None
        buffer += data
    if buffer.strip(b"\r\n"):
        raise Refusal(HTTPStatus.REQUEST_TIMEOUT, "request head not sent in time")
    return None  # an idle connection: closed without an answer


def _check_partial(buffer: bytes) -> None:
    """Refuse a head that is already too long, or a first line that cannot be a request."""
    line = buffer.split(b"\n", 1)[0]
    if len(line.removesuffix(b"\r")) > MAX_LINE:
        raise Refusal(HTTPStatus.REQUEST_URI_TOO_LONG, "request line too long")
    if not LINE_BYTES.fullmatch(line):
        raise Refusal(HTTPStatus.BAD_REQUEST, "malformed request line")
    if len(buffer) > MAX_HEAD:
        raise Refusal(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large")


def parse_head(head: bytes) -> Request:
    """Parse a request head read by read_head; raise Refusal if it is malformed."""
    lines = [line.removesuffix(b"\r") for line in head.split(b"\n")]
    lines = lines[:-2] if len(lines) >= 2 else lines  # the blank line that ends the head
    request_line, header_lines = lines[0], lines[1:]
    _check_partial(request_line)
    if len(head) > MAX_HEAD:
        raise Refusal(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large")
    parts = request_line.split(b" ")
    if len(parts) != 3 or not TOKEN.fullmatch(parts[0]) or not TARGET.fullmatch(parts[1]):
        raise Refusal(HTTPStatus.BAD_REQUEST, "malformed request line")
    version = VERSION.fullmatch(parts[2])
    if version is None:
        raise Refusal(HTTPStatus.BAD_REQUEST, "malformed HTTP version")
    if version[1] != b"1":
        raise Refusal(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1")
    if len(header_lines) > MAX_HEADERS:
        raise Refusal(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "too many header fields")
    headers = []
    for line in header_lines:
        match = HEADER.fullmatch(line)
        if match is None:
            raise Refusal(HTTPStatus.BAD_REQUEST, "malformed header field")
        headers.append((match["name"].decode("ascii").lower(), match["value"].decode("iso-8859-1")))
    request = Request(
        parts[0].decode("ascii"), parts[1].decode("ascii"), parts[2].decode("ascii"), tuple(headers)
    )
    hosts = request.values("host")
    if len(hosts) > 1 or (not hosts and request.version == "HTTP/1.1"):
        raise Refusal(HTTPStatus.BAD_REQUEST, "exactly one Host header field is required")
    return request


def host_name(value: str) -> str:
    """Return the host of a Host header's value, lowercased; raise Refusal if it is malformed."""
    match = HOST.fullmatch(value)
    if match is None:
        raise Refusal(HTTPStatus.BAD_REQUEST, "malformed Host header field")
    if match["literal"] is None:
        return match["name"].lower()
    try:
        return str(ipaddress.IPv6Address(match["literal"]))
    except ValueError:
        raise Refusal(HTTPStatus.BAD_REQUEST, "malformed Host header field") from None


def is_loopback(host: str) -> bool:
    """Return whether an address or host name is this machine's loopback."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def decode_target(target: str) -> Address | None:
    """Return the address a target names, or None for anything no file could be called."""
    path, _, query = target.partition("?")
    if not path.startswith("/") or "#" in target or len(path) > MAX_PATH or len(query) > MAX_PATH:
        return None
    names = []
    for segment in path.split("/")[1:]:
        name = _unescape(segment)
        if (
            name is None
            or name in (".", "..")
            or "/" in name
            or "\\" in name
            or len(name.encode("utf-8")) > MAX_NAME
        ):
            return None
        names.append(name)
    fields: dict[str, str] = {}
    for pair in query.split("&") if query else []:
        key, _, value = pair.partition("=")
        key_text, value_text = _unescape(key, plus=True), _unescape(value, plus=True)
        if (
            key_text is None
            or value_text is None
            or key_text in fields
            or len(fields) == MAX_FIELDS
        ):
            return None
        fields[key_text] = value_text
    return Address("/" + "/".join(names), fields)


def _unescape(text: str, plus: bool = False) -> str | None:
    """Decode %XX escapes as UTF-8; None for a malformed escape, bad UTF-8 or a control."""
    if not ESCAPED.fullmatch(text):
        return None
    try:
        decoded = unquote_to_bytes(text.replace("+", " ") if plus else text).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if CONTROL.search(decoded) else decoded
