"""A child process for the crash tests: writes in a loop and reports each acknowledged write.

Each transaction stores a dossier at revision ``rev`` and its outbox entry
with the same ``rev``. A line ``ACK <uid> <rev>`` is printed only after the
commit returned, i.e. only for writes the store acknowledged. Checkpoints run
constantly in the background (tiny thresholds), so kills land inside them too.
With ``CRASH_ENCRYPTED`` set, the cache is sealed with a fixed test key.
"""

from __future__ import annotations

import os
import random
import sys

from counter_tui.store.engine.cipher import Cipher
from counter_tui.store.local import LocalStore
from tests.factories import dossier


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    cipher = Cipher(bytes(range(32))) if os.environ.get("CRASH_ENCRYPTED") else None
    store = LocalStore(
        path,
        background=True,
        flush_dirty=3,
        full_checkpoint_bytes=48 * 1024,
        cache_shards=16,
        cipher=cipher,
    )
    known = [d for d in store.dossiers.all_summaries()][:200]
    mine: list[dict] = []
    i = 0
    while True:
        i += 1
        if mine and rng.random() < 0.4:
            doc = rng.choice(mine)
            doc["rev"] += 1
            doc["status"] = rng.choice([2, 4, 5, 9, 10])
        elif known and rng.random() < 0.1:
            s = known.pop()
            doc = store.dossiers.get(s.uid)
            doc["rev"] = doc.get("rev", 0) + 1
            mine.append(doc)
        else:
            doc = dossier(rng, seed * 100_000 + i)
            doc["rev"] = 1
            mine.append(doc)
        with store.transaction():
            store.dossiers.put(doc)
            store.outbox.enqueue({"type": "dossier.put", "uid": doc["uid"], "rev": doc["rev"]})
        sys.stdout.write(f"ACK {doc['uid']} {doc['rev']}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
