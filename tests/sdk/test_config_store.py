"""The per-connection config store: Password values never reach the disk in clear."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from erpsync.sdk import ConfigStore, load_or_create_key

GUID = "6f1c2d3e-0000-4000-8000-00000000abcd"


def test_secret_values_are_encrypted_on_disk_and_read_back(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "secret.key")
    store = ConfigStore(tmp_path / "cfg", key)
    store.save(GUID, {"Database": "demo", "Password": "hunter2-very-secret"}, secret_keys={"Password"})
    raw = (tmp_path / "cfg" / f"{GUID}.json").read_bytes()
    assert b"hunter2-very-secret" not in raw
    assert b"demo" in raw
    fresh = ConfigStore(tmp_path / "cfg", key)  # no cache: read from disk
    assert fresh.load(GUID) == {"Database": "demo", "Password": "hunter2-very-secret"}


def test_files_are_private(tmp_path: Path) -> None:
    key_path = tmp_path / "secret.key"
    key = load_or_create_key(key_path)
    assert load_or_create_key(key_path) == key
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    store = ConfigStore(tmp_path / "cfg", key)
    store.save(GUID, {"Password": "x"}, secret_keys={"Password"})
    assert stat.S_IMODE(os.stat(tmp_path / "cfg" / f"{GUID}.json").st_mode) == 0o600


def test_wrong_key_is_a_clear_error(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "cfg", load_or_create_key(tmp_path / "a.key"))
    store.save(GUID, {"Password": "x"}, secret_keys={"Password"})
    other = ConfigStore(tmp_path / "cfg", load_or_create_key(tmp_path / "b.key"))
    with pytest.raises(ValueError, match="cannot be decrypted"):
        other.load(GUID)


def test_unknown_guid_and_delete(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "cfg", load_or_create_key(tmp_path / "k"))
    assert store.load(GUID) is None
    store.save(GUID, {"Database": "demo"}, secret_keys=())
    store.delete(GUID)
    assert store.load(GUID) is None
    assert ConfigStore(tmp_path / "cfg", load_or_create_key(tmp_path / "k")).load(GUID) is None


@pytest.mark.parametrize("guid", ["../../etc/passwd", f"{GUID}\n", "not-a-guid"])
def test_path_like_guids_are_refused(tmp_path: Path, guid: str) -> None:
    store = ConfigStore(tmp_path / "cfg", load_or_create_key(tmp_path / "k"))
    with pytest.raises(ValueError, match="GUID"):
        store.save(guid, {"a": "b"}, secret_keys=())
