"""Test helpers for sync faults: a fault proxy that counts requests, a virtual clock, and
a loop driver that runs the engine's background steps on that clock."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time

from tests.support.counter import Counter
from tests.support.proxy import FaultProxy

REQUEST_LINE = re.compile(
    rb"(?:^|\r\n)(?:GET|POST|PUT|DELETE|HEAD|PATCH) (/[^ \r\n]*) HTTP/1\.[01]\r\n"
)


class CountingProxy(FaultProxy):
    """The fault proxy, counting what the counter sends: HTTP request lines when the
    request is forwarded, one per connection when the proxy answers or hangs up itself.
    One more mode: ``push503`` answers pushes with a 503 and forwards everything else."""

    def __init__(self, target_port: int) -> None:
        self.paths: list[str] = []
        self.refused = 0
        self.connections = 0
        self._count_lock = threading.Lock()
        super().__init__(target_port)

    @property
    def count(self) -> int:
        return len(self.paths) + self.refused

    def reset(self) -> None:
        with self._count_lock:
            self.paths.clear()
            self.refused = 0
            self.connections = 0

    def _handle(self, client: socket.socket) -> None:
        with self._count_lock:
            self.connections += 1
            if self.mode in ("refuse", "error503"):
                self.refused += 1
        super()._handle(client)

    def _pump(self, src: socket.socket, dst: socket.socket, swallow: bool) -> None:
        try:
            to_server = dst.getpeername()[1] == self.target[1]
        except OSError:
            to_server = False
        if not to_server:
            super()._pump(src, dst, swallow)
            return
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._count_lock:
                    paths = [m.decode() for m in REQUEST_LINE.findall(data)]
                    self.paths += paths
                if self.mode == "push503" and "/v1/sync/push" in paths:
                    # The service answers everything but pushes fail (a full disk, say).
                    body = b'{"detail":"injected"}'
                    src.sendall(
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
                    )
                    break
                if self.delay and self.mode == "delay":
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()


class VirtualClock:
    """Monotonic seconds that move only when the test says."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def run_loop(c: Counter, clock: VirtualClock, seconds: float, max_steps: int = 5000) -> int:
    """Run the background loop's steps for ``seconds`` of virtual time; return the steps.
    A step that asks for no wait at all still costs 10 ms, so a spin shows as steps."""
    end, steps = clock.t + seconds, 0
    while clock.t < end and steps < max_steps:
        clock.t += max(0.01, c.engine.step())
        steps += 1
    return steps
