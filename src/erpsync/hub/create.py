"""Creating a new ERP actor from a CRM record, and linking the two (reference §3.3, §2.7).

The actor is built from, in rising precedence: the administrator's default values
(``HasFirstSyncDefaultValue``), the record's values of the fields mapped towards the ERP (blank
ones are left to the ERP's own defaults; an untranslatable one is left out with a warning), and the
values the user typed for the prompted fields. Every mandatory field (the administrator's or the
connector's) must then have a value — checked, with every empty field named, before the connector
is called. ``CreateActor`` runs outside any database transaction; then, in one write transaction,
the link is bound with the returned ErpKey, LastModified and values, values the ERP returned
differently for fields synced towards the CRM (an account number it assigned, a normalised name)
are written into the CRM, and everything is logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.catalogue import CrmActorType, CrmEntity
from erpsync.crm.errors import CrmValidationError
from erpsync.crm.store import Record, connection_origin
from erpsync.crm.texts import _, joined
from erpsync.crm.values import FieldValue
from erpsync.protocol import ErpActor, FieldAccess, FieldMetadata, FieldType, call

from .conversion import Untranslatable, crm_to_erp, is_blank, problem_text
from .erp_tab import Permission, crm_record, usable_connection, usable_mapping
from .errors import ConnectorFailed, InvalidInput, Refused
from .field_values import (
    MASKED,
    MappedField,
    as_refused_values,
    crm_display,
    crm_item_names,
    erp_field_type,
    erp_fields_of,
    field_metadata,
    mapped_fields,
    normal_erp,
    require_valid_erp_values,
    sides_of,
)
from .links import bind, require_parent_link, require_unlinked, write_transaction
from .models import ErpActorTypeMapping, ErpConnection, ErpField, ErpLink
from .service import Hub, connector_call
from .synclog import LogEntry, write_log

__all__ = [
    "CreateOutcome",
    "NewActor",
    "build_new_actor",
    "create_erp_actor_from_crm",
    "fields_for_new_erp_actor",
    "is_mandatory",
    "is_prompted",
]

_SOURCE = "create"


def _writable(row: ErpField) -> bool:
    return erp_field_type(row) not in (None, FieldType.Label) and row.access != FieldAccess.ReadOnly.value


def is_mandatory(row: ErpField) -> bool:
    """Mandatory by the administrator's choice or by the connector's declaration."""
    return _writable(row) and (row.mandatory or row.access == FieldAccess.Mandatory.value)


def is_prompted(row: ErpField, filled_from_crm: bool) -> bool:
    """Asked in the Create dialog: prompted or made mandatory by the administrator, or mandatory for
    the connector and not filled from a mapped CRM field (the user has nowhere else to give it)."""
    if not _writable(row):
        return False
    connector_mandatory = row.access == FieldAccess.Mandatory.value
    return row.prompt_user or row.mandatory or (connector_mandatory and not filled_from_crm)


def _to_erp_keys(fields: Sequence[MappedField]) -> set[str]:
    return {f.erp_key for f in fields if f.to_erp}


def fields_for_new_erp_actor(
    session: Session, user_id: int, connection_id: int, erp_actor_type: str
) -> list[FieldMetadata]:
    """The Create dialog's fields, in rank order: pre-filled with the administrator's default
    (else the connector's), ``Access`` = Mandatory when a value is required."""
    connection = usable_connection(session, connection_id, user_id, Permission.create).connection
    mapping = usable_mapping(session, connection, erp_actor_type)
    filled = _to_erp_keys(mapped_fields(session, mapping))
    return [
        _dialog_field(row)
        for row in erp_fields_of(session, mapping.id)
        if is_prompted(row, row.erp_field_key in filled)
    ]


def _dialog_field(row: ErpField) -> FieldMetadata:
    default = row.first_sync_default_value if row.has_first_sync_default_value else row.default_value
    if erp_field_type(row) is FieldType.Password:
        default = ""  # a password never leaves the hub, not even as a default
    meta = field_metadata(row, default_value=default)
    return meta.model_copy(
        update={"access": FieldAccess.Mandatory if is_mandatory(row) else FieldAccess.Normal}
    )


@dataclass(frozen=True, slots=True)
class NewActor:
    """The values for ``CreateActor`` and why some mapped values were left out."""

    field_values: dict[str, str]
    from_crm: dict[str, str]
    warnings: dict[str, str]


def build_new_actor(
    rows: Sequence[ErpField],
    fields: Sequence[MappedField],
    record: Record,
    user_values: Mapping[str, str],
) -> NewActor:
    """Defaults, then mapped CRM values, then the user's values; :class:`InvalidInput` for a value
    the user may not give or a mandatory field left empty. Plain data in, plain data out."""
    filled = _to_erp_keys(fields)
    prompted = {row.erp_field_key for row in rows if is_prompted(row, row.erp_field_key in filled)}
    not_asked = {
        f"ErpFieldKeyValues.{key}": _("is not one of the fields asked for when creating this actor")
        for key in user_values
        if key not in prompted
    }
    if not_asked:
        raise InvalidInput(_("Some values are for fields the Create dialog does not ask for."), not_asked)
    require_valid_erp_values({row.erp_field_key: row for row in rows}, user_values, "ErpFieldKeyValues")
    values = {
        row.erp_field_key: row.first_sync_default_value
        for row in rows
        if row.has_first_sync_default_value and row.first_sync_default_value and _writable(row)
    }
    from_crm: dict[str, str] = {}
    warnings: dict[str, str] = {}
    for f in fields:
        value = record.values.get(f.crm_field.key)
        if not f.to_erp or is_blank(value):
            continue
        try:
            from_crm[f.erp_key] = normal_erp(
                crm_to_erp(value, f.crm_field.kind, f.erp_type, f.list_to_erp), f.erp_type
            )
        except (Untranslatable, ValueError) as exc:
            warnings[f.erp_key] = _(
                "%(field)s was left out: %(problem)s.", field=f.label, problem=problem_text(exc)
            )
    values.update(from_crm)
    for key, value in user_values.items():
        if value:
            values[key] = value
        else:
            values.pop(key, None)  # the user emptied a pre-filled value
    empty = {
        f"ErpFieldKeyValues.{row.erp_field_key}": row.display_name or row.erp_field_key
        for row in rows
        if is_mandatory(row) and not values.get(row.erp_field_key)
    }
    if empty:
        names = ", ".join(empty.values())
        raise InvalidInput(
            _("Fill in the mandatory fields: %(fields)s.", fields=names),
            {key: _("%(field)s is mandatory", field=name) for key, name in empty.items()},
        )
    return NewActor(values, from_crm, warnings)


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    link: ErpLink
    actor: ErpActor
    changed_in_crm: list[str]
    warnings: list[str]


@dataclass(frozen=True, slots=True)
class _Plan:
    connection: ErpConnection
    mapping: ErpActorTypeMapping
    record: Record
    rows: list[ErpField]
    fields: list[MappedField]
    new: NewActor
    actor: ErpActor

    def entry(self, kind: str, erp_key: str, **values: Any) -> LogEntry:
        return LogEntry(
            connection_id=self.connection.id,
            kind=kind,
            source=_SOURCE,
            crm_entity=self.record.entity.value,
            crm_record_id=self.record.id,
            erp_actor_type=self.mapping.erp_actor_type,
            erp_key=erp_key,
            **values,
        )


def _plan(
    session: Session,
    user_id: int,
    connection_id: int,
    crm_entity_id: int,
    erp_actor_type: str,
    crm_actor_type: CrmActorType,
    user_values: Mapping[str, str],
) -> _Plan:
    connection = usable_connection(session, connection_id, user_id, Permission.create).connection
    mapping = usable_mapping(session, connection, erp_actor_type, crm_actor_type)
    record = crm_record(session, crm_actor_type, crm_entity_id)
    require_unlinked(session, connection, record.entity, record.id)
    parent = require_parent_link(session, connection, record) if record.entity is CrmEntity.person else None
    rows = erp_fields_of(session, mapping.id)
    fields = mapped_fields(session, mapping)
    new = build_new_actor(rows, fields, record, user_values)
    actor = ErpActor(
        actor_type=erp_actor_type,
        parent_actor_type=parent.erp_actor_type if parent else "",
        parent_erp_key=parent.erp_key if parent else "",
        field_values=new.field_values,
    )
    return _Plan(connection, mapping, record, rows, fields, new, actor)


def _create(hub: Hub, session: Session, plan: _Plan) -> ErpActor:
    client = hub.client_for(session, plan.connection)
    request = call.create_actor(plan.connection.guid, plan.actor)
    try:
        reply = connector_call("CreateActor", partial(client.send, request))
    except ConnectorFailed as exc:
        raise as_refused_values(exc, "ErpFieldKeyValues") from exc
    created = reply.actor
    if created is None or not created.erp_key or not created.last_modified:
        raise ConnectorFailed(
            _("CreateActor failed: the connector did not return the new actor's ErpKey and LastModified.")
        )
    return created


def _write_back(
    session: Session, plan: _Plan, created: ErpActor
) -> tuple[dict[str, str], list[str], list[LogEntry]]:
    """Base values from what the ERP returned, and the ERP's differing values of fields synced
    towards the CRM written there. A value the CRM refuses is left out of the base with a warning."""
    base: dict[str, str] = {}
    crm_values: dict[str, FieldValue] = {}
    entries: list[LogEntry] = []

    def warn(f: MappedField, message: str) -> None:
        base.pop(f.erp_key, None)
        entries.append(
            plan.entry(
                "warning",
                created.erp_key,
                erp_field_key=f.erp_key,
                crm_field_key=f.crm_field.key,
                message=message,
            )
        )

    for f in plan.fields:
        returned = created.field_values.get(f.erp_key, plan.new.field_values.get(f.erp_key))
        if returned is None or f.erp_key in plan.new.warnings:
            continue  # a CRM value that could not be sent is not overwritten by the ERP's default
        base[f.erp_key] = normal_erp(returned, f.erp_type)
        sides = sides_of(f, plan.record.values.get(f.crm_field.key), returned)
        if sides.differ and f.to_crm:
            if sides.erp_may_win:
                crm_values[f.crm_field.key] = sides.erp_as_crm
            else:
                warn(
                    f,
                    _(
                        "%(field)s was not written to the CRM: %(problem)s.",
                        field=f.label,
                        problem=sides.erp_problem,
                    ),
                )
    if not crm_values:
        return base, [], entries
    origin = connection_origin(plan.connection.id)
    try:
        changed = store.update(session, plan.record.entity, plan.record.id, crm_values, origin)
    except CrmValidationError as exc:  # e.g. a list item deleted meanwhile: keep the rest
        for f in plan.fields:
            if f.crm_field.key in exc.errors:
                problem = exc.errors[f.crm_field.key]
                warn(
                    f, _("%(field)s was not written to the CRM: %(problem)s.", field=f.label, problem=problem)
                )
        crm_values = {key: value for key, value in crm_values.items() if key not in exc.errors}
        changed = (
            store.update(session, plan.record.entity, plan.record.id, crm_values, origin)
            if crm_values
            else []
        )
    names = crm_item_names(session, [*plan.record.values.values(), *crm_values.values()])
    for f in plan.fields:
        if f.crm_field.key in changed and f.crm_field.key in crm_values:
            old = crm_display(plan.record.values.get(f.crm_field.key), f.crm_field.kind, names)
            new = crm_display(crm_values[f.crm_field.key], f.crm_field.kind, names)
            keys = {"erp_field_key": f.erp_key, "crm_field_key": f.crm_field.key}
            entries.append(
                plan.entry(
                    "change", created.erp_key, target_is_crm=True, old_value=old, new_value=new, **keys
                )
            )
    return base, list(changed), entries


def _sent_log(plan: _Plan, created: ErpActor) -> list[LogEntry]:
    """One entry per value the new actor was created with (Password values masked)."""
    rows = {row.erp_field_key: row for row in plan.rows}
    crm_keys = {f.erp_key: f.crm_field.key for f in plan.fields}
    entries = []
    for key, value in plan.new.field_values.items():
        secret = key in rows and erp_field_type(rows[key]) is FieldType.Password
        keys = {"erp_field_key": key, "crm_field_key": crm_keys.get(key, "")}
        new = MASKED if secret else value
        entries.append(plan.entry("change", created.erp_key, target_is_crm=False, new_value=new, **keys))
    entries.extend(
        plan.entry("warning", created.erp_key, erp_field_key=key, message=text)
        for key, text in plan.new.warnings.items()
    )
    return entries


def create_erp_actor_from_crm(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    crm_entity_id: int,
    erp_actor_type: str,
    crm_actor_type: CrmActorType,
    user_values: Mapping[str, str],
) -> CreateOutcome:
    """Create the ERP actor of a CRM record and link them (module docstring).

    Ends the session's read transaction and commits its own write transaction.
    """
    plan = _plan(session, user_id, connection_id, crm_entity_id, erp_actor_type, crm_actor_type, user_values)
    session.commit()  # nothing written yet; no lock or snapshot held while the ERP creates the actor
    created = _create(hub, session, plan)
    try:
        with write_transaction(session):
            base, changed, entries = _write_back(session, plan, created)
            link = bind(
                session,
                plan.connection,
                plan.record.entity,
                plan.record.id,
                erp_actor_type,
                created.erp_key,
                created.last_modified,
                base,
            )
            write_log(
                session,
                [
                    *_sent_log(plan, created),
                    *entries,
                    plan.entry(
                        "link",
                        created.erp_key,
                        message=_("Created %(type)s %(key)s.", type=erp_actor_type, key=created.erp_key),
                    ),
                ],
            )
    except Refused as exc:
        created_only = _(
            "The new %(type)s %(key)r was created in the ERP but not linked.",
            type=erp_actor_type,
            key=created.erp_key,
        )
        raise Refused(
            joined(" ", (exc.message, created_only)),
            [
                *exc.reasons,
                _(
                    "Connect the record to %(type)s %(key)s instead.",
                    type=erp_actor_type,
                    key=created.erp_key,
                ),
            ],
        ) from exc
    return CreateOutcome(link, created, changed, list(plan.new.warnings.values()))
