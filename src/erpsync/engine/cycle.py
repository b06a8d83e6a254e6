"""One sync cycle of one connection, as units of pages (ARCHITECTURE §3.3).

A cycle is begun (:func:`begin_cycle` lists its units), each unit is run page by page
(:func:`run_unit_page`) and the cycle is finished (:func:`finish_cycle`). Every page commits its
progress (watermark, page token, journal cursor, resync position) in the transaction of the data it
covers, so running a page again after a crash is harmless: this is what lets the runtime make each
page a durable step. :func:`run_cycle` runs all of it in the calling thread.

Units, in order (pages in :mod:`.pull` and :mod:`.push`):

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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from erpsync.crm.db import begin_write, utcnow
from erpsync.crm.journal import last_journal_seq
from erpsync.crm.texts import _, in_every_language
from erpsync.hub.conversion import problem_text
from erpsync.hub.models import ErpConnection
from erpsync.hub.priorities import configuration_row, normalised_priorities
from erpsync.hub.service import Hub
from erpsync.hub.synclog import LogEntry, write_log

from .batch import ConnectionFailure
from .gc_pause import gc_paused
from .models import SyncCycle, SyncDeadLetter
from .pages import CycleContext
from .plan import ConnectionPlan, load_plan
from .pull import deletes_page, forget_prefetches, pull_page
from .push import push_page, record_page, resync_page, retry_page

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
            skipped = _("Connection %(id)s does not exist.", id=connection_id)
        elif not plan.active:
            skipped = _("%(connection)s is not active.", connection=plan.name)
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
            message=in_every_language(skipped),
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
        forget_prefetches(row.connection_id)
        if row.state == "running":
            now = utcnow()
            row.state = "failed" if error else "ok"
            row.finished_at = now
            if error:
                row.message = in_every_language(error)[:2000]
                write_log(
                    session, [LogEntry(connection_id=row.connection_id, kind="error", message=row.message)]
                )
            else:
                dead = session.scalar(
                    select(func.count())
                    .select_from(SyncDeadLetter)
                    .where(SyncDeadLetter.connection_id == row.connection_id, SyncDeadLetter.attempts > 0)
                )
                waiting = _("%(count)s record(s) waiting in the dead letters.", count=dead)
                row.message = in_every_language(waiting) if dead else ""
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
        error = problem_text(exc)
    except Exception as exc:
        log.exception("sync cycle %s of connection %s failed", start.cycle_id, connection_id)
        finish_cycle(
            hub,
            start.cycle_id,
            _("Internal error: %(error)s: %(detail)s", error=type(exc).__name__, detail=str(exc)),
        )
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
        cycle = CycleContext(
            row.id, row.connection_id, row.kind, dict(row.params or {}), row.journal_upto, row.progress
        )
        if plan is None or plan.id != row.connection_id:
            plan = load_plan(session, row.connection_id)
    if plan is None or not plan.active:
        return True
    with gc_paused():
        return _run_unit(hub, cycle, plan, unit)


def _run_unit(hub: Hub, cycle: CycleContext, plan: ConnectionPlan, unit: str) -> bool:
    name, _, actor_type = unit.partition(":")
    if name in ("pull", "deletes"):
        tp = plan.type_of(actor_type)
        if tp is None:
            return True
        return pull_page(hub, cycle, plan, tp) if name == "pull" else deletes_page(hub, cycle, plan, tp)
    if name == "push":
        return push_page(hub, cycle, plan)
    if name == "retry":
        return retry_page(hub, cycle, plan)
    if name == "resync":
        return resync_page(hub, cycle, plan)
    if name == "record":
        return record_page(hub, cycle, plan)
    raise ValueError(f"unknown unit {unit!r}")


# --- CRM → ERP -------------------------------------------------------------------------------------


# --- retries, resync, sync now ---------------------------------------------------------------------
