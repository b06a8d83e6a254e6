"""The transactions of the administrator's operations.

An operation that talks to a connector reads what it needs in one transaction, calls the connector
outside any transaction, and writes in a second one that begins as a writer. So a SQLite write lock
is never held while a connector answers, and a read-then-write transaction cannot fail half-way
because another writer came first. Whatever the write phase relies on, it checks again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from erpsync.crm.db import begin_write

from .service import Hub

__all__ = ["reading", "writing"]


@contextmanager
def reading(hub: Hub) -> Iterator[Session]:
    """A session for reads; its transaction is rolled back at the end (nothing to keep)."""
    with hub.sessions() as session:
        yield session


@contextmanager
def writing(hub: Hub) -> Iterator[Session]:
    """A session whose transaction begins as a writer, commits on success, rolls back on error."""
    with hub.sessions() as session:
        begin_write(session)
        yield session
        session.commit()
