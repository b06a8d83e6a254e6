"""Each connection's health: its last cycle and the dead letters waiting (what the Sync tab's
connection list and the Engine page show)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from erpsync import i18n
from erpsync.hub import priorities
from erpsync.hub.erp_tab import active_mappings
from erpsync.hub.models import ErpConnection
from erpsync.hub.service import Hub

from .models import SyncCycle, SyncDeadLetter

__all__ = ["ConnectionHealth", "LastCycle", "connection_health"]


@dataclass(frozen=True, slots=True)
class LastCycle:
    kind: str
    #: running, ok, failed, skipped or abandoned
    state: str
    started_at: datetime
    finished_at: datetime | None
    pulled: int
    pushed: int
    failed: int
    message: str


@dataclass(frozen=True, slots=True)
class ConnectionHealth:
    connection_id: int
    display_name: str
    active: bool
    last_sync: datetime | None
    last_cycle: LastCycle | None
    dead_letters: int
    #: The ERP actor types of its active mappings (what ForceResyncExternal may name).
    actor_types: tuple[str, ...]


def connection_health(hub: Hub) -> list[ConnectionHealth]:
    """Every connection not deleted, in sync-priority order."""
    order = [e.connection_id for e in priorities.sync_priorities(hub) if e.connection_id]
    with hub.sessions() as session:
        connections = {
            c.id: c for c in session.scalars(select(ErpConnection).where(ErpConnection.deleted.is_(False)))
        }
        latest = select(func.max(SyncCycle.id)).group_by(SyncCycle.connection_id)
        cycles = {
            c.connection_id: c for c in session.scalars(select(SyncCycle).where(SyncCycle.id.in_(latest)))
        }
        letters = dict(
            session.execute(
                select(SyncDeadLetter.connection_id, func.count()).group_by(SyncDeadLetter.connection_id)
            ).all()
        )
        result = []
        for connection_id in [*order, *sorted(set(connections) - set(order))]:
            connection = connections.get(connection_id)
            if connection is None:
                continue
            cycle = cycles.get(connection_id)
            result.append(
                ConnectionHealth(
                    connection_id=connection.id,
                    display_name=connection.display_name,
                    active=connection.active,
                    last_sync=connection.last_sync,
                    last_cycle=None
                    if cycle is None
                    else LastCycle(
                        cycle.kind,
                        cycle.state,
                        cycle.started_at,
                        cycle.finished_at,
                        cycle.pulled,
                        cycle.pushed,
                        cycle.failed,
                        i18n.pick_explanation(cycle.message),  # stored in every language
                    ),
                    dead_letters=letters.get(connection_id, 0),
                    actor_types=tuple(m.erp_actor_type for m in active_mappings(session, connection.id)),
                )
            )
        session.rollback()
    return result
