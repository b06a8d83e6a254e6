from __future__ import annotations

import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm import store
from erpsync.crm.db import begin_write


def test_journal_order_is_commit_order(session_factory: sessionmaker[Session]) -> None:
    """A second writer waits for the first to commit, so its journal seq is higher: a cursor over the
    journal can never pass a seq that commits later (on PostgreSQL an advisory lock sees to it)."""
    done = threading.Event()
    second_id: list[int] = []

    def second_writer() -> None:
        with session_factory() as session:
            begin_write(session)
            second_id.append(store.create(session, "company", {"name": "Second"}, "user:2"))
            session.commit()
        done.set()

    with session_factory() as first:
        first.begin()
        first_id = store.create(first, "company", {"name": "First"}, "user:1")
        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)
        waited = not done.is_set()
        first.commit()
    thread.join(timeout=15)
    assert waited, "the second writer must wait for the first one's commit"
    assert done.is_set()

    with session_factory() as session:
        entries = store.journal_after(session, 0)
    assert [each.record_id for each in entries] == [first_id, second_id[0]]
    assert entries[0].seq < entries[1].seq
