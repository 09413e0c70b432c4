"""A small TCP proxy on loopback that injects faults between a counter and the central service.

Modes: ``pass`` (forward), ``delay`` (hold each chunk ``delay`` seconds),
``refuse`` (close new connections at once), ``cut_response`` (forward the
request, swallow the response and close: the server acted, the client never
hears), ``error503`` (answer every request with a 503 without forwarding),
``drop`` (forward, but cut each connection after a random number of bytes sent
to the server, between ``drop_bytes``: a link that drops every few seconds in the
middle of an upload).
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time


class FaultProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.mode = "pass"
        self.delay = 0.0
        self.cut_after: int | None = None  # with cut_response: only the first N requests
        self.requests = 0
        self.drop_bytes = (256 * 1024, 3 * 1024 * 1024)  # with drop: cut after this many
        self.drops = 0  # connections cut by ``drop``
        self.rng = random.Random(14)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stop = False
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, mode: str, delay: float = 0.0) -> None:
        """Switch mode and drop open connections, so kept-alive ones feel the change too."""
        self.mode, self.delay = mode, delay
        conns, self._conns = self._conns, []
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                c.close()

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            self._sock.close()
        for c in self._conns:
            with contextlib.suppress(OSError):
                c.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(client)
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        mode = self.mode
        if mode == "refuse":
            client.close()
            return
        if mode == "error503":
            with contextlib.suppress(OSError):
                client.recv(65536)
                body = b'{"detail":"injected"}'
                client.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
                )
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        self._conns.append(upstream)
        # Forward at once (as real proxies do): with Nagle's algorithm each request's small
        # last piece waits for the peer's delayed ACK, ~40 ms a request on loopback.
        for s in (client, upstream):
            with contextlib.suppress(OSError):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cut = False
        if mode == "cut_response":
            self.requests += 1
            cut = self.cut_after is None or self.requests <= self.cut_after
        # (Subclasses override ``_pump(src, dst, swallow)``: the budget goes only in drop mode.)
        up: tuple[object, ...] = (client, upstream, False)
        if mode == "drop":
            up += (self.rng.randint(*self.drop_bytes),)
        threading.Thread(target=self._pump, args=up, daemon=True).start()
        self._pump(upstream, client, cut)

    def _pump(
        self, src: socket.socket, dst: socket.socket, swallow: bool, budget: int | None = None
    ) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if budget is not None:
                    budget -= len(data)
                    if budget < 0:
                        # The link drops mid-request: both sides see the connection go.
                        self.drops += 1
                        break
                if self.delay and self.mode == "delay":
                    time.sleep(self.delay)
                if swallow:
                    # The server answered: drop it and hang up on the client.
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()
