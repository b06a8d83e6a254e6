"""Reconciling a batch of links against their actors: read, ask the ERP, write.

Every unit of the cycle (pull, push, retry, resync, sync now) ends here with pairs of a link and
the actor as the ERP now has it. The batch runs in three phases so that no database write lock is
held while a connector answers:

1. **read** the CRM records (plain session) and decide every link (:mod:`.reconcile`);
2. **save** the CRM's winning values in the ERP (``SaveActors``, outside any transaction);
3. **write** in one transaction: the CRM values (origin = the connection, so they are not echoed
   back), the links' new base and ``LastModified``, the sync log, dead letters, and whatever the
   unit commits with them (watermark, cursor, counters).

A record that changed in the CRM between 1 and 3 is not overwritten: its CRM writes are dropped and
the link is queued for an immediate retry, which decides again from fresh values. An actor the
ERP refuses (per-actor result, or a one-actor batch refused as the actor's fault) becomes a dead
letter; a connection-level failure raises :class:`ConnectionFailure` and nothing of the batch is
committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.bulk import update_rows
from erpsync.crm.catalogue import CrmEntity, FieldKind
from erpsync.crm.db import begin_write, id_in, utcnow
from erpsync.crm.errors import CrmValidationError, RecordNotFound
from erpsync.crm.journal import connection_origin
from erpsync.crm.models import Company, Person, Project
from erpsync.crm.store import Record
from erpsync.crm.texts import _, in_every_language
from erpsync.hub.field_values import crm_display, crm_item_names, erp_display
from erpsync.hub.models import ErpLink
from erpsync.hub.service import Hub, connector_problem
from erpsync.hub.synclog import LogEntry, write_log
from erpsync.i18n import lazy_gettext
from erpsync.protocol import ConnectorError, ErpActor, FailureKind, call
from erpsync.protocol.errors import ConnectorReplyError
from erpsync.protocol.timestamps import latest

from .merge import Side
from .models import SyncDeadLetter
from .plan import ConnectionPlan, TypePlan
from .reconcile import Mode, Resolution, conflict_winner, resolve

__all__ = [
    "BatchOutcome",
    "ConnectionFailure",
    "LinkRef",
    "Pair",
    "backoff",
    "dead_letter",
    "reconcile_batches",
    "reconcile_pairs",
    "select_links",
]

#: Actors per SaveActors call.
SAVE_CHUNK = 1000
_IN_CHUNK = 500
_RETRY_NOW = lazy_gettext("Changed in the CRM while it was being synced; decided again from fresh values.")


class ConnectionFailure(Exception):
    """The connection as a whole failed (connector down, timeout, 5xx, malformed or error reply):
    the cycle of this connection stops, keeping its watermarks."""


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A link as plain data."""

    id: int
    entity: CrmEntity
    record_id: int
    erp_actor_type: str
    erp_key: str
    last_modified: str
    base: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Pair:
    link: LinkRef
    actor: ErpActor


@dataclass(slots=True)
class BatchOutcome:
    #: Links reconciled and committed (with or without writes).
    reconciled: int = 0
    #: Links where a value was written on either side.
    changed: int = 0
    #: Link id → reason, for links that went to the dead letters.
    failed: dict[int, str] = field(default_factory=dict)


_ENTITIES = {entity.value: entity for entity in CrmEntity}  # a dict lookup beats Enum() per row

_LINK_COLUMNS = (
    ErpLink.id,
    ErpLink.crm_entity,
    ErpLink.crm_record_id,
    ErpLink.erp_actor_type,
    ErpLink.erp_key,
    ErpLink.last_modified,
    ErpLink.base_values,
)


def select_links(session: Session, *conditions: ColumnElement[bool], order: bool = False) -> list[LinkRef]:
    """Links matching the conditions, read as plain rows (no ORM objects: thousands per page)."""
    query = select(*_LINK_COLUMNS).where(*conditions)
    if order:
        query = query.order_by(ErpLink.id)
    return [
        LinkRef(
            id=row[0],
            entity=_ENTITIES[row[1]],
            record_id=row[2],
            erp_actor_type=row[3],
            erp_key=row[4],
            last_modified=row[5],
            base=dict(row[6] or {}),
        )
        for row in session.execute(query)
    ]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def dead_letter(
    session: Session,
    plan: ConnectionPlan,
    link: LinkRef,
    reason: str,
    direction: str = "both",
    retry_now: bool = False,
) -> None:
    """Add a link to the dead letters, or count one more failed attempt of one already there."""
    row = session.scalar(
        select(SyncDeadLetter).where(
            SyncDeadLetter.connection_id == plan.id,
            SyncDeadLetter.erp_actor_type == link.erp_actor_type,
            SyncDeadLetter.erp_key == link.erp_key,
        )
    )
    now = utcnow()
    if row is None:
        row = SyncDeadLetter(
            connection_id=plan.id,
            crm_entity=link.entity.value,
            crm_record_id=link.record_id,
            erp_actor_type=link.erp_actor_type,
            erp_key=link.erp_key,
            attempts=0,
        )
        session.add(row)
    row.direction = direction
    row.reason = in_every_language(reason)[:2000]
    if not retry_now:
        row.attempts = (row.attempts or 0) + 1
    row.next_attempt_at = now if retry_now else now + backoff(row.attempts)
    session.flush()


# --- the three phases ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Decided:
    pair: Pair
    record: Record
    resolution: Resolution
    #: The record's ``updated_at`` when read: a different one at write time means it changed since.
    updated_at: datetime | None = None
    parent: tuple[str, str] | None = None
    saved_last_modified: str = ""
    failure: str = ""
    #: ``failure`` says why the record was left out this time, not why it failed.
    skipped: bool = False


_MODELS: dict[CrmEntity, type[Company] | type[Person] | type[Project]] = {
    CrmEntity.company: Company,
    CrmEntity.person: Person,
    CrmEntity.project: Project,
}


def _updated_at(
    session: Session, entity: CrmEntity, ids: Sequence[int], lock: bool = False
) -> dict[int, datetime]:
    """Record id → ``updated_at``. With ``lock`` on PostgreSQL the rows stay locked until the commit
    (SQLite's writer transaction already excludes every other writer)."""
    model = _MODELS[entity]
    lock = lock and session.get_bind().dialect.name == "postgresql"
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        found.update(
            (row[0], row[1])
            for row in session.execute(
                select(model.id, model.updated_at).where(id_in(model.id, chunk)).with_for_update()
                if lock
                else select(model.id, model.updated_at).where(id_in(model.id, chunk))
            )
        )
    return found


def _parents(session: Session, plan: ConnectionPlan, company_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Company id → (actor type, ERP key) of its link in the connection."""
    found: dict[int, tuple[str, str]] = {}
    wanted = sorted(company_ids)
    for start in range(0, len(wanted), _IN_CHUNK):
        rows = session.execute(
            select(ErpLink.crm_record_id, ErpLink.erp_actor_type, ErpLink.erp_key).where(
                ErpLink.connection_id == plan.id,
                ErpLink.crm_entity == CrmEntity.company.value,
                id_in(ErpLink.crm_record_id, wanted[start : start + _IN_CHUNK]),
            )
        )
        found.update((record_id, (actor_type, key)) for record_id, actor_type, key in rows)
    return found


def _decide(
    session: Session, plan: ConnectionPlan, tp: TypePlan, pairs: Sequence[Pair], mode: Mode, no_blank: bool
) -> list[_Decided]:
    ids = sorted({p.link.record_id for p in pairs})
    records = store.get_many(session, tp.entity, ids)
    updated = _updated_at(session, tp.entity, ids)
    decided: list[_Decided] = []
    for pair in pairs:
        record = records.get(pair.link.record_id)
        if record is None:  # deleted in the CRM: the journal's delete entry removes the link
            continue

        def winner(actor: ErpActor = pair.actor, record_id: int = record.id) -> Side:
            return conflict_winner(
                plan.conflict_policy, actor.last_modified, updated.get(record_id), plan.crm_first
            )

        resolution = resolve(
            tp.fields, pair.link.base, record.values, pair.actor.field_values, winner, no_blank, mode
        )
        decided.append(_Decided(pair, record, resolution, updated.get(record.id)))
    if tp.entity is CrmEntity.person:
        _attach_parents(session, plan, decided)
    return decided


def _attach_parents(session: Session, plan: ConnectionPlan, decided: list[_Decided]) -> None:
    """A person is saved under its company's actor; without a linked company it is not saved."""
    company_ids = {d.record.values.get("company_id") for d in decided if d.resolution.erp_values}
    parents = _parents(session, plan, {each for each in company_ids if isinstance(each, int)})
    for d in decided:
        if not d.resolution.erp_values:
            continue
        company_id = d.record.values.get("company_id")
        parent = parents.get(company_id) if isinstance(company_id, int) else None
        if parent is None:
            for key in d.resolution.erp_values:
                d.resolution.base.pop(key, None)
                if key in d.pair.link.base:
                    d.resolution.base[key] = d.pair.link.base[key]
            d.resolution.changes = [c for c in d.resolution.changes if c.target_is_crm]
            d.resolution.erp_values = {}
            d.failure = _("Skipped: the person's company is not linked in this connection")
            d.skipped = True
        else:
            d.parent = parent


def _send_save(hub: Hub, plan: ConnectionPlan, actors: list[ErpActor]) -> list[tuple[ErpActor | None, str]]:
    """SaveActors for a chunk: per actor, the saved actor or the reason it was refused."""
    client = hub.clients.for_url(plan.url)
    try:
        reply = client.send(call.save_actors(plan.guid, actors))
    except ConnectorReplyError as exc:
        if exc.failure_kind is FailureKind.actor and len(actors) > 1:
            # The batch was refused for one actor's sake: save them one by one to find which.
            return [each for actor in actors for each in _send_save(hub, plan, [actor])]
        if exc.failure_kind is FailureKind.actor:
            return [(None, connector_problem(exc))]
        raise ConnectionFailure(_("SaveActors failed: %(reason)s", reason=connector_problem(exc))) from exc
    except ConnectorError as exc:
        raise ConnectionFailure(_("SaveActors failed: %(reason)s", reason=connector_problem(exc))) from exc
    if reply.actor_results is not None:
        if len(reply.actor_results) != len(actors):
            raise ConnectionFailure(
                _("SaveActors answered with a different number of results than actors sent.")
            )
        results: list[tuple[ErpActor | None, str]] = []
        for result in reply.actor_results:
            if result.failed:
                reason = (
                    result.user_explanation or result.tech_explanation or result.error_code or _("refused")
                )
                results.append((None, _("The ERP refused the values: %(reason)s", reason=reason)))
            else:
                results.append((result.actor, ""))
        return results
    # Without per-actor results, an actor is saved only when the reply sends it back: one that is
    # missing may or may not be saved, so it is retried, which reads the ERP afresh.
    saved = {a.erp_key: a for a in reply.actors}
    return [
        (saved[actor.erp_key], "")
        if actor.erp_key in saved
        else (None, _("The ERP did not confirm saving this actor; it will be checked again."))
        for actor in actors
    ]


def _save(hub: Hub, plan: ConnectionPlan, tp: TypePlan, decided: list[_Decided]) -> None:
    to_save = [d for d in decided if d.resolution.erp_values]
    for start in range(0, len(to_save), SAVE_CHUNK):
        chunk = to_save[start : start + SAVE_CHUNK]
        actors = [
            ErpActor(
                actor_type=tp.erp_actor_type,
                erp_key=d.pair.link.erp_key,
                last_modified=d.pair.actor.last_modified,
                parent_actor_type=d.parent[0] if d.parent else "",
                parent_erp_key=d.parent[1] if d.parent else "",
                field_values=d.resolution.erp_values,
            )
            for d in chunk
        ]
        for d, (saved, reason) in zip(chunk, _send_save(hub, plan, actors), strict=True):
            if reason:
                d.failure = reason
            elif saved is not None:
                d.saved_last_modified = saved.last_modified


def _log_entries(
    session: Session, plan: ConnectionPlan, tp: TypePlan, d: _Decided, source: str, names: Mapping[int, str]
) -> list[LogEntry]:
    link = d.pair.link
    common: dict[str, Any] = {
        "connection_id": plan.id,
        "source": source,
        "crm_entity": link.entity.value,
        "crm_record_id": link.record_id,
        "erp_actor_type": link.erp_actor_type,
        "erp_key": link.erp_key,
    }
    entries: list[LogEntry] = []
    for change in d.resolution.changes:
        f = change.field
        keys: dict[str, Any] = {"erp_field_key": f.erp_key, "crm_field_key": f.crm_field.key}
        if change.target_is_crm:
            old = crm_display(change.old_value, f.crm_field.kind, names)
            new = crm_display(change.new_value, f.crm_field.kind, names)
        else:
            old = erp_display(str(change.old_value or ""), f.erp_type)
            new = erp_display(str(change.new_value or ""), f.erp_type)
        entries.append(
            LogEntry(
                kind="change",
                target_is_crm=change.target_is_crm,
                old_value=old,
                new_value=new,
                **keys,
                **common,
            )
        )
        if change.conflict:
            if change.target_is_crm:
                losing = crm_display(change.losing_value, f.crm_field.kind, names)
                message: str = _(
                    "Both sides changed %(field)s; the ERP's value won (policy %(policy)s).",
                    field=f.label,
                    policy=plan.conflict_policy,
                )
            else:
                losing = erp_display(str(change.losing_value or ""), f.erp_type)
                message = _(
                    "Both sides changed %(field)s; the CRM's value won (policy %(policy)s).",
                    field=f.label,
                    policy=plan.conflict_policy,
                )
            entries.append(
                LogEntry(
                    kind="conflict",
                    target_is_crm=change.target_is_crm,
                    old_value=losing,
                    new_value=new,
                    message=message,
                    **keys,
                    **common,
                )
            )
    for f, message in d.resolution.warnings:
        keys = {"erp_field_key": f.erp_key, "crm_field_key": f.crm_field.key}
        entries.append(LogEntry(kind="warning", message=message, **keys, **common))
    return entries


def _write_crm(session: Session, plan: ConnectionPlan, tp: TypePlan, decided: list[_Decided]) -> None:
    """The CRM values, in bulk; a record the CRM refuses is dead-lettered alone."""
    changes = {
        d.record.id: d.resolution.crm_values for d in decided if d.resolution.crm_values and not d.failure
    }
    if not changes:
        return
    origin = connection_origin(plan.id)
    try:
        with session.begin_nested():
            # Unchanged since they were read (checked above): no need to read them again.
            current = {d.record.id: d.record for d in decided if d.record.id in changes}
            store.update_many(session, tp.entity, changes, origin, current=current)
        return
    except (CrmValidationError, RecordNotFound):
        pass
    for d in decided:
        if not d.resolution.crm_values or d.failure:
            continue
        try:
            with session.begin_nested():
                store.update(session, tp.entity, d.record.id, d.resolution.crm_values, origin)
        except (CrmValidationError, RecordNotFound) as exc:
            problem = exc.text if isinstance(exc, CrmValidationError) else exc.message
            d.failure = _("The CRM refused the values: %(problem)s", problem=problem)


def _write(
    hub: Hub,
    plan: ConnectionPlan,
    tp: TypePlan,
    decided: list[_Decided],
    source: str,
    outcome: BatchOutcome,
    extra_write: Callable[[Session, BatchOutcome], None] | None,
) -> None:
    with hub.sessions() as session:
        begin_write(session)
        # Records that changed since phase 1 are decided again later, from fresh values.
        writing_ids = [d.record.id for d in decided if d.resolution.crm_values]
        current = _updated_at(session, tp.entity, writing_ids, lock=True)
        raced: set[int] = set()
        for d in decided:
            changed_since = d.updated_at is None or current.get(d.record.id) != d.updated_at
            if d.resolution.crm_values and not d.failure and changed_since:
                raced.add(d.pair.link.id)
                d.resolution.crm_values = {}
                for change in d.resolution.changes:
                    if change.target_is_crm:
                        key = change.field.erp_key
                        if key in d.pair.link.base:
                            d.resolution.base[key] = d.pair.link.base[key]
                        else:
                            d.resolution.base.pop(key, None)
                d.resolution.changes = [c for c in d.resolution.changes if not c.target_is_crm]
        _write_crm(session, plan, tp, decided)
        names = crm_item_names(
            session,
            [
                value
                for d in decided
                for c in d.resolution.changes
                if c.target_is_crm and c.field.crm_field.kind is FieldKind.list
                for value in (c.old_value, c.new_value, c.losing_value)
            ],
        )
        link_updates: list[dict[str, Any]] = []
        entries: list[LogEntry] = []
        resolved: list[LinkRef] = []
        for d in decided:
            link = d.pair.link
            if d.failure and not d.skipped:
                outcome.failed[link.id] = d.failure
                dead_letter(session, plan, link, d.failure)
                entries.append(
                    LogEntry(
                        connection_id=plan.id,
                        kind="error",
                        crm_entity=link.entity.value,
                        crm_record_id=link.record_id,
                        erp_actor_type=link.erp_actor_type,
                        erp_key=link.erp_key,
                        message=d.failure,
                    )
                )
                continue
            if d.failure:  # skipped (e.g. a person under an unlinked company): logged, not failed
                entries.append(
                    LogEntry(
                        connection_id=plan.id,
                        kind="warning",
                        crm_entity=link.entity.value,
                        crm_record_id=link.record_id,
                        erp_actor_type=link.erp_actor_type,
                        erp_key=link.erp_key,
                        message=d.failure,
                    )
                )
            last_modified = latest(link.last_modified, d.pair.actor.last_modified, d.saved_last_modified)
            if d.resolution.base != dict(link.base) or last_modified != link.last_modified:
                link_updates.append(
                    {"id": link.id, "base_values": d.resolution.base, "last_modified": last_modified}
                )
            entries.extend(_log_entries(session, plan, tp, d, source, names))
            outcome.reconciled += 1
            if d.resolution.changes:
                outcome.changed += 1
            if link.id in raced:
                dead_letter(session, plan, link, _(_RETRY_NOW), retry_now=True)
            else:
                resolved.append(link)
        update_rows(session, cast(Table, ErpLink.__table__), link_updates)
        _clear_dead_letters(session, plan, resolved)
        write_log(session, entries)
        if extra_write is not None:
            extra_write(session, outcome)
        session.commit()


def _clear_dead_letters(session: Session, plan: ConnectionPlan, links: list[LinkRef]) -> None:
    """Links reconciled without failure leave the dead letters."""
    if (
        not links
        or session.scalar(select(SyncDeadLetter.id).where(SyncDeadLetter.connection_id == plan.id).limit(1))
        is None
    ):
        return
    by_type: dict[str, list[str]] = {}
    for link in links:
        by_type.setdefault(link.erp_actor_type, []).append(link.erp_key)
    for actor_type, keys in by_type.items():
        for start in range(0, len(keys), _IN_CHUNK):
            session.execute(
                delete(SyncDeadLetter).where(
                    SyncDeadLetter.connection_id == plan.id,
                    SyncDeadLetter.erp_actor_type == actor_type,
                    SyncDeadLetter.erp_key.in_(keys[start : start + _IN_CHUNK]),
                )
            )


def reconcile_pairs(
    hub: Hub,
    plan: ConnectionPlan,
    tp: TypePlan,
    pairs: Sequence[Pair],
    mode: Mode = Mode.sync,
    source: str = "engine",
    no_blank_values: bool | None = None,
    extra_write: Callable[[Session, BatchOutcome], None] | None = None,
) -> BatchOutcome:
    """Reconcile links with their actors (module docstring); ``extra_write`` runs in the final
    transaction, so what the caller records there commits with the data."""
    return reconcile_batches(hub, plan, tp, [pairs], mode, source, no_blank_values, extra_write)


def reconcile_batches(
    hub: Hub,
    plan: ConnectionPlan,
    tp: TypePlan,
    batches: Iterable[Sequence[Pair]],
    mode: Mode = Mode.sync,
    source: str = "engine",
    no_blank_values: bool | None = None,
    extra_write: Callable[[Session, BatchOutcome], None] | None = None,
) -> BatchOutcome:
    """:func:`reconcile_pairs` for a stream of batches, pipelined: while the ERP saves one batch,
    the previous batch is written here, so the connector's work and ours overlap. Batches hold
    different links (and so different records); each is written in its own transaction, the last
    one with ``extra_write``. A connection failure stops the stream: batches written stay written,
    which the caller's progress (committed only with the last batch) tolerates, since reconciling
    a link again changes nothing more.
    """
    outcome = BatchOutcome()
    no_blank = plan.no_blank_values if no_blank_values is None else no_blank_values
    pending: tuple[list[_Decided], Future[None]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="erpsync-save") as pool:
        try:
            for pairs in batches:
                if not pairs:
                    continue
                with hub.sessions() as session:
                    decided = _decide(session, plan, tp, pairs, mode, no_blank)
                saving = pool.submit(_save, hub, plan, tp, decided)
                if pending is not None:
                    pending[1].result()
                    _write(hub, plan, tp, pending[0], source, outcome, None)
                pending = (decided, saving)
            if pending is not None:
                pending[1].result()
                _write(hub, plan, tp, pending[0], source, outcome, extra_write)
            elif extra_write is not None:
                with hub.sessions() as session:
                    begin_write(session)
                    extra_write(session, outcome)
                    session.commit()
        finally:
            if pending is not None and not pending[1].done():
                pending[1].cancel()
    return outcome
