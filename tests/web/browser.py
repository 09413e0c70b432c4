"""A real headless Chromium on a `counter-tui serve` page, and what its terminal shows.

The browser is Debian's chromium (``/usr/bin/chromium``), driven by playwright's bundled
driver; it starts with no network of its own (no background fetches, no QUIC, no sync), a
fresh profile, and every request the page makes recorded.

xterm.js draws the terminal on a canvas, so its text is in no DOM node: :class:`Screen`
replays the bytes the page's websocket received into pyte, a terminal emulator, and reads
the cells from there. Those are the bytes the browser drew, in the order it drew them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyte
from playwright.sync_api import BrowserContext, Download, Page, WebSocket, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return None


class Screen:
    """The terminal of one page, as its websocket fed it."""

    def __init__(self) -> None:
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)

    def attach(self, ws: WebSocket) -> None:
        query = parse_qs(urlparse(ws.url).query)
        if "width" in query:
            self.screen.resize(int(query["height"][0]), int(query["width"][0]))
        ws.on("framereceived", self._received)
        ws.on("framesent", self._sent)

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.stream.feed(payload)

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, str) and payload.startswith('["resize"'):
            size = json.loads(payload)[1]
            self.screen.resize(size["height"], size["width"])

    def text(self) -> str:
        return "\n".join(self.screen.display)


@dataclass
class Browser:
    context: BrowserContext
    requests: list[str] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)

    def _watch(self, page: Page) -> None:
        page.on("download", lambda d: self.downloads.append(d))

    def open(self, url: str) -> tuple[Page, Screen]:
        page = self.context.new_page()
        screen = Screen()
        page.on("websocket", screen.attach)
        page.goto(url)
        return page, screen

    def wait_for_download(self, page: Page, timeout: float = 90.0) -> tuple[str, bytes]:
        """The first file the browser received: its name and its bytes."""
        deadline = time.monotonic() + timeout
        while not self.downloads:
            if time.monotonic() > deadline:
                raise AssertionError(f"no file reached the browser; requests: {self.requests}")
            page.wait_for_timeout(200)
        done = self.downloads[0]
        return done.suggested_filename, Path(done.path()).read_bytes()


def wait_for_text(page: Page, screen: Screen, *texts: str, timeout: float = 90.0) -> str:
    """Wait (generously: the machine may be loaded) until every text is on the screen."""
    deadline = time.monotonic() + timeout
    while True:
        shown = screen.text()
        if all(t in shown for t in texts):
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"never shown: {texts!r}; the screen:\n{shown}")
        page.wait_for_timeout(200)


@contextmanager
def chromium(profile: Path) -> Iterator[Browser]:
    # A PDF opened in a tab is handed to the test as a file rather than drawn by the
    # browser's viewer (whose page, not the PDF, is what a tab's response would hold).
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"plugins": {"always_open_pdf_externally": True}}), encoding="utf-8"
    )
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
            accept_downloads=True,
        )
        browser = Browser(context)
        # Every request of every page and tab, the websocket's included.
        context.on("request", lambda r: browser.requests.append(r.url))
        context.on("page", browser._watch)
        try:
            yield browser
        finally:
            context.close()
