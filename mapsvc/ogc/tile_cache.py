"""Hot vector tiles kept in memory, keyed by the versions of the tables behind their layer.

layer_versions (migration 0008) counts changes per table, bumped by statement triggers in the
changing transaction; a tile is stored under the versions read before it was made, so after
an edit commits every later request asks for a key no stale tile is stored under.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class TileCache:
    """A least-recently-used map of tile keys to MVT bytes, bounded in bytes (thread-safe)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        """The tile stored under key, or None."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple, data: bytes) -> None:
        """Store a tile, dropping the least recently used ones beyond the budget."""
        if len(data) > self.max_bytes // 8:
            return  # one huge tile must not empty the cache
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._items[key] = data
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)
