"""Connecting a CRM record to an existing ERP actor, and disconnecting it (reference §3.2, §3.4).

``ConnectActor`` reads the actor (``GetActors``), decides each mapped field whose two values differ
(the user's choice per field, else :func:`~.field_values.default_source`), then in ONE write
transaction: writes the ERP's winning values into the CRM (origin = the connection, so the engine
does not echo them back), reads the actor again and saves the CRM's winning values with
``SaveActors`` (keeping its ErpKey and LastModified), binds the link with the actor's new
LastModified and the agreed values as base values, and logs every change. The transaction commits
only after the connector calls succeeded: a failure leaves nothing written in the CRM and nothing
linked. ``CreateActorLink`` binds without exchanging values; ``BreakActorLink`` removes the link
(and, for a company, its persons' links in the connection) without calling the connector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType, CrmEntity, fields_of
from erpsync.crm.errors import CrmValidationError, RecordNotFound
from erpsync.crm.store import Record, connection_origin
from erpsync.crm.texts import _
from erpsync.protocol import ErpActor, call

from .erp_tab import Permission, crm_record, usable_connection, usable_mapping
from .errors import ConnectorFailed, InvalidInput, NotFound, Refused
from .field_values import (
    Decision,
    FieldValueView,
    MappedField,
    Sides,
    Source,
    as_refused_values,
    check_choice,
    crm_display,
    crm_encoded,
    crm_item_names,
    decide,
    default_source,
    erp_display,
    fetch_actor,
    list_display_texts,
    mapped_fields,
    normal_erp,
    sides_of,
)
from .links import bind, link_of_record, require_parent_link, require_unlinked, unbind, write_transaction
from .models import ErpActorTypeMapping, ErpConnection, ErpLink
from .service import Hub, connector_call
from .synclog import LogEntry, write_log

__all__ = [
    "ConnectConflict",
    "ConnectOutcome",
    "FieldChoice",
    "break_actor_link",
    "connect_actor",
    "connect_conflicts",
    "create_actor_link",
    "field_values_from_crm",
    "field_values_from_erp",
    "resolve_choices",
]

_SOURCE = "connect"


@dataclass(frozen=True, slots=True)
class FieldChoice:
    """The user's pick for one field: by CRM field key or ERP field key (or both, agreeing)."""

    source: Source
    crm_field_key: str = ""
    erp_field_key: str = ""


@dataclass(frozen=True, slots=True)
class ConnectConflict:
    """A mapped field whose values differ, and which side may win."""

    view: FieldValueView
    crm_value: str
    crm_display_value: str
    erp_value: str
    erp_display_value: str
    can_choose_crm: bool
    can_choose_erp: bool
    default_source: Source


@dataclass(frozen=True, slots=True)
class ConnectOutcome:
    link: ErpLink
    changed_in_crm: list[str]
    changed_in_erp: list[str]
    warnings: list[str]


# --- the pairing every connect path starts from ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pairing:
    """A CRM record and an ERP actor about to be linked, with what linking them needs."""

    connection: ErpConnection
    mapping: ErpActorTypeMapping
    record: Record
    parent: ErpLink | None
    fields: list[MappedField]
    actor: ErpActor

    @property
    def entity(self) -> CrmEntity:
        return self.record.entity

    def entry(self, kind: str, **values: Any) -> LogEntry:
        return LogEntry(
            connection_id=self.connection.id,
            kind=kind,
            source=_SOURCE,
            crm_entity=self.entity.value,
            crm_record_id=self.record.id,
            erp_actor_type=self.actor.actor_type or self.mapping.erp_actor_type,
            erp_key=self.actor.erp_key,
            **values,
        )


def _pair(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    crm_record_id: int,
    crm_actor_type: CrmActorType,
    erp_key: str,
    erp_actor_type: str,
) -> _Pairing:
    """Check scope (CanConnect), the mapping, the record, that neither side is linked yet and the
    person's company is, then fetch the actor's mapped fields."""
    connection = usable_connection(session, connection_id, user_id, Permission.connect).connection
    mapping = usable_mapping(session, connection, erp_actor_type, crm_actor_type)
    record = crm_record(session, crm_actor_type, crm_record_id)
    require_unlinked(session, connection, record.entity, record.id, erp_actor_type, erp_key)
    parent = require_parent_link(session, connection, record) if record.entity is CrmEntity.person else None
    fields = mapped_fields(session, mapping)
    actor = fetch_actor(hub, session, connection, erp_actor_type, erp_key, [f.erp_key for f in fields])
    if (
        parent is not None
        and actor.parent_erp_key
        and ((actor.parent_actor_type, actor.parent_erp_key) != (parent.erp_actor_type, parent.erp_key))
    ):
        raise Refused(
            _(
                "The %(type)s %(key)r belongs to another %(parent)s than the one the person's company is "
                "linked to.",
                type=erp_actor_type,
                key=erp_key,
                parent=actor.parent_actor_type or _("parent"),
            ),
            [_("Pick a person of the company's own ERP actor (search by parent).")],
        )
    return _Pairing(connection, mapping, record, parent, fields, actor)


def _sides(pairing: _Pairing) -> list[Sides]:
    return [
        sides_of(f, pairing.record.values.get(f.crm_field.key), pairing.actor.field_values.get(f.erp_key, ""))
        for f in pairing.fields
    ]


def resolve_choices(fields: Sequence[MappedField], choices: Sequence[FieldChoice]) -> dict[str, Source]:
    """ERP field key → chosen source; :class:`InvalidInput` for a choice naming no mapped field or
    two choices contradicting each other."""
    chosen: dict[str, Source] = {}
    errors: dict[str, str] = {}
    for index, choice in enumerate(choices):
        matches = [
            f.erp_key
            for f in fields
            if (not choice.erp_field_key or f.erp_key == choice.erp_field_key)
            and (not choice.crm_field_key or f.crm_field.key == choice.crm_field_key)
        ]
        label = f"FieldValues.{index}"
        if not choice.erp_field_key and not choice.crm_field_key:
            errors[label] = _("name the field with CrmFieldKey or ErpFieldKey")
        elif not matches:
            errors[label] = _("is not a mapped field of this actor type")
        for key in matches:
            if chosen.setdefault(key, choice.source) is not choice.source:
                errors[label] = _("contradicts an earlier choice for %(key)s", key=key)
    if errors:
        raise InvalidInput(_("Some field choices cannot be used."), errors)
    return chosen


# --- the conflict dialog ---------------------------------------------------------------------------


def _view(mapped: MappedField, value: str, display_value: str) -> FieldValueView:
    return FieldValueView(
        display_name=mapped.label,
        crm_field_key=mapped.crm_field.key,
        erp_field_key=mapped.erp_key,
        value=value,
        display_value=display_value,
        sync_to_crm=mapped.to_crm,
        sync_to_erp=mapped.to_erp,
    )


def field_values_from_crm(
    session: Session,
    user_id: int,
    crm_actor_type: CrmActorType,
    crm_record_id: int,
    connection_id: int | None = None,
    erp_actor_type: str | None = None,
) -> list[FieldValueView]:
    """The record's values of the fields mapped for (connection, ERP actor type); without a
    connection, of every syncable CRM field (no ERP field, no direction)."""
    record = crm_record(session, crm_actor_type, crm_record_id)
    names = crm_item_names(session, record.values.values())
    if (connection_id is None) != (erp_actor_type is None):
        raise InvalidInput(
            _("Give both ErpConnectionId and ErpActorType, or neither."),
            {"ErpActorType" if connection_id is not None else "ErpConnectionId": _("is missing")},
        )
    if connection_id is not None and erp_actor_type is not None:
        connection = usable_connection(session, connection_id, user_id).connection
        mapping = usable_mapping(session, connection, erp_actor_type, crm_actor_type)
        return [
            _view(
                f,
                crm_encoded(record.values.get(f.crm_field.key), f.crm_field.kind),
                crm_display(record.values.get(f.crm_field.key), f.crm_field.kind, names),
            )
            for f in mapped_fields(session, mapping)
        ]
    return [
        FieldValueView(
            display_name=f.label,
            crm_field_key=f.key,
            erp_field_key="",
            value=crm_encoded(record.values.get(f.key), f.kind),
            display_value=crm_display(record.values.get(f.key), f.kind, names),
            sync_to_crm=False,
            sync_to_erp=False,
        )
        for f in fields_of(ENTITY_OF_ACTOR_TYPE[crm_actor_type])
        if f.syncable and not f.read_only
    ]


def _erp_texts(
    hub: Hub, session: Session, connection: ErpConnection, fields: Sequence[MappedField], actor: ErpActor
) -> dict[str, dict[str, str]]:
    """Display texts of the actor's list values among ``fields``: one GetListItems per list."""
    wanted: dict[str, list[str]] = {}
    for f in fields:
        if f.list_name:
            wanted.setdefault(f.list_name, []).append(actor.field_values.get(f.erp_key, ""))
    return list_display_texts(hub, session, connection, wanted)


def field_values_from_erp(
    hub: Hub, session: Session, user_id: int, connection_id: int, erp_actor_type: str, erp_key: str
) -> list[FieldValueView]:
    """An ERP actor's values of the mapped fields, fetched live (list values with display text)."""
    connection = usable_connection(session, connection_id, user_id, Permission.search).connection
    mapping = usable_mapping(session, connection, erp_actor_type)
    fields = mapped_fields(session, mapping)
    actor = fetch_actor(hub, session, connection, erp_actor_type, erp_key, [f.erp_key for f in fields])
    texts = _erp_texts(hub, session, connection, fields, actor)
    return [
        _view(
            f,
            actor.field_values.get(f.erp_key, ""),
            erp_display(actor.field_values.get(f.erp_key, ""), f.erp_type, texts.get(f.list_name)),
        )
        for f in fields
    ]


def connect_conflicts(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    crm_record_id: int,
    crm_actor_type: CrmActorType,
    erp_key: str,
    erp_actor_type: str,
) -> list[ConnectConflict]:
    """The mapped fields whose CRM and ERP values differ, with the sides that may win."""
    pairing = _pair(
        hub, session, user_id, connection_id, crm_record_id, crm_actor_type, erp_key, erp_actor_type
    )
    differing = [s for s in _sides(pairing) if s.differ]
    texts = _erp_texts(hub, session, pairing.connection, [s.field for s in differing], pairing.actor)
    names = crm_item_names(session, pairing.record.values.values())
    conflicts: list[ConnectConflict] = []
    for s in differing:
        f = s.field
        crm_text = crm_display(s.crm_value, f.crm_field.kind, names)
        erp_text = erp_display(s.erp_value, f.erp_type, texts.get(f.list_name))
        conflicts.append(
            ConnectConflict(
                view=_view(f, s.erp_value, erp_text),
                crm_value=crm_encoded(s.crm_value, f.crm_field.kind),
                crm_display_value=crm_text,
                erp_value=s.erp_value,
                erp_display_value=erp_text,
                can_choose_crm=s.crm_may_win,
                can_choose_erp=s.erp_may_win,
                default_source=default_source(f),
            )
        )
    return conflicts


# --- connect ---------------------------------------------------------------------------------------


def _decisions(pairing: _Pairing, choices: Sequence[FieldChoice]) -> list[Decision]:
    chosen = resolve_choices(pairing.fields, choices)
    sides = _sides(pairing)
    refused = {
        f"FieldValues.{s.field.erp_key}": problem
        for s in sides
        if s.differ and s.field.erp_key in chosen and (problem := check_choice(s, chosen[s.field.erp_key]))
    }
    if refused:
        raise InvalidInput(_("Some chosen values cannot be written."), refused)
    return [decide(s, chosen.get(s.field.erp_key)) for s in sides]


def _write_crm(session: Session, pairing: _Pairing, decisions: Sequence[Decision]) -> list[str]:
    """Write the ERP's winning values into the CRM; the changed CRM field keys."""
    values = {d.sides.field.crm_field.key: d.sides.erp_as_crm for d in decisions if d.write_to_crm}
    if not values:
        return []
    origin = connection_origin(pairing.connection.id)
    try:
        return store.update(session, pairing.entity, pairing.record.id, values, origin)
    except RecordNotFound as exc:
        raise NotFound(exc.message) from exc
    except CrmValidationError as exc:
        raise InvalidInput(
            _("The CRM refused some ERP values: %(problem)s", problem=exc.text), exc.errors
        ) from exc


def save_actor(hub: Hub, session: Session, connection: ErpConnection, actor: ErpActor) -> ErpActor:
    """``SaveActors`` for one actor; the saved actor (with its new LastModified)."""
    client = hub.client_for(session, connection)
    try:
        reply = connector_call("SaveActors", partial(client.send, call.save_actors(connection.guid, [actor])))
        for result in reply.actor_results or []:
            if result.failed:
                text = result.user_explanation or result.error_code or _("refused")
                raise ConnectorFailed(
                    _("SaveActors failed: %(reason)s", reason=text),
                    result.user_explanation,
                    result.error_code,
                )
    except ConnectorFailed as exc:
        raise as_refused_values(exc, "FieldValues") from exc
    saved = next((a for a in reply.actors if a.erp_key == actor.erp_key and a.last_modified), None)
    if saved is None:  # a connector that does not send the saved actor back: read it
        saved = fetch_actor(
            hub, session, connection, actor.actor_type, actor.erp_key, list(actor.field_values)
        )
    return saved


def _save_erp(hub: Hub, session: Session, pairing: _Pairing, decisions: Sequence[Decision]) -> ErpActor:
    """Save the CRM's winning values (and a person's parent) into the ERP; the actor as it now is."""
    values = {d.sides.field.erp_key: d.base or "" for d in decisions if d.write_to_erp}
    actor, parent = pairing.actor, pairing.parent
    adopt_parent = parent is not None and not actor.parent_erp_key
    if not values and not adopt_parent:
        return actor
    # Read it again just before saving: SaveActors sends back the LastModified it was read with.
    fresh = fetch_actor(hub, session, pairing.connection, actor.actor_type, actor.erp_key, list(values))
    changed = fresh.model_copy(
        update={
            "field_values": values,
            "parent_actor_type": parent.erp_actor_type if parent else fresh.parent_actor_type,
            "parent_erp_key": parent.erp_key if parent else fresh.parent_erp_key,
        }
    )
    return save_actor(hub, session, pairing.connection, changed)


def _change_log(
    session: Session, pairing: _Pairing, decisions: Sequence[Decision], crm_changed: Sequence[str]
) -> list[LogEntry]:
    names = crm_item_names(
        session, [*pairing.record.values.values(), *(d.sides.erp_as_crm for d in decisions if d.write_to_crm)]
    )
    entries: list[LogEntry] = []
    for d in decisions:
        f = d.sides.field
        keys = {"erp_field_key": f.erp_key, "crm_field_key": f.crm_field.key}
        if d.write_to_crm and f.crm_field.key in crm_changed:
            old = crm_display(d.sides.crm_value, f.crm_field.kind, names)
            new = crm_display(d.sides.erp_as_crm, f.crm_field.kind, names)
            entries.append(pairing.entry("change", target_is_crm=True, old_value=old, new_value=new, **keys))
        elif d.write_to_erp:
            entries.append(
                pairing.entry(
                    "change", target_is_crm=False, old_value=d.sides.erp_value, new_value=d.base, **keys
                )
            )
        elif d.problem:
            entries.append(pairing.entry("warning", message=d.problem, **keys))
    return entries


def connect_actor(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    crm_record_id: int,
    crm_actor_type: CrmActorType,
    erp_key: str,
    erp_actor_type: str,
    choices: Sequence[FieldChoice] = (),
) -> ConnectOutcome:
    """Link a record to an existing actor, making their mapped fields agree first (module docstring).

    Ends the session's read transaction and commits its own write transaction.
    """
    pairing = _pair(
        hub, session, user_id, connection_id, crm_record_id, crm_actor_type, erp_key, erp_actor_type
    )
    decisions = _decisions(pairing, choices)
    with write_transaction(session):
        crm_changed = _write_crm(session, pairing, decisions)
        saved = _save_erp(hub, session, pairing, decisions)
        base = {d.sides.field.erp_key: d.base for d in decisions if d.base is not None}
        link = bind(
            session,
            pairing.connection,
            pairing.entity,
            pairing.record.id,
            erp_actor_type,
            erp_key,
            saved.last_modified,
            base,
        )
        entries = _change_log(session, pairing, decisions, crm_changed)
        entries.append(
            pairing.entry(
                "link", message=_("Connected to %(type)s %(key)s.", type=erp_actor_type, key=erp_key)
            )
        )
        write_log(session, entries)
    return ConnectOutcome(
        link=link,
        changed_in_crm=list(crm_changed),
        changed_in_erp=[d.sides.field.erp_key for d in decisions if d.write_to_erp],
        warnings=[d.problem for d in decisions if d.problem],
    )


def create_actor_link(
    hub: Hub,
    session: Session,
    user_id: int,
    connection_id: int,
    crm_record_id: int,
    crm_actor_type: CrmActorType,
    erp_key: str,
    erp_actor_type: str,
) -> ErpLink:
    """A bare link: no values exchanged; the base values are the actor's current ERP values, so the
    engine's next cycle sees every CRM difference as a CRM change."""
    pairing = _pair(
        hub, session, user_id, connection_id, crm_record_id, crm_actor_type, erp_key, erp_actor_type
    )
    base = {
        f.erp_key: normal_erp(pairing.actor.field_values.get(f.erp_key, ""), f.erp_type)
        for f in pairing.fields
    }
    with write_transaction(session):
        link = bind(
            session,
            pairing.connection,
            pairing.entity,
            pairing.record.id,
            erp_actor_type,
            erp_key,
            pairing.actor.last_modified,
            base,
        )
        write_log(
            session,
            [
                pairing.entry(
                    "link",
                    message=_(
                        "Linked to %(type)s %(key)s (no values exchanged).", type=erp_actor_type, key=erp_key
                    ),
                )
            ],
        )
    return link


# --- disconnect ------------------------------------------------------------------------------------


def _persons_of(session: Session, company_id: int) -> list[int]:
    ids: list[int] = []
    offset = 0
    while True:
        page = store.search(
            session,
            CrmEntity.person,
            filters={"company_id": company_id},
            offset=offset,
            limit=store.MAX_PAGE_SIZE,
        )
        ids.extend(record.id for record in page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return ids


def _person_links(session: Session, connection_id: int, company_id: int) -> list[ErpLink]:
    person_ids = _persons_of(session, company_id)
    links: list[ErpLink] = []
    for start in range(0, len(person_ids), 500):
        query = select(ErpLink).where(
            ErpLink.connection_id == connection_id,
            ErpLink.crm_entity == CrmEntity.person.value,
            ErpLink.crm_record_id.in_(person_ids[start : start + 500]),
        )
        links.extend(session.scalars(query))
    return links


def _unlink_entry(link: ErpLink, message: str) -> LogEntry:
    return LogEntry(
        connection_id=link.connection_id,
        kind="unlink",
        source=_SOURCE,
        crm_entity=link.crm_entity,
        crm_record_id=link.crm_record_id,
        erp_actor_type=link.erp_actor_type,
        erp_key=link.erp_key,
        message=message,
    )


def break_actor_link(
    session: Session, user_id: int, connection_id: int, crm_record_id: int, crm_actor_type: CrmActorType
) -> bool:
    """Remove the record's link in the connection; False when it had none. The connector is not
    called and nothing is deleted in the ERP. A company's persons lose their links in the connection
    too, since a person is linked only under a linked company."""
    with write_transaction(session):
        connection = usable_connection(session, connection_id, user_id, Permission.connect).connection
        entity = ENTITY_OF_ACTOR_TYPE[crm_actor_type]
        link = link_of_record(session, connection.id, entity, crm_record_id)
        if link is None:
            return False
        entries: list[LogEntry] = []
        if entity is CrmEntity.company:
            for person_link in _person_links(session, connection.id, crm_record_id):
                entries.append(_unlink_entry(person_link, _("Disconnected with its company.")))
                unbind(session, person_link)
        entries.append(
            _unlink_entry(
                link, _("Disconnected from %(type)s %(key)s.", type=link.erp_actor_type, key=link.erp_key)
            )
        )
        unbind(session, link)
        write_log(session, entries)
    return True
