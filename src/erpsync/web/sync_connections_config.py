"""The config fields of the connection dialog, as widgets: what the connector's ``GetConfigData``
says about each field, turned into what the template draws (reference §2.2).

Values arrive encoded (``[I:1]``, ``[DT:…]``) and are shown plainly; the page script encodes them
again when it sends them. Password values are only ever the mask (``********``) or empty: the hub
never hands out a stored password, so none can end up in the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from erpsync.hub import connectors
from erpsync.hub.errors import HubError
from erpsync.hub.service import Hub
from erpsync.protocol import FieldAccess, FieldMetadata, FieldType
from erpsync.protocol.codec import ValueError_, parse_lenient

__all__ = ["ConfigWidget", "config_widgets", "widget_value"]

#: The widget each field type is drawn as; the template switches on these names.
_KINDS = {
    FieldType.Text: "text",
    FieldType.Password: "password",
    FieldType.Integer: "integer",
    FieldType.Double: "double",
    FieldType.Checkbox: "checkbox",
    FieldType.List: "list",
    FieldType.Datetime: "datetime",
    FieldType.Label: "label",
}


@dataclass(frozen=True, slots=True)
class ConfigWidget:
    key: str
    label: str
    description: str
    kind: str
    #: The wire type, for the page script to encode the value (``Integer`` → ``[I:…]``).
    field_type: str
    value: str
    mandatory: bool
    read_only: bool
    max_length: int
    #: A List field's items: (key, display text).
    options: tuple[tuple[str, str], ...] = ()
    #: Why a List field's items could not be read (the connector's explanation).
    options_error: str = ""
    checked: bool = field(default=False)


def widget_value(encoded: str, field_type: FieldType) -> str:
    """What an input shows for an encoded value: ``[I:1]`` → ``1``, ``[DT:05/01/2024 13:45:00.0]`` →
    ``2024-05-01T13:45:00`` (a datetime-local input). A value that cannot be read shows empty, as the
    reference has the dialog start from nothing (or 0) when a default does not parse."""
    if field_type in (FieldType.Text, FieldType.Password, FieldType.List, FieldType.Label) or not encoded:
        return encoded
    try:
        value = parse_lenient(encoded, field_type)
    except ValueError_:
        return ""
    match field_type:
        case FieldType.Integer | FieldType.Double:
            return str(value)
        case FieldType.Checkbox:
            return "1" if value else "0"
        case FieldType.Datetime:
            return value.strftime("%Y-%m-%dT%H:%M:%S") if isinstance(value, datetime) else ""
    return encoded


def _options(
    hub: Hub, connector_id: int, meta: FieldMetadata, connection_id: int
) -> tuple[tuple[tuple[str, str], ...], str]:
    try:
        items = connectors.config_list_items(hub, connector_id, meta.list_name, connection_id)
    except HubError as exc:
        return (), exc.message
    return tuple((item.key, item.display_value or item.key) for item in items), ""


def config_widgets(
    hub: Hub,
    connector_id: int,
    fields: Sequence[FieldMetadata],
    values: Mapping[str, str] | None,
    connection_id: int = 0,
) -> list[ConfigWidget]:
    """The widgets for ``fields`` (rank order), showing ``values`` (a saved connection's, masked) or,
    for a new connection, each field's DefaultValue. List fields are filled by the connector's
    ``GetList`` through the hub (the all-zero GUID before the connection is saved)."""
    widgets = []
    for meta in sorted(fields, key=lambda f: f.rank):
        encoded = meta.default_value
        if values is not None and meta.field_key in values and meta.access is not FieldAccess.ReadOnly:
            encoded = values[meta.field_key]
        options: tuple[tuple[str, str], ...] = ()
        options_error = ""
        if meta.field_type is FieldType.List:
            options, options_error = _options(hub, connector_id, meta, connection_id)
        shown = widget_value(encoded, meta.field_type)
        widgets.append(
            ConfigWidget(
                key=meta.field_key,
                label=meta.display_name or meta.field_key,
                description=meta.display_description,
                kind=_KINDS.get(meta.field_type, "text"),
                field_type=meta.field_type.value,
                value=shown,
                mandatory=meta.access is FieldAccess.Mandatory,
                read_only=meta.access is FieldAccess.ReadOnly,
                max_length=meta.max_length,
                options=options,
                options_error=options_error,
                checked=shown == "1",
            )
        )
    return widgets
