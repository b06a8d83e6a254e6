"""One sync cycle of one connection, as units of pages (ARCHITECTURE §3.3).

A cycle is begun (:func:`begin_cycle` lists its units), each unit is run page by page
(:func:`run_unit_page`) and the cycle is finished (:func:`finish_cycle`). Every page commits its
progress (watermark, page token, journal cursor, resync position) in the transaction of the data it
covers, so running a page again after a crash is harmless: this is what lets the runtime make each
page a durable step. :func:`run_cycle` runs all of it in the calling thread.

Units, in order:

- ``pull:<ErpActorType>`` — ``GetActorsByTimestamp`` from the inclusive watermark (paged when the
  connector pages), parents' types first; an actor whose ``LastModified`` is not newer than its
  link's was seen already and is skipped; unlinked actors are imported when the mapping says so.
- ``deletes:<ErpActorType>`` — the delete feed, when the connector has one: the link is marked
  deleted in the ERP; the CRM record stays.
- ``push`` — the change journal after the connection's cursor, up to where it stood when the cycle
  began; entries that came from this connection are not sent back to it; CRM deletes remove the
  record's link here.
- ``retry`` — the dead letters that are due.
- ``resync`` / ``record`` — the units of a resync and of *Sync now*.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import begin_write, utcnow
from erpsync.crm.journal import JournalOperation, connection_origin, journal_after, last_journal_seq
from erpsync.crm.models import JournalRow
from erpsync.hub.models import ErpConnection, ErpLink
from erpsync.hub.priorities import configuration_row, normalised_priorities
from erpsync.hub.service import Hub
from erpsync.hub.synclog import LogEntry, write_log
from erpsync.protocol import ConnectorError, ErpActor, call
from erpsync.protocol.calls import Call
from erpsync.protocol.timestamps import is_newer, latest

from .batch import (
    BatchOutcome,
    ConnectionFailure,
    LinkRef,
    Pair,
    dead_letter,
    reconcile_batches,
    reconcile_pairs,
    select_links,
)
from .gc_pause import gc_paused
from .models import SyncCursor, SyncCycle, SyncDeadLetter, SyncFeedPosition
from .plan import ConnectionPlan, TypePlan, load_plan
from .reconcile import Mode

__all__ = [
    "ConnectionFailure",
    "CycleReport",
    "CycleStart",
    "begin_cycle",
    "cycle_connections",
    "finish_cycle",
    "run_cycle",
    "run_unit_page",
]

log = logging.getLogger(__name__)

PUSH_PAGE = 5000
RETRY_PAGE = 200
RESYNC_PAGE = 500
GET_CHUNK = 1000

#: Cycle kinds and the units they run ("sync" and "force" differ only in when they are started).
SYNC_KINDS = ("sync", "force")
ActorFilter = Callable[[ErpActor], bool]


@dataclass(frozen=True, slots=True)
class CycleStart:
    cycle_id: int
    units: list[str]
    #: Why the cycle has nothing to do (inactive or deleted connection); "" otherwise.
    skipped: str = ""


@dataclass(frozen=True, slots=True)
class CycleReport:
    cycle_id: int
    connection_id: int
    kind: str
    state: str
    pulled: int
    pushed: int
    failed: int
    message: str

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "skipped")


@dataclass(frozen=True, slots=True)
class _Cycle:
    id: int
    connection_id: int
    kind: str
    params: dict[str, Any]
    journal_upto: int
    progress: str


# --- begin and finish ------------------------------------------------------------------------------


def cycle_connections(hub: Hub, include_inactive: bool = False) -> list[int]:
    """Connection ids to sync, in sync-priority order (the CRM's own place, 0, left out)."""
    with hub.sessions() as session:
        query = select(ErpConnection.id, ErpConnection.active).where(ErpConnection.deleted.is_(False))
        rows = {row[0]: row[1] for row in session.execute(query)}
        order = normalised_priorities(configuration_row(session).connection_rank, list(rows))
    return [each for each in order if each in rows and (include_inactive or rows[each])]


def _units(plan: ConnectionPlan, kind: str) -> list[str]:
    if kind in ("resync_out", "resync_in"):
        return ["resync"]
    if kind == "sync_now":
        return ["record"]
    if kind == "retry":
        return ["retry"]
    units = [f"pull:{t.erp_actor_type}" for t in plan.types if t.pulls]
    if plan.has_delete_feed:
        units += [f"deletes:{t.erp_actor_type}" for t in plan.types]
    return [*units, "push", "retry"]


def begin_cycle(
    hub: Hub, connection_id: int, kind: str = "sync", worker: str = "", params: dict[str, Any] | None = None
) -> CycleStart:
    """Record a new cycle and list its units; an inactive or deleted connection gets none."""
    with hub.sessions() as session:
        begin_write(session)
        plan = load_plan(session, connection_id)
        skipped = ""
        if plan is None:
            skipped = f"Connection {connection_id} does not exist."
        elif not plan.active:
            skipped = f"{plan.name} is not active."
        if plan is None and session.get(ErpConnection, connection_id) is None:
            return CycleStart(0, [], skipped)
        row = SyncCycle(
            connection_id=connection_id,
            kind=kind,
            worker=worker,
            params=dict(params or {}),
            journal_upto=last_journal_seq(session),
            state="skipped" if skipped else "running",
            finished_at=utcnow() if skipped else None,
            message=skipped,
        )
        session.add(row)
        session.flush()
        units = [] if skipped or plan is None else _units(plan, kind)
        cycle_id = row.id
        session.commit()
    return CycleStart(cycle_id, units, skipped)


def finish_cycle(hub: Hub, cycle_id: int, error: str = "") -> CycleReport:
    """Close a cycle: ``ok``, or ``failed`` with the error (also written to the sync log)."""
    with hub.sessions() as session:
        begin_write(session)
        row = session.get(SyncCycle, cycle_id)
        if row is None:
            raise LookupError(f"no sync cycle {cycle_id}")
        if row.state == "running":
            now = utcnow()
            row.state = "failed" if error else "ok"
            row.finished_at = now
            if error:
                row.message = error[:2000]
                write_log(
                    session, [LogEntry(connection_id=row.connection_id, kind="error", message=row.message)]
                )
            else:
                dead = session.scalar(
                    select(func.count())
                    .select_from(SyncDeadLetter)
                    .where(SyncDeadLetter.connection_id == row.connection_id, SyncDeadLetter.attempts > 0)
                )
                row.message = f"{dead} record(s) waiting in the dead letters." if dead else ""
                connection = session.get(ErpConnection, row.connection_id)
                if connection is not None:
                    connection.last_sync = now
        report = _report(row)
        session.commit()
    return report


def _report(row: SyncCycle) -> CycleReport:
    return CycleReport(
        cycle_id=row.id,
        connection_id=row.connection_id,
        kind=row.kind,
        state=row.state,
        pulled=row.pulled,
        pushed=row.pushed,
        failed=row.failed,
        message=row.message,
    )


def run_cycle(
    hub: Hub, connection_id: int, kind: str = "sync", worker: str = "", params: dict[str, Any] | None = None
) -> CycleReport:
    """A whole cycle in this thread. A connection-level failure ends it as ``failed``."""
    start = begin_cycle(hub, connection_id, kind, worker, params)
    if start.cycle_id == 0:
        return CycleReport(0, connection_id, kind, "skipped", 0, 0, 0, start.skipped)
    error = ""
    with hub.sessions() as session:
        plan = load_plan(session, connection_id)
    try:
        for unit in start.units:
            while not run_unit_page(hub, start.cycle_id, unit, plan):
                pass
    except ConnectionFailure as exc:
        error = str(exc)
    except Exception as exc:
        log.exception("sync cycle %s of connection %s failed", start.cycle_id, connection_id)
        finish_cycle(hub, start.cycle_id, f"Internal error: {type(exc).__name__}: {exc}")
        raise
    return finish_cycle(hub, start.cycle_id, error)


# --- one page of one unit --------------------------------------------------------------------------


def run_unit_page(hub: Hub, cycle_id: int, unit: str, plan: ConnectionPlan | None = None) -> bool:
    """Run one page of a unit and commit it; True when the unit has nothing more to do.

    ``plan`` saves reading the connection's settings again when the caller runs a whole cycle.
    """
    with hub.sessions() as session:
        row = session.get(SyncCycle, cycle_id)
        if row is None:
            raise LookupError(f"no sync cycle {cycle_id}")
        cycle = _Cycle(
            row.id, row.connection_id, row.kind, dict(row.params or {}), row.journal_upto, row.progress
        )
        if plan is None or plan.id != row.connection_id:
            plan = load_plan(session, row.connection_id)
    if plan is None or not plan.active:
        return True
    with gc_paused():
        return _run_unit(hub, cycle, plan, unit)


def _run_unit(hub: Hub, cycle: _Cycle, plan: ConnectionPlan, unit: str) -> bool:
    name, _, actor_type = unit.partition(":")
    if name in ("pull", "deletes"):
        tp = plan.type_of(actor_type)
        if tp is None:
            return True
        return _pull_page(hub, cycle, plan, tp) if name == "pull" else _deletes_page(hub, cycle, plan, tp)
    if name == "push":
        return _push_page(hub, cycle, plan)
    if name == "retry":
        return _retry_page(hub, cycle, plan)
    if name == "resync":
        return _resync_page(hub, cycle, plan)
    if name == "record":
        return _record_page(hub, cycle, plan)
    raise ValueError(f"unknown unit {unit!r}")


def _send(hub: Hub, plan: ConnectionPlan, request: Call[Any]) -> Any:
    try:
        return hub.clients.for_url(plan.url).send(request)
    except ConnectorError as exc:
        raise ConnectionFailure(f"{request.operation.name}: {exc}") from exc


def _count(session: Session, cycle: _Cycle, pulled: int = 0, pushed: int = 0, failed: int = 0) -> None:
    if pulled or pushed or failed:
        session.execute(
            update(SyncCycle)
            .where(SyncCycle.id == cycle.id)
            .values(
                pulled=SyncCycle.pulled + pulled,
                pushed=SyncCycle.pushed + pushed,
                failed=SyncCycle.failed + failed,
            )
        )


def _position(session: Session, connection_id: int, actor_type: str, feed: str) -> SyncFeedPosition:
    row = session.get(SyncFeedPosition, (connection_id, actor_type, feed))
    if row is None:
        row = SyncFeedPosition(
            connection_id=connection_id,
            erp_actor_type=actor_type,
            feed=feed,
            watermark="",
            page_token="",
            high="",
        )
        session.add(row)
        session.flush()
    return row


def _check_actors(actors: Sequence[ErpActor], tp: TypePlan, operation: str) -> None:
    """A reply naming another actor type or an actor without a key is the connector's error."""
    for actor in actors:
        if actor.actor_type != tp.erp_actor_type or not actor.erp_key:
            raise ConnectionFailure(
                f"{operation}: the connector sent an actor of type {actor.actor_type!r} "
                f"with key {actor.erp_key!r} when asked for {tp.erp_actor_type}."
            )


def _active_links(
    session: Session, plan: ConnectionPlan, actor_type: str, keys: Iterable[str]
) -> dict[str, LinkRef]:
    wanted = sorted(set(keys))
    found: dict[str, LinkRef] = {}
    for start in range(0, len(wanted), GET_CHUNK):
        refs = select_links(
            session,
            ErpLink.connection_id == plan.id,
            ErpLink.erp_actor_type == actor_type,
            ErpLink.state == "active",
            ErpLink.erp_key.in_(wanted[start : start + GET_CHUNK]),
        )
        found.update((ref.erp_key, ref) for ref in refs)
    return found


# The next page of a paged feed is asked for while the current one is reconciled. Only an
# optimisation: a page found here must match the position read from the database (same watermark
# and token), anything else is fetched afresh, and a failed prefetch is simply fetched again.
_PrefetchKey = tuple[int, str, str, str]
_prefetch_lock = threading.Lock()
_prefetches: dict[_PrefetchKey, Future[Any]] = {}
_prefetch_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="erpsync-prefetch")


def _prefetch(key: _PrefetchKey, fetch: Callable[[], Any]) -> None:
    with _prefetch_lock:
        for stale in [k for k in _prefetches if k[:2] == key[:2]]:
            _prefetches.pop(stale).cancel()
        _prefetches[key] = _prefetch_pool.submit(fetch)


def _prefetched(key: _PrefetchKey) -> Any:
    with _prefetch_lock:
        future = _prefetches.pop(key, None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # fetched again by the caller, whose failure is the one that counts
        return None


def _pull_page(hub: Hub, cycle: _Cycle, plan: ConnectionPlan, tp: TypePlan) -> bool:
    with hub.sessions() as session:
        position = _position(session, plan.id, tp.erp_actor_type, "changes")
        watermark, token, high = position.watermark, position.page_token, position.high
        session.rollback()
    size = plan.page_size

    def fetch(page_token: str) -> Any:
        request = call.get_actors_by_timestamp(
            plan.guid, watermark, tp.erp_actor_type, tp.field_keys, size, page_token
        )
        return _send(hub, plan, request)

    reply = _prefetched((plan.id, tp.erp_actor_type, watermark, token)) or fetch(token)
    actors: list[ErpActor] = reply.actors
    _check_actors(actors, tp, "GetActorsByTimestamp")
    next_token = reply.next_page_token if size else ""
    if next_token:  # the connector serves the next page while this one is worked on
        _prefetch((plan.id, tp.erp_actor_type, watermark, next_token), partial(fetch, next_token))
    high = latest(high, *(a.last_modified for a in actors))
    with hub.sessions() as session:
        links = _active_links(session, plan, tp.erp_actor_type, [a.erp_key for a in actors])
    pairs: list[Pair] = []
    unlinked: list[ErpActor] = []
    for actor in actors:
        link = links.get(actor.erp_key)
        if link is None:
            unlinked.append(actor)
        elif (
            not link.last_modified
            or not actor.last_modified
            or is_newer(actor.last_modified, link.last_modified)
        ):
            pairs.append(Pair(link, actor))

    def commit_position(session: Session, outcome: BatchOutcome | None = None) -> None:
        row = _position(session, plan.id, tp.erp_actor_type, "changes")
        if next_token:
            row.page_token, row.high = next_token, high
        else:
            row.watermark, row.page_token, row.high = latest(row.watermark, high), "", ""
        if outcome is not None:
            _count(session, cycle, pulled=outcome.changed, failed=len(outcome.failed))

    if unlinked and tp.auto_import:
        _auto_import(hub, plan, tp, unlinked)
    if not pairs and not next_token and not token and latest(watermark, high) == watermark:
        return True  # nothing new: the position stays as it is, no write needed
    _reconcile_and_commit(hub, plan, tp, pairs, commit_position)
    return not next_token


def _reconcile_and_commit(
    hub: Hub,
    plan: ConnectionPlan,
    tp: TypePlan,
    pairs: Sequence[Pair],
    commit: Callable[[Session, BatchOutcome | None], None],
    mode: Mode = Mode.sync,
    source: str = "engine",
    no_blank_values: bool | None = None,
) -> BatchOutcome:
    """Reconcile the pairs with ``commit`` in their final transaction (or alone when there are none)."""
    if not pairs:
        with hub.sessions() as session:
            begin_write(session)
            commit(session, None)
            session.commit()
        return BatchOutcome()
    return reconcile_pairs(hub, plan, tp, pairs, mode, source, no_blank_values, commit)


def _auto_import(hub: Hub, plan: ConnectionPlan, tp: TypePlan, actors: list[ErpActor]) -> None:
    """New ERP actors of a mapping with auto-import on become CRM records with links."""
    from .auto_import import import_new_actors

    import_new_actors(hub, plan, tp, actors)


def _deletes_page(hub: Hub, cycle: _Cycle, plan: ConnectionPlan, tp: TypePlan) -> bool:
    with hub.sessions() as session:
        position = _position(session, plan.id, tp.erp_actor_type, "deletes")
        watermark, token, high = position.watermark, position.page_token, position.high
        session.rollback()
    size = plan.page_size
    reply = _send(hub, plan, call.get_deleted_actors(plan.guid, tp.erp_actor_type, watermark, size, token))
    gone = [d for d in reply.deleted_actors if d.actor_type == tp.erp_actor_type and d.erp_key]
    next_token = reply.next_page_token if size else ""
    high = latest(high, *(d.deleted_at for d in gone))
    if not gone and not next_token and not token:
        return True
    with hub.sessions() as session:
        begin_write(session)
        links = _active_links(session, plan, tp.erp_actor_type, [d.erp_key for d in gone])
        if links:
            session.execute(
                update(ErpLink)
                .where(ErpLink.id.in_([ref.id for ref in links.values()]))
                .values(state="deleted_in_erp")
            )
            write_log(
                session,
                [
                    LogEntry(
                        connection_id=plan.id,
                        kind="erp_deleted",
                        crm_entity=ref.entity.value,
                        crm_record_id=ref.record_id,
                        erp_actor_type=ref.erp_actor_type,
                        erp_key=ref.erp_key,
                        message="Deleted in the ERP; the CRM record is kept and no longer synced here.",
                    )
                    for ref in links.values()
                ],
            )
        row = _position(session, plan.id, tp.erp_actor_type, "deletes")
        if next_token:
            row.page_token, row.high = next_token, high
        else:
            row.watermark, row.page_token, row.high = latest(row.watermark, high), "", ""
        session.commit()
    return not next_token


# --- CRM → ERP -------------------------------------------------------------------------------------


def _cursor(session: Session, plan: ConnectionPlan) -> SyncCursor:
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


def _fetch_chunk(
    hub: Hub, plan: ConnectionPlan, tp: TypePlan, chunk: Sequence[LinkRef]
) -> tuple[list[Pair], list[LinkRef]]:
    """The links' actors as the ERP has them now; links whose actor it did not return."""
    reply = _send(
        hub,
        plan,
        call.get_actors(plan.guid, tp.erp_actor_type, [ref.erp_key for ref in chunk], tp.field_keys),
    )
    _check_actors(reply.actors, tp, "GetActors")
    found = {a.erp_key: a for a in reply.actors}
    pairs = [Pair(link, found[link.erp_key]) for link in chunk if link.erp_key in found]
    return pairs, [link for link in chunk if link.erp_key not in found]


def _fetched_batches(
    hub: Hub, plan: ConnectionPlan, tp: TypePlan, links: Sequence[LinkRef], missing: list[LinkRef]
) -> Iterator[list[Pair]]:
    """Batches of pairs, the next one fetched (GetActors) while the caller works on the current."""
    chunks = [links[start : start + GET_CHUNK] for start in range(0, len(links), GET_CHUNK)]
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="erpsync-fetch") as pool:
        upcoming = pool.submit(_fetch_chunk, hub, plan, tp, chunks[0])
        for index in range(len(chunks)):
            pairs, lost = upcoming.result()
            if index + 1 < len(chunks):
                upcoming = pool.submit(_fetch_chunk, hub, plan, tp, chunks[index + 1])
            missing.extend(lost)
            yield pairs


def _dead_letter_missing(hub: Hub, plan: ConnectionPlan, missing: Sequence[LinkRef]) -> None:
    if not missing:
        return
    with hub.sessions() as session:
        begin_write(session)
        for link in missing:
            dead_letter(session, plan, link, "The ERP did not return this actor (deleted or not readable).")
        session.commit()


def _links_of_records(
    session: Session, plan: ConnectionPlan, entity: CrmEntity, ids: Sequence[int], active_only: bool = True
) -> list[LinkRef]:
    found: list[LinkRef] = []
    for start in range(0, len(ids), GET_CHUNK):
        conditions = [
            ErpLink.connection_id == plan.id,
            ErpLink.crm_entity == entity.value,
            ErpLink.crm_record_id.in_(ids[start : start + GET_CHUNK]),
        ]
        if active_only:
            conditions.append(ErpLink.state == "active")
        found.extend(select_links(session, *conditions, order=True))
    return found


def _push_links(
    hub: Hub,
    cycle: _Cycle,
    plan: ConnectionPlan,
    links: Sequence[LinkRef],
    source: str = "engine",
    mode: Mode = Mode.sync,
    no_blank_values: bool | None = None,
) -> BatchOutcome:
    """Reconcile links against their actors fetched now, type by type, parents first."""
    total = BatchOutcome()
    for tp in plan.types:
        group = [ref for ref in links if ref.erp_actor_type == tp.erp_actor_type]
        if not group:
            continue
        missing: list[LinkRef] = []
        batches = _fetched_batches(hub, plan, tp, group, missing)
        outcome = reconcile_batches(hub, plan, tp, batches, mode, source, no_blank_values)
        _dead_letter_missing(hub, plan, missing)
        total.reconciled += outcome.reconciled
        total.changed += outcome.changed
        total.failed.update(outcome.failed)
        total.failed.update({ref.id: "missing in the ERP" for ref in missing})
    return total


def _push_page(hub: Hub, cycle: _Cycle, plan: ConnectionPlan) -> bool:
    origin = connection_origin(plan.id)
    with hub.sessions() as session:
        cursor = session.scalar(select(SyncCursor.journal_seq).where(SyncCursor.connection_id == plan.id))
        if cursor is None:
            session.rollback()
            begin_write(session)
            cursor = _cursor(session, plan).journal_seq
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
                    _links_of_records(session, plan, entity, sorted(ids - deleted.get(entity, set())))
                )
        gone = [
            ref
            for entity, ids in deleted.items()
            for ref in _links_of_records(session, plan, entity, sorted(ids), active_only=False)
        ]
    outcome = _push_links(hub, cycle, plan, links)
    with hub.sessions() as session:
        begin_write(session)
        _unlink_deleted(session, plan, gone)
        row = _cursor(session, plan)
        row.journal_seq = max(row.journal_seq, entries[-1].seq)
        _count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
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
                message="The CRM record was deleted; its link is removed and the ERP actor kept.",
            )
            for ref in gone
        ],
    )


# --- retries, resync, sync now ---------------------------------------------------------------------


def _retry_page(hub: Hub, cycle: _Cycle, plan: ConnectionPlan) -> bool:
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
            found = _active_links(session, plan, letter.erp_actor_type, [letter.erp_key])
            if letter.erp_key in found:
                links.append(found[letter.erp_key])
            else:
                orphans.append(letter.id)
    if orphans:
        with hub.sessions() as session:
            begin_write(session)
            session.execute(delete(SyncDeadLetter).where(SyncDeadLetter.id.in_(orphans)))
            session.commit()
    outcome = _push_links(hub, cycle, plan, links)
    # A letter whose actor type is no longer synced would stay due for ever: look again later.
    idle = [d.id for d in due if d.id not in orphans and plan.type_of(d.erp_actor_type) is None]
    with hub.sessions() as session:
        begin_write(session)
        if idle:
            later = utcnow() + timedelta(minutes=5)
            session.execute(
                update(SyncDeadLetter).where(SyncDeadLetter.id.in_(idle)).values(next_attempt_at=later)
            )
        _count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
        session.commit()
    return len(due) < RETRY_PAGE


def _resync_page(hub: Hub, cycle: _Cycle, plan: ConnectionPlan) -> bool:
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
            query = query.where(ErpLink.crm_entity.in_(entities), ErpLink.crm_record_id.in_(ids))
        rows = list(
            session.execute(query.with_only_columns(ErpLink.id).order_by(ErpLink.id).limit(RESYNC_PAGE))
        )
        page = [row[0] for row in rows]
        refs = select_links(session, ErpLink.id.in_(page), order=True) if page else []
        links = [ref for ref in refs if not records or (ref.entity.value, ref.record_id) in records]
        last = page[-1] if page else after
    mode = Mode.force_to_crm if cycle.kind == "resync_in" else Mode.force_to_erp
    no_blank = bool(cycle.params.get("no_blank_values", False))
    outcome = _push_links(hub, cycle, plan, links, source="resync", mode=mode, no_blank_values=no_blank)
    with hub.sessions() as session:
        begin_write(session)
        session.execute(update(SyncCycle).where(SyncCycle.id == cycle.id).values(progress=str(last)))
        if mode is Mode.force_to_crm:
            _count(session, cycle, pulled=outcome.changed, failed=len(outcome.failed))
        else:
            _count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
        session.commit()
    return len(rows) < RESYNC_PAGE


def _record_page(hub: Hub, cycle: _Cycle, plan: ConnectionPlan) -> bool:
    """Sync now: one record's link in this connection, both ways, right away."""
    entity = CrmEntity(cycle.params["entity"])
    with hub.sessions() as session:
        links = _links_of_records(session, plan, entity, [int(cycle.params["record_id"])])
    outcome = _push_links(hub, cycle, plan, links, source="sync_now")
    with hub.sessions() as session:
        begin_write(session)
        _count(session, cycle, pushed=outcome.changed, failed=len(outcome.failed))
        session.commit()
    return True
