"""Headless Chromium driven over the Chrome DevTools Protocol (websocket-client), for the tests."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import websocket

# As root Chromium needs --no-sandbox; the others keep it from reaching for the network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--window-size=1200,1500",
]


def chromium_path() -> str | None:
    """Return Chromium's executable, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class CdpError(Exception):
    """The browser answered a command with an error."""


class Browser:
    """One headless Chromium process and a DevTools connection to it."""

    def __init__(self, executable: str, profile: Path) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        port_file = profile / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # left by an earlier browser on this profile
        self.log = (profile / "chromium.log").open("wb")
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().split()) == 2):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"Chromium did not start; see {profile / 'chromium.log'}")
            time.sleep(0.05)
        port, path = port_file.read_text().split()
        try:
            self.ws = websocket.create_connection(
                f"ws://127.0.0.1:{port}{path}", timeout=30, suppress_origin=True
            )
        except OSError:
            self.process.kill()
            raise
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, session: str | None = None, timeout: float = 30, **params: Any
    ) -> dict[str, Any]:
        """Send a command and return its result; events that arrive meanwhile are kept."""
        number = next(self.ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == number:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_event(
        self, method: str, session: str, timeout: float = 30, **wanted: Any
    ) -> dict[str, Any]:
        """Return the next event of this kind for a page whose parameters include wanted."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                params = event.get("params", {})
                if (
                    event.get("method") == method
                    and event.get("sessionId") == session
                    and all(params.get(key) == value for key, value in wanted.items())
                ):
                    self.events.remove(event)
                    return params
            self._receive(deadline)

    def _receive(self, deadline: float) -> dict[str, Any]:
        self.ws.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            raise TimeoutError("no answer from Chromium in time") from None
        if "method" in message:
            self.events.append(message)
        return message

    def new_page(self) -> Page:
        """Open a tab and attach to it."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        self.send("Page.enable", session)
        self.send("Page.setLifecycleEventsEnabled", session, enabled=True)
        return page

    def close(self) -> None:
        """Close the browser."""
        with contextlib.suppress(CdpError, TimeoutError, websocket.WebSocketException, OSError):
            self.send("Browser.close", timeout=5)
        self.ws.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Page:
    """One tab: navigate, read it, wait for it to change, take a screenshot."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def goto(self, url: str) -> None:
        """Load an address and wait for the load event of that very navigation."""
        self.browser.events = [e for e in self.browser.events if e.get("sessionId") != self.session]
        loader = self.browser.send("Page.navigate", self.session, url=url)["loaderId"]
        self.browser.wait_event("Page.lifecycleEvent", self.session, name="load", loaderId=loader)

    def evaluate(self, expression: str, timeout: float = 10) -> Any:
        """Return the value of a JavaScript expression in the page (a promise's, once settled).

        timeout is a generous budget in seconds, not a measure.
        """
        result = self.browser.send(
            "Runtime.evaluate",
            self.session,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text(self) -> str:
        """Return the text of the page as shown."""
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for_text(self, wanted: str, timeout: float = 60) -> float:
        """Wait until the page shows wanted, without touching it; return the seconds waited.

        timeout is a generous budget, not a measure.
        """
        start = time.monotonic()
        while True:
            try:
                if wanted in self.text():
                    return time.monotonic() - start
            except (CdpError, TimeoutError):
                pass  # the page is between two documents while it reloads
            if time.monotonic() - start > timeout:
                raise TimeoutError(
                    f"the page did not show {wanted!r} in {timeout} s; "
                    f"it shows: {self.text()[:500]!r}"
                )
            time.sleep(0.02)

    def screenshot(self, path: Path, full_page: bool = False) -> None:
        """Write a PNG of the page (the viewport, or the whole page)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.browser.send("Page.getLayoutMetrics", self.session)["cssContentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            }
        data = self.browser.send("Page.captureScreenshot", self.session, **params)["data"]
        path.write_bytes(base64.b64decode(data))
