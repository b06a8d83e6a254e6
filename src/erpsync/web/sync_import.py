"""Settings → Sync → Import from ERP (reference §2.11): the wizard.

Step 1 (connection and actor type) is a plain GET form; the page it leads to carries what steps
2 to 5 need — the searchable fields with their operators, the duplicate match fields, the ERP
fields that may hold a CRM record id, and whether automatic sync is on — and the page script
(``import.js``) runs them against the agent API: ``SearchActorsAdvanced``, ``PreviewImport`` and
``ImportFromErp``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType, CrmEntity
from erpsync.engine import importing
from erpsync.engine.importing import ImportActorType
from erpsync.hub import connections, engine_settings, mappings
from erpsync.hub.searching import OPERATORS
from erpsync.hub.service import Hub
from erpsync.protocol import FieldType

from .templating import render
from .users import AdminPage

__all__ = ["ImportChoice", "SearchField", "import_choices", "router"]

router = APIRouter(include_in_schema=False)

#: ERP field types that can hold a CRM record id (``Match`` ``id``).
_ID_TYPES = frozenset({FieldType.Text, FieldType.Integer})


@dataclass(frozen=True, slots=True)
class ImportChoice:
    """A connection and the actor types the import offers in it."""

    connection_id: int
    display_name: str
    active: bool
    actor_types: tuple[ImportActorType, ...]


@dataclass(frozen=True, slots=True)
class SearchField:
    key: str
    label: str
    field_type: str
    operators: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportTarget:
    """Step 1's choice, with what the later steps offer."""

    connection: ImportChoice
    actor_type: ImportActorType
    entity: CrmEntity
    search_fields: tuple[SearchField, ...]
    #: (ERP field key, label) of the fields that may hold a CRM record id.
    id_fields: tuple[tuple[str, str], ...]


def import_choices(hub: Hub) -> list[ImportChoice]:
    """Every connection with at least one actor type to import (active mapping, searchable field)."""
    choices = []
    for connection in connections.all_connections(hub):
        types = importing.import_actor_types(hub, connection.id)
        if types:
            choices.append(
                ImportChoice(connection.id, connection.display_name, connection.active, tuple(types))
            )
    return choices


def _field_type(name: str) -> FieldType:
    try:
        return FieldType(name)
    except ValueError:
        return FieldType.Text


def import_target(hub: Hub, choice: ImportChoice, actor_type: ImportActorType) -> ImportTarget:
    view = mappings.actor_type_mapping(hub, choice.connection_id, actor_type.erp_actor_type)
    searchable = set(actor_type.searchable_fields)
    fields = [f for f in view.fields if not f.missing_in_erp]
    return ImportTarget(
        connection=choice,
        actor_type=actor_type,
        entity=ENTITY_OF_ACTOR_TYPE[CrmActorType(actor_type.crm_actor_type)],
        search_fields=tuple(
            SearchField(f.erp_field_key, f.erp_display_name or f.erp_field_key, f.field_type, OPERATORS[kind])
            for f in fields
            if f.erp_field_key in searchable and (kind := _field_type(f.field_type)) in OPERATORS
        ),
        id_fields=tuple(
            (f.erp_field_key, f.erp_display_name or f.erp_field_key)
            for f in fields
            if _field_type(f.field_type) in _ID_TYPES
        ),
    )


def _chosen(
    choices: list[ImportChoice], connection: str, actor_type: str
) -> tuple[ImportChoice, ImportActorType] | None:
    choice = next((c for c in choices if str(c.connection_id) == connection), None)
    found = next((t for t in choice.actor_types if t.erp_actor_type == actor_type), None) if choice else None
    return (choice, found) if choice and found else None


@router.get("/settings/sync/import", response_class=HTMLResponse)
def import_page(request: Request, user: AdminPage) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    choices = import_choices(hub)
    connection = request.query_params.get("connection", "")
    actor_type = request.query_params.get("type", "")
    chosen = _chosen(choices, connection, actor_type)
    return render(
        request,
        "sync/import.html",
        user,
        nav="sync",
        sync_tab="import",
        choices=choices,
        chosen_connection=connection,
        chosen_type=actor_type,
        # A choice the page cannot offer (a deleted connection, a type without searchable fields).
        choice_missing=bool(actor_type) and chosen is None,
        target=import_target(hub, *chosen) if chosen else None,
        engine_on=engine_settings.engine_status(hub).is_running,
    )
