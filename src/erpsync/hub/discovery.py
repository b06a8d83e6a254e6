"""Discovery: what a connection's connector offers, cached in the hub (``UpdateConnectionFields``).

Fetching asks the connector (``GetCapabilities``, ``GetSupportedActorTypes``, and per actor type
``GetSupportedActorTypeFields`` and ``GetSearchableFields``); applying stores the answer:

- one actor type mapping per announced type the engine syncs (Customer, Supplier and Partner map to
  the CRM's Contact, i.e. company; Person to Person; Project to Project; Employee and Sale are left
  out); a type no longer announced is marked missing in the ERP and made inactive;
- one ERP field row per announced field: the connector's metadata is refreshed, the
  administrator's settings are kept. A field no longer announced is marked missing in the ERP and
  loses its directions and display flags (renaming a key in a connector drops its sync, as in the
  reference); a mapped CRM field gone from the catalogue is marked missing in the CRM;
- new fields are ranked after the known ones in the connector's Rank order, and the ranks of an
  actor type stay 0..n-1;
- automatic field mapping (reference §2.5.3) for fields that never had a CRM field: the CRM field
  the key names, if that pair may sync in some direction — without setting a direction.

A CRM field key of ``None`` means "never mapped"; ``""`` means the administrator chose none, and
automatic mapping leaves it so.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from erpsync.crm.catalogue import (
    ENTITY_OF_ACTOR_TYPE,
    CrmActorType,
    CrmEntity,
    auto_map_target,
    fields_by_key,
)
from erpsync.crm.db import utcnow
from erpsync.crm.texts import _
from erpsync.protocol import (
    SUPPORTED_ACTOR_TYPES,
    ActorType,
    ConnectorClient,
    ErrorCode,
    FieldMetadata,
    FieldType,
    call,
)

from .compatibility import allowed_directions
from .errors import ConnectorFailed
from .lookups import client_for_url, connection_row, connector_row, field_rows, mapping_rows, send
from .models import ErpActorTypeMapping, ErpConnection, ErpField
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "COMPANY_ACTOR_TYPES",
    "CRM_ACTOR_TYPE_OF",
    "DiscoveredActorType",
    "Discovery",
    "FieldState",
    "apply_discovery",
    "auto_map",
    "fetch_discovery",
    "refresh_fields",
    "update_connection_fields",
]

log = logging.getLogger("erpsync.hub.discovery")

#: The reference's mapping of ERP actor types to CRM actor types (§1.2).
CRM_ACTOR_TYPE_OF: dict[ActorType, CrmActorType] = {
    ActorType.Customer: CrmActorType.Contact,
    ActorType.Supplier: CrmActorType.Contact,
    ActorType.Partner: CrmActorType.Contact,
    ActorType.Person: CrmActorType.Person,
    ActorType.Project: CrmActorType.Project,
}

COMPANY_ACTOR_TYPES = frozenset({ActorType.Customer, ActorType.Supplier, ActorType.Partner})

_MAX_TEXT = 254  # the width of the key, name and list name columns

_PLAIN_CONNECTOR = frozenset({ErrorCode.NotSupported.value, ErrorCode.UnknownOperation.value})


@dataclass(frozen=True, slots=True)
class DiscoveredActorType:
    actor_type: ActorType
    fields: tuple[FieldMetadata, ...]
    searchable: frozenset[str]


@dataclass(frozen=True, slots=True)
class Discovery:
    capabilities: tuple[str, ...]
    max_page_size: int
    actor_types: tuple[DiscoveredActorType, ...]


# -- asking the connector ---------------------------------------------------------------------------


def _capabilities(client: ConnectorClient) -> tuple[tuple[str, ...], int]:
    try:
        reply = send(client, _("Reading the connector's capabilities"), call.get_capabilities())
    except ConnectorFailed as exc:
        if exc.error_code in _PLAIN_CONNECTOR:
            return (), 0  # a plain SuperOffice-style connector
        raise
    return tuple(reply.capabilities), reply.max_page_size


def _usable_fields(actor_type: str, fields: Sequence[FieldMetadata]) -> tuple[FieldMetadata, ...]:
    """The fields the hub can store: a key that fits and is not announced twice; long names cut."""
    usable: dict[str, FieldMetadata] = {}
    for meta in fields:
        if not meta.field_key or len(meta.field_key) > _MAX_TEXT or meta.field_key in usable:
            log.warning("%s: field %r ignored (empty, too long or repeated)", actor_type, meta.field_key[:80])
            continue
        usable[meta.field_key] = meta.model_copy(
            update={"display_name": meta.display_name[:_MAX_TEXT], "list_name": meta.list_name[:_MAX_TEXT]}
        )
    return tuple(usable.values())


def fetch_discovery(client: ConnectorClient, guid: str) -> Discovery:
    """Ask the connector what a connection offers (no database involved)."""
    capabilities, max_page_size = _capabilities(client)
    names = send(client, _("Reading the supported actor types"), call.get_supported_actor_types(guid)).items
    discovered: list[DiscoveredActorType] = []
    for name in dict.fromkeys(names):
        try:
            actor_type = ActorType(name)
        except ValueError:
            log.warning("the connector announced an unknown actor type %r; ignored", name[:80])
            continue
        if actor_type not in SUPPORTED_ACTOR_TYPES:
            continue  # Employee, Sale: a connector may offer them, the engine does not sync them
        fields = send(
            client,
            _("Reading the fields of %(type)s", type=name),
            call.get_supported_actor_type_fields(guid, name),
        ).field_meta_data_objects
        searchable = send(
            client,
            _("Reading the searchable fields of %(type)s", type=name),
            call.get_searchable_fields(guid, name),
        ).items
        discovered.append(
            DiscoveredActorType(actor_type, _usable_fields(name, fields), frozenset(searchable))
        )
    return Discovery(capabilities, max_page_size, tuple(discovered))


# -- the rules, over plain data ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldState:
    """The hub's view of one ERP field of an actor type: the administrator's settings, and what the
    connector announces now (``metadata``; ``None`` when it no longer announces the field)."""

    erp_field_key: str
    metadata: FieldMetadata | None = None
    searchable: bool = False
    crm_field_key: str | None = None
    sync_to_crm: bool = False
    sync_to_erp: bool = False
    show_in_gui: bool = False
    show_in_search: bool = False
    rank: int = 0
    missing_in_erp: bool = False
    missing_in_crm: bool = False


def refresh_fields(
    entity: CrmEntity,
    known: Sequence[FieldState],
    announced: Sequence[FieldMetadata],
    searchable: Collection[str],
) -> list[FieldState]:
    """The fields of an actor type after a discovery, in rank order, ranks 0..n-1."""
    offered = {meta.field_key: meta for meta in announced}
    refreshed: list[FieldState] = []
    for state in sorted(known, key=lambda s: s.rank):
        meta = offered.get(state.erp_field_key)
        if meta is None:
            refreshed.append(
                replace(
                    state,
                    metadata=None,
                    searchable=False,
                    missing_in_erp=True,
                    sync_to_crm=False,
                    sync_to_erp=False,
                    show_in_gui=False,
                    show_in_search=False,
                )
            )
        else:
            refreshed.append(
                replace(state, metadata=meta, searchable=meta.field_key in searchable, missing_in_erp=False)
            )
    have = {state.erp_field_key for state in known}
    new = [(position, meta) for position, meta in enumerate(announced) if meta.field_key not in have]
    new.sort(key=lambda pair: (pair[1].rank, pair[0]))
    refreshed += [FieldState(meta.field_key, meta, meta.field_key in searchable) for _, meta in new]
    catalogue = fields_by_key(entity)
    return auto_map(
        entity,
        [
            replace(
                state,
                rank=rank,
                missing_in_crm=bool(state.crm_field_key) and state.crm_field_key not in catalogue,
            )
            for rank, state in enumerate(refreshed)
        ],
    )


def auto_map(entity: CrmEntity, states: Sequence[FieldState]) -> list[FieldState]:
    """Reference §2.5.3: a never-mapped field whose key names a CRM field gets that field — when the
    pair may sync in some direction and no other field of the actor type has it. No direction."""
    used = {state.crm_field_key for state in states if state.crm_field_key}
    mapped: list[FieldState] = []
    for state in states:
        meta = state.metadata
        target = auto_map_target(entity, state.erp_field_key) if meta is not None else None
        if (
            meta is not None
            and target is not None
            and state.crm_field_key is None
            and target.key not in used
            and allowed_directions(meta.field_type, meta.access, target).any
        ):
            used.add(target.key)
            state = replace(state, crm_field_key=target.key)
        mapped.append(state)
    return mapped


# -- storing ----------------------------------------------------------------------------------------


def _state_of(row: ErpField) -> FieldState:
    return FieldState(
        erp_field_key=row.erp_field_key,
        crm_field_key=row.crm_field_key,
        sync_to_crm=row.sync_to_crm,
        sync_to_erp=row.sync_to_erp,
        show_in_gui=row.show_in_gui,
        show_in_search=row.show_in_search,
        rank=row.rank,
        missing_in_erp=row.missing_in_erp,
        missing_in_crm=row.missing_in_crm,
    )


def _store_state(row: ErpField, state: FieldState) -> None:
    meta = state.metadata
    if meta is not None:
        row.display_name = meta.display_name
        row.display_description = meta.display_description
        row.field_type = FieldType(meta.field_type).value
        row.list_name = meta.list_name
        row.default_value = meta.default_value
        row.max_length = meta.max_length
        row.access = meta.access.value
    row.searchable = state.searchable
    row.crm_field_key = state.crm_field_key
    row.sync_to_crm, row.sync_to_erp = state.sync_to_crm, state.sync_to_erp
    row.show_in_gui, row.show_in_search = state.show_in_gui, state.show_in_search
    row.rank = state.rank
    row.missing_in_erp, row.missing_in_crm = state.missing_in_erp, state.missing_in_crm


def _apply_actor_type(session: Session, mapping: ErpActorTypeMapping, found: DiscoveredActorType) -> None:
    rows = {row.erp_field_key: row for row in field_rows(session, mapping.id)}
    entity = ENTITY_OF_ACTOR_TYPE[CrmActorType(mapping.crm_actor_type)]
    known = [_state_of(row) for row in rows.values()]
    for state in refresh_fields(entity, known, found.fields, found.searchable):
        row = rows.get(state.erp_field_key)
        if row is None:
            row = ErpField(actor_type_mapping_id=mapping.id, erp_field_key=state.erp_field_key)
            session.add(row)
        _store_state(row, state)


def apply_discovery(session: Session, connection: ErpConnection, discovery: Discovery) -> None:
    """Store a discovery's answer for ``connection`` (in the caller's write transaction)."""
    mappings = {row.erp_actor_type: row for row in mapping_rows(session, connection.id)}
    for found in discovery.actor_types:
        mapping = mappings.get(found.actor_type.value)
        if mapping is None:
            mapping = ErpActorTypeMapping(
                connection_id=connection.id,
                erp_actor_type=found.actor_type.value,
                crm_actor_type=CRM_ACTOR_TYPE_OF[found.actor_type].value,
                is_active=False,
                missing_in_erp=False,
            )
            session.add(mapping)
            session.flush()
        mapping.missing_in_erp = False
        _apply_actor_type(session, mapping, found)
    announced = {found.actor_type.value for found in discovery.actor_types}
    for name, mapping in mappings.items():
        if name not in announced:
            mapping.missing_in_erp, mapping.is_active = True, False
    connection.capabilities = list(discovery.capabilities)
    connection.max_page_size = discovery.max_page_size
    connection.discovered_at = utcnow()


def update_connection_fields(hub: Hub, connection_id: int) -> None:
    """Re-read actor types and fields from the connector into the hub (``UpdateConnectionFields``)."""
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        url, guid = connector_row(session, connection.connector_id, include_deleted=True).url, connection.guid
    discovery = fetch_discovery(client_for_url(hub, url), guid)
    with writing(hub) as session:
        apply_discovery(session, connection_row(session, connection_id), discovery)
