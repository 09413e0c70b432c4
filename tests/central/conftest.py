"""The central service's fixtures are the sync suite's (one real service per test, on each
engine)."""

from __future__ import annotations

from tests.sync.conftest import central, central_db, engine, tokens  # noqa: F401  (by name)
