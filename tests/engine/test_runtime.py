"""The runtime on DBOS, embedded (SQLite): cycles as workflows, one at a time per connection, the
scheduler, and the recovery of a dead worker's cycle through the heartbeat (ARCHITECTURE §3.4)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from erpsync.crm.db import make_engine, make_session_factory, utcnow
from erpsync.database import target_metadata
from erpsync.engine import cycle
from erpsync.engine.models import SyncCycle, SyncWorker
from erpsync.engine.runtime import Runtime, system_database_url
from erpsync.hub.engine_settings import change_engine_status
from erpsync.hub.service import Hub
from tests.engine.fixtures import EngineWorld, engine_world
from tests.hub.fixtures_admin import CONNECTOR_SECRET, FieldMap

StartRuntime = Callable[..., Runtime]


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'erpsync.sqlite'}"
    engine = make_engine(url)
    target_metadata().create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def world(database: str, tmp_path: Path) -> Iterator[EngineWorld]:
    engine = make_engine(database)
    with engine_world(make_session_factory(engine), tmp_path) as built:
        yield built
    engine.dispose()


@pytest.fixture
def start_runtime(world: EngineWorld, database: str, tmp_path: Path) -> Iterator[StartRuntime]:
    """Start a runtime on the world's hub with quick timings; stopped at the end of the test."""
    started: list[Runtime] = []

    def start(worker: str = "tester", **options: Any) -> Runtime:
        settings: dict[str, Any] = {
            "schedule": False,
            "heartbeat_seconds": 0.3,
            "polling_interval": 0.05,
            "tick_seconds": 0.1,
            **options,
        }
        runtime = Runtime(world.hub, system_database_url(database, tmp_path), worker, **settings)
        runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop(drain_seconds=0)


def _cycles(hub: Hub, connection_id: int | None = None) -> list[SyncCycle]:
    with hub.sessions() as session:
        query = select(SyncCycle).order_by(SyncCycle.started_at, SyncCycle.id)
        if connection_id is not None:
            query = query.where(SyncCycle.connection_id == connection_id)
        return list(session.scalars(query))


def _outbound(world: EngineWorld, name: str) -> int:
    """A second connection: only one connection may write a CRM field, so this one only sends."""
    fields = {"Customer": {key: FieldMap(to_crm=False) for key in ("NAME", "PHONE", "COUNTRY")}}
    return world.add_connection(name, fields=fields, auto_import=False)


def _slow_pages(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    real = cycle.run_unit_page

    def slow(hub: Hub, cycle_id: int, unit: str) -> bool:
        time.sleep(seconds)
        return real(hub, cycle_id, unit)

    monkeypatch.setattr(cycle, "run_unit_page", slow)


def test_a_submitted_cycle_runs_as_a_workflow_and_records_its_cycle(
    world: EngineWorld, start_runtime: StartRuntime
) -> None:
    connection_id = world.add_connection("erp_a")
    actor = world.erp("erp_a").create_actor("Customer", {"NAME": "Fjord Fisk AS", "COUNTRY": "NO"})
    runtime = start_runtime()
    [outcome] = runtime.wait([runtime.submit(connection_id)], timeout=30)
    assert outcome.state == "ok", outcome.message
    row = _cycles(world.hub)[0]
    assert (row.id, row.state, row.worker, row.kind) == (outcome.cycle_id, "ok", "tester", "sync")
    assert row.finished_at is not None
    assert world.link("erp_a", "Customer", actor.erp_key) is not None
    # The runner the agent API's engine operations use: queued on the partition and awaited.
    report = runtime.runner()(connection_id, "sync", {})
    assert (report.state, report.connection_id, report.kind) == ("ok", connection_id, "sync")
    assert report.cycle_id == _cycles(world.hub)[-1].id
    status = runtime.status()
    assert "1 sync worker(s) running: tester" in status.status_message
    assert [w.name for w in status.workers if w.alive] == ["tester"]


def test_cycles_of_one_connection_never_overlap_while_connections_run_side_by_side(
    world: EngineWorld, start_runtime: StartRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = world.add_connection("erp_a"), _outbound(world, "erp_b")
    _slow_pages(monkeypatch, 0.03)
    runtime = start_runtime()
    handles = [runtime.submit(connection_id) for _ in range(4) for connection_id in (a, b)]
    outcomes = runtime.wait(handles, timeout=60)
    assert [o.state for o in outcomes] == ["ok"] * 8, [o.message for o in outcomes]
    intervals: dict[int, list[tuple[Any, Any]]] = {}
    for connection_id in (a, b):
        rows = _cycles(world.hub, connection_id)
        assert len(rows) == 4
        intervals[connection_id] = [(r.started_at, r.finished_at) for r in rows]
        for (_, end), (start, _) in itertools.pairwise(intervals[connection_id]):
            assert end <= start
    assert any(sa < eb and sb < ea for sa, ea in intervals[a] for sb, eb in intervals[b])


def test_sync_all_needs_the_engine_on_unless_forced(world: EngineWorld, start_runtime: StartRuntime) -> None:
    a, b = world.add_connection("erp_a"), _outbound(world, "erp_b")
    world.set_connection("erp_b", active=False)
    runtime = start_runtime()
    assert runtime.sync_all() == []
    forced = runtime.sync_all(force=True)
    assert [h.connection_id for h in forced] == [a]
    assert [o.state for o in runtime.wait(forced, timeout=30)] == ["ok"]
    assert _cycles(world.hub)[0].kind == "force"
    change_engine_status(world.hub, True)
    assert [h.connection_id for h in runtime.sync_all()] == [a]
    assert b not in {row.connection_id for row in _cycles(world.hub)}


def test_the_scheduler_enqueues_one_round_per_interval_only_while_on(
    world: EngineWorld, start_runtime: StartRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = world.add_connection("erp_a"), _outbound(world, "erp_b")
    runtime = start_runtime()
    assert runtime.schedule_tick(now=3000.0) == []  # Off
    change_engine_status(world.hub, True)  # every 300 s
    first = runtime.schedule_tick(now=3000.0)
    assert sorted(h.connection_id for h in first) == sorted([a, b])
    assert runtime.schedule_tick(now=3100.0) == []  # same interval
    runtime.wait(first, timeout=30)
    # Another process ticking in the same interval names the same workflows: nothing runs twice.
    other = Runtime(world.hub, runtime.system_database_url, "other")
    monkeypatch.setattr(other, "_last_tick", None)
    assert {h.workflow_id for h in other.schedule_tick(now=3200.0)} == {h.workflow_id for h in first}
    assert len(_cycles(world.hub)) == 2
    # A connection whose previous cycle is still queued or running gets no new one.
    _slow_pages(monkeypatch, 0.3)
    second = runtime.schedule_tick(now=3300.0)
    assert len(second) == 2
    assert runtime.schedule_tick(now=3600.0) == []
    assert [o.state for o in runtime.wait(second, timeout=30)] == ["ok", "ok"]
    change_engine_status(world.hub, False)
    assert runtime.schedule_tick(now=3900.0) == []
    assert len(_cycles(world.hub)) == 4


def test_the_scheduler_thread_starts_cycles_when_the_engine_is_switched_on(
    world: EngineWorld, start_runtime: StartRuntime
) -> None:
    connection_id = world.add_connection("erp_a")
    start_runtime(schedule=True)
    time.sleep(0.5)
    assert _cycles(world.hub) == []
    change_engine_status(world.hub, True)
    deadline = time.monotonic() + 20
    while not [r for r in _cycles(world.hub, connection_id) if r.state == "ok"]:
        assert time.monotonic() < deadline, "no scheduled cycle ran"
        time.sleep(0.1)


_DOOMED_WORKER = r"""
import sys, time
from pathlib import Path

from erpsync.crm.db import make_engine, make_session_factory, utcnow
from erpsync.engine import cycle
from erpsync.engine.runtime import Runtime
from erpsync.hub.service import Hub

url, hub_dir, system_url, marker, connection_id, secret = sys.argv[1:]


def stuck(hub, cycle_id, unit):
    Path(marker).write_text(str(cycle_id))
    time.sleep(600)


cycle.run_unit_page = stuck
hub = Hub.create(make_session_factory(make_engine(url)), Path(hub_dir), connector_secret=secret)
runtime = Runtime(hub, system_url, "doomed", schedule=False, heartbeat_seconds=0.3, polling_interval=0.05)
runtime.start()
runtime.submit(int(connection_id))
time.sleep(600)
"""


def test_a_dead_workers_cycle_is_recovered_by_a_live_worker_through_the_heartbeat(
    world: EngineWorld, start_runtime: StartRuntime, database: str, tmp_path: Path
) -> None:
    connection_id = world.add_connection("erp_a")
    actor = world.erp("erp_a").create_actor("Customer", {"NAME": "Fjord Fisk AS", "COUNTRY": "NO"})
    marker = tmp_path / "page-started"
    system_url = system_database_url(database, tmp_path)
    arguments = [
        database,
        str(tmp_path / "hub"),
        system_url,
        str(marker),
        str(connection_id),
        CONNECTOR_SECRET,
    ]
    doomed = subprocess.Popen([sys.executable, "-c", _DOOMED_WORKER, *arguments], env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert doomed.poll() is None, "the worker died before its first page"
            assert time.monotonic() < deadline, "the worker did not start its cycle"
            time.sleep(0.05)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    cycle_id = int(marker.read_text())
    # A cycle the dead worker had begun that no workflow will resume (it died inside the begin step).
    with world.hub.session() as session:
        orphan = SyncCycle(connection_id=connection_id, worker="doomed", state="running")
        session.add(orphan)
        session.flush()
        orphan_id = orphan.id
    start_runtime("rescuer", dead_after=1.0)
    deadline = time.monotonic() + 30
    while True:
        rows = {row.id: row for row in _cycles(world.hub)}
        if rows[cycle_id].state != "running":
            break
        assert time.monotonic() < deadline, "the dead worker's cycle was not recovered"
        time.sleep(0.1)
    assert rows[cycle_id].state == "ok", rows[cycle_id].message
    assert world.link("erp_a", "Customer", actor.erp_key) is not None
    assert rows[orphan_id].state == "abandoned"
    assert len(rows) == 2  # the recovered workflow resumed its cycle rather than beginning another
    with world.hub.sessions() as session:
        dead = session.get(SyncWorker, "doomed")
    assert dead is not None
    assert dead.recovered_by == "rescuer"


def test_the_engine_and_sync_commands(
    world: EngineWorld, database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from erpsync import cli
    from erpsync.protocol.plugins import registered_plugins, unregister_plugin

    connection_id = world.add_connection("erp_a")
    monkeypatch.setenv("ERPSYNC_DATABASE_URL", database)
    monkeypatch.setenv("ERPSYNC_DATA_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("ERPSYNC_CONNECTOR_SECRET", CONNECTOR_SECRET)
    plugins = set(registered_plugins())
    monkeypatch.setattr(cli.console, "width", 200)
    runner = CliRunner()
    try:
        result = runner.invoke(cli.app, ["sync", "run"])
        assert result.exit_code == 2, result.output
        assert "--force" in result.output
        result = runner.invoke(cli.app, ["sync", "run", "--connection", str(connection_id)])
        assert result.exit_code == 0, result.output
        assert "erp_a" in result.output
        assert "ok" in result.output
        assert runner.invoke(cli.app, ["engine", "on"]).exit_code == 0
        assert runner.invoke(cli.app, ["engine", "interval", "30"]).exit_code == 2
        result = runner.invoke(cli.app, ["engine", "interval", "120"])
        assert result.exit_code == 0, result.output
        assert "00:02:00" in result.output
        result = runner.invoke(cli.app, ["engine", "status"])
        assert result.exit_code == 0, result.output
        assert "Automatic sync is switched on (every 00:02:00)" in result.output
        assert "No sync worker is running" in result.output
        assert runner.invoke(cli.app, ["engine", "off"]).exit_code == 0
    finally:
        for name in set(registered_plugins()) - plugins:
            unregister_plugin(name)
    assert [row.state for row in _cycles(world.hub)] == ["ok"]


def test_claims_take_dead_workers_and_workers_whose_claimer_died_but_never_live_ones(
    world: EngineWorld, start_runtime: StartRuntime
) -> None:
    runtime = start_runtime(heartbeat_seconds=60.0, dead_after=5.0)  # claims made here only
    long_ago, now = utcnow() - timedelta(minutes=1), utcnow()
    with world.hub.session() as session:
        session.add_all(
            [
                SyncWorker(name="dead", started_at=long_ago, heartbeat_at=long_ago, recovered_by=""),
                # Claimed by a worker that died in its turn: claimable again.
                SyncWorker(name="orphaned", started_at=long_ago, heartbeat_at=long_ago, recovered_by="dead"),
                # Claimed by a live worker: left to it.
                SyncWorker(name="taken", started_at=long_ago, heartbeat_at=long_ago, recovered_by="alive"),
                SyncWorker(name="alive", started_at=now, heartbeat_at=now, recovered_by=""),
            ]
        )
    assert sorted(runtime.recover_dead_workers()) == ["dead", "orphaned"]
    assert runtime.recover_dead_workers() == []
    with world.hub.sessions() as session:
        claims = {name: by for name, by in session.execute(select(SyncWorker.name, SyncWorker.recovered_by))}
    assert claims == {"dead": "tester", "orphaned": "tester", "taken": "alive", "alive": "", "tester": ""}
    # A second process under a live worker's name would be handed that worker's workflows.
    runtime.stop(drain_seconds=0)
    with pytest.raises(RuntimeError, match="elsewhere"):
        Runtime(world.hub, runtime.system_database_url, "alive").start(name_wait=0)
