"""Sending requests to the host in tests: signing, encoding, and proof that nothing was written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from erpsync.protocol.signing import sign_request
from erpsync.sdk.host import ConnectorHost

SECRET = b"host-test-secret"


def asgi_client(host: ConnectorHost) -> httpx.AsyncClient:
    """An HTTP client talking to the host's ASGI app in memory."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=host.app), base_url="http://testserver")


def encode(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


async def post(
    client: httpx.AsyncClient,
    path: str,
    body: Any,
    secret: bytes | None = SECRET,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a signed request (unsigned when ``secret`` is None)."""
    raw = encode(body)
    signed = sign_request(secret, "POST", path, raw) if secret is not None else {}
    return await client.post(
        path, content=raw, headers={"Content-Type": "application/json", **signed, **(headers or {})}
    )


def files_under(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its content: proof that nothing was written."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
