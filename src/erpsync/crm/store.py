"""``crm.store``: the one way in and out of CRM records.

Every function works in a session the caller provides and never commits: the caller owns the
transaction, because the sync engine commits CRM writes together with its watermarks. Every write
is checked against the field catalogue first and writes its change journal rows in the same
transaction. A refused write changes nothing and raises ``CrmValidationError`` (a value of the wrong
kind, too long, an unknown or read-only field), or its subclass ``CrmConflict`` when well-formed
values do not fit the data (a list item not in the field's list or deleted, a missing company).

Values are plain Python: ``str``, ``int``, ``float``, ``bool``, UTC-aware ``datetime``, the id of a
list item for list fields, or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, or_, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import InstrumentedAttribute, Session

from .bulk import insert_rows_returning_ids, update_rows
from .catalogue import CrmEntity, CrmField, FieldKind, fields_by_key, fields_of, find_field, searchable_fields
from .db import id_in, utcnow
from .errors import CrmConflict, CrmValidationError, RecordNotFound
from .journal import (
    SYSTEM_ORIGIN,
    Change,
    JournalEntry,
    JournalOperation,
    check_origin,
    connection_origin,
    journal_after,
    last_journal_seq,
    user_origin,
    write_journal,
)
from .lists import (
    ListItemRecord,
    add_list_item,
    delete_list_item,
    get_list_item,
    list_items,
    list_items_by_id,
    rename_list_item,
    set_list_item_rank,
)
from .models import Company, Person, Project
from .texts import _, noun
from .values import FieldValue, ValueProblem, coerce, is_record_id

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_SEARCH_LENGTH",
    "SYSTEM_ORIGIN",
    "FieldValue",
    "JournalEntry",
    "JournalOperation",
    "ListItemRecord",
    "Page",
    "Record",
    "add_list_item",
    "connection_origin",
    "create",
    "create_many",
    "delete",
    "delete_list_item",
    "get",
    "get_list_item",
    "get_many",
    "journal_after",
    "last_journal_seq",
    "list_items",
    "rename_list_item",
    "search",
    "set_list_item_rank",
    "update",
    "update_many",
    "user_origin",
]

MAX_PAGE_SIZE = 10_000
MAX_SEARCH_LENGTH = 200
_CHUNK = 10_000  # ids per IN (...): well under SQLite's limit on bound parameters

CrmRow = Company | Person | Project

_MODELS: dict[CrmEntity, type[CrmRow]] = {
    CrmEntity.company: Company,
    CrmEntity.person: Person,
    CrmEntity.project: Project,
}


@dataclass(frozen=True, slots=True)
class Record:
    """One CRM record: its id and every catalogue field's value, by field key."""

    entity: CrmEntity
    id: int
    values: Mapping[str, FieldValue]

    def __getitem__(self, key: str) -> FieldValue:
        return self.values[key]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Record]
    total: int


# --- writes ----------------------------------------------------------------------------------------


def create(session: Session, entity: CrmEntity | str, values: Mapping[str, Any], origin: str) -> int:
    """Insert one record and its journal row; return its id."""
    kind = _entity(entity)
    check_origin(origin)
    clean = _checked_or_raise(session, kind, [values], label=lambda _: "")[0]
    return _insert(session, kind, [clean], origin)[0]


def create_many(
    session: Session, entity: CrmEntity | str, rows: Iterable[Mapping[str, Any]], origin: str
) -> list[int]:
    """Insert many records in bulk (one INSERT … RETURNING per batch, journal rows likewise); return
    their ids in the order of ``rows``. One bad row refuses them all; its errors are keyed
    ``"<index>.<field>"``."""
    kind = _entity(entity)
    check_origin(origin)
    cleaned = _checked_or_raise(session, kind, list(rows), label=lambda index: f"{index}.")
    return _insert(session, kind, cleaned, origin)


def update(
    session: Session, entity: CrmEntity | str, record_id: int, values: Mapping[str, Any], origin: str
) -> list[str]:
    """Change some fields of one record; return the keys whose value really changed.

    A value equal to the stored one is no change, and a call that changes nothing writes no journal
    row. Raises ``RecordNotFound`` for a missing record.
    """
    return _update(session, _entity(entity), {record_id: values}, origin, label=lambda _: "")[record_id]


def update_many(
    session: Session,
    entity: CrmEntity | str,
    changes: Mapping[int, Mapping[str, Any]],
    origin: str,
    current: Mapping[int, Record] | None = None,
) -> dict[int, list[str]]:
    """``update`` for many records at once; errors are keyed ``"<record id>.<field>"``.

    ``current`` may give the records as the caller read them *in this transaction* (so they cannot
    have changed since), to save reading them again; records missing from it are read.
    """
    return _update(
        session, _entity(entity), changes, origin, label=lambda record_id: f"{record_id}.", current=current
    )


def delete(session: Session, entity: CrmEntity | str, record_id: int, origin: str) -> None:
    """Delete a record and journal it; deleting a company deletes its persons too (each journaled)."""
    kind = _entity(entity)
    check_origin(origin)
    model = _MODELS[kind]
    if not is_record_id(record_id) or session.scalar(select(model.id).where(model.id == record_id)) is None:
        raise RecordNotFound(kind.value, record_id)
    if kind is CrmEntity.company:
        person_ids = list(session.scalars(select(Person.id).where(Person.company_id == record_id)))
        if person_ids:
            session.execute(sql_delete(Person).where(Person.company_id == record_id))
            write_journal(
                session,
                CrmEntity.person,
                JournalOperation.delete,
                [Change(each, ()) for each in person_ids],
                origin,
            )
    session.execute(sql_delete(model).where(model.id == record_id))
    write_journal(session, kind, JournalOperation.delete, [Change(record_id, ())], origin)


# --- reads -----------------------------------------------------------------------------------------


def get(session: Session, entity: CrmEntity | str, record_id: int) -> Record | None:
    kind = _entity(entity)
    if not is_record_id(record_id):
        return None
    row = session.get(_MODELS[kind], record_id)
    return None if row is None else _record(kind, cast(CrmRow, row))


def get_many(session: Session, entity: CrmEntity | str, record_ids: Collection[int]) -> dict[int, Record]:
    """The records with these ids that exist, by id (read as plain rows: no ORM objects, so that the
    sync engine can read thousands at a time)."""
    kind = _entity(entity)
    keys = [f.key for f in fields_of(kind)]
    return {
        record_id: Record(kind, record_id, dict(zip(keys, values, strict=True)))
        for record_id, values in _load_values(session, kind, record_ids).items()
    }


def search(
    session: Session,
    entity: CrmEntity | str,
    text: str = "",
    filters: Mapping[str, Any] | None = None,
    offset: int = 0,
    limit: int = 50,
    order_by: str = "id",
) -> Page:
    """One page of records and the total count.

    ``text`` matches case-insensitively anywhere in the entity's searchable fields; with several
    words, every word must match some field. ``filters`` are field key → value equalities (``None``
    matches no value). ``order_by`` is ``"id"`` or a field key, ``"-"`` first for descending; ties
    are ordered by id so pages never overlap.
    """
    kind = _entity(entity)
    model = _MODELS[kind]
    errors: dict[str, str] = {}
    conditions = [*_text_conditions(kind, text, errors), *_filter_conditions(kind, filters or {}, errors)]
    order = _ordering(kind, order_by, errors)
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset < 2**62:
        errors["offset"] = _("must be a whole number of 0 or more")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE_SIZE:
        errors["limit"] = _("must be between 1 and %(max)s", max=MAX_PAGE_SIZE)
    if errors:
        raise CrmValidationError(errors)
    query = select(model).where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(*order).offset(offset).limit(limit))
    return Page(items=[_record(kind, cast(CrmRow, row)) for row in rows], total=total)


# --- checking --------------------------------------------------------------------------------------


def _entity(entity: CrmEntity | str) -> CrmEntity:
    try:
        return CrmEntity(entity)
    except ValueError:
        raise CrmValidationError({"entity": _("there is no CRM entity %(entity)r", entity=entity)}) from None


def _check_values(
    kind: CrmEntity, values: Mapping[str, Any], creating: bool, errors: dict[str, str], label: str
) -> dict[str, FieldValue]:
    """The values converted for storage; problems are added to ``errors``."""
    clean: dict[str, FieldValue] = {}
    by_key = fields_by_key(kind)
    if not isinstance(values, Mapping):
        errors[label.rstrip(".") or "values"] = _("must be a mapping of field keys to values")
        return clean
    for key, value in values.items():
        crm_field = by_key.get(key) if isinstance(key, str) else None
        if crm_field is None:
            errors[f"{label}{key}"] = _("is not a field of a %(kind)s", kind=noun(kind.value))
        elif crm_field.read_only:
            errors[f"{label}{key}"] = _("is read-only")
        else:
            try:
                clean[key] = coerce(crm_field, value)
            except ValueProblem as problem:
                errors[f"{label}{key}"] = problem.args[0]
    if creating:
        for crm_field in fields_of(kind):
            if crm_field.required and crm_field.key not in values:
                errors[f"{label}{crm_field.key}"] = _("is required")
    return clean


def _check_links(
    session: Session,
    kind: CrmEntity,
    rows: Sequence[tuple[str, Mapping[str, FieldValue]]],
    errors: dict[str, str],
) -> None:
    """List values must be live items of the field's list; references must be existing records.

    ``rows`` pairs each row's error label with the values to check (for updates: only the changed
    ones, so that a record keeps an item deleted after it was chosen)."""
    list_fields = [each for each in fields_of(kind) if each.kind is FieldKind.list]
    reference_fields = [each for each in fields_of(kind) if each.references is not None]
    item_ids = {cast(int, row[f.key]) for _, row in rows for f in list_fields if row.get(f.key) is not None}
    items = list_items_by_id(session, item_ids) if item_ids else {}
    existing: dict[CrmEntity, set[int]] = {}
    for f in reference_fields:
        assert f.references is not None
        wanted = {row[f.key] for _, row in rows if row.get(f.key) is not None}
        existing[f.references] = set(_load_ids(session, f.references, wanted))
    for label, row in rows:
        for f in list_fields:
            value = row.get(f.key)
            if value is None:
                continue
            item = items.get(cast(int, value))
            if item is None or item.list_name != f.list_name:
                errors[f"{label}{f.key}"] = _(
                    "%(value)s is not an item of the %(list)s list", value=value, list=f.list_name
                )
            elif item.deleted:
                errors[f"{label}{f.key}"] = _(
                    "%(item)r is a deleted item of the %(list)s list", item=item.name, list=f.list_name
                )
        for f in reference_fields:
            value = row.get(f.key)
            if value is not None and f.references is not None and value not in existing[f.references]:
                errors[f"{label}{f.key}"] = _(
                    "there is no %(kind)s with id %(id)s", kind=noun(f.references.value), id=value
                )


def _checked_or_raise(
    session: Session, kind: CrmEntity, rows: Sequence[Mapping[str, Any]], label: Callable[[int], str]
) -> list[dict[str, FieldValue]]:
    errors: dict[str, str] = {}
    cleaned = [_check_values(kind, values, True, errors, label(index)) for index, values in enumerate(rows)]
    if errors:
        raise CrmValidationError(errors)
    _check_links(session, kind, [(label(index), clean) for index, clean in enumerate(cleaned)], errors)
    if errors:
        raise CrmConflict(errors)
    return cleaned


# --- helpers ---------------------------------------------------------------------------------------


def _insert(
    session: Session, kind: CrmEntity, cleaned: Sequence[Mapping[str, FieldValue]], origin: str
) -> list[int]:
    if not cleaned:
        return []
    table = cast(Table, _MODELS[kind].__table__)
    now = utcnow()
    # Every row carries the same columns, so that the whole batch is one executemany: those any row
    # sets, and the checkboxes (False, not NULL). A column no row sets stays NULL, as ``None`` would.
    given = {key for clean in cleaned for key in clean}
    blank: dict[str, Any] = {
        f.attribute: False if f.kind is FieldKind.checkbox else None
        for f in fields_of(kind)
        if not f.read_only and (f.key in given or f.kind is FieldKind.checkbox)
    }
    blank.update(created_at=now, updated_at=now)
    attributes = {f.key: f.attribute for f in fields_of(kind)}
    params = []
    for clean in cleaned:
        row = blank.copy()
        for key, value in clean.items():
            row[attributes[key]] = value
        params.append(row)
    ids = insert_rows_returning_ids(session, table, params)
    changes = [
        Change(record_id, [key for key, value in clean.items() if value is not None])
        for record_id, clean in zip(ids, cleaned, strict=True)
    ]
    write_journal(session, kind, JournalOperation.insert, changes, origin)
    return ids


def _update(
    session: Session,
    kind: CrmEntity,
    changes: Mapping[int, Mapping[str, Any]],
    origin: str,
    label: Callable[[int], str],
    current: Mapping[int, Record] | None = None,
) -> dict[int, list[str]]:
    check_origin(origin)
    keys = [f.key for f in fields_of(kind)]
    known = {
        record_id: tuple(record.values.get(key) for key in keys)
        for record_id, record in (current or {}).items()
        if record_id in changes
    }
    current_values = {**_load_values(session, kind, [each for each in changes if each not in known]), **known}
    missing = [record_id for record_id in changes if record_id not in current_values]
    if missing:
        raise RecordNotFound(kind.value, missing[0])
    position = {f.key: index for index, f in enumerate(fields_of(kind))}
    errors: dict[str, str] = {}
    changed: dict[int, dict[str, FieldValue]] = {}
    for record_id, values in changes.items():
        clean = _check_values(kind, values, False, errors, label(record_id))
        stored = current_values[record_id]
        changed[record_id] = {key: value for key, value in clean.items() if stored[position[key]] != value}
    if errors:
        raise CrmValidationError(errors)
    _check_links(session, kind, [(label(record_id), values) for record_id, values in changed.items()], errors)
    if errors:
        raise CrmConflict(errors)
    _write_changes(session, kind, {record_id: values for record_id, values in changed.items() if values})
    write_journal(
        session,
        kind,
        JournalOperation.update,
        [Change(record_id, list(values)) for record_id, values in changed.items() if values],
        origin,
    )
    return {record_id: list(values) for record_id, values in changed.items()}


def _write_changes(
    session: Session, kind: CrmEntity, changed: Mapping[int, Mapping[str, FieldValue]]
) -> None:
    """One executemany UPDATE per set of changed columns; ORM objects of these records in the
    session are expired so that they are read again."""
    if not changed:
        return
    session.flush()
    model = _MODELS[kind]
    table = cast(Table, model.__table__)
    now = utcnow()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record_id, values in changed.items():
        row = {"id": record_id, **{_attribute(kind, key): value for key, value in values.items()}}
        row["updated_at"] = now
        groups.setdefault(tuple(row), []).append(row)
    for rows in groups.values():
        update_rows(session, table, rows)
    ids = set(changed)
    for instance in list(session.identity_map.values()):
        if isinstance(instance, model) and instance.id in ids:
            session.expire(instance)


def _attribute(kind: CrmEntity, key: str) -> str:
    crm_field = find_field(kind, key)
    assert crm_field is not None
    return crm_field.attribute


def _load_values(session: Session, kind: CrmEntity, record_ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """Record id → the catalogue fields' values in catalogue order, for the ids that exist."""
    model = _MODELS[kind]
    columns = [getattr(model, f.attribute) for f in fields_of(kind)]
    wanted = sorted({each for each in record_ids if is_record_id(each)})
    found: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(model.id, *columns).where(id_in(model.id, wanted[start : start + _CHUNK]))
        for row in session.execute(query):
            found[row[0]] = tuple(row[1:])
    return found


def _load_ids(session: Session, kind: CrmEntity, record_ids: Iterable[Any]) -> list[int]:
    model = _MODELS[kind]
    wanted = sorted({each for each in record_ids if is_record_id(each)})
    found: list[int] = []
    for start in range(0, len(wanted), _CHUNK):
        found.extend(session.scalars(select(model.id).where(id_in(model.id, wanted[start : start + _CHUNK]))))
    return found


def _record(kind: CrmEntity, row: CrmRow) -> Record:
    return Record(kind, row.id, {f.key: getattr(row, f.attribute) for f in fields_of(kind)})


def _column(kind: CrmEntity, crm_field: CrmField) -> InstrumentedAttribute[Any]:
    column: InstrumentedAttribute[Any] = getattr(_MODELS[kind], crm_field.attribute)
    return column


def _text_conditions(kind: CrmEntity, text: str, errors: dict[str, str]) -> list[ColumnElement[bool]]:
    if not isinstance(text, str) or len(text) > MAX_SEARCH_LENGTH:
        errors["text"] = _("must be text of at most %(max)s characters", max=MAX_SEARCH_LENGTH)
        return []
    if "\x00" in text:
        errors["text"] = _("must not contain NUL characters")
        return []
    columns = [_column(kind, each) for each in searchable_fields(kind)]
    conditions: list[ColumnElement[bool]] = []
    for word in text.split():
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return conditions


def _filter_conditions(
    kind: CrmEntity, filters: Mapping[str, Any], errors: dict[str, str]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for key, value in filters.items():
        crm_field = find_field(kind, key)
        if crm_field is None:
            errors[key] = _("is not a field of a %(kind)s", kind=noun(kind.value))
            continue
        column = _column(kind, crm_field)
        if value is None:
            conditions.append(column.is_(None))
            continue
        try:
            conditions.append(column == coerce(replace(crm_field, required=False), value))
        except ValueProblem as problem:
            errors[key] = problem.args[0]
    return conditions


def _ordering(kind: CrmEntity, order_by: str, errors: dict[str, str]) -> list[ColumnElement[Any]]:
    model = _MODELS[kind]
    key = order_by.removeprefix("-") if isinstance(order_by, str) else ""
    descending = isinstance(order_by, str) and order_by.startswith("-")
    if key == "id":
        return [model.id.desc() if descending else model.id.asc()]
    crm_field = find_field(kind, key)
    if crm_field is None:
        errors["order_by"] = _(
            "must be 'id' or a field of a %(kind)s, '-' first for descending", kind=noun(kind.value)
        )
        return []
    column = _column(kind, crm_field)
    return [column.desc() if descending else column.asc(), model.id.desc() if descending else model.id.asc()]
