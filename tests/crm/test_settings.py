from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from erpsync import cli
from erpsync.settings import Settings


def test_defaults_follow_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ERPSYNC_DATA_DIR", raising=False)
    monkeypatch.delenv("ERPSYNC_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = Settings()
    assert settings.data_dir == tmp_path / "erpsync"
    assert settings.database_url == f"sqlite:///{tmp_path / 'erpsync' / 'erpsync.sqlite'}"
    assert settings.secret_key is None
    assert cli.data_dir() == tmp_path / "erpsync"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ERPSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ERPSYNC_SECRET_KEY", "k3y")
    monkeypatch.setenv("ERPSYNC_TOKEN_LIFETIME", "3600")
    monkeypatch.delenv("ERPSYNC_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url.endswith("/data/erpsync.sqlite")
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "k3y"
    assert "k3y" not in repr(settings)
    assert settings.token_lifetime == timedelta(hours=1)
    assert cli.data_dir() == tmp_path / "data"
    monkeypatch.setenv("ERPSYNC_DATABASE_URL", "postgresql+psycopg://erp@db/erpsync")
    assert Settings().database_url == "postgresql+psycopg://erp@db/erpsync"


def test_an_empty_data_dir_means_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ERPSYNC_DATA_DIR", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert cli.data_dir() == tmp_path / "erpsync"
