"""Scaled out on PostgreSQL (ARCHITECTURE §3.4): three ``erpsync worker`` processes run rounds of
cycles of 30 connections to the demo connector over HTTP; one worker is killed in the middle of a
cycle. Every cycle still completes, the cycles of one connection never overlap, and every change
reaches its ERP."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import make_engine, make_session_factory
from erpsync.database import prepare_database
from erpsync.engine.models import SyncCycle, SyncWorker
from erpsync.engine.runtime import Runtime, system_database_url
from erpsync.hub.links import bind
from erpsync.hub.models import ErpConnection
from tests.engine.fixtures import EngineWorld, engine_world
from tests.hub.fixtures_admin import CONNECTOR_SECRET, FieldMap

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

CONNECTIONS = 30
COMPANIES = 3
ROUNDS = 3
WORKERS = ("w1", "w2", "w3")
VICTIM = "w2"
#: Only one connection may write a CRM field, so all 30 send the CRM's values to their ERPs.
OUTBOUND = {"Customer": {key: FieldMap(to_crm=False) for key in ("NAME", "PHONE")}}


def _wipe(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS dbos CASCADE")
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture
def database(postgres_database: str) -> Iterator[str]:
    _wipe(postgres_database)
    prepare_database(postgres_database)
    yield postgres_database
    _wipe(postgres_database)


@pytest.fixture
def world(database: str, tmp_path: Path) -> Iterator[EngineWorld]:
    engine = make_engine(database)
    with engine_world(make_session_factory(engine), tmp_path) as built:
        yield built
    engine.dispose()


@pytest.fixture
def workers(database: str, tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "ERPSYNC_DATABASE_URL": database,
        "ERPSYNC_DATA_DIR": str(tmp_path / "hub"),  # the hub's key, to read the connections' config
        "ERPSYNC_CONNECTOR_SECRET": CONNECTOR_SECRET,
    }
    command = [str(Path(sys.executable).with_name("erpsync")), "worker", "--no-schedule"]
    timings = ["--heartbeat", "0.5", "--dead-after", "2", "--polling-interval", "0.1", "--drain", "5"]
    started: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in WORKERS}
    try:
        for name in WORKERS:
            started[name] = subprocess.Popen(
                [*command, "--id", name, *timings], env=env, stdout=logs[name], stderr=subprocess.STDOUT
            )
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in started.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            logs[name].close()
            sys.stdout.write(f"--- {name} (exit {process.returncode}) ---\n")
            sys.stdout.write((tmp_path / f"{name}.log").read_text(errors="replace")[-3000:])


def _link_companies(world: EngineWorld, name: str, companies: list[int]) -> list[str]:
    """The CRM companies, each joined to an actor of its own in ERP ``name``; the actors' keys."""
    keys: list[str] = []
    with world.hub.session() as session:
        connection = session.get(ErpConnection, world.connections[name])
        assert connection is not None
        for index, company_id in enumerate(companies):
            values = {"NAME": f"Company {index}", "PHONE": "+47 00 00 00 00"}
            actor = world.erp(name).create_actor("Customer", values)
            bind(
                session,
                connection,
                CrmEntity.company,
                company_id,
                "Customer",
                actor.erp_key,
                actor.last_modified,
                values,
            )
            keys.append(actor.erp_key)
    return keys


def _phone(round_: int, index: int) -> str:
    return f"+47 {round_:02d} {index:02d} 00 00"


def _cycles(world: EngineWorld) -> list[SyncCycle]:
    with world.hub.sessions() as session:
        return list(session.scalars(select(SyncCycle).order_by(SyncCycle.started_at, SyncCycle.id)))


def test_three_workers_run_every_cycle_once_at_a_time_per_connection_despite_a_killed_worker(
    world: EngineWorld, workers: dict[str, subprocess.Popen[bytes]], database: str, tmp_path: Path
) -> None:
    companies = [
        world.crm_create(CrmEntity.company, name=f"Company {index}", phone="+47 00 00 00 00")
        for index in range(COMPANIES)
    ]
    names = [f"erp_{number:02d}" for number in range(CONNECTIONS)]
    keys = {}
    for name in names:
        world.add_connection(name, fields=OUTBOUND, auto_import=False)
        keys[name] = _link_companies(world, name, companies)
    # This process only enqueues; its long dead_after leaves the recovery to the workers.
    runtime = Runtime(
        world.hub,
        system_database_url(database, tmp_path),
        "enqueuer",
        listen=False,
        schedule=False,
        heartbeat_seconds=0.5,
        dead_after=60,
    )
    runtime.start()
    try:
        handles = []
        interrupted: set[int] = set()
        for round_ in range(1, ROUNDS + 1):
            for index, company_id in enumerate(companies):
                world.crm_update(CrmEntity.company, company_id, phone=_phone(round_, index))
            handles += [runtime.submit(world.connections[name]) for name in names]
            if round_ == 2:
                interrupted = _kill_in_the_middle_of_a_cycle(world, workers[VICTIM])
        outcomes = runtime.wait(handles, timeout=90)
    finally:
        runtime.stop(drain_seconds=0)
    assert [o.state for o in outcomes] == ["ok"] * len(handles), {o.message for o in outcomes}

    cycles = _cycles(world)
    assert sum(c.state == "ok" for c in cycles) == len(handles)
    assert {c.worker for c in cycles if c.state != "ok"} <= {VICTIM}  # abandoned, begun again
    assert {c.worker for c in cycles} == set(WORKERS)
    for connection_id in world.connections.values():
        mine = [
            (c.started_at, c.finished_at)
            for c in cycles
            if c.connection_id == connection_id and c.state == "ok"
        ]
        assert len(mine) == ROUNDS
        for (_, end), (start, _) in itertools.pairwise(mine):
            assert end is not None
            assert end <= start, f"cycles of connection {connection_id} overlap"
    with world.hub.sessions() as session:
        victim = session.get(SyncWorker, VICTIM)
    assert victim is not None
    assert victim.recovered_by in set(WORKERS) - {VICTIM}
    # The cycles the victim was in the middle of were resumed elsewhere (or, had it died inside the
    # begin step, closed and begun again).
    assert {c.state for c in cycles if c.id in interrupted} <= {"ok", "abandoned"}
    for name in names:
        for index, key in enumerate(keys[name]):
            actor = world.erp(name).get_actor("Customer", key)
            assert actor is not None
            assert actor.field_values["PHONE"] == _phone(ROUNDS, index), name


def _kill_in_the_middle_of_a_cycle(world: EngineWorld, victim: subprocess.Popen[bytes]) -> set[int]:
    """SIGKILL the victim while it runs a cycle; the ids of the cycles it was running."""
    deadline = time.monotonic() + 30
    while True:
        if any(c.worker == VICTIM and c.state == "running" for c in _cycles(world)):
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            return {c.id for c in _cycles(world) if c.worker == VICTIM and c.state == "running"}
        assert victim.poll() is None, "the worker to kill has stopped by itself"
        assert time.monotonic() < deadline, f"{VICTIM} never ran a cycle"
        time.sleep(0.01)
