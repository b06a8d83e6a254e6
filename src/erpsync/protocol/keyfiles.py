"""Private key files: read a secret from a file, or create it there (mode 0600) on first use.

Shared by the signing secret, the connector host's config store key and the hub's key for secrets
at rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["load_or_create"]


def load_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The content of ``path``; when it does not exist, ``make()`` written there, readable by the owner
    only. Two processes racing to create it agree: the loser reads the winner's file."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value
