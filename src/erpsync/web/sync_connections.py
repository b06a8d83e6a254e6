"""Settings → Sync, "Connectors and connections": the Sync Connectors list and the ERP connections
list with their Active switch, synced-field summary and health (reference §2.0, §2.1, §2.4).

The pages only read (through the hub's functions, as the API does); every change is made by the
page script calling the agent API. The dialog that defines and edits a connection lives in
:mod:`.sync_connections_form`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from erpsync.engine.health import ConnectionHealth, connection_health
from erpsync.hub import connections, connectors, summary
from erpsync.hub.connections import ConnectionRecord
from erpsync.hub.service import Hub
from erpsync.hub.summary import ActorSummary

from . import sync_connections_form
from .sync_connections_form import hub_of
from .templating import render
from .users import AdminPage

__all__ = ["ConnectionRow", "router"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    """One line of the ERP connections list."""

    connection: ConnectionRecord
    #: The actor types that sync or have mapped fields; the others say nothing worth a line.
    actors: tuple[ActorSummary, ...]
    #: Its last cycle and dead letters (the Engine page's reading); ``None`` if it was just deleted.
    health: ConnectionHealth | None


def _rows(hub: Hub) -> list[ConnectionRow]:
    records = connections.all_connections(hub)
    health = {each.connection_id: each for each in connection_health(hub)}
    rows = []
    for record in records:
        actors = summary.connection_summary(hub, record.id).actors
        shown = tuple(a for a in actors if a.is_active or a.has_mappings)
        rows.append(ConnectionRow(record, shown, health.get(record.id)))
    return rows


@router.get("/settings/sync", response_class=HTMLResponse)
def sync_tab(request: Request, user: AdminPage) -> HTMLResponse:
    hub = hub_of(request)
    return render(
        request,
        "sync/connections.html",
        user,
        nav="sync",
        sync_tab="connections",
        connectors=connectors.all_connectors(hub),
        rows=_rows(hub),
    )


router.include_router(sync_connections_form.router)
