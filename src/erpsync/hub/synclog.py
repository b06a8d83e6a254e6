"""Writing the sync log: every field change made by the engine, connect, create or import, every
conflict (with the losing value), link and unlink, warning and error.

A message is kept in every language erpsync speaks (``crm.texts.in_every_language``), so that each
reader sees it in their own; values are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from erpsync.crm.bulk import insert_rows
from erpsync.crm.db import utcnow
from erpsync.crm.texts import in_every_language

from .models import ErpSyncLog

__all__ = ["LogEntry", "write_log"]


@dataclass(slots=True)
class LogEntry:
    connection_id: int | None
    kind: str = "change"
    source: str = "engine"
    crm_entity: str = ""
    crm_record_id: int | None = None
    erp_actor_type: str = ""
    erp_key: str = ""
    erp_field_key: str = ""
    crm_field_key: str = ""
    target_is_crm: bool | None = None
    old_value: Any = ""
    new_value: Any = ""
    message: str = ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def write_log(session: Session, entries: list[LogEntry]) -> None:
    """Add the entries to the session (the caller's transaction)."""
    if not entries:
        return
    now = utcnow()
    insert_rows(
        session,
        cast(Table, ErpSyncLog.__table__),
        [
            {
                "connection_id": e.connection_id,
                "kind": e.kind,
                "source": e.source,
                "crm_entity": e.crm_entity,
                "crm_record_id": e.crm_record_id,
                "erp_actor_type": e.erp_actor_type,
                "erp_key": e.erp_key,
                "erp_field_key": e.erp_field_key,
                "crm_field_key": e.crm_field_key,
                "target_is_crm": e.target_is_crm,
                "old_value": _text(e.old_value),
                "new_value": _text(e.new_value),
                "message": in_every_language(e.message),
                "created_at": now,
            }
            for e in entries
        ],
    )
