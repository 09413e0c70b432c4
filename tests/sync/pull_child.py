"""A child process for the interrupted-pull test: pulls the change feed page by page.

It prints ``PAGE`` each time a page has been fetched (the next one is then being
fetched ahead while this one is applied), so the parent can SIGKILL it in the
middle of a pull: between a fetch and its commit, inside a commit, or with a page
fetched ahead and not applied. Checkpoints run in the background with small
thresholds, so kills land inside them too.
"""

from __future__ import annotations

import sys

from counter_tui.store.local import LocalStore
from counter_tui.sync.client import CentralClient, Timed
from counter_tui.sync.engine import SyncEngine
from tests.support.counter import CALENDAR, CATALOG


class Reporting(CentralClient):
    def pull(self, cursor: str | None, limit: int = 500) -> Timed:
        got = super().pull(cursor, limit)
        print("PAGE", flush=True)
        return got


def main() -> None:
    path, url, token = sys.argv[1], sys.argv[2], sys.argv[3]
    store = LocalStore(path, background=True, flush_dirty=8, cache_shards=32)
    engine = SyncEngine(
        store, Reporting(url, token), catalog=CATALOG, calendar=CALENDAR, pull_limit=50
    )
    engine._pull_all()
    print("DONE", flush=True)
    store.close()


if __name__ == "__main__":
    main()
