"""A real central service for tests: ``counter-tui central serve`` in a subprocess on 127.0.0.1,
on either engine: a SQLite file, or a fresh database on the PostgreSQL server named by
``COUNTER_TUI_TEST_PG`` (created for the test and dropped after it)."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from counter_tui.central.db import CentralDB
from counter_tui.central.engines import is_postgres

OFFICE = "000.00.00.H56"
PG_SERVER = os.environ.get("COUNTER_TUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ENGINES = ["sqlite", "postgresql"]


@functools.cache
def pg_unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run here (``None``: they can)."""
    try:
        import psycopg

        with psycopg.connect(PG_SERVER, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"no PostgreSQL at {PG_SERVER} ({type(exc).__name__}: {str(exc).strip()[:200]})"
    return None


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards (connections and all)."""
    import psycopg
    from sqlalchemy import make_url

    name = f"ct_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def db_target(engine: str, folder: Path) -> Iterator[str | Path]:
    """Where a test's centre keeps its data on ``engine``; PostgreSQL tests skip (saying why)
    where no server answers, unless ``COUNTER_TUI_REQUIRE_PG=1`` (CI), where they fail."""
    if engine == "sqlite":
        yield folder / "central.sqlite3"
        return
    reason = pg_unavailable()
    if reason is not None:
        if os.environ.get("COUNTER_TUI_REQUIRE_PG") == "1":
            pytest.fail(f"COUNTER_TUI_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)
    with fresh_pg_database() as url:
        yield url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CentralProcess:
    def __init__(
        self,
        db_path: Path | str,
        port: int | None = None,
        *,
        extra: list[str] | None = None,
        tls: tuple[Path, Path] | None = None,
        ca_file: Path | None = None,
        log_path: Path | None = None,
        files: Path | None = None,
    ) -> None:
        self.db_path = db_path  # a SQLite file, or a postgresql:// URL
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.db = CentralDB(db_path)
        self.extra = list(extra or [])
        self.tls = tls
        self.ca_file = ca_file  # how this test harness itself trusts a TLS service
        # The service's stderr (its log) goes to a file: tests read it, and a pipe nobody
        # drains would block the service once full.
        if log_path is None:
            if is_postgres(db_path):
                fd, name = tempfile.mkstemp(prefix="central-", suffix=".log")
                os.close(fd)
                log_path = Path(name)
            else:
                log_path = Path(db_path).with_suffix(".log")
        self.log_path = log_path
        # Where the service keeps scanned files: given, or beside the SQLite file (the
        # service's own default), or a new temporary folder on PostgreSQL (which has none).
        self._own_files: Path | None = None
        if "--files" in self.extra:
            files = Path(self.extra[self.extra.index("--files") + 1])
        elif files is None and is_postgres(db_path):
            files = self._own_files = Path(tempfile.mkdtemp(prefix="central-files-"))
        if files is None:
            files = Path(db_path).with_name(f"{Path(db_path).stem}-files")
        elif "--files" not in self.extra:
            self.extra += ["--files", str(files)]
        self.files = files

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

    def close(self) -> None:
        """Stop the service and let go of this harness's own connections (a PostgreSQL
        database cannot be dropped while they are open)."""
        self.stop()
        self.db.close()
        if self._own_files is not None:
            import shutil

            shutil.rmtree(self._own_files, ignore_errors=True)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


def cli(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    """``counter-tui ARGS`` in a child process, as an operator runs it; in English by default
    (the callers assert on the English words; tests/cli checks the Vietnamese ones)."""
    return subprocess.run(
        [sys.executable, "-m", "counter_tui.cli", "--lang", lang, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
