"""The hub's client for sync connectors, synchronous and asynchronous.

Usage::

    with ConnectorClient("http://127.0.0.1:8100/connectors/demo", secret=b"…") as client:
        page = client.send(call.get_actors_by_timestamp(guid, "", "Customer", page_size=500))

Above the transport, once for both clients: encoding, request signing, the HTTP status → outcome
table, reply validation, and the ``ConnectionInfoMissing`` rule — when the connector has lost the
config of a connection GUID, the client re-sends it with ``SaveConnection`` (from the
``connection_info`` callback) and retries the call once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Self, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from .calls import Call, call
from .carriers import PluginResponse
from .enums import ErrorCode
from .errors import (
    ConnectionInfoMissingError,
    ConnectorAuthenticationError,
    ConnectorRefusedRequest,
    ConnectorReplyError,
    ConnectorUnavailable,
    MalformedReply,
)
from .signing import sign_request
from .transports import (
    AsyncHTTPTransport,
    AsyncPluginTransport,
    AsyncTransport,
    HTTPTransport,
    PluginTransport,
    Transport,
)

__all__ = ["AsyncConnectorClient", "ConnectorClient", "InvalidConnectorUrl", "validate_connector_url"]

R = TypeVar("R", bound=PluginResponse)
ConnectionInfoSource = Callable[[str], Mapping[str, str] | None]

#: Operations whose error reply is the answer itself (a failed test), not a failure of the call.
_ANSWER_IS_THE_REPLY = frozenset({"TestConfigData", "TestConnection"})

#: HTTP status → what a carrier-shaped error reply with that status means.
_REFUSALS: dict[int, type[ConnectorReplyError]] = {
    400: ConnectorRefusedRequest,
    401: ConnectorAuthenticationError,
    403: ConnectorAuthenticationError,
    404: ConnectorRefusedRequest,
    405: ConnectorRefusedRequest,
    413: ConnectorRefusedRequest,
    422: ConnectorRefusedRequest,
}

_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata"})


class InvalidConnectorUrl(ValueError):
    pass


def validate_connector_url(url: str, allow_link_local: bool = False) -> str:
    """Accept ``http``, ``https`` and ``plugin`` URLs; refuse link-local and cloud metadata addresses
    unless allowed (a connector URL must not become a way to read a machine's metadata service)."""
    parts = urlsplit(url)
    if parts.scheme == "plugin":
        if not parts.netloc or parts.path not in ("", "/"):
            raise InvalidConnectorUrl(f"{url!r}: a plugin URL is plugin://<connector name>")
        return url
    if parts.scheme not in ("http", "https"):
        raise InvalidConnectorUrl(f"{url!r}: a connector URL must start with http://, https:// or plugin://")
    host = parts.hostname or ""
    if not host:
        raise InvalidConnectorUrl(f"{url!r}: the URL has no host")
    if not allow_link_local:
        if host.lower() in _METADATA_HOSTS:
            raise InvalidConnectorUrl(f"{url!r}: cloud metadata hosts are not allowed")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and address.is_link_local:
            raise InvalidConnectorUrl(f"{url!r}: link-local addresses are not allowed")
    return url


class _ClientCore:
    """What both clients share: building, signing and interpreting a call."""

    def __init__(
        self,
        url: str,
        secret: bytes | None,
        connection_info: ConnectionInfoSource | None,
        allow_link_local: bool,
    ) -> None:
        self.url = validate_connector_url(url.rstrip("/"), allow_link_local)
        parts = urlsplit(self.url)
        self.is_plugin = parts.scheme == "plugin"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path
        self.plugin_name = parts.netloc
        self.secret = secret
        self.connection_info = connection_info

    def _encode(self, c: Call[R]) -> tuple[str, bytes, dict[str, str]]:
        path = f"{self.base_path}/{c.operation.name}"
        body = c.request.model_dump_json(by_alias=True).encode()
        headers = sign_request(self.secret, "POST", path, body) if self.secret and not self.is_plugin else {}
        return path, body, headers

    def _interpret(self, c: Call[R], status: int, body: bytes) -> R:
        op = c.operation.name
        if status >= 500 or status == 429:
            raise ConnectorUnavailable(f"{op}: the connector answered HTTP {status}", op)
        if status != 200:
            error = _parse(PluginResponse, body, op, status)
            raise _REFUSALS.get(status, ConnectorRefusedRequest)(error, op, status)
        reply = _parse(c.response, body, op, status)
        if reply.failed and op not in _ANSWER_IS_THE_REPLY:
            if reply.error_code == ErrorCode.ConnectionInfoMissing:
                raise ConnectionInfoMissingError(reply, op)
            raise ConnectorReplyError(reply, op)
        return reply

    def _stored_config(self, c: Call[R], exc: ConnectionInfoMissingError) -> Mapping[str, str]:
        """The config to re-send, or re-raise when the rule does not apply."""
        guid = c.connection_guid
        if not guid or c.operation.name == "SaveConnection" or self.connection_info is None:
            raise exc
        info = self.connection_info(guid)
        if info is None:
            raise exc
        return info


def _parse(model: type[R], body: bytes, operation: str, status: int) -> R:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        snippet = body[:200].decode("utf-8", "replace")
        raise MalformedReply(
            f"{operation}: HTTP {status} reply is not a {model.__name__}: {exc.error_count()} problem(s), "
            f"body starts {snippet!r}",
            operation,
        ) from None


class ConnectorClient(_ClientCore):
    """Blocking client; one instance per connector URL, reusing its connections. Thread-safe."""

    def __init__(
        self,
        url: str,
        secret: bytes | None = None,
        timeout: float = 30.0,
        connection_info: ConnectionInfoSource | None = None,
        transport: Transport | None = None,
        allow_link_local: bool = False,
    ) -> None:
        super().__init__(url, secret, connection_info, allow_link_local)
        if transport is None:
            transport = (
                PluginTransport(self.plugin_name) if self.is_plugin else HTTPTransport(self.origin, timeout)
            )
        self.transport = transport

    def send(self, c: Call[R]) -> R:
        try:
            return self._send_once(c)
        except ConnectionInfoMissingError as exc:
            info = self._stored_config(c, exc)
        self._send_once(call.save_connection(c.connection_guid, info))
        return self._send_once(c)

    def _send_once(self, c: Call[R]) -> R:
        path, body, headers = self._encode(c)
        status, reply = self.transport.handle(c.operation.name, path, body, headers)
        return self._interpret(c, status, reply)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncConnectorClient(_ClientCore):
    """The same client for asyncio code."""

    def __init__(
        self,
        url: str,
        secret: bytes | None = None,
        timeout: float = 30.0,
        connection_info: ConnectionInfoSource | None = None,
        transport: AsyncTransport | None = None,
        allow_link_local: bool = False,
    ) -> None:
        super().__init__(url, secret, connection_info, allow_link_local)
        if transport is None:
            transport = (
                AsyncPluginTransport(self.plugin_name)
                if self.is_plugin
                else AsyncHTTPTransport(self.origin, timeout)
            )
        self.transport = transport

    async def send(self, c: Call[R]) -> R:
        try:
            return await self._send_once(c)
        except ConnectionInfoMissingError as exc:
            info = self._stored_config(c, exc)
        await self._send_once(call.save_connection(c.connection_guid, info))
        return await self._send_once(c)

    async def _send_once(self, c: Call[R]) -> R:
        path, body, headers = self._encode(c)
        status, reply = await self.transport.handle(c.operation.name, path, body, headers)
        return self._interpret(c, status, reply)

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
