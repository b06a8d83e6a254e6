"""Request signing between the hub and a connector host.

Every request carries three headers::

    X-Erpsync-Timestamp: 1764100000                 (Unix seconds)
    X-Erpsync-Nonce:     3f5c…                       (random, never reused)
    X-Erpsync-Signature: v1=<hex HMAC-SHA256>

The MAC covers ``METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))`` with a secret shared by
both ends. The host refuses a missing or wrong signature, a timestamp outside the allowed skew, and a
nonce it has already seen within that window (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

from .keyfiles import load_or_create

__all__ = [
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "NonceCache",
    "SignatureError",
    "load_or_create_secret",
    "sign_request",
    "signature_for",
    "verify_request",
]

TIMESTAMP_HEADER = "X-Erpsync-Timestamp"
NONCE_HEADER = "X-Erpsync-Nonce"
SIGNATURE_HEADER = "X-Erpsync-Signature"
_VERSION = "v1="


class SignatureError(Exception):
    """The request's signature is missing, wrong, stale or replayed; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature_for(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    message = "\n".join((method.upper(), path, timestamp, nonce, digest)).encode()
    return _VERSION + hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_request(
    secret: bytes, method: str, path: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The headers that sign one request."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    return {
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature_for(secret, method, path, timestamp, nonce, body),
    }


class NonceCache:
    """Nonces seen within the skew window; bounded, oldest forgotten first. Thread-safe."""

    def __init__(self, window_seconds: float, max_entries: int = 1_000_000) -> None:
        self.window = window_seconds
        self.max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, nonce: str, now: float) -> bool:
        """Record ``nonce``; False when it was already seen inside the window."""
        with self._lock:
            while self._seen:
                oldest, seen_at = next(iter(self._seen.items()))
                if now - seen_at <= 2 * self.window and len(self._seen) < self.max_entries:
                    break
                del self._seen[oldest]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def verify_request(
    secrets_: Sequence[bytes],
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    nonces: NonceCache,
    max_skew_seconds: float = 300.0,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless the request is signed with one of ``secrets_``.

    Several secrets may be accepted at once, so that a secret can be rotated without downtime.
    """
    now = time.time() if now is None else now
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower())
    nonce = lowered.get(NONCE_HEADER.lower())
    signature = lowered.get(SIGNATURE_HEADER.lower())
    if not (timestamp and nonce and signature):
        raise SignatureError("the request is not signed")
    if not timestamp.isdigit():
        raise SignatureError("the signature timestamp is not a number")
    if abs(now - int(timestamp)) > max_skew_seconds:
        raise SignatureError("the signature timestamp is too old or in the future (stale request)")
    if not 8 <= len(nonce) <= 128:
        raise SignatureError("the nonce has a bad length")
    if not any(
        hmac.compare_digest(signature, signature_for(s, method, path, timestamp, nonce, body))
        for s in secrets_
    ):
        raise SignatureError("the signature does not match")
    if not nonces.add(nonce, now):
        raise SignatureError("the nonce was already used (replayed request)")


def load_or_create_secret(path: Path, env_value: str | None = None) -> bytes:
    """The shared signing secret: ``env_value`` when given (``ERPSYNC_CONNECTOR_SECRET``), else the
    content of ``path``, created there with mode 0600 on first use."""
    if env_value:
        return env_value.encode()
    return load_or_create(path, lambda: secrets.token_urlsafe(32).encode())
