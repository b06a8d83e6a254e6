"""ErpSync agent methods of the CRM user: the ERP tab, the connect dialog (searches, conflict
data), connect, link, disconnect and create in the ERP (reference §3, §6.1).

Every method is ``POST /api/v1/Agents/ErpSync/<Method>`` with a PascalCase JSON body; the rules
live in ``erpsync.hub`` (``erp_tab``, ``searching``, ``connect``, ``create``). A connection outside
the user's scope answers 404 as if it did not exist; a missing permission (CanConnect,
CanCreateERP) 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_pascal
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType
from erpsync.crm.texts import _
from erpsync.crm.values import INT32_MAX
from erpsync.engine import operations
from erpsync.hub import connect, create, erp_tab, searching
from erpsync.hub.errors import ConnectorFailed, Refused
from erpsync.hub.field_values import FieldValueView, Source
from erpsync.hub.service import Hub
from erpsync.protocol import FieldMetadata, FieldType, SearchRestriction

from ..dependencies import CurrentUser, DbSession
from ..schemas import NO_NUL
from .admin_models import PluginResponseReply
from .common import AgentModel, HubDep, RunnerDep, agent_error_responses

__all__ = ["router"]

router = APIRouter()

F = TypeVar("F", bound=Callable[..., Any])


def _valid_unicode(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("is not valid Unicode text")) from None
    return value


def _json_integer(value: Any) -> Any:
    """JSON's idea of an integer: ``5`` and ``5.0``, not ``"5"``, ``5.5`` or ``true``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("must be a whole number"))
    return value


def _field_keys(values: dict[str, str]) -> dict[str, str]:
    for key in values:
        if not 1 <= len(key) <= 254 or "\x00" in key:
            raise ValueError(_("%(key)r is not a field key: 1 to 254 characters, no NUL", key=key[:40]))
        _valid_unicode(key)
    return values


_Unicode = AfterValidator(_valid_unicode)
_Integer = BeforeValidator(_json_integer)

Id = Annotated[int, Field(ge=1, le=INT32_MAX), _Integer]
ErpKey = Annotated[str, Field(min_length=1, max_length=254, pattern=NO_NUL), _Unicode]
FieldKey = Annotated[str, Field(min_length=1, max_length=254, pattern=NO_NUL), _Unicode]
OptionalFieldKey = Annotated[str, Field(max_length=254, pattern=NO_NUL), _Unicode]
Operator = Annotated[str, Field(min_length=1, max_length=32, pattern=NO_NUL), _Unicode]
EncodedValue = Annotated[str, Field(max_length=4000, pattern=NO_NUL), _Unicode]
SearchText = Annotated[str, Field(max_length=200, pattern=NO_NUL), _Unicode]
Limit = Annotated[int, Field(ge=1, le=1000, description="The most hits to return."), _Integer]
#: The ERP actor types the sync engine works with (reference §1.2).
ErpActorTypeName = Literal["Customer", "Supplier", "Partner", "Person", "Project"]


class _Request(AgentModel):
    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, serialize_by_alias=True, extra="forbid"
    )


# --- replies ---------------------------------------------------------------------------------------


class ErpConnectionData(AgentModel):
    """One connection's section of a record's ERP tab."""

    erp_connection_id: int
    connection_name: str
    connected: bool
    erp_key: str = Field(description="The linked actor's ErpKey; empty when not connected.")
    erp_actor_type: str = Field(description="The linked actor's type; empty when not connected.")
    crm_actor_type: CrmActorType
    erp_actor_types: list[str] = Field(
        description='Every ERP type this CRM type syncs with ("Connect to" links).'
    )
    erp_fields: list[FieldMetadata] = Field(
        description="The Show-in-ERP-tab fields of the linked type, by rank."
    )
    can_connect: bool
    can_create_erp: bool = Field(alias="CanCreateERP")

    @classmethod
    def of(cls, section: erp_tab.ConnectionSection) -> ErpConnectionData:
        return cls(
            erp_connection_id=section.connection_id,
            connection_name=section.connection_name,
            connected=section.connected,
            erp_key=section.erp_key,
            erp_actor_type=section.erp_actor_type,
            crm_actor_type=section.crm_actor_type,
            erp_actor_types=section.erp_actor_types,
            erp_fields=section.erp_fields,
            can_connect=section.can_connect,
            can_create_erp=section.can_create_erp,
        )


class ErpSyncFieldValue(AgentModel):
    """One mapped field's value on one side (the conflict dialog's rows)."""

    display_name: str
    crm_field_key: str
    erp_field_key: str = Field(description="Empty for CRM fields asked about without a connection.")
    value: str = Field(description="Encoded as on the wire; a CRM list value is the CRM item id.")
    display_value: str
    sync_to_crm: bool
    sync_to_erp: bool

    @classmethod
    def of(cls, view: FieldValueView) -> ErpSyncFieldValue:
        return cls(
            display_name=view.display_name,
            crm_field_key=view.crm_field_key,
            erp_field_key=view.erp_field_key,
            value=view.value,
            display_value=view.display_value,
            sync_to_crm=view.sync_to_crm,
            sync_to_erp=view.sync_to_erp,
        )


class ConnectConflict(AgentModel):
    """A mapped field whose values differ, and which side may win."""

    display_name: str
    crm_field_key: str
    erp_field_key: str
    crm_value: str
    crm_display_value: str
    erp_value: str
    erp_display_value: str
    sync_to_crm: bool
    sync_to_erp: bool
    can_choose_crm: bool = Field(description="The CRM value may win (it can be written to the ERP).")
    can_choose_erp: bool = Field(description="The ERP value may win (it can be written to the CRM).")
    default_source: Literal["Crm", "Erp"] = Field(description="Who wins when no choice is sent.")

    @classmethod
    def of(cls, conflict: connect.ConnectConflict) -> ConnectConflict:
        return cls(
            display_name=conflict.view.display_name,
            crm_field_key=conflict.view.crm_field_key,
            erp_field_key=conflict.view.erp_field_key,
            crm_value=conflict.crm_value,
            crm_display_value=conflict.crm_display_value,
            erp_value=conflict.erp_value,
            erp_display_value=conflict.erp_display_value,
            sync_to_crm=conflict.view.sync_to_crm,
            sync_to_erp=conflict.view.sync_to_erp,
            can_choose_crm=conflict.can_choose_crm,
            can_choose_erp=conflict.can_choose_erp,
            default_source=conflict.default_source.value,
        )


class SearchableField(AgentModel):
    field_key: str
    display_name: str
    field_type: FieldType
    list_name: str
    operators: list[str]


class SearchHit(AgentModel):
    erp_key: str
    erp_actor_type: str
    parent_actor_type: str
    parent_erp_key: str
    values: list[str] = Field(description="Display values, one per column.")
    linked: bool = Field(description="Already linked to a CRM record in this connection.")
    crm_record_id: int | None = Field(description="The record it is linked to, if linked.")


class SearchReply(AgentModel):
    columns: list[FieldMetadata]
    actors: list[SearchHit]
    more: bool = Field(description="The connector found more actors than Limit.")

    @classmethod
    def of(cls, result: searching.SearchResult) -> SearchReply:
        return cls(
            columns=result.columns,
            actors=[
                SearchHit(
                    erp_key=hit.erp_key,
                    erp_actor_type=hit.erp_actor_type,
                    parent_actor_type=hit.parent_actor_type,
                    parent_erp_key=hit.parent_erp_key,
                    values=hit.values,
                    linked=hit.linked,
                    crm_record_id=hit.crm_record_id,
                )
                for hit in result.hits
            ],
            more=result.more,
        )


class ConnectActorReply(AgentModel):
    erp_connection_id: int
    crm_record_id: int
    crm_actor_type: CrmActorType
    erp_key: str
    erp_actor_type: str
    last_modified: str
    changed_in_crm: list[str] = Field(description="CRM field keys that took the ERP's value.")
    changed_in_erp: list[str] = Field(description="ERP field keys that took the CRM's value.")
    warnings: list[str] = Field(description="Fields left for the sync engine, and why.")


class CreateErpActorReply(AgentModel):
    created: bool
    erp_key: str
    erp_actor_type: str
    last_modified: str
    changed_in_crm: list[str] = Field(description="CRM field keys that took a value the ERP returned.")
    warnings: list[str] = Field(description="Mapped values left out, and why.")


# --- requests --------------------------------------------------------------------------------------


class RecordOfType(_Request):
    crm_actor_type: CrmActorType
    entity_id: Id


class ErpFieldValuesRequest(_Request):
    erp_connection_id: Id
    crm_actor_type: CrmActorType
    entity_id: Id
    field_keys: list[FieldKey] = Field(max_length=200)


class ActorTypeOfConnection(_Request):
    erp_connection_id: Id
    erp_actor_type: ErpActorTypeName


class SearchActorsRequest(ActorTypeOfConnection):
    search_text: SearchText = ""
    limit: Limit = 100


class SearchActorByParentRequest(_Request):
    erp_connection_id: Id
    erp_actor_type: ErpActorTypeName = "Person"
    search_text: SearchText = ""
    crm_record_id: Id = Field(description="The person whose company's actor is the parent.")
    crm_actor_type: CrmActorType = CrmActorType.Person
    limit: Limit = 100


class Restriction(_Request):
    field_key: FieldKey
    operator: Operator
    values: list[EncodedValue] = Field(default_factory=list, max_length=100)


class SearchActorsAdvancedRequest(ActorTypeOfConnection):
    restrictions: list[Restriction] = Field(max_length=50)
    limit: Limit = 100


class FieldValuesFromCrmRequest(_Request):
    crm_record_id: Id
    crm_actor_type: CrmActorType
    erp_connection_id: Id | None = None
    erp_actor_type: ErpActorTypeName | None = None


class FieldValuesFromErpRequest(ActorTypeOfConnection):
    erp_key: ErpKey


class ActorLinkRequest(_Request):
    erp_connection_id: Id
    crm_record_id: Id
    crm_actor_type: CrmActorType
    erp_key: ErpKey
    erp_actor_type: ErpActorTypeName


class FieldChoice(AgentModel):
    """Whose value a field takes. Other members (an ``ErpSyncFieldValue`` sent back) are ignored."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="ignore")

    crm_field_key: OptionalFieldKey = ""
    erp_field_key: OptionalFieldKey = ""
    source: Literal["Crm", "Erp"]


class ConnectActorRequest(ActorLinkRequest):
    field_values: list[FieldChoice] = Field(default_factory=list, max_length=500)


class BreakActorLinkRequest(_Request):
    erp_connection_id: Id
    crm_record_id: Id
    crm_actor_type: CrmActorType


class CreateErpActorRequest(_Request):
    erp_connection_id: Id
    crm_entity_id: Id
    erp_actor_type: ErpActorTypeName
    crm_actor_type: CrmActorType
    erp_field_key_values: Annotated[dict[str, EncodedValue], AfterValidator(_field_keys)] = Field(
        default_factory=dict,
        max_length=500,
        description="ERP field key → encoded value, for prompted fields.",
        # Stated here rather than as a key type: pydantic would turn a key pattern into
        # patternProperties, which lets keys that do not match through unchecked.
        json_schema_extra={"propertyNames": {"minLength": 1, "maxLength": 254, "pattern": NO_NUL}},
    )


# --- routes ----------------------------------------------------------------------------------------


def _method(name: str, response_model: Any, summary: str, *errors: int) -> Callable[[F], F]:
    return router.post(
        f"/{name}",
        response_model=response_model,
        responses=agent_error_responses(401, 422, *errors),
        summary=summary,
        operation_id=name,
    )


@_method(
    "GetConnectionsAndDisplayFields",
    list[ErpConnectionData],
    "ERP tab: one section per usable connection",
    404,
)
def get_connections_and_display_fields(body: RecordOfType, user: CurrentUser, session: DbSession) -> Any:
    sections = erp_tab.connections_and_display_fields(session, user.id, body.crm_actor_type, body.entity_id)
    return [ErpConnectionData.of(section) for section in sections]


@_method("GetErpFieldValues", list[str], "ERP tab: live display values, in the order asked", 404, 409, 502)
def get_erp_field_values(
    body: ErpFieldValuesRequest, user: CurrentUser, session: DbSession, hub: HubDep
) -> Any:
    return erp_tab.erp_field_values(
        hub, session, user.id, body.erp_connection_id, body.crm_actor_type, body.entity_id, body.field_keys
    )


@_method("SearchActors", SearchReply, "Connect dialog: simple search (blank lists all)", 403, 404, 502)
def search_actors(body: SearchActorsRequest, user: CurrentUser, session: DbSession, hub: HubDep) -> Any:
    result = searching.search_actors(
        hub, session, user.id, body.erp_connection_id, body.erp_actor_type, body.search_text, body.limit
    )
    return SearchReply.of(result)


@_method(
    "SearchActorByParent",
    SearchReply,
    "Connect dialog: persons under the company's actor",
    403,
    404,
    409,
    502,
)
def search_actor_by_parent(
    body: SearchActorByParentRequest, user: CurrentUser, session: DbSession, hub: HubDep
) -> Any:
    result = searching.search_actor_by_parent(
        hub,
        session,
        user.id,
        body.erp_connection_id,
        body.erp_actor_type,
        body.search_text,
        body.crm_actor_type,
        body.crm_record_id,
        body.limit,
    )
    return SearchReply.of(result)


@_method("SearchActorsAdvanced", SearchReply, "Find dialog: search with restrictions", 403, 404, 502)
def search_actors_advanced(
    body: SearchActorsAdvancedRequest, user: CurrentUser, session: DbSession, hub: HubDep
) -> Any:
    restrictions = [
        SearchRestriction(field_key=r.field_key, operator=r.operator, values=list(r.values))
        for r in body.restrictions
    ]
    result = searching.search_actors_advanced(
        hub, session, user.id, body.erp_connection_id, body.erp_actor_type, restrictions, body.limit
    )
    return SearchReply.of(result)


@_method(
    "GetSearchableFields", list[SearchableField], "Find dialog: searchable fields and operators", 403, 404
)
def get_searchable_fields(body: ActorTypeOfConnection, user: CurrentUser, session: DbSession) -> Any:
    found = searching.searchable_fields(session, user.id, body.erp_connection_id, body.erp_actor_type)
    return [
        SearchableField(
            field_key=f.field_key,
            display_name=f.display_name,
            field_type=f.field_type,
            list_name=f.list_name,
            operators=list(f.operators),
        )
        for f in found
    ]


@_method("SupportsAdvancedSearch", bool, "Does the actor type have searchable fields?", 403, 404)
def supports_advanced_search(body: ActorTypeOfConnection, user: CurrentUser, session: DbSession) -> Any:
    return searching.supports_advanced_search(session, user.id, body.erp_connection_id, body.erp_actor_type)


@_method("GetFieldValuesFromCrm", list[ErpSyncFieldValue], "Conflict dialog: the record's values", 404, 409)
def get_field_values_from_crm(body: FieldValuesFromCrmRequest, user: CurrentUser, session: DbSession) -> Any:
    views = connect.field_values_from_crm(
        session, user.id, body.crm_actor_type, body.crm_record_id, body.erp_connection_id, body.erp_actor_type
    )
    return [ErpSyncFieldValue.of(view) for view in views]


@_method(
    "GetFieldValuesFromErp",
    list[ErpSyncFieldValue],
    "Conflict dialog: the actor's values, live",
    403,
    404,
    502,
)
def get_field_values_from_erp(
    body: FieldValuesFromErpRequest, user: CurrentUser, session: DbSession, hub: HubDep
) -> Any:
    views = connect.field_values_from_erp(
        hub, session, user.id, body.erp_connection_id, body.erp_actor_type, body.erp_key
    )
    return [ErpSyncFieldValue.of(view) for view in views]


@_method(
    "GetConnectConflicts", list[ConnectConflict], "Conflict dialog: differing fields only", 403, 404, 409, 502
)
def get_connect_conflicts(body: ActorLinkRequest, user: CurrentUser, session: DbSession, hub: HubDep) -> Any:
    conflicts = connect.connect_conflicts(
        hub,
        session,
        user.id,
        body.erp_connection_id,
        body.crm_record_id,
        body.crm_actor_type,
        body.erp_key,
        body.erp_actor_type,
    )
    return [ConnectConflict.of(conflict) for conflict in conflicts]


def _connect(body: ConnectActorRequest, user_id: int, session: Session, hub: Hub) -> ConnectActorReply:
    choices = [
        connect.FieldChoice(Source(choice.source), choice.crm_field_key, choice.erp_field_key)
        for choice in body.field_values
    ]
    outcome = connect.connect_actor(
        hub,
        session,
        user_id,
        body.erp_connection_id,
        body.crm_record_id,
        body.crm_actor_type,
        body.erp_key,
        body.erp_actor_type,
        choices,
    )
    return ConnectActorReply(
        erp_connection_id=body.erp_connection_id,
        crm_record_id=body.crm_record_id,
        crm_actor_type=body.crm_actor_type,
        erp_key=outcome.link.erp_key,
        erp_actor_type=outcome.link.erp_actor_type,
        last_modified=outcome.link.last_modified,
        changed_in_crm=outcome.changed_in_crm,
        changed_in_erp=outcome.changed_in_erp,
        warnings=outcome.warnings,
    )


@_method(
    "ConnectActor", ConnectActorReply, "Link to an ERP actor, values chosen per field", 403, 404, 409, 502
)
def connect_actor(body: ConnectActorRequest, user: CurrentUser, session: DbSession, hub: HubDep) -> Any:
    return _connect(body, user.id, session, hub)


@_method("TryConnectActor", bool, "ConnectActor, false when refused or the connector failed", 403, 404)
def try_connect_actor(body: ConnectActorRequest, user: CurrentUser, session: DbSession, hub: HubDep) -> Any:
    try:
        _connect(body, user.id, session, hub)
    except (Refused, ConnectorFailed):
        return False
    return True


@_method("CreateActorLink", bool, "A bare link, without exchanging values", 403, 404, 409, 502)
def create_actor_link(body: ActorLinkRequest, user: CurrentUser, session: DbSession, hub: HubDep) -> Any:
    connect.create_actor_link(
        hub,
        session,
        user.id,
        body.erp_connection_id,
        body.crm_record_id,
        body.crm_actor_type,
        body.erp_key,
        body.erp_actor_type,
    )
    return True


@_method("BreakActorLink", bool, "Disconnect (a company's persons too); false when not linked", 403, 404)
def break_actor_link(body: BreakActorLinkRequest, user: CurrentUser, session: DbSession) -> Any:
    return connect.break_actor_link(
        session, user.id, body.erp_connection_id, body.crm_record_id, body.crm_actor_type
    )


@_method("SyncNow", PluginResponseReply, "Sync one record in every usable connection now", 404)
def sync_now(body: RecordOfType, user: CurrentUser, hub: HubDep, runner: RunnerDep) -> Any:
    """Sync now (the ERP tab): the record's links in every active connection the user may use are
    reconciled both ways at once; the call waits for the cycles."""
    entity = ENTITY_OF_ACTOR_TYPE[body.crm_actor_type]
    result = operations.sync_now(hub, runner, user.id, entity, body.entity_id)
    return PluginResponseReply(
        is_ok=result.is_ok, user_explanation=result.user_explanation, error_code=result.error_code
    )


@_method("GetFieldsForNewErpActor", list[FieldMetadata], "Create dialog: fields to fill in", 403, 404)
def get_fields_for_new_erp_actor(body: ActorTypeOfConnection, user: CurrentUser, session: DbSession) -> Any:
    return create.fields_for_new_erp_actor(session, user.id, body.erp_connection_id, body.erp_actor_type)


@_method(
    "CreateErpActorFromCrm",
    CreateErpActorReply,
    "Create the ERP actor of a record and link it",
    403,
    404,
    409,
    502,
)
def create_erp_actor_from_crm(
    body: CreateErpActorRequest, user: CurrentUser, session: DbSession, hub: HubDep
) -> Any:
    outcome = create.create_erp_actor_from_crm(
        hub,
        session,
        user.id,
        body.erp_connection_id,
        body.crm_entity_id,
        body.erp_actor_type,
        body.crm_actor_type,
        body.erp_field_key_values,
    )
    return CreateErpActorReply(
        created=True,
        erp_key=outcome.link.erp_key,
        erp_actor_type=outcome.link.erp_actor_type,
        last_modified=outcome.link.last_modified,
        changed_in_crm=outcome.changed_in_crm,
        warnings=outcome.warnings,
    )
