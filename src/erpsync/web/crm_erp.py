"""The ERP tab of a card (reference §3.1): one section per connection the user may use that syncs
the record's type, with the linked actor's Show-in-ERP-tab values fetched live — the same hub
calls as ``GetConnectionsAndDisplayFields`` and ``GetErpFieldValues``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from erpsync import i18n
from erpsync.crm.catalogue import CrmEntity, actor_type_of
from erpsync.crm.store import Record
from erpsync.hub import erp_tab
from erpsync.hub.errors import HubError
from erpsync.hub.links import parent_link
from erpsync.hub.service import Hub

from .crm_display import kind_of_erp_type, localised

__all__ = ["ErpSection", "ErpValueRow", "erp_sections"]


@dataclass(frozen=True, slots=True)
class ErpValueRow:
    """A Show-in-ERP-tab field: its ERP display name and its value as the page's language writes it."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class ErpSection:
    """One connection's section. ``failure`` says why the values could not be read;
    ``parent_linked`` is whether a person's company is linked in this connection."""

    connection_id: int
    name: str
    connected: bool
    erp_key: str
    erp_actor_type: str
    actor_types: list[str]
    rows: list[ErpValueRow]
    failure: str
    can_connect: bool
    can_create_erp: bool
    parent_linked: bool

    @property
    def can_search(self) -> bool:
        """The connect dialog is for connecting and for creating."""
        return self.can_connect or self.can_create_erp


def _values(
    hub: Hub, session: Session, user_id: int, record: Record, section: erp_tab.ConnectionSection
) -> tuple[list[ErpValueRow], str]:
    if not section.connected or not section.erp_fields:
        return [], ""
    keys = [f.field_key for f in section.erp_fields]
    try:
        values = erp_tab.erp_field_values(
            hub, session, user_id, section.connection_id, section.crm_actor_type, record.id, keys
        )
    except HubError as exc:
        return [], i18n.pick_explanation(exc.message)  # a connector's packed explanation: the reader's
    rows = [
        ErpValueRow(f.display_name or f.field_key, localised(value, kind_of_erp_type(f.field_type)))
        for f, value in zip(section.erp_fields, values, strict=True)
    ]
    return rows, ""


def erp_sections(hub: Hub, session: Session, user_id: int, record: Record) -> list[ErpSection]:
    """The ERP tab of ``record`` for the user, in sync priority order."""
    crm_actor_type = actor_type_of(record.entity)
    sections = []
    for section in erp_tab.connections_and_display_fields(session, user_id, crm_actor_type, record.id):
        rows, failure = _values(hub, session, user_id, record, section)
        parent_linked = (
            record.entity is not CrmEntity.person
            or parent_link(session, section.connection_id, record) is not None
        )
        sections.append(
            ErpSection(
                connection_id=section.connection_id,
                name=section.connection_name,
                connected=section.connected,
                erp_key=section.erp_key,
                erp_actor_type=section.erp_actor_type,
                actor_types=section.erp_actor_types,
                rows=rows,
                failure=failure,
                can_connect=section.can_connect,
                can_create_erp=section.can_create_erp,
                parent_linked=parent_linked,
            )
        )
    return sections
