"""Where sync cycles run: DBOS workflows, one per connection cycle (ARCHITECTURE §3.4).

This is the only module that knows DBOS. A :class:`Runtime` is one process's worker: it configures
DBOS on the system database, registers the queue of cycles (partitioned by connection, so that two
cycles of one connection never run at once anywhere), schedules the automatic sync, heartbeats, and
recovers the pending workflows of workers that stopped heartbeating.

A cycle is the workflow :func:`connection_cycle`: a *begin* step, then per unit a loop of *page*
steps, then a *finish* step. Every step commits its own work (watermarks with the data), so a
step that is run again after a crash does no harm.

DBOS keeps one instance per process, so a process runs at most one :class:`Runtime` at a time;
stopping it releases DBOS and another may be started.

Usage::

    runtime = Runtime(hub, system_database_url(settings.database_url, settings.data_dir), worker="w1")
    runtime.start()
    outcomes = runtime.wait(runtime.sync_all(force=True), timeout=60)
    runtime.stop()
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dbos import (
    DBOS,
    DBOSClient,
    Queue,
    SetEnqueueOptions,
    SetWorkflowAttributes,
    SetWorkflowID,
    WorkflowStatus,
)
from dbos import error as dbos_error
from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased

from erpsync import __version__
from erpsync.crm.db import utcnow
from erpsync.crm.texts import _, in_every_language
from erpsync.engine import cycle as _cycle
from erpsync.engine.cycle import CycleReport
from erpsync.engine.models import SyncCycle, SyncWorker
from erpsync.hub.conversion import problem_text
from erpsync.hub.engine_settings import DEFAULT_INTERVAL
from erpsync.hub.models import ErpConfiguration
from erpsync.hub.service import Hub
from erpsync.hub.transactions import reading, writing

__all__ = [
    "QUEUE",
    "CycleHandle",
    "CycleOutcome",
    "Runtime",
    "RuntimeStatus",
    "WorkerInfo",
    "connection_cycle",
    "queue_counts",
    "runtime_note",
    "system_database_url",
    "workers",
]

log = logging.getLogger(__name__)

APP_NAME = "erpsync"
#: Bump when the workflow's sequence of steps changes: DBOS recovers only workflows of its own
#: application version, and a fixed version lets every process of a release recover the others'.
WORKFLOW_VERSION = "1"
QUEUE = "erpsync-cycles"
#: Workflow statuses of a cycle that is waiting (ENQUEUED) or under way (PENDING).
_QUEUED, _RUNNING = "ENQUEUED", "PENDING"
_FINAL = frozenset({"SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"})
#: A worker row unseen for this long (and recovered) is forgotten.
_FORGET_AFTER = timedelta(days=7)


def system_database_url(database_url: str, data_dir: Path) -> str:
    """The DBOS system database for erpsync's database.

    PostgreSQL: the same database (DBOS keeps its tables in its own schema ``dbos``, apart from
    ours in ``public``). SQLite: the file ``dbos.sqlite`` beside the app's file (else in
    ``data_dir``): a second file, because DBOS has no schemas there and the two would otherwise
    share one write lock.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.get_backend_name() != "sqlite":
        raise ValueError(f"Unsupported database {url.get_backend_name()!r}: use sqlite or postgresql.")
    database = url.database or ""
    folder = (
        data_dir if database in ("", ":memory:") or database.startswith("file:") else Path(database).parent
    )
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'dbos.sqlite'}"


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CycleHandle:
    """A cycle that was enqueued (or found already queued)."""

    workflow_id: str
    connection_id: int
    kind: str


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    """What came of a cycle. ``state``: ok, failed, skipped (inactive or deleted connection),
    abandoned, error (the workflow itself failed), or, when waiting timed out, queued / running."""

    connection_id: int
    workflow_id: str
    state: str
    cycle_id: int = 0
    message: str = ""
    pulled: int = 0
    pushed: int = 0
    failed: int = 0

    @property
    def done(self) -> bool:
        return self.state not in (_QUEUED_STATE, _RUNNING_STATE)


_QUEUED_STATE, _RUNNING_STATE = "queued", "running"


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    name: str
    started_at: datetime
    heartbeat_at: datetime
    alive: bool
    recovered_by: str


@dataclass(frozen=True, slots=True)
class RuntimeStatus:
    """GetEngineStatus as the runtime sees it: the settings, the workers and the queue."""

    is_running: bool
    interval_seconds: int
    workers: list[WorkerInfo]
    queued: int
    running: int
    status_message: str


def workers(hub: Hub, dead_after: float = 15.0) -> list[WorkerInfo]:
    """The workers that signed in, alive when seen within ``dead_after`` seconds."""
    cutoff = utcnow() - timedelta(seconds=dead_after)
    with reading(hub) as session:
        return [
            WorkerInfo(w.name, w.started_at, w.heartbeat_at, w.heartbeat_at >= cutoff, w.recovered_by)
            for w in session.scalars(select(SyncWorker).order_by(SyncWorker.name))
        ]


def runtime_note(seen: Sequence[WorkerInfo], queued: int | None, running: int | None) -> str:
    """The runtime's part of the engine's StatusMessage: who works, what waits."""
    alive = [w.name for w in seen if w.alive]
    if alive:
        parts = [_("%(count)s sync worker(s) running: %(names)s.", count=len(alive), names=", ".join(alive))]
    else:
        parts = [_("No sync worker is running: queued cycles wait until one starts.")]
    gone = [w for w in seen if not w.alive and w.recovered_by]
    if gone:
        workers = ", ".join(_("%(worker)s (by %(by)s)", worker=w.name, by=w.recovered_by) for w in gone)
        parts.append(_("Stopped and recovered: %(workers)s.", workers=workers))
    if queued is not None and running is not None:
        parts.append(
            _("Queue: %(queued)s cycle(s) waiting, %(running)s under way.", queued=queued, running=running)
        )
    return " ".join(parts)


def queue_counts(system_database_url: str) -> tuple[int, int] | None:
    """Cycles (queued, running) read from the system database without launching DBOS, for a process
    that is no worker; None when there is nothing to read (no worker ever ran)."""
    url = make_url(system_database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None
    try:
        client = DBOSClient(system_database_url=system_database_url, retry_connection_errors=False)
    except Exception:
        return None
    try:
        found = client.list_workflows(
            queue_name=QUEUE, status=[_QUEUED, _RUNNING], load_input=False, load_output=False
        )
    except Exception:
        return None
    finally:
        client.destroy()
    queued = sum(1 for w in found if w.status == _QUEUED)
    return queued, len(found) - queued


# --- the workflow ----------------------------------------------------------------------------------

_active: Runtime | None = None


def _runtime() -> Runtime:
    if _active is None:
        raise RuntimeError("No erpsync runtime is running in this process.")
    return _active


@DBOS.step(name="erpsync.begin_cycle")
def _begin_step(connection_id: int, kind: str, params: dict[str, Any] | None) -> dict[str, Any]:
    runtime = _runtime()
    workflow_id = DBOS.workflow_id
    assert workflow_id is not None
    # A previous attempt of this very step may have begun a cycle and died before DBOS recorded
    # the step: that cycle will never finish, so it is closed here before a new one begins.
    status = DBOS.get_workflow_status(workflow_id)
    earlier = (status.attributes or {}).get("cycle_id") if status else None
    if isinstance(earlier, int):
        _abandon(runtime.hub, [earlier], _("The worker stopped before the cycle began; it was begun again."))
    try:
        start = _cycle.begin_cycle(
            runtime.hub, connection_id, kind=kind, worker=runtime.worker, params=params
        )
    except Exception as exc:
        log.exception("cycle of connection %s could not begin", connection_id)
        error = in_every_language(_("The cycle could not begin: %(problem)s", problem=str(exc)))
        return {"cycle_id": 0, "units": [], "skipped": "", "error": error}
    if start.cycle_id:
        DBOS.update_workflow_attributes(workflow_id, {"cycle_id": start.cycle_id}, merge=True)
    # What a step returns is stored as plain text: its messages go in every language.
    skipped = in_every_language(start.skipped)
    return {"cycle_id": start.cycle_id, "units": list(start.units), "skipped": skipped, "error": ""}


def _transient(exc: BaseException) -> bool:
    # A locked or briefly unreachable database is worth another try; the page step is idempotent.
    return isinstance(exc, OperationalError)


@DBOS.step(
    name="erpsync.run_unit_page",
    retries_allowed=True,
    max_attempts=3,
    interval_seconds=1.0,
    should_retry=_transient,
)
def _page_step(cycle_id: int, unit: str) -> tuple[bool, str]:
    """One page of one unit: (unit done, error that ends the cycle)."""
    try:
        return _cycle.run_unit_page(_runtime().hub, cycle_id, unit), ""
    except _cycle.ConnectionFailure as exc:
        return True, in_every_language(problem_text(exc)) or type(exc).__name__
    except OperationalError:
        raise
    except Exception as exc:
        log.exception("cycle %s, unit %s failed", cycle_id, unit)
        return True, in_every_language(
            _("Internal error in %(unit)s: %(problem)s", unit=unit, problem=str(exc))
        )


@DBOS.step(name="erpsync.finish_cycle", retries_allowed=True, max_attempts=3, interval_seconds=1.0)
def _finish_step(cycle_id: int, error: str) -> dict[str, Any]:
    report = _cycle.finish_cycle(_runtime().hub, cycle_id, error=error)
    return {
        "cycle_id": cycle_id,
        "state": report.state,
        "message": report.message,
        "pulled": report.pulled,
        "pushed": report.pushed,
        "failed": report.failed,
    }


@DBOS.workflow(name="erpsync.connection_cycle")
def connection_cycle(
    connection_id: int, kind: str = "sync", params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One sync cycle of one connection, as a durable workflow; returns the cycle's report."""
    runtime = _runtime()
    with runtime._inflight_lock:
        runtime._inflight += 1
    try:
        start = _begin_step(connection_id, kind, params)
        result: dict[str, Any] = {"connection_id": connection_id, "cycle_id": start["cycle_id"]}
        if not start["cycle_id"]:
            state = "failed" if start["error"] else "skipped"
            return {**result, "state": state, "message": start["error"] or start["skipped"]}
        error = start["error"]
        for unit in start["units"]:
            done = False
            while not (done or error):
                try:
                    done, error = _page_step(start["cycle_id"], unit)
                except dbos_error.DBOSMaxStepRetriesExceeded as exc:
                    error = in_every_language(
                        _(
                            "The database stayed unavailable in %(unit)s: %(problem)s",
                            unit=unit,
                            problem=str(exc),
                        )
                    )
            if error:
                break
        return {**result, **_finish_step(start["cycle_id"], error)}
    finally:
        with runtime._inflight_lock:
            runtime._inflight -= 1


def _abandon(hub: Hub, cycle_ids: Sequence[int], message: str) -> int:
    if not cycle_ids:
        return 0
    with writing(hub) as session:
        result = session.execute(
            update(SyncCycle)
            .where(SyncCycle.id.in_(cycle_ids), SyncCycle.state == "running")
            .values(state="abandoned", finished_at=utcnow(), message=in_every_language(message))
        )
        return int(getattr(result, "rowcount", 0) or 0)


# --- the runtime -----------------------------------------------------------------------------------


class Runtime:
    """One process's sync worker on DBOS; see the module docstring.

    ``worker`` is the stable DBOS executor id and the name in ``sync_workers``. ``listen=False``
    makes a process that only enqueues (a web tier leaving the cycles to workers). The heartbeat
    runs every ``heartbeat_seconds``; a worker unseen for ``dead_after`` seconds (default three
    heartbeats) is taken for dead and its pending cycles are recovered. The scheduler looks at the
    engine settings every ``tick_seconds``. ``rate_limit`` caps the cycles a connection may start
    per ``rate_period`` seconds; ``pool_size`` is DBOS's connection pool.
    """

    def __init__(
        self,
        hub: Hub,
        system_database_url: str,
        worker: str,
        *,
        listen: bool = True,
        schedule: bool = True,
        heartbeat_seconds: float = 5.0,
        dead_after: float | None = None,
        tick_seconds: float = 2.0,
        polling_interval: float = 0.5,
        rate_limit: int = 10,
        rate_period: float = 60.0,
        pool_size: int = 10,
        log_level: str = "WARNING",
    ) -> None:
        if not worker or len(worker) > 100:
            raise ValueError(_("A worker needs a name of 1 to 100 characters."))
        self.hub = hub
        self.system_database_url = system_database_url
        self.worker = worker
        self.listen = listen
        self.schedule = schedule
        self.heartbeat_seconds = heartbeat_seconds
        self.dead_after = dead_after if dead_after is not None else 3 * heartbeat_seconds
        self.tick_seconds = tick_seconds
        self.polling_interval = polling_interval
        self.rate_limit = rate_limit
        self.rate_period = rate_period
        self.pool_size = pool_size
        self.log_level = log_level
        #: Ends the scheduler; the heartbeat has its own, as it goes on while cycles drain.
        self._stop = threading.Event()
        self._stop_heartbeat = threading.Event()
        self._launched = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None
        self._scheduler_thread: threading.Thread | None = None
        self._last_tick: tuple[int, int] | None = None
        self._queue: Queue | None = None
        self._started = False
        self._inflight = 0
        self._inflight_lock = threading.Lock()

    # lifecycle

    def start(self, name_wait: float | None = None) -> None:
        """Launch DBOS and the background threads.

        A worker row of this name that heartbeat less than ``dead_after`` seconds ago means another
        process may be this worker (or this one crashed a moment ago): DBOS would hand it this
        name's pending workflows, so start waits (up to ``name_wait``, default ``dead_after`` plus
        a heartbeat) for that row to go stale, then raises.
        """
        global _active
        if _active is not None:
            raise RuntimeError("An erpsync runtime is already running in this process.")
        self._claim_name(self.dead_after + self.heartbeat_seconds if name_wait is None else name_wait)
        launched_at = utcnow()
        self._stop.clear()
        self._stop_heartbeat.clear()
        self._launched.clear()
        # Heartbeat from now on: launching DBOS (its migrations) can outlast ``dead_after``.
        self._heartbeat_thread = _spawn(self._heartbeat_loop, "erpsync-heartbeat")
        dbos_log = logging.getLogger("dbos")
        if not dbos_log.handlers:
            # DBOS then adds no console handler of its own (bound to the stderr of the moment), and
            # its records go wherever the application's logging sends them.
            dbos_log.addHandler(logging.NullHandler())
        try:
            DBOS(
                config={
                    "name": APP_NAME,
                    "system_database_url": self.system_database_url,
                    "executor_id": self.worker,
                    "application_version": f"{APP_NAME}-{__version__}-{WORKFLOW_VERSION}",
                    "log_level": self.log_level,
                    # DBOS's default of 20 per process soon exhausts PostgreSQL's 100 connections.
                    "sys_db_pool_size": self.pool_size,
                }
            )
            _active = self
            if not self.listen:
                DBOS.listen_queues([])
            DBOS.launch()
            # Queues live in the system database and can only be registered once it is open.
            self._queue = DBOS.register_queue(
                QUEUE,
                partition_concurrency=1,
                partition_limiter={"limit": self.rate_limit, "period": self.rate_period},
                polling_interval_sec=self.polling_interval,
                on_conflict="always_update",
            )
            # Launch re-enqueued this name's own pending workflows; cycles begun by this name
            # before the launch that no workflow will resume are closed.
            self._abandon_orphans(self.worker, before=launched_at)
        except BaseException:
            _active = None
            self._stop_heartbeat.set()
            self._heartbeat_thread.join(timeout=30)
            DBOS.destroy()
            self._sign_off(interrupted=False)
            raise
        self._started = True
        self._launched.set()
        if self.schedule:
            self._scheduler_thread = _spawn(self._scheduler_loop, "erpsync-scheduler")

    def stop(self, drain_seconds: int = 10) -> None:
        """Stop scheduling and dequeuing, give running cycles ``drain_seconds`` to finish, shut DBOS
        down. A cycle still running then is left to the other workers' recovery."""
        global _active
        if not self._started:
            return
        self._started = False
        self._launched.clear()
        self._stop.set()
        if self._scheduler_thread is not None:
            self._scheduler_thread.join(timeout=30)
        try:
            DBOS.destroy(workflow_completion_timeout_sec=drain_seconds)
        finally:
            # The heartbeat goes on until the last workflow thread has let go (a page under way
            # ends, the next step fails without DBOS): a peer recovering the unfinished cycles
            # sooner would run a page of the same cycle side by side with it.
            interrupted = self._wait_for_workflows(timeout=max(60.0, self.dead_after))
            self._stop_heartbeat.set()
            if self._heartbeat_thread is not None:
                self._heartbeat_thread.join(timeout=30)
            self._heartbeat_thread = self._scheduler_thread = None
            _active = None
        self._sign_off(interrupted)

    def _sign_off(self, interrupted: bool) -> None:
        """Remove this worker's row; after interrupted cycles, make it stale instead, so that a
        peer recovers them at once."""
        try:
            with writing(self.hub) as session:
                if interrupted:
                    stale = utcnow() - timedelta(seconds=self.dead_after + 1)
                    session.execute(
                        update(SyncWorker).where(SyncWorker.name == self.worker).values(heartbeat_at=stale)
                    )
                else:
                    session.execute(delete(SyncWorker).where(SyncWorker.name == self.worker))
        except Exception:
            log.exception("could not sign worker %s off", self.worker)

    def _wait_for_workflows(self, timeout: float) -> bool:
        """Wait until no workflow runs in this process; whether any was running when called."""
        deadline = time.monotonic() + timeout
        with self._inflight_lock:
            interrupted = self._inflight > 0
        while interrupted and time.monotonic() < deadline:
            with self._inflight_lock:
                if self._inflight == 0:
                    break
            time.sleep(0.05)
        return interrupted

    def __enter__(self) -> Runtime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._started

    # enqueueing

    def submit(
        self, connection_id: int, kind: str = "sync", params: dict[str, Any] | None = None
    ) -> CycleHandle:
        """Enqueue one cycle of a connection; it runs when no other cycle of the connection does."""
        return self._enqueue(connection_id, kind, params, f"{kind}-{connection_id}-{uuid.uuid4().hex}")

    def sync_all(self, force: bool = False) -> list[CycleHandle]:
        """SyncAll (only while automatic sync is On) or ForceSyncAll (``force``): a cycle for every
        active connection, in priority order. A connection whose cycle is still waiting in the
        queue gets no second one (that cycle will see the same changes): its handle is returned."""
        if not force and not self._settings()[0]:
            return []
        kind = "force" if force else "sync"
        waiting = self._busy(running=False)
        handles: list[CycleHandle] = []
        for connection_id in _cycle.cycle_connections(self.hub):
            if connection_id in waiting:
                handles.append(CycleHandle(waiting[connection_id], connection_id, kind))
            else:
                handles.append(self.submit(connection_id, kind))
        return handles

    def schedule_tick(self, now: float | None = None) -> list[CycleHandle]:
        """One look at the engine settings: while automatic sync is On, at most one round of cycles
        per interval. Every process may tick; the workflow ids name the interval slot, so the
        processes' rounds coincide and DBOS keeps one workflow per id. A connection whose previous
        cycle is still queued or running is left out of the round."""
        running, interval = self._settings()
        if not running:
            self._last_tick = None
            return []
        interval = max(1, interval)
        slot = int((time.time() if now is None else now) // interval)
        if self._last_tick == (interval, slot):
            return []
        busy = self._busy(running=True)
        handles = [
            self._enqueue(connection_id, "sync", None, f"sync-{connection_id}-every{interval}-{slot}")
            for connection_id in _cycle.cycle_connections(self.hub)
            if connection_id not in busy
        ]
        self._last_tick = (interval, slot)
        return handles

    def _enqueue(
        self, connection_id: int, kind: str, params: dict[str, Any] | None, workflow_id: str
    ) -> CycleHandle:
        # A runtime that was not started may still enqueue through the one that runs here.
        queue = self._queue or DBOS.retrieve_queue(QUEUE)
        if queue is None:
            raise RuntimeError("No erpsync runtime is running in this process.")
        attributes = {"connection_id": connection_id, "kind": kind}
        with (
            SetWorkflowID(workflow_id),
            SetEnqueueOptions(queue_partition_key=f"connection-{connection_id}"),
            SetWorkflowAttributes(attributes),
        ):
            handle = queue.enqueue(connection_cycle, connection_id, kind, params)
        return CycleHandle(handle.get_workflow_id(), connection_id, kind)

    def _queue_workflows(self, statuses: Iterable[str]) -> list[WorkflowStatus]:
        return DBOS.list_workflows(
            queue_name=QUEUE, status=list(statuses), load_input=False, load_output=False
        )

    def _busy(self, running: bool) -> dict[int, str]:
        """Connection id → workflow id of its cycle waiting in the queue (or also under way)."""
        statuses = [_QUEUED, _RUNNING] if running else [_QUEUED]
        busy: dict[int, str] = {}
        for status in self._queue_workflows(statuses):
            connection_id = (status.attributes or {}).get("connection_id")
            if isinstance(connection_id, int):
                busy.setdefault(connection_id, status.workflow_id)
        return busy

    def _settings(self) -> tuple[bool, int]:
        with reading(self.hub) as session:
            row = session.scalar(select(ErpConfiguration).order_by(ErpConfiguration.id).limit(1))
            return (row.sync_running, row.sync_interval) if row else (False, DEFAULT_INTERVAL)

    # waiting

    def wait(
        self,
        handles: Sequence[CycleHandle],
        timeout: float | None = None,
        on_done: Callable[[CycleOutcome], None] | None = None,
    ) -> list[CycleOutcome]:
        """The outcomes of ``handles`` (same order) once all are done or ``timeout`` seconds passed;
        ``on_done`` hears of each as it finishes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        by_id = {h.workflow_id: h for h in handles}
        outcomes: dict[str, CycleOutcome] = {}
        last: dict[str, WorkflowStatus] = {}
        while True:
            waiting = [wid for wid in by_id if wid not in outcomes]
            if not waiting:
                break
            for status in DBOS.list_workflows(workflow_ids=waiting, load_input=False):
                last[status.workflow_id] = status
                if status.status in _FINAL:
                    outcome = _outcome(by_id[status.workflow_id], status)
                    outcomes[status.workflow_id] = outcome
                    if on_done is not None:
                        on_done(outcome)
            if deadline is not None and time.monotonic() >= deadline:
                break
            if len(outcomes) < len(by_id):
                time.sleep(0.1)
        return [outcomes.get(h.workflow_id) or _outcome(h, last.get(h.workflow_id)) for h in handles]

    # status

    def status_note(self) -> str:
        """The runtime's part of GetEngineStatus: live workers and the queue."""
        seen = workers(self.hub, self.dead_after)
        found = self._queue_workflows([_QUEUED, _RUNNING])
        queued = sum(1 for w in found if w.status == _QUEUED)
        return runtime_note(seen, queued, len(found) - queued)

    def status(self) -> RuntimeStatus:
        """GetEngineStatus: On/Off, interval, live workers, queued and running cycles, and the
        engine's StatusMessage (failures and dead letters included)."""
        from .operations import engine_overview

        seen = workers(self.hub, self.dead_after)
        found = self._queue_workflows([_QUEUED, _RUNNING])
        queued = sum(1 for w in found if w.status == _QUEUED)
        running = len(found) - queued
        overview = engine_overview(self.hub, runtime_note(seen, queued, running))
        return RuntimeStatus(
            is_running=overview.is_running,
            interval_seconds=overview.interval_seconds,
            workers=seen,
            queued=queued,
            running=running,
            status_message=overview.status_message,
        )

    def runner(self, timeout: float = 3600.0) -> Callable[[int, str, dict[str, Any]], CycleReport]:
        """A :data:`erpsync.engine.operations.CycleRunner`: the cycle is queued on its connection's
        partition and awaited (``timeout`` seconds at most; a cycle still waiting then goes on)."""

        def run(connection_id: int, kind: str, params: dict[str, Any]) -> CycleReport:
            [outcome] = self.wait([self.submit(connection_id, kind, params or None)], timeout)
            message = outcome.message
            if not outcome.done:
                message = _(
                    "The cycle is still %(state)s after %(seconds)s s; it goes on in the background.",
                    state=outcome.state,
                    seconds=f"{timeout:g}",
                )
            state = "failed" if outcome.state == "error" else outcome.state
            return CycleReport(
                outcome.cycle_id,
                connection_id,
                kind,
                state,
                outcome.pulled,
                outcome.pushed,
                outcome.failed,
                message,
            )

        return run

    # heartbeat and recovery

    def _claim_name(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            with writing(self.hub) as session:
                row = session.get(SyncWorker, self.worker)
                now = utcnow()
                fresh = (
                    row is not None
                    and not row.recovered_by
                    and row.heartbeat_at > now - timedelta(seconds=self.dead_after)
                )
                if not fresh:
                    if row is None:
                        session.add(
                            SyncWorker(name=self.worker, started_at=now, heartbeat_at=now, recovered_by="")
                        )
                    else:
                        row.started_at, row.heartbeat_at, row.recovered_by = now, now, ""
                    return
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    _(
                        "Worker %(worker)r heartbeat less than %(seconds)s s ago: is it running elsewhere? "
                        "Use another name, or wait until it has stopped.",
                        worker=self.worker,
                        seconds=f"{self.dead_after:g}",
                    )
                )
            log.warning("worker %s was seen a moment ago; waiting for it to go stale", self.worker)
            time.sleep(min(1.0, self.heartbeat_seconds))

    def heartbeat(self) -> None:
        """Tell the others this worker is alive."""
        with writing(self.hub) as session:
            row = session.get(SyncWorker, self.worker)
            now = utcnow()
            if row is None:
                session.add(SyncWorker(name=self.worker, started_at=now, heartbeat_at=now, recovered_by=""))
                return
            if row.recovered_by:
                # Taken for dead (a long stall?): the cycles it had were handed on. It lives again,
                # so it must be recoverable again should it really die.
                log.warning("worker %s was recovered by %s while still alive", self.worker, row.recovered_by)
                row.recovered_by = ""
            row.heartbeat_at = now

    def recover_dead_workers(self) -> list[str]:
        """Claim every worker that stopped heartbeating (one claimer wins each, by a conditional
        update), hand its pending workflows back to the queue, and close the cycles it had begun
        that no workflow will resume. Returns the workers recovered here."""
        now = utcnow()
        cutoff = now - timedelta(seconds=self.dead_after)
        # An alias, so that the subquery is not correlated with the row being claimed.
        live = aliased(SyncWorker, name="live")
        alive = select(live.name).where(live.heartbeat_at >= cutoff)
        claimable = (
            SyncWorker.name != self.worker,
            SyncWorker.heartbeat_at < cutoff,
            # Unclaimed, or claimed by a worker that died in its turn before finishing.
            or_(SyncWorker.recovered_by == "", SyncWorker.recovered_by.not_in(alive)),
        )
        with reading(self.hub) as session:
            candidates = list(session.scalars(select(SyncWorker.name).where(*claimable)))
        recovered: list[str] = []
        for name in candidates:
            with writing(self.hub) as session:
                claim = session.execute(
                    update(SyncWorker)
                    .where(SyncWorker.name == name, *claimable)
                    .values(recovered_by=self.worker)
                    .execution_options(synchronize_session=False)
                )
                won = bool(getattr(claim, "rowcount", 0))
            if not won:
                continue
            handles = DBOS._recover_pending_workflows([name])
            closed = self._abandon_orphans(name)
            log.warning(
                "worker %s stopped heartbeating: %d workflow(s) recovered, %d cycle(s) closed",
                name,
                len(handles),
                closed,
            )
            recovered.append(name)
        with writing(self.hub) as session:
            session.execute(
                delete(SyncWorker).where(
                    SyncWorker.recovered_by != "", SyncWorker.heartbeat_at < now - _FORGET_AFTER
                )
            )
        return recovered

    def _abandon_orphans(self, worker: str, before: datetime | None = None) -> int:
        """Close the running cycles ``worker`` began that no queued or pending workflow names (the
        worker died inside the begin step): nothing would ever finish them."""
        live = {
            cycle_id
            for status in self._queue_workflows([_QUEUED, _RUNNING])
            if isinstance(cycle_id := (status.attributes or {}).get("cycle_id"), int)
        }
        with reading(self.hub) as session:
            query = select(SyncCycle.id).where(SyncCycle.worker == worker, SyncCycle.state == "running")
            if before is not None:
                query = query.where(SyncCycle.started_at < before)
            orphans = [each for each in session.scalars(query) if each not in live]
        return _abandon(self.hub, orphans, _("Worker %(worker)s stopped during the cycle.", worker=worker))

    # threads

    def _heartbeat_loop(self) -> None:
        while not self._stop_heartbeat.wait(self.heartbeat_seconds):
            try:
                self.heartbeat()
                if self._launched.is_set():
                    self.recover_dead_workers()
            except Exception:
                log.exception("heartbeat of worker %s failed", self.worker)

    def _scheduler_loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.schedule_tick()
            except Exception:
                log.exception("the scheduler of worker %s failed", self.worker)


def _spawn(target: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def _outcome(handle: CycleHandle, status: WorkflowStatus | None) -> CycleOutcome:
    if status is None or status.status == _QUEUED:
        return CycleOutcome(handle.connection_id, handle.workflow_id, _QUEUED_STATE)
    if status.status == _RUNNING:
        cycle_id = (status.attributes or {}).get("cycle_id")
        return CycleOutcome(
            handle.connection_id,
            handle.workflow_id,
            _RUNNING_STATE,
            cycle_id if isinstance(cycle_id, int) else 0,
        )
    output = status.output if isinstance(status.output, dict) else None
    if status.status != "SUCCESS" or output is None:
        message = (
            str(status.error) if status.error else _("The workflow ended %(status)s.", status=status.status)
        )
        return CycleOutcome(handle.connection_id, handle.workflow_id, "error", message=message)
    return CycleOutcome(
        connection_id=handle.connection_id,
        workflow_id=handle.workflow_id,
        state=str(output.get("state", "")),
        cycle_id=int(output.get("cycle_id") or 0),
        message=str(output.get("message", "")),
        pulled=int(output.get("pulled") or 0),
        pushed=int(output.get("pushed") or 0),
        failed=int(output.get("failed") or 0),
    )
