"""A CRM record's fields as form inputs and as list cells, driven by the CRM field catalogue: the
kind of each field decides its input (text, number, date, checkbox, list dropdown, company)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity, CrmField, FieldKind, fields_of
from erpsync.crm.lists import list_items, list_items_by_id
from erpsync.crm.store import FieldValue, Record

from .crm_areas import area_for, record_title
from .crm_display import shown_crm_value

__all__ = ["FieldInput", "Option", "RowView", "field_inputs", "list_rows", "plain_number"]

#: The most companies a person's company dropdown offers (sorted by name).
MAX_COMPANY_CHOICES = 1000
_TEXTAREA_FROM = 1000


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class FieldInput:
    """One field of the card's form. ``kind`` tells the page script how to send the value:
    text, integer, double, checkbox, date, list or reference (a record id)."""

    key: str
    label: str
    kind: str
    widget: str  # text, textarea, number, date, checkbox, select, readonly
    value: str = ""
    checked: bool = False
    options: tuple[Option, ...] = ()
    required: bool = False
    max_length: int | None = None
    link: str = ""

    def select(self, value: str) -> FieldInput:
        """The same input with the option ``value`` chosen, when it is one of its options."""
        if all(option.value != value for option in self.options):
            return self
        return replace(self, options=tuple(replace(o, selected=o.value == value) for o in self.options))


def plain_number(value: float) -> str:
    """A number as a person types it: ``2500`` rather than ``2500.0``, never an exponent."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def _text_of(value: FieldValue, kind: FieldKind) -> str:
    if value is None:
        return ""
    match kind:
        case FieldKind.date if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d")
        case FieldKind.double if isinstance(value, int | float):
            return plain_number(float(value))
        case _:
            return str(value)


def _list_options(session: Session, crm_field: CrmField, current: FieldValue) -> tuple[Option, ...]:
    assert crm_field.list_name is not None
    items = list_items(session, crm_field.list_name)
    # A deleted item stays on the records that have it: keep it selectable for them.
    if isinstance(current, int) and all(item.id != current for item in items):
        items += [item for item in list_items_by_id(session, [current]).values()]
    return tuple(Option(str(item.id), item.name, item.id == current) for item in items)


def _company_options(session: Session, current: FieldValue) -> tuple[Option, ...]:
    page = store.search(session, CrmEntity.company, limit=MAX_COMPANY_CHOICES, order_by="name")
    companies = {record.id: record for record in page.items}
    if isinstance(current, int) and current not in companies:
        companies.update(store.get_many(session, CrmEntity.company, [current]))
    return tuple(
        Option(str(record.id), record_title(record) or f"#{record.id}", record.id == current)
        for record in companies.values()
    )


def _input(session: Session, crm_field: CrmField, record: Record | None) -> FieldInput:
    value = record.values.get(crm_field.key) if record is not None else None
    base = FieldInput(
        key=crm_field.key,
        label=crm_field.label,
        kind=crm_field.kind.value,
        widget="text",
        value=_text_of(value, crm_field.kind),
        required=crm_field.required,
    )
    if crm_field.read_only:
        return replace(base, widget="readonly", value=shown_crm_value(value, crm_field.kind))
    if crm_field.references is CrmEntity.company:
        link = area_for(CrmEntity.company).card_url(value) if isinstance(value, int) else ""
        options = _company_options(session, value)
        return replace(base, kind="reference", widget="select", options=options, link=link)
    match crm_field.kind:
        case FieldKind.list:
            return replace(base, widget="select", options=_list_options(session, crm_field, value))
        case FieldKind.checkbox:
            return replace(base, widget="checkbox", checked=bool(value))
        case FieldKind.integer | FieldKind.double:
            return replace(base, widget="number")
        case FieldKind.date:
            return replace(base, widget="date")
        case _:
            long = (crm_field.max_length or 0) >= _TEXTAREA_FROM
            return replace(base, widget="textarea" if long else "text", max_length=crm_field.max_length)


def field_inputs(session: Session, entity: CrmEntity, record: Record | None) -> list[FieldInput]:
    """The form of a record (``None``: a new one, without the read-only fields), catalogue order."""
    return [
        _input(session, crm_field, record)
        for crm_field in fields_of(entity)
        if record is not None or not crm_field.read_only
    ]


@dataclass(frozen=True, slots=True)
class RowView:
    """One record in a list: its title and every field's display text in the page's language, by
    field key."""

    id: int
    url: str
    title: str
    cells: dict[str, str]
    company_id: int | None = None
    company_name: str = ""


def _item_names(session: Session, records: Iterable[Record], entity: CrmEntity) -> dict[int, str]:
    keys = [f.key for f in fields_of(entity) if f.kind is FieldKind.list]
    ids = {value for record in records for key in keys if isinstance(value := record.values.get(key), int)}
    return {item_id: item.name for item_id, item in list_items_by_id(session, ids).items()}


def list_rows(session: Session, entity: CrmEntity, records: Sequence[Record]) -> list[RowView]:
    area = area_for(entity)
    names = _item_names(session, records, entity)
    companies: dict[int, Record] = {}
    if entity is CrmEntity.person:
        wanted = {value for r in records if isinstance(value := r.values.get("company_id"), int)}
        companies = store.get_many(session, CrmEntity.company, wanted)
    rows = []
    for record in records:
        cells = {
            f.key: shown_crm_value(record.values.get(f.key), f.kind, names)
            if f.references is None
            else _text_of(record.values.get(f.key), f.kind)
            for f in fields_of(entity)
        }
        company_id = record.values.get("company_id") if entity is CrmEntity.person else None
        company = companies.get(company_id) if isinstance(company_id, int) else None
        rows.append(
            RowView(
                id=record.id,
                url=area.card_url(record.id),
                title=record_title(record),
                cells=cells,
                company_id=company.id if company else None,
                company_name=record_title(company) if company else "",
            )
        )
    return rows
