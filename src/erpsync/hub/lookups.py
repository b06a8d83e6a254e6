"""What the administrator's operations share: finding rows (or saying clearly that they are not
there), the "deactivate it first" rule, and calling a connector with secrets kept out of errors."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm.texts import _
from erpsync.protocol import Call, ConnectorClient, ConnectorError, PluginResponse

from .config_values import MASK
from .errors import ConnectorFailed, NotFound, Refused
from .models import ErpActorTypeMapping, ErpConnection, ErpConnector, ErpField
from .service import Hub, connector_problem

__all__ = [
    "actor_type_row",
    "client_for_url",
    "connection_row",
    "connector_row",
    "erp_field_row",
    "field_rows",
    "mapping_rows",
    "redact",
    "require_inactive",
    "send",
]

R = TypeVar("R", bound=PluginResponse)


def connector_row(session: Session, connector_id: int, include_deleted: bool = False) -> ErpConnector:
    row = session.get(ErpConnector, connector_id) if connector_id > 0 else None
    if row is None or (row.deleted and not include_deleted):
        raise NotFound(_("There is no sync connector with id %(id)s.", id=connector_id))
    return row


def connection_row(session: Session, connection_id: int, include_deleted: bool = False) -> ErpConnection:
    row = session.get(ErpConnection, connection_id) if connection_id > 0 else None
    if row is None or (row.deleted and not include_deleted):
        raise NotFound(_("There is no ERP connection with id %(id)s.", id=connection_id))
    return row


def mapping_rows(session: Session, connection_id: int) -> list[ErpActorTypeMapping]:
    query = (
        select(ErpActorTypeMapping)
        .where(ErpActorTypeMapping.connection_id == connection_id)
        .order_by(ErpActorTypeMapping.id)
    )
    return list(session.scalars(query))


def actor_type_row(session: Session, connection: ErpConnection, erp_actor_type: str) -> ErpActorTypeMapping:
    row = session.scalar(
        select(ErpActorTypeMapping).where(
            ErpActorTypeMapping.connection_id == connection.id,
            ErpActorTypeMapping.erp_actor_type == erp_actor_type,
        )
    )
    if row is None:
        raise NotFound(
            _(
                "The connection %(connection)r has no actor type %(type)r.",
                connection=connection.display_name,
                type=erp_actor_type,
            )
        )
    return row


def field_rows(session: Session, mapping_id: int) -> list[ErpField]:
    """Every ERP field of an actor type mapping, missing ones included, in rank order."""
    query = (
        select(ErpField)
        .where(ErpField.actor_type_mapping_id == mapping_id)
        .order_by(ErpField.rank, ErpField.id)
    )
    return list(session.scalars(query))


def erp_field_row(session: Session, field_id: int) -> tuple[ErpField, ErpActorTypeMapping, ErpConnection]:
    """A field with its actor type mapping and its (not deleted) connection."""
    row = session.get(ErpField, field_id) if field_id > 0 else None
    mapping = session.get(ErpActorTypeMapping, row.actor_type_mapping_id) if row is not None else None
    connection = session.get(ErpConnection, mapping.connection_id) if mapping is not None else None
    if row is None or mapping is None or connection is None or connection.deleted:
        raise NotFound(_("There is no ERP field with id %(id)s.", id=field_id))
    return row, mapping, connection


def require_inactive(connection: ErpConnection, change: str) -> None:
    """The reference's rule: an active connection is deactivated before its setup changes;
    ``change`` says what was to change (``_("change its field mappings")``)."""
    if connection.active:
        raise Refused(
            _(
                "The connection %(connection)r is active: deactivate it before you %(change)s.",
                connection=connection.display_name,
                change=change,
            ),
            [_("Deactivate the connection first.")],
        )


def client_for_url(hub: Hub, url: str) -> ConnectorClient:
    try:
        return hub.clients.for_url(url)
    except ValueError as exc:  # a stored URL that the current settings refuse (link-local …)
        raise ConnectorFailed(_("The connector URL cannot be used: %(problem)s", problem=str(exc))) from None


def redact(text: str, secrets: Collection[str]) -> str:
    """``text`` with every secret value replaced by the mask: a connector might echo what it got."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def send(client: ConnectorClient, what: str, c: Call[R], secrets: Collection[str] = ()) -> R:
    """One connector call; a failure becomes :class:`ConnectorFailed` naming ``what`` (a
    translated phrase such as ``_("Reading the ERP list %(list)s")``), with any of ``secrets``
    masked in its text and the connector's explanation in the reader's language."""
    try:
        return client.send(c)
    except ConnectorError as exc:
        response = getattr(exc, "response", None)
        user = redact(response.user_explanation if response is not None else "", secrets)
        code = response.error_code if response is not None else ""
        detail = user or redact(connector_problem(exc), secrets)
        raise ConnectorFailed(
            _("%(what)s failed: %(detail)s", what=what, detail=detail), user, code
        ) from None
    except httpx.InvalidURL as exc:  # not an httpx.HTTPError, so the transport does not translate it
        raise ConnectorFailed(
            _("%(what)s failed: the connector URL is not usable (%(problem)s)", what=what, problem=str(exc))
        ) from None
