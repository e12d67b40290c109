"""The preview server: HTTP on loopback, pages by address, reload events, Ctrl-C to stop."""

from __future__ import annotations

import ipaddress
import re
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from report.errors import RenderError, UsageError
from report.render.styles import STYLES_DIR
from report.serve import pages
from report.serve.pdfs import PdfCache
from report.serve.site import Log, Site
from report.serve.watch import Layout, Watcher

TEMPLATES_DIR = Path(pages.__file__).resolve().parents[1] / "templates"
KEEPALIVE_SECONDS = 10.0
REPORT_PATH = re.compile(r"/(?P<stem>[^/]+)\.(?P<kind>html|pdf)")
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".ttf": "font/ttf", ".otf": "font/otf",
                ".woff": "font/woff", ".woff2": "font/woff2"}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@dataclass
class Response:
    """One answer: status, content type, body and extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def html(status: int, body: str | bytes) -> Response:
    """Return an HTML response with the pages' security policy."""
    return Response(status, "text/html; charset=utf-8",
                    body.encode("utf-8") if isinstance(body, str) else body,
                    {"Content-Security-Policy": pages.CONTENT_SECURITY_POLICY})


def is_loopback(host: str) -> bool:
    """Return whether an address or host name is this machine's loopback."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    """Answer GET and HEAD for the index, reports, PDFs, styles and reload events."""

    server: PreviewServer
    server_version = "report-serve"

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        """Answer a GET."""
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        """Answer a HEAD: the GET's headers without its body."""
        self._answer(head=True)

    def _refuse_method(self) -> None:
        self._send(Response(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                            b"only GET and HEAD\n", {"Allow": "GET, HEAD"}), head=False)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        """Keep the terminal for changes and errors, not every request."""

    def _answer(self, head: bool) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        if self.server.loopback and host and not is_loopback(host):
            # A page elsewhere that points a name of its own at 127.0.0.1 reads nothing.
            self._send(html(HTTPStatus.FORBIDDEN, pages.missing_page("this host", None)), head)
            return
        path = unquote(urlsplit(self.path).path)
        try:
            if path == "/events" and not head:
                self._events(parse_qs(urlsplit(self.path).query))
                return
            response = self._route(path)
        except Exception:  # a bug: show it in the terminal; the server keeps running
            traceback.print_exc()
            response = html(HTTPStatus.INTERNAL_SERVER_ERROR, pages.failed_page(
                "page", "The preview failed; the terminal shows why.", None))
        self._send(response, head)

    def _route(self, path: str) -> Response:
        site = self.server.site
        if path in ("/", "/index.html"):
            snapshot, version = site.state("")
            return html(HTTPStatus.OK, site.cached("", version, lambda: pages.index_page(
                snapshot, version).encode("utf-8")))
        if path.startswith("/styles/"):
            return self._static(path.removeprefix("/styles/"))
        match = REPORT_PATH.fullmatch(path)
        stem = match["stem"] if match else ""
        snapshot, version = site.state(stem)
        if match is None or stem not in snapshot.codes:
            # A code's address reloads once its source appears.
            events = pages.events_url(stem, version) if match else None
            return html(HTTPStatus.NOT_FOUND, pages.missing_page(path, events))
        if match["kind"] == "html":
            return html(HTTPStatus.OK, site.cached(stem, version, lambda: pages.report_page(
                snapshot, stem, version).encode("utf-8")))
        found = pages.pdf_input(snapshot, stem)
        if found is None:  # the source has errors: show them, and reload to the PDF when fixed
            return html(HTTPStatus.CONFLICT, pages.report_page(snapshot, stem, version))
        try:
            data = self.server.pdfs.pdf(stem, *found)
        except RenderError as exc:
            return html(HTTPStatus.INTERNAL_SERVER_ERROR, pages.failed_page(
                stem, str(exc), pages.events_url(stem, version)))
        return Response(HTTPStatus.OK, "application/pdf", data,
                        {"Content-Disposition": f'inline; filename="{stem}.pdf"'})

    def _static(self, relative: str) -> Response:
        """Serve a style or font file from styles/, and nothing outside it."""
        root = STYLES_DIR.resolve()
        file = (root / relative).resolve()
        kind = STATIC_TYPES.get(file.suffix.lower())
        if kind is None or not file.is_relative_to(root) or not file.is_file():
            return html(HTTPStatus.NOT_FOUND, pages.missing_page(f"/styles/{relative}", None))
        return Response(HTTPStatus.OK, kind, file.read_bytes())

    def _events(self, query: dict[str, list[str]]) -> None:
        """Stream Server-Sent Events: `reload` once the page's version is not the one given."""
        page, version = query.get("page", [""])[0], query.get("version", [""])[0]
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
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
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            try:
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                pass


class PreviewServer(ThreadingHTTPServer):
    """A threading HTTP server holding the site and its PDFs; request threads are daemons."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: Site, pdfs: PdfCache) -> None:
        self.site = site
        self.pdfs = pdfs
        self.loopback = is_loopback(address[0])
        self.address_family = socket.getaddrinfo(address[0], address[1],
                                                 type=socket.SOCK_STREAM)[0][0]
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        """Return the address to open in a browser."""
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"


def open_server(folder: Path, shown: str, host: str, port: int, log: Log) -> PreviewServer:
    """Load the sources and bind the server (not yet serving); raise UsageError if it cannot."""
    if not folder.is_dir():
        raise UsageError(f"{shown}: the sources folder does not exist")
    layout = Layout(folder.resolve(), TEMPLATES_DIR, STYLES_DIR.resolve())
    pdfs = PdfCache()
    site = Site(layout, shown, pdfs, log)
    try:
        server = PreviewServer((host, port), site, pdfs)
    except (OSError, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot listen on {host} port {port}: {why}; "
                         "choose another with --port or --host") from exc
    return server


def serve(folder: Path, shown: str, host: str = "127.0.0.1", port: int = 8000,
          log: Log = print, announce: Callable[[str], None] = print) -> None:
    """Serve the preview until Ctrl-C (or SIGTERM), watching and reloading as files change."""
    server = open_server(folder, shown, host, port, log)
    site, pdfs = server.site, server.pdfs
    watcher = Watcher(site.layout.watched(), lambda paths: site.apply(
        site.layout.classify(paths)))
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    errors = site.snapshot().errors
    for finding in errors:
        log(str(finding))
    announce(f"serving {len(site.snapshot().codes)} reports from {shown} at {server.url} "
             f"({len(errors)} error{'s' * (len(errors) != 1)}); Ctrl-C stops")
    if not server.loopback:
        log(f"warning: listening on {host}: anyone who can reach this machine can read "
            "the reports")
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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
