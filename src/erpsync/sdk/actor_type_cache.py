"""A short-lived memory of the actor types each connection supports.

Every request that names an actor type is checked against ``GetSupportedActorTypes`` before the
connector sees it; for a connector whose answer needs a round trip to its ERP (a login, a query)
asking on every request doubles the ERP's load. The answer is kept a few seconds per connector and
connection GUID, and forgotten at once when the connection's config is saved or deleted. Only
answers are kept: a failure is asked again next time.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

__all__ = ["TTL_SECONDS", "ActorTypeCache", "actor_type_cache"]

#: How long an answer is reused.
TTL_SECONDS = 5.0


class ActorTypeCache:
    """``(connector, connection GUID) → actor types``, each entry kept for ``ttl`` seconds."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        # Weak keys: a connector that is gone (a host closed in a test) takes its entries with it.
        self._entries: weakref.WeakKeyDictionary[object, dict[str, tuple[float, frozenset[str]]]] = (
            weakref.WeakKeyDictionary()
        )

    def get(
        self, connector: object, connection_guid: str, fetch: Callable[[], frozenset[str]]
    ) -> frozenset[str]:
        """The cached answer for the pair, or ``fetch()`` remembered for the next ``ttl`` seconds."""
        guid = connection_guid.lower()
        now = self.clock()
        with self._lock:
            entry = self._entries.get(connector, {}).get(guid)
        if entry is not None and now < entry[0]:
            return entry[1]
        types = fetch()
        with self._lock:
            self._entries.setdefault(connector, {})[guid] = (now + self.ttl, types)
        return types

    def forget(self, connector: object, connection_guid: str) -> None:
        """Drop the pair's answer (its config was saved or deleted)."""
        with self._lock:
            self._entries.get(connector, {}).pop(connection_guid.lower(), None)


#: The host's cache, shared by every request.
actor_type_cache = ActorTypeCache()
