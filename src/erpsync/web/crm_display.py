"""Values as people of the page's language read them: dates and numbers formatted for the language
(``1.234,5`` and ``31. dec. 2031`` in Danish), checkboxes as Yes or No, list items by their name
(CRM and ERP list items are data: shown as they are, never translated).

Only text that is read is made here; inputs keep their machine forms (an ISO date in a date input,
``1234.5`` in a number input), so that what is sent back is what the API reads. The hub turns values
into neutral display text (``2024-05-01 13:45``, ``1234.5``, ``Yes``) for the API and for these
pages alike; :func:`localised` reads that text back by the field's kind and formats it for the
language, leaving whatever it cannot read as it came.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time
from decimal import Decimal

from erpsync import i18n
from erpsync.crm.catalogue import FieldKind
from erpsync.crm.store import FieldValue
from erpsync.hub.field_values import crm_display
from erpsync.protocol import FieldType

__all__ = ["kind_of_erp_type", "localised", "shown_crm_value", "shown_moment"]

_WHOLE = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?")

_ERP_KINDS = {
    FieldType.Integer: FieldKind.integer,
    FieldType.Double: FieldKind.double,
    FieldType.Datetime: FieldKind.date,
    FieldType.Checkbox: FieldKind.checkbox,
}


def kind_of_erp_type(field_type: FieldType) -> FieldKind:
    """The CRM kind whose display rules an ERP field type's values follow (text for the rest)."""
    return _ERP_KINDS.get(field_type, FieldKind.text)


def shown_moment(value: datetime) -> str:
    """A date (the time left out when it is midnight UTC, as a plain date is stored), or a date
    and time, as the language writes them."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if value.time() == time(0, 0):
        return i18n.format_date(value.date())
    return i18n.format_datetime(value)


def _yes_no(text: str) -> str:
    if text == "Yes":
        return i18n.gettext("Yes")
    if text == "No":
        return i18n.gettext("No")
    return text


def localised(text: str, kind: FieldKind) -> str:
    """The hub's neutral display text of a value of ``kind`` in the current language's forms."""
    match kind:
        case FieldKind.checkbox:
            return _yes_no(text)
        case FieldKind.integer if _WHOLE.fullmatch(text):
            return i18n.format_number(int(text))
        case FieldKind.double if _DECIMAL.fullmatch(text):
            return i18n.format_number(Decimal(text))
        case FieldKind.date if _MOMENT.fullmatch(text):
            return shown_moment(datetime.fromisoformat(text))
        case _:
            return text


def shown_crm_value(value: FieldValue, kind: FieldKind, item_names: Mapping[int, str] | None = None) -> str:
    """A CRM value as text to read in the current language (list items by name)."""
    return localised(crm_display(value, kind, item_names), kind)
