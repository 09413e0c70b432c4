"""Helpers for tests on a real LocalStore in a temp dir: seeding it, counting its disk reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from counter_tui.store.local import LocalStore


def seed(path: Path, docs: list[dict[str, Any]]) -> None:
    """Save ``docs`` into a new store at ``path`` in one transaction, and close it."""
    store = LocalStore(path, background=False)
    try:
        with store.transaction():
            for d in docs:
                store.dossiers.put(d)
    finally:
        store.close()


def count_shard_reads(store: LocalStore) -> list[str]:
    """The names of the shards ``store`` reads from disk from now on (a spy, not a mock:
    the real read runs)."""
    reads: list[str] = []
    load = store.store._load_data

    def counted(name: str) -> Any:
        reads.append(name)
        return load(name)

    store.store._load_data = counted  # type: ignore[method-assign]
    return reads
