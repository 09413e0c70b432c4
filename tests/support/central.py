"""A real central service for tests: ``counter-tui central serve`` in a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from counter_tui.central.db import CentralDB

OFFICE = "000.00.00.H56"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CentralProcess:
    def __init__(
        self,
        db_path: Path,
        port: int | None = None,
        *,
        extra: list[str] | None = None,
        tls: tuple[Path, Path] | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self.db_path = db_path
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.db = CentralDB(db_path)
        self.extra = list(extra or [])
        self.tls = tls
        self.ca_file = ca_file  # how this test harness itself trusts a TLS service
        # The service's stderr (its log) goes to a file: tests read it, and a pipe nobody
        # drains would block the service once full.
        self.log_path = db_path.with_suffix(".log")

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def start(self) -> CentralProcess:
        cmd = [
            sys.executable,
            "-m",
            "counter_tui.cli",
            "central",
            "--db",
            str(self.db_path),
            "serve",
            "--port",
            str(self.port),
            *self.extra,
        ]
        if self.tls:
            cmd += ["--certfile", str(self.tls[0]), "--keyfile", str(self.tls[1])]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ)
        )
        log.close()
        verify: bool | str = True
        if self.ca_file:
            import ssl

            verify = ssl.create_default_context(cafile=str(self.ca_file))  # type: ignore[assignment]
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log())
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1, verify=verify).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("central service did not start")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as a crash or power cut would."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
