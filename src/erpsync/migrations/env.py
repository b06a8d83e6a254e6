"""Alembic's entry point for erpsync's migrations; driven by ``erpsync.database``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from erpsync.crm.db import UtcDateTime, make_engine
from erpsync.database import target_metadata


def _render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Scripts stay free of application imports: our UTC wrapper is a plain timestamptz in the database.
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**options: Any) -> None:
    context.configure(
        target_metadata=target_metadata(),
        # SQLite alters tables by copying them; batch mode does that for every ALTER.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        **options,
    )


def run_offline() -> None:
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration drops and re-creates tables; with foreign keys on, dropping a referenced
        # table would delete or refuse the rows pointing at it. The pragma only works outside a
        # transaction, so it goes to the driver before Alembic begins one.
        _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"The migration left rows with broken foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            connection.commit()
            _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute(pragma)


def main() -> None:
    if context.is_offline_mode():
        run_offline()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_online(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "", poolclass=NullPool)
    try:
        with engine.connect() as new_connection:
            run_online(new_connection)
            new_connection.commit()
    finally:
        engine.dispose()


main()
