"""Sync connectors: registering, testing and deleting them (reference §2.1).

A connector is a name and a URL. One that still has connections cannot be deleted; deletion is a
soft delete ("we do not physically delete rows to avoid disaster").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpsync.crm.texts import _, shown
from erpsync.protocol import (
    NIL_GUID,
    ConnectorClient,
    ConnectorError,
    FieldMetadata,
    FieldType,
    ListItem,
    call,
    validate_connector_url,
)

from .config_values import MASK
from .errors import Refused
from .lookups import client_for_url, connection_row, connector_row, send
from .models import ErpConnection, ErpConnector
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "ConnectorRecord",
    "ResponseCode",
    "all_connectors",
    "can_delete_connector",
    "config_list_items",
    "configuration_fields",
    "default_connector",
    "delete_connector",
    "get_connector",
    "masked_default",
    "save_connector",
    "test_connector_url",
]

#: How long "Test" waits for a connector that may not exist.
_TEST_TIMEOUT = 10.0


class ResponseCode(StrEnum):
    """The reference's ``ErpSyncResponseCode``."""

    NoError = "NoError"
    ErrorConnectorHasConnections = "ErrorConnectorHasConnections"
    ErrorNotFound = "ErrorNotFound"


@dataclass(frozen=True, slots=True)
class ConnectorRecord:
    id: int
    display_name: str
    url: str
    deleted: bool


def _record(row: ErpConnector) -> ConnectorRecord:
    return ConnectorRecord(row.id, row.display_name, row.url, row.deleted)


def default_connector() -> ConnectorRecord:
    """What a new connector starts as (``CreateDefaultErpSyncConnectorEntity``)."""
    return ConnectorRecord(0, "", "", False)


def get_connector(hub: Hub, connector_id: int) -> ConnectorRecord:
    """One connector, deleted ones included (they show as deleted)."""
    with reading(hub) as session:
        return _record(connector_row(session, connector_id, include_deleted=True))


def all_connectors(hub: Hub) -> list[ConnectorRecord]:
    with reading(hub) as session:
        query = select(ErpConnector).where(ErpConnector.deleted.is_(False)).order_by(ErpConnector.id)
        return [_record(row) for row in session.scalars(query)]


def checked_url(hub: Hub, url: str) -> str:
    """The URL, if the hub may call a connector there; else :class:`Refused` saying why."""
    try:
        checked = validate_connector_url(url.strip(), hub.clients.allow_link_local)
        parts = urlsplit(checked)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
        if parts.scheme != "plugin":
            httpx.URL(checked)
    except (ValueError, httpx.InvalidURL) as exc:
        raise Refused(_("The connector URL is refused: %(problem)s", problem=str(exc)), [str(exc)]) from None
    return checked


def save_connector(hub: Hub, connector_id: int, display_name: str, url: str) -> ConnectorRecord:
    """Create (``connector_id`` 0) or update a connector. A changed URL drops the old URL's client."""
    name = display_name.strip()
    checked = checked_url(hub, url)
    old_url = ""
    with writing(hub) as session:
        if connector_id == 0:
            row = ErpConnector(display_name=name, url=checked, deleted=False)
            session.add(row)
        else:
            row = connector_row(session, connector_id)
            old_url = row.url
            row.display_name, row.url = name, checked
        session.flush()
        record = _record(row)
    if old_url and old_url != checked:
        hub.clients.forget(old_url)
    return record


def test_connector_url(hub: Hub, url: str) -> ResponseCode:
    """Does a connector answer ``GetConfigData`` at ``url``? A URL the hub may not call counts as
    not found."""
    try:
        checked = checked_url(hub, url)
    except Refused:
        return ResponseCode.ErrorNotFound
    clients = hub.clients
    timeout = min(clients.timeout, _TEST_TIMEOUT)
    try:
        with ConnectorClient(
            checked, secret=clients.secret, timeout=timeout, allow_link_local=clients.allow_link_local
        ) as client:
            client.send(call.get_config_data())
    except (ConnectorError, httpx.InvalidURL, ValueError):
        return ResponseCode.ErrorNotFound
    return ResponseCode.NoError


def _live_connections(session: Session, connector_id: int) -> int:
    query = select(func.count()).where(
        ErpConnection.connector_id == connector_id, ErpConnection.deleted.is_(False)
    )
    return session.scalar(query) or 0


def can_delete_connector(hub: Hub, connector_id: int) -> ResponseCode:
    with reading(hub) as session:
        row = session.get(ErpConnector, connector_id) if connector_id > 0 else None
        if row is None or row.deleted:
            return ResponseCode.ErrorNotFound
        if _live_connections(session, connector_id):
            return ResponseCode.ErrorConnectorHasConnections
        return ResponseCode.NoError


def delete_connector(hub: Hub, connector_id: int) -> None:
    """Soft-delete a connector that has no (undeleted) connections."""
    with writing(hub) as session:
        row = connector_row(session, connector_id)
        count = _live_connections(session, connector_id)
        if count:
            raise Refused(
                _(
                    "The connector %(name)r still has %(count)s connection(s): delete them first.",
                    name=row.display_name,
                    count=count,
                ),
                [ResponseCode.ErrorConnectorHasConnections.value],
            )
        row.deleted = True
        url = row.url
    hub.clients.forget(url)


def configuration_fields(hub: Hub, connector_id: int) -> list[FieldMetadata]:
    """The connector's config fields (``GetConfigData``), in rank order."""
    with reading(hub) as session:
        url = connector_row(session, connector_id).url
    reply = send(client_for_url(hub, url), _("Reading the connector's config fields"), call.get_config_data())
    return sorted(
        (shown_config_field(masked_default(f)) for f in reply.field_meta_data_objects), key=lambda f: f.rank
    )


def shown_config_field(meta: FieldMetadata) -> FieldMetadata:
    """A config field's name, tooltip and label text in the reader's language, when the connector
    packs them in several (``US:"User name"DK:"Brugernavn"``, as its explanations)."""
    update = {
        "display_name": shown(meta.display_name),
        "display_description": shown(meta.display_description),
    }
    if meta.field_type is FieldType.Label:  # a label's text is its default value
        update["default_value"] = shown(meta.default_value)
    return meta.model_copy(update=update)


def masked_default(meta: FieldMetadata) -> FieldMetadata:
    """A Password field's default is shown as the mask; sending the mask back stands for it."""
    if meta.field_type is FieldType.Password and meta.default_value:
        return meta.model_copy(update={"default_value": MASK})
    return meta


def config_list_items(hub: Hub, connector_id: int, list_name: str, connection_id: int = 0) -> list[ListItem]:
    """The items of a config field's list: with the all-zero GUID while a connection is being
    defined, with the connection's GUID when ``connection_id`` names one of this connector's."""
    with reading(hub) as session:
        connector = connector_row(session, connector_id)
        guid = NIL_GUID
        if connection_id:
            connection = connection_row(session, connection_id)
            if connection.connector_id != connector.id:
                raise Refused(
                    _("The connection %(name)r does not use this connector.", name=connection.display_name),
                    [_("ErpConnectionId names a connection of another connector.")],
                )
            guid = connection.guid
        url = connector.url
    reply = send(
        client_for_url(hub, url),
        _("Reading the list %(list)r", list=list_name),
        call.get_list(guid, list_name),
    )
    return [item.model_copy(update={"display_value": shown(item.display_value)}) for item in reply.list_items]
