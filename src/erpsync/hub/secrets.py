"""Encryption at rest for connection config values of Password fields (Fernet)."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from erpsync.protocol.keyfiles import load_or_create

__all__ = ["SecretBox", "UnreadableSecret", "load_key"]


class UnreadableSecret(Exception):
    """A stored secret cannot be decrypted with the configured key."""


def load_key(data_dir: Path, configured: str | None = None) -> bytes:
    """``ERPSYNC_SECRET_KEY`` when set, else ``<data_dir>/secret.key`` created with mode 0600."""
    if configured:
        return configured.encode()
    return load_or_create(data_dir / "secret.key", Fernet.generate_key)


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret("a stored secret cannot be decrypted with this key") from None
