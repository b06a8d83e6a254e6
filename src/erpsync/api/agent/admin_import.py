"""The administrator's Import from ERP (reference §2.11): the actor types to import, a preview of
what an import would do, and the import itself. See ``docs/api.md``.

Choose the actors one way: ``ErpKeys`` (rows of a Search ERP result), ``Restrictions`` (the
advanced search is run), or ``AllActors``. ``Match`` and ``Action`` are the duplicate settings;
persons are imported only under a company linked in the connection. ``ImportFromErp`` is refused
(409) while automatic sync is on; ``PreviewImport`` writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_pascal

from erpsync.engine import importing
from erpsync.engine.import_plan import DuplicateAction, ImportRow, ImportSettings, MatchField, RowAction
from erpsync.hub import searching
from erpsync.protocol import SearchRestriction

from ..dependencies import AdminUser, DbSession
from .common import AgentModel, HubDep, agent_error_responses
from .user import ErpActorTypeName, ErpKey, Id, Limit, OptionalFieldKey, Restriction, SearchReply

__all__ = ["router"]

router = APIRouter()

MatchName = Literal["name", "name_department", "number", "code", "vat_no", "email", "mobile", "id", "none"]
ActionName = Literal["add", "merge", "replace", "skip"]
RowActionName = Literal["new", "update", "no_change", "skip", "error"]
PreviewLimit = Annotated[int, Field(ge=1, le=importing.MAX_KEYS, description="The most rows to return.")]


class _Request(AgentModel):
    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, serialize_by_alias=True, extra="forbid"
    )


# --- requests --------------------------------------------------------------------------------------


class ImportActorTypesRequest(_Request):
    erp_connection_id: Id


class SearchImportActorsRequest(_Request):
    erp_connection_id: Id
    erp_actor_type: ErpActorTypeName
    restrictions: list[Restriction] = Field(max_length=50)
    limit: Limit = 200


class ImportRequest(_Request):
    """The actors (exactly one of ``ErpKeys``, ``Restrictions``, ``AllActors``) and the settings."""

    erp_connection_id: Id
    erp_actor_type: ErpActorTypeName
    erp_keys: list[ErpKey] = Field(default_factory=list, max_length=importing.MAX_KEYS)
    restrictions: list[Restriction] = Field(default_factory=list, max_length=50)
    all_actors: bool = False
    match: MatchName = Field(default="name", description="The duplicate match field; `none`: no check.")
    action: ActionName = Field(
        default="merge",
        description="For a duplicate: `add` a new record anyway, `merge` (fill empty fields), `replace` "
        "(overwrite mapped fields) or `skip` it.",
    )
    id_field: OptionalFieldKey = Field(
        default="", description="For `Match` `id`: the ERP field that holds the CRM record id."
    )


class PreviewImportRequest(ImportRequest):
    limit: PreviewLimit = 1000


class ImportFromErpRequest(ImportRequest):
    excluded_keys: list[ErpKey] = Field(
        default_factory=list,
        max_length=importing.MAX_EXCLUDED,
        description="Actors unticked in the preview: not imported.",
    )


# --- replies ---------------------------------------------------------------------------------------


class ImportActorTypeReply(AgentModel):
    erp_actor_type: str
    crm_actor_type: str
    match_fields: list[str] = Field(description="The `Match` values this actor type takes.")
    searchable_fields: list[str]


class FieldChangeReply(AgentModel):
    crm_field_key: str
    erp_field_key: str
    display_name: str
    old_value: str = Field(description="The CRM's value now, as shown (empty for a new record).")
    new_value: str


class ImportRowReply(AgentModel):
    erp_key: str
    display_name: str
    action: RowActionName
    crm_record_id: int | None = Field(description="The duplicate (or the record already linked).")
    reason: str = Field(description="Why the actor is skipped or cannot be imported.")
    changes: list[FieldChangeReply]
    warnings: list[str] = Field(description="Fields left out, and why.")

    @classmethod
    def of(cls, row: ImportRow) -> ImportRowReply:
        return cls(
            erp_key=row.erp_key,
            display_name=row.display_name,
            action=row.action.value,
            crm_record_id=row.crm_record_id,
            reason=row.reason,
            changes=[
                FieldChangeReply(
                    crm_field_key=c.crm_field_key,
                    erp_field_key=c.erp_field_key,
                    display_name=c.label,
                    old_value=c.old_value,
                    new_value=c.new_value,
                )
                for c in row.changes
            ],
            warnings=[p.message for p in row.warnings],
        )


class ImportCounts(AgentModel):
    new: int
    update: int
    no_change: int
    skip: int
    error: int


class PreviewImportReply(AgentModel):
    erp_connection_id: int
    erp_actor_type: str
    rows: list[ImportRowReply]
    counts: ImportCounts = Field(description="Every actor's row counted, also those beyond `Limit`.")
    more: bool = Field(description="More rows than `Limit`.")


class KeyReason(AgentModel):
    erp_key: str
    reason: str


class ImportFromErpReply(AgentModel):
    created: list[int] = Field(description="Ids of the CRM records created.")
    updated: list[int] = Field(description="Ids of the duplicates updated.")
    unchanged: list[int] = Field(description="Ids of the duplicates linked without a change.")
    skipped: list[KeyReason]
    errors: list[KeyReason]
    warnings: int = Field(description="Fields left out with a warning in the sync log.")
    stopped: str = Field(description="Why the import stopped before the end; empty when it did not.")


# --- routes ----------------------------------------------------------------------------------------


def _selection(body: ImportRequest) -> importing.ImportSelection:
    return importing.ImportSelection(
        connection_id=body.erp_connection_id,
        actor_type=body.erp_actor_type,
        erp_keys=tuple(body.erp_keys),
        restrictions=tuple(
            SearchRestriction(field_key=r.field_key, operator=r.operator, values=list(r.values))
            for r in body.restrictions
        ),
        all_actors=body.all_actors,
    )


def _settings(body: ImportRequest) -> ImportSettings:
    return ImportSettings(MatchField(body.match), DuplicateAction(body.action), body.id_field)


@router.post(
    "/GetImportActorTypes",
    operation_id="GetImportActorTypes",
    response_model=list[ImportActorTypeReply],
    responses=agent_error_responses(404),
)
def get_import_actor_types(
    body: ImportActorTypesRequest, user: AdminUser, hub: HubDep
) -> list[ImportActorTypeReply]:
    """The actor types the import offers: active mappings with at least one searchable field."""
    return [
        ImportActorTypeReply(
            erp_actor_type=choice.erp_actor_type,
            crm_actor_type=choice.crm_actor_type,
            match_fields=[m.value for m in choice.match_fields],
            searchable_fields=list(choice.searchable_fields),
        )
        for choice in importing.import_actor_types(hub, body.erp_connection_id)
    ]


@router.post(
    "/SearchImportActors",
    operation_id="SearchImportActors",
    response_model=SearchReply,
    responses=agent_error_responses(404, 422, 502),
)
def search_import_actors(
    body: SearchImportActorsRequest, user: AdminUser, session: DbSession, hub: HubDep
) -> SearchReply:
    """The import's advanced search: the actors matching every restriction, to choose from. Any
    connection with the actor type mapped, whoever its scope names."""
    restrictions = [
        SearchRestriction(field_key=r.field_key, operator=r.operator, values=list(r.values))
        for r in body.restrictions
    ]
    result = searching.search_for_import(
        hub, session, body.erp_connection_id, body.erp_actor_type, restrictions, body.limit
    )
    return SearchReply.of(result)


@router.post(
    "/PreviewImport",
    operation_id="PreviewImport",
    response_model=PreviewImportReply,
    responses=agent_error_responses(404, 409, 502),
)
def preview_import(body: PreviewImportRequest, user: AdminUser, hub: HubDep) -> PreviewImportReply:
    """What importing the actors would do, row by row (new, update, no_change, skip, error), with
    the CRM values that would change. Writes nothing."""
    plan = importing.preview_import(hub, _selection(body), _settings(body), body.limit)
    counts = plan.counts
    return PreviewImportReply(
        erp_connection_id=plan.connection_id,
        erp_actor_type=plan.actor_type,
        rows=[ImportRowReply.of(row) for row in plan.rows],
        counts=ImportCounts(
            new=counts[RowAction.new],
            update=counts[RowAction.update],
            no_change=counts[RowAction.no_change],
            skip=counts[RowAction.skip],
            error=counts[RowAction.error],
        ),
        more=plan.more,
    )


@router.post(
    "/ImportFromErp",
    operation_id="ImportFromErp",
    response_model=ImportFromErpReply,
    responses=agent_error_responses(404, 409, 502),
)
def import_from_erp(body: ImportFromErpRequest, user: AdminUser, hub: HubDep) -> ImportFromErpReply:
    """Import the actors: create or update CRM records and link them. Refused (409) while automatic
    sync is on."""
    result = importing.apply_import(hub, _selection(body), _settings(body), body.excluded_keys)
    return ImportFromErpReply(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        skipped=[KeyReason(erp_key=key, reason=reason) for key, reason in result.skipped.items()],
        errors=[KeyReason(erp_key=key, reason=reason) for key, reason in result.errors.items()],
        warnings=result.warnings,
        stopped=result.stopped,
    )
