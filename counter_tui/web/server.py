"""The web server behind ``counter-tui serve``: textual-serve's, held to loopback and one tab.

textual-serve starts the app once per browser tab (a child process speaking to the page
over a websocket). Here that server is kept to what a counter PC needs:

* it listens on 127.0.0.1 only, and answers only pages that were loaded from there:
  a web site open in another tab cannot drive the counter through a websocket to
  127.0.0.1 (browsers send their Origin, which is refused), nor through a name that
  resolves to 127.0.0.1 (the Host is refused);
* one tab per counter: the cache is one per PC and only one app may hold it, so a
  second tab is told so in words, rather than a second app failing on the lock; a
  reload waits for the app of the closed page to finish writing and exit first;
* its page is ours (``templates/counter.html``): the font textual-serve ships is
  served from here, so nothing is fetched from the internet.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import sys
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from counter_tui.settings import CONFIG_ENV
from counter_tui.ui.i18n import language, tr

HOST = "127.0.0.1"
TEMPLATES = Path(__file__).parent / "templates"
# How long a new tab waits for the app of a page just closed or reloaded to save and exit
# (its store lock is held until then); past this the tab is told the counter is busy.
ENDING_WAIT_S = 20.0
# A reloaded page's new connection may come in before the server has read the old one's
# end: this long is given to it before another tab is told the counter is taken.
LEAVING_WAIT_S = 2.0

log = logging.getLogger("counter-tui.web")


def app_command(lang: str | None) -> str:
    """The shell command each tab runs: this Python, the ordinary app.

    The settings file goes by the environment (``COUNTER_TUI_CONFIG``), never on the
    command line, so no path is ever parsed by a shell (cmd.exe re-reads ``& | ^ %``)."""
    argv = [sys.executable, "-m", "counter_tui.cli", *(["--lang", lang] if lang else [])]
    if sys.platform.startswith("win"):
        # Popen wraps the whole line in one more pair of quotes for cmd /c, which strips
        # exactly that pair; inside quotes cmd.exe takes & | < > as text.
        return " ".join(f'"{a}"' for a in argv)
    return shlex.join(argv)


class CounterAppService(AppService):
    """One tab's app process, told which settings file to read."""

    def __init__(self, command: str, *, config: str | None, **kw: Any) -> None:
        super().__init__(command, **kw)
        self.config = config

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width=width, height=height)
        if self.config:
            env[CONFIG_ENV] = self.config
        return env


@dataclass
class _Session:
    """The tab that has the counter, and when its app has exited."""

    socket: web.WebSocketResponse
    leaving: asyncio.Event = field(default_factory=asyncio.Event)  # its page has gone
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # its app has exited


def busy_text() -> str:
    """What a second tab shows instead of the app."""
    return tr(
        "Quầy này đang mở ở một thẻ khác của trình duyệt.\n"
        "Mỗi quầy chỉ mở trong một thẻ: hãy dùng thẻ kia,\n"
        "hoặc đóng thẻ kia rồi tải lại trang này (F5).",
        "This counter is already open in another browser tab.\n"
        "A counter opens in one tab only: use that tab,\n"
        "or close it and reload this page (F5).",
    )


class CounterServer(Server):
    """textual-serve's server on 127.0.0.1, with our page, one tab at a time."""

    def __init__(
        self,
        *,
        port: int,
        lang: str | None = None,
        config: str | None = None,
        title: str = "counter-tui",
        open_browser: bool = True,
    ) -> None:
        super().__init__(
            app_command(lang), host=HOST, port=port, title=title, templates_path=TEMPLATES
        )
        self.config = config
        self.open_browser = open_browser
        self.url = f"http://{HOST}:{port}/"
        self._session: _Session | None = None
        self._gate = asyncio.Lock()
        self._opener: asyncio.Task[None] | None = None  # kept: a task nobody holds may vanish

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._loopback_pages_only)
        return app

    @web.middleware
    async def _loopback_pages_only(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        ours = f"{HOST}:{self.port}"
        if request.host != ours:
            if request.host == f"localhost:{self.port}":
                raise web.HTTPFound(f"http://{ours}{request.path_qs}")
            raise web.HTTPForbidden(text=f"counter-tui: open {self.url}")
        origin = request.headers.get("Origin")
        if origin is not None and origin != self.public_url:
            log.warning("refused a request from the page of %s", origin)
            raise web.HTTPForbidden(text="counter-tui: not from this page")
        return await handler(request)

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(
            tr(
                f"counter-tui đang chạy trong trình duyệt: {self.url}\nCtrl+C để dừng.",
                f"counter-tui is running in the browser: {self.url}\nCtrl+C stops it.",
            ),
            highlight=False,
        )
        if self.open_browser:
            self._opener = asyncio.create_task(self._open_when_listening())

    async def _open_when_listening(self) -> None:
        # The startup hooks run before the socket listens: wait for it, then open the page.
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection(HOST, self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        await asyncio.get_running_loop().run_in_executor(None, webbrowser.open, self.url)

    @aiohttp_jinja2.template("counter.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        return {
            "lang": language(),
            "title": self.title,
            "static": f"{self.public_url}/static/",
            "websocket_url": f"ws://{HOST}:{self.port}/ws",
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "starting": tr("Đang mở quầy…", "Opening the counter…"),
            "ended": tr("Phiên làm việc đã kết thúc.", "The session has ended."),
            "restart": tr("Mở lại", "Open again"),
            "file_ready": tr("Tệp đã sẵn sàng:", "The file is ready:"),
            "open_file": tr("Mở tệp", "Open the file"),
        }

    async def _take_counter(self, socket: web.WebSocketResponse) -> _Session | None:
        """This tab's session, or None when another tab has the counter."""
        async with self._gate:
            current = self._session
            if current is not None:
                try:
                    await asyncio.wait_for(current.leaving.wait(), LEAVING_WAIT_S)
                    # Closed or reloaded a moment ago: its app is still saving and exiting,
                    # and holds the store until it has.
                    await asyncio.wait_for(current.ended.wait(), ENDING_WAIT_S)
                except TimeoutError:
                    return None
            self._session = _Session(socket)
            return self._session

    async def _say_busy(self, socket: web.WebSocketResponse) -> None:
        screen = "\x1b[2J\x1b[H\r\n  " + busy_text().replace("\n", "\r\n  ") + "\r\n"
        await socket.send_bytes(screen.encode("utf-8"))
        async for message in socket:  # kept open, so the words stay on the page
            if message.type == WSMsgType.TEXT and message.data.startswith('["ping"'):
                await socket.send_json(["pong", message.json()[1]])

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=15)
        await socket.prepare(request)
        session = await self._take_counter(socket)
        if session is None:
            await self._say_busy(socket)
            return socket
        service = CounterAppService(
            self.command,
            config=self.config,
            write_bytes=socket.send_bytes,
            write_str=socket.send_str,
            close=socket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        try:
            await service.start(
                to_int(request.query.get("width", "80"), 80),
                to_int(request.query.get("height", "24"), 24),
            )
            await self._process_messages(socket, service)
        except asyncio.CancelledError:
            await socket.close()
        except Exception:
            log.exception("the tab's app ended with an error")
        finally:
            session.leaving.set()
            await service.stop()
            session.ended.set()
            if self._session is session:
                self._session = None
        return socket


def port_in_use_text(port: int) -> str:
    return tr(
        f"Cổng {port} đang được dùng (có thể counter-tui serve đã chạy: mở http://{HOST}:{port}/), "
        "hoặc chọn cổng khác bằng --port.",
        f"Port {port} is in use (counter-tui serve may be running already: open "
        f"http://{HOST}:{port}/), or choose another with --port.",
    )


def config_path(config: str | None) -> str | None:
    """The settings file the tabs read, made absolute (a tab's process may start elsewhere)."""
    return str(Path(config).resolve()) if config else os.environ.get(CONFIG_ENV)
