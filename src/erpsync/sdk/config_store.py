"""Per-connection config store: one JSON file per connection GUID in a data folder.

Values of Password fields are encrypted with Fernet before they reach the disk; the key comes from
the caller (``ERPSYNC_SECRET_KEY``) or from a key file created with mode 0600.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Collection
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from erpsync.protocol.keyfiles import load_or_create

__all__ = ["ConfigStore", "load_or_create_key"]

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def load_or_create_key(path: Path) -> bytes:
    """A Fernet key read from ``path``, created there (mode 0600) on first use."""
    return load_or_create(path, Fernet.generate_key)


class ConfigStore:
    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self._fernet = Fernet(key)
        self._lock = threading.Lock()
        self._cache: dict[str, dict[str, str]] = {}

    def _path(self, guid: str) -> Path:
        guid = guid.lower()
        if not _GUID.fullmatch(guid):
            raise ValueError(f"{guid!r} is not a connection GUID")
        return self.folder / f"{guid}.json"

    def save(self, guid: str, info: dict[str, str], secret_keys: Collection[str]) -> None:
        stored = {
            key: {"secret": self._fernet.encrypt(value.encode()).decode()} if key in secret_keys else value
            for key, value in info.items()
        }
        path = self._path(guid)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(stored, handle)
            os.replace(tmp, path)
            self._cache[guid.lower()] = dict(info)

    def load(self, guid: str) -> dict[str, str] | None:
        guid = guid.lower()
        with self._lock:
            if guid in self._cache:
                return dict(self._cache[guid])
        path = self._path(guid)
        try:
            stored = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        info: dict[str, str] = {}
        for key, value in stored.items():
            if isinstance(value, dict):
                try:
                    info[key] = self._fernet.decrypt(value["secret"].encode()).decode()
                except (InvalidToken, KeyError):
                    raise ValueError(f"the stored secret {key!r} cannot be decrypted with this key") from None
            else:
                info[key] = str(value)
        with self._lock:
            self._cache[guid] = dict(info)
        return info

    def delete(self, guid: str) -> None:
        with self._lock:
            self._cache.pop(guid.lower(), None)
            self._path(guid).unlink(missing_ok=True)
