"""Settings of the server, from ``ERPSYNC_*`` environment variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/erpsync``, else ``~/.local/share/erpsync``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "erpsync"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERPSYNC_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="Folder of the embedded data.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the database; empty: the SQLite file erpsync.sqlite in data_dir.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Key for secrets at rest; else a key file in data_dir is used."
    )
    connector_secret: SecretStr | None = Field(
        default=None,
        description="Secret shared with connector hosts for signing; else the file connector-secret.",
    )
    allow_link_local_connectors: bool = Field(
        default=False, description="Allow connector URLs on link-local addresses (cloud metadata is refused)."
    )
    token_lifetime: timedelta = Field(
        default=timedelta(hours=12),
        description="How long an API bearer token stays valid: seconds, or an ISO 8601 duration (PT12H).",
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _default_data_dir(cls, value: object) -> object:
        # An empty ERPSYNC_DATA_DIR means "not set", not the current folder.
        return default_data_dir() if value in ("", None) else value

    @field_validator("token_lifetime", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'erpsync.sqlite'}"
        return self
