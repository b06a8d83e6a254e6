"""Import from ERP (reference §2.11) as plain rules over plain data.

The administrator's settings (duplicate match field and action), how one ERP actor's values
become CRM values, which CRM record it duplicates, what its row does (new / update / no change /
skip / error), the base values of its link and its sync log entries. Nothing here reads the
database or asks a connector: :mod:`.importing` does that, a page at a time, and hands the rows
found there to these functions.

Values: ``FieldValue`` is the CRM's Python value, ERP values are wire-encoded text. A value that
cannot be read or has no CRM counterpart (an unmapped list item, a deleted CRM list item, too long)
skips that field with a warning; the rest of the actor is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

from erpsync.crm.catalogue import CrmEntity, FieldKind, fields_of
from erpsync.crm.texts import _, every_language, in_every_language, joined, noun
from erpsync.crm.values import FieldValue, ValueProblem, coerce, is_record_id
from erpsync.hub.conversion import Untranslatable, crm_to_erp, erp_to_crm, is_blank, problem_text, unreadable
from erpsync.hub.field_values import MappedField, crm_display, normal_erp
from erpsync.hub.synclog import LogEntry
from erpsync.i18n import lazy_gettext
from erpsync.protocol import ErpActor, FieldType
from erpsync.protocol.codec import ValueError_, parse_lenient

__all__ = [
    "MATCH_KEYS",
    "DuplicateAction",
    "FieldChange",
    "FieldProblem",
    "FieldRules",
    "ImportRow",
    "ImportSettings",
    "LogRow",
    "Match",
    "MatchField",
    "MatchKey",
    "ReadActor",
    "RowAction",
    "base_values",
    "count_actions",
    "display_name",
    "log_entries",
    "log_rows",
    "match_fields_of",
    "match_key",
    "plan_row",
    "read_actor",
    "record_key",
    "required_crm_fields",
]


class MatchField(StrEnum):
    """Which CRM field(s) tell that an ERP actor is already in the CRM (reference §2.11 step 5)."""

    name = "name"
    name_department = "name_department"
    number = "number"
    code = "code"
    vat_no = "vat_no"
    email = "email"
    mobile = "mobile"
    #: The CRM record id, read from an ERP field (``ImportSettings.id_field``).
    id = "id"
    none = "none"


class DuplicateAction(StrEnum):
    """What happens to an actor that matches a CRM record."""

    #: Add always: never look for duplicates, create a new record.
    add = "add"
    #: Merge: fill the CRM record's empty fields, keep the rest.
    merge = "merge"
    #: Replace: overwrite the CRM record's mapped fields with the ERP's values ("Replace - overwrite
    #: existing"; the member is not called ``replace``, which would hide ``str.replace``).
    overwrite = "replace"
    #: Skip: leave the duplicate alone and do not link it.
    skip = "skip"


class RowAction(StrEnum):
    new = "new"
    update = "update"
    no_change = "no_change"
    skip = "skip"
    error = "error"


#: The CRM field keys each match field compares, per entity (``id`` compares the record id itself).
#: Every field the reference lists for companies and contacts exists in the catalogue.
MATCH_KEYS: Mapping[CrmEntity, Mapping[MatchField, tuple[str, ...]]] = {
    CrmEntity.company: {
        MatchField.name: ("name",),
        MatchField.name_department: ("name", "department"),
        MatchField.number: ("number",),
        MatchField.code: ("code",),
        MatchField.vat_no: ("vat_no",),
        MatchField.id: (),
        MatchField.none: (),
    },
    CrmEntity.person: {
        MatchField.name: ("first_name", "last_name"),
        MatchField.email: ("email",),
        MatchField.mobile: ("phone_mobile",),
        MatchField.number: ("number",),
        MatchField.id: (),
        MatchField.none: (),
    },
    CrmEntity.project: {
        MatchField.name: ("name",),
        MatchField.number: ("number",),
        MatchField.id: (),
        MatchField.none: (),
    },
}

# Enum members looked up once: attribute access on an enum class is slow in the per-field loops.
_TEXT, _CHECKBOX = FieldKind.text, FieldKind.checkbox
_NEW = RowAction.new
#: ERP field types whose wire text is its own canonical form.
_PLAIN_TYPES = frozenset({FieldType.Text, FieldType.List, FieldType.Password, FieldType.Label})
#: ERP field keys that name an actor, for the preview's display name.
_NAME_KEYS = ("NAME", "FIRSTNAME", "LASTNAME")
_NAME_CRM_KEYS = ("name", "first_name", "last_name")

MatchKey = tuple[Any, ...]


def match_fields_of(entity: CrmEntity) -> list[MatchField]:
    return list(MATCH_KEYS[entity])


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """The administrator's import settings.

    Persons whose company is not linked in the connection are always skipped (reference §1.3: a
    person is linked only under a linked company), so there is no setting for them.
    """

    match: MatchField = MatchField.name
    action: DuplicateAction = DuplicateAction.merge
    #: For ``match = id``: the ERP field whose value is the CRM record id.
    id_field: str = ""

    @property
    def matching(self) -> bool:
        """Whether duplicates are looked for at all."""
        return self.action is not DuplicateAction.add and self.match is not MatchField.none


class FieldProblem(NamedTuple):
    """A field left out of the import, and why."""

    erp_field_key: str
    crm_field_key: str
    message: str


class FieldChange(NamedTuple):
    """A CRM field the import writes, with both values as people read them (a named tuple: an
    import makes several per actor)."""

    crm_field_key: str
    erp_field_key: str
    label: str
    old_value: str
    new_value: str


@dataclass(frozen=True, slots=True)
class ImportRow:
    """What importing one ERP actor does.

    ``values`` are the CRM values to create (``new``) or write (``update``); ``base_values`` the
    link's base values, for every row that gets a link (new, update, no_change).
    """

    erp_key: str
    display_name: str
    action: RowAction
    crm_record_id: int | None = None
    reason: str = ""
    changes: tuple[FieldChange, ...] = ()
    warnings: tuple[FieldProblem, ...] = ()
    values: Mapping[str, FieldValue] = field(default_factory=dict)
    base_values: Mapping[str, str] = field(default_factory=dict)
    last_modified: str = ""

    @property
    def links(self) -> bool:
        return self.action in (RowAction.new, RowAction.update, RowAction.no_change)


@dataclass(frozen=True, slots=True)
class _Reader:
    """How one mapped field is read, prepared once per import (the per-actor loop is hot)."""

    field: MappedField
    crm_key: str
    convert: Callable[[str], tuple[FieldValue, str]]
    #: The ERP's text is already in canonical form (``normal_erp`` would return it unchanged).
    plain: bool


@dataclass(frozen=True)
class FieldRules:
    """What reading actors of one actor type mapping needs, worked out once per import."""

    entity: CrmEntity
    fields: tuple[MappedField, ...]
    #: CRM list items that may be written: live items of the right list.
    usable_items: frozenset[int] = frozenset()
    #: CRM list item id → name, for display.
    item_names: Mapping[int, str] = field(default_factory=dict)
    no_blank_values: bool = False
    #: CRM field key → (ERP field key, CRM kind, CRM label) of the field synced into it.
    written_by: Mapping[str, tuple[str, FieldKind, str]] = field(init=False)
    readers: tuple[_Reader, ...] = field(init=False)
    #: (key, label) of the CRM fields a new record needs from the ERP.
    required: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        written_by: dict[str, tuple[str, FieldKind, str]] = {}
        for f in self.fields:
            if f.to_crm:
                written_by.setdefault(f.crm_field.key, (f.erp_key, f.crm_field.kind, f.crm_field.label))
        readers = tuple(
            _Reader(f, f.crm_field.key, _converter(f, self.usable_items), f.erp_type in _PLAIN_TYPES)
            for f in self.fields
        )
        object.__setattr__(self, "written_by", written_by)
        object.__setattr__(self, "readers", readers)
        required = tuple(
            (f.key, f.label) for f in fields_of(self.entity) if f.key in required_crm_fields(self.entity)
        )
        object.__setattr__(self, "required", required)


@dataclass(slots=True)
class ReadActor:
    """One ERP actor read for import.

    ``values``: the CRM values of the fields synced into the CRM that the actor reported readably;
    ``as_crm``: the CRM form of every mapped field it reported readably (either direction; used to
    find duplicates and to tell equal values); ``problems``: the synced-to-CRM fields left out.
    """

    actor: ErpActor
    values: dict[str, FieldValue]
    as_crm: dict[str, FieldValue]
    problems: list[FieldProblem]


@dataclass(frozen=True, slots=True)
class Match:
    """The duplicate found for an actor: a CRM record (its values), or why it cannot be used."""

    record_id: int | None = None
    record_values: Mapping[str, FieldValue] | None = None
    error: str = ""


# --- reading an actor ------------------------------------------------------------------------------


def _crm_value(f: MappedField, text: str, usable_items: Collection[int]) -> tuple[FieldValue, str]:
    """The CRM value of one ERP value, or "" and the reason it has none."""
    crm_field = f.crm_field
    try:
        value = coerce(crm_field, erp_to_crm(text, f.erp_type, crm_field.kind, f.list_to_crm))
    except Untranslatable as exc:
        return None, problem_text(exc)
    except ValueProblem as exc:
        return None, _("the value %(problem)s", problem=problem_text(exc))
    except (ValueError, TypeError):
        return None, unreadable(text, f.erp_type)
    if crm_field.kind is FieldKind.list and value is not None and value not in usable_items:
        return None, _(
            "the CRM list item %(item)s is deleted or not in the %(list)s list",
            item=value,
            list=crm_field.list_name,
        )
    return value, ""


def _converter(f: MappedField, usable_items: Collection[int]) -> Callable[[str], tuple[FieldValue, str]]:
    """:func:`_crm_value` for one field, with a short cut for the common values (plain text into a
    text field, a mapped list item) that gives the same answer without decoding."""
    crm_field = f.crm_field
    if f.erp_type is FieldType.Text and crm_field.kind is FieldKind.text:
        limit = crm_field.max_length or 0

        def text(value: str) -> tuple[FieldValue, str]:
            if value and "\x00" not in value and (not limit or len(value) <= limit):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    pass
                else:
                    return value, ""
            return _crm_value(f, value, usable_items)

        return text
    if f.erp_type is FieldType.List and crm_field.kind is FieldKind.list:
        items = {key: item for key, item in f.list_to_crm.items() if item in usable_items}

        def listed(value: str) -> tuple[FieldValue, str]:
            item = items.get(value)
            return (item, "") if item is not None else _crm_value(f, value, usable_items)

        return listed
    return lambda value: _crm_value(f, value, usable_items)


def read_actor(rules: FieldRules, actor: ErpActor) -> ReadActor:
    """The actor's values in CRM form; fields it did not report are left out (not emptied)."""
    values: dict[str, FieldValue] = {}
    as_crm: dict[str, FieldValue] = {}
    problems: list[FieldProblem] = []
    reported = actor.field_values
    for reader in rules.readers:
        text = reported.get(reader.field.erp_key)
        if text is None:
            continue
        key = reader.crm_key
        value, problem = reader.convert(text)
        if problem:
            f = reader.field
            if f.to_crm and key not in values:
                problems.append(FieldProblem(f.erp_key, key, joined(": ", (f.label, problem))))
            continue
        if key not in as_crm:
            as_crm[key] = value
        if reader.field.to_crm and key not in values:
            values[key] = value
    return ReadActor(actor, values, as_crm, problems)


def display_name(read: ReadActor) -> str:
    """The actor's name as the preview shows it: its name fields, else its ErpKey."""
    reported = read.actor.field_values
    parts = [reported[key] for key in _NAME_KEYS if reported.get(key)]
    if not parts:
        parts = [str(read.as_crm[key]) for key in _NAME_CRM_KEYS if read.as_crm.get(key)]
    return " ".join(parts) or read.actor.erp_key


# --- duplicates ------------------------------------------------------------------------------------


def _id_of(text: str) -> int | None:
    try:
        value = parse_lenient(text, FieldType.Integer)
    except ValueError_:
        return None
    return value if isinstance(value, int) and is_record_id(value) else None


def match_key(settings: ImportSettings, entity: CrmEntity, read: ReadActor) -> MatchKey | None:
    """What the actor is matched by; ``None`` when it cannot match anything (blank key).

    Values are compared exactly as the CRM stores them (no case folding), so that both databases
    find the same duplicates with their indexes.
    """
    if not settings.matching:
        return None
    if settings.match is MatchField.id:
        record_id = _id_of(read.actor.field_values.get(settings.id_field, ""))
        return None if record_id is None else (record_id,)
    key = tuple(read.as_crm.get(crm_key) for crm_key in MATCH_KEYS[entity][settings.match])
    return None if all(is_blank(part) for part in key) else key


def record_key(
    settings: ImportSettings, entity: CrmEntity, record_id: int, values: Mapping[str, Any]
) -> MatchKey:
    """A CRM record's key in the form :func:`match_key` gives an actor's."""
    if settings.match is MatchField.id:
        return (record_id,)
    return tuple(values.get(crm_key) for crm_key in MATCH_KEYS[entity][settings.match])


# --- planning a row --------------------------------------------------------------------------------


def _display(rules: FieldRules, value: FieldValue, kind: FieldKind) -> str:
    if kind is _TEXT:  # the common case, without the general function's dispatch
        return "" if value is None else str(value)
    return crm_display(value, kind, rules.item_names)


def _change(rules: FieldRules, crm_key: str, old: FieldValue, new: FieldValue) -> FieldChange:
    erp_key, kind, label = rules.written_by[crm_key]
    old_text = "" if old is None and kind is not _CHECKBOX else _display(rules, old, kind)
    return FieldChange(crm_key, erp_key, label, old_text, _display(rules, new, kind))


def _created(rules: FieldRules, values: Mapping[str, FieldValue]) -> tuple[FieldChange, ...]:
    """The changes of a new record: every value set (:func:`_change`, unrolled: it runs per field
    of every imported actor)."""
    changes = []
    for key, value in values.items():
        if value is None:
            continue
        erp_key, kind, label = rules.written_by[key]
        shown = value if kind is _TEXT else _display(rules, value, kind)
        changes.append(FieldChange(key, erp_key, label, "", str(shown)))
    return tuple(changes)


def base_values(rules: FieldRules, read: ReadActor, crm_after: Mapping[str, FieldValue]) -> dict[str, str]:
    """The link's base value of every mapped field the actor reported: the value the CRM holds after
    the import, in ERP form. Where that equals the ERP's value, the ERP's own text (normalised) is
    taken, so the first cycle sees no change; where the CRM kept a different value (merge, a field
    synced only to the ERP, a value that could not be imported) it is the CRM's value converted, and
    a CRM value with no ERP form leaves the field without a base."""
    base: dict[str, str] = {}
    reported = read.actor.field_values
    as_crm = read.as_crm
    for reader in rules.readers:
        f = reader.field
        text = reported.get(f.erp_key)
        if text is None or f.erp_key in base:
            continue
        key = reader.crm_key
        crm_value = crm_after.get(key)
        if key in as_crm and as_crm[key] == crm_value:
            base[f.erp_key] = text if reader.plain else normal_erp(text, f.erp_type)
            continue
        try:
            base[f.erp_key] = normal_erp(
                crm_to_erp(crm_value, f.crm_field.kind, f.erp_type, f.list_to_erp), f.erp_type
            )
        except (Untranslatable, ValueError, TypeError):
            continue
    return base


def _missing_required(rules: FieldRules, read: ReadActor) -> str:
    """Why a new record cannot be made from the actor ("" when it can)."""
    for key, label in rules.required:
        if is_blank(read.values.get(key)):
            problem = next((p.message for p in read.problems if p.crm_field_key == key), "")
            if problem:
                return _(
                    "%(field)s is empty (%(problem)s); the CRM requires it", field=label, problem=problem
                )
            return _("%(field)s is empty; the CRM requires it", field=label)
    return ""


def _to_write(
    settings: ImportSettings,
    rules: FieldRules,
    values: Mapping[str, FieldValue],
    record: Mapping[str, FieldValue],
) -> dict[str, FieldValue]:
    if settings.action is DuplicateAction.merge:
        return {k: v for k, v in values.items() if is_blank(record.get(k)) and not is_blank(v)}
    return {
        k: v
        for k, v in values.items()
        if v != record.get(k) and not (rules.no_blank_values and is_blank(v) and not is_blank(record.get(k)))
    }


def plan_row(
    settings: ImportSettings,
    rules: FieldRules,
    read: ReadActor,
    match: Match,
    extra_values: Mapping[str, FieldValue] | None = None,
) -> ImportRow:
    """What importing the actor does, given the duplicate found for it (if any).

    ``extra_values`` are set on a new record besides the mapped fields (a person's company).
    """
    actor = read.actor
    name = display_name(read)
    common: dict[str, Any] = {"erp_key": actor.erp_key, "display_name": name}
    if match.error:
        return ImportRow(**common, action=RowAction.error, crm_record_id=match.record_id, reason=match.error)
    if match.record_id is None or match.record_values is None:
        missing = _missing_required(rules, read)
        if missing:
            return ImportRow(**common, action=RowAction.error, reason=missing)
        values = {**read.values, **(extra_values or {})}
        return ImportRow(
            **common,
            action=RowAction.new,
            changes=_created(rules, read.values),
            warnings=tuple(read.problems),
            values=values,
            base_values=base_values(rules, read, values),
            last_modified=actor.last_modified,
        )
    record = match.record_values
    if settings.action is DuplicateAction.skip:
        return ImportRow(
            **common,
            action=RowAction.skip,
            crm_record_id=match.record_id,
            reason=_("duplicate of %(kind)s %(id)s", kind=noun(rules.entity.value), id=match.record_id),
        )
    written = _to_write(settings, rules, read.values, record)
    changes = tuple(_change(rules, key, record.get(key), value) for key, value in written.items())
    return ImportRow(
        **common,
        action=RowAction.update if written else RowAction.no_change,
        crm_record_id=match.record_id,
        changes=changes,
        warnings=tuple(read.problems),
        values=written,
        base_values=base_values(rules, read, {**record, **written}),
        last_modified=actor.last_modified,
    )


# --- the sync log ----------------------------------------------------------------------------------


#: A sync log entry as a tuple, in the order of ``LogEntry``'s fields: connection_id, kind, source,
#: crm_entity, crm_record_id, erp_actor_type, erp_key, erp_field_key, crm_field_key, target_is_crm,
#: old_value, new_value, message.
LogRow = tuple[int, str, str, str, int, str, str, str, str, bool | None, str, str, str]


def log_rows(
    row: ImportRow,
    record_id: int,
    connection_id: int,
    entity: CrmEntity,
    actor_type: str,
    source: str,
) -> list[LogRow]:
    """A ``link`` entry, a ``change`` entry per CRM field written and a ``warning`` per field left
    out, for a row that was imported as ``record_id`` (tuples: an import makes several per actor)."""
    head = (connection_id,)
    tail = (source, entity.value, record_id, actor_type, row.erp_key)
    link = _link_message(row.action is _NEW)(type=actor_type, key=row.erp_key)
    rows: list[LogRow] = [(*head, "link", *tail, "", "", None, "", "", link)]
    rows.extend(
        (*head, "change", *tail, c.erp_field_key, c.crm_field_key, True, c.old_value, c.new_value, "")
        for c in row.changes
    )
    rows.extend(
        (
            *head,
            "warning",
            *tail,
            p.erp_field_key,
            p.crm_field_key,
            None,
            "",
            "",
            in_every_language(p.message),
        )
        for p in row.warnings
    )
    return rows


@cache
def _link_message(created: bool) -> Callable[..., str]:
    """The link entry's message, kept in every language (a maker: an import writes one per actor)."""
    if created:
        return every_language(lazy_gettext("Created from %(type)s %(key)s by import."))
    return every_language(lazy_gettext("Linked to %(type)s %(key)s by import."))


def log_entries(
    row: ImportRow,
    record_id: int,
    connection_id: int,
    entity: CrmEntity,
    actor_type: str,
    source: str,
) -> list[LogEntry]:
    """:func:`log_rows` as ``LogEntry`` objects, for ``hub.synclog.write_log``."""
    return [
        LogEntry(*values) for values in log_rows(row, record_id, connection_id, entity, actor_type, source)
    ]


def count_actions(rows: Iterable[ImportRow]) -> dict[RowAction, int]:
    counts = dict.fromkeys(RowAction, 0)
    for row in rows:
        counts[row.action] += 1
    return counts


def required_crm_fields(entity: CrmEntity) -> Sequence[str]:
    """CRM fields a new record needs from the ERP (a person's company comes from its parent)."""
    return [f.key for f in fields_of(entity) if f.required and f.references is None]
