"""Turning CRM values into ERP wire values and back, for one mapped field.

Kinds convert through the protocol's codec; list values go through the field's list mapping. A
value that cannot be translated (a list item without a mapping) raises :class:`Untranslatable`:
the caller skips that field and logs a warning, it never guesses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from erpsync.crm.catalogue import FieldKind
from erpsync.crm.texts import _
from erpsync.protocol import FieldType
from erpsync.protocol.codec import (
    ValueError_,
    encode,
    encode_bool,
    encode_datetime,
    encode_float,
    parse_lenient,
)

__all__ = ["Untranslatable", "crm_to_erp", "erp_to_crm", "is_blank", "problem_text", "unreadable"]


class Untranslatable(ValueError):
    """The value has no counterpart on the other side (e.g. an unmapped list item)."""


def problem_text(exc: Exception) -> str:
    """An exception's message as it was made: a translated text keeps its other languages."""
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else str(exc)


def unreadable(text: str, erp_type: FieldType) -> str:
    """Why ``text`` is not an encoded value of ``erp_type``, for people (the codec's own messages
    are English: they are for developers)."""
    value = text[:40]
    match erp_type:
        case FieldType.Integer:
            return _("%(value)r is not a whole number; expected [I:123]", value=value)
        case FieldType.Double:
            return _("%(value)r is not a number; expected [F:12.5]", value=value)
        case FieldType.Datetime:
            return _("%(value)r is not a date-time; expected [DT:MM/dd/yyyy HH:mm:ss.fffffff]", value=value)
        case FieldType.Checkbox:
            return _("%(value)r is not a checkbox value; expected [I:0] or [I:1]", value=value)
    return _("%(value)r cannot be read as a %(type)s value", value=value, type=erp_type.value)


def is_blank(value: Any) -> bool:
    return value is None or value == ""


def _as_text(value: Any, kind: FieldKind) -> str:
    """A narrower CRM kind written into an ERP text field."""
    match kind:
        case FieldKind.checkbox:
            return "1" if value else "0"
        case FieldKind.date:
            return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)
        case FieldKind.double:
            return encode_float(float(value))[3:-1]
        case _:
            return str(value)


def crm_to_erp(
    value: Any, kind: FieldKind, erp_type: FieldType, list_map: Mapping[int, str] | None = None
) -> str:
    """Encode a CRM value for an ERP field. ``list_map`` maps CRM list item ids to ERP item keys."""
    if is_blank(value):
        return ""
    if erp_type is FieldType.List:
        key = (list_map or {}).get(int(value))
        if key is None:
            raise Untranslatable(_("CRM list item %(item)s has no ERP list mapping", item=value))
        return key
    if erp_type is FieldType.Text:
        return value if kind is FieldKind.text else _as_text(value, kind)
    if erp_type is FieldType.Checkbox:
        return encode_bool(bool(value))
    if erp_type is FieldType.Datetime:
        return encode_datetime(value)
    if erp_type is FieldType.Double:
        return encode_float(float(value))
    return encode(value, erp_type)


def _text_from(decoded: Any, erp_type: FieldType) -> str:
    match erp_type:
        case FieldType.Checkbox:
            return "1" if decoded else "0"
        case FieldType.Datetime:
            return decoded.isoformat() if isinstance(decoded, datetime) else str(decoded)
        case FieldType.Double:
            return encode_float(float(decoded))[3:-1]
        case _:
            return str(decoded)


def erp_to_crm(
    text: str, erp_type: FieldType, kind: FieldKind, list_map: Mapping[str, int] | None = None
) -> Any:
    """Decode an ERP wire value for a CRM field. ``list_map`` maps ERP item keys to CRM list item ids.

    Raises :class:`Untranslatable` for an unmapped list key, ``ValueError_`` for an unreadable value.
    """
    if text == "":
        return False if kind is FieldKind.checkbox else None
    if erp_type is FieldType.List:
        item = (list_map or {}).get(text)
        if item is None:
            raise Untranslatable(_("ERP list item %(item)r has no CRM list mapping", item=text))
        return item
    decoded = parse_lenient(text, erp_type)
    if kind is FieldKind.text and erp_type is not FieldType.Text:
        return _text_from(decoded, erp_type)
    if kind is FieldKind.integer and isinstance(decoded, float):
        if not decoded.is_integer():
            raise ValueError_(_("%(value)r is not a whole number", value=text))
        return int(decoded)
    if kind is FieldKind.double and isinstance(decoded, int) and not isinstance(decoded, bool):
        return float(decoded)
    return decoded
