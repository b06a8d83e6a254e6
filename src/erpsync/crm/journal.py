"""The change journal: one row per CRM record change, written in the transaction of the change.

The sync engine reads it with a cursor (``journal_after``) to push CRM changes to the ERPs; an
entry's ``origin`` tells it which connection (if any) made the change, so that a change is not
echoed back to where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from .bulk import insert_rows
from .catalogue import CrmEntity
from .db import utcnow
from .errors import CrmValidationError
from .models import JournalRow
from .texts import _

__all__ = [
    "SYSTEM_ORIGIN",
    "JournalEntry",
    "JournalOperation",
    "connection_origin",
    "journal_after",
    "last_journal_seq",
    "user_origin",
    "write_journal",
]

SYSTEM_ORIGIN = "system"
MAX_ORIGIN_LENGTH = 100

# Any fixed number: the key of the transaction-level advisory lock that orders journal writers on
# PostgreSQL (see ``_serialise_journal_writers``).
_JOURNAL_LOCK_KEY = 0x6A6F75726E616C


def user_origin(user_id: int) -> str:
    return f"user:{user_id}"


def connection_origin(connection_id: int) -> str:
    return f"connection:{connection_id}"


class JournalOperation(StrEnum):
    insert = "insert"
    update = "update"
    delete = "delete"


_ENTITIES = {entity.value: entity for entity in CrmEntity}
_OPERATIONS = {operation.value: operation for operation in JournalOperation}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    entity: CrmEntity
    record_id: int
    changed_fields: tuple[str, ...]
    origin: str
    operation: JournalOperation
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """A change about to be journaled."""

    record_id: int
    changed_fields: Sequence[str]


def check_origin(origin: str) -> None:
    if not isinstance(origin, str) or not origin or len(origin) > MAX_ORIGIN_LENGTH:
        raise CrmValidationError({"origin": _("must be 1 to %(max)s characters", max=MAX_ORIGIN_LENGTH)})


def write_journal(
    session: Session,
    entity: CrmEntity,
    operation: JournalOperation,
    changes: Iterable[Change],
    origin: str,
) -> None:
    """Insert one journal row per change, in the caller's transaction."""
    now = utcnow()
    rows = [
        {
            "entity": entity.value,
            "record_id": change.record_id,
            "changed_fields": list(change.changed_fields),
            "origin": origin,
            "operation": operation.value,
            "created_at": now,
        }
        for change in changes
    ]
    if not rows:
        return
    _serialise_journal_writers(session)
    insert_rows(session, cast(Table, JournalRow.__table__), rows)


def journal_after(session: Session, seq: int, limit: int = 1000) -> list[JournalEntry]:
    """The entries after ``seq`` (exclusive), oldest first, at most ``limit``."""
    table = JournalRow.__table__
    query = select(table).where(table.c.seq > seq).order_by(table.c.seq).limit(limit)
    # Plain rows, not ORM objects: the engine reads thousands per page.
    return [
        JournalEntry(
            seq=row.seq,
            entity=_ENTITIES[row.entity],
            record_id=row.record_id,
            changed_fields=tuple(row.changed_fields),
            origin=row.origin,
            operation=_OPERATIONS[row.operation],
            created_at=row.created_at,
        )
        for row in session.execute(query)
    ]


def last_journal_seq(session: Session) -> int:
    """The newest ``seq``, 0 for an empty journal: where a new cursor starts."""
    return session.scalar(select(func.coalesce(func.max(JournalRow.seq), 0))) or 0


def _serialise_journal_writers(session: Session) -> None:
    """Make ``seq`` order equal commit order, so that a cursor never passes a seq still to commit.

    On PostgreSQL two transactions may take seqs 5 and 6 and commit 6 first; a reader at that moment
    would move its cursor past 5 and lose it. A transaction-level advisory lock, held from the first
    journal write to the commit, rules that out. SQLite has a single writer and needs nothing.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_JOURNAL_LOCK_KEY)))
