"""ERP connections: saving, reading, testing and deleting them (reference §2.2 to §2.4).

Saving a new connection, or new config values of one, follows the reference's set-up protocol: the
connector's ``GetConfigData`` fields decide which values are needed (:mod:`.connection_config`);
``TestConfigData`` must accept the very values being saved; then the hub makes the GUID, calls
``SaveConnection`` and ``TestConnection``, runs discovery and automatic field mapping, and stores the
connection with its config (Password values sealed) in one write transaction. Nothing is stored
unless every step succeeded. An active connection's config cannot change; its name, description,
scope and policies can, without any connector call.

Password values are opened only to be sent to the connector; they appear in no reply, log line or
error text (connector explanations are redacted, in case a connector echoes them).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from erpsync.crm.errors import RecordNotFound
from erpsync.crm.models.users import Group, User
from erpsync.crm.texts import _, shown
from erpsync.protocol import ConnectorClient, ConnectorError, FieldMetadata, PluginResponse, call

from .config_values import load_config, masked_config, store_config
from .connection_config import ConfigDraft, build_config, config_unchanged
from .discovery import Discovery, apply_discovery, fetch_discovery
from .errors import ConnectorFailed, InvalidInput, Refused
from .lookups import client_for_url, connection_row, connector_row, redact, send
from .models import ErpConfigValue, ErpConnection, ErpConnectionAccess, ErpConnector
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "CONFLICT_POLICIES",
    "AccessEntry",
    "ConnectionDraft",
    "ConnectionRecord",
    "TestOutcome",
    "all_connections",
    "connection_config_fields",
    "delete_connection",
    "get_connection",
    "merge_access",
    "save_connection",
    "test_connection_by_config",
    "test_connection_by_id",
]

log = logging.getLogger("erpsync.hub.connections")

CONFLICT_POLICIES = ("newest", "erp", "crm")


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One user or one group in a connection's scope."""

    user_id: int | None = None
    group_id: int | None = None
    can_connect: bool = True
    can_create_erp: bool = True


@dataclass(frozen=True, slots=True)
class ConnectionDraft:
    """What the administrator saves. ``None`` means "keep" (or the default, for a new connection)."""

    connection_id: int = 0
    connector_id: int = 0
    display_name: str | None = None
    description: str | None = None
    all_access: bool | None = None
    access: Sequence[AccessEntry] | None = None
    config: Mapping[str, str] | None = None
    conflict_policy: str | None = None
    no_blank_values: bool | None = None


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    id: int
    connector_id: int
    connector_name: str
    display_name: str
    description: str
    guid: str
    active: bool
    deleted: bool
    all_access: bool
    access: tuple[AccessEntry, ...]
    #: Config values with Password values masked; empty in lists of connections.
    config: dict[str, str]
    conflict_policy: str
    no_blank_values: bool
    capabilities: tuple[str, ...]
    max_page_size: int
    discovered_at: datetime | None
    last_sync: datetime | None


@dataclass(frozen=True, slots=True)
class TestOutcome:
    is_ok: bool
    user_explanation: str = ""


# -- reading ----------------------------------------------------------------------------------------


def _access_entries(session: Session, connection_id: int) -> tuple[AccessEntry, ...]:
    rows = session.scalars(
        select(ErpConnectionAccess)
        .where(ErpConnectionAccess.connection_id == connection_id)
        .order_by(ErpConnectionAccess.id)
    )
    return tuple(AccessEntry(r.user_id, r.group_id, r.can_connect, r.can_create_erp) for r in rows)


def _record(session: Session, row: ErpConnection, with_config: bool = True) -> ConnectionRecord:
    connector = session.get(ErpConnector, row.connector_id)
    return ConnectionRecord(
        id=row.id,
        connector_id=row.connector_id,
        connector_name=connector.display_name if connector is not None else "",
        display_name=row.display_name,
        description=row.description,
        guid=row.guid,
        active=row.active,
        deleted=row.deleted,
        all_access=row.all_access,
        access=_access_entries(session, row.id),
        config=masked_config(session, row.id) if with_config else {},
        conflict_policy=row.conflict_policy,
        no_blank_values=row.no_blank_values,
        capabilities=tuple(row.capabilities or ()),
        max_page_size=row.max_page_size,
        discovered_at=row.discovered_at,
        last_sync=row.last_sync,
    )


def get_connection(hub: Hub, connection_id: int) -> ConnectionRecord:
    """One connection with its (masked) config and scope; deleted ones show as deleted."""
    with reading(hub) as session:
        return _record(session, connection_row(session, connection_id, include_deleted=True))


def all_connections(hub: Hub, include_deleted: bool = False) -> list[ConnectionRecord]:
    """Every connection, without config values."""
    with reading(hub) as session:
        query = select(ErpConnection).order_by(ErpConnection.id)
        if not include_deleted:
            query = query.where(ErpConnection.deleted.is_(False))
        return [_record(session, row, with_config=False) for row in session.scalars(query)]


def connection_config_fields(hub: Hub, connection_id: int) -> dict[str, str]:
    """The stored config values, Password values masked."""
    with reading(hub) as session:
        connection_row(session, connection_id, include_deleted=True)
        return masked_config(session, connection_id)


# -- scope ------------------------------------------------------------------------------------------


def merge_access(entries: Sequence[AccessEntry]) -> list[AccessEntry]:
    """One entry per user and per group: an entry listed twice gets the permissions of both."""
    merged: dict[tuple[int | None, int | None], AccessEntry] = {}
    for entry in entries:
        key = (entry.user_id, entry.group_id)
        seen = merged.get(key)
        if seen is not None:
            entry = AccessEntry(
                entry.user_id,
                entry.group_id,
                seen.can_connect or entry.can_connect,
                seen.can_create_erp or entry.can_create_erp,
            )
        merged[key] = entry
    return list(merged.values())


def _check_scope(session: Session, all_access: bool, access: Sequence[AccessEntry]) -> None:
    user_ids = {e.user_id for e in access if e.user_id is not None}
    group_ids = {e.group_id for e in access if e.group_id is not None}
    found_users = set(session.scalars(select(User.id).where(User.id.in_(user_ids)))) if user_ids else set()
    found_groups = (
        set(session.scalars(select(Group.id).where(Group.id.in_(group_ids)))) if group_ids else set()
    )
    reasons = [RecordNotFound("user", i).message for i in sorted(user_ids - found_users)]
    reasons += [RecordNotFound("group", i).message for i in sorted(group_ids - found_groups)]
    if not all_access and not access:
        reasons.append(_("Choose the scope Everyone, or at least one user or group."))
    if reasons:
        raise Refused(_("The connection's scope cannot be saved."), reasons)


def _store_access(session: Session, connection_id: int, access: Sequence[AccessEntry]) -> None:
    session.execute(delete(ErpConnectionAccess).where(ErpConnectionAccess.connection_id == connection_id))
    session.add_all(
        ErpConnectionAccess(
            connection_id=connection_id,
            user_id=e.user_id,
            group_id=e.group_id,
            can_connect=e.can_connect,
            can_create_erp=e.can_create_erp,
        )
        for e in access
    )


# -- saving -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Current:
    """What a save starts from: the stored connection (if any) and its connector."""

    connection: ErpConnection | None
    connector_id: int
    url: str
    stored: dict[str, str] | None
    secret_keys: frozenset[str]
    access: tuple[AccessEntry, ...]


def _current(hub: Hub, draft: ConnectionDraft) -> _Current:
    with reading(hub) as session:
        if draft.connection_id:
            connection = connection_row(session, draft.connection_id)
            if draft.connector_id not in (0, connection.connector_id):
                raise Refused(
                    _("A connection's sync connector cannot be changed; define a new connection instead."),
                    [_("ErpConnectorId differs from the connection's connector.")],
                )
            connector = connector_row(session, connection.connector_id, include_deleted=True)
            stored = load_config(session, connection.id, hub.box)
            secret_keys = frozenset(
                session.scalars(
                    select(ErpConfigValue.field_key).where(
                        ErpConfigValue.connection_id == connection.id, ErpConfigValue.secret.is_(True)
                    )
                )
            )
            access = _access_entries(session, connection.id)
            return _Current(connection, connector.id, connector.url, stored, secret_keys, access)
        connector = connector_row(session, draft.connector_id)
        return _Current(None, connector.id, connector.url, None, frozenset(), ())


def _scope_of(draft: ConnectionDraft, current: _Current) -> tuple[bool, list[AccessEntry]]:
    connection = current.connection
    all_access = (
        draft.all_access if draft.all_access is not None else (connection.all_access if connection else True)
    )
    access = merge_access(draft.access) if draft.access is not None else list(current.access)
    return all_access, access


def _require_name(draft: ConnectionDraft, current: _Current) -> str:
    name = (draft.display_name or "").strip()
    if name:
        return name
    if current.connection is not None and draft.display_name is None:
        return current.connection.display_name
    raise InvalidInput(_("The connection needs a name."), {"DisplayName": _("is required")})


def _config_fields(client: ConnectorClient) -> list[FieldMetadata]:
    return send(
        client, _("Reading the connector's config fields"), call.get_config_data()
    ).field_meta_data_objects


def _draft_config(client: ConnectorClient, given: Mapping[str, str], current: _Current) -> ConfigDraft:
    draft = build_config(_config_fields(client), given, current.stored)
    if draft.errors:
        raise InvalidInput(_("The config values are not complete or not valid."), draft.errors)
    return draft


def _secrets(draft: ConfigDraft, current: _Current) -> set[str]:
    """Every password value in play, to mask in anything shown."""
    values = {draft.values.get(k, "") for k in draft.secret_keys}
    if current.stored is not None:
        values |= {current.stored.get(k, "") for k in current.secret_keys}
    return {v for v in values if v}


def _test_config(client: ConnectorClient, values: Mapping[str, str], secrets: set[str]) -> None:
    reply = send(client, _("Testing the config values"), call.test_config_data(values), secrets)
    if reply.failed:
        explanation = _explanation(reply, secrets)
        raise Refused(
            _("The connector's test of the config values failed: %(explanation)s", explanation=explanation),
            [explanation],
        )


def _set_up(client: ConnectorClient, guid: str, values: Mapping[str, str], secrets: set[str]) -> Discovery:
    """SaveConnection, TestConnection and discovery for a GUID."""
    send(client, _("Saving the connection in the connector"), call.save_connection(guid, values), secrets)
    reply = send(client, _("Testing the connection"), call.test_connection(guid), secrets)
    if reply.failed:
        explanation = _explanation(reply, secrets)
        raise Refused(
            _(
                "The connector's test of the saved connection failed: %(explanation)s",
                explanation=explanation,
            ),
            [explanation],
        )
    try:
        return fetch_discovery(client, guid)
    except ConnectorFailed as exc:
        raise ConnectorFailed(
            redact(exc.message, secrets), redact(exc.user_explanation, secrets), exc.error_code
        ) from None


def _explanation(reply: PluginResponse, secrets: Collection[str]) -> str:
    """A connector's refusal as people read it: its explanation in their language, secrets masked."""
    return redact(shown(reply.user_explanation) or reply.tech_explanation or _("no explanation"), secrets)


def _restore(client: ConnectorClient, guid: str, stored: Mapping[str, str]) -> None:
    """Give the connector back the config the hub still has, after a change that did not go through."""
    try:
        client.send(call.save_connection(guid, stored))
    except ConnectorError as exc:
        log.warning("could not give connection %s its stored config back: %s", guid, type(exc).__name__)


def save_connection(hub: Hub, draft: ConnectionDraft) -> ConnectionRecord:
    """Create (``connection_id`` 0) or update a connection; see the module docstring."""
    current = _current(hub, draft)
    name = _require_name(draft, current)
    all_access, access = _scope_of(draft, current)
    with reading(hub) as session:
        _check_scope(session, all_access, access)
    client = client_for_url(hub, current.url)
    config: ConfigDraft | None = None
    discovery: Discovery | None = None
    existing = current.connection
    given = draft.config if draft.config is not None else ({} if existing is None else None)
    changing = given is not None and (
        existing is None or not config_unchanged(given, current.stored or {}, current.secret_keys)
    )
    if changing and existing is not None and existing.active:
        raise Refused(
            _(
                "The connection %(name)r is active: deactivate it before you change its configuration.",
                name=existing.display_name,
            ),
            [_("Deactivate the connection first.")],
        )
    guid = existing.guid if existing is not None else str(uuid.uuid4())
    if changing:
        assert given is not None
        config = _draft_config(client, given, current)
        secrets = _secrets(config, current)
        _test_config(client, config.values, secrets)
        try:
            discovery = _set_up(client, guid, config.values, secrets)
        except Exception:
            if current.stored is not None:
                _restore(client, guid, current.stored)
            raise
    try:
        with writing(hub) as session:
            row = _write(session, hub, draft, current, name, all_access, access, guid, config, discovery)
            return _record(session, row)
    except Exception:
        if config is not None and current.stored is not None:
            _restore(client, guid, current.stored)
        raise


def _write(
    session: Session,
    hub: Hub,
    draft: ConnectionDraft,
    current: _Current,
    name: str,
    all_access: bool,
    access: Sequence[AccessEntry],
    guid: str,
    config: ConfigDraft | None,
    discovery: Discovery | None,
) -> ErpConnection:
    if current.connection is None:
        row = ErpConnection(connector_id=current.connector_id, display_name=name, guid=guid, active=False)
        session.add(row)
        session.flush()
    else:
        row = connection_row(session, current.connection.id)
        if config is not None and row.active:
            raise Refused(
                _(
                    "The connection %(name)r was activated meanwhile: deactivate it before you change its "
                    "configuration.",
                    name=row.display_name,
                ),
                [_("Deactivate the connection first.")],
            )
    row.display_name = name
    if draft.description is not None or current.connection is None:
        row.description = draft.description or ""
    row.all_access = all_access
    if draft.conflict_policy is not None or current.connection is None:
        row.conflict_policy = draft.conflict_policy or CONFLICT_POLICIES[0]
    if draft.no_blank_values is not None or current.connection is None:
        row.no_blank_values = bool(draft.no_blank_values)
    if draft.access is not None or current.connection is None:
        _store_access(session, row.id, access)
    if config is not None:
        store_config(session, row.id, config.values, config.secret_keys, hub.box)
    if discovery is not None:
        apply_discovery(session, row, discovery)
    session.flush()
    return row


# -- testing ----------------------------------------------------------------------------------------


def test_connection_by_config(
    hub: Hub, connection_id: int, connector_id: int, given: Mapping[str, str]
) -> TestOutcome:
    """Test config values without saving them (the dialog's Test button). For a saved connection,
    masked passwords stand for the stored ones; for a new one, ``connector_id`` says which
    connector."""
    current = _current(hub, ConnectionDraft(connection_id=connection_id, connector_id=connector_id))
    client = client_for_url(hub, current.url)
    config = build_config(_config_fields(client), given, current.stored)
    secrets = _secrets(config, current)
    if config.errors:
        problems = "; ".join(f"{key.split('.', 1)[-1]} {text}" for key, text in config.errors.items())
        return TestOutcome(
            False, _("The config values are not complete or not valid: %(problems)s.", problems=problems)
        )
    try:
        reply = client.send(call.test_config_data(config.values))
    except ConnectorError as exc:
        return TestOutcome(
            False, _("The connector could not be asked: %(problem)s", problem=redact(str(exc), secrets))
        )
    explanation = redact(shown(reply.user_explanation) or reply.tech_explanation, secrets)
    return TestOutcome(not reply.failed, explanation)


def test_connection_by_id(hub: Hub, connection_id: int) -> TestOutcome:
    """Is the saved connection usable? (``TestConnection`` with its GUID.)"""
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        url, guid = connector_row(session, connection.connector_id, include_deleted=True).url, connection.guid
        secrets = _secret_values(session, hub, connection_id)
    try:
        reply = client_for_url(hub, url).send(call.test_connection(guid))
    except ConnectorError as exc:
        return TestOutcome(
            False, _("The connector could not be asked: %(problem)s", problem=redact(str(exc), secrets))
        )
    return TestOutcome(
        not reply.failed, redact(shown(reply.user_explanation) or reply.tech_explanation, secrets)
    )


def _secret_values(session: Session, hub: Hub, connection_id: int) -> set[str]:
    rows = session.scalars(
        select(ErpConfigValue).where(
            ErpConfigValue.connection_id == connection_id, ErpConfigValue.secret.is_(True)
        )
    )
    return {hub.box.open(row.value) for row in rows if row.value}


# -- deleting ---------------------------------------------------------------------------------------


def delete_connection(hub: Hub, connection_id: int) -> None:
    """Soft-delete a connection (it is hidden and stops syncing; its links stay), then tell the
    connector, whose failure is logged and otherwise ignored: the hub's decision stands."""
    with writing(hub) as session:
        row = connection_row(session, connection_id, include_deleted=True)
        if row.deleted:
            return
        row.deleted, row.active = True, False
        url = connector_row(session, row.connector_id, include_deleted=True).url
        guid = row.guid
    try:
        client_for_url(hub, url).send(call.delete_connection(guid))
    except Exception as exc:  # any failure of the notification is only logged
        code = getattr(getattr(exc, "response", None), "error_code", "") or type(exc).__name__
        log.warning("the connector did not take the deletion of connection %s: %s", guid, code)
