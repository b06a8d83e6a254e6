"""The connection summary shown below the connection list (``GetErpSyncConnectionSummary``): per
actor type, which fields sync in which direction and which defaults new ERP actors get."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType, fields_by_key
from erpsync.crm.texts import _

from .lookups import connection_row, field_rows, mapping_rows
from .models import ErpField
from .service import Hub
from .transactions import reading

__all__ = ["ActorSummary", "ConnectionSummary", "connection_summary", "defaults_text", "mappings_text"]

#: → the ERP value flows into the CRM, ← the CRM value flows into the ERP, ↔ both ways.
_ARROWS = {(True, False): "→", (False, True): "←", (True, True): "↔"}


@dataclass(frozen=True, slots=True)
class ActorSummary:
    actor_type: str
    crm_actor_type: str
    is_active: bool
    has_mappings: bool
    defaults: str
    mappings: str


@dataclass(frozen=True, slots=True)
class ConnectionSummary:
    display_name: str
    description: str
    active: bool
    deleted: bool
    last_sync: datetime | None
    actors: tuple[ActorSummary, ...]


def mappings_text(rows: Sequence[ErpField], crm_labels: Mapping[str, str]) -> str:
    """``"Name ↔ Name; E-mail → E-mail"``: ERP field, direction, CRM field, in rank order."""
    parts = []
    for row in rows:
        arrow = _ARROWS.get((row.sync_to_crm, row.sync_to_erp))
        if arrow is None or row.missing_in_erp or not row.crm_field_key:
            continue
        crm = crm_labels.get(row.crm_field_key, row.crm_field_key)
        parts.append(f"{row.display_name or row.erp_field_key} {arrow} {crm}")
    return "; ".join(parts)


def defaults_text(rows: Sequence[ErpField]) -> str:
    """``"Currency = NOK; Payment terms: asked"``: the default values new ERP actors get."""
    parts = []
    for row in rows:
        name = row.display_name or row.erp_field_key
        said = []
        if row.has_first_sync_default_value:
            said.append(
                f"= {row.first_sync_default_value}" if row.first_sync_default_value else _("= (blank)")
            )
        if row.prompt_user:
            said.append(_("asked"))
        if row.mandatory:
            said.append(_("mandatory"))
        if said:
            parts.append(f"{name} " + ", ".join(said))
    return "; ".join(parts)


def connection_summary(hub: Hub, connection_id: int) -> ConnectionSummary:
    with reading(hub) as session:
        connection = connection_row(session, connection_id, include_deleted=True)
        actors = []
        for mapping in mapping_rows(session, connection_id):
            crm_type = CrmActorType(mapping.crm_actor_type)
            labels = {key: f.label for key, f in fields_by_key(ENTITY_OF_ACTOR_TYPE[crm_type]).items()}
            rows = field_rows(session, mapping.id)
            mapped = mappings_text(rows, labels)
            actors.append(
                ActorSummary(
                    actor_type=mapping.erp_actor_type,
                    crm_actor_type=mapping.crm_actor_type,
                    is_active=mapping.is_active,
                    has_mappings=bool(mapped),
                    defaults=defaults_text(rows),
                    mappings=mapped,
                )
            )
        return ConnectionSummary(
            display_name=connection.display_name,
            description=connection.description,
            active=connection.active,
            deleted=connection.deleted,
            last_sync=connection.last_sync,
            actors=tuple(actors),
        )
