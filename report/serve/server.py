"""The preview server: HTTP on loopback, pages by address, reload events, Ctrl-C to stop."""

from __future__ import annotations

import re
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from report.errors import RenderError, UsageError
from report.render.site import CONTENT_SECURITY_POLICY as SITE_POLICY
from report.render.web import woff2_css
from report.resources import styles_dir
from report.serve import pages, published
from report.serve.connections import DEFAULT_LIMITS, LimitedServer, Limits
from report.serve.pdfs import PdfCache
from report.serve.protocol import (
    Refusal,
    Request,
    decode_target,
    host_name,
    is_loopback,
    parse_head,
    read_head,
)
from report.serve.site import Log, Site
from report.serve.watch import Layout, Watcher

TEMPLATES_DIR = Path(pages.__file__).resolve().parents[1] / "templates"
KEEPALIVE_SECONDS = 10.0
REPORT_PATH = re.compile(r"/(?P<stem>[^/]+)\.(?P<kind>html|pdf)")
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


@dataclass
class Response:
    """One answer: status, content type, body and extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def site_html(body: str) -> Response:
    """Return a page of the web edition with the site's own security policy."""
    return Response(
        HTTPStatus.OK,
        "text/html; charset=utf-8",
        body.encode("utf-8"),
        {"Content-Security-Policy": SITE_POLICY},
    )


def html(status: int, body: str | bytes) -> Response:
    """Return an HTML response with the pages' security policy."""
    return Response(
        status,
        "text/html; charset=utf-8",
        body.encode("utf-8") if isinstance(body, str) else body,
        {"Content-Security-Policy": pages.CONTENT_SECURITY_POLICY},
    )


class Handler(BaseHTTPRequestHandler):
    """Answer GET and HEAD for the index, reports, PDFs, styles and reload events.

    Each connection carries one request (HTTP/1.0), read within Limits.head_seconds and
    checked strictly: a malformed one is 400, any other method 405, a name that no file
    could have 404, and none of them reaches the pages.
    """

    server: PreviewServer
    server_version = "report-serve"
    default_request_version = "HTTP/1.0"  # a refusal before the version is read has a status

    def handle(self) -> None:
        """Read one request in the time allowed and answer it; the connection then closes."""
        self.close_connection = True
        self.requestline, self.command = "", ""
        self.request_version = self.default_request_version
        limits = self.server.limits
        try:
            head = read_head(self.connection, limits.head_seconds)
            if head is None:
                return  # an idle connection: closed without a word
            request = parse_head(head)
            self.command, self.path = request.method, request.target
            self.requestline = f"{request.method} {request.target} {request.version}"
            self.connection.settimeout(limits.write_seconds)
            self._answer(request)
        except Refusal as refusal:
            self.connection.settimeout(limits.write_seconds)
            self._send(
                Response(
                    refusal.status,
                    "text/plain; charset=utf-8",
                    f"{refusal.reason}\n".encode(),
                    refusal.headers,
                ),
                head=self.command == "HEAD",
            )

    def log_message(self, format: str, *args: object) -> None:
        """Keep the terminal for changes and errors, not every request."""

    def _answer(self, request: Request) -> None:
        head = request.method == "HEAD"
        if request.method not in ("GET", "HEAD"):
            raise Refusal(
                HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD", {"Allow": "GET, HEAD"}
            )
        if not request.target.startswith("/"):
            raise Refusal(HTTPStatus.BAD_REQUEST, "the request target must be a path")
        hosts = request.values("host")
        host = host_name(hosts[0]) if hosts else ""
        if self.server.loopback and host and not is_loopback(host):
            # A page elsewhere that points a name of its own at 127.0.0.1 reads nothing.
            self._send(html(HTTPStatus.FORBIDDEN, pages.missing_page("this host", None)), head)
            return
        address = decode_target(request.target)
        if address is None:  # no file has such a name: no need to look
            target = request.target if len(request.target) <= 80 else request.target[:80] + "…"
            self._send(html(HTTPStatus.NOT_FOUND, pages.missing_page(target, None)), head)
            return
        if address.path == "/events":
            self._events(address.query, head)
            return
        try:
            response = self._route(address.path)
        except Exception:  # a bug: show it in the terminal; the server keeps running
            traceback.print_exc()
            response = html(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                pages.failed_page("page", "The preview failed; the terminal shows why.", None),
            )
        self._send(response, head)

    def _route(self, path: str) -> Response:
        site = self.server.site
        if path in ("/", "/index.html"):
            snapshot, version = site.state("")
            return html(
                HTTPStatus.OK,
                site.cached(
                    "", version, lambda: pages.index_page(snapshot, version).encode("utf-8")
                ),
            )
        if path.startswith("/styles/"):
            return self._static(path.removeprefix("/styles/"))
        if path == "/live.js":
            return Response(HTTPStatus.OK, published.ASSET_TYPES[".js"], published.live_script())
        if path.startswith("/site/"):
            return self._site(path)
        match = REPORT_PATH.fullmatch(path)
        stem = match["stem"] if match else ""
        snapshot, version = site.state(stem)
        if match is None or stem not in snapshot.codes:
            # A code's address reloads once its source appears.
            events = pages.events_url(stem, version) if match else None
            return html(HTTPStatus.NOT_FOUND, pages.missing_page(path, events))
        if match["kind"] == "html":
            return html(
                HTTPStatus.OK,
                site.cached(
                    stem,
                    version,
                    lambda: pages.report_page(snapshot, stem, version).encode("utf-8"),
                ),
            )
        found = pages.pdf_input(snapshot, stem)
        if found is None:  # the source has errors: show them, and reload to the PDF when fixed
            return html(HTTPStatus.CONFLICT, pages.report_page(snapshot, stem, version))
        try:
            data = self.server.pdfs.pdf(stem, *found)
        except RenderError as exc:
            return html(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                pages.failed_page(stem, str(exc), pages.events_url(stem, version)),
            )
        return Response(
            HTTPStatus.OK,
            "application/pdf",
            data,
            {"Content-Disposition": f'inline; filename="{stem}.pdf"'},
        )

    def _site(self, path: str) -> Response:
        """Answer for the web edition: its pages, assets, PDFs and search, as published."""
        site = self.server.site
        missing = html(HTTPStatus.NOT_FOUND, pages.missing_page(path, None))
        if path in ("/site/", "/site/index.html"):
            snapshot, version = site.state("")
            index = published.site_index(snapshot, version)
            if index is None:  # the publication has errors: the preview's index lists them
                return self._route("/")
            return site_html(index)
        page = published.SITE_PAGE.fullmatch(path)
        pdf = published.SITE_PDF.fullmatch(path)
        match = page or pdf
        stem = match["stem"] if match is not None else ""
        if stem:
            snapshot, version = site.state(stem)
            if stem not in snapshot.codes:
                return missing
            if pdf is not None:
                return self._route(f"/{stem}.pdf")
            body = published.site_page(snapshot, stem, version)
            if body is None:  # its errors, in the preview's page that reloads once fixed
                return self._route(f"/{stem}.html")
            return site_html(body)
        found = None
        if path.startswith("/site/assets/"):
            found = published.site_asset(path.removeprefix("/site/assets/"))
        elif path.startswith("/site/pagefind/"):
            snapshot, version = site.state("")
            found = self.server.search.file(snapshot, version, path.removeprefix("/site/pagefind/"))
        if found is None:
            return missing
        return Response(HTTPStatus.OK, *found)

    def _static(self, relative: str) -> Response:
        """Serve a style or font file from styles/, and nothing outside it."""
        root = styles_dir()
        missing = html(HTTPStatus.NOT_FOUND, pages.missing_page(f"/styles/{relative}", None))
        try:
            file = (root / relative).resolve()
            kind = STATIC_TYPES.get(file.suffix.lower())
            if kind is None or not file.is_relative_to(root) or not file.is_file():
                return missing
            if file == root / "report.css":  # its fonts as the web reads them: WOFF2
                return Response(HTTPStatus.OK, kind, woff2_css().encode("utf-8"))
            return Response(HTTPStatus.OK, kind, file.read_bytes())
        except (OSError, ValueError):  # a name the system refuses, or a file gone meanwhile
            return missing

    def _events(self, query: dict[str, str], head: bool) -> None:
        """Stream Server-Sent Events: `reload` once the page's version is not the one given."""
        page, version = query.get("page", ""), query.get("version", "")
        if not self.server.streams.acquire(blocking=False):
            raise Refusal(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "too many reload event streams",
                {"Retry-After": "10"},
            )
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self._stream(page, version)
        finally:
            self.server.streams.release()

    def _stream(self, page: str, version: str) -> None:
        """Write a keepalive every KEEPALIVE_SECONDS, and `reload` when the version moves on."""
        try:
            while True:
                now = self.server.site.wait(page, version, KEEPALIVE_SECONDS)
                if now is None:
                    return
                if now != version:
                    self.wfile.write(f"event: reload\ndata: {now}\n\n".encode("ascii"))
                    self.wfile.flush()
                    return
                self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the page went away

    def _send(self, response: Response, head: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(response.body)


class PreviewServer(LimitedServer):
    """The preview's HTTP server, holding the site and its PDFs."""

    def __init__(
        self, address: tuple[str, int], site: Site, pdfs: PdfCache, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.site = site
        self.pdfs = pdfs
        self.search = published.SearchBundles()
        self.loopback = is_loopback(address[0])
        self.address_family = socket.getaddrinfo(address[0], address[1], type=socket.SOCK_STREAM)[
            0
        ][0]
        super().__init__(address, Handler, limits)

    @property
    def url(self) -> str:
        """Return the address to open in a browser."""
        address, port = self.server_address[:2]
        name = address.decode() if isinstance(address, (bytes, bytearray)) else address
        host = f"[{name}]" if ":" in name else name
        return f"http://{host}:{port}/"


def open_server(folder: Path, shown_path: str, host: str, port: int, log: Log) -> PreviewServer:
    """Load the sources and bind the server (not yet serving); raise UsageError if it cannot."""
    if not folder.is_dir():
        raise UsageError(f"{shown_path}: the sources folder does not exist")
    layout = Layout(folder.resolve(), TEMPLATES_DIR, styles_dir())
    pdfs = PdfCache()
    site = Site(layout, shown_path, pdfs, log)
    try:
        server = PreviewServer((host, port), site, pdfs)
    except (OSError, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(
            f"cannot listen on {host} port {port}: {why}; choose another with --port or --host"
        ) from exc
    return server


def serve(
    folder: Path,
    shown_path: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    log: Log = print,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the preview until Ctrl-C (or SIGTERM), watching and reloading as files change."""
    server = open_server(folder, shown_path, host, port, log)
    site, pdfs = server.site, server.pdfs
    watcher = Watcher(site.layout.watched(), lambda paths: site.apply(site.layout.classify(paths)))
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C stops the server even when it was started with SIGINT ignored (as a
        # background job of a shell without job control is), and so does SIGTERM.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
    errors = site.snapshot().errors
    for finding in errors:
        log(str(finding))
    announce(
        f"serving {len(site.snapshot().codes)} reports from {shown_path} at {server.url} "
        f"({len(errors)} error{'s' * (len(errors) != 1)}); Ctrl-C stops"
    )
    if not server.loopback:
        log(f"warning: listening on {host}: anyone who can reach this machine can read the reports")
    pdfs.start()
    watcher.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        site.close()
        server.server_close()
        pdfs.close()
    log("stopped")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
