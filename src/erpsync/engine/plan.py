"""What one connection's cycle works from: its settings and mapped fields, read once per page as
plain data, so the rules below never touch the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import CrmEntity
from erpsync.hub.field_values import MappedField, crm_entity_of, mapped_fields
from erpsync.hub.models import ErpActorTypeMapping, ErpConnection, ErpConnector
from erpsync.hub.priorities import configuration_row, normalised_priorities
from erpsync.protocol import Capability

__all__ = ["ConnectionPlan", "TypePlan", "load_plan", "parents_first"]

#: Actors per page the engine asks for when the connector pages its feeds.
PAGE_SIZE = 2000

_ENTITY_ORDER = {CrmEntity.company: 0, CrmEntity.project: 1, CrmEntity.person: 2}


@dataclass(frozen=True, slots=True)
class TypePlan:
    """One active actor type mapping and its synced fields."""

    mapping_id: int
    erp_actor_type: str
    crm_actor_type: str
    entity: CrmEntity
    fields: list[MappedField]
    auto_import: bool = False

    @property
    def field_keys(self) -> list[str]:
        return [f.erp_key for f in self.fields]

    @property
    def pulls(self) -> bool:
        return any(f.to_crm for f in self.fields) or self.auto_import

    @property
    def pushes(self) -> bool:
        return any(f.to_erp for f in self.fields)


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    id: int
    guid: str
    name: str
    url: str
    active: bool
    conflict_policy: str
    no_blank_values: bool
    capabilities: frozenset[str]
    max_page_size: int
    #: True when the CRM ("0") comes before this connection in the sync priority.
    crm_first: bool
    types: list[TypePlan] = field(default_factory=list)

    @property
    def page_size(self) -> int:
        """0 when the connector does not page its feeds (everything comes in one reply)."""
        if Capability.PagedTimestampFeed.value not in self.capabilities:
            return 0
        return min(PAGE_SIZE, self.max_page_size) if self.max_page_size > 0 else PAGE_SIZE

    @property
    def has_delete_feed(self) -> bool:
        return Capability.DeleteFeed.value in self.capabilities

    def type_of(self, erp_actor_type: str) -> TypePlan | None:
        return next((t for t in self.types if t.erp_actor_type == erp_actor_type), None)

    def types_of(self, entity: CrmEntity) -> list[TypePlan]:
        return [t for t in self.types if t.entity is entity]


def parents_first(types: list[TypePlan]) -> list[TypePlan]:
    """Company types before projects before persons: a person needs its company's link first."""
    return sorted(types, key=lambda t: (_ENTITY_ORDER[t.entity], t.erp_actor_type))


def load_plan(session: Session, connection_id: int) -> ConnectionPlan | None:
    """The plan of a connection, ``None`` when it does not exist or is deleted."""
    connection = session.get(ErpConnection, connection_id)
    if connection is None or connection.deleted:
        return None
    connector = session.get(ErpConnector, connection.connector_id)
    url = connector.url if connector is not None else ""
    ids = list(session.scalars(select(ErpConnection.id).where(ErpConnection.deleted.is_(False))))
    order = normalised_priorities(configuration_row(session).connection_rank, ids)
    crm_first = order.index(0) < order.index(connection.id) if connection.id in order else True
    types: list[TypePlan] = []
    query = select(ErpActorTypeMapping).where(
        ErpActorTypeMapping.connection_id == connection.id,
        ErpActorTypeMapping.is_active.is_(True),
        ErpActorTypeMapping.missing_in_erp.is_(False),
    )
    for mapping in session.scalars(query):
        entity = crm_entity_of(mapping)
        if entity is None:
            continue
        fields = mapped_fields(session, mapping)
        if fields or mapping.auto_import:
            types.append(
                TypePlan(
                    mapping_id=mapping.id,
                    erp_actor_type=mapping.erp_actor_type,
                    crm_actor_type=mapping.crm_actor_type,
                    entity=entity,
                    fields=fields,
                    auto_import=mapping.auto_import,
                )
            )
    return ConnectionPlan(
        id=connection.id,
        guid=connection.guid,
        name=connection.display_name,
        url=url,
        active=connection.active,
        conflict_policy=connection.conflict_policy,
        no_blank_values=connection.no_blank_values,
        capabilities=frozenset(connection.capabilities or ()),
        max_page_size=connection.max_page_size,
        crm_first=crm_first,
        types=parents_first(types),
    )
