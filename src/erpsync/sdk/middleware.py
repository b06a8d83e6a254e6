"""The connector host's guard: a plain ASGI middleware in front of every POST.

It reads the request body once — refusing it early when ``Content-Length`` announces too much, and
counting the bytes as they stream in for a client that does not say or lies — then checks the
request signature over the raw body and the path, and hands the body on to the app. Only POST
requests are guarded: the GET endpoints (health, OpenAPI document, connector list) change nothing
and carry nothing secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erpsync.protocol import ErrorCode
from erpsync.protocol.signing import NonceCache, SignatureError, verify_request

from .replies import refusal

__all__ = ["RequestGuardMiddleware"]

log = logging.getLogger("erpsync.sdk.host")


class _BodyTooLarge(Exception):
    pass


class RequestGuardMiddleware:
    """Bound the body of every POST and, when ``secrets`` are given, require a valid signature.

    Example::

        app = RequestGuardMiddleware(app, secrets=[b"shared"], max_body_bytes=1 << 20)
    """

    def __init__(
        self,
        app: ASGIApp,
        secrets: Sequence[bytes] = (),
        max_body_bytes: int = 16 * 1024 * 1024,
        max_skew_seconds: float = 300.0,
    ) -> None:
        self.app = app
        self.secrets = tuple(secrets)
        self.max_body_bytes = max_body_bytes
        self.max_skew_seconds = max_skew_seconds
        self.nonces = NonceCache(window_seconds=max_skew_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self._announces_too_much(headers.get("content-length")):
            await self._refuse(send, 413, ErrorCode.PayloadTooLarge, self._too_large_text())
            return
        try:
            body = await self._read_body(receive)
        except _BodyTooLarge:
            await self._refuse(send, 413, ErrorCode.PayloadTooLarge, self._too_large_text())
            return
        if self.secrets:
            try:
                verify_request(
                    self.secrets,
                    "POST",
                    _signed_path(scope),
                    headers,
                    body,
                    self.nonces,
                    self.max_skew_seconds,
                    now=time.time(),
                )
            except SignatureError as exc:
                log.warning(
                    "refused an unsigned or badly signed request to %s: %s", scope["path"], exc.reason
                )
                await self._refuse(send, 401, ErrorCode.Unauthorized, f"Request refused: {exc.reason}.")
                return
        await self.app(scope, _replay(body, receive), send)

    def _announces_too_much(self, content_length: str | None) -> bool:
        return (
            content_length is not None
            and content_length.isdigit()
            and int(content_length) > self.max_body_bytes
        )

    def _too_large_text(self) -> str:
        return f"The request body is larger than the {self.max_body_bytes} bytes this host accepts."

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    async def _refuse(send: Send, status: int, code: ErrorCode, text: str) -> None:
        body = refusal(code, text)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _signed_path(scope: Scope) -> str:
    """The path as the client wrote it on the wire (percent-encoding kept), which is what it signed."""
    raw = scope.get("raw_path")
    if not raw:
        return str(scope["path"])
    # Servers differ on whether raw_path keeps the query string; the signature covers the path only.
    return str(raw.decode("latin-1").partition("?")[0])


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then defers to the server."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
