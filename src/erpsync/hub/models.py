"""The ERP Sync configuration and state, as tables (the reference's Erp* tables, §6.2).

| reference table          | here                    |
|--------------------------|-------------------------|
| ErpConnector             | ``ErpConnector``        |
| ErpConnection            | ``ErpConnection``       |
| ErpConnectionAccess      | ``ErpConnectionAccess`` |
| ConnectionConfigField    | ``ErpConfigValue``      |
| ErpConnectionActorType   | ``ErpActorTypeMapping`` |
| ErpField                 | ``ErpField``            |
| ErpListItemMapping       | ``ErpListItemMapping``  |
| ErpConfiguration         | ``ErpConfiguration``    |
| ErpInternalKey + ErpExternalKey | ``ErpLink``      |
| ErpSyncLog               | ``ErpSyncLog``          |

Rows are soft-deleted where the reference says so (connectors, connections).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from erpsync.crm.db import Base, TimestampedMixin, UtcDateTime, utcnow

__all__ = [
    "ErpActorTypeMapping",
    "ErpConfigValue",
    "ErpConfiguration",
    "ErpConnection",
    "ErpConnectionAccess",
    "ErpConnector",
    "ErpField",
    "ErpLink",
    "ErpListItemMapping",
    "ErpSyncLog",
]


def _connection_fk() -> Any:
    return mapped_column(ForeignKey("erp_connections.id", ondelete="CASCADE"), index=True)


class ErpConnector(TimestampedMixin, Base):
    """A registered sync connector: a name and a URL (http, https or plugin)."""

    __tablename__ = "erp_connectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(254))
    url: Mapped[str] = mapped_column(String(1023))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class ErpConnection(TimestampedMixin, Base):
    """A connector plus its config values, known to the connector by ``guid``."""

    __tablename__ = "erp_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("erp_connectors.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(254))
    description: Mapped[str] = mapped_column(Text, default="")
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Scope "Everyone"; otherwise the ``ErpConnectionAccess`` rows decide.
    all_access: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When both sides changed a field since the last sync: "newest", "erp" or "crm".
    conflict_policy: Mapped[str] = mapped_column(String(16), default="newest")
    #: Never let a blank value overwrite a non-blank one.
    no_blank_values: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The connector's GetCapabilities reply (names), cached at discovery.
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_page_size: Mapped[int] = mapped_column(Integer, default=0)
    discovered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_sync: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class ErpConnectionAccess(Base):
    """One user or one group in a connection's scope, with its two permission bits."""

    __tablename__ = "erp_connection_access"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="user_or_group"),
        UniqueConstraint("connection_id", "user_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = _connection_fk()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), default=None)
    can_connect: Mapped[bool] = mapped_column(Boolean, default=True)
    can_create_erp: Mapped[bool] = mapped_column(Boolean, default=True)


class ErpConfigValue(Base):
    """The hub's copy of one config value of a connection (re-sent on ConnectionInfoMissing).

    Values of Password fields are stored Fernet-encrypted (``secret`` = True) and never returned.
    """

    __tablename__ = "erp_config_values"
    __table_args__ = (UniqueConstraint("connection_id", "field_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = _connection_fk()
    field_key: Mapped[str] = mapped_column(String(254))
    value: Mapped[str] = mapped_column(Text, default="")
    secret: Mapped[bool] = mapped_column(Boolean, default=False)


class ErpActorTypeMapping(Base):
    """ERP actor type → CRM actor type within a connection, with its own active flag."""

    __tablename__ = "erp_actor_type_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "erp_actor_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = _connection_fk()
    erp_actor_type: Mapped[str] = mapped_column(String(32))
    crm_actor_type: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The connector stopped announcing this type at the last discovery.
    missing_in_erp: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Create CRM records for new ERP actors of this type (off by default).
    auto_import: Mapped[bool] = mapped_column(Boolean, default=False)


class ErpField(Base):
    """One ERP field of an actor type mapping: the discovery cache plus the admin's settings."""

    __tablename__ = "erp_fields"
    __table_args__ = (UniqueConstraint("actor_type_mapping_id", "erp_field_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_type_mapping_id: Mapped[int] = mapped_column(
        ForeignKey("erp_actor_type_mappings.id", ondelete="CASCADE"), index=True
    )
    # -- from the connector (GetSupportedActorTypeFields / GetSearchableFields) --
    erp_field_key: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(254), default="")
    display_description: Mapped[str] = mapped_column(Text, default="")
    field_type: Mapped[str] = mapped_column(String(16))
    list_name: Mapped[str] = mapped_column(String(254), default="")
    default_value: Mapped[str] = mapped_column(Text, default="")
    max_length: Mapped[int] = mapped_column(Integer, default=0)
    access: Mapped[str] = mapped_column(String(16), default="Normal")
    searchable: Mapped[bool] = mapped_column(Boolean, default=False)
    missing_in_erp: Mapped[bool] = mapped_column(Boolean, default=False)
    # -- the administrator's mapping --
    crm_field_key: Mapped[str | None] = mapped_column(String(254), default=None)
    sync_to_crm: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_to_erp: Mapped[bool] = mapped_column(Boolean, default=False)
    show_in_gui: Mapped[bool] = mapped_column(Boolean, default=False)
    show_in_search: Mapped[bool] = mapped_column(Boolean, default=False)
    missing_in_crm: Mapped[bool] = mapped_column(Boolean, default=False)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    # -- default values for new ERP actors --
    has_first_sync_default_value: Mapped[bool] = mapped_column(Boolean, default=False)
    first_sync_default_value: Mapped[str] = mapped_column(Text, default="")
    prompt_user: Mapped[bool] = mapped_column(Boolean, default=False)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)


class ErpListItemMapping(Base):
    """ERP list item key ↔ CRM list item, one-to-one within a field."""

    __tablename__ = "erp_list_item_mappings"
    __table_args__ = (
        UniqueConstraint("erp_field_id", "erp_item_key"),
        UniqueConstraint("erp_field_id", "crm_item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    erp_field_id: Mapped[int] = mapped_column(ForeignKey("erp_fields.id", ondelete="CASCADE"), index=True)
    erp_item_key: Mapped[str] = mapped_column(String(254))
    crm_item_id: Mapped[int] = mapped_column(ForeignKey("list_items.id"))


class ErpConfiguration(Base):
    """The one row of engine settings and connection priority."""

    __tablename__ = "erp_configuration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Connection ids in priority order, ``0`` standing for the CRM itself, e.g. "3;0;5".
    connection_rank: Mapped[str] = mapped_column(String(1023), default="0")
    sync_interval: Mapped[int] = mapped_column(Integer, default=300)  # seconds
    sync_running: Mapped[bool] = mapped_column(Boolean, default=False)


class ErpLink(TimestampedMixin, Base):
    """One CRM record joined to one ERP actor within one connection.

    ``base_values`` holds the last synced value of every mapped field, keyed by ERP field key and
    encoded as on the wire: the base of the engine's three-way merge.
    """

    __tablename__ = "erp_links"
    __table_args__ = (
        UniqueConstraint("connection_id", "crm_entity", "crm_record_id"),
        UniqueConstraint("connection_id", "erp_actor_type", "erp_key"),
        Index("ix_erp_links_record", "crm_entity", "crm_record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("erp_connections.id", ondelete="CASCADE"))
    crm_entity: Mapped[str] = mapped_column(String(16))
    crm_record_id: Mapped[int] = mapped_column(Integer)
    erp_actor_type: Mapped[str] = mapped_column(String(32))
    erp_key: Mapped[str] = mapped_column(String(254))
    #: The actor's LastModified when last synced (the reference's MostRecentTimestamp).
    last_modified: Mapped[str] = mapped_column(String(254), default="")
    base_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: "active", or "deleted_in_erp" once the delete feed reported the actor gone.
    state: Mapped[str] = mapped_column(String(16), default="active")


class ErpSyncLog(Base):
    """Every field change written by the engine, connect, create or import, and every conflict."""

    __tablename__ = "erp_sync_log"
    __table_args__ = (
        Index("ix_erp_sync_log_connection_time", "connection_id", "created_at"),
        Index("ix_erp_sync_log_record", "crm_entity", "crm_record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("erp_connections.id", ondelete="SET NULL"))
    crm_entity: Mapped[str] = mapped_column(String(16), default="")
    crm_record_id: Mapped[int | None] = mapped_column(Integer, default=None)
    erp_actor_type: Mapped[str] = mapped_column(String(32), default="")
    erp_key: Mapped[str] = mapped_column(String(254), default="")
    erp_field_key: Mapped[str] = mapped_column(String(254), default="")
    crm_field_key: Mapped[str] = mapped_column(String(254), default="")
    #: True when the CRM field was changed, False when the ERP field was, None for events.
    target_is_crm: Mapped[bool | None] = mapped_column(Boolean, default=None)
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    #: change, conflict, link, unlink, warning, error
    kind: Mapped[str] = mapped_column(String(16), default="change")
    #: engine, connect, create, import, resync, admin
    source: Mapped[str] = mapped_column(String(16), default="engine")
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
