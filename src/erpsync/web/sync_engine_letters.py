"""Settings → Sync → Dead letters: the records the engine could not sync, with the reason, the
attempts and the next retry; the page script replays or drops the ones selected."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from erpsync.crm.values import INT32_MAX
from erpsync.engine import operations
from erpsync.hub import connections
from erpsync.hub.service import Hub

from .sync_engine_log import record_names
from .templating import render
from .users import AdminPage

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100


def _whole(text: str) -> int:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= INT32_MAX else 0


@router.get("/settings/sync/dead-letters", response_class=HTMLResponse)
def dead_letters_page(request: Request, user: AdminPage) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    connection = _whole(request.query_params.get("connection", ""))
    offset = _whole(request.query_params.get("offset", ""))
    letters = operations.dead_letters(hub, connection or None, offset, PAGE_SIZE + 1)
    more = len(letters) > PAGE_SIZE
    letters = letters[:PAGE_SIZE]

    def page(at: int) -> str:
        return urlencode({k: v for k, v in (("connection", connection), ("offset", at)) if v})

    return render(
        request,
        "sync/dead_letters.html",
        user,
        nav="sync",
        sync_tab="dead-letters",
        letters=letters,
        connection=connection,
        connection_names={
            c.id: c.display_name for c in connections.all_connections(hub, include_deleted=True)
        },
        record_names=record_names(hub, [(v.crm_entity, v.crm_record_id) for v in letters]),
        offset=offset,
        previous=page(max(offset - PAGE_SIZE, 0)) if offset else None,
        next=page(offset + PAGE_SIZE) if more else None,
    )
