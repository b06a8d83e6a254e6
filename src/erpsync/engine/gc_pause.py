"""Holding Python's cyclic garbage collector off while a page of actors is handled.

A page is tens of thousands of short-lived containers (actors, rows, values) that reference counting
frees as soon as the page is written. Meanwhile the collector would run its generations over them
and over the whole long-lived heap again and again: measured, it cost the import a quarter of its
CPU time and a busy sync cycle nearly half. Pausing it per page, and collecting normally between
pages, loses nothing. The collector is process-wide, so concurrent pages share one pause: the first
to begin switches it off, the last to end restores what it was.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
