"""Settings → Sync → Sync log: every change, conflict, link, warning and error the engine, connect,
create and import wrote, newest first, filtered and paged through the query string (a plain GET
form, so a filtered view can be bookmarked)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.values import INT32_MAX
from erpsync.engine import operations
from erpsync.hub import connections
from erpsync.hub.service import Hub
from erpsync.i18n import gettext
from erpsync.protocol import ActorType

from .templating import render
from .users import AdminPage

__all__ = ["PAGE_SIZES", "LogFilters", "record_names", "router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZES = (25, 50, 100, 200)
KINDS = ("change", "conflict", "warning", "error", "link", "unlink", "erp_deleted", "dropped")
DIRECTIONS = {"to_crm": True, "to_erp": False}
ACTOR_TYPES = tuple(t.value for t in ActorType if t.value not in ("Unknown", "Employee", "Sale"))
_MAX_TEXT = 254
#: Longer record names are cut in the tables.
_MAX_NAME = 60


@dataclass
class LogFilters:
    """The filters as the form shows them, and the problems found reading them."""

    connection: int = 0
    actor_type: str = ""
    direction: str = ""
    kind: str = ""
    conflicts: bool = False
    record: str = ""
    erp_key: str = ""
    text: str = ""
    limit: int = 50
    offset: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def record_id(self) -> int | None:
        return int(self.record) if self.record and "record" not in self.errors else None

    def query(self, **changes: object) -> str:
        """The query string of these filters with ``changes``, leaving out empty values."""
        values = {
            "connection": self.connection or "",
            "type": self.actor_type,
            "direction": self.direction,
            "kind": self.kind,
            "conflicts": "1" if self.conflicts else "",
            "record": self.record,
            "erp_key": self.erp_key,
            "text": self.text,
            "limit": self.limit if self.limit != 50 else "",
            "offset": self.offset or "",
        } | changes
        return urlencode({key: value for key, value in values.items() if value not in ("", 0, None)})


def _whole(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if low <= number <= high else None


def _clean(text: str) -> str:
    return text.replace("\x00", "").strip()[:_MAX_TEXT]


def read_filters(params: Mapping[str, str]) -> LogFilters:
    """The filters of the query string; unknown choices are dropped, a bad record id is reported."""
    found = LogFilters(
        connection=_whole(params.get("connection", ""), 1, INT32_MAX) or 0,
        actor_type=params.get("type", "") if params.get("type", "") in ACTOR_TYPES else "",
        direction=params.get("direction", "") if params.get("direction", "") in DIRECTIONS else "",
        kind=params.get("kind", "") if params.get("kind", "") in KINDS else "",
        conflicts=params.get("conflicts", "") in ("1", "on", "true"),
        record=_clean(params.get("record", "")),
        erp_key=_clean(params.get("erp_key", "")),
        text=_clean(params.get("text", "")),
    )
    size = _whole(params.get("limit", ""), 1, max(PAGE_SIZES))
    found.limit = size if size in PAGE_SIZES else 50
    found.offset = _whole(params.get("offset", ""), 0, INT32_MAX) or 0
    if found.record and _whole(found.record, 1, INT32_MAX) is None:
        found.errors["record"] = gettext("Enter the number of a CRM record, e.g. 12.")
    return found


def record_names(hub: Hub, records: Iterable[tuple[str, int | None]]) -> dict[tuple[str, int], str]:
    """The name of each (entity, id) that exists, read through the CRM store."""
    wanted: dict[CrmEntity, set[int]] = defaultdict(set)
    for entity, record_id in records:
        if record_id and entity in CrmEntity.__members__:
            wanted[CrmEntity(entity)].add(record_id)
    names: dict[tuple[str, int], str] = {}
    with hub.sessions() as session:
        for entity, ids in wanted.items():
            for record_id, record in store.get_many(session, entity, ids).items():
                parts = [record.values.get(key) for key in ("name", "first_name", "last_name")]
                name = " ".join(str(p) for p in parts if p)
                names[(entity.value, record_id)] = (
                    name if len(name) <= _MAX_NAME else name[: _MAX_NAME - 1] + "…"
                )
        session.rollback()
    return names


@router.get("/settings/sync/log", response_class=HTMLResponse)
def sync_log_page(request: Request, user: AdminPage) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    filters = read_filters(request.query_params)
    rows = []
    if not filters.errors:
        rows = operations.sync_log(
            hub,
            connection_id=filters.connection or None,
            kind="conflict" if filters.conflicts else filters.kind,
            crm_record_id=filters.record_id,
            erp_key=filters.erp_key,
            offset=filters.offset,
            limit=filters.limit + 1,  # one more says whether there is an older page
            erp_actor_type=filters.actor_type,
            target_is_crm=DIRECTIONS.get(filters.direction),
            text=filters.text,
        )
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    names = {c.id: c.display_name for c in connections.all_connections(hub, include_deleted=True)}
    return render(
        request,
        "sync/log.html",
        user,
        nav="sync",
        sync_tab="log",
        filters=filters,
        rows=rows,
        connection_names=names,
        record_names=record_names(hub, [(r.crm_entity, r.crm_record_id) for r in rows]),
        actor_types=ACTOR_TYPES,
        page_sizes=PAGE_SIZES,
        newer=filters.query(offset=max(filters.offset - filters.limit, 0)) if filters.offset else None,
        older=filters.query(offset=filters.offset + filters.limit) if more else None,
    )
