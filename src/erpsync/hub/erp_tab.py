"""The ERP tab: which connections a CRM user sees and may use, and what the tab shows.

Every end-user method starts here (connect, create, search and the conflict dialog are all opened
from the ERP tab), so the scope rules live here once:

* a connection is usable only when it exists, is active and not deleted, and the user is in its
  scope; otherwise it is :class:`NotFound` — a user outside the scope never learns it exists;
* ``CanConnect`` gates linking and unlinking, ``CanCreateERP`` creating ERP actors, and either of
  them the connect dialog's searches and ERP values (they exist for those two actions) —
  :class:`AccessDenied` otherwise;
* only active actor type mappings (still announced by the connector) are usable.

``GetConnectionsAndDisplayFields`` lists one section per usable connection that syncs the record's
CRM type, in sync priority order; ``GetErpFieldValues`` fetches the linked actor's Show-in-ERP-tab
values live and turns them into display text (one ``GetListItems`` per list).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType
from erpsync.crm.errors import RecordNotFound
from erpsync.crm.store import Record
from erpsync.crm.texts import _, noun
from erpsync.crm.values import is_record_id
from erpsync.protocol import ActorType, FieldMetadata, FieldType

from .errors import AccessDenied, InvalidInput, NotFound, Refused
from .field_values import erp_display, erp_field_type, erp_fields_of, fetch_actor, field_metadata
from .field_values import list_display_texts as _list_display_texts
from .links import link_of_record
from .models import ErpActorTypeMapping, ErpConfiguration, ErpConnection, ErpField
from .scope import Access, access_to, accessible_connections
from .service import Hub

__all__ = [
    "ConnectionSection",
    "Permission",
    "UsableConnection",
    "by_sync_priority",
    "connections_and_display_fields",
    "crm_record",
    "display_fields",
    "erp_field_values",
    "parse_connection_rank",
    "usable_connection",
    "usable_mapping",
]

_ACTOR_TYPE_ORDER = {name.value: index for index, name in enumerate(ActorType)}


class Permission(Enum):
    see = "see"
    connect = "CanConnect"
    create = "CanCreateERP"
    #: The connect dialog's searches and ERP values: for users who may connect or create.
    search = "CanConnect or CanCreateERP"


def _permission_name(permission: Permission) -> str:
    if permission is Permission.search:
        return _("CanConnect or CanCreateERP")
    return str(permission.value)


@dataclass(frozen=True, slots=True)
class UsableConnection:
    connection: ErpConnection
    access: Access


def _allows(access: Access, permission: Permission) -> bool:
    match permission:
        case Permission.connect:
            return access.can_connect
        case Permission.create:
            return access.can_create_erp
        case Permission.search:
            return access.can_connect or access.can_create_erp
        case _:
            return access.can_see


def usable_connection(
    session: Session, connection_id: int, user_id: int, permission: Permission = Permission.see
) -> UsableConnection:
    """The connection if the user may use it for ``permission``.

    Raises :class:`NotFound` alike for a missing, deleted, inactive or out-of-scope connection,
    and :class:`AccessDenied` when the user sees it but lacks the permission.
    """
    connection = session.get(ErpConnection, connection_id) if is_record_id(connection_id) else None
    access = access_to(session, connection, user_id) if connection is not None else None
    if connection is None or access is None or not connection.active or not access.can_see:
        raise NotFound(_("There is no active ERP connection %(id)s available to you.", id=connection_id))
    if not _allows(access, permission):
        raise AccessDenied(
            _(
                "You may not do this in %(connection)s: it needs the %(permission)s permission.",
                connection=connection.display_name,
                permission=_permission_name(permission),
            )
        )
    return UsableConnection(connection, access)


def active_mappings(session: Session, connection_id: int) -> list[ErpActorTypeMapping]:
    query = select(ErpActorTypeMapping).where(
        ErpActorTypeMapping.connection_id == connection_id,
        ErpActorTypeMapping.is_active.is_(True),
        ErpActorTypeMapping.missing_in_erp.is_(False),
    )
    mappings = list(session.scalars(query))
    return sorted(mappings, key=lambda m: (_ACTOR_TYPE_ORDER.get(m.erp_actor_type, 99), m.id))


def usable_mapping(
    session: Session,
    connection: ErpConnection,
    erp_actor_type: str,
    crm_actor_type: CrmActorType | None = None,
) -> ErpActorTypeMapping:
    """The connection's active mapping of an ERP actor type; when ``crm_actor_type`` is given, it
    must be the CRM type the mapping links to."""
    mapping = next(
        (m for m in active_mappings(session, connection.id) if m.erp_actor_type == erp_actor_type), None
    )
    if mapping is None:
        raise NotFound(
            _(
                "%(connection)s does not sync %(type)s actors.",
                connection=connection.display_name,
                type=erp_actor_type,
            )
        )
    if crm_actor_type is not None and mapping.crm_actor_type != crm_actor_type.value:
        raise Refused(
            _(
                "In %(connection)s, %(type)s actors are linked to %(crm_type)s records, not to %(wanted)s "
                "records.",
                connection=connection.display_name,
                type=erp_actor_type,
                crm_type=mapping.crm_actor_type,
                wanted=crm_actor_type.value,
            ),
            [
                _(
                    "Use one of the ERP actor types %(connection)s syncs with %(crm_type)s.",
                    connection=connection.display_name,
                    crm_type=crm_actor_type.value,
                )
            ],
        )
    return mapping


def crm_record(session: Session, crm_actor_type: CrmActorType, record_id: int) -> Record:
    entity = ENTITY_OF_ACTOR_TYPE[crm_actor_type]
    record = store.get(session, entity, record_id)
    if record is None:
        raise NotFound(RecordNotFound(entity.value, record_id).message)
    return record


# --- sync priority --------------------------------------------------------------------------------


def parse_connection_rank(text: str) -> list[int]:
    """``"3;0;5"`` → ``[3, 5]``: connection ids in priority order (0, the CRM itself, and anything
    unreadable left out)."""
    order: list[int] = []
    for part in text.split(";"):
        part = part.strip()
        if part.isascii() and part.isdigit() and int(part) > 0 and int(part) not in order:
            order.append(int(part))
    return order


def by_sync_priority(session: Session, connections: Iterable[ErpConnection]) -> list[ErpConnection]:
    """Connections in the order of ``ErpConfiguration.connection_rank``; unranked ones last, by id."""
    configuration = session.scalar(select(ErpConfiguration).order_by(ErpConfiguration.id).limit(1))
    order = parse_connection_rank(configuration.connection_rank if configuration else "")
    position = {connection_id: index for index, connection_id in enumerate(order)}
    return sorted(connections, key=lambda c: (position.get(c.id, len(order)), c.id))


# --- the tab --------------------------------------------------------------------------------------


def display_fields(session: Session, mapping: ErpActorTypeMapping) -> list[ErpField]:
    """The Show-in-ERP-tab fields of a mapping in rank order; Password fields are never shown."""
    return [
        row
        for row in erp_fields_of(session, mapping.id)
        if row.show_in_gui and erp_field_type(row) is not FieldType.Password
    ]


@dataclass(frozen=True, slots=True)
class ConnectionSection:
    """One connection's section of a record's ERP tab (the reference's ``ErpConnectionData``)."""

    connection_id: int
    connection_name: str
    connected: bool
    erp_key: str
    erp_actor_type: str
    crm_actor_type: CrmActorType
    erp_actor_types: list[str]
    erp_fields: list[FieldMetadata]
    can_connect: bool
    can_create_erp: bool


def connections_and_display_fields(
    session: Session, user_id: int, crm_actor_type: CrmActorType, entity_id: int
) -> list[ConnectionSection]:
    """One section per usable connection that syncs ``crm_actor_type``, in sync priority order."""
    record = crm_record(session, crm_actor_type, entity_id)
    sections: list[ConnectionSection] = []
    for connection in by_sync_priority(session, accessible_connections(session, user_id)):
        mappings = [
            m for m in active_mappings(session, connection.id) if m.crm_actor_type == crm_actor_type.value
        ]
        if not mappings:
            continue
        access = access_to(session, connection, user_id)
        link = link_of_record(session, connection.id, record.entity, record.id)
        linked_mapping = next((m for m in mappings if link and m.erp_actor_type == link.erp_actor_type), None)
        fields = display_fields(session, linked_mapping) if linked_mapping else []
        sections.append(
            ConnectionSection(
                connection_id=connection.id,
                connection_name=connection.display_name,
                connected=link is not None,
                erp_key=link.erp_key if link else "",
                erp_actor_type=link.erp_actor_type if link else "",
                crm_actor_type=crm_actor_type,
                erp_actor_types=[m.erp_actor_type for m in mappings],
                erp_fields=[field_metadata(row) for row in fields],
                can_connect=access.can_connect,
                can_create_erp=access.can_create_erp,
            )
        )
    return sections


def erp_field_values(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    crm_actor_type: CrmActorType,
    entity_id: int,
    field_keys: Sequence[str],
) -> list[str]:
    """The linked actor's values of ``field_keys`` (Show-in-ERP-tab fields), fetched live with
    ``GetActors`` and turned into display text, in the order asked."""
    usable = usable_connection(session, connection_id, user_id)
    connection = usable.connection
    record = crm_record(session, crm_actor_type, entity_id)
    link = link_of_record(session, connection.id, record.entity, record.id)
    if link is None:
        raise NotFound(
            _(
                "This %(kind)s is not linked in %(connection)s.",
                kind=noun(record.entity.value),
                connection=connection.display_name,
            )
        )
    mapping = usable_mapping(session, connection, link.erp_actor_type, crm_actor_type)
    shown = {row.erp_field_key: row for row in display_fields(session, mapping)}
    unknown = {
        f"FieldKeys.{index}": _(
            "%(key)r is not a field shown in the ERP tab of %(type)s", key=key, type=link.erp_actor_type
        )
        for index, key in enumerate(field_keys)
        if key not in shown
    }
    if unknown:
        raise InvalidInput(_("Ask only for fields shown in the ERP tab."), unknown)
    if not field_keys:
        return []
    actor = fetch_actor(hub, session, connection, link.erp_actor_type, link.erp_key, field_keys)
    values = {key: actor.field_values.get(key, "") for key in field_keys}
    wanted: dict[str, list[str]] = {}
    for key, value in values.items():
        if erp_field_type(shown[key]) is FieldType.List:
            wanted.setdefault(shown[key].list_name, []).append(value)
    texts = _list_display_texts(hub, session, connection, wanted)
    return [
        erp_display(
            values[key], erp_field_type(shown[key]) or FieldType.Text, texts.get(shown[key].list_name)
        )
        for key in field_keys
    ]
