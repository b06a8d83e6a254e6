"""Transports: how one encoded request reaches a connector and its reply comes back.

A transport knows nothing of carriers, signing or retries; it moves bytes and turns the network's
failures into :mod:`.errors` exceptions (in one place: :func:`_map_httpx_errors`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

import anyio.to_thread
import httpx

from .errors import ConnectorTimeout, ConnectorUnavailable, UnknownPluginError
from .plugins import get_plugin

__all__ = [
    "AsyncHTTPTransport",
    "AsyncPluginTransport",
    "AsyncTransport",
    "HTTPTransport",
    "PluginTransport",
    "Reply",
    "Transport",
]

Reply = tuple[int, bytes]


class Transport(Protocol):
    def handle(self, operation: str, path: str, body: bytes, headers: Mapping[str, str]) -> Reply: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def handle(self, operation: str, path: str, body: bytes, headers: Mapping[str, str]) -> Reply: ...

    async def aclose(self) -> None: ...


@contextmanager
def _map_httpx_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ConnectorTimeout(
            f"{operation}: the connector did not answer in time ({exc!r})", operation
        ) from exc
    except httpx.HTTPError as exc:
        raise ConnectorUnavailable(
            f"{operation}: the connector cannot be reached ({exc!r})", operation
        ) from exc


def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)
_JSON = {"Content-Type": "application/json", "Accept": "application/json"}


class HTTPTransport:
    """POST ``<origin><path>`` over one pooled ``httpx.Client`` (connections are reused)."""

    def __init__(self, origin: str, timeout: float = 30.0) -> None:
        self._client = httpx.Client(base_url=origin, timeout=_timeout(timeout), limits=_LIMITS)

    def handle(self, operation: str, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        with _map_httpx_errors(operation):
            response = self._client.post(path, content=body, headers={**_JSON, **headers})
            return response.status_code, response.content

    def close(self) -> None:
        self._client.close()


class AsyncHTTPTransport:
    def __init__(self, origin: str, timeout: float = 30.0) -> None:
        self._client = httpx.AsyncClient(base_url=origin, timeout=_timeout(timeout), limits=_LIMITS)

    async def handle(self, operation: str, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        with _map_httpx_errors(operation):
            response = await self._client.post(path, content=body, headers={**_JSON, **headers})
            return response.status_code, response.content

    async def aclose(self) -> None:
        await self._client.aclose()


class PluginTransport:
    """``plugin://<name>``: call a connector registered in this process."""

    def __init__(self, name: str) -> None:
        self.name = name

    def handle(self, operation: str, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        handler = get_plugin(self.name)
        if handler is None:
            raise UnknownPluginError(f"no connector named {self.name!r} runs in this process", operation)
        return handler(operation, body)

    def close(self) -> None:
        pass


class AsyncPluginTransport:
    def __init__(self, name: str) -> None:
        self._sync = PluginTransport(name)

    async def handle(self, operation: str, path: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        # Connectors are blocking code; keep the event loop free.
        return await anyio.to_thread.run_sync(self._sync.handle, operation, path, body, headers)

    async def aclose(self) -> None:
        pass
