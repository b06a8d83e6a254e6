"""Checking one value against its catalogue field, without a database.

Every Python value that reaches a column passes through ``coerce``; a problem is reported as a
``ValueProblem`` carrying the message a user reads.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from .catalogue import CrmField, FieldKind
from .texts import _

__all__ = ["INT32_MAX", "INT32_MIN", "FieldValue", "ValueProblem", "coerce", "is_record_id"]

FieldValue = str | int | float | bool | datetime | None

# Integer columns are 32-bit on PostgreSQL; SQLite would take more, but both must agree.
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


class ValueProblem(ValueError):
    pass


def is_record_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT32_MAX


def coerce(crm_field: CrmField, value: Any) -> FieldValue:
    """The value to store for ``crm_field``; raises ``ValueProblem`` when it cannot be stored.

    Empty text becomes ``None`` so that ``""`` and "no value" never count as a change. Naive
    date-times are taken as UTC.
    """
    if value is None:
        if crm_field.kind is FieldKind.checkbox:
            raise ValueProblem(_("must be true or false"))
        if crm_field.required:
            raise ValueProblem(_("is required"))
        return None
    match crm_field.kind:
        case FieldKind.text:
            return _text(crm_field, value)
        case FieldKind.integer:
            return _integer(value)
        case FieldKind.double:
            return _double(value)
        case FieldKind.checkbox:
            if not isinstance(value, bool):
                raise ValueProblem(_("must be true or false"))
            return value
        case FieldKind.date:
            return _date(value)
        case FieldKind.list:
            if not is_record_id(value):
                raise ValueProblem(_("must be the id of a list item"))
            return int(value)
    raise AssertionError(crm_field.kind)  # pragma: no cover - every kind is handled above


def _text(crm_field: CrmField, value: Any) -> str | None:
    if not isinstance(value, str):
        raise ValueProblem(_("must be text"))
    if value == "":
        if crm_field.required:
            raise ValueProblem(_("is required"))
        return None
    if crm_field.max_length is not None and len(value) > crm_field.max_length:
        raise ValueProblem(_("is longer than %(max)s characters", max=crm_field.max_length))
    if "\x00" in value:
        raise ValueProblem(_("must not contain NUL characters"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueProblem(_("is not valid Unicode text")) from None
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueProblem(_("must be a whole number"))
    if not INT32_MIN <= value <= INT32_MAX:
        raise ValueProblem(_("must be between %(low)s and %(high)s", low=INT32_MIN, high=INT32_MAX))
    return value


def _double(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueProblem(_("must be a number"))
    try:
        number = float(value)
    except OverflowError:
        raise ValueProblem(_("is too large")) from None
    if not math.isfinite(number):
        raise ValueProblem(_("must be a finite number"))
    return number


def _date(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise ValueProblem(_("must be a date-time"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueProblem(_("is out of range")) from None
