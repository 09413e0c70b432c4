"""Keeping the cyclic GC off long-lived documents without keeping garbage forever.

``gc.freeze()`` moves every object alive at that moment out of the cyclic GC's way,
for good: objects frozen while alive are never collected once they are garbage, if
they are in a cycle (documents are not: reference counting frees them; widgets are).
A shard load used to freeze, and in the app a lookup loads shards while screens are
alive: every dossier screen, result row and footer key alive at a load stayed after
it closed (a Pilot loop of lookups at 100k dossiers grew 2.3 MB a round; without the
freeze at loads, 0.1 MB: docs/store.md). So a load no longer freezes. What is frozen:
the directory after open and after its background build (once, before the clerk has
opened anything), and a pull's adopted pages (:func:`pulled`, after a collection of
the young generations, so recent garbage is freed rather than frozen). The permanent
generation is swept now and then from the checkpoint thread (unfreeze, collect,
freeze again): what was frozen and has since died lives at most one interval.
``bench/soak.py`` and tests/ui/test_memory_over_a_day.py measure the effect.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading
import time
from collections.abc import Callable

SWEEP_INTERVAL_S = 300.0

_lock = threading.Lock()
_last_sweep = time.monotonic()


def pulled() -> None:
    """A pull's page was just adopted into the shards: keep its documents out of the
    GC's full passes (over a growing cache they took 2.6 s of a 15 s pull of 100,000),
    after freeing the young garbage so that it is not frozen with them."""
    gc.collect(1)
    gc.freeze()


def maybe_sweep(interval: float = SWEEP_INTERVAL_S) -> bool:
    """Collect what was frozen since the last sweep, if ``interval`` has passed."""
    global _last_sweep
    with _lock:
        now = time.monotonic()
        if now - _last_sweep < interval:
            return False
        _last_sweep = now
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return True


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


_malloc_trim = _find_malloc_trim()


def give_back_free_memory() -> None:
    """Hand the C heap's free pages back to the system, after a build that grew and
    freed many buffers side by side (the index build after open: about 20 MB at
    500,000 dossiers that glibc otherwise keeps, in holes between live buffers).
    Only glibc keeps them so; elsewhere there is nothing to do."""
    if _malloc_trim is not None:
        _malloc_trim(0)
