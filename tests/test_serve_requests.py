"""`serve` answers every request, however malformed or hostile, with a status and no traceback."""

from __future__ import annotations

import socket

import pytest
from serving import Preview, exchange, read_answer

from report.serve.protocol import Refusal, host_name

HOST = b"Host: localhost\r\n"
NOT_FOUND = "<page>"  # the preview's own "Not found" page
FORBIDDEN = "<host page>"  # the same page, for a request addressed to another host's name


def get(target: bytes, headers: bytes = HOST, method: bytes = b"GET") -> bytes:
    """Return the bytes of a request for target."""
    return method + b" " + target + b" HTTP/1.1\r\n" + headers + b"\r\n"


# Each request as sent on its own connection, the status it gets and the body's text.
CASES: dict[str, tuple[bytes, int, str]] = {
    # Names no file could have: 404 without a look at the file system.
    "NUL in a style name": (get(b"/styles/%00.css"), 404, NOT_FOUND),
    "5,000-character style name": (get(b"/styles/" + b"a" * 5000 + b".css"), 404, NOT_FOUND),
    "300-character report name": (get(b"/" + b"7" * 300 + b".html"), 404, NOT_FOUND),
    "dot-dot": (get(b"/styles/../pyproject.toml"), 404, NOT_FOUND),
    "escaped dot-dot": (get(b"/styles/%2e%2e/pyproject.toml"), 404, NOT_FOUND),
    "dot segment": (get(b"/styles/./report.css"), 404, NOT_FOUND),
    "escaped slash": (get(b"/styles/..%2fpyproject.toml"), 404, NOT_FOUND),
    "escaped slash after styles": (get(b"/styles%2freport.css"), 404, NOT_FOUND),
    "escaped backslashes": (get(b"/styles/fonts%5c..%5c..%5cpyproject.toml"), 404, NOT_FOUND),
    "non-UTF-8 escape": (get(b"/%ff.html"), 404, NOT_FOUND),
    "truncated UTF-8 escape": (get(b"/%c3%28.html"), 404, NOT_FOUND),
    "malformed escape": (get(b"/%zz.html"), 404, NOT_FOUND),
    "escaped NUL after a name": (get(b"/74440.html%00"), 404, NOT_FOUND),
    "escaped newline in a name": (get(b"/74440%0a.html"), 404, NOT_FOUND),
    "escaped C1 control": (get(b"/74440%c2%85.html"), 404, NOT_FOUND),
    "fragment": (get(b"/74440.html#top"), 404, NOT_FOUND),
    "double slash": (get(b"//etc/passwd"), 404, NOT_FOUND),
    "5,000-character query": (get(b"/?" + b"q" * 5000), 404, NOT_FOUND),
    "non-UTF-8 query": (get(b"/?%ff"), 404, NOT_FOUND),
    "repeated query field": (get(b"/?a=1&a=2"), 404, NOT_FOUND),
    "17 query fields": (get(b"/?" + b"&".join(b"f%d=1" % n for n in range(17))), 404, NOT_FOUND),
    "NUL in an events query": (get(b"/events?page=%00"), 404, NOT_FOUND),
    "HEAD of a bad name": (get(b"/styles/%00.css", method=b"HEAD"), 404, ""),
    # Every method but GET and HEAD.
    "POST with a body": (
        (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"),
        405,
        "only GET and HEAD\n",
    ),
    **{
        method: (get(b"/", method=method.encode()), 405, "only GET and HEAD\n")
        for method in (
            "PUT",
            "DELETE",
            "PATCH",
            "OPTIONS",
            "TRACE",
            "PROPFIND",
            "MKCOL",
            "FOO",
            "get",
        )
    },
    "OPTIONS *": (get(b"*", method=b"OPTIONS"), 405, "only GET and HEAD\n"),
    "CONNECT": (get(b"localhost:8000", method=b"CONNECT"), 405, "only GET and HEAD\n"),
    # Malformed request lines and headers: 400, 505.
    "no target": (b"GET\r\n\r\n", 400, "malformed request line\n"),
    "HTTP/0.9 request": (b"GET /\r\n\r\n", 400, "malformed request line\n"),
    "four words": (b"GET / HTTP/1.1 x\r\n" + HOST + b"\r\n", 400, "malformed request line\n"),
    "two spaces": (b"GET  / HTTP/1.1\r\n" + HOST + b"\r\n", 400, "malformed request line\n"),
    "method not a token": (b"G(T / HTTP/1.1\r\n" + HOST + b"\r\n", 400, "malformed request line\n"),
    "raw UTF-8 in the target": (get("/café".encode()), 400, "malformed request line\n"),
    "TLS handshake": (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        400,
        "malformed request line\n",
    ),
    "another protocol": (b"GET / FTP/1.1\r\n" + HOST + b"\r\n", 400, "malformed HTTP version\n"),
    "letter version": (b"GET / HTTP/1.x\r\n" + HOST + b"\r\n", 400, "malformed HTTP version\n"),
    "HTTP/2.0": (b"GET / HTTP/2.0\r\n" + HOST + b"\r\n", 505, "only HTTP/1.0 and HTTP/1.1\n"),
    "HTTP/0.9 version": (b"GET / HTTP/0.9\r\n\r\n", 505, "only HTTP/1.0 and HTTP/1.1\n"),
    "absolute target": (get(b"http://localhost/"), 400, "the request target must be a path\n"),
    "asterisk target": (get(b"*"), 400, "the request target must be a path\n"),
    "header without colon": (get(b"/", HOST + b"NoColon\r\n"), 400, "malformed header field\n"),
    "space before colon": (get(b"/", b"Host : localhost\r\n"), 400, "malformed header field\n"),
    "folded header": (get(b"/", HOST + b"X-A: 1\r\n  folded\r\n"), 400, "malformed header field\n"),
    "NUL in a header": (get(b"/", HOST + b"X-A: a\x00b\r\n"), 400, "malformed header field\n"),
    "HTTP/1.1 without Host": (get(b"/", b""), 400, "exactly one Host header field is required\n"),
    "two Host fields": (get(b"/", HOST + HOST), 400, "exactly one Host header field is required\n"),
    "unclosed IPv6 Host": (get(b"/", b"Host: [::1\r\n"), 400, "malformed Host header field\n"),
    "bare IPv6 Host": (get(b"/", b"Host: ::1\r\n"), 400, "malformed Host header field\n"),
    "not an IPv6 literal": (get(b"/", b"Host: [zz]\r\n"), 400, "malformed Host header field\n"),
    "letter port": (get(b"/", b"Host: localhost:x\r\n"), 400, "malformed Host header field\n"),
    # Too much, or too slow.
    "10,000-byte request line": (get(b"/" + b"a" * 10_000), 414, "request line too long\n"),
    "101 header fields": (get(b"/", HOST + b"X-A: 1\r\n" * 100), 431, "too many header fields\n"),
    "70,000-byte head": (
        get(b"/", HOST + (b"X-A: " + b"a" * 7000 + b"\r\n") * 10),
        431,
        "request head too large\n",
    ),
    # Hosts: loopback names are served, others refused (DNS rebinding).
    "foreign Host": (get(b"/", b"Host: evil.example\r\n"), 403, FORBIDDEN),
    "loopback-looking foreign Host": (get(b"/", b"Host: 127.0.0.1.nip.io\r\n"), 403, FORBIDDEN),
    "IPv6 Host not loopback": (get(b"/", b"Host: [::2]:8000\r\n"), 403, FORBIDDEN),
}


def check(answer_status: int | None, body: bytes, status: int, text: str) -> None:
    """Assert an answer's status and body text."""
    assert answer_status == status
    if text == NOT_FOUND:
        assert b"<title>Not found" in body and b"Nothing is served at /" in body
    elif text == FORBIDDEN:
        assert b"Nothing is served at this host." in body
    else:
        assert body.decode() == text


class TestHostileRequests:
    """Each request gets its exact status and a short answer; the server prints nothing."""

    @pytest.mark.parametrize("case", list(CASES))
    def test_answer(self, preview: Preview, case: str) -> None:
        data, status, text = CASES[case]
        answer = exchange(preview.port, data)
        check(answer.status, answer.body, status, text)
        if status == 405:
            assert answer.headers["Allow"] == "GET, HEAD"
        assert "Traceback" not in preview.log.read_text()
        assert preview.process.poll() is None

    def test_a_head_sent_too_slowly_is_408(self, preview: Preview) -> None:
        with socket.create_connection(("127.0.0.1", preview.port), timeout=30) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\n" + HOST)  # and never the blank line
            answer = read_answer(connection)
        assert (answer.status, answer.body) == (408, b"request head not sent in time\n")

    def test_a_head_cut_short_is_400(self, preview: Preview) -> None:
        answer = exchange(preview.port, b"GET / HTTP/1.1\r\n", close_sending=True)
        assert (answer.status, answer.body) == (400, b"incomplete request head\n")

    def test_a_connection_closed_at_once_is_not_an_error(self, preview: Preview) -> None:
        socket.create_connection(("127.0.0.1", preview.port), timeout=30).close()
        assert exchange(preview.port, get(b"/")).status == 200
        assert "Traceback" not in preview.log.read_text()


class TestLoopbackHosts:
    """Every spelling of a loopback host is served, with or without a port."""

    @pytest.mark.parametrize(
        "host",
        [
            "[::1]:{port}",
            "[::1]",
            "localhost:{port}",
            "localhost",
            "127.0.0.1",
            "127.0.0.1:{port}",
            "LocalHost:{port}",
            "[0:0:0:0:0:0:0:1]",
            "127.0.0.2",
            "",
        ],
    )
    def test_served(self, preview: Preview, host: str) -> None:
        header = f"Host: {host.format(port=preview.port)}\r\n".encode()
        answer = exchange(preview.port, get(b"/74440.html", header))
        assert answer.status == 200 and b"<h1" in answer.body

    def test_http_1_0_needs_no_host(self, preview: Preview) -> None:
        assert exchange(preview.port, b"GET / HTTP/1.0\r\n\r\n").status == 200

    @pytest.mark.parametrize(
        ("value", "host"),
        [
            ("[::1]:8000", "::1"),
            ("[::1]", "::1"),
            ("[0::1]", "::1"),
            ("localhost:8000", "localhost"),
            ("LOCALHOST", "localhost"),
            ("127.0.0.1", "127.0.0.1"),
            ("127.0.0.1:", "127.0.0.1"),
            ("", ""),
        ],
    )
    def test_host_name(self, value: str, host: str) -> None:
        assert host_name(value) == host

    @pytest.mark.parametrize(
        "value",
        [
            "::1",
            "[::1",
            "::1]",
            "[::1]x",
            "a:b:c",
            "a b",
            "[127.0.0.1]",
            "localhost:80a",
            "user@localhost",
        ],
    )
    def test_malformed_host(self, value: str) -> None:
        with pytest.raises(Refusal, match=r"^400 malformed Host header field$"):
            host_name(value)
