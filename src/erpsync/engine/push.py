"""CRM → ERP and the units that reconcile chosen links: ``push``, ``retry``, ``resync``, ``record``.

The push reads the change journal after the connection's cursor, up to where it stood when the
cycle began; entries that came from this connection are not sent back to it; a CRM delete removes
the record's link here. Retries take the dead letters that are due; resync and *Sync now* take the
links they are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import begin_write, id_in, utcnow
from erpsync.crm.journal import JournalOperation, connection_origin, journal_after
from erpsync.crm.models import JournalRow
from erpsync.crm.texts import _
from erpsync.hub.models import ErpConnection, ErpLink
from erpsync.hub.service import Hub
from erpsync.hub.synclog import LogEntry, write_log

from .batch import LinkRef, select_links
from .models import SyncCursor, SyncCycle, SyncDeadLetter
from .pages import CycleContext, active_links, count, links_of_records, reconcile_links
from .plan import ConnectionPlan
from .reconcile import Mode

__all__ = ["push_page", "record_page", "resync_page", "retry_page"]

PUSH_PAGE = 5000
RETRY_PAGE = 200
RESYNC_PAGE = 500


def journal_cursor(session: Session, plan: ConnectionPlan) -> SyncCursor:
    """The connection's journal cursor; a new one starts where the journal stood when the
    connection was made (nothing before it can concern its links)."""
    row = session.get(SyncCursor, plan.id)
    if row is None:
        connection = session.get(ErpConnection, plan.id)
        created = connection.created_at if connection is not None else utcnow()
        start = session.scalar(select(func.max(JournalRow.seq)).where(JournalRow.created_at < created)) or 0
        row = SyncCursor(connection_id=plan.id, journal_seq=start)
        session.add(row)
        session.flush()
    return row


def push_page(hub: Hub, cycle: CycleContext, plan: ConnectionPlan) -> bool:
    origin = connection_origin(plan.id)
    with hub.sessions() as session:
        cursor = session.scalar(select(SyncCursor.journal_seq).where(SyncCursor.connection_id == plan.id))
        if cursor is None:
            session.rollback()
            begin_write(session)
            cursor = journal_cursor(session, plan).journal_seq
            session.commit()
        entries = [e for e in journal_after(session, cursor, PUSH_PAGE) if e.seq <= cycle.journal_upto]
        if not entries:
            return True
        changed: dict[CrmEntity, set[int]] = {}
        deleted: dict[CrmEntity, set[int]] = {}
        for entry in entries:
            if entry.operation is JournalOperation.delete:
                deleted.setdefault(entry.entity, set()).add(entry.record_id)
                changed.get(entry.entity, set()).discard(entry.record_id)
            elif entry.origin != origin:
                changed.setdefault(entry.entity, set()).add(entry.record_id)
        links: list[LinkRef] = []
        for entity, ids in changed.items():
            if plan.types_of(entity):
                links.extend(
                    links_of_records(session, plan, entity, sorted(ids - deleted.get(entity, set())))
                )
        gone = [
            ref
            for entity, ids in deleted.items()
            for ref in links_of_records(session, plan, entity, sorted(ids), active_only=False)
        ]
    outcome = reconcile_links(hub, cycle, plan, links)
    with hub.sessions() as session:
        begin_write(session)
        _unlink_deleted(session, plan, gone)
        row = journal_cursor(session, plan)
        row.journal_seq = max(row.journal_seq, entries[-1].seq)
        count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
        session.commit()
    return len(entries) < PUSH_PAGE or entries[-1].seq >= cycle.journal_upto


def _unlink_deleted(session: Session, plan: ConnectionPlan, gone: Sequence[LinkRef]) -> None:
    """Deleting a CRM record removes its link (the ERP is never deleted from)."""
    if not gone:
        return
    session.execute(delete(ErpLink).where(ErpLink.id.in_([ref.id for ref in gone])))
    for ref in gone:
        session.execute(
            delete(SyncDeadLetter).where(
                SyncDeadLetter.connection_id == plan.id,
                SyncDeadLetter.erp_actor_type == ref.erp_actor_type,
                SyncDeadLetter.erp_key == ref.erp_key,
            )
        )
    write_log(
        session,
        [
            LogEntry(
                connection_id=plan.id,
                kind="unlink",
                crm_entity=ref.entity.value,
                crm_record_id=ref.record_id,
                erp_actor_type=ref.erp_actor_type,
                erp_key=ref.erp_key,
                message=_("The CRM record was deleted; its link is removed and the ERP actor kept."),
            )
            for ref in gone
        ],
    )


def retry_page(hub: Hub, cycle: CycleContext, plan: ConnectionPlan) -> bool:
    with hub.sessions() as session:
        due = list(
            session.scalars(
                select(SyncDeadLetter)
                .where(SyncDeadLetter.connection_id == plan.id, SyncDeadLetter.next_attempt_at <= utcnow())
                .order_by(SyncDeadLetter.next_attempt_at, SyncDeadLetter.id)
                .limit(RETRY_PAGE)
            )
        )
        if not due:
            return True
        links: list[LinkRef] = []
        orphans: list[int] = []
        for letter in due:
            found = active_links(session, plan, letter.erp_actor_type, [letter.erp_key])
            if letter.erp_key in found:
                links.append(found[letter.erp_key])
            else:
                orphans.append(letter.id)
    if orphans:
        with hub.sessions() as session:
            begin_write(session)
            session.execute(delete(SyncDeadLetter).where(SyncDeadLetter.id.in_(orphans)))
            session.commit()
    outcome = reconcile_links(hub, cycle, plan, links)
    # A letter whose actor type is no longer synced would stay due for ever: look again later.
    idle = [d.id for d in due if d.id not in orphans and plan.type_of(d.erp_actor_type) is None]
    with hub.sessions() as session:
        begin_write(session)
        if idle:
            later = utcnow() + timedelta(minutes=5)
            session.execute(
                update(SyncDeadLetter).where(SyncDeadLetter.id.in_(idle)).values(next_attempt_at=later)
            )
        count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
        session.commit()
    return len(due) < RETRY_PAGE


def resync_page(hub: Hub, cycle: CycleContext, plan: ConnectionPlan) -> bool:
    """Resync: every link (or those of the given records), one page at a time, timestamps ignored."""
    after = int(cycle.progress or 0)
    records = {(entity, int(record_id)) for entity, record_id in cycle.params.get("records") or []}
    with hub.sessions() as session:
        query = select(ErpLink).where(
            ErpLink.connection_id == plan.id, ErpLink.state == "active", ErpLink.id > after
        )
        if records:
            entities = {entity for entity, _ in records}
            ids = sorted({record_id for _, record_id in records})
            query = query.where(ErpLink.crm_entity.in_(entities), id_in(ErpLink.crm_record_id, ids))
        rows = list(
            session.execute(query.with_only_columns(ErpLink.id).order_by(ErpLink.id).limit(RESYNC_PAGE))
        )
        page = [row[0] for row in rows]
        refs = select_links(session, id_in(ErpLink.id, page), order=True) if page else []
        links = [ref for ref in refs if not records or (ref.entity.value, ref.record_id) in records]
        last = page[-1] if page else after
    mode = Mode.force_to_crm if cycle.kind == "resync_in" else Mode.force_to_erp
    no_blank = bool(cycle.params.get("no_blank_values", False))
    outcome = reconcile_links(hub, cycle, plan, links, source="resync", mode=mode, no_blank_values=no_blank)
    with hub.sessions() as session:
        begin_write(session)
        session.execute(update(SyncCycle).where(SyncCycle.id == cycle.id).values(progress=str(last)))
        if mode is Mode.force_to_crm:
            count(session, cycle, pulled=outcome.changed, failed=len(outcome.failed))
        else:
            count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
        session.commit()
    return len(rows) < RESYNC_PAGE


def record_page(hub: Hub, cycle: CycleContext, plan: ConnectionPlan) -> bool:
    """Sync now: one record's link in this connection, both ways, right away."""
    entity = CrmEntity(cycle.params["entity"])
    with hub.sessions() as session:
        links = links_of_records(session, plan, entity, [int(cycle.params["record_id"])])
    outcome = reconcile_links(hub, cycle, plan, links, source="sync_now")
    with hub.sessions() as session:
        begin_write(session)
        count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
        session.commit()
    return True
