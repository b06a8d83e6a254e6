"""The sync engine's cycle: what an idle cycle costs, and how fast a busy one moves changes.

Targets (2-core machine):

1. **Idle**: a cycle of a connection with 1,000,000 links and no changes takes at most 50 ms (median),
   and about the same as with 10,000 links: the cost grows with the changes, not with the links.
2. **Changes**: one cycle moves 10,000 ERP changes into the CRM and 10,000 CRM changes into the ERP
   at 5,000 actors/s or more (20,000 / the cycle's wall time), and every change arrives.

The demo connector host runs in its own process (uvicorn over loopback HTTP, as in production); the
hub's database is SQLite (default) or PostgreSQL (``--database-url``, a fresh database per world,
dropped afterwards). Each world is one connection syncing ERP Customers with CRM companies (NAME and
PHONE both ways, EMAIL to the ERP, POSTALCITY to the CRM, COUNTRY both ways through a list mapping).

Set-up (not measured) links N customers as a finished first cycle would have: N demo ERP actors
(``bulk_insert``, one tick per chunk), N CRM companies (``store.create_many``, journaled), N links
with their base values, the feed watermark at the last bulk tick and the journal cursor at its end.
Then each run makes one real ERP change and runs one cycle that must pull exactly it ("settle"), so
that the watermark stands on a small tick group as it would in a live ERP. SQLite worlds for the idle
measurement are cached under ``bench/.cache/`` (by size and schema revision) and copied per run.

    .venv/bin/python bench/engine_cycle.py [--links 1000000] [--small-links 10000] [--idle-cycles 20]
        [--changes 10000] [--rounds 3] [--no-cache] [--profile]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The idle cycles of the two sizes run in turns, and the busy cycle runs ``--rounds`` times (median
counts), so that other load on the machine weighs on every figure alike; the engine's and the
connector's CPU seconds are printed next to the wall times to tell work from waiting for a core.
``--profile`` adds cProfile listings (files under ``bench/.cache/profiles/``).

Exits non-zero when a target is missed or a check fails (the figures are printed first).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, create_engine, event, func, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from erpsync.connectors.demo import DemoErpDatabase, database_path
from erpsync.connectors.demo.database import BulkActor
from erpsync.crm import store
from erpsync.crm.bulk import insert_rows
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import make_engine, make_session_factory, utcnow
from erpsync.crm.journal import SYSTEM_ORIGIN, last_journal_seq, user_origin
from erpsync.crm.lists import add_list_item, list_items
from erpsync.crm.seed import ensure_standard_lists
from erpsync.database import head_revision, prepare_database
from erpsync.engine import cycle
from erpsync.engine.cycle import CycleReport, run_cycle
from erpsync.engine.models import SyncCursor, SyncFeedPosition
from erpsync.engine.plan import TypePlan, load_plan
from erpsync.hub import activation, connections, connectors, list_mappings, mappings
from erpsync.hub.connections import ConnectionDraft
from erpsync.hub.field_values import MappedField, normal_erp, sides_of
from erpsync.hub.list_mappings import ItemChoice
from erpsync.hub.mappings import FieldMappingChange
from erpsync.hub.models import ErpConnection, ErpConnector, ErpLink
from erpsync.hub.service import Hub
from erpsync.protocol import ActorType, ErpActor
from erpsync.protocol.codec import encode_datetime

SECRET = "bench-engine-cycle-signing-secret"
ERP_PASSWORD = "Bench-Erp-Pa55word!"
CACHE = Path(__file__).resolve().with_name(".cache")
#: Bump when the set-up below changes, so that cached worlds are rebuilt.
SETUP_VERSION = 1
IDLE_TARGET_MS = 50.0
RATE_TARGET = 5_000.0
#: Actors per set-up chunk (one ERP tick, one CRM transaction each): keeps memory flat.
CHUNK = 50_000
ACTOR_TYPE = "Customer"
#: ERP field → (to CRM, to ERP).
FIELDS: Mapping[str, tuple[bool, bool]] = {
    "NAME": (True, True),
    "PHONE": (True, True),
    "EMAIL": (False, True),
    "POSTALCITY": (True, False),
    "COUNTRY": (True, True),
}
_PLACES = (("NO", "Oslo"), ("NO", "Bergen"), ("SE", "Stockholm"), ("DK", "Aarhus"), ("FI", "Tampere"))


# --- the connector host (its own process) ---------------------------------------------------------


def serve(data_dir: str, port: int) -> None:
    import uvicorn

    from erpsync.connectors.demo import DemoConnector
    from erpsync.sdk.host import ConnectorHost

    host = ConnectorHost(Path(data_dir), [DemoConnector], secrets=[SECRET.encode()])
    uvicorn.run(host.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def connector_host(data_dir: Path) -> Iterator[tuple[str, int]]:
    """Serve the demo connector for ``data_dir``; yields (connector URL, host process id)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--role", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the connector host did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/connectors/demo", server.pid
    finally:
        server.terminate()
        server.wait(10)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- a world: one hub database, one demo ERP database, one connection -----------------------------


@dataclass
class World:
    label: str
    links: int
    hub: Hub
    engine: Engine
    erp_path: Path
    connection_id: int
    setup_seconds: float = 0.0
    cached: bool = False

    def close(self) -> None:
        self.hub.close()
        self.engine.dispose()

    def erp(self) -> DemoErpDatabase:
        return DemoErpDatabase(self.erp_path, create=False)


def _map_lists_by_name(hub: Hub, connection_id: int) -> None:
    """Map every ERP item of every synced list field to the CRM item of the same name."""
    view = mappings.actor_type_mapping(hub, connection_id, ACTOR_TYPE)
    synced = {f.erp_field_id for f in view.fields if f.sync_to_crm or f.sync_to_erp}
    sent: list[tuple[int, Sequence[ItemChoice]]] = []
    for entry in list_mappings.connection_list_mappings(hub, connection_id).lists:
        if entry.erp_actor_type != ACTOR_TYPE or entry.erp_field_id not in synced:
            continue
        with hub.session() as session:
            have = {item.name.casefold(): item.id for item in list_items(session, entry.crm_list_name)}
            for pair in entry.pairs:
                if pair.erp_item_name.casefold() not in have:
                    added = add_list_item(session, entry.crm_list_name, pair.erp_item_name)
                    have[added.name.casefold()] = added.id
        choices = [ItemChoice(p.erp_item_key, have[p.erp_item_name.casefold()]) for p in entry.pairs]
        sent.append((entry.erp_field_id, choices))
    if sent:
        list_mappings.save_connection_list_mappings(hub, connection_id, sent)


def _configure(hub: Hub, connector_url: str, database: str) -> int:
    """An active connection to the demo database, made through the administrator's services."""
    with hub.session() as session:
        ensure_standard_lists(session)
    connector_id = connectors.save_connector(hub, 0, "Demo ERP connector", connector_url).id
    config = {
        "Database": database,
        "Username": "admin",
        "Password": ERP_PASSWORD,
        "CompanyNo": "[I:1]",
        "Currency": "NOK",
        "IncludeInactive": "[I:0]",
    }
    record = connections.save_connection(
        hub,
        ConnectionDraft(
            connector_id=connector_id, display_name=database, all_access=True, access=[], config=config
        ),
    )
    view = mappings.actor_type_mapping(hub, record.id, ACTOR_TYPE)
    by_key = {f.erp_field_key: f for f in view.fields}
    changes = [
        FieldMappingChange(
            erp_field_id=by_key[key].erp_field_id,
            erp_field_key=key,
            crm_field_key=by_key[key].crm_field_key,
            sync_to_crm=to_crm,
            sync_to_erp=to_erp,
            show_in_gui=False,
            show_in_search=False,
        )
        for key, (to_crm, to_erp) in FIELDS.items()
    ]
    mappings.save_actor_type_mapping(hub, record.id, ACTOR_TYPE, True, changes)
    _map_lists_by_name(hub, record.id)
    reasons = activation.toggle_connection_active(hub, record.id)
    if reasons:
        raise RuntimeError(f"the connection could not be activated: {reasons}")
    return record.id


def _customer(erp_id: int, created: str) -> dict[str, str]:
    country, city = _PLACES[erp_id % len(_PLACES)]
    return {
        "NAME": f"Bench Customer {erp_id:07d} AS",
        "CUSTOMERNO": str(10000 + erp_id),
        "PHONE": f"+47 2{erp_id:07d}",
        "EMAIL": f"post{erp_id}@customer{erp_id % 97}.example",
        "POSTALCITY": city,
        "COUNTRY": country,
        "CURRENCY": "NOK",
        "PAYMENTTERMS": "NET30",
        "CREDITLIMIT": "[F:0.0]",
        "CREDITSTOP": "[I:0]",
        "DISCOUNT": "[I:0]",
        "INACTIVE": "[I:0]",
        "CREATED": created,
        "BALANCE": "[F:0.0]",
    }


class _Translator:
    """ERP wire values → (CRM values, link base), as connect or auto-import would agree them."""

    def __init__(self, fields: Sequence[MappedField]) -> None:
        self.fields = list(fields)
        self._memo: dict[tuple[str, str], tuple[Any, str]] = {}

    def _one(self, f: MappedField, raw: str) -> tuple[Any, str]:
        sides = sides_of(f, None, raw)
        if not sides.erp_readable:
            raise RuntimeError(f"{f.erp_key}={raw!r} has no CRM value: {sides.erp_problem}")
        return sides.erp_as_crm, normal_erp(raw, f.erp_type)

    def __call__(self, values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        crm: dict[str, Any] = {}
        base: dict[str, str] = {}
        for f in self.fields:
            raw = values.get(f.erp_key, "")
            if f.list_to_crm:  # few distinct values: remember them
                found = self._memo.get((f.erp_key, raw))
                if found is None:
                    found = self._memo[(f.erp_key, raw)] = self._one(f, raw)
            else:
                found = self._one(f, raw)
            crm[f.crm_field.key], base[f.erp_key] = found
        return crm, base


def _customer_plan(hub: Hub, connection_id: int) -> TypePlan:
    with hub.sessions() as session:
        plan = load_plan(session, connection_id)
    tp = plan.type_of(ACTOR_TYPE) if plan is not None else None
    if tp is None:
        raise RuntimeError("the connection does not sync customers")
    return tp


def _populate(hub: Hub, erp_path: Path, connection_id: int, n: int) -> None:
    """N ERP customers, N CRM companies and N links, as a finished first cycle leaves them."""
    translate = _Translator(_customer_plan(hub, connection_id).fields)
    links_table = cast(Table, ErpLink.__table__)
    last_tick = ""
    with DemoErpDatabase(erp_path, create=False) as db:
        for start in range(0, n, CHUNK):
            count = min(CHUNK, n - start)
            made: list[tuple[int, dict[str, str]]] = []

            def build(
                first_id: int, moment: datetime, count: int = count, made: list[Any] = made
            ) -> Iterator[BulkActor]:
                created = encode_datetime(moment)
                for erp_id in range(first_id, first_id + count):
                    values = _customer(erp_id, created)
                    made.append((erp_id, values))
                    yield BulkActor(erp_id, ActorType.Customer, values)

            last_tick = db.bulk_insert(build)
            pairs = [translate(values) for _, values in made]
            with hub.session() as session:
                ids = store.create_many(session, CrmEntity.company, [crm for crm, _ in pairs], SYSTEM_ORIGIN)
                now = utcnow()
                insert_rows(
                    session,
                    links_table,
                    [
                        {
                            "connection_id": connection_id,
                            "crm_entity": CrmEntity.company.value,
                            "crm_record_id": record_id,
                            "erp_actor_type": ACTOR_TYPE,
                            "erp_key": str(erp_id),
                            "last_modified": last_tick,
                            "base_values": base,
                            "state": "active",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for record_id, (erp_id, _), (_, base) in zip(ids, made, pairs, strict=True)
                    ],
                )
    with hub.session() as session:
        session.add(
            SyncFeedPosition(
                connection_id=connection_id,
                erp_actor_type=ACTOR_TYPE,
                feed="changes",
                watermark=last_tick,
                page_token="",
                high="",
            )
        )
        session.add(SyncCursor(connection_id=connection_id, journal_seq=last_journal_seq(session)))


def _open_hub(url: str, data_dir: Path) -> tuple[Hub, Engine]:
    engine = make_engine(url)
    return Hub.create(make_session_factory(engine), data_dir, connector_secret=SECRET), engine


def _cache_dir(label: str) -> Path:
    return CACHE / f"engine-cycle-{label}-r{head_revision()}-v{SETUP_VERSION}"


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, even while another process has it open."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _ensure_cache_ignored() -> None:
    CACHE.mkdir(exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Benchmark worlds, rebuilt when missing.\n*\n")


@contextmanager
def hub_database(server_url: str, work: Path, label: str) -> Iterator[str]:
    """The hub's database URL: a SQLite file in ``work``, or a new PostgreSQL database (dropped after)."""
    if not server_url:
        yield f"sqlite:///{work / label / 'hub.sqlite'}"
        return
    url = make_url(server_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"erpsync_bench_{os.getpid()}_{label}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def make_world(
    label: str, n: int, hub_url: str, work: Path, erp_dir: Path, connector_url: str, use_cache: bool
) -> World:
    """A linked world of ``n`` customers: from the cache when there is one (SQLite), else built."""
    started = time.perf_counter()
    hub_dir = work / label / "hub-data"
    erp_path = database_path(erp_dir, label)
    sqlite_file = Path(make_url(hub_url).database or "") if hub_url.startswith("sqlite") else None
    cache = _cache_dir(label) if use_cache and sqlite_file is not None else None
    if cache is not None and sqlite_file is not None and (cache / "complete").exists():
        erp_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache / "erp.sqlite", erp_path)
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache / "hub.sqlite", sqlite_file)
        shutil.copytree(cache / "hub-data", hub_dir)
        hub, engine = _open_hub(hub_url, hub_dir)
        with hub.session() as session:
            session.execute(update(ErpConnector).values(url=connector_url))
            connection_id = cast(int, session.scalar(select(func.min(ErpConnection.id))))
        return World(label, n, hub, engine, erp_path, connection_id, time.perf_counter() - started, True)
    with DemoErpDatabase(erp_path) as db:
        db.set_user("admin", ERP_PASSWORD)
    prepare_database(hub_url)
    hub, engine = _open_hub(hub_url, hub_dir)
    connection_id = _configure(hub, connector_url, label)
    _populate(hub, erp_path, connection_id, n)
    if engine.dialect.name == "postgresql":
        # Fresh statistics, as a live database has them: without, PostgreSQL plans the engine's
        # IN (…) look-ups on a just-loaded table badly (10,000 links looked up: 2.4 s instead of 0.4 s).
        with hub.session() as session:
            session.execute(text("ANALYZE"))
    if cache is not None and sqlite_file is not None:
        _ensure_cache_ignored()
        shutil.rmtree(cache, ignore_errors=True)
        engine.dispose()  # every connection closed: the file holds everything
        _sqlite_copy(sqlite_file, cache / "hub.sqlite")
        _sqlite_copy(erp_path, cache / "erp.sqlite")
        shutil.copytree(hub_dir, cache / "hub-data")
        (cache / "complete").write_text("")
    return World(label, n, hub, engine, erp_path, connection_id, time.perf_counter() - started)


# --- measuring -------------------------------------------------------------------------------------


class UnitClock:
    """Times every page of every unit that ``run_cycle`` runs, by unit kind (pull, push …)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._original = cycle.run_unit_page

    def __enter__(self) -> UnitClock:
        original = self._original

        def timed(hub: Hub, cycle_id: int, unit: str, plan: Any = None) -> bool:
            started = time.perf_counter()
            try:
                return original(hub, cycle_id, unit, plan)
            finally:
                kind = unit.partition(":")[0]
                self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - started

        cycle.run_unit_page = timed
        return self

    def __exit__(self, *_: object) -> None:
        cycle.run_unit_page = self._original


class StatementCounter:
    """Counts the SQL statements an engine sends (an executemany counts once)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _seen(self, *_: object) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@dataclass
class Timed:
    report: CycleReport
    seconds: float
    units: dict[str, float]
    #: CPU seconds of this process (the engine) and of the connector host: on a busy machine they
    #: tell the work done from the time spent waiting for a core.
    cpu: float
    host_cpu: float


def timed_cycle(world: World, host_pid: int) -> Timed:
    host_cpu = _cpu_seconds(host_pid)
    with UnitClock() as clock:
        cpu = time.process_time()
        started = time.perf_counter()
        report = run_cycle(world.hub, world.connection_id)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    units = {**clock.seconds, "other": seconds - sum(clock.seconds.values())}
    return Timed(report, seconds, units, cpu, _cpu_seconds(host_pid) - host_cpu)


class Checks:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def expect(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)
            print(f"  CHECK FAILED: {what}", flush=True)


def _expect_report(checks: Checks, what: str, report: CycleReport, pulled: int, pushed: int) -> None:
    checks.expect(
        report.state == "ok" and report.failed == 0 and (report.pulled, report.pushed) == (pulled, pushed),
        f"{what}: expected ok, pulled {pulled}, pushed {pushed}, failed 0; got {report.state} "
        f"pulled {report.pulled} pushed {report.pushed} failed {report.failed} {report.message!r}",
    )


def settle(world: World, host_pid: int, checks: Checks) -> Timed:
    """One real ERP change and one cycle that pulls exactly it: watermark and cursor in place."""
    erp_key = str(world.links)
    phone = f"+47 9{time.time_ns() % 10_000_000:07d}"
    with world.erp() as db:
        db.update_actor(ACTOR_TYPE, erp_key, {"PHONE": phone})
    timed = timed_cycle(world, host_pid)
    _expect_report(checks, f"{world.label} settle cycle", timed.report, 1, 0)
    with world.hub.sessions() as session:
        record_id = session.scalar(
            select(ErpLink.crm_record_id).where(
                ErpLink.connection_id == world.connection_id, ErpLink.erp_key == erp_key
            )
        )
        record = store.get(session, CrmEntity.company, record_id) if record_id is not None else None
    checks.expect(
        record is not None and record["phone"] == phone, f"{world.label}: the settle change arrived"
    )
    return timed


@dataclass
class IdleResult:
    links: int
    cycles: list[float]
    units: dict[str, float]
    cpu_ms: float
    host_cpu_ms: float
    statements: float
    setup_seconds: float
    cached: bool
    settle_seconds: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.cycles) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.cycles)
        return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)] * 1000


def measure_idle(worlds: Sequence[World], host_pid: int, cycles: int, checks: Checks) -> list[IdleResult]:
    """Settle every world, then run their idle cycles in turns, so that whatever else the machine
    does at the time weighs on every size alike."""
    settled = [settle(world, host_pid, checks) for world in worlds]
    runs: list[list[Timed]] = [[] for _ in worlds]
    statements: list[list[int]] = [[] for _ in worlds]
    for _ in range(cycles):
        for world, timings, counts in zip(worlds, runs, statements, strict=True):
            with StatementCounter(world.engine) as counter:
                timed = timed_cycle(world, host_pid)
            _expect_report(checks, f"{world.label} idle cycle", timed.report, 0, 0)
            timings.append(timed)
            counts.append(counter.count)
    results = []
    for world, timings, counts, settle_timed in zip(worlds, runs, statements, settled, strict=True):
        kinds = timings[0].units
        results.append(
            IdleResult(
                links=world.links,
                cycles=[r.seconds for r in timings],
                units={k: statistics.median(r.units.get(k, 0.0) for r in timings) * 1000 for k in kinds},
                cpu_ms=statistics.median(r.cpu for r in timings) * 1000,
                host_cpu_ms=statistics.mean(r.host_cpu for r in timings) * 1000,
                statements=statistics.median(counts),
                setup_seconds=world.setup_seconds,
                cached=world.cached,
                settle_seconds=settle_timed.seconds,
            )
        )
    return results


@dataclass
class ChangeSet:
    """What a round of changes wrote: ERP key → ERP values, CRM record id → CRM values."""

    erp: dict[str, dict[str, str]] = field(default_factory=dict)
    crm: dict[int, dict[str, str]] = field(default_factory=dict)


def _links_by_key(session: Session, connection_id: int) -> dict[str, int]:
    query = select(ErpLink.erp_key, ErpLink.crm_record_id).where(ErpLink.connection_id == connection_id)
    return {key: record_id for key, record_id in session.execute(query)}


def make_changes(world: World, changes: int, round_no: int) -> ChangeSet:
    """ERP users change the first ``changes`` customers; CRM users the next ``changes`` companies."""
    made = ChangeSet()
    with world.erp() as db:
        for start in range(1, changes + 1, 500):
            batch = []
            for erp_id in range(start, min(start + 500, changes + 1)):
                values = {
                    "NAME": f"Renamed {round_no} Customer {erp_id:07d} ASA",
                    "POSTALCITY": f"By {round_no}",
                }
                made.erp[str(erp_id)] = values
                batch.append(ErpActor(actor_type=ACTOR_TYPE, erp_key=str(erp_id), field_values=values))
            outcomes = db.update_actors(batch)
            if not all(isinstance(each, ErpActor) for each in outcomes):
                raise RuntimeError("the demo ERP refused a change")
    keys = [str(erp_id) for erp_id in range(changes + 1, 2 * changes + 1)]
    with world.hub.sessions() as session:
        by_key = _links_by_key(session, world.connection_id)
    for start in range(0, len(keys), 1000):
        chunk = {
            by_key[key]: {"phone": f"+46 {round_no}{key:0>8}", "email": f"r{round_no}.{key}@crm.example"}
            for key in keys[start : start + 1000]
        }
        with world.hub.session() as session:
            store.update_many(session, CrmEntity.company, chunk, user_origin(1))
        made.crm.update(chunk)
    return made


def verify_changes(world: World, made: ChangeSet, checks: Checks) -> int:
    """Every change on the other side, in full; the number that arrived."""
    arrived = 0
    with world.hub.sessions() as session:
        links = _links_by_key(session, world.connection_id)
        records = store.get_many(session, CrmEntity.company, [links[key] for key in made.erp])
    for key, values in made.erp.items():
        record = records.get(links[key])
        if record is not None and (record["name"], record["postal_city"]) == (
            values["NAME"],
            values["POSTALCITY"],
        ):
            arrived += 1
    record_keys = {record_id: key for key, record_id in links.items()}
    with world.erp() as db:
        actors = {a.erp_key: a for a in db.get_actors(ACTOR_TYPE, [record_keys[i] for i in made.crm])}
    for record_id, values in made.crm.items():
        actor = actors.get(record_keys[record_id])
        if actor is not None and (actor.field_values["PHONE"], actor.field_values["EMAIL"]) == (
            values["phone"],
            values["email"],
        ):
            arrived += 1
    expected = len(made.erp) + len(made.crm)
    checks.expect(arrived == expected, f"{world.label}: {arrived} of {expected} changes arrived")
    return arrived


@dataclass
class ChangeRound:
    timed: Timed
    arrived: int
    #: The next cycle: it re-reads the actors the busy one saved (newer than the watermark) and
    #: must skip every one of them.
    follow_up: Timed

    def rate(self, changes: int) -> float:
        return 2 * changes / self.timed.seconds


@dataclass
class ChangeResult:
    links: int
    changes: int
    rounds: list[ChangeRound]
    setup_seconds: float

    @property
    def median(self) -> ChangeRound:
        """The round of median wall time."""
        return sorted(self.rounds, key=lambda r: r.timed.seconds)[(len(self.rounds) - 1) // 2]

    @property
    def rate(self) -> float:
        return self.median.rate(self.changes)


def measure_changes(world: World, host_pid: int, changes: int, rounds: int, checks: Checks) -> ChangeResult:
    """Rounds of changes on both sides, one busy cycle each, checked in full afterwards."""
    settle(world, host_pid, checks)
    done: list[ChangeRound] = []
    for round_no in range(1, rounds + 1):
        made = make_changes(world, changes, round_no)
        timed = timed_cycle(world, host_pid)
        _expect_report(checks, f"changes cycle {round_no}", timed.report, changes, changes)
        arrived = verify_changes(world, made, checks)
        follow_up = timed_cycle(world, host_pid)
        _expect_report(checks, f"cycle after the changes {round_no}", follow_up.report, 0, 0)
        done.append(ChangeRound(timed, arrived, follow_up))
    return ChangeResult(world.links, changes, done, world.setup_seconds)


# --- profiling -------------------------------------------------------------------------------------


def profile(what: str, run: Callable[[], object], out: Path, top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(out)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    text.write(f"\n=== {what}: by own time ({out}) ===\n")
    stats.sort_stats("tottime").print_stats(top)
    text.write(f"\n=== {what}: by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


# --- the run ----------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:8.1f}"


def print_report(idle: list[IdleResult], changes: ChangeResult, database: str) -> list[str]:
    """The table; returns the targets missed."""
    missed: list[str] = []
    print()
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}")
    print(f"load average at the end (1/5/15 min): {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"hub database: {database}; connector: demo over loopback HTTP in its own process")
    print(
        f"peak RSS of the bench process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print()
    print("1. Idle cycle, no changes (target: median <= 50 ms per connection, flat in the links)")
    kinds = ["pull", "deletes", "push", "retry", "other"]
    print(
        f"  {'links':>10} {'cycles':>6} {'median ms':>9} {'p95 ms':>8} {'min ms':>8}  "
        + " ".join(f"{k:>7}" for k in kinds)
        + f" {'CPU':>6} {'host CPU':>8} {'SQL':>4}  set-up"
    )
    for r in idle:
        print(
            f"  {r.links:>10,} {len(r.cycles):>6} {r.median_ms:>9.1f} {r.p95_ms:>8.1f} "
            f"{min(r.cycles) * 1000:>8.1f}  "
            + " ".join(f"{r.units.get(k, 0.0):>7.1f}" for k in kinds)
            + f" {r.cpu_ms:>6.1f} {r.host_cpu_ms:>8.1f} {r.statements:>4.0f}  {r.setup_seconds:.0f} s"
            f"{' (cached)' if r.cached else ''},"
            f" settle {r.settle_seconds:.1f} s"
        )
        if r.median_ms > IDLE_TARGET_MS:
            missed.append(
                f"idle cycle at {r.links:,} links: median {r.median_ms:.1f} ms > {IDLE_TARGET_MS} ms"
            )
    print(
        "  (per unit: median ms in the unit's pages; CPU: the engine process's median CPU ms; host CPU:"
        " the connector's, mean ms; SQL: statements per cycle)"
    )
    if len(idle) >= 2:
        small, large = idle[0], idle[-1]
        print(
            f"  growth {small.links:,} -> {large.links:,} links: x{large.median_ms / small.median_ms:.2f} "
            f"({large.median_ms - small.median_ms:+.1f} ms)"
        )
    n = changes.changes
    print()
    print(
        f"2. {n:,} ERP->CRM + {n:,} CRM->ERP changes in one cycle over {changes.links:,} links, "
        f"{len(changes.rounds)} rounds (target: median >= {RATE_TARGET:,.0f} actors/s)"
    )
    print(
        f"  {'round':>5} {'wall s':>7} {'actors/s':>9} {'pull s':>7} {'pull/s':>7} {'push s':>7}"
        f" {'push/s':>7} {'CPU s':>6} {'host CPU s':>10} {'arrived':>8} {'next cycle s':>12}"
    )
    for number, busy in enumerate(changes.rounds, 1):
        t = busy.timed
        pull, push = t.units.get("pull", 0.0), t.units.get("push", 0.0)
        print(
            f"  {number:>5} {t.seconds:>7.2f} {busy.rate(n):>9,.0f} {pull:>7.2f}"
            f" {n / pull if pull else 0:>7,.0f} {push:>7.2f} {n / push if push else 0:>7,.0f}"
            f" {t.cpu:>6.2f} {t.host_cpu:>10.2f}"
            f" {busy.arrived:>8,} {busy.follow_up.seconds:>12.2f}"
        )
    print(
        f"  median {changes.rate:,.0f} actors/s; every round: pulled {n:,} and pushed {n:,} as reported, "
        f"each change checked on the other side; the next cycle pulls and pushes nothing"
    )
    print(
        "  (CPU: the engine process's; host CPU: the connector's; next cycle: re-reads the actors the"
        f" busy one saved and skips them); set-up {changes.setup_seconds:.0f} s"
    )
    if changes.rate < RATE_TARGET:
        missed.append(f"changes: median {changes.rate:,.0f} actors/s < {RATE_TARGET:,.0f}")
    return missed


@dataclass(frozen=True)
class Setting:
    """Where one run works: its folder, the connector host and the hub's database server."""

    work: Path
    erp_dir: Path
    connector_url: str
    host_pid: int
    database_url: str
    use_cache: bool
    profile: bool


def run_idle(
    at: Setting, sizes: Sequence[int], cycles: int, checks: Checks, profiles: list[str]
) -> list[IdleResult]:
    worlds: list[World] = []
    with ExitStack() as stack:
        for n in sizes:
            label = f"idle{n}"
            hub_url = stack.enter_context(hub_database(at.database_url, at.work, label))
            print(f"idle world of {n:,} links: setting up …", flush=True)
            world = make_world(label, n, hub_url, at.work, at.erp_dir, at.connector_url, at.use_cache)
            stack.callback(world.close)
            print(f"  ready in {world.setup_seconds:.1f} s", flush=True)
            worlds.append(world)
        print(f"measuring {cycles} idle cycles per world, in turns", flush=True)
        results = measure_idle(worlds, at.host_pid, cycles, checks)
        if at.profile:
            large = worlds[-1]

            def ten_cycles() -> None:
                for _ in range(10):
                    run_cycle(large.hub, large.connection_id)

            out = CACHE / "profiles" / f"idle-{large.links}.prof"
            profiles.append(profile(f"10 idle cycles, {large.links:,} links", ten_cycles, out))
    return results


def run_changes(at: Setting, changes: int, rounds: int, checks: Checks, profiles: list[str]) -> ChangeResult:
    with hub_database(at.database_url, at.work, "changes") as hub_url:
        print(f"changes world of {2 * changes:,} links: setting up …", flush=True)
        world = make_world("changes", 2 * changes, hub_url, at.work, at.erp_dir, at.connector_url, False)
        try:
            print(f"  ready in {world.setup_seconds:.1f} s; measuring", flush=True)
            result = measure_changes(world, at.host_pid, changes, rounds, checks)
            if at.profile:
                made = make_changes(world, changes, rounds + 1)
                reports: list[CycleReport] = []
                out = CACHE / "profiles" / f"changes-{changes}.prof"
                what = f"one cycle of {changes:,} changes each way"
                profiles.append(
                    profile(what, lambda: reports.append(run_cycle(world.hub, world.connection_id)), out)
                )
                _expect_report(checks, "profiled changes cycle", reports[0], changes, changes)
                verify_changes(world, made, checks)
        finally:
            world.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=["main", "serve"], default="main")
    parser.add_argument("--links", type=int, default=1_000_000, help="links of the large idle world")
    parser.add_argument("--small-links", type=int, default=10_000, help="links of the small idle world")
    parser.add_argument("--idle-cycles", type=int, default=20)
    parser.add_argument("--changes", type=int, default=10_000, help="changes each way (links: twice that)")
    parser.add_argument("--rounds", type=int, default=3, help="busy cycles measured (median counts)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL; SQLite when empty")
    parser.add_argument("--no-cache", action="store_true", help="build the SQLite idle worlds afresh")
    parser.add_argument("--profile", action="store_true", help="also profile idle and busy cycles")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.role == "serve":
        serve(args.data_dir, args.port)
        return 0

    checks = Checks()
    profiles: list[str] = []
    with tempfile.TemporaryDirectory(prefix="erpsync-bench-") as tmp:
        erp_dir = Path(tmp) / "erp"
        with connector_host(erp_dir) as (url, host_pid):
            at = Setting(
                Path(tmp), erp_dir, url, host_pid, args.database_url, not args.no_cache, args.profile
            )
            sizes = sorted({args.small_links, args.links})
            idle = run_idle(at, sizes, args.idle_cycles, checks, profiles)
            changes = run_changes(at, args.changes, args.rounds, checks, profiles)
    for shown in profiles:
        print(shown)
    missed = print_report(idle, changes, "PostgreSQL" if args.database_url else "SQLite")
    print()
    for line in missed:
        print(f"TARGET MISSED: {line}")
    for line in checks.failures:
        print(f"CHECK FAILED: {line}")
    if not missed and not checks.failures:
        print("all targets met, every check passed")
    return 1 if missed or checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
