"""Word caches bounded in bytes.

Scoring looks up a few things once per distinct word (its fold, its stem, its character n-gram
ids, its stems' ids) and keeps them: an ad reuses most words, a corpus has a small vocabulary.
Traffic of never-seen words would grow such caches without end, so each `WordCache` holds at
most `max_bytes`: every entry is charged its key's and value's `sys.getsizeof` plus
`ENTRY_OVERHEAD` (the dictionary slot it takes, at its worst), and the older half of the
entries goes at once when the total passes the bound. Keys longer than `max_key`
characters are computed every time and never kept (no real word is that long), so no single
entry is large.

The caches of one process together hold at most `total_limit()` bytes (the figure is in each
cache's docstring); `total_bytes()` is what they hold now.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

V = TypeVar("V")

# Bytes one entry costs beyond its key and value: a dict's hash-table entry and index (the
# table can be twice the entries just after it grows) and allocator rounding.
# tests/test_stem.py checks with tracemalloc that the charge is not below the real cost.
ENTRY_OVERHEAD = 160
MAX_KEY = 64  # characters: the longest Indonesian word forms are about 30

_LIVE: weakref.WeakValueDictionary[int, WordCache[Any]] = weakref.WeakValueDictionary()


def size_of(value: object) -> int:
    """Bytes of a value: its own size, and for a tuple also its items'."""
    size = sys.getsizeof(value)
    if isinstance(value, tuple):
        size += sum(sys.getsizeof(item) for item in value)
    return size


class WordCache(dict[str, V]):
    """`func(word)` remembered for recent words, in at most `max_bytes`.

    A dict: `cache[word]` (or `cache(word)`) is a C-speed look-up when the word is there and
    calls `__missing__` (which computes and keeps it) when not. When the charged bytes pass
    `max_bytes`, the older half of the entries (in insertion order) is dropped at once, so
    eviction costs O(1) a word on average; a word still in use is simply computed again.
    """

    def __init__(self, func: Callable[[str], V], max_bytes: int, max_key: int = MAX_KEY) -> None:
        super().__init__()
        self.func = func
        self.__wrapped__ = func  # as functools' caches: the uncached function
        self.__doc__ = func.__doc__
        self.max_bytes = max_bytes
        self.max_key = max_key
        self.nbytes = 0
        self._lock = threading.RLock()
        _LIVE[id(self)] = self

    __call__ = dict.__getitem__  # calls __missing__ too

    def __missing__(self, word: str) -> V:
        value = self.func(word)
        if len(word) > self.max_key:
            return value
        with self._lock:
            if word not in self:
                self[word] = value
                self.nbytes += _charge(word, value)
                if self.nbytes > self.max_bytes:
                    self._drop_older_half()
        return value

    def _drop_older_half(self) -> None:
        kept = list(self.items())[len(self) // 2 :]
        self.clear()
        self.update(kept)  # rebuilt: no deleted slots left for look-ups to step over
        self.nbytes = sum(_charge(word, value) for word, value in kept)

    def cache_clear(self) -> None:
        with self._lock:
            self.clear()
            self.nbytes = 0


def _charge(word: str, value: object) -> int:
    return sys.getsizeof(word) + size_of(value) + ENTRY_OVERHEAD


def live() -> list[WordCache[Any]]:
    """The word caches of this process that are in use."""
    return list(_LIVE.values())


def total_bytes() -> int:
    """Bytes the live word caches of this process hold now (as charged)."""
    return sum(cache.nbytes for cache in live())


def total_limit() -> int:
    """Bytes the live word caches of this process may hold at most."""
    return sum(cache.max_bytes for cache in live())


def word_cache(max_bytes: int, max_key: int = MAX_KEY) -> Callable[[Callable[[str], V]], WordCache[V]]:
    """Decorator: `@word_cache(16 << 20)` over a function of one word."""

    def wrap(func: Callable[[str], V]) -> WordCache[V]:
        return WordCache(func, max_bytes, max_key)

    return wrap
