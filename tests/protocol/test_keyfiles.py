"""Private key files are created once, owner-only, and read back unchanged."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from erpsync.protocol.keyfiles import load_or_create


def test_created_private_then_read_back(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "key"
    first = load_or_create(path, lambda: b"first")
    assert first == b"first"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create(path, lambda: b"second") == b"first"


def test_a_file_that_appears_meanwhile_wins(tmp_path: Path) -> None:
    path = tmp_path / "key"

    def make() -> bytes:
        path.write_bytes(b"theirs\n")  # another process creates it between the check and the open
        return b"ours"

    assert load_or_create(path, make) == b"theirs"
    assert path.read_bytes() == b"theirs\n"
