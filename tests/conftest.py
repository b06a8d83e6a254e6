from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

POSTGRES_URL_VARIABLE = "ERPSYNC_TEST_DATABASE_URL"
POSTGRES_SKIP_MESSAGE = f"set {POSTGRES_URL_VARIABLE} to run the PostgreSQL variant"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks the language of LC_ALL / LC_MESSAGES / LANG: tests expect English whatever
    the machine is set to (a test of another language sets its own)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)


# --- databases -------------------------------------------------------------------------------------
# ``database_url`` gives every test an empty database of each kind: a new SQLite file, and a
# PostgreSQL database made once per test session (named uniquely, dropped at the end) whose schema
# is wiped after each test.


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database for this test session."""
    server = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server:
        pytest.skip(POSTGRES_SKIP_MESSAGE)
    url = make_url(server)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"erpsync_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: no tables, no migrations applied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'erpsync.sqlite'}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    _wipe_postgres(url)


def _wipe_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # A test that leaked an open transaction should fail loudly, not hang the suite.
            connection.exec_driver_sql("SET lock_timeout = '10s'")
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database holding every table of the models (made with ``create_all``; the
    migrations are checked against the models separately)."""
    import erpsync.crm.models  # noqa: F401 - registers the tables
    from erpsync.crm.db import Base, make_engine

    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    from erpsync.crm.db import make_session_factory

    return make_session_factory(engine)


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with the smallest cost: hashing stays real, but takes microseconds, not a tenth of a
    second per password."""
    from argon2 import PasswordHasher

    from erpsync.crm import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction the test controls (nothing is committed unless the test does)."""
    with session_factory() as session:
        yield session
