"""Settings → Sync: a connection's Mappings, List mapping, Defaults and Rank Fields pages
(reference §2.5 to §2.8), and Set Sync Priority (§2.9).

The pages are read here through the hub; every save is the page's script calling the agent API
(``SaveActorTypeMapping``, ``SaveConnectionListMappings``, ``SaveDefaultValueInfo``,
``MoveErpFieldItem``, ``SaveErpConnectionSyncPriorities``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from erpsync.crm.catalogue import ListName, list_label
from erpsync.hub import list_mappings, mappings, priorities
from erpsync.hub.errors import ConnectorFailed, NotFound
from erpsync.hub.mappings import ActorTypeMappingView
from erpsync.hub.service import Hub

from .errors import PageNotFound
from .sync_mappings_view import ConnectionHeader, connection_header, default_rows, mapping_rows
from .templating import render
from .users import AdminPage

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_CONNECTION = "/settings/sync/connections/{connection_id}"
#: ``?type=Customer``: the actor type tab to show (the first one when left out).
ActorTypeQuery = Annotated[str, Query(alias="type", max_length=32)]


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _actor_view(hub: Hub, header: ConnectionHeader, actor_type: str) -> ActorTypeMappingView:
    try:
        return mappings.actor_type_mapping(hub, header.id, actor_type)
    except NotFound as exc:
        raise PageNotFound(exc.message) from None


@router.get(_CONNECTION + "/mappings", response_class=HTMLResponse)
def mappings_page(
    request: Request, connection_id: int, user: AdminPage, actor_type: ActorTypeQuery = ""
) -> HTMLResponse:
    hub = _hub(request)
    header = connection_header(hub, connection_id)
    tab = header.tab(actor_type)
    view = _actor_view(hub, header, tab.actor_type)
    return render(
        request,
        "sync/mappings.html",
        user,
        nav="sync",
        sync_tab="connections",
        page="mappings",
        connection=header,
        tab=tab,
        view=view,
        rows=mapping_rows(hub, view),
    )


@router.get(_CONNECTION + "/lists", response_class=HTMLResponse)
def lists_page(request: Request, connection_id: int, user: AdminPage) -> HTMLResponse:
    hub = _hub(request)
    header = connection_header(hub, connection_id)
    failure = ""
    lists: tuple[list_mappings.FieldListMapping, ...] = ()
    try:
        lists = list_mappings.connection_list_mappings(hub, header.id).lists
    except ConnectorFailed as exc:  # the ERP lists come from the connector: say so, keep the page
        failure = exc.message
    return render(
        request,
        "sync/lists.html",
        user,
        nav="sync",
        sync_tab="connections",
        page="lists",
        connection=header,
        lists=lists,
        list_labels={name.value: list_label(name) for name in ListName},
        failure=failure,
    )


@router.get(_CONNECTION + "/defaults", response_class=HTMLResponse)
def defaults_page(
    request: Request, connection_id: int, user: AdminPage, actor_type: ActorTypeQuery = ""
) -> HTMLResponse:
    hub = _hub(request)
    header = connection_header(hub, connection_id)
    tab = header.tab(actor_type)
    view = _actor_view(hub, header, tab.actor_type)
    return render(
        request,
        "sync/defaults.html",
        user,
        nav="sync",
        sync_tab="connections",
        page="defaults",
        connection=header,
        tab=tab,
        rows=default_rows(hub, view),
    )


@router.get(_CONNECTION + "/rank", response_class=HTMLResponse)
def rank_page(
    request: Request, connection_id: int, user: AdminPage, actor_type: ActorTypeQuery = ""
) -> HTMLResponse:
    hub = _hub(request)
    header = connection_header(hub, connection_id)
    tab = header.tab(actor_type)
    view = _actor_view(hub, header, tab.actor_type)
    return render(
        request,
        "sync/rank.html",
        user,
        nav="sync",
        sync_tab="connections",
        page="rank",
        connection=header,
        tab=tab,
        fields=view.fields,
    )


@router.get("/settings/sync/priority", response_class=HTMLResponse)
def priority_page(request: Request, user: AdminPage) -> HTMLResponse:
    entries = priorities.sync_priorities(_hub(request))
    return render(request, "sync/priority.html", user, nav="sync", sync_tab="priority", entries=entries)
