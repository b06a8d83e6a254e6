"""The "Define new ERP connection" / "Edit ERP connection" dialog (reference §2.2 to §2.4), as a page:
name, sync connector, description, scope with its user and group picker, the connector's config
fields, Test ERP connection, OK and Cancel.

The config fields are drawn here from the connector's metadata (``GetConfigData``, and ``GetList``
for list fields); when another connector is chosen, the page script fetches them again from
``/settings/sync/connections/config-fields``. Testing and saving are the page script's calls to
``TestConnectionByConfig`` and ``SaveConnection``, which apply every rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from erpsync.crm import users as crm_users
from erpsync.hub import connections, connectors
from erpsync.hub.connections import AccessEntry, ConnectionRecord
from erpsync.hub.errors import HubError, NotFound
from erpsync.hub.service import Hub

from .errors import PageNotFound
from .sync_connections_config import ConfigWidget, config_widgets
from .templating import render
from .users import AdminPage

__all__ = ["ConfigArea", "Pickable", "ScopeEntry", "hub_of", "router"]

router = APIRouter(include_in_schema=False)

#: More users than anyone picks from a list; the picker shows the first ones by user name.
_PICKER_USERS = 2000


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@dataclass(frozen=True, slots=True)
class ConfigArea:
    """The grey area of the dialog: one connector's config fields, or why they cannot be shown."""

    connector_id: int
    widgets: list[ConfigWidget] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True, slots=True)
class Pickable:
    """A user or a group the scope picker offers."""

    kind: str  # user, group
    id: int
    name: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ScopeEntry:
    """A user or a group in the connection's scope, with its two permissions."""

    kind: str  # user, group
    id: int
    name: str
    can_connect: bool
    can_create_erp: bool


def _config_area(
    hub: Hub, connector_id: int, values: Mapping[str, str] | None, connection_id: int = 0
) -> ConfigArea:
    try:
        fields = connectors.configuration_fields(hub, connector_id)
    except HubError as exc:
        return ConfigArea(connector_id, error=exc.message)
    return ConfigArea(connector_id, config_widgets(hub, connector_id, fields, values, connection_id))


def _pickables(hub: Hub) -> tuple[list[Pickable], list[Pickable]]:
    with hub.sessions() as session:
        people, _ = crm_users.list_users(session, 0, _PICKER_USERS)
        groups = crm_users.list_groups(session)
    return (
        [Pickable("user", u.id, u.display_name or u.username, u.username) for u in people if u.is_active],
        [Pickable("group", g.id, g.name, g.description or "") for g in groups],
    )


def _scope(
    access: tuple[AccessEntry, ...], people: list[Pickable], groups: list[Pickable]
) -> list[ScopeEntry]:
    names = {("user", p.id): p.name for p in people} | {("group", g.id): g.name for g in groups}
    entries = []
    for each in access:
        kind, ident = ("user", each.user_id) if each.user_id is not None else ("group", each.group_id)
        assert ident is not None  # a row names a user or a group
        name = names.get((kind, ident), f"#{ident}")
        entries.append(ScopeEntry(kind, ident, name, each.can_connect, each.can_create_erp))
    return entries


def _page(
    request: Request,
    user: AdminPage,
    connection: ConnectionRecord | None,
    connector_id: int | None,
    area: ConfigArea | None,
) -> HTMLResponse:
    hub = hub_of(request)
    people, groups = _pickables(hub)
    return render(
        request,
        "sync/connection.html",
        user,
        nav="sync",
        sync_tab="connections",
        connection=connection,
        connectors=connectors.all_connectors(hub),
        connector_id=connector_id,
        area=area,
        locked=connection is not None and connection.active,
        people=people,
        groups=groups,
        scope=_scope(connection.access, people, groups) if connection is not None else [],
    )


@router.get("/settings/sync/connections/new", response_class=HTMLResponse)
def new_connection(request: Request, user: AdminPage, connector: int | None = None) -> HTMLResponse:
    """The dialog for a new connection; the connector is preselected when ``connector`` names one,
    or when there is only one."""
    hub = hub_of(request)
    ids = [c.id for c in connectors.all_connectors(hub)]
    chosen = connector if connector in ids else (ids[0] if len(ids) == 1 else None)
    area = _config_area(hub, chosen, None) if chosen is not None else None
    return _page(request, user, None, chosen, area)


@router.get("/settings/sync/connections/config-fields", response_class=HTMLResponse)
def config_fields(request: Request, user: AdminPage, connector: int) -> HTMLResponse:
    """The config area for a connector chosen in the dialog (drawn into the page by its script)."""
    area = _config_area(hub_of(request), connector, None)
    return render(request, "sync/connection_config.html", user, area=area, locked=False)


@router.get("/settings/sync/connections/{connection_id:int}", response_class=HTMLResponse)
def edit_connection(request: Request, user: AdminPage, connection_id: int) -> HTMLResponse:
    hub = hub_of(request)
    try:
        record = connections.get_connection(hub, connection_id)
    except NotFound:
        raise PageNotFound() from None
    if record.deleted:
        raise PageNotFound()
    area = _config_area(hub, record.connector_id, record.config, record.id)
    return _page(request, user, record, record.connector_id, area)
