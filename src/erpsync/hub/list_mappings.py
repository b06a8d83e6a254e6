"""List mapping: which CRM list item each ERP list item stands for (reference §2.6).

Only ERP fields of type List mapped to a CRM list field have a list mapping. The mapping is
one-to-one: an ERP item maps to at most one CRM item, and a CRM item may be chosen for one ERP
item only; "(No Selection)" (no CRM item) leaves an ERP item unmapped. A save with a duplicate is
refused as a whole, naming the duplicates. ERP items come from the connector's ``GetList``, CRM
items from the CRM's lists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType, CrmField, find_field
from erpsync.crm.lists import ListItemRecord, list_items
from erpsync.crm.texts import _
from erpsync.protocol import FieldType, ListItem, call

from .errors import InvalidInput
from .lookups import (
    client_for_url,
    connection_row,
    connector_row,
    field_rows,
    mapping_rows,
    require_inactive,
    send,
)
from .models import ErpActorTypeMapping, ErpConnection, ErpField, ErpListItemMapping
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "ConnectionListMappings",
    "FieldListMapping",
    "ItemChoice",
    "ListItemPair",
    "MappedListField",
    "connection_list_mappings",
    "list_fields",
    "list_mapping_errors",
    "save_connection_list_mappings",
]


# -- the rule ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemChoice:
    """One ERP item and the CRM item chosen for it (``None`` = "(No Selection)")."""

    erp_item_key: str
    crm_item_id: int | None


def list_mapping_errors(
    choices: Sequence[ItemChoice],
    erp_items: Mapping[str, str],
    crm_items: Mapping[int, str],
) -> list[str]:
    """The problems of one field's list mapping: ERP items the ERP list does not have or that are
    listed twice, CRM items the CRM list does not offer, and CRM items chosen more than once."""
    problems: list[str] = []
    seen: set[str] = set()
    chosen: dict[int, list[str]] = {}
    for choice in choices:
        if choice.erp_item_key not in erp_items:
            problems.append(_("The ERP list has no item %(key)r.", key=choice.erp_item_key))
        elif choice.erp_item_key in seen:
            problems.append(_("The ERP item %(key)r is listed twice.", key=choice.erp_item_key))
        seen.add(choice.erp_item_key)
        if choice.crm_item_id is None:
            continue
        if choice.crm_item_id not in crm_items:
            problems.append(_("The CRM list has no item with id %(id)s to choose.", id=choice.crm_item_id))
            continue
        chosen.setdefault(choice.crm_item_id, []).append(choice.erp_item_key)
    for crm_item_id, erp_keys in chosen.items():
        if len(erp_keys) > 1:
            problems.append(
                _(
                    "The CRM item %(item)r is chosen for several ERP items (%(keys)s); "
                    "each CRM item may be chosen once.",
                    item=crm_items[crm_item_id],
                    keys=", ".join(erp_keys),
                )
            )
    return problems


# -- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListItemPair:
    erp_item_key: str
    erp_item_name: str
    crm_item_id: int | None
    crm_item_name: str


@dataclass(frozen=True, slots=True)
class FieldListMapping:
    erp_field_id: int
    erp_field_key: str
    erp_field_name: str
    erp_actor_type: str
    erp_list_name: str
    crm_list_name: str
    crm_items: tuple[ListItemRecord, ...]
    pairs: tuple[ListItemPair, ...]

    @property
    def complete(self) -> bool:
        """Every ERP item has a CRM item."""
        return all(pair.crm_item_id is not None for pair in self.pairs)


@dataclass(frozen=True, slots=True)
class ConnectionListMappings:
    connection_id: int
    connection_name: str
    lists: tuple[FieldListMapping, ...]


@dataclass(frozen=True, slots=True)
class MappedListField:
    """An ERP List field with its actor type mapping and the CRM list field it is mapped to."""

    row: ErpField
    mapping: ErpActorTypeMapping
    crm_field: CrmField


def list_fields(session: Session, connection_id: int) -> list[MappedListField]:
    """The connection's ERP List fields mapped to a CRM list field (still offered by the connector)."""
    found: list[MappedListField] = []
    for mapping in mapping_rows(session, connection_id):
        entity = ENTITY_OF_ACTOR_TYPE[CrmActorType(mapping.crm_actor_type)]
        for row in field_rows(session, mapping.id):
            crm_field = find_field(entity, row.crm_field_key) if row.crm_field_key else None
            if (
                row.field_type == FieldType.List.value
                and not row.missing_in_erp
                and crm_field is not None
                and crm_field.list_name is not None
            ):
                found.append(MappedListField(row, mapping, crm_field))
    return found


def _stored_pairs(session: Session, field_ids: Collection[int]) -> dict[int, dict[str, int]]:
    if not field_ids:
        return {}
    rows = session.scalars(select(ErpListItemMapping).where(ErpListItemMapping.erp_field_id.in_(field_ids)))
    stored: dict[int, dict[str, int]] = {}
    for row in rows:
        stored.setdefault(row.erp_field_id, {})[row.erp_item_key] = row.crm_item_id
    return stored


def fetch_erp_lists(hub: Hub, url: str, guid: str, list_names: Collection[str]) -> dict[str, list[ListItem]]:
    """``GetList`` once per list name."""
    client = client_for_url(hub, url)
    return {
        name: send(
            client, _("Reading the ERP list %(list)r", list=name), call.get_list(guid, name)
        ).list_items
        for name in sorted(set(list_names))
    }


def _compose(
    connection: ErpConnection,
    fields: Sequence[MappedListField],
    crm_lists: Mapping[str, list[ListItemRecord]],
    erp_lists: Mapping[str, list[ListItem]],
    stored: Mapping[int, Mapping[str, int]],
) -> ConnectionListMappings:
    entries: list[FieldListMapping] = []
    for each in fields:
        crm_items = crm_lists[each.crm_field.list_name or ""]
        names = {item.id: item.name for item in crm_items}
        mapped = stored.get(each.row.id, {})
        pairs = tuple(
            ListItemPair(
                item.key,
                item.display_value,
                mapped.get(item.key),
                names.get(mapped[item.key], "") if item.key in mapped else "",
            )
            for item in erp_lists[each.row.list_name]
        )
        entries.append(
            FieldListMapping(
                erp_field_id=each.row.id,
                erp_field_key=each.row.erp_field_key,
                erp_field_name=each.row.display_name,
                erp_actor_type=each.mapping.erp_actor_type,
                erp_list_name=each.row.list_name,
                crm_list_name=each.crm_field.list_name or "",
                crm_items=tuple(item for item in crm_items if not item.deleted),
                pairs=pairs,
            )
        )
    return ConnectionListMappings(connection.id, connection.display_name, tuple(entries))


def _crm_lists(session: Session, fields: Sequence[MappedListField]) -> dict[str, list[ListItemRecord]]:
    names = {each.crm_field.list_name for each in fields if each.crm_field.list_name is not None}
    return {name.value: list_items(session, name, include_deleted=True) for name in names}


def connection_list_mappings(hub: Hub, connection_id: int) -> ConnectionListMappings:
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        url = connector_row(session, connection.connector_id, include_deleted=True).url
        fields = list_fields(session, connection_id)
        crm_lists = _crm_lists(session, fields)
        stored = _stored_pairs(session, [each.row.id for each in fields])
    erp_lists = fetch_erp_lists(hub, url, connection.guid, [each.row.list_name for each in fields])
    return _compose(connection, fields, crm_lists, erp_lists, stored)


# -- saving -----------------------------------------------------------------------------------------


def _field_name(each: MappedListField) -> str:
    return f"{each.mapping.erp_actor_type}.{each.row.erp_field_key}"


def save_connection_list_mappings(
    hub: Hub, connection_id: int, sent: Sequence[tuple[int, Sequence[ItemChoice]]]
) -> ConnectionListMappings:
    """Replace the list mappings of the fields sent (ERP field id, choices); other fields keep theirs."""
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        require_inactive(connection, _("change its list mappings"))
        url = connector_row(session, connection.connector_id, include_deleted=True).url
        fields = {each.row.id: each for each in list_fields(session, connection_id)}
    mappings: dict[int, Sequence[ItemChoice]] = {}
    errors: dict[str, str] = {}
    wrong = _("is not a List field of this connection mapped to a CRM list field")
    for field_id, choices in sent:
        if field_id not in fields:
            errors[f"ErpFieldId {field_id}"] = wrong
        elif field_id in mappings:
            errors[_field_name(fields[field_id])] = _("is sent twice")
        mappings[field_id] = choices
    if errors:
        raise InvalidInput(_("The list mapping cannot be saved."), errors)
    chosen = [fields[field_id] for field_id in mappings]
    erp_lists = fetch_erp_lists(hub, url, connection.guid, [each.row.list_name for each in chosen])
    with writing(hub) as session:
        connection = connection_row(session, connection_id)
        require_inactive(connection, _("change its list mappings"))
        _check_choices(session, chosen, mappings, erp_lists)
        for each in chosen:
            session.execute(delete(ErpListItemMapping).where(ErpListItemMapping.erp_field_id == each.row.id))
            session.flush()
            session.add_all(
                ErpListItemMapping(
                    erp_field_id=each.row.id, erp_item_key=c.erp_item_key, crm_item_id=c.crm_item_id
                )
                for c in mappings[each.row.id]
                if c.crm_item_id is not None
            )
        session.flush()
        every = list_fields(session, connection_id)
        crm_lists = _crm_lists(session, every)
        stored = _stored_pairs(session, [each.row.id for each in every])
    missing = {each.row.list_name for each in every} - set(erp_lists)
    if missing:
        erp_lists = {**erp_lists, **fetch_erp_lists(hub, url, connection.guid, missing)}
    return _compose(connection, every, crm_lists, erp_lists, stored)


def _check_choices(
    session: Session,
    chosen: Sequence[MappedListField],
    mappings: Mapping[int, Sequence[ItemChoice]],
    erp_lists: Mapping[str, list[ListItem]],
) -> None:
    """Refuse the save when any field's choices break a rule. A deleted CRM item can no longer be
    chosen, unless it is mapped already."""
    crm_lists = _crm_lists(session, chosen)
    stored = _stored_pairs(session, mappings.keys())
    errors: dict[str, str] = {}
    for each in chosen:
        kept = set(stored.get(each.row.id, {}).values())
        choosable = {
            item.id: item.name
            for item in crm_lists[each.crm_field.list_name or ""]
            if not item.deleted or item.id in kept
        }
        erp_items = {item.key: item.display_value for item in erp_lists[each.row.list_name]}
        problems = list_mapping_errors(mappings[each.row.id], erp_items, choosable)
        if problems:
            errors[_field_name(each)] = " ".join(problems)
    if errors:
        raise InvalidInput(_("The list mapping cannot be saved."), errors)
