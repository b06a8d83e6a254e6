"""The mapper of the end-user methods: an actor type mapping's fields as plain data, and the value
of a mapped field on each side.

A :class:`MappedField` is an ``ErpField`` row that syncs with a CRM field: it has a CRM field, at
least one direction, and is missing on neither side. Its directions are the administrator's,
narrowed by the type compatibility rules (a read-only side is never written, whatever the row
says), so a stale mapping can never make connect or create write where sync may not.

Values travel in three forms: the CRM's Python value (``crm.store``), the ERP's encoded wire value,
and a display text for people. Comparing and choosing between the two sides (the connect dialog's
rules) is in :func:`sides_of` and :func:`decide`, plain functions over plain data; reading the
rows and asking the connector are the two edge functions at the bottom.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from enum import StrEnum
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync import i18n
from erpsync.crm.catalogue import (
    ENTITY_OF_ACTOR_TYPE,
    CrmActorType,
    CrmEntity,
    CrmField,
    FieldKind,
    find_field,
)
from erpsync.crm.lists import list_items_by_id
from erpsync.crm.texts import _
from erpsync.crm.values import FieldValue, ValueProblem, coerce
from erpsync.protocol import ErpActor, ErrorCode, FieldAccess, FieldMetadata, FieldType, call
from erpsync.protocol.codec import (
    ValueError_,
    decode,
    encode,
    encode_bool,
    encode_datetime,
    encode_float,
    encode_int,
    parse_lenient,
)

from .compatibility import allowed_directions
from .conversion import Untranslatable, crm_to_erp, erp_to_crm, unreadable
from .errors import ConnectorFailed, HubError, InvalidInput, NotFound
from .models import ErpActorTypeMapping, ErpConnection, ErpField, ErpListItemMapping
from .service import Hub, connector_call

__all__ = [
    "MASKED",
    "Decision",
    "FieldValueView",
    "MappedField",
    "Sides",
    "Source",
    "as_refused_values",
    "check_choice",
    "check_erp_value",
    "crm_as_erp",
    "crm_display",
    "crm_encoded",
    "crm_entity_of",
    "crm_item_names",
    "decide",
    "default_source",
    "erp_as_crm",
    "erp_display",
    "erp_field_type",
    "erp_fields_of",
    "fetch_actor",
    "field_metadata",
    "list_display_texts",
    "mapped_fields",
    "normal_erp",
    "require_valid_erp_values",
    "sides_of",
]

#: What a Password field's value is replaced with wherever it would be shown or logged.
MASKED = "********"


class Source(StrEnum):
    """Which side's value a field takes when the two differ."""

    crm = "Crm"
    erp = "Erp"


@dataclass(frozen=True, slots=True)
class MappedField:
    """One ERP field synced with one CRM field, with the directions it may really sync in."""

    erp_field_id: int
    erp_key: str
    erp_type: FieldType
    erp_access: FieldAccess
    display_name: str
    list_name: str
    rank: int
    crm_field: CrmField
    to_crm: bool
    to_erp: bool
    #: ERP list item key → CRM list item id (list fields only).
    list_to_crm: Mapping[str, int] = field(default_factory=dict)
    #: CRM list item id → ERP list item key (list fields only).
    list_to_erp: Mapping[int, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.display_name or self.erp_key


# --- reading the configuration --------------------------------------------------------------------


def crm_entity_of(mapping: ErpActorTypeMapping) -> CrmEntity | None:
    """The CRM entity a mapping's records are; ``None`` for a CRM type erpsync does not sync."""
    try:
        return ENTITY_OF_ACTOR_TYPE[CrmActorType(mapping.crm_actor_type)]
    except ValueError:
        return None


def erp_field_type(row: ErpField) -> FieldType | None:
    try:
        return FieldType(row.field_type)
    except ValueError:
        return None


def _erp_access(row: ErpField) -> FieldAccess:
    try:
        return FieldAccess(row.access)
    except ValueError:
        return FieldAccess.Normal


def erp_fields_of(session: Session, mapping_id: int) -> list[ErpField]:
    """The fields the connector still announces for an actor type mapping, in rank order."""
    query = (
        select(ErpField)
        .where(ErpField.actor_type_mapping_id == mapping_id, ErpField.missing_in_erp.is_(False))
        .order_by(ErpField.rank, ErpField.id)
    )
    return [row for row in session.scalars(query) if erp_field_type(row) is not None]


def field_metadata(row: ErpField, default_value: str | None = None) -> FieldMetadata:
    """The ``FieldMetadata`` carrier of a cached field, ``Rank`` being the administrator's rank."""
    return FieldMetadata(
        field_key=row.erp_field_key,
        display_name=row.display_name,
        display_description=row.display_description,
        field_type=erp_field_type(row) or FieldType.Text,
        list_name=row.list_name,
        default_value=row.default_value if default_value is None else default_value,
        max_length=max(row.max_length, 0),
        access=_erp_access(row),
        rank=row.rank,
    )


def mapped_fields(session: Session, mapping: ErpActorTypeMapping) -> list[MappedField]:
    """The mapped fields of an actor type mapping, in rank order, with their list mappings."""
    entity = crm_entity_of(mapping)
    if entity is None:
        return []
    candidates: list[tuple[ErpField, FieldType, CrmField]] = []
    for row in erp_fields_of(session, mapping.id):
        crm_field = find_field(entity, row.crm_field_key) if row.crm_field_key else None
        erp_type = erp_field_type(row)
        if crm_field is None or erp_type is None or row.missing_in_crm:
            continue
        if row.sync_to_crm or row.sync_to_erp:
            candidates.append((row, erp_type, crm_field))
    lists = _list_mappings(session, [row.id for row, erp_type, _ in candidates if erp_type is FieldType.List])
    fields: list[MappedField] = []
    for row, erp_type, crm_field in candidates:
        access = _erp_access(row)
        allowed = allowed_directions(erp_type, access, crm_field)
        to_crm, to_erp = row.sync_to_crm and allowed.to_crm, row.sync_to_erp and allowed.to_erp
        if not (to_crm or to_erp):
            continue
        pairs = lists.get(row.id, [])
        fields.append(
            MappedField(
                erp_field_id=row.id,
                erp_key=row.erp_field_key,
                erp_type=erp_type,
                erp_access=access,
                display_name=row.display_name,
                list_name=row.list_name,
                rank=row.rank,
                crm_field=crm_field,
                to_crm=to_crm,
                to_erp=to_erp,
                list_to_crm={erp_item: crm_item for erp_item, crm_item in pairs},
                list_to_erp={crm_item: erp_item for erp_item, crm_item in pairs},
            )
        )
    return fields


def _list_mappings(session: Session, field_ids: Collection[int]) -> dict[int, list[tuple[str, int]]]:
    if not field_ids:
        return {}
    rows = session.scalars(select(ErpListItemMapping).where(ErpListItemMapping.erp_field_id.in_(field_ids)))
    found: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        found.setdefault(row.erp_field_id, []).append((row.erp_item_key, row.crm_item_id))
    return found


# --- values: encoding, comparing, showing ----------------------------------------------------------


def normal_erp(text: str, erp_type: FieldType) -> str:
    """An ERP value in canonical encoding (``[F:10]`` → ``[F:10.0]``), so equal values compare equal;
    a value that cannot be read stays as it is."""
    if erp_type in (FieldType.Text, FieldType.List, FieldType.Password, FieldType.Label):
        return text
    try:
        return encode(parse_lenient(text, erp_type), erp_type)
    except ValueError_:
        return text


def crm_encoded(value: FieldValue, kind: FieldKind) -> str:
    """A CRM value in the wire encoding of its own kind (a list value is the CRM item id)."""
    if value is None or value == "":
        return ""
    match kind:
        case FieldKind.checkbox:
            return encode_bool(bool(value))
        case FieldKind.integer if isinstance(value, int):
            return encode_int(value)
        case FieldKind.double if isinstance(value, int | float):
            return encode_float(float(value))
        case FieldKind.date if isinstance(value, datetime):
            return encode_datetime(value)
        case _:
            return str(value)


def _display_datetime(value: datetime) -> str:
    """UTC; the time is left out when it is midnight (a plain date), the seconds when zero."""
    value = value.astimezone(UTC)
    if value.time() == time(0, 0):
        return value.strftime("%Y-%m-%d")
    if value.second == 0 and value.microsecond == 0:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _display_number(value: float) -> str:
    return encode_float(value)[3:-1]


def _yes_no(value: bool) -> str:
    """Neutral display text, as every display value here: the pages show it in their language."""
    return "Yes" if value else "No"


def erp_display(text: str, erp_type: FieldType, list_texts: Mapping[str, str] | None = None) -> str:
    """An ERP value as people read it: ``[DT:…]`` → ``2024-05-01 13:45``, ``[I:1]`` on a checkbox →
    ``Yes``, a list key → the item's display text. A value that cannot be read is shown as sent."""
    if erp_type is FieldType.Password:
        return MASKED if text else ""
    if erp_type is FieldType.List:
        return (list_texts or {}).get(text, text)
    if erp_type is FieldType.Checkbox and text == "":
        return _yes_no(False)
    try:
        value = parse_lenient(text, erp_type)
    except ValueError_:
        return text
    match value:
        case None:
            return ""
        case bool():
            return _yes_no(value)
        case datetime():
            return _display_datetime(value)
        case float():
            return _display_number(value)
        case _:
            return str(value)


def crm_display(value: FieldValue, kind: FieldKind, item_names: Mapping[int, str] | None = None) -> str:
    """A CRM value as people read it (list items by name)."""
    if value is None:
        return _yes_no(False) if kind is FieldKind.checkbox else ""
    match kind:
        case FieldKind.checkbox:
            return _yes_no(bool(value))
        case FieldKind.date if isinstance(value, datetime):
            return _display_datetime(value)
        case FieldKind.double if isinstance(value, int | float):
            return _display_number(float(value))
        case FieldKind.list if isinstance(value, int):
            return (item_names or {}).get(value, str(value))
        case _:
            return str(value)


@dataclass(frozen=True, slots=True)
class Sides:
    """One mapped field's value on both sides, each also translated to the other side's form.

    ``crm_as_erp`` is ``None`` when the CRM value has no ERP form (``crm_problem`` says why), and
    ``erp_readable`` is False when the ERP value has no CRM form (``erp_problem``).
    """

    field: MappedField
    crm_value: FieldValue
    erp_value: str
    crm_as_erp: str | None
    erp_as_crm: FieldValue
    erp_readable: bool
    crm_problem: str = ""
    erp_problem: str = ""

    @property
    def differ(self) -> bool:
        if self.erp_readable:
            return self.erp_as_crm != self.crm_value
        if self.crm_as_erp is not None:
            return self.crm_as_erp != normal_erp(self.erp_value, self.field.erp_type)
        return True

    @property
    def crm_may_win(self) -> bool:
        """May the CRM value be written into the ERP?"""
        return self.field.to_erp and self.crm_as_erp is not None

    @property
    def erp_may_win(self) -> bool:
        """May the ERP value be written into the CRM?"""
        return self.field.to_crm and self.erp_readable


def crm_as_erp(mapped: MappedField, crm_value: FieldValue) -> tuple[str | None, str]:
    """A CRM value in the ERP field's normalised wire form, or ``None`` and why it has none."""
    crm_field = mapped.crm_field
    try:
        text = crm_to_erp(crm_value, crm_field.kind, mapped.erp_type, mapped.list_to_erp)
    except Untranslatable as exc:
        return None, exc.args[0]
    except (ValueError, TypeError):
        return None, _(
            "a %(crm_kind)s value cannot be written to a %(erp_type)s field",
            crm_kind=crm_field.kind.value,
            erp_type=mapped.erp_type.value,
        )
    return normal_erp(text, mapped.erp_type), ""


def erp_as_crm(mapped: MappedField, erp_value: str) -> tuple[FieldValue, str]:
    """An ERP wire value as the CRM field's value, or ``None`` and why it cannot be read ("" when
    it can)."""
    crm_field = mapped.crm_field
    try:
        return coerce(
            crm_field, erp_to_crm(erp_value, mapped.erp_type, crm_field.kind, mapped.list_to_crm)
        ), ""
    except Untranslatable as exc:
        return None, exc.args[0]
    except ValueProblem as exc:
        return None, _("the value %(problem)s", problem=exc.args[0])
    except (ValueError, TypeError):
        return None, unreadable(erp_value, mapped.erp_type)


def sides_of(mapped: MappedField, crm_value: FieldValue, erp_value: str) -> Sides:
    crm_as, crm_problem = crm_as_erp(mapped, crm_value)
    erp_as, erp_problem = erp_as_crm(mapped, erp_value)
    return Sides(
        field=mapped,
        crm_value=crm_value,
        erp_value=erp_value,
        crm_as_erp=crm_as,
        erp_as_crm=erp_as,
        erp_readable=not erp_problem,
        crm_problem=crm_problem,
        erp_problem=erp_problem,
    )


def default_source(mapped: MappedField) -> Source:
    """Whose value a field takes when the user did not choose: a one-way field its source side, a
    two-way field the ERP's (the ERP is the system of record for what it already holds)."""
    return Source.erp if mapped.to_crm else Source.crm


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one mapped field on connect.

    ``base`` is the agreed value in ERP encoding (the link's base value), ``None`` when the field is
    skipped (``problem`` says why) and left for the engine to settle.
    """

    sides: Sides
    source: Source | None
    base: str | None
    problem: str = ""

    @property
    def write_to_crm(self) -> bool:
        return self.source is Source.erp and self.sides.differ and self.base is not None

    @property
    def write_to_erp(self) -> bool:
        return self.source is Source.crm and self.sides.differ and self.base is not None


def check_choice(sides: Sides, source: Source) -> str:
    """Why the user may not choose ``source`` for this field ("" when allowed)."""
    mapped = sides.field
    if source is Source.crm:
        if not mapped.to_erp:
            return _(
                "%(field)s is not synced from the CRM to the ERP, so the CRM value cannot win.",
                field=mapped.label,
            )
        if sides.crm_as_erp is None:
            return _(
                "%(field)s: the CRM value cannot be written to the ERP: %(problem)s.",
                field=mapped.label,
                problem=sides.crm_problem,
            )
    else:
        if not mapped.to_crm:
            return _(
                "%(field)s is not synced from the ERP to the CRM, so the ERP value cannot win.",
                field=mapped.label,
            )
        if not sides.erp_readable:
            return _(
                "%(field)s: the ERP value cannot be written to the CRM: %(problem)s.",
                field=mapped.label,
                problem=sides.erp_problem,
            )
    return ""


def decide(sides: Sides, chosen: Source | None) -> Decision:
    """The connect rule for one field: equal values stay; otherwise the chosen side wins, or, without
    a choice, :func:`default_source`. A chosen side must be allowed (:func:`check_choice`, checked
    by the caller first); a defaulted side that cannot be written is skipped."""
    mapped = sides.field
    erp_base = normal_erp(sides.erp_value, mapped.erp_type)
    if not sides.differ:
        return Decision(sides, None, erp_base)
    source = chosen or default_source(mapped)
    problem = check_choice(sides, source)
    if problem:
        return Decision(sides, source, None, problem)
    return Decision(sides, source, sides.crm_as_erp if source is Source.crm else erp_base)


@dataclass(frozen=True, slots=True)
class FieldValueView:
    """One row of the conflict dialog (the reference's ``ErpSyncFieldValue``)."""

    display_name: str
    crm_field_key: str
    erp_field_key: str
    value: str
    display_value: str
    sync_to_crm: bool
    sync_to_erp: bool


# --- asking the connector -------------------------------------------------------------------------


def fetch_actor(
    hub: Hub,
    session: Session,
    connection: ErpConnection,
    actor_type: str,
    erp_key: str,
    field_keys: Sequence[str],
) -> ErpActor:
    """``GetActors`` for one actor; :class:`NotFound` when the ERP does not have it."""
    client = hub.client_for(session, connection)
    request = call.get_actors(connection.guid, actor_type, [erp_key], list(dict.fromkeys(field_keys)))
    missing = NotFound(
        _(
            "%(connection)s has no %(type)s with the ErpKey %(key)r.",
            connection=connection.display_name,
            type=actor_type,
            key=erp_key,
        )
    )
    try:
        reply = connector_call("GetActors", lambda: client.send(request))
    except ConnectorFailed as exc:
        if exc.error_code == ErrorCode.ActorNotFound:
            raise missing from exc
        raise
    found = next((actor for actor in reply.actors if actor.erp_key == erp_key), None)
    if found is None:
        raise missing
    return found


#: Connector error codes that mean "these values are not acceptable", not "the connector failed".
_VALUE_REFUSALS = frozenset(
    {ErrorCode.InvalidValue, ErrorCode.MandatoryFieldMissing, ErrorCode.ReadOnlyField, ErrorCode.UnknownField}
)


def as_refused_values(exc: ConnectorFailed, member: str) -> HubError:
    """The ERP refusing the values it was sent is bad input (422) naming the ERP's reason; any other
    connector failure stays what it is (502)."""
    if exc.error_code not in _VALUE_REFUSALS:
        return exc
    reason = i18n.pick_explanation(exc.user_explanation) if exc.user_explanation else exc.message
    return InvalidInput(_("The ERP refused the values: %(reason)s", reason=reason), {member: reason})


def list_display_texts(
    hub: Hub, session: Session, connection: ErpConnection, wanted: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, str]]:
    """List name → item key → display text, with ONE ``GetListItems`` per list.

    A list the connector cannot resolve is shown by its keys rather than failing the whole view.
    """
    client = hub.client_for(session, connection)
    texts: dict[str, dict[str, str]] = {}
    for list_name, keys in wanted.items():
        unique = sorted({key for key in keys if key})
        if not list_name or not unique:
            continue
        request = call.get_list_items(connection.guid, list_name, unique)
        try:
            reply = connector_call("GetListItems", partial(client.send, request))
        except ConnectorFailed:
            continue
        texts[list_name] = {item.key: item.display_value or item.key for item in reply.list_items}
    return texts


def crm_item_names(session: Session, values: Iterable[FieldValue]) -> dict[int, str]:
    """CRM list item id → name, for the list values among ``values``."""
    ids = {value for value in values if isinstance(value, int) and not isinstance(value, bool)}
    return {item_id: item.name for item_id, item in list_items_by_id(session, ids).items()}


def check_erp_value(row: ErpField, value: str) -> str:
    """Why ``value`` is not a valid encoded value for the field ("" when it is)."""
    erp_type = erp_field_type(row) or FieldType.Text
    try:
        decode(value, erp_type)
    except ValueError_:
        return unreadable(value, erp_type)
    if erp_type in (FieldType.Text, FieldType.Password) and 0 < row.max_length < len(value):
        return _("is longer than %(max)s characters", max=row.max_length)
    return ""


def require_valid_erp_values(rows: Mapping[str, ErpField], values: Mapping[str, str], member: str) -> None:
    """Refuse (422) values that are not encoded for their field's type."""
    errors = {
        f"{member}.{key}": problem
        for key, value in values.items()
        if key in rows and (problem := check_erp_value(rows[key], value))
    }
    if errors:
        raise InvalidInput(_("Some values are not encoded for their field's type."), errors)
