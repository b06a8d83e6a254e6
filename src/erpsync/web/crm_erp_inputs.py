"""ERP fields as inputs of the Create in ERP dialog and the advanced search: the field type decides
the input, defaults arrive decoded (``[F:2500.0]`` → ``2500``), List fields offer the ERP list's
items (one ``GetList`` per list). The page script encodes what the user typed back for the wire."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from erpsync.hub.errors import ConnectorFailed
from erpsync.hub.models import ErpConnection
from erpsync.hub.service import Hub, connector_call
from erpsync.protocol import FieldAccess, FieldMetadata, FieldType, call
from erpsync.protocol.codec import ValueError_, parse_lenient

from .crm_forms import Option, plain_number

__all__ = ["ErpInput", "ListOptions", "erp_input", "erp_list_options", "widget_of"]

#: List name → (item key, display text) in the ERP's order; a list the connector could not give is
#: missing, and its fields take a typed key instead.
ListOptions = Mapping[str, list[tuple[str, str]]]

_WIDGETS = {
    FieldType.Integer: "number",
    FieldType.Double: "number",
    FieldType.Checkbox: "checkbox",
    FieldType.Datetime: "date",
    FieldType.List: "select",
    FieldType.Password: "password",
}


@dataclass(frozen=True, slots=True)
class ErpInput:
    """One ERP field as an input. ``field_type`` tells the page script how to encode the value."""

    key: str
    label: str
    description: str
    field_type: str
    widget: str
    value: str = ""
    checked: bool = False
    options: tuple[Option, ...] = ()
    mandatory: bool = False
    max_length: int = 0


def widget_of(field_type: FieldType, list_name: str, lists: ListOptions) -> str:
    widget = _WIDGETS.get(field_type, "text")
    return "text" if widget == "select" and list_name not in lists else widget


def _plain(encoded: str, field_type: FieldType) -> str:
    """A wire value as the input shows it; a value that cannot be read is shown as it came."""
    if field_type in (FieldType.Text, FieldType.List, FieldType.Password, FieldType.Label):
        return encoded
    try:
        value = parse_lenient(encoded, field_type)
    except ValueError_:
        return encoded
    match value:
        case None:
            return ""
        case bool():
            return "1" if value else ""
        case datetime():
            return value.strftime("%Y-%m-%d")
        case float():
            return plain_number(value)
        case _:
            return str(value)


def erp_input(meta: FieldMetadata, lists: ListOptions) -> ErpInput:
    """A field of the Create dialog, pre-filled with its default."""
    value = _plain(meta.default_value, meta.field_type)
    items = lists.get(meta.list_name, []) if meta.field_type is FieldType.List else []
    options = tuple(Option(key, text or key, key == value) for key, text in items)
    return ErpInput(
        key=meta.field_key,
        label=meta.display_name or meta.field_key,
        description=meta.display_description,
        field_type=meta.field_type.value,
        widget=widget_of(meta.field_type, meta.list_name, lists),
        value=value,
        checked=meta.field_type is FieldType.Checkbox and value == "1",
        options=options,
        mandatory=meta.access is FieldAccess.Mandatory,
        max_length=meta.max_length,
    )


def erp_list_options(
    hub: Hub, session: Session, connection: ErpConnection, list_names: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """The items of each list (``GetList``); a list the connector fails to give is left out."""
    client = hub.client_for(session, connection)
    found: dict[str, list[tuple[str, str]]] = {}
    for name in sorted({name for name in list_names if name}):
        request = call.get_list(connection.guid, name)
        try:
            reply = connector_call("GetList", partial(client.send, request))
        except ConnectorFailed:
            continue
        found[name] = [(item.key, item.display_value) for item in reply.list_items]
    return found
