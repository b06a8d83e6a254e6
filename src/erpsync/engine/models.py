"""The engine's own state: where each feed was read to, the journal cursor, dead letters, cycles
and workers.

Every row here is written in the same transaction as the CRM writes it covers (ARCHITECTURE §3.3),
so a crash between two pages loses nothing and applies nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from erpsync.crm.db import Base, UtcDateTime, utcnow

__all__ = ["SyncCursor", "SyncCycle", "SyncDeadLetter", "SyncFeedPosition", "SyncWorker"]


class SyncFeedPosition(Base):
    """How far one feed of one connection and actor type has been read.

    ``feed`` is ``changes`` (GetActorsByTimestamp) or ``deletes`` (GetDeletedActors). ``watermark``
    is the inclusive lower bound of the next pass; while a paged pass is under way ``page_token``
    is where it continues and ``high`` the latest timestamp seen in it.
    """

    __tablename__ = "sync_feed_positions"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("erp_connections.id", ondelete="CASCADE"), primary_key=True
    )
    erp_actor_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    feed: Mapped[str] = mapped_column(String(16), primary_key=True)
    watermark: Mapped[str] = mapped_column(String(254), default="")
    page_token: Mapped[str] = mapped_column(Text, default="")
    high: Mapped[str] = mapped_column(String(254), default="")


class SyncCursor(Base):
    """The last journal ``seq`` whose changes were pushed to the connection."""

    __tablename__ = "sync_cursors"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("erp_connections.id", ondelete="CASCADE"), primary_key=True
    )
    journal_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


class SyncDeadLetter(Base):
    """One link (or one unlinked actor) the engine could not reconcile, waiting for a retry.

    A retry reconciles the link afresh from both sides, so replaying is always safe. ``attempts``
    counts failed tries; ``next_attempt_at`` follows an exponential backoff.
    """

    __tablename__ = "sync_dead_letters"
    __table_args__ = (
        UniqueConstraint("connection_id", "erp_actor_type", "erp_key"),
        Index("ix_sync_dead_letters_due", "connection_id", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("erp_connections.id", ondelete="CASCADE"))
    crm_entity: Mapped[str] = mapped_column(String(16), default="")
    crm_record_id: Mapped[int | None] = mapped_column(Integer, default=None)
    erp_actor_type: Mapped[str] = mapped_column(String(32))
    erp_key: Mapped[str] = mapped_column(String(254))
    #: to_crm, to_erp or both: where the failed change was going.
    direction: Mapped[str] = mapped_column(String(8), default="both")
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class SyncCycle(Base):
    """One sync cycle of one connection: when, where, and what came of it."""

    __tablename__ = "sync_cycles"
    __table_args__ = (Index("ix_sync_cycles_connection_started", "connection_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("erp_connections.id", ondelete="CASCADE"))
    #: sync, force, resync, sync_now
    kind: Mapped[str] = mapped_column(String(16), default="sync")
    worker: Mapped[str] = mapped_column(String(100), default="")
    #: running, ok, failed, abandoned
    state: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    #: The newest journal seq when the cycle began: its push stops there.
    journal_upto: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    #: What the cycle works on (resync and sync-now: records, source connection, no-blank option).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Where a paged unit that keeps no other state (resync) has got to.
    progress: Mapped[str] = mapped_column(Text, default="")
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")


class SyncWorker(Base):
    """A worker process (its DBOS executor id) and its last heartbeat."""

    __tablename__ = "sync_workers"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: Set when another worker took over this one's pending workflows.
    recovered_by: Mapped[str] = mapped_column(String(100), default="")
