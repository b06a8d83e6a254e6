"""The connect dialog's searches: simple, by parent (persons of the linked company), advanced.

Result columns are the actor type's name fields followed by its Show-in-search fields in rank order,
with values as display text (one ``GetListItems`` per list for the whole page); every hit says
whether it is already linked in the connection, and to which record. The searchable fields and
their operators come from the discovery cache, so advanced restrictions are refused (422) before
the connector is called when a field is not searchable, an operator does not fit the field's type,
or a value is not encoded for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from erpsync.crm.catalogue import CrmActorType
from erpsync.crm.texts import _
from erpsync.protocol import (
    ActorArrayResponse,
    ActorType,
    Call,
    FieldMetadata,
    FieldType,
    SearchRestriction,
    call,
)
from erpsync.protocol.codec import ValueError_, decode

from .conversion import unreadable
from .erp_tab import Permission, crm_record, usable_connection, usable_mapping
from .errors import InvalidInput, Refused
from .field_values import erp_display, erp_field_type, erp_fields_of, field_metadata, list_display_texts
from .links import links_of_actors, require_parent_link
from .lookups import connection_row
from .models import ErpConnection, ErpField
from .service import Hub, connector_call

__all__ = [
    "OPERATORS",
    "PARENT_ACTOR_TYPE",
    "PARENT_ERP_KEY",
    "SearchHit",
    "SearchResult",
    "SearchableField",
    "check_restrictions",
    "result_columns",
    "search_actor_by_parent",
    "search_actors",
    "search_actors_advanced",
    "search_for_import",
    "searchable_fields",
    "supports_advanced_search",
]

PARENT_ERP_KEY = "ParentErpKey"
PARENT_ACTOR_TYPE = "ParentActorType"

_TEXT = ("=", "begins", "contains", "ends", "notbegins", "notcontains", "notends", "isnot", "between")
_NUMBER = ("=", ">", "<", ">=", "<=", "!=", "between")

#: The operators of each field type (reference §4.5); Password and Label fields are not searchable.
OPERATORS: Mapping[FieldType, tuple[str, ...]] = {
    FieldType.Text: _TEXT,
    FieldType.Integer: _NUMBER,
    FieldType.Double: _NUMBER,
    FieldType.Checkbox: ("=",),
    FieldType.List: ("oneof", "notoneof"),
    FieldType.Datetime: ("=", "before", "after", "beforeOrEqual", "afterOrEqual", "between"),
}
#: Lower-cased spelling → canonical operator; "in" is the reference's other name for "oneof".
_CANONICAL = {op.casefold(): op for ops in OPERATORS.values() for op in ops} | {"in": "oneof"}
_SPECIAL_OPERATORS = ("=", "isnot")
#: Field keys (and CRM fields) that name an actor: always a result column, first.
_NAME_KEYS = frozenset({"NAME", "FIRSTNAME", "LASTNAME"})
_NAME_CRM_FIELDS = frozenset({"name", "first_name", "last_name"})


@dataclass(frozen=True, slots=True)
class SearchableField:
    field_key: str
    display_name: str
    field_type: FieldType
    list_name: str
    operators: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    erp_key: str
    erp_actor_type: str
    parent_actor_type: str
    parent_erp_key: str
    values: list[str]
    linked: bool
    crm_record_id: int | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    columns: list[FieldMetadata]
    hits: list[SearchHit]
    more: bool


# --- rules ----------------------------------------------------------------------------------------


def result_columns(rows: Sequence[ErpField]) -> list[ErpField]:
    """Name fields first, then Show-in-search fields, each in rank order; never Password fields."""
    usable = [row for row in rows if erp_field_type(row) not in (None, FieldType.Password)]
    names = [
        row
        for row in usable
        if not row.show_in_search
        and (row.erp_field_key.upper() in _NAME_KEYS or (row.crm_field_key or "") in _NAME_CRM_FIELDS)
    ]
    return names + [row for row in usable if row.show_in_search]


def _searchable(rows: Sequence[ErpField]) -> list[ErpField]:
    return [row for row in rows if row.searchable and erp_field_type(row) in OPERATORS]


def check_restrictions(
    rows: Sequence[ErpField], restrictions: Sequence[SearchRestriction]
) -> list[SearchRestriction]:
    """The restrictions with canonical operators, or :class:`InvalidInput` naming each bad one."""
    searchable = {row.erp_field_key: row for row in _searchable(rows)}
    errors: dict[str, str] = {}
    checked: list[SearchRestriction] = []
    for index, restriction in enumerate(restrictions):
        label = f"Restrictions.{index}"
        operator = _CANONICAL.get(restriction.operator.casefold(), restriction.operator)
        if restriction.field_key in (PARENT_ERP_KEY, PARENT_ACTOR_TYPE):
            problem = _check_special(restriction.field_key, operator, restriction.values)
        elif restriction.field_key not in searchable:
            problem = _("%(key)r is not a searchable field", key=restriction.field_key)
        else:
            problem = _check_values(searchable[restriction.field_key], operator, restriction.values)
        if problem:
            errors[label] = problem
        checked.append(restriction.model_copy(update={"operator": operator}))
    if errors:
        raise InvalidInput(_("Some search restrictions cannot be used."), errors)
    return checked


def _count_problem(operator: str, values: Sequence[str]) -> str:
    if operator == "between":
        return "" if len(values) == 2 else _("between takes two values")
    if operator in ("oneof", "notoneof"):
        return "" if values else _("%(operator)s takes one or more values", operator=operator)
    return "" if len(values) == 1 else _("%(operator)s takes one value", operator=operator)


def _check_special(key: str, operator: str, values: Sequence[str]) -> str:
    if operator not in _SPECIAL_OPERATORS:
        return _(
            "%(key)s takes the operators %(operators)s", key=key, operators=", ".join(_SPECIAL_OPERATORS)
        )
    problem = _count_problem(operator, values)
    if not problem and key == PARENT_ACTOR_TYPE and values[0] not in ActorType.__members__:
        problem = _("%(value)r is not an actor type", value=values[0])
    return problem


def _check_values(row: ErpField, operator: str, values: Sequence[str]) -> str:
    field_type = erp_field_type(row) or FieldType.Text
    allowed = OPERATORS[field_type]
    if operator not in allowed:
        return _(
            "a %(type)s field takes the operators %(operators)s",
            type=field_type.value,
            operators=", ".join(allowed),
        )
    problem = _count_problem(operator, values)
    if problem:
        return problem
    for value in values:
        if value == "" and operator not in ("=", "!=") and field_type not in (FieldType.Text, FieldType.List):
            return _("%(operator)s needs a value", operator=operator)
        try:
            decode(value, field_type)
        except ValueError_:
            return unreadable(value, field_type)
    return ""


# --- the searches ---------------------------------------------------------------------------------


def searchable_fields(
    session: Session, user_id: int, connection_id: int, erp_actor_type: str
) -> list[SearchableField]:
    """The fields the advanced search (Find dialog) offers, with their operators."""
    connection = usable_connection(session, connection_id, user_id, Permission.search).connection
    mapping = usable_mapping(session, connection, erp_actor_type)
    return [
        SearchableField(
            field_key=row.erp_field_key,
            display_name=row.display_name,
            field_type=erp_field_type(row) or FieldType.Text,
            list_name=row.list_name,
            operators=OPERATORS[erp_field_type(row) or FieldType.Text],
        )
        for row in _searchable(erp_fields_of(session, mapping.id))
    ]


def supports_advanced_search(session: Session, user_id: int, connection_id: int, erp_actor_type: str) -> bool:
    return bool(searchable_fields(session, user_id, connection_id, erp_actor_type))


def _run(
    hub: Hub,
    session: Session,
    connection: ErpConnection,
    columns: list[ErpField],
    erp_actor_type: str,
    what: str,
    search: Call[ActorArrayResponse],
    limit: int,
) -> SearchResult:
    client = hub.client_for(session, connection)
    reply = connector_call(what, lambda: client.send(search))
    actors = reply.actors[:limit]
    wanted: dict[str, list[str]] = {}
    for row in columns:
        if erp_field_type(row) is FieldType.List:
            wanted.setdefault(row.list_name, []).extend(
                a.field_values.get(row.erp_field_key, "") for a in actors
            )
    texts = list_display_texts(hub, session, connection, wanted)
    linked = links_of_actors(session, connection.id, erp_actor_type, [a.erp_key for a in actors])
    hits = [
        SearchHit(
            erp_key=actor.erp_key,
            erp_actor_type=actor.actor_type or erp_actor_type,
            parent_actor_type=actor.parent_actor_type,
            parent_erp_key=actor.parent_erp_key,
            values=[
                erp_display(
                    actor.field_values.get(row.erp_field_key, ""),
                    erp_field_type(row) or FieldType.Text,
                    texts.get(row.list_name),
                )
                for row in columns
            ],
            linked=actor.erp_key in linked,
            crm_record_id=linked[actor.erp_key].crm_record_id if actor.erp_key in linked else None,
        )
        for actor in actors
    ]
    return SearchResult([field_metadata(row) for row in columns], hits, more=len(reply.actors) > limit)


def search_actors(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    erp_actor_type: str,
    search_text: str,
    limit: int,
) -> SearchResult:
    """Simple search; the connector decides how text matches, blank text lists every actor."""
    connection = usable_connection(session, connection_id, user_id, Permission.search).connection
    mapping = usable_mapping(session, connection, erp_actor_type)
    columns = result_columns(erp_fields_of(session, mapping.id))
    keys = [row.erp_field_key for row in columns]
    request = call.search_actors(connection.guid, erp_actor_type, search_text, keys)
    return _run(hub, session, connection, columns, erp_actor_type, "SearchActors", request, limit)


def search_actor_by_parent(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    erp_actor_type: str,
    search_text: str,
    crm_actor_type: CrmActorType,
    crm_record_id: int,
    limit: int,
) -> SearchResult:
    """Search among the children of the actor the record's company is linked to (persons of a
    customer); :class:`Refused` when the company is not linked in the connection."""
    connection = usable_connection(session, connection_id, user_id, Permission.search).connection
    mapping = usable_mapping(session, connection, erp_actor_type, crm_actor_type)
    if crm_actor_type is not CrmActorType.Person:
        raise Refused(
            _("Only persons are searched under a parent, not %(type)s records.", type=crm_actor_type.value)
        )
    person = crm_record(session, crm_actor_type, crm_record_id)
    parent = require_parent_link(session, connection, person)
    columns = result_columns(erp_fields_of(session, mapping.id))
    keys = [row.erp_field_key for row in columns]
    request = call.search_actor_by_parent(
        connection.guid, erp_actor_type, search_text, parent.erp_actor_type, parent.erp_key, keys
    )
    return _run(hub, session, connection, columns, erp_actor_type, "SearchActorByParent", request, limit)


def search_actors_advanced(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    erp_actor_type: str,
    restrictions: Sequence[SearchRestriction],
    limit: int,
) -> SearchResult:
    """Criteria search (AND of the restrictions), checked against the cache before it is sent."""
    connection = usable_connection(session, connection_id, user_id, Permission.search).connection
    return _advanced(hub, session, connection, erp_actor_type, restrictions, limit)


def search_for_import(
    hub: Hub,
    session: Session,
    connection_id: int,
    erp_actor_type: str,
    restrictions: Sequence[SearchRestriction],
    limit: int,
) -> SearchResult:
    """The administrator's criteria search of Import from ERP: any connection with the actor type
    mapped, whoever its scope names (the import itself is an administrator's operation)."""
    connection = connection_row(session, connection_id)
    return _advanced(hub, session, connection, erp_actor_type, restrictions, limit)


def _advanced(
    hub: Hub,
    session: Session,
    connection: ErpConnection,
    erp_actor_type: str,
    restrictions: Sequence[SearchRestriction],
    limit: int,
) -> SearchResult:
    mapping = usable_mapping(session, connection, erp_actor_type)
    rows = erp_fields_of(session, mapping.id)
    checked = check_restrictions(rows, restrictions)
    columns = result_columns(rows)
    keys = [row.erp_field_key for row in columns]
    request = call.search_actors_advanced(connection.guid, erp_actor_type, checked, keys)
    return _run(hub, session, connection, columns, erp_actor_type, "SearchActorsAdvanced", request, limit)
