"""Settings → Sync: the sync connectors and ERP connections (being built)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .templating import render
from .users import AdminPage

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/settings/sync", response_class=HTMLResponse)
def sync_tab(request: Request, user: AdminPage) -> HTMLResponse:
    return render(request, "sync/connections.html", user, nav="sync", sync_tab="connections")
