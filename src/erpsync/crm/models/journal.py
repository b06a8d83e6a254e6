from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class JournalRow(Base):
    """One change of one CRM record, written by ``crm.store`` in the transaction of the change.

    ``seq`` orders the journal; the sync engine keeps a cursor over it per connection.
    """

    __tablename__ = "journal"
    __table_args__ = (
        Index("ix_journal_entity_record_id", "entity", "record_id"),
        # AUTOINCREMENT: SQLite must never hand out a seq again, even after the newest rows are pruned,
        # or a cursor would skip them.
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
