"""The demo ERP's own storage: one SQLite file per database.

:class:`DemoErpDatabase` *is* the ERP: the connector reads and writes through it, and tests use it
directly to play an ERP user editing records. It enforces the ERP's integrity rules (known fields,
encoded values, list keys, parents, mandatory values) but, being the ERP itself, may write fields
that are read-only to the connector's callers (``BALANCE``, ``CUSTOMERNO``).

Storage: values are kept already encoded in the wire format (one JSON column, field key → value;
empty values are not stored), next to indexed columns for what the ERP queries by. The ErpKey is
the row id: stable across renames and never reused (``AUTOINCREMENT``). A deleted actor leaves a
tombstone for the delete feed.

The clock: ``LastModified`` must be global and monotonic, so every write transaction takes one
tick (:mod:`.clock`) from a one-row table under SQLite's write lock and stamps every actor it
writes with it; many actors may share a tick.
"""

from __future__ import annotations

import hmac
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson

from erpsync.protocol import ActorType, ErpActor, FieldAccess, FieldType, ListItem
from erpsync.protocol.codec import EMPTY, ValueError_, decode, encode, encode_datetime, encode_float
from erpsync.sdk.errors import (
    ActorNotFound,
    ConnectorFailure,
    InvalidValue,
    MandatoryFieldMissing,
    ReadOnlyField,
    UnknownField,
    UnknownList,
)
from erpsync.sdk.languages import explain as _
from erpsync.sdk.search import text_matches

from .actors import (
    ACCOUNT_NUMBERS,
    FREE_TEXT_FIELDS,
    PARENT_TYPES,
    actor_type_of,
    derived_values,
    field_map,
    search_text_of,
)
from .clock import is_tick, next_tick, parse_tick
from .lists import CATALOGUE
from .passwords import hash_password, password_matches

__all__ = [
    "BulkActor",
    "DeletedActorRow",
    "DemoErpDatabase",
    "database_path",
]

#: A deleted actor as the delete feed reports it: (actor type, ErpKey, deleted at).
DeletedActorRow = tuple[str, str, str]

_DATABASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_IN_CHUNK = 500  # stays well below SQLite's bound-parameter limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_tick TEXT NOT NULL
);
INSERT OR IGNORE INTO clock (id, last_tick) VALUES (1, '');
CREATE TABLE IF NOT EXISTS erp_user (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS list_item (
    list_name TEXT NOT NULL,
    item_key TEXT NOT NULL,
    display_value TEXT NOT NULL,
    rank INTEGER NOT NULL,
    PRIMARY KEY (list_name, item_key)
);
CREATE TABLE IF NOT EXISTS actor (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_type TEXT NOT NULL,
    parent_actor_type TEXT NOT NULL DEFAULT '',
    parent_erp_key TEXT NOT NULL DEFAULT '',
    inactive INTEGER NOT NULL DEFAULT 0,
    last_modified TEXT NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    field_values TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actor_feed ON actor (actor_type, last_modified, id);
CREATE INDEX IF NOT EXISTS actor_parent ON actor (parent_erp_key, parent_actor_type);
CREATE TABLE IF NOT EXISTS tombstone (
    id INTEGER PRIMARY KEY,
    actor_type TEXT NOT NULL,
    deleted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstone_feed ON tombstone (actor_type, deleted_at, id);
"""

_SELECT_ACTORS = (
    "SELECT id, actor_type, parent_actor_type, parent_erp_key, last_modified, field_values FROM actor"
)


def database_path(data_dir: Path, name: str) -> Path:
    """Where the demo database ``name`` lives: ``<data_dir>/demo-erp/<name>.sqlite``.

    Raises ``ValueError`` for a name that is not a simple identifier (letters, digits, ``_``, ``-``),
    so that a name can never point outside the folder.
    """
    if not _DATABASE_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a valid demo database name: use letters, digits, '_' and '-' (at most 64)"
        )
    return data_dir / "demo-erp" / f"{name}.sqlite"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _key_to_id(erp_key: str) -> int | None:
    """The row id behind an ErpKey; ``None`` when the text cannot be one of our keys."""
    if erp_key.isascii() and erp_key.isdigit() and str(int(erp_key)) == erp_key:
        return int(erp_key)
    return None


# -- bulk loading ----------------------------------------------------------------------------------


@dataclass(slots=True)
class BulkActor:
    """One actor for :meth:`DemoErpDatabase.bulk_insert`: trusted, already encoded values."""

    erp_id: int
    actor_type: ActorType
    values: dict[str, str]
    parent_actor_type: str = ""
    parent_erp_key: str = ""


class _Rollback(Exception):
    """Ends a transaction without committing and without an error (every actor of a batch failed)."""


class DemoErpDatabase:
    """One demo ERP database. Thread-safe: one connection, one lock; WAL lets other processes read.

    Example::

        db = DemoErpDatabase(tmp_path / "erp.sqlite")
        acme = db.create_actor("Customer", {"NAME": "Acme AS", "CREDITLIMIT": "[F:5000]"})
        db.update_actor("Customer", acme.erp_key, {"PHONE": "+47 22 00 00 00"})
    """

    def __init__(self, path: Path, *, create: bool = True, now: Callable[[], datetime] = _utc_now) -> None:
        self.path = path
        self._now = now
        self._lock = threading.RLock()
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
            target = str(path)
        elif not path.is_file():
            raise FileNotFoundError(f"demo ERP database {path} does not exist")
        else:
            target = f"{path.resolve().as_uri()}?mode=rw"
        self._conn = sqlite3.connect(
            target, uri=not create, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._verified: dict[tuple[str, bytes], str] = {}
        self._pepper = os.urandom(16)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            self._fill_lists_once()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- transactions and the clock --------------------------------------------------------------

    @contextmanager
    def _transaction(self, stamped: bool = True) -> Iterator[str]:
        """A write transaction; yields its clock tick, shared by every actor it writes (``""`` when
        not ``stamped``: users and lists are not actors and need no tick)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tick() if stamped else ""
            except _Rollback:
                self._conn.execute("ROLLBACK")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def _tick(self) -> str:
        (previous,) = self._conn.execute("SELECT last_tick FROM clock WHERE id = 1").fetchone()
        tick = next_tick(previous, self._now())
        self._conn.execute("UPDATE clock SET last_tick = ? WHERE id = 1", (tick,))
        return tick

    def last_tick(self) -> str:
        """The newest ``LastModified`` / deletion time handed out ("" before the first write)."""
        with self._lock:
            (tick,) = self._conn.execute("SELECT last_tick FROM clock WHERE id = 1").fetchone()
        return str(tick)

    # -- users -------------------------------------------------------------------------------------

    def set_user(self, name: str, password: str) -> None:
        """Create the user or change its password (stored as a salted scrypt hash)."""
        with self._transaction(stamped=False):
            self._conn.execute(
                "INSERT INTO erp_user (name, password_hash) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
                (name, hash_password(password)),
            )

    def has_user(self, name: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM erp_user WHERE name = ?", (name,)).fetchone()
        return row is not None

    def check_user(self, name: str, password: str) -> bool:
        """Do the user name and password match? A success is remembered until the hash changes,
        so that every operation can check credentials without paying for scrypt each time."""
        with self._lock:
            row = self._conn.execute("SELECT password_hash FROM erp_user WHERE name = ?", (name,)).fetchone()
        if row is None:
            return False
        stored: str = row[0]
        fingerprint = (name, hmac.digest(self._pepper, password.encode(), "sha256"))
        if self._verified.get(fingerprint) == stored:
            return True
        if not password_matches(password, stored):
            return False
        self._verified[fingerprint] = stored
        return True

    # -- lists -------------------------------------------------------------------------------------

    def _fill_lists_once(self) -> None:
        (count,) = self._conn.execute("SELECT count(*) FROM list_item").fetchone()
        if count:
            return
        rows = [
            (name, key, text, rank)
            for name, items in CATALOGUE.items()
            for rank, (key, text) in enumerate(items)
        ]
        self._conn.executemany(
            "INSERT OR IGNORE INTO list_item (list_name, item_key, display_value, rank) VALUES (?, ?, ?, ?)",
            rows,
        )

    def list_items(self, list_name: str, keys: Iterable[str] | None = None) -> list[ListItem]:
        """Items of a list in display order (only ``keys`` when given); :class:`UnknownList` if none."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT item_key, display_value FROM list_item WHERE list_name = ? ORDER BY rank, item_key",
                (list_name,),
            ).fetchall()
        if not rows:
            raise UnknownList(_("The demo ERP has no list called %(list)r.", list=list_name))
        wanted = None if keys is None else set(keys)
        return [
            ListItem(key=key, display_value=text) for key, text in rows if wanted is None or key in wanted
        ]

    def add_list_item(self, list_name: str, key: str, display_value: str) -> None:
        """Add an item (or rename an existing one) at the end of a list."""
        with self._transaction(stamped=False):
            self._conn.execute(
                "INSERT INTO list_item (list_name, item_key, display_value, rank) "
                "VALUES (?, ?, ?, (SELECT coalesce(max(rank), -1) + 1 FROM list_item WHERE list_name = ?)) "
                "ON CONFLICT (list_name, item_key) DO UPDATE SET display_value = excluded.display_value",
                (list_name, key, display_value, list_name),
            )

    def _has_list_item(self, list_name: str, key: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM list_item WHERE list_name = ? AND item_key = ?", (list_name, key)
        ).fetchone()
        return row is not None

    # -- validation --------------------------------------------------------------------------------

    def _checked_values(self, actor_type: ActorType, values: Mapping[str, str]) -> dict[str, str]:
        """The values in canonical encoding; refuses unknown fields, labels, bad encodings,
        over-long text and list keys the list does not have."""
        fields = field_map(actor_type)
        checked: dict[str, str] = {}
        for key, value in values.items():
            meta = fields.get(key)
            if meta is None:
                raise UnknownField(
                    _("The field %(key)r does not exist on %(type)s.", key=key, type=actor_type)
                )
            label = meta.display_name or key
            if meta.field_type is FieldType.Label:
                raise ReadOnlyField(
                    _("The field %(field)r is computed by the ERP and cannot be written.", field=label)
                )
            try:
                checked[key] = encode(decode(value, meta.field_type), meta.field_type)
            except ValueError_ as exc:
                raise InvalidValue(_("%(field)s: %(problem)s", field=label, problem=str(exc))) from None
            is_text = meta.field_type in (FieldType.Text, FieldType.Password)
            if is_text and meta.max_length and len(value) > meta.max_length:
                raise InvalidValue(
                    _("%(field)s is longer than %(max)s characters.", field=label, max=meta.max_length)
                )
            if meta.field_type is FieldType.List and value and not self._has_list_item(meta.list_name, value):
                raise InvalidValue(
                    _(
                        "%(field)s: %(value)r is not an item of the list %(list)r.",
                        field=label,
                        value=value,
                        list=meta.list_name,
                    ),
                    f"unknown list key {value!r} in list {meta.list_name!r}",
                )
        return checked

    def _checked_parent(self, actor_type: ActorType, parent_actor_type: str, parent_erp_key: str) -> None:
        if not parent_actor_type and not parent_erp_key:
            return
        allowed = PARENT_TYPES.get(actor_type, frozenset())
        if not allowed:
            raise InvalidValue(_("A %(type)s cannot have a parent.", type=actor_type))
        if parent_actor_type not in allowed or not parent_erp_key:
            raise InvalidValue(
                _(
                    "The parent of a %(type)s must be one of %(allowed)s, given by actor type and ErpKey.",
                    type=actor_type,
                    allowed=", ".join(sorted(allowed)),
                ),
                f"parent given as ({parent_actor_type!r}, {parent_erp_key!r})",
            )
        parent_id = _key_to_id(parent_erp_key)
        row = None
        if parent_id is not None:
            row = self._conn.execute(
                "SELECT 1 FROM actor WHERE id = ? AND actor_type = ?", (parent_id, parent_actor_type)
            ).fetchone()
        if row is None:
            raise InvalidValue(
                _("The parent %(type)s %(key)r does not exist.", type=parent_actor_type, key=parent_erp_key)
            )

    @staticmethod
    def _check_mandatory(actor_type: ActorType, values: Mapping[str, str]) -> None:
        missing = [
            meta.display_name or key
            for key, meta in field_map(actor_type).items()
            if meta.access is FieldAccess.Mandatory and not values.get(key)
        ]
        if missing:
            raise MandatoryFieldMissing(
                _("Mandatory fields are empty: %(fields)s.", fields=", ".join(missing))
            )

    # -- writing -----------------------------------------------------------------------------------

    def _store(
        self,
        erp_id: int,
        actor_type: ActorType,
        values: Mapping[str, str],
        parent: tuple[str, str],
        tick: str,
        *,
        insert: bool,
    ) -> ErpActor:
        stored = {key: value for key, value in values.items() if value != EMPTY}
        row = (
            parent[0],
            parent[1],
            int(stored.get("INACTIVE") == "[I:1]"),
            tick,
            search_text_of(actor_type, stored).casefold(),
            orjson.dumps(stored).decode(),
        )
        if insert:
            self._conn.execute(
                "INSERT INTO actor (id, actor_type, parent_actor_type, parent_erp_key, inactive, "
                "last_modified, search_text, field_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (erp_id, actor_type.value, *row),
            )
        else:
            self._conn.execute(
                "UPDATE actor SET parent_actor_type = ?, parent_erp_key = ?, inactive = ?, "
                "last_modified = ?, search_text = ?, field_values = ? WHERE id = ?",
                (*row, erp_id),
            )
        return self._actor(erp_id, actor_type.value, parent[0], parent[1], tick, stored)

    def _next_id(self) -> int:
        (seq,) = self._conn.execute(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'actor'), 0)"
        ).fetchone()
        return int(seq) + 1

    def _insert(self, actor: ErpActor, defaults: Mapping[str, str], tick: str) -> ErpActor:
        actor_type = actor_type_of(actor.actor_type)
        fields = field_map(actor_type)
        given = self._checked_values(actor_type, actor.field_values)
        parent = (actor.parent_actor_type, actor.parent_erp_key)
        self._checked_parent(actor_type, *parent)
        erp_id = self._next_id()
        values = {key: meta.default_value for key, meta in fields.items() if meta.default_value}
        values.update(self._checked_values(actor_type, {k: v for k, v in defaults.items() if k in fields}))
        values.update(given)
        for key, prefix in ACCOUNT_NUMBERS.get(actor_type, {}).items():
            if not values.get(key):
                values[key] = f"{prefix}{10000 + erp_id}"
        if "CREATED" in fields and not values.get("CREATED"):
            values["CREATED"] = encode_datetime(parse_tick(tick))
        if "BALANCE" in fields and not values.get("BALANCE"):
            values["BALANCE"] = encode_float(0.0)
        self._check_mandatory(actor_type, values)
        return self._store(erp_id, actor_type, values, parent, tick, insert=True)

    def _update(self, actor: ErpActor, tick: str) -> ErpActor:
        actor_type = actor_type_of(actor.actor_type)
        erp_id = _key_to_id(actor.erp_key)
        row = None
        if erp_id is not None:
            row = self._conn.execute(
                "SELECT parent_actor_type, parent_erp_key, field_values FROM actor "
                "WHERE id = ? AND actor_type = ?",
                (erp_id, actor_type.value),
            ).fetchone()
        if erp_id is None or row is None:
            raise ActorNotFound(
                _("The %(type)s %(key)r does not exist in the demo ERP.", type=actor_type, key=actor.erp_key)
            )
        given = self._checked_values(actor_type, actor.field_values)
        parent: tuple[str, str] = (row[0], row[1])
        if actor.parent_actor_type or actor.parent_erp_key:
            parent = (actor.parent_actor_type, actor.parent_erp_key)
            self._checked_parent(actor_type, *parent)
        values: dict[str, str] = orjson.loads(row[2])
        values.update(given)
        self._check_mandatory(actor_type, values)
        return self._store(erp_id, actor_type, values, parent, tick, insert=False)

    def _batch(
        self, actors: Sequence[ErpActor], write: Callable[[ErpActor, str], ErpActor]
    ) -> list[ErpActor | ConnectorFailure]:
        """One transaction, one tick, a savepoint per actor: a refused actor fails only itself."""
        outcomes: list[ErpActor | ConnectorFailure] = []
        with self._transaction() as tick:
            for actor in actors:
                self._conn.execute("SAVEPOINT actor")
                try:
                    outcomes.append(write(actor, tick))
                except ConnectorFailure as exc:
                    self._conn.execute("ROLLBACK TO actor")
                    outcomes.append(exc)
                finally:
                    self._conn.execute("RELEASE actor")
            if not any(isinstance(outcome, ErpActor) for outcome in outcomes):
                raise _Rollback  # nothing written: leave even the clock untouched
        return outcomes

    def create_actors(
        self, actors: Sequence[ErpActor], defaults: Mapping[str, str] | None = None
    ) -> list[ErpActor | ConnectorFailure]:
        """Create a batch in one transaction; one outcome per actor: the created actor or the refusal.

        ``defaults`` (field key → encoded value, e.g. the connection's currency) fill fields the
        actor leaves out and take precedence over the fields' declared defaults; keys an actor
        type lacks are ignored.
        """
        extra = dict(defaults or {})
        return self._batch(actors, lambda actor, tick: self._insert(actor, extra, tick))

    def update_actors(self, actors: Sequence[ErpActor]) -> list[ErpActor | ConnectorFailure]:
        """Save a batch in one transaction: only the fields present change; one outcome per actor."""
        return self._batch(actors, self._update)

    def create_actor(
        self,
        actor_type: str,
        values: Mapping[str, str],
        parent_actor_type: str = "",
        parent_erp_key: str = "",
        defaults: Mapping[str, str] | None = None,
    ) -> ErpActor:
        """Create one actor (values encoded); raises the refusal as an :mod:`erpsync.sdk.errors`
        exception and then changes nothing."""
        actor = ErpActor(
            actor_type=actor_type,
            parent_actor_type=parent_actor_type,
            parent_erp_key=parent_erp_key,
            field_values=dict(values),
        )
        return _single(self.create_actors([actor], defaults))

    def update_actor(
        self,
        actor_type: str,
        erp_key: str,
        values: Mapping[str, str],
        parent_actor_type: str = "",
        parent_erp_key: str = "",
    ) -> ErpActor:
        """Change the given fields (``""`` empties one) and, when given, the parent."""
        actor = ErpActor(
            actor_type=actor_type,
            erp_key=erp_key,
            parent_actor_type=parent_actor_type,
            parent_erp_key=parent_erp_key,
            field_values=dict(values),
        )
        return _single(self.update_actors([actor]))

    def delete_actor(self, actor_type: str, erp_key: str) -> list[DeletedActorRow]:
        """Delete an actor and its children (a company's persons), leaving tombstones."""
        kind = actor_type_of(actor_type)
        erp_id = _key_to_id(erp_key)
        deleted: list[DeletedActorRow] = []
        with self._transaction() as tick:
            row = None
            if erp_id is not None:
                row = self._conn.execute(
                    "SELECT id FROM actor WHERE id = ? AND actor_type = ?", (erp_id, kind.value)
                ).fetchone()
            if erp_id is None or row is None:
                raise ActorNotFound(
                    _("The %(type)s %(key)r does not exist in the demo ERP.", type=kind, key=erp_key)
                )
            children = self._conn.execute(
                "SELECT id, actor_type FROM actor WHERE parent_erp_key = ? AND parent_actor_type = ?",
                (erp_key, kind.value),
            ).fetchall()
            for child_id, child_type in [*children, (erp_id, kind.value)]:
                self._conn.execute("DELETE FROM actor WHERE id = ?", (child_id,))
                self._conn.execute(
                    "INSERT INTO tombstone (id, actor_type, deleted_at) VALUES (?, ?, ?)",
                    (child_id, child_type, tick),
                )
                deleted.append((child_type, str(child_id), tick))
        return deleted

    def bulk_insert(self, build: Callable[[int, datetime], Iterable[BulkActor]]) -> str:
        """Insert trusted actors fast, in one transaction sharing one tick (seeding).

        ``build(first free id, tick)`` yields the actors; their ids must start at the first free id
        and increase. Values are stored as given, without validation. Returns the tick.
        """
        with self._transaction() as tick:
            rows = (
                (
                    actor.erp_id,
                    actor.actor_type.value,
                    actor.parent_actor_type,
                    actor.parent_erp_key,
                    int(actor.values.get("INACTIVE") == "[I:1]"),
                    tick,
                    search_text_of(actor.actor_type, actor.values).casefold(),
                    orjson.dumps(actor.values).decode(),
                )
                for actor in build(self._next_id(), parse_tick(tick))
            )
            self._conn.executemany(
                "INSERT INTO actor (id, actor_type, parent_actor_type, parent_erp_key, inactive, "
                "last_modified, search_text, field_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return tick

    # -- reading -----------------------------------------------------------------------------------

    @staticmethod
    def _actor(
        erp_id: int, actor_type: str, parent_type: str, parent_key: str, tick: str, stored: Mapping[str, str]
    ) -> ErpActor:
        kind = ActorType(actor_type)
        values = dict.fromkeys(field_map(kind), EMPTY)
        values.update(stored)
        values.update(derived_values(kind, values))
        # Built without validation: every value came out of our own checked storage.
        return ErpActor.model_construct(
            actor_type=actor_type,
            erp_key=str(erp_id),
            last_modified=tick,
            parent_actor_type=parent_type,
            parent_erp_key=parent_key,
            field_values=values,
        )

    def _actors(self, rows: Iterable[tuple[Any, ...]]) -> list[ErpActor]:
        return [self._actor(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5])) for r in rows]

    def get_actor(self, actor_type: str, erp_key: str) -> ErpActor | None:
        found = self.get_actors(actor_type, [erp_key])
        return found[0] if found else None

    def get_actors(self, actor_type: str, erp_keys: Iterable[str]) -> list[ErpActor]:
        """The actors of that type with those keys, in the order asked; unknown keys are left out."""
        kind = actor_type_of(actor_type)
        ids = list(dict.fromkeys(i for i in map(_key_to_id, erp_keys) if i is not None))
        found: dict[int, ErpActor] = {}
        with self._lock:
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                rows = self._conn.execute(
                    _SELECT_ACTORS  # only placeholders are formatted into the query
                    + f" WHERE actor_type = ? AND id IN ({','.join('?' * len(chunk))})",
                    (kind.value, *chunk),
                ).fetchall()
                found.update((int(a.erp_key), a) for a in self._actors(rows))
        return [found[i] for i in ids if i in found]

    def find_actors(
        self,
        actor_type: str,
        search_text: str = "",
        *,
        include_inactive: bool = True,
        parent_actor_type: str = "",
        parent_erp_key: str = "",
    ) -> list[ErpActor]:
        """Actors of a type in key order, narrowed by the free-text rule (``text_matches`` over the
        type's free-text fields; blank = all), by activity and by parent."""
        kind = actor_type_of(actor_type)
        sql = _SELECT_ACTORS + " WHERE actor_type = ?"
        params: list[object] = [kind.value]
        if not include_inactive:
            sql += " AND inactive = 0"
        if parent_erp_key:
            sql += " AND parent_erp_key = ?"
            params.append(parent_erp_key)
        if parent_actor_type:
            sql += " AND parent_actor_type = ?"
            params.append(parent_actor_type)
        needle = search_text.strip().casefold()
        if needle:
            # A cheap superset in SQL; text_matches below decides per field.
            sql += " AND instr(search_text, ?) > 0"
            params.append(needle)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", params).fetchall()
        actors = self._actors(rows)
        if not needle:
            return actors
        keys = FREE_TEXT_FIELDS[kind]
        return [a for a in actors if text_matches(search_text, *(a.field_values[k] for k in keys))]

    def _feed(
        self,
        select: str,
        stamp: str,
        kind: ActorType,
        since: str,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        """Rows of ``kind`` with ``stamp >= since`` in (stamp, id) order, after the position ``after``.

        Two index range scans instead of one row-value comparison: when thousands of rows share one
        tick, SQLite would otherwise scan the whole tick again for every page.
        """
        limit = limit or -1  # SQLite: a negative LIMIT means none
        rows: list[tuple[Any, ...]] = []
        with self._lock:
            if after is not None:
                tick, erp_id = _position(after)
                if tick >= since:
                    rows = self._conn.execute(
                        f"{select} WHERE actor_type = ? AND {stamp} = ? AND id > ? ORDER BY id LIMIT ?",
                        (kind.value, tick, erp_id, limit),
                    ).fetchall()
                since = max(since, tick)
                if 0 < limit <= len(rows):
                    return rows
                rows += self._conn.execute(
                    f"{select} WHERE actor_type = ? AND {stamp} > ? ORDER BY {stamp}, id LIMIT ?",
                    (kind.value, since, limit - len(rows) if limit > 0 else -1),
                ).fetchall()
            else:
                rows = self._conn.execute(
                    f"{select} WHERE actor_type = ? AND {stamp} >= ? ORDER BY {stamp}, id LIMIT ?",
                    (kind.value, since, limit),
                ).fetchall()
        return rows

    def changed_since(
        self, actor_type: str, since: str, after: tuple[str, str] | None = None, limit: int = 0
    ) -> list[ErpActor]:
        """The change feed: actors with ``LastModified >= since`` ordered by (LastModified, ErpKey
        number), starting after the position ``after`` = (LastModified, ErpKey); at most ``limit``
        (0 = all)."""
        select = _SELECT_ACTORS
        return self._actors(
            self._feed(select, "last_modified", actor_type_of(actor_type), since, after, limit)
        )

    def deleted_since(
        self, actor_type: str, since: str, after: tuple[str, str] | None = None, limit: int = 0
    ) -> list[DeletedActorRow]:
        """The delete feed, ordered and positioned like :meth:`changed_since`."""
        select = "SELECT actor_type, id, deleted_at FROM tombstone"
        rows = self._feed(select, "deleted_at", actor_type_of(actor_type), since, after, limit)
        return [(kind, str(erp_id), at) for kind, erp_id, at in rows]

    def count_actors(self) -> dict[str, int]:
        """Live actors per actor type."""
        with self._lock:
            rows = self._conn.execute("SELECT actor_type, count(*) FROM actor GROUP BY actor_type").fetchall()
        return {kind: count for kind, count in rows}


def _position(after: tuple[str, str]) -> tuple[str, int]:
    tick, erp_key = after
    erp_id = _key_to_id(erp_key)
    if not is_tick(tick) or erp_id is None:
        raise InvalidValue(_("The page token is not one the demo ERP handed out."), f"bad position {after!r}")
    return tick, erp_id


def _single(outcomes: list[ErpActor | ConnectorFailure]) -> ErpActor:
    (outcome,) = outcomes
    if isinstance(outcome, ConnectorFailure):
        raise outcome
    return outcome
