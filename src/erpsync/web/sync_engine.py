"""Settings → Sync → Engine (reference §2.10, §2.12): automatic sync On/Off and its interval, the
engine's status, Sync all / Force sync all, each connection's health and its Resync dialog.

The Sync log, Dead letters and Import from ERP pages are in their own modules; their routes join
this ``router``. Every action is the page script calling the agent API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from erpsync.api.agent.admin_engine import worker_note
from erpsync.engine import operations
from erpsync.engine.health import connection_health
from erpsync.hub.service import Hub

from . import sync_engine_letters, sync_engine_log, sync_import
from .templating import render
from .users import AdminPage

__all__ = ["interval_parts", "router"]

router = APIRouter(include_in_schema=False)

#: Units the interval is shown in, largest first: days, hours, minutes, seconds.
_UNITS = (86_400, 3_600, 60, 1)


def interval_parts(seconds: int) -> tuple[int, int]:
    """``seconds`` as (amount, unit) in the largest unit that divides it: 7200 → (2, 3600)."""
    unit = next(each for each in _UNITS if seconds % each == 0)
    return seconds // unit, unit


@router.get("/settings/sync/engine", response_class=HTMLResponse)
def engine_page(request: Request, user: AdminPage) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    status = operations.engine_overview(hub, worker_note(request))
    amount, unit = interval_parts(status.interval_seconds)
    return render(
        request,
        "sync/engine.html",
        user,
        nav="sync",
        sync_tab="engine",
        status=status,
        interval_amount=amount,
        interval_unit=unit,
        health=connection_health(hub),
    )


router.include_router(sync_engine_log.router)
router.include_router(sync_engine_letters.router)
router.include_router(sync_import.router)
