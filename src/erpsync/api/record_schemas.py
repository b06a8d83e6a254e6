"""Pydantic models of company, person and project replies and requests, made from the CRM field
catalogue, so that the API, its OpenAPI document and the store agree on every field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from erpsync.crm.catalogue import CrmEntity, CrmField, FieldKind, fields_of
from erpsync.crm.store import Record
from erpsync.crm.values import INT32_MAX, INT32_MIN

from .schemas import NO_NUL, whole_number

__all__ = ["RecordSchemas", "record_schemas"]

_TITLES = {CrmEntity.company: "Company", CrmEntity.person: "Person", CrmEntity.project: "Project"}


@dataclass(frozen=True)
class RecordSchemas:
    entity: CrmEntity
    read: type[BaseModel]
    create: type[BaseModel]
    update: type[BaseModel]
    page: type[BaseModel]

    def reply(self, record: Record) -> BaseModel:
        return self.read.model_validate({"id": record.id, **record.values})


@cache
def record_schemas(entity: CrmEntity) -> RecordSchemas:
    title = _TITLES[entity]
    fields = fields_of(entity)
    writable = [each for each in fields if not each.read_only]
    read = create_model(  # type: ignore[call-overload]
        title,
        __doc__=f"A {entity.value} with every field of the CRM catalogue.",
        id=(int, Field(description=f"The {entity.value}'s id.")),
        **{each.key: _read_field(each) for each in fields},
    )
    create = create_model(  # type: ignore[call-overload]
        f"{title}Create",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"A new {entity.value}; fields left out get no value.",
        **{each.key: _create_field(each) for each in writable},
    )
    update = create_model(  # type: ignore[call-overload]
        f"{title}Update",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The fields to change on a {entity.value}; the others stay as they are.",
        **{each.key: _update_field(each) for each in writable},
    )
    page = create_model(
        f"{title}Page",
        __doc__=f"One page of {entity.value} records and how many match in all.",
        items=(list[read], ...),
        total=(int, Field(description="How many records match the search.")),
        offset=(int, ...),
        limit=(int, ...),
    )
    return RecordSchemas(entity, read, create, update, page)


def _value_type(crm_field: CrmField) -> Any:
    """The non-null Python type of a field's values, with the catalogue's limits as constraints.
    Numbers and checkboxes are strict: ``"5"`` is not a number and ``0`` is not false."""
    match crm_field.kind:
        case FieldKind.text:
            min_length = 1 if crm_field.required else None
            return Annotated[
                str, Field(min_length=min_length, max_length=crm_field.max_length, pattern=NO_NUL)
            ]
        case FieldKind.integer if crm_field.references is not None:
            return whole_number(1, INT32_MAX)
        case FieldKind.integer:
            return whole_number(INT32_MIN, INT32_MAX)
        case FieldKind.double:
            return Annotated[float, Field(allow_inf_nan=False)]
        case FieldKind.checkbox:
            return Annotated[bool, Field(strict=True)]
        case FieldKind.date:
            return datetime
        case FieldKind.list:
            return whole_number(1, INT32_MAX)
    raise AssertionError(crm_field.kind)  # pragma: no cover


def _description(crm_field: CrmField) -> str:
    text = f"{crm_field.label} ({crm_field.kind.value}"
    if crm_field.list_name is not None:
        text += f": the id of an item of the {crm_field.list_name.value} list"
    if crm_field.references is not None:
        text += f": the id of a {crm_field.references.value}"
    if crm_field.read_only:
        text += ", read-only"
    return text + ")."


def _never_null(crm_field: CrmField) -> bool:
    return crm_field.required or crm_field.read_only or crm_field.kind is FieldKind.checkbox


def _read_field(crm_field: CrmField) -> tuple[Any, Any]:
    value_type = _value_type(crm_field)
    if _never_null(crm_field):
        return value_type, Field(description=_description(crm_field))
    return value_type | None, Field(description=_description(crm_field))


def _create_field(crm_field: CrmField) -> tuple[Any, Any]:
    value_type = _value_type(crm_field)
    if crm_field.required:
        return value_type, Field(description=_description(crm_field))
    if crm_field.kind is FieldKind.checkbox:
        return value_type, Field(default=False, description=_description(crm_field))
    return value_type | None, Field(default=None, description=_description(crm_field))


def _update_field(crm_field: CrmField) -> tuple[Any, Any]:
    value_type = _value_type(crm_field)
    if _never_null(crm_field):
        # Optional to send, but never null: the schema shows no default so that null is not offered.
        return value_type, Field(
            default=None, description=_description(crm_field), json_schema_extra=_no_default
        )
    return value_type | None, Field(default=None, description=_description(crm_field))


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
