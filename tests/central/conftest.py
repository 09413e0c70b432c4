"""The central service's fixtures are the sync suite's (one real service per test)."""

from __future__ import annotations

from tests.sync.conftest import central, tokens  # noqa: F401  (fixtures, used by name)
