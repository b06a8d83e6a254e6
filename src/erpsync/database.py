"""The database as a whole: its Alembic migrations and the set-up of a new installation.

One Alembic history covers every table of erpsync (the CRM's, later the hub's and the engine's);
its scripts ship inside the package in ``erpsync/migrations``. This module sits above ``crm`` (and
later ``hub``) because the migrations must see every part's tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from erpsync.crm.db import make_engine, make_session_factory

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "head_revision",
    "prepare_database",
    "schema_differences",
    "target_metadata",
    "upgrade",
]

MIGRATIONS = Path(__file__).with_name("migrations")


def target_metadata() -> MetaData:
    """The metadata of every table; importing the model modules registers them."""
    import erpsync.crm.models
    import erpsync.engine.models
    import erpsync.hub.models  # noqa: F401
    from erpsync.crm.db import Base

    return Base.metadata


def alembic_config(url: str | URL | None = None, connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code so that the installed package needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Dated file names that are also module names (mypy and ruff check the scripts).
    config.set_main_option("file_template", "rev_%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "40")
    config.set_main_option("timezone", "UTC")
    hooks = {
        "hooks": "ruff_format, ruff_fix",
        "ruff_fix.type": "module",
        "ruff_fix.module": "ruff",
        "ruff_fix.options": "check --fix REVISION_SCRIPT_FILENAME",
        "ruff_format.type": "module",
        "ruff_format.module": "ruff",
        "ruff_format.options": "format REVISION_SCRIPT_FILENAME",
    }
    for name, value in hooks.items():
        config.set_section_option("post_write_hooks", name, value)
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the newest)."""
    with _connection(url) as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def prepare_database(url: str | URL) -> None:
    """Migrate to the newest revision and fill the standard CRM lists where they are empty: what a
    new or upgraded installation needs before it serves."""
    from erpsync.crm.seed import ensure_standard_lists

    upgrade(url)
    engine = make_engine(url, poolclass=NullPool)
    try:
        with make_session_factory(engine)() as session, session.begin():
            ensure_standard_lists(session)
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    with _connection(url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_differences(url: str | URL) -> list[Any]:
    """What autogenerate would still write after the migrations: empty when the migrations and the
    models agree."""
    with _connection(url) as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, target_metadata()))


@contextmanager
def _connection(url: str | URL) -> Iterator[Connection]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()
