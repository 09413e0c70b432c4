"""One lock order everywhere: closing while a checkpoint runs never deadlocks.

``close()`` used to take the store lock and then (inside ``checkpoint``) the
checkpoint lock, while a running checkpoint holds the checkpoint lock and asks
for the store lock: the two could wait on each other forever.
"""

from __future__ import annotations

import random
import threading

from counter_tui.store.local import LocalStore
from tests.factories import dossier


def test_close_during_checkpoints_returns(tmp_path):
    rng = random.Random(4)
    for round_ in range(15):
        store = LocalStore(tmp_path / f"c{round_}", background=False)
        for i in range(40):
            with store.transaction():
                store.dossiers.put(dossier(rng, i))
        started = threading.Event()

        def checkpoints(store: LocalStore = store, started: threading.Event = started) -> None:
            started.set()
            for _ in range(200):
                store.checkpoint()

        t = threading.Thread(target=checkpoints, daemon=True)
        t.start()
        started.wait()
        closer = threading.Thread(target=store.close, daemon=True)
        closer.start()
        closer.join(60)
        t.join(60)
        assert not closer.is_alive(), "close() and a checkpoint wait on each other"
        assert not t.is_alive()
        reopened = LocalStore(tmp_path / f"c{round_}", background=False)
        assert reopened.dossiers.count() == 40
        reopened.close()
