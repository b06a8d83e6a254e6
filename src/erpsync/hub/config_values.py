"""The hub's stored copy of a connection's config values.

Password values are sealed with the :class:`~erpsync.hub.secrets.SecretBox` before they reach the
database; they are opened only to be sent to the connector (``SaveConnection``, the re-send after
``ConnectionInfoMissing``, ``TestConfigData``), never to be returned or logged.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import ErpConfigValue, ErpConnection
from .secrets import SecretBox

__all__ = ["MASK", "config_by_guid", "load_config", "masked_config", "store_config"]

#: What replaces a Password value wherever config values are shown.
MASK = "********"


def store_config(
    session: Session,
    connection_id: int,
    values: Mapping[str, str],
    secret_keys: Collection[str],
    box: SecretBox,
) -> None:
    """Replace the stored values of a connection."""
    session.execute(delete(ErpConfigValue).where(ErpConfigValue.connection_id == connection_id))
    session.add_all(
        ErpConfigValue(
            connection_id=connection_id,
            field_key=key,
            value=box.seal(value) if key in secret_keys else value,
            secret=key in secret_keys,
        )
        for key, value in values.items()
    )


def load_config(session: Session, connection_id: int, box: SecretBox) -> dict[str, str]:
    """The plain values, secrets opened: for sending to the connector only."""
    rows = session.scalars(select(ErpConfigValue).where(ErpConfigValue.connection_id == connection_id))
    return {row.field_key: box.open(row.value) if row.secret else row.value for row in rows}


def masked_config(session: Session, connection_id: int) -> dict[str, str]:
    """The values as shown to people: secrets replaced by :data:`MASK` (empty stays empty)."""
    rows = session.scalars(select(ErpConfigValue).where(ErpConfigValue.connection_id == connection_id))
    return {row.field_key: (MASK if row.value else "") if row.secret else row.value for row in rows}


def config_by_guid(session: Session, guid: str, box: SecretBox) -> dict[str, str] | None:
    connection = session.scalar(select(ErpConnection).where(ErpConnection.guid == guid.lower()))
    if connection is None or connection.deleted:
        return None
    return load_config(session, connection.id, box)
