"""The database foundation shared by every table of erpsync: the declarative ``Base``, engines and
sessions.

The hub and the engine declare their tables on this same ``Base`` so that one Alembic history covers
the whole database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Dialect, MetaData, bindparam, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "TimestampedMixin",
    "UtcDateTime",
    "begin_write",
    "id_in",
    "make_engine",
    "make_session_factory",
    "utcnow",
]

# Named constraints from day one: SQLite batch migrations recreate tables and can only drop or alter
# a constraint they can name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
_IMMEDIATE = "erpsync_sqlite_immediate"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A date-time that is always UTC-aware in Python.

    SQLite keeps no time zone, and PostgreSQL hands ``timestamptz`` back in the session's zone; both
    come back as aware UTC. Naive values are taken as UTC, as everywhere in erpsync.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}


class TimestampedMixin:
    """``created_at`` / ``updated_at`` in UTC, set by the application (not the server) so that bulk
    inserts and SQLite behave the same as PostgreSQL."""

    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``: SQLite (file, WAL, busy timeout, foreign keys on) or PostgreSQL through
    psycopg 3 (``postgresql://`` is read as ``postgresql+psycopg://``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed, **kwargs)
    raise ValueError(f"Unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql.")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Records are handed out as plain values after commit; expiring them would only cost queries.
    return sessionmaker(engine, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Begin the session's transaction as a writer.

    On SQLite this takes the write lock at BEGIN (waiting up to the busy timeout for it): a
    transaction that reads and then writes could otherwise fail half-way with "database is locked"
    when another writer committed in between. Elsewhere it simply begins. Call it before the
    transaction's first statement.
    """
    if session.in_transaction():
        raise RuntimeError("begin_write() must start the transaction; this session already has one.")
    session.connection(execution_options={_IMMEDIATE: True})


def _make_sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the sqlite3 module (it would not BEGIN before a SELECT and
    # mishandles SAVEPOINT); SQLAlchemy emits BEGIN itself in ``_sqlite_on_begin``.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def id_in(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN (ids)`` with the integers written into the SQL text: a statement with thousands
    of placeholders costs the PostgreSQL driver more to parse than the numbers themselves."""
    values = [int(each) for each in ids]
    condition: ColumnElement[bool] = column.in_(
        bindparam(f"ids_{column.key}", values, unique=True, expanding=True, literal_execute=True)
    )
    return condition
