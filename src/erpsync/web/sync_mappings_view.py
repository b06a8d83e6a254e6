"""What the connection set-up pages show, read through the hub's own functions.

The pages never decide a rule themselves: which directions a CRM field allows (and why not) comes
from :func:`erpsync.hub.compatibility.allowed_directions`, which CRM fields a field may be mapped to
from the hub's mapping view, and the fields another connection writes from
:func:`erpsync.hub.mappings.crm_fields_written_from_erp` — the same rules ``SaveActorTypeMapping``
enforces. The browser only reflects them while the administrator clicks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from babel.numbers import format_decimal

from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType, fields_by_key
from erpsync.crm.values import is_record_id
from erpsync.hub import connections, defaults, mappings, summary
from erpsync.hub.compatibility import allowed_directions
from erpsync.hub.defaults import DefaultValueInfo
from erpsync.hub.errors import NotFound
from erpsync.hub.mappings import ActorTypeMappingView, FieldMappingView
from erpsync.hub.service import Hub
from erpsync.hub.transactions import reading
from erpsync.i18n import current_language, format_date, format_datetime, gettext
from erpsync.protocol import FieldAccess, FieldType
from erpsync.protocol.codec import decode

from .errors import PageNotFound

__all__ = [
    "ActorTab",
    "ConnectionHeader",
    "CrmOption",
    "DefaultRow",
    "MappingRow",
    "connection_header",
    "default_rows",
    "mapping_rows",
    "plain_value",
    "shown_value",
]


@dataclass(frozen=True, slots=True)
class ActorTab:
    actor_type: str
    crm_actor_type: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class ConnectionHeader:
    """The connection a set-up page belongs to, and its actor types (one tab each)."""

    id: int
    connector_id: int
    name: str
    active: bool
    tabs: tuple[ActorTab, ...]

    def tab(self, wanted: str | None) -> ActorTab:
        """The tab asked for, or the first one; a type the connection does not have is no page."""
        if not self.tabs:
            raise PageNotFound(gettext("The connector announced no actor types for this connection."))
        if wanted is None or wanted == "":
            return self.tabs[0]
        for each in self.tabs:
            if each.actor_type == wanted:
                return each
        raise PageNotFound(
            gettext("The connection '%(name)s' has no actor type '%(actor_type)s'.")
            % {"name": self.name, "actor_type": wanted}
        )


def connection_header(hub: Hub, connection_id: int) -> ConnectionHeader:
    if not is_record_id(connection_id):  # ids are 32-bit: a larger one names nothing
        raise PageNotFound(gettext("There is no ERP connection with id %(id)s.") % {"id": connection_id})
    try:
        record = connections.get_connection(hub, connection_id)
        actors = summary.connection_summary(hub, connection_id).actors
    except NotFound as exc:
        raise PageNotFound(exc.message) from None
    if record.deleted:
        deleted = gettext("The connection '%(name)s' has been deleted.")
        raise PageNotFound(deleted % {"name": record.display_name})
    return ConnectionHeader(
        id=record.id,
        connector_id=record.connector_id,
        name=record.display_name,
        active=record.active,
        tabs=tuple(ActorTab(a.actor_type, a.crm_actor_type, a.is_active) for a in actors),
    )


# -- field mapping ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrmOption:
    """A CRM field the picker offers for one ERP field, with the directions it would allow."""

    key: str  # "" = no CRM field
    label: str
    to_crm: bool
    to_erp: bool
    to_crm_reason: str
    to_erp_reason: str
    #: The active connection that already writes this CRM field from its ERP (AlreadyMapped).
    written_by: str = ""
    #: A stored CRM field the catalogue no longer has (MissingInCRM).
    missing: bool = False


@dataclass(frozen=True, slots=True)
class MappingRow:
    field: FieldMappingView
    options: tuple[CrmOption, ...]

    @property
    def password(self) -> bool:
        return self.field.field_type == FieldType.Password.value

    @property
    def erp_mandatory(self) -> bool:
        return self.field.access == FieldAccess.Mandatory.value


def _kind(field: FieldMappingView) -> FieldType:
    try:
        return FieldType(field.field_type)
    except ValueError:
        return FieldType.Label


def _access(field: FieldMappingView) -> FieldAccess:
    try:
        return FieldAccess(field.access)
    except ValueError:
        return FieldAccess.Normal


def mapping_rows(hub: Hub, view: ActorTypeMappingView) -> list[MappingRow]:
    """One row per ERP field: the CRM fields it may be mapped to (plus the stored one), each with
    the directions the hub's compatibility rules allow."""
    catalogue = fields_by_key(ENTITY_OF_ACTOR_TYPE[CrmActorType(view.crm_actor_type)])
    with reading(hub) as session:
        elsewhere = mappings.crm_fields_written_from_erp(session, view.crm_actor_type, view.connection_id)
    rows: list[MappingRow] = []
    for field in view.fields:
        kind, access = _kind(field), _access(field)
        nothing = allowed_directions(kind, access, None)
        options = [CrmOption("", "", False, False, nothing.to_crm_reason, nothing.to_erp_reason)]
        keys = list(field.offered_crm_field_keys)
        if field.crm_field_key and field.crm_field_key not in keys:
            keys.insert(0, field.crm_field_key)
        for key in keys:
            crm_field = catalogue.get(key)
            if crm_field is None:
                options.append(CrmOption(key, key, False, False, "", "", missing=True))
                continue
            allowed = allowed_directions(kind, access, crm_field)
            options.append(
                CrmOption(
                    key,
                    crm_field.label,
                    allowed.to_crm and key not in elsewhere,
                    allowed.to_erp,
                    allowed.to_crm_reason,
                    allowed.to_erp_reason,
                    written_by=elsewhere.get(key, "") if allowed.to_crm else "",
                )
            )
        rows.append(MappingRow(field, tuple(options)))
    return rows


# -- defaults ---------------------------------------------------------------------------------------

#: Field types the hub takes no default for (``SaveDefaultValueInfo`` refuses them), so the
#: dialog does not offer them.
_NO_DEFAULTS = frozenset({FieldType.Password.value, FieldType.Label.value})


def plain_value(value: str, field_type: str) -> str:
    """An encoded value as a person types it: ``[I:5]`` → ``5``, ``[DT:…]`` → ``2024-05-01``,
    checkboxes ``1`` / ``0``; text and list keys as they are."""
    if not value:
        return ""
    try:
        kind = FieldType(field_type)
        decoded = decode(value, kind)
    except ValueError:  # the codec's errors too: show what is stored
        return value
    if isinstance(decoded, bool):
        return "1" if decoded else "0"
    if isinstance(decoded, datetime):
        if decoded.time() == time(0, 0):
            return decoded.date().isoformat()
        return decoded.strftime("%Y-%m-%d %H:%M")
    return "" if decoded is None else str(decoded)


def shown_value(value: str, field_type: str) -> str:
    """An encoded value as the page's language writes it: ``[DT:…]`` → ``1. maj 2024`` in Danish,
    ``[F:2.5]`` → ``2,5``, ``[I:10000]`` → ``10.000``; every digit of a number is kept, as it is
    sent. Checkboxes ``1`` / ``0``; text and list keys as they are."""
    if not value:
        return ""
    try:
        kind = FieldType(field_type)
        decoded = decode(value, kind)
    except ValueError:  # the codec's errors too: show what is stored
        return value
    if isinstance(decoded, bool):
        return "1" if decoded else "0"
    if isinstance(decoded, datetime):
        if decoded.time() == time(0, 0):
            return format_date(decoded.date())
        return format_datetime(decoded)
    if isinstance(decoded, int | float) and kind in (FieldType.Integer, FieldType.Double):
        return format_decimal(decoded, locale=current_language(), decimal_quantization=False)
    return "" if decoded is None else str(decoded)


@dataclass(frozen=True, slots=True)
class DefaultRow:
    info: DefaultValueInfo
    description: str
    #: The hub accepts a default or a prompt for this field (not Password, Label or read-only).
    editable: bool

    @property
    def erp_mandatory(self) -> bool:
        return self.info.access == FieldAccess.Mandatory.value

    @property
    def configured(self) -> bool:
        return self.info.has_first_sync_default_value or self.info.prompt_user or self.info.mandatory

    @property
    def plain(self) -> str:
        return plain_value(self.info.first_sync_default_value, self.info.field_type)

    @property
    def shown(self) -> str:
        return shown_value(self.info.first_sync_default_value, self.info.field_type)


def default_rows(hub: Hub, view: ActorTypeMappingView) -> list[DefaultRow]:
    """Every field of the actor type with its default-value settings, in rank order (read from the
    hub's cache: no connector call)."""
    infos = defaults.default_value_infos(hub, [field.erp_field_id for field in view.fields])
    return [
        DefaultRow(
            info=info,
            description=field.erp_display_tooltip,
            editable=(
                field.field_type not in _NO_DEFAULTS
                and field.access != FieldAccess.ReadOnly.value
                and not field.missing_in_erp
            ),
        )
        for field, info in zip(view.fields, infos, strict=True)
    ]
