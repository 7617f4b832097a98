"""Word caches bounded in bytes.

Scoring looks up a few things once per distinct word (its fold, its stem, its character n-gram
ids, its stems' ids) and keeps them: an ad reuses most words, a corpus has a small vocabulary.
Traffic of never-seen words would grow such caches without end, so each `WordCache` holds at
most `max_bytes`: every entry is charged its key's and value's `sys.getsizeof` plus
`ENTRY_OVERHEAD` (the dictionary slot and ordering node it takes, at their worst), and the least
recently used entries go once the total is over. Keys longer than `max_key` characters are
computed every time and never kept (no real word is that long), so no single entry is large.

The caches of one process together hold at most `total_limit()` bytes (the figure is in each
cache's docstring); `total_bytes()` is what they hold now.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

# Bytes one entry costs beyond its key and value: an OrderedDict's hash-table entry and index
# (the table can be twice the entries just after it grows), its linked-list node and allocator
# rounding. tests/test_stem.py checks with tracemalloc that the charge is not below the real cost.
ENTRY_OVERHEAD = 160
MAX_KEY = 64  # characters: the longest Indonesian word forms are about 30

_LIVE: weakref.WeakSet[WordCache[Any]] = weakref.WeakSet()


def size_of(value: object) -> int:
    """Bytes of a value: its own size, and for a tuple also its items'."""
    size = sys.getsizeof(value)
    if isinstance(value, tuple):
        size += sum(sys.getsizeof(item) for item in value)
    return size


class WordCache(Generic[V]):
    """`func(word)` remembered for the most recently used words, in at most `max_bytes`."""

    def __init__(self, func: Callable[[str], V], max_bytes: int, max_key: int = MAX_KEY) -> None:
        self.func = func
        self.__wrapped__ = func  # as functools' caches: the uncached function
        self.__doc__ = func.__doc__
        self.max_bytes = max_bytes
        self.max_key = max_key
        self.nbytes = 0
        self._data: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()
        _LIVE.add(self)

    def __call__(self, word: str) -> V:
        data = self._data
        try:
            value = data[word]
        except KeyError:
            return self._miss(word)
        try:
            data.move_to_end(word)
        except KeyError:  # another thread evicted it meanwhile
            pass
        return value

    def _miss(self, word: str) -> V:
        value = self.func(word)
        if len(word) > self.max_key:
            return value
        size = sys.getsizeof(word) + size_of(value) + ENTRY_OVERHEAD
        with self._lock:
            if word in self._data:
                return value
            self._data[word] = value
            self.nbytes += size
            while self.nbytes > self.max_bytes and self._data:
                old, gone = self._data.popitem(last=False)
                self.nbytes -= sys.getsizeof(old) + size_of(gone) + ENTRY_OVERHEAD
        return value

    def __len__(self) -> int:
        return len(self._data)

    def cache_clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.nbytes = 0


def total_bytes() -> int:
    """Bytes the live word caches of this process hold now (as charged)."""
    return sum(cache.nbytes for cache in list(_LIVE))


def total_limit() -> int:
    """Bytes the live word caches of this process may hold at most."""
    return sum(cache.max_bytes for cache in list(_LIVE))


def word_cache(max_bytes: int, max_key: int = MAX_KEY) -> Callable[[Callable[[str], V]], WordCache[V]]:
    """Decorator: `@word_cache(16 << 20)` over a function of one word."""

    def wrap(func: Callable[[str], V]) -> WordCache[V]:
        return WordCache(func, max_bytes, max_key)

    return wrap
