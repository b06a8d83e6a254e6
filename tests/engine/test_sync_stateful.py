"""A stateful property test of the sync engine (ARCHITECTURE §3.3) against the demo ERP over HTTP.

The machine links a handful of ERP customers (and persons under some of them) to CRM records by
auto-import, then interleaves at random:

- ERP users editing mapped fields on the demo database, CRM users editing through ``crm.store``
  with a user origin (both ways: NAME, PHONE, COUNTRY (a list) and the persons' fields; to the ERP
  only: EMAIL; to the CRM only: POSTALCITY), the same field edited on both sides, "touches" of
  unmapped fields (they move the records' timestamps, which decide conflicts under ``newest``), CRM
  names too long for the ERP (it refuses them per actor), and new ERP customers (auto-imported);
- clean sync cycles (``run_cycle``);
- cycles with one connector fault on the wire (:mod:`tests.engine.faults`: HTTP 500, no answer
  before the client's timeout, a body that is not JSON, JSON of the wrong shape, SaveActors refusing
  every actor or the first one, or confirming none), before or after the connector did the work — a
  fault in SaveActors is also the worker dying between the read/decide, save and write phases;
- a killed worker: a cycle begun and run page by page (``begin_cycle`` + ``run_unit_page``), left
  open after a random number of pages (possibly ending in a fault) by a worker that dies there (its
  memory, such as pages read ahead, goes with it), later resumed by another or abandoned, with edits
  and other cycles in between;
- dead letters made due (the backoff skipped).

The conflict policy (newest, erp, crm) and the page size (1, 2 or the default) are drawn per example.
At the end faults stop, every dead letter is made due and clean cycles run until quiet.

**Exact properties** (clean cycles, untainted links). The model keeps, per link and mapped field,
the base (the value both sides agreed on at the last reconcile). Before each clean cycle it reads
both sides and predicts, field by field, what the rules demand: only one side differs from the base
→ that side's value, if the direction lets it travel (a one-way field travels only its way; the
other side's local edit stays until the source changes); both differ → the policy's side (under
``newest`` the side whose record changed last, by the ERP's ``LastModified`` and the CRM's
``updated``: the engine compares records, not fields); equal values are never written; a link whose
winning values the ERP refuses (a NAME over 120 characters) changes nothing on either side and is in
the dead letters with the reason, and in the sync log. After the cycle every such link must hold
exactly the predicted values on both sides and the predicted base, be in the dead letters exactly
when refused, and the sync log must hold one ``change`` per field written and a ``conflict`` for
exactly the fields both sides changed differently.

**Weaker properties, and why** (tainted links). A cycle hit by a fault or a kill may have reconciled
some links and not others, saved in the ERP without the hub knowing (a reply lost after the call
ran), or committed some pages only; which of these happened is the engine's business, and the
winner of a later conflict can legitimately depend on it (an ERP save whose reply was lost moves the
actor's ``LastModified`` and turns "one side changed" into "both sides changed, to the same value").
So every link with pending changes (the prediction would write, be refused or move the base) when
such a cycle runs is *tainted*; for a tainted link the test asserts: every value on either side is
one some user wrote (the engine never invents or corrupts one); after any clean cycle the link is
either settled (both sides equal on every two-way field) or visible in the dead letters; and once
settled, the engine's base equals the settled values (two-way: the common value; to CRM: the ERP's;
to ERP: the CRM's), at which point the link is exact again. A one-way field of a tainted link is
checked only against the written values: whether its target's local edit or the source's change
came last cannot be told from the values alone.

**Promises and the last word** hold even through faults. *Promise:* a user edit of a field that
was settled (exact link, its source side(s) at the base) is the field's only change: as long as
nobody edits that field again, after any clean cycle that leaves the link out of the dead letters
the value is on both sides (on the target too if it travels there; a local edit of a one-way field's
target just stays, the source keeping its value), so a lost save or a stale read can never turn it
back. *Last word* (``the_last_word``): a value never seen before, set on one side, with nothing else
at all happening to the link (no edit, no failed or cut-short cycle) until the next clean cycle,
lands where the policy says, timing included: under ``newest`` it wins, being the latest change.

**Always.** Links are unique per connection both ways and stay active; no CRM record or ERP actor is
ever created twice or lost, and every new ERP customer is imported exactly once; the ERP never holds
a value it refuses. At the end, every link is settled or waits in the dead letters because of its too
long CRM name; once those are fixed in the CRM, one clean cycle settles every link (all exact again,
no dead letters left) and the next cycle is quiet (nothing pulled, pushed, failed or logged).

**Engine bugs found** by the machine (now fixed) are pinned by the regression tests at the end:
auto-import gave a to-ERP-only field no base (the first CRM edit then blanked the ERP's value); a
SaveActors reply confirming no actor was taken as saved (the change was lost for good); a feed page
read ahead outlived a cycle that stopped between pages and its stale values decided a later cycle's
conflicts. Not covered here: deletes, the no-blank option, several connections.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

import erpsync.crm.models  # noqa: F401 - registers the tables
from erpsync.connectors.demo.clock import parse_tick
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import Base, make_engine, make_session_factory, utcnow
from erpsync.crm.models import Company, Person
from erpsync.engine.cycle import (
    ConnectionFailure,
    CycleReport,
    begin_cycle,
    finish_cycle,
    run_cycle,
    run_unit_page,
)
from erpsync.engine.models import SyncDeadLetter
from erpsync.engine.plan import load_plan
from erpsync.engine.pull import forget_prefetches
from erpsync.hub import connectors
from erpsync.hub.models import ErpLink, ErpSyncLog
from erpsync.hub.service import Hub
from tests.engine.faults import SAVE_ONLY, Fault, FaultKind, FaultPlan, FaultyErp, faulty_demo_erp
from tests.engine.fixtures import ENGINE_FIELDS, EngineWorld
from tests.hub.fixtures_admin import CONNECTOR_SECRET

C = CrmEntity.company
P = CrmEntity.person

#: The hub's connector timeout during the cycles (set-up runs with a generous one); a ``timeout``
#: fault keeps the client waiting longer. Short, but not so short that a loaded machine trips it.
CLIENT_TIMEOUT = 1.5
TIMEOUT_SLEEP = 1.8
SETUP_TIMEOUT = 30.0

#: Examples on PostgreSQL (each starts from a wiped schema, which costs more than a new SQLite file).
POSTGRES_EXAMPLES = 12

# The suite explores the same examples on every run, so that ``main`` stays green on CI; set
# ERPSYNC_EXPLORE=1 to draw new ones (as was done over many seeds while writing it).
SETTINGS = settings(
    derandomize=not os.environ.get("ERPSYNC_EXPLORE"),
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

#: A name the CRM takes (200) and the demo ERP refuses (120).
LONG_NAME = "Et navn som er altfor langt for ERP-systemet " + "x" * 100
ERP_NAME_LIMIT = 120


# --- the model ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapped:
    """One mapped field as the model sees it; values are in the ERP's wire form."""

    erp: str
    crm: str
    to_crm: bool
    to_erp: bool
    pool: tuple[str, ...]
    is_list: bool = False

    @property
    def two_way(self) -> bool:
        return self.to_crm and self.to_erp


CUSTOMER_FIELDS = (
    Mapped("NAME", "name", True, True, ("Alfa AS", "Beta AS", "Gamma AS")),
    Mapped("PHONE", "phone", True, True, ("", "+47 11", "+47 22", "+47 33")),
    Mapped("EMAIL", "email", False, True, ("", "a@alfa.no", "b@beta.no")),
    Mapped("POSTALCITY", "postal_city", True, False, ("", "Oslo", "Bergen")),
    Mapped("COUNTRY", "country", True, True, ("", "NO", "SE", "DK"), is_list=True),
)
PERSON_FIELDS = (
    Mapped("FIRSTNAME", "first_name", True, True, ("", "Kari", "Ola")),
    Mapped("LASTNAME", "last_name", True, True, ("Nordmann", "Hansen", "Berg")),
    Mapped("EMAIL", "email", True, True, ("", "kari@x.no", "ola@x.no")),
)
#: Unmapped fields a "touch" writes: (ERP key, CRM key) per actor type.
TOUCH = {"Customer": ("FAX", "fax"), "Person": ("TITLE", "title")}
COUNTRIES = {"NO": "Norway", "SE": "Sweden", "DK": "Denmark"}


@dataclass
class Link:
    label: str
    actor_type: str
    erp_key: str
    entity: CrmEntity
    record_id: int
    fields: tuple[Mapped, ...]
    #: The model's base: ERP field key → the value both sides agreed on (valid while ``exact``).
    base: dict[str, str]
    #: ERP field key → every value anyone wrote (initial values included), on either side.
    written: dict[str, set[str]]
    exact: bool = True
    touches: int = 0
    #: (ERP field key, on the ERP side?, value): the last thing that happened to the link was a user
    #: setting that field to a value never seen before; checked (and cleared) by the next clean cycle.
    last_word: tuple[str, bool, str] | None = None
    #: ERP field key → (ERP value, CRM value) the field must come to hold, faults or not: a value set
    #: on one side of a field that was settled, and not edited since (see ``_written``).
    promises: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """Both sides of a link as they are now, mapped fields in wire form."""

    erp: dict[str, str]
    crm: dict[str, str]
    erp_time: datetime
    crm_time: datetime


@dataclass
class Outcome:
    """What the rules demand of one reconcile."""

    erp: dict[str, str]
    crm: dict[str, str]
    base: dict[str, str]
    to_erp: set[str] = field(default_factory=set)
    to_crm: set[str] = field(default_factory=set)
    conflicts: set[str] = field(default_factory=set)
    refused: bool = False

    @property
    def writes(self) -> bool:
        return bool(self.to_erp or self.to_crm)

    def pending(self, link: Link) -> bool:
        """Would a reconcile change anything: write, be refused, or only move the base (both sides
        changed to the same value)?"""
        return self.writes or self.refused or self.base != link.base


def expected(link: Link, seen: Seen, policy: str) -> Outcome:
    """The spec's three-way merge of one link, written independently of the engine."""
    erp_wins = seen.erp_time > seen.crm_time if policy == "newest" else policy == "erp"
    out = Outcome(erp=dict(seen.erp), crm=dict(seen.crm), base=dict(link.base))
    for f in link.fields:
        base, erp, crm = link.base[f.erp], seen.erp[f.erp], seen.crm[f.erp]
        erp_changed = f.to_crm and erp != base
        crm_changed = f.to_erp and crm != base
        if erp_changed and crm_changed and erp != crm:
            out.conflicts.add(f.erp)
            winner = erp if erp_wins else crm
        elif erp_changed:
            winner = erp
        elif crm_changed:
            winner = crm
        else:
            continue
        out.base[f.erp] = winner
        if out.erp[f.erp] != winner:
            out.erp[f.erp] = winner
            out.to_erp.add(f.erp)
        if out.crm[f.erp] != winner:
            out.crm[f.erp] = winner
            out.to_crm.add(f.erp)
    if len(out.erp.get("NAME", "")) > ERP_NAME_LIMIT and "NAME" in out.to_erp:
        return Outcome(erp=dict(seen.erp), crm=dict(seen.crm), base=dict(link.base), refused=True)
    return out


def at_rest_base(link: Link, seen: Seen) -> dict[str, str]:
    """The base a settled link must have: the common value, or the source side's."""
    return {f.erp: seen.erp[f.erp] if f.to_crm else seen.crm[f.erp] for f in link.fields}


def settled(link: Link, seen: Seen) -> bool:
    return all(seen.erp[f.erp] == seen.crm[f.erp] for f in link.fields if f.two_way)


# --- the environment ---------------------------------------------------------------------------------


@dataclass
class Env:
    """What outlives one example: the database to start afresh from and the faulty ERP server."""

    database_url: str
    tmp_path: Path
    erp: FaultyErp
    examples: int = 0

    def fresh_engine(self) -> tuple[Engine, Path]:
        self.examples += 1
        folder = self.tmp_path / f"example-{self.examples}"
        folder.mkdir()
        if make_url(self.database_url).get_backend_name() == "sqlite":
            engine = make_engine(f"sqlite:///{folder / 'hub.sqlite'}")
        else:
            _wipe_postgres(self.database_url)
            engine = make_engine(self.database_url)
        Base.metadata.create_all(engine)
        return engine, folder


def _wipe_postgres(url: str) -> None:
    engine = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SET lock_timeout = '10s'")
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@dataclass
class OpenCycle:
    """A cycle a (killed) worker began: its units and how far it got."""

    cycle_id: int
    units: list[str]
    unit: int = 0


@dataclass(frozen=True)
class Injection:
    """One fault, on call number ``at`` of ``operation``."""

    fault: Fault
    operation: str | None
    at: int


def injections() -> st.SearchStrategy[Injection]:
    return st.builds(
        Injection,
        st.builds(Fault, st.sampled_from(list(FaultKind)), st.booleans()),
        st.sampled_from(
            ["SaveActors", "SaveActors", "GetActors", "GetActorsByTimestamp", "GetDeletedActors"]
        ),
        st.just(0) | st.integers(0, 3),
    )


# --- the machine -------------------------------------------------------------------------------------


class SyncMachine(RuleBasedStateMachine):
    def __init__(self, env: Env) -> None:
        super().__init__()
        self.env = env
        self.plan: FaultPlan = env.erp.plan
        self.plan.reset()
        self.engine: Engine | None = None
        self.world: EngineWorld | None = None
        self.links: list[Link] = []
        self.policy = "newest"
        self.open: OpenCycle | None = None
        self.customers = 0
        self.persons = 0
        #: ERP customers created after set-up, not yet imported.
        self.to_import: list[str] = []
        self.fresh = 0
        self.country_ids: dict[str, int] = {}
        self.step_ok = False

    # -- set-up -----------------------------------------------------------------------------------

    @initialize(
        policy=st.sampled_from(["newest", "erp", "crm"]),
        page_size=st.sampled_from([1, 2, 0]),
        customers=st.integers(min_value=2, max_value=4),
        persons=st.integers(min_value=0, max_value=2),
    )
    def setup(self, policy: str, page_size: int, customers: int, persons: int) -> None:
        self.step_ok = False
        self.policy = policy
        self.engine, folder = self.env.fresh_engine()
        self.world = world = faulty_world(make_session_factory(self.engine), folder, self.env.erp)
        hub = world.hub
        name = self.erp_name
        world.add_connection(name, conflict_policy=policy, max_page_size=page_size)
        with hub.sessions() as session:
            plan = load_plan(session, world.connections[name])
        assert plan is not None
        for tp in plan.types:  # the model's directions are the connection's
            model = CUSTOMER_FIELDS if tp.erp_actor_type == "Customer" else PERSON_FIELDS
            assert {(f.erp_key, f.crm_field.key, f.to_crm, f.to_erp) for f in tp.fields} == {
                (f.erp, f.crm, f.to_crm, f.to_erp) for f in model
            }
        assert set(ENGINE_FIELDS) == {"Customer", "Person"}
        quick_timeouts(world)
        self.country_ids = {key: world.country(text) for key, text in COUNTRIES.items()}
        erp = world.erp(name)
        companies = []
        for n in range(customers):
            values = {
                "NAME": f"Firma {n}",
                "PHONE": f"+47 0{n}",
                "EMAIL": f"post{n}@firma.no",  # synced to the ERP only: not imported
                "POSTALCITY": "Molde",
                "COUNTRY": "NO",
            }
            companies.append(erp.create_actor("Customer", values).erp_key)
        people = []
        for n in range(persons):
            values = {"FIRSTNAME": f"Person {n}", "LASTNAME": "Nordmann", "EMAIL": f"p{n}@x.no"}
            people.append(erp.create_actor("Person", values, "Customer", companies[n]).erp_key)
        self.customers, self.persons = customers, persons
        self._clean_cycle("import")
        for key in companies:
            record_id = world.record_of(name, "Customer", key)
            self.links.append(
                self._new_link(f"Customer {key}", "Customer", key, C, record_id, CUSTOMER_FIELDS)
            )
        for key in people:
            record_id = world.record_of(name, "Person", key)
            self.links.append(self._new_link(f"Person {key}", "Person", key, P, record_id, PERSON_FIELDS))
        self.step_ok = True

    @property
    def erp_name(self) -> str:
        return f"erp{self.env.examples}"

    def _new_link(
        self,
        label: str,
        actor_type: str,
        key: str,
        entity: CrmEntity,
        record_id: int,
        fields: tuple[Mapped, ...],
    ) -> Link:
        """The model of a link auto-import just made: the CRM record holds the actor's values of the
        fields synced to the CRM and nothing else, and the base is that of a settled link."""
        link = Link(label, actor_type, key, entity, record_id, fields, {}, {f.erp: set() for f in fields})
        seen = self._see(link)
        for f in fields:
            link.written[f.erp].update({seen.erp[f.erp], seen.crm[f.erp]})
            imported = seen.erp[f.erp] if f.to_crm else ""
            assert seen.crm[f.erp] == imported, f"{label}: {f.erp} imported as {seen.crm[f.erp]!r}"
        link.base = at_rest_base(link, seen)
        assert self._engine_base(link) == link.base, (
            f"{label}: imported with the base {self._engine_base(link)}"
        )
        return link

    def teardown(self) -> None:
        try:
            if self.world is not None and self.step_ok:
                self._converge_and_check()
        finally:
            self.plan.reset()
            if self.world is not None:
                self.world.close()
                self.world.hub.close()
            if self.engine is not None:
                self.engine.dispose()

    # -- reading both sides ------------------------------------------------------------------------

    @property
    def hub(self) -> Hub:
        assert self.world is not None
        return self.world.hub

    @property
    def connection_id(self) -> int:
        assert self.world is not None
        return self.world.connections[self.erp_name]

    def _see(self, link: Link) -> Seen:
        assert self.world is not None
        actor = self.world.actor(self.erp_name, link.actor_type, link.erp_key)
        with self.hub.sessions() as session:
            record = store.get(session, link.entity, link.record_id)
        assert record is not None, f"{link.label}: its CRM record is gone"
        by_id = {value: key for key, value in self.country_ids.items()}
        crm: dict[str, str] = {}
        for f in link.fields:
            value = record[f.crm]
            if f.is_list:
                crm[f.erp] = "" if value is None else by_id.get(int(str(value)), f"<CRM item {value}>")
            else:
                crm[f.erp] = "" if value is None else str(value)
        updated = record["updated"]
        assert isinstance(updated, datetime)
        erp = {f.erp: actor.field_values.get(f.erp, "") for f in link.fields}
        return Seen(erp, crm, parse_tick(actor.last_modified), updated)

    def _letters(self) -> dict[tuple[str, str], SyncDeadLetter]:
        with self.hub.sessions() as session:
            rows = session.scalars(
                select(SyncDeadLetter).where(SyncDeadLetter.connection_id == self.connection_id)
            )
            return {(row.erp_actor_type, row.erp_key): row for row in rows}

    def _engine_base(self, link: Link) -> dict[str, str]:
        with self.hub.sessions() as session:
            row = session.scalar(
                select(ErpLink).where(
                    ErpLink.connection_id == self.connection_id,
                    ErpLink.erp_actor_type == link.actor_type,
                    ErpLink.erp_key == link.erp_key,
                )
            )
        assert row is not None, f"{link.label}: its link is gone"
        return {key: value for key, value in (row.base_values or {}).items() if key in link.base}

    def _errors_logged(self, link: Link) -> int:
        with self.hub.sessions() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(ErpSyncLog)
                    .where(
                        ErpSyncLog.connection_id == self.connection_id,
                        ErpSyncLog.kind == "error",
                        ErpSyncLog.erp_actor_type == link.actor_type,
                        ErpSyncLog.erp_key == link.erp_key,
                    )
                )
                or 0
            )

    def _last_log_id(self) -> int:
        with self.hub.sessions() as session:
            return session.scalar(select(func.max(ErpSyncLog.id))) or 0

    # -- writing as users --------------------------------------------------------------------------

    def _crm_value(self, f: Mapped, value: str) -> Any:
        if f.is_list:
            return self.country_ids[value] if value else None
        return value

    def _crm_write(self, link: Link, values: Mapping[str, str]) -> None:
        assert self.world is not None
        before = self._see(link)
        by_key = {f.erp: f for f in link.fields}
        self.world.crm_update(
            link.entity,
            link.record_id,
            **{by_key[k].crm: self._crm_value(by_key[k], v) for k, v in values.items()},
        )
        self._written(link, values, before, on_erp=False)

    def _erp_write(self, link: Link, values: Mapping[str, str]) -> None:
        assert self.world is not None
        before = self._see(link)
        self.world.erp(self.erp_name).update_actor(link.actor_type, link.erp_key, dict(values))
        self._written(link, values, before, on_erp=True)

    @staticmethod
    def _written(link: Link, values: Mapping[str, str], before: Seen, on_erp: bool) -> None:
        """A user wrote ``values`` on one side. A field edited while settled (exact link, its source
        side(s) at the base) to another value the ERP takes is then the field's only change: promise
        where it must end up, faults or not, until someone edits the field again."""
        link.last_word = None
        for key, value in values.items():
            link.written[key].add(value)
            link.promises.pop(key, None)
            f = next(each for each in link.fields if each.erp == key)
            base = link.base.get(key)
            settled = link.exact and all(
                side[key] == base for side, syncs in ((before.erp, f.to_crm), (before.crm, f.to_erp)) if syncs
            )
            if settled and value != base and len(value) <= ERP_NAME_LIMIT:
                # It travels if it may; a local edit of a one-way field's target just stays.
                travels = f.to_crm if on_erp else f.to_erp
                other = before.crm[key] if on_erp else before.erp[key]
                final = value if travels else other
                link.promises[key] = (value, final) if on_erp else (final, value)

    @staticmethod
    def _values(link: Link, changes: list[tuple[int, int]]) -> dict[str, str]:
        chosen: dict[str, str] = {}
        for which, value in changes:
            f = link.fields[which % len(link.fields)]
            chosen[f.erp] = f.pool[value % len(f.pool)]
        return chosen

    # -- cycles -------------------------------------------------------------------------------------

    def _taint_pending(self) -> None:
        """Before a cycle that may stop anywhere: links with pending changes lose exactness."""
        for link in self.links:
            if link.exact:
                outcome = expected(link, self._see(link), self.policy)
                if outcome.pending(link):
                    link.exact = False

    def _clean_cycle(self, why: str) -> CycleReport:
        report = run_cycle(self.hub, self.connection_id)
        assert report.state == "ok", f"{why}: a clean cycle failed: {report.message}"
        assert not self.plan.fired
        return report

    def _checked_clean_cycle(self) -> CycleReport:
        """A cycle without faults, every exact link checked against the prediction."""
        predictions = {
            id(link): expected(link, self._see(link), self.policy) for link in self.links if link.exact
        }
        first_log = self._last_log_id()
        report = self._clean_cycle("sync")
        self._check_after_clean_cycle(predictions, first_log)
        self._adopt_imports()
        return report

    def _adopt_imports(self) -> None:
        """New ERP customers a cycle imported join the model, whatever the cycle: imported once, from
        the values they have (nobody edited them yet), with the base of a settled link."""
        assert self.world is not None
        for key in list(self.to_import):
            found = self.world.link(self.erp_name, "Customer", key)
            if found is None:
                continue
            self.to_import.remove(key)
            link = self._new_link(f"Customer {key}", "Customer", key, C, found.crm_record_id, CUSTOMER_FIELDS)
            self.links.append(link)

    def _check_after_clean_cycle(self, predictions: dict[int, Outcome], first_log: int) -> None:
        letters = self._letters()
        with self.hub.sessions() as session:
            log = list(
                session.scalars(
                    select(ErpSyncLog).where(
                        ErpSyncLog.id > first_log, ErpSyncLog.connection_id == self.connection_id
                    )
                )
            )
        for link in self.links:
            seen = self._see(link)
            letter = letters.get((link.actor_type, link.erp_key))
            if letter is None:
                self._check_last_word(link, seen)
                for key, (erp, crm) in link.promises.items():
                    assert (seen.erp[key], seen.crm[key]) == (erp, crm), (
                        f"{link.label}: {key} should hold {erp!r} / {crm!r} (set on one side when it was "
                        f"settled, not edited since), holds {seen.erp[key]!r} / {seen.crm[key]!r}"
                    )
            link.last_word = None
            prediction = predictions.get(id(link))
            if prediction is not None:
                what = f"{link.label} (policy {self.policy})"
                assert seen.erp == prediction.erp, f"{what}: ERP side {seen.erp} != expected {prediction.erp}"
                assert seen.crm == prediction.crm, f"{what}: CRM side {seen.crm} != expected {prediction.crm}"
                mine = [e for e in log if e.erp_actor_type == link.actor_type and e.erp_key == link.erp_key]
                if prediction.refused:
                    assert letter is not None, f"{what}: refused by the ERP but not in the dead letters"
                    assert str(ERP_NAME_LIMIT) in letter.reason, letter.reason
                    assert self._errors_logged(link), f"{what}: the refusal is not in the sync log"
                else:
                    assert letter is None, f"{what}: reconciled, yet in the dead letters: {letter.reason}"
                    link.base = prediction.base
                    # Each written field logged once (a second write would be an echo).
                    changes = sorted(
                        (e.erp_field_key, bool(e.target_is_crm)) for e in mine if e.kind == "change"
                    )
                    wanted = sorted(
                        [(k, True) for k in prediction.to_crm] + [(k, False) for k in prediction.to_erp]
                    )
                    assert changes == wanted, f"{what}: logged changes {changes} != written {wanted}"
                    conflicts = sorted(e.erp_field_key for e in mine if e.kind == "conflict")
                    assert conflicts == sorted(prediction.conflicts), f"{what}: logged conflicts {conflicts}"
                assert self._engine_base(link) == link.base, f"{what}: engine base differs from the model's"
                continue
            # A tainted link: settled, or visibly waiting in the dead letters.
            if letter is None:
                assert settled(link, seen), f"{link.label}: unsettled after a clean cycle and no dead letter"
                base = at_rest_base(link, seen)
                assert self._engine_base(link) == base, f"{link.label}: settled but the base is {base}"
                link.base, link.exact = base, True

    def _check_last_word(self, link: Link, seen: Seen) -> None:
        """A new value set last on one side, then a clean cycle: it arrives wherever the rules send it —
        the newest change wins under ``newest``, the policy's side under ``erp`` / ``crm``, and a
        one-way field's source always wins. (New, so it differs from any base; last, so its record
        is the newer one; no fault since, so nothing of the engine's doing came after it.)"""
        if link.last_word is None:
            return
        key, on_erp, value = link.last_word
        f = next(each for each in link.fields if each.erp == key)
        side = "ERP" if on_erp else "CRM"
        what = f"{link.label}: the {side} user set {key} to {value!r} last (policy {self.policy})"
        if f.two_way and (self.policy == "newest" or (self.policy == "erp") == on_erp):
            assert (seen.erp[key], seen.crm[key]) == (value, value), (
                f"{what}; now {seen.erp[key]!r} / {seen.crm[key]!r}"
            )
        elif f.to_crm and not f.to_erp and on_erp:
            assert seen.crm[key] == value, f"{what}; the CRM has {seen.crm[key]!r}"
        elif f.to_erp and not f.to_crm and not on_erp:
            assert seen.erp[key] == value, f"{what}; the ERP has {seen.erp[key]!r}"

    def _faulty_cycle(self, injection: Injection) -> None:
        predictions = {
            id(link): expected(link, self._see(link), self.policy) for link in self.links if link.exact
        }
        first_log = self._last_log_id()
        self.plan.reset()
        self.plan.arm(injection.fault, injection.at, injection.operation)
        try:
            report = run_cycle(self.hub, self.connection_id)
        finally:
            fired = list(self.plan.fired)
            self.plan.reset()
        if not fired:  # the cycle never reached that call: it was a clean one
            assert report.state == "ok", report.message
            self._check_after_clean_cycle(predictions, first_log)
            self._adopt_imports()
            return
        self._nobody_has_the_last_word()
        for link in self.links:  # the fault can have hit any link with pending changes
            outcome = predictions.get(id(link))
            if outcome is not None and outcome.pending(link):
                link.exact = False
        if fired[0][1].kind in SAVE_ONLY:  # refused or unconfirmed actors are not the connection's fault
            assert report.state == "ok", (injection, report)
        else:  # failed, or "ok" when the engine fetched again what it had asked for ahead (prefetch)
            assert report.state in ("ok", "failed"), (injection, report)
        if report.state == "failed":  # visible: the reason on the cycle and in the sync log
            assert report.message, report
            assert self._last_log_id() > first_log
        self._adopt_imports()

    def _nobody_has_the_last_word(self) -> None:
        """After a cycle that failed or was cut short, the engine may have done things since."""
        for link in self.links:
            link.last_word = None

    def _run_pages(self, pages: int) -> None:
        """Run up to ``pages`` pages of the open cycle; close it when it is done."""
        assert self.open is not None
        self._taint_pending()
        try:
            for _ in range(pages):
                if self.open.unit >= len(self.open.units):
                    break
                if run_unit_page(self.hub, self.open.cycle_id, self.open.units[self.open.unit]):
                    self.open.unit += 1
        except ConnectionFailure as exc:  # the worker ends the cycle as failed
            finish_cycle(self.hub, self.open.cycle_id, str(exc))
            self.open = None
        finally:
            self.plan.reset()
            self._nobody_has_the_last_word()
        if self.open is not None and self.open.unit >= len(self.open.units):
            assert finish_cycle(self.hub, self.open.cycle_id).state == "ok"
            self.open = None
        if self.open is not None:  # the worker dies here: what it held in memory is gone with it
            forget_prefetches(self.connection_id)
        self._adopt_imports()

    # -- rules ----------------------------------------------------------------------------------------

    def _link(self, index: int) -> Link:
        return self.links[index % len(self.links)]

    @rule(
        index=st.integers(0, 7),
        changes=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=3),
    )
    def erp_edit(self, index: int, changes: list[tuple[int, int]]) -> None:
        self.step_ok = False
        link = self._link(index)
        self._erp_write(link, self._values(link, changes))

    @rule(
        index=st.integers(0, 7),
        changes=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=3),
    )
    def crm_edit(self, index: int, changes: list[tuple[int, int]]) -> None:
        self.step_ok = False
        link = self._link(index)
        self._crm_write(link, self._values(link, changes))

    @rule(
        index=st.integers(0, 7),
        which=st.integers(0, 4),
        erp_value=st.integers(0, 3),
        crm_value=st.integers(0, 3),
        erp_first=st.booleans(),
    )
    def both_sides_edit_one_field(
        self, index: int, which: int, erp_value: int, crm_value: int, erp_first: bool
    ) -> None:
        """The same field edited on both sides before the next sync: a conflict, or an agreement."""
        self.step_ok = False
        link = self._link(index)
        erp = self._values(link, [(which, erp_value)])
        crm = self._values(link, [(which, crm_value)])
        if erp_first:
            self._erp_write(link, erp)
            self._crm_write(link, crm)
        else:
            self._crm_write(link, crm)
            self._erp_write(link, erp)

    @rule(index=st.integers(0, 7))
    def crm_name_too_long_for_the_erp(self, index: int) -> None:
        self.step_ok = False
        link = self._link(index)
        if link.actor_type == "Customer":
            self._crm_write(link, {"NAME": LONG_NAME})

    @precondition(lambda self: self.customers < 6)
    @rule(value=st.integers(0, 3))
    def erp_user_creates_a_customer(self, value: int) -> None:
        """Auto-import brings it in with the next cycle that reads it (never twice, faults or not)."""
        self.step_ok = False
        assert self.world is not None
        values = {f.erp: f.pool[value % len(f.pool)] for f in CUSTOMER_FIELDS}
        values["NAME"] = f"Ny kunde {self.customers}"
        self.to_import.append(self.world.erp(self.erp_name).create_actor("Customer", values).erp_key)
        self.customers += 1

    @rule(index=st.integers(0, 7), which=st.integers(0, 4), erp_side=st.booleans())
    def the_last_word(self, index: int, which: int, erp_side: bool) -> None:
        """A value never seen before, in a text field: if nothing else happens to the link before the
        next clean cycle, where it must arrive is known even for a tainted link (module docstring)."""
        self.step_ok = False
        link = self._link(index)
        text = [f for f in link.fields if not f.is_list]
        f = text[which % len(text)]
        self.fresh += 1
        value = f"Fresh {self.fresh}"
        if erp_side:
            self._erp_write(link, {f.erp: value})
        else:
            self._crm_write(link, {f.erp: value})
        link.last_word = (f.erp, erp_side, value)

    @rule(index=st.integers(0, 7), erp_side=st.booleans())
    def touch_an_unmapped_field(self, index: int, erp_side: bool) -> None:
        """Moves the record's timestamp only (under ``newest`` it decides conflicts)."""
        self.step_ok = False
        assert self.world is not None
        link = self._link(index)
        link.touches += 1
        link.last_word = None
        erp_key, crm_key = TOUCH[link.actor_type]
        if erp_side:
            self.world.erp(self.erp_name).update_actor(
                link.actor_type, link.erp_key, {erp_key: f"touch {link.touches}"}
            )
        else:
            self.world.crm_update(link.entity, link.record_id, **{crm_key: f"touch {link.touches}"})

    @rule()
    def sync(self) -> None:
        self.step_ok = False
        self._checked_clean_cycle()

    @rule(injection=injections())
    def sync_with_a_fault(self, injection: Injection) -> None:
        self.step_ok = False
        self._faulty_cycle(injection)

    @rule()
    def dead_letters_due(self) -> None:
        self.step_ok = False
        with self.hub.session() as session:
            session.execute(update(SyncDeadLetter).values(next_attempt_at=utcnow() - timedelta(seconds=1)))

    @precondition(lambda self: self.open is None)
    @rule(pages=st.integers(0, 8), injection=st.none() | injections())
    def worker_killed_after_some_pages(self, pages: int, injection: Injection | None) -> None:
        self.step_ok = False
        start = begin_cycle(self.hub, self.connection_id)
        assert start.cycle_id, start
        assert start.units, start
        self.open = OpenCycle(start.cycle_id, list(start.units))
        if injection is not None:
            self.plan.reset()
            self.plan.arm(injection.fault, injection.at, injection.operation)
        self._run_pages(pages)

    @precondition(lambda self: self.open is not None)
    @rule(pages=st.integers(1, 8))
    def killed_cycle_resumed(self, pages: int) -> None:
        self.step_ok = False
        self._run_pages(pages)

    @precondition(lambda self: self.open is not None)
    @rule()
    def killed_cycle_abandoned(self) -> None:
        """Nobody resumes the dead worker's cycle: it stays open for good."""
        self.step_ok = False
        self.open = None

    # -- invariants -----------------------------------------------------------------------------------

    @invariant()
    def nothing_duplicated_nothing_invented(self) -> None:
        if self.world is None:
            return
        with self.hub.sessions() as session:
            links = list(session.scalars(select(ErpLink)))
            companies = session.scalar(select(func.count()).select_from(Company))
            persons = session.scalar(select(func.count()).select_from(Person))
        assert len({(k.connection_id, k.erp_actor_type, k.erp_key) for k in links}) == len(links)
        assert len({(k.connection_id, k.crm_entity, k.crm_record_id) for k in links}) == len(links)
        if self.links:
            assert len(links) == len(self.links), [(k.erp_actor_type, k.erp_key) for k in links]
            assert all(k.state == "active" for k in links)
            assert {(k.erp_actor_type, k.erp_key, k.crm_record_id) for k in links} == {
                (k.actor_type, k.erp_key, k.record_id) for k in self.links
            }
        imported = sum(1 for link in self.links if link.actor_type == "Customer")
        assert (companies, persons) == (imported, self.persons)
        assert imported + len(self.to_import) == self.customers
        counts = self.world.erp(self.erp_name).count_actors()
        assert (counts.get("Customer", 0), counts.get("Person", 0)) == (self.customers, self.persons)
        for link in self.links:
            seen = self._see(link)
            for f in link.fields:
                for side, value in (("ERP", seen.erp[f.erp]), ("CRM", seen.crm[f.erp])):
                    assert value in link.written[f.erp], (
                        f"{link.label}: {side} {f.erp} = {value!r}, never written"
                    )
            assert len(seen.erp.get("NAME", "")) <= ERP_NAME_LIMIT
        self.step_ok = True

    # -- the end --------------------------------------------------------------------------------------

    def _converge_and_check(self) -> None:
        """Faults stop; retries are due; clean cycles settle everything but the refused names, which
        stay visible in the dead letters until fixed in the CRM; then one cycle settles all of it and
        the next one is quiet."""
        self.open = None
        self.plan.reset()
        for _ in range(2):
            self.dead_letters_due()
            self._checked_clean_cycle()
        assert not self.to_import, f"ERP customers never imported: {self.to_import}"
        letters = self._letters()
        for link in self.links:
            seen = self._see(link)
            letter = letters.get((link.actor_type, link.erp_key))
            if letter is not None:
                assert seen.crm.get("NAME") == LONG_NAME, (
                    f"{link.label} waits in the dead letters: {letter.reason}"
                )
                assert str(ERP_NAME_LIMIT) in letter.reason, letter.reason
            else:
                assert settled(link, seen), f"{link.label} is neither settled nor in the dead letters"
        for n, link in enumerate(self.links):
            if self._see(link).crm.get("NAME") == LONG_NAME:
                self._crm_write(link, {"NAME": CUSTOMER_FIELDS[0].pool[n % 3]})
        self.dead_letters_due()
        self._checked_clean_cycle()
        assert not self._letters(), "dead letters left after every cause was fixed"
        for link in self.links:
            assert link.exact, f"{link.label} did not settle in one clean cycle"
        first_log = self._last_log_id()
        quiet = self._checked_clean_cycle()
        assert (quiet.pulled, quiet.pushed, quiet.failed) == (0, 0, 0), quiet
        assert self._last_log_id() == first_log, "a quiet cycle wrote to the sync log"


# --- the tests ---------------------------------------------------------------------------------------


def faulty_world(sessions: sessionmaker[Session], folder: Path, erp: FaultyErp) -> EngineWorld:
    """A hub on ``sessions`` whose connector is the faulty demo ERP (set-up timeout: generous)."""
    hub = Hub.create(sessions, folder / "hub", connector_secret=CONNECTOR_SECRET, timeout=SETUP_TIMEOUT)
    connector_id = connectors.save_connector(hub, 0, "Demo ERP connector", erp.url).id
    return EngineWorld(hub, erp.url, connector_id, erp.data_dir)


def quick_timeouts(world: EngineWorld) -> None:
    """From here on the hub's connector calls time out after ``CLIENT_TIMEOUT``."""
    world.hub.clients.forget(world.connector_url)
    world.hub.clients.timeout = CLIENT_TIMEOUT


@pytest.fixture
def faulty_erp(tmp_path: Path) -> Iterator[FaultyErp]:
    with faulty_demo_erp(tmp_path / "erp-host", FaultPlan(timeout_sleep=TIMEOUT_SLEEP)) as erp:
        yield erp


# A failing example takes a while to shrink: give it time rather than lose it to the timeout.
@pytest.mark.timeout(1800)
def test_sync_converges_under_random_edits_faults_and_kills(
    database_url: str, tmp_path: Path, faulty_erp: FaultyErp
) -> None:
    env = Env(database_url, tmp_path, faulty_erp)
    sqlite = make_url(database_url).get_backend_name() == "sqlite"
    chosen = SETTINGS if sqlite else settings(SETTINGS, max_examples=POSTGRES_EXAMPLES)

    class Machine(SyncMachine):
        def __init__(self) -> None:
            super().__init__(env)

    run_state_machine_as_test(Machine, settings=chosen)


# --- engine bugs the machine found, as regression tests -----------------------------------------------


@contextmanager
def _one_customer(
    session_factory: sessionmaker[Session], tmp_path: Path, erp: FaultyErp, **values: str
) -> Iterator[tuple[EngineWorld, str, int]]:
    """A world with connection ``erp_a`` and one auto-imported customer: (world, ErpKey, company id)."""
    world = faulty_world(session_factory, tmp_path, erp)
    try:
        world.add_connection("erp_a")
        quick_timeouts(world)
        key = world.erp("erp_a").create_actor("Customer", {"NAME": "Fjord Fisk AS", **values}).erp_key
        assert world.sync("erp_a").state == "ok"
        yield world, key, world.record_of("erp_a", "Customer", key)
    finally:
        world.close()
        world.hub.close()


def test_auto_import_does_not_blank_the_erp_value_of_a_to_erp_only_field(
    session_factory: sessionmaker[Session], tmp_path: Path, faulty_erp: FaultyErp
) -> None:
    """Auto-import once left a to-ERP-only field out of the link's base, so the first CRM edit of the
    record made the CRM's empty value look like a change and blanked the ERP's value."""
    with _one_customer(session_factory, tmp_path, faulty_erp, EMAIL="post@fjordfisk.no") as (world, key, cid):
        world.crm_update(C, cid, phone="+47 22 33 44 55")  # nobody touches the e-mail address
        assert world.sync("erp_a").state == "ok"
        actor = world.actor("erp_a", "Customer", key)
        assert actor.field_values["PHONE"] == "+47 22 33 44 55"
        assert actor.field_values["EMAIL"] == "post@fjordfisk.no"


def test_a_save_the_connector_does_not_confirm_is_not_lost(
    session_factory: sessionmaker[Session], tmp_path: Path, faulty_erp: FaultyErp
) -> None:
    """A SaveActors reply that is OK but confirms no actor (no ActorResults, the actor missing from
    Actors) was once taken as saved: base moved, change logged, no dead letter, ERP never written."""
    with _one_customer(session_factory, tmp_path, faulty_erp, PHONE="+47 11 11 11 11") as (world, key, cid):
        world.crm_update(C, cid, phone="+47 22 22 22 22")
        faulty_erp.plan.reset()
        faulty_erp.plan.arm(Fault(FaultKind.unconfirmed), 0, "SaveActors")
        report = world.sync("erp_a")
        assert faulty_erp.plan.fired
        faulty_erp.plan.reset()
        assert report.failed == 1
        with world.session() as session:
            letter = session.scalar(select(SyncDeadLetter))
        assert letter is not None
        assert letter.erp_key == key
        with world.hub.session() as session:  # retries due now
            session.execute(update(SyncDeadLetter).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        assert world.sync("erp_a").state == "ok"
        assert world.actor("erp_a", "Customer", key).field_values["PHONE"] == "+47 22 22 22 22"


def test_a_page_read_ahead_by_an_earlier_cycle_does_not_overwrite_newer_erp_values(
    session_factory: sessionmaker[Session], tmp_path: Path, faulty_erp: FaultyErp
) -> None:
    """A page the pull read ahead once outlived a cycle that stopped between pages (here: the
    connection paused mid-cycle) and was used by the next cycle however old: the actor's stale values
    decided a conflict and overwrote a newer ERP edit."""
    world = faulty_world(session_factory, tmp_path, faulty_erp)
    try:
        connection = world.add_connection("erp_a", max_page_size=1, conflict_policy="newest")
        erp = world.erp("erp_a")
        first = erp.create_actor("Customer", {"NAME": "A AS", "PHONE": "0"}).erp_key
        second = erp.create_actor("Customer", {"NAME": "B AS", "PHONE": "0"}).erp_key
        assert world.sync("erp_a").state == "ok"
        company = world.record_of("erp_a", "Customer", second)
        erp.update_actor("Customer", first, {"PHONE": "+47 11"})
        erp.update_actor("Customer", second, {"PHONE": "+47 22"})
        start = begin_cycle(world.hub, connection)
        assert not run_unit_page(world.hub, start.cycle_id, start.units[0])  # A; B's page is read ahead
        world.set_connection("erp_a", active=False)  # paused mid-cycle: the rest of the cycle is skipped
        for unit in start.units:
            assert run_unit_page(world.hub, start.cycle_id, unit)
        assert finish_cycle(world.hub, start.cycle_id).state == "ok"
        world.crm_update(C, company, phone="+47 33")  # the CRM user edits B's phone ...
        erp.update_actor("Customer", second, {"PHONE": "+47 44"})  # ... then the ERP user, later
        world.set_connection("erp_a", active=True)
        assert world.sync("erp_a").state == "ok"
        # Under "newest" the ERP's later edit wins (the stale page made the CRM's older one win).
        assert world.actor("erp_a", "Customer", second).field_values["PHONE"] == "+47 44"
        assert world.crm(C, company)["phone"] == "+47 44"
    finally:
        world.close()
        world.hub.close()
