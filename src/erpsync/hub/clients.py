"""One connector client per connector URL, shared by every caller of the hub.

Each client knows how to find a connection's stored config, so that when a connector answers
``ConnectionInfoMissing`` the client re-sends it and retries (protocol rule) without the caller
having to know.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from erpsync.protocol import ConnectorClient

__all__ = ["ConnectorClients"]

ConfigSource = Callable[[str], Mapping[str, str] | None]


class ConnectorClients:
    def __init__(
        self,
        secret: bytes | None,
        config_source: ConfigSource,
        timeout: float = 30.0,
        allow_link_local: bool = False,
    ) -> None:
        self.secret = secret
        self.config_source = config_source
        self.timeout = timeout
        self.allow_link_local = allow_link_local
        self._clients: dict[str, ConnectorClient] = {}
        self._lock = threading.Lock()

    def for_url(self, url: str) -> ConnectorClient:
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = ConnectorClient(
                    url,
                    secret=self.secret,
                    timeout=self.timeout,
                    connection_info=self.config_source,
                    allow_link_local=self.allow_link_local,
                )
                self._clients[url] = client
            return client

    def forget(self, url: str) -> None:
        """Drop the client of a URL (after the connector's URL changed)."""
        with self._lock:
            client = self._clients.pop(url, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
