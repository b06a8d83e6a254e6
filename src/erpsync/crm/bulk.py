"""Bulk INSERT that stays fast on both databases (an import of 100,000 companies in seconds).

On SQLite the rows go to the driver's ``executemany`` directly. On PostgreSQL, SQLAlchemy's batched
multi-row INSERT … RETURNING is slow through psycopg (which re-parses each batch's tens of thousands
of placeholders), so large batches take their ids from the table's sequence in one query and go in
with COPY.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

__all__ = ["insert_rows", "insert_rows_returning_ids", "update_rows"]

# Below this many rows a plain INSERT is as quick, and easier to read in a statement log.
_COPY_THRESHOLD = 200


def insert_rows_returning_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (each with the same keys) and return their new ids in the order of ``rows``."""
    if not rows:
        return []
    session.flush()  # the rows may refer to objects still pending in the session
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) >= _COPY_THRESHOLD:
        ids = _allocate_ids(session, table, len(rows))
        _copy(session, table, [{**row, "id": record_id} for row, record_id in zip(rows, ids, strict=True)])
        return ids
    if dialect == "sqlite":
        # SQLite gives each new row the largest rowid so far plus one, in order, and the transaction's
        # write lock keeps every other writer out meanwhile: the new ids are the last len(rows) ones.
        _executemany(session, table, rows)
        last = session.scalar(select(func.max(table.c.id)))
        assert last is not None
        return list(range(last - len(rows) + 1, last + 1))
    return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys); the table's defaults fill the other columns."""
    if not rows:
        return
    session.flush()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) >= _COPY_THRESHOLD:
        _copy(session, table, rows)
    elif dialect == "sqlite":
        _executemany(session, table, rows)
    else:
        session.execute(insert(table), rows)


def update_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set the given columns of the rows whose ``id`` each row names (each row with the same keys).

    On PostgreSQL a large batch goes by COPY into a temporary table and one UPDATE … FROM: one
    statement instead of one per row, which is where such a batch spends its time there."""
    if not rows:
        return
    session.flush()
    columns = [name for name in rows[0] if name != "id"]
    if session.get_bind().dialect.name == "postgresql" and len(rows) >= _COPY_THRESHOLD:
        _update_by_copy(session, table, columns, rows)
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("u_id"))
        .values({name: bindparam(f"u_{name}") for name in columns})
    )
    session.execute(statement, [{f"u_{name}": value for name, value in row.items()} for row in rows])


def _update_by_copy(
    session: Session, table: Table, columns: list[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    from psycopg import sql

    staging = f"erpsync_staging_{table.name}"
    name = sql.Identifier(staging)
    target = sql.Identifier(table.name)
    wanted = sql.SQL(", ").join(sql.Identifier(each) for each in ["id", *columns])
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    with driver_connection.cursor() as cursor:
        # Only the columns' types, none of the table's constraints.
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                name, wanted, target
            )
        )
    _copy_into(session, staging, ["id", *columns], {c for c in columns if _is_json(table, c)}, rows)
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = s.{}").format(sql.Identifier(each), sql.Identifier(each)) for each in columns
    )
    with driver_connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("UPDATE {} AS t SET {} FROM {} AS s WHERE t.id = s.id").format(target, assignments, name)
        )
        cursor.execute(sql.SQL("DROP TABLE {}").format(name))


def _is_json(table: Table, column: str) -> bool:
    return table.c[column].type.__class__.__name__ == "JSON"


def _executemany(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """One ``executemany`` straight to the driver: SQLAlchemy's per-row parameter handling would cost
    more than SQLite's own work. The columns' bind processors still run (date-times, JSON)."""
    connection = session.connection()
    columns = list(rows[0])
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.bind_processor(connection.dialect) for name in columns
    ]
    # Only identifiers of our own tables, quoted by the dialect, go into the text.
    statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.dialect.identifier_preparer.format_table(table),
        ", ".join(connection.dialect.identifier_preparer.quote(name) for name in columns),
        ", ".join("?" for _ in columns),
    )
    plain = all(process is None for process in processors)
    if not plain:
        processors = [None if process is None else _repeating(process) for process in processors]
    pairs = list(zip(columns, processors, strict=True))
    connection.exec_driver_sql(
        statement,
        [
            tuple(row[name] for name in columns)
            if plain
            else tuple(row[name] if process is None else process(row[name]) for name, process in pairs)
            for row in rows
        ],
    )


def _repeating(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` remembering its last input: a batch's rows mostly share one time stamp, which
    is then converted once instead of once per row. (SQLite only: a date-time is handed over as
    the text the sqlite3 module would make of it, so that it too is made once.)"""
    last: list[Any] = [_NOTHING, None]

    def convert(value: Any) -> Any:
        if value is not last[0]:
            converted = process(value)
            if isinstance(converted, datetime):
                converted = converted.isoformat(" ")
            last[0], last[1] = value, converted
        return last[1]

    return convert


_NOTHING = object()


def _allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    sequence = func.pg_get_serial_sequence(table.name, "id")
    return list(session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count))))


def _copy(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    columns = list(rows[0])
    _copy_into(session, table.name, columns, {name for name in columns if _is_json(table, name)}, rows)


def _copy_into(
    session: Session,
    table_name: str,
    columns: list[str],
    json_columns: set[str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    import json

    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table_name), sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    )
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[name]) if name in json_columns else row[name] for name in columns])
