"""What administrators and users ask of the engine: sync all, resync, sync now, dead letters, status.

Each operation turns into cycles of single connections run by a :data:`CycleRunner`: in the
server that is the runtime (the cycle is queued on its connection's partition, so it never
overlaps another cycle of that connection, and the call waits for it); in tests and one-off
commands it may run the cycle in the calling thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from erpsync import i18n
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import begin_write, utcnow
from erpsync.crm.texts import _, noun, shown
from erpsync.hub.engine_settings import EngineStatus, engine_status
from erpsync.hub.errors import InvalidInput, NotFound, Refused
from erpsync.hub.models import ErpConnection, ErpLink, ErpSyncLog
from erpsync.hub.priorities import configuration_row
from erpsync.hub.scope import accessible_connections
from erpsync.hub.service import Hub
from erpsync.hub.synclog import LogEntry, write_log

from .cycle import CycleReport, cycle_connections, run_cycle
from .models import SyncCycle, SyncDeadLetter

__all__ = [
    "CycleRunner",
    "DeadLetterView",
    "OperationResult",
    "dead_letters",
    "direct_runner",
    "drop_dead_letters",
    "engine_overview",
    "force_resync",
    "force_resync_external",
    "replay_dead_letters",
    "resync_in_background",
    "sync_all",
    "sync_log",
    "sync_now",
]

#: Runs one cycle of one connection and returns its report: ``(connection_id, kind, params)``.
CycleRunner = Callable[[int, str, dict[str, Any]], CycleReport]

MAX_RECORDS = 100_000

log = logging.getLogger(__name__)


def direct_runner(hub: Hub, worker: str = "") -> CycleRunner:
    """Cycles run in the calling thread (tests, one-off commands without a runtime)."""

    def run(connection_id: int, kind: str, params: dict[str, Any]) -> CycleReport:
        return run_cycle(hub, connection_id, kind, worker, params)

    return run


@dataclass(frozen=True, slots=True)
class OperationResult:
    """The reference's PluginResponse for an engine operation, with the cycles' reports."""

    is_ok: bool
    user_explanation: str
    reports: list[CycleReport] = field(default_factory=list)
    error_code: str = ""


def _summary(reports: Sequence[CycleReport], names: dict[int, str]) -> OperationResult:
    failed = [r for r in reports if not r.ok]
    changed = sum(r.pulled + r.pushed for r in reports)
    problems = sum(r.failed for r in reports)
    if problems:
        text = _(
            "%(connections)s connection(s) synced, %(changes)s record change(s), %(problems)s record(s) sent "
            "to the dead letters.",
            connections=len(reports),
            changes=changed,
            problems=problems,
        )
    else:
        text = _(
            "%(connections)s connection(s) synced, %(changes)s record change(s).",
            connections=len(reports),
            changes=changed,
        )
    if failed:
        failures = "; ".join(
            f"{names.get(r.connection_id, r.connection_id)}: {shown(r.message)}" for r in failed
        )
        text = _("%(summary)s Failed: %(failures)s", summary=text, failures=failures)
    return OperationResult(not failed, text, list(reports), "" if not failed else "SyncFailed")


def _names(hub: Hub) -> dict[int, str]:
    with hub.sessions() as session:
        return {
            row[0]: row[1] for row in session.execute(select(ErpConnection.id, ErpConnection.display_name))
        }


def sync_all(hub: Hub, runner: CycleRunner, force: bool = False) -> OperationResult:
    """SyncAll (only while automatic sync is On) or ForceSyncAll (always): one cycle of every active
    connection, in sync-priority order."""
    if not force:
        with hub.sessions() as session:
            running = configuration_row(session).sync_running
            session.rollback()
        if not running:
            return OperationResult(
                False,
                _(
                    "Automatic sync is switched off, so SyncAll does nothing; use ForceSyncAll to sync "
                    "anyway."
                ),
                error_code="EngineOff",
            )
    reports = [runner(each, "force" if force else "sync", {}) for each in cycle_connections(hub)]
    return _summary(reports, _names(hub))


def _records_of_links(hub: Hub, link_ids: Sequence[int]) -> list[tuple[str, int]]:
    if len(link_ids) > MAX_RECORDS:
        raise InvalidInput(_("Too many records."), {"InternalKeyIds": _("at most %(max)s", max=MAX_RECORDS)})
    wanted = sorted(set(link_ids))
    found: set[tuple[str, int]] = set()
    with hub.sessions() as session:
        for start in range(0, len(wanted), 500):
            rows = session.execute(
                select(ErpLink.id, ErpLink.crm_entity, ErpLink.crm_record_id).where(
                    ErpLink.id.in_(wanted[start : start + 500])
                )
            )
            seen: set[int] = set()
            for link_id, entity, record_id in rows:
                seen.add(link_id)
                found.add((entity, record_id))
            missing = set(wanted[start : start + 500]) - seen
            if missing:
                raise NotFound(_("No link with id %(id)s.", id=min(missing)))
    return sorted(found)


def resync_in_background(hub: Hub, runner: CycleRunner, connection_id: int, link_ids: Sequence[int]) -> None:
    """ForceResyncBatchTask: bad input is refused here; the resync itself runs in a thread whose
    outcome goes to the sync log and the engine status."""
    _resync_connections(hub, connection_id)
    records = _records_of_links(hub, link_ids) if link_ids else []

    def run() -> None:
        try:
            force_resync(hub, runner, connection_id, (), False, records)
        except Exception:
            log.exception("background resync from connection %s failed", connection_id)

    threading.Thread(target=run, name="force-resync", daemon=True).start()


def sync_log(
    hub: Hub,
    connection_id: int | None = None,
    kind: str = "",
    crm_entity: str = "",
    crm_record_id: int | None = None,
    erp_key: str = "",
    offset: int = 0,
    limit: int = 100,
    erp_actor_type: str = "",
    target_is_crm: bool | None = None,
    text: str = "",
) -> list[ErpSyncLog]:
    """Sync log rows, newest first, filtered; ``text`` is found in the message, the values, the
    field keys and the ErpKey."""
    query = select(ErpSyncLog)
    if connection_id:
        query = query.where(ErpSyncLog.connection_id == connection_id)
    if kind:
        query = query.where(ErpSyncLog.kind == kind)
    if crm_entity:
        query = query.where(ErpSyncLog.crm_entity == crm_entity)
    if crm_record_id:
        query = query.where(ErpSyncLog.crm_record_id == crm_record_id)
    if erp_key:
        query = query.where(ErpSyncLog.erp_key == erp_key)
    if erp_actor_type:
        query = query.where(ErpSyncLog.erp_actor_type == erp_actor_type)
    if target_is_crm is not None:
        query = query.where(ErpSyncLog.target_is_crm == target_is_crm)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = (
            ErpSyncLog.message,
            ErpSyncLog.old_value,
            ErpSyncLog.new_value,
            ErpSyncLog.erp_field_key,
            ErpSyncLog.crm_field_key,
            ErpSyncLog.erp_key,
        )
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    query = query.order_by(ErpSyncLog.id.desc()).offset(offset).limit(min(max(limit, 1), 1000))
    with hub.sessions() as session:
        rows = list(session.scalars(query))
        session.expunge_all()
    for row in rows:  # detached: what is shown, not written back
        row.message = shown(row.message)
    return rows


def _resync_connections(hub: Hub, source: int) -> list[int]:
    ids = cycle_connections(hub)
    if source and source not in ids:
        with hub.sessions() as session:
            connection = session.get(ErpConnection, source)
        if connection is None or connection.deleted:
            raise NotFound(_("There is no ERP connection %(id)s.", id=source))
        raise Refused(
            _("%(connection)s is not active.", connection=connection.display_name),
            [_("Activate the connection first.")],
        )
    return ids


def force_resync(
    hub: Hub,
    runner: CycleRunner,
    connection_id: int = 0,
    link_ids: Sequence[int] = (),
    no_blank_values: bool = False,
    records: Sequence[tuple[str, int]] | None = None,
) -> OperationResult:
    """Resync (reference §2.12): from the CRM (``connection_id`` 0) or from one connection, to every
    other active connection, timestamps and base ignored. ``link_ids`` name the records (each link
    names its CRM record); none means every linked record."""
    ids = _resync_connections(hub, connection_id)
    if records is None:
        records = _records_of_links(hub, link_ids) if link_ids else []
    params: dict[str, Any] = {"records": [list(each) for each in records], "no_blank_values": no_blank_values}
    reports: list[CycleReport] = []
    if connection_id:
        reports.append(runner(connection_id, "resync_in", params))
        if not reports[-1].ok:
            return _summary(reports, _names(hub))
    reports += [runner(each, "resync_out", params) for each in ids if each != connection_id]
    return _summary(reports, _names(hub))


def force_resync_external(
    hub: Hub,
    runner: CycleRunner,
    connection_id: int,
    erp_actor_type: str,
    erp_keys: Sequence[str],
    no_blank_values: bool = False,
) -> OperationResult:
    """ForceResync of the records linked to these ERP actors of the connection."""
    if not connection_id:
        raise Refused(
            _("ERP keys belong to a connection."), [_("Name the connection (ErpConnectionId > 0).")]
        )
    if len(erp_keys) > MAX_RECORDS:
        raise InvalidInput(_("Too many keys."), {"ExternalKeys": _("at most %(max)s", max=MAX_RECORDS)})
    records: set[tuple[str, int]] = set()
    wanted = sorted(set(erp_keys))
    with hub.sessions() as session:
        for start in range(0, len(wanted), 500):
            rows = session.execute(
                select(ErpLink.crm_entity, ErpLink.crm_record_id).where(
                    ErpLink.connection_id == connection_id,
                    ErpLink.erp_actor_type == erp_actor_type,
                    ErpLink.erp_key.in_(wanted[start : start + 500]),
                )
            )
            records.update((row[0], row[1]) for row in rows)
    if wanted and not records:
        raise NotFound(
            _(
                "None of these %(type)s actors is linked in connection %(id)s.",
                type=erp_actor_type,
                id=connection_id,
            )
        )
    return force_resync(hub, runner, connection_id, (), no_blank_values, sorted(records))


def sync_now(
    hub: Hub, runner: CycleRunner, user_id: int, entity: CrmEntity, record_id: int
) -> OperationResult:
    """Sync now (the ERP tab): the record's links in every active connection the user may use."""
    with hub.sessions() as session:
        usable = {c.id for c in accessible_connections(session, user_id)}
        linked = list(
            session.scalars(
                select(ErpLink.connection_id).where(
                    ErpLink.crm_entity == entity.value,
                    ErpLink.crm_record_id == record_id,
                    ErpLink.state == "active",
                )
            )
        )
    targets = [each for each in cycle_connections(hub) if each in usable and each in linked]
    if not targets:
        raise NotFound(
            _("This %(kind)s is not linked in any ERP connection you can use.", kind=noun(entity.value))
        )
    params = {"entity": entity.value, "record_id": record_id}
    return _summary([runner(each, "sync_now", params) for each in targets], _names(hub))


# --- dead letters ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    id: int
    connection_id: int
    crm_entity: str
    crm_record_id: int | None
    erp_actor_type: str
    erp_key: str
    direction: str
    reason: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime


def dead_letters(
    hub: Hub, connection_id: int | None = None, offset: int = 0, limit: int = 100
) -> list[DeadLetterView]:
    with hub.sessions() as session:
        query = (
            select(SyncDeadLetter).order_by(SyncDeadLetter.id).offset(offset).limit(min(max(limit, 1), 1000))
        )
        if connection_id:
            query = query.where(SyncDeadLetter.connection_id == connection_id)
        return [
            DeadLetterView(
                row.id,
                row.connection_id,
                row.crm_entity,
                row.crm_record_id,
                row.erp_actor_type,
                row.erp_key,
                row.direction,
                shown(row.reason),
                row.attempts,
                row.next_attempt_at,
                row.created_at,
            )
            for row in session.scalars(query)
        ]


def _letters(hub: Hub, ids: Sequence[int]) -> list[SyncDeadLetter]:
    if not ids:
        raise InvalidInput(_("Name the dead letters."), {"Ids": _("at least one")})
    with hub.sessions() as session:
        rows = list(session.scalars(select(SyncDeadLetter).where(SyncDeadLetter.id.in_(sorted(set(ids))))))
        session.expunge_all()
    missing = set(ids) - {row.id for row in rows}
    if missing:
        raise NotFound(_("No dead letter %(id)s.", id=min(missing)))
    return rows


def replay_dead_letters(hub: Hub, runner: CycleRunner, ids: Sequence[int]) -> OperationResult:
    """Retry these dead letters now: their connections run a retry cycle at once."""
    rows = _letters(hub, ids)
    with hub.sessions() as session:
        begin_write(session)
        session.execute(
            update(SyncDeadLetter)
            .where(SyncDeadLetter.id.in_([r.id for r in rows]))
            .values(next_attempt_at=utcnow())
        )
        session.commit()
    connections = sorted({r.connection_id for r in rows})
    return _summary([runner(each, "retry", {}) for each in connections], _names(hub))


def drop_dead_letters(hub: Hub, ids: Sequence[int]) -> int:
    """Give up on these dead letters (logged); the links stay, the next change syncs again."""
    rows = _letters(hub, ids)
    with hub.sessions() as session:
        begin_write(session)
        session.execute(delete(SyncDeadLetter).where(SyncDeadLetter.id.in_([r.id for r in rows])))
        write_log(
            session,
            [
                LogEntry(
                    connection_id=r.connection_id,
                    kind="dropped",
                    source="admin",
                    crm_entity=r.crm_entity,
                    crm_record_id=r.crm_record_id,
                    erp_actor_type=r.erp_actor_type,
                    erp_key=r.erp_key,
                    message=_(
                        "Dropped from the dead letters after %(attempts)s attempt(s): %(reason)s",
                        attempts=r.attempts,
                        reason=r.reason,
                    ),
                )
                for r in rows
            ],
        )
        session.commit()
    return len(rows)


# --- status ----------------------------------------------------------------------------------------


def _moment(value: datetime) -> str:
    """A time in the status line: ISO 8601 in English, as the language writes it in another."""
    if i18n.current_language() == i18n.DEFAULT_LANGUAGE:
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return i18n.format_datetime(value)


def engine_overview(hub: Hub, runtime_note: str = "") -> EngineStatus:
    """GetEngineStatus: On/Off and interval, what the runtime says, running cycles, the last
    failures and the dead letters waiting."""
    base = engine_status(hub)
    with hub.sessions() as session:
        running = (
            session.scalar(select(func.count()).select_from(SyncCycle).where(SyncCycle.state == "running"))
            or 0
        )
        last = session.scalar(select(func.max(SyncCycle.finished_at)))
        waiting = session.scalar(
            select(func.count()).select_from(SyncDeadLetter).where(SyncDeadLetter.attempts > 0)
        )
        latest_ids = (
            select(func.max(SyncCycle.id))
            .where(SyncCycle.state.in_(("ok", "failed")))
            .group_by(SyncCycle.connection_id)
        )
        failures = list(
            session.execute(
                select(ErpConnection.display_name, SyncCycle.message)
                .join(ErpConnection, ErpConnection.id == SyncCycle.connection_id)
                .where(SyncCycle.id.in_(latest_ids), SyncCycle.state == "failed")
            )
        )
    parts = [base.status_message]
    if runtime_note:
        parts.append(runtime_note)
    parts.append(_("%(count)s cycle(s) running.", count=running) if running else _("No cycle running."))
    if last is not None:
        parts.append(_("Last cycle finished %(moment)s UTC.", moment=_moment(last)))
    if failures:
        failed = "; ".join(f"{name}: {shown(message)}" for name, message in failures)
        parts.append(_("Last cycle failed for %(failures)s.", failures=failed))
    if waiting:
        parts.append(_("%(count)s record(s) in the dead letters.", count=waiting))
    return EngineStatus(base.is_running, " ".join(parts), base.interval_seconds)
