"""Keeping the cyclic GC off long-lived documents without keeping garbage forever.

A loaded shard is a tree of dicts and lists that lives for minutes. Left to
the cyclic GC, every full collection walks all of them (a pause of a few
hundred ms at 100k dossiers, in the middle of a lookup). ``gc.freeze()``
after each load moves them out of its way, but frozen objects are never
collected: cyclic garbage made meanwhile would stay for the life of the
process. So the permanent generation is swept now and then, from the
checkpoint thread: unfreeze, collect, freeze again. Garbage then lives at most
one sweep interval, and the pause lands in the background, once per interval.
``bench/soak.py`` measures the effect on RSS (docs/store.md).
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


def loaded() -> None:
    """A shard was just loaded: keep its objects out of the GC's full passes."""
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
