"""The ERP tab's dialogs, rendered as HTML fragments that the page script puts into a ``<dialog>``:
Connect to ERP (search), its advanced search criteria, the value-conflict dialog and Create in ERP.

They read through the hub functions the agent API uses (scope and permissions are checked there);
the actions they lead to — searching, ConnectActor, CreateErpActorFromCrm — are the page script's
calls to the JSON API. A refusal is rendered as a fragment too, with the hub's explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from erpsync import i18n
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity, FieldKind, fields_of
from erpsync.crm.store import Record
from erpsync.hub import connect, create, erp_tab, searching
from erpsync.hub.errors import AccessDenied, ConnectorFailed, HubError, InvalidInput, NotFound, Refused
from erpsync.hub.links import parent_link
from erpsync.hub.service import Hub
from erpsync.protocol import FieldType

from .crm_areas import Area, area_named, record_title, search_name
from .crm_display import localised
from .crm_erp_inputs import ErpInput, erp_input, erp_list_options, widget_of
from .crm_forms import Option
from .templating import templates
from .users import UserPage, sessions_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_BASE = "/crm/{slug}/{record_id:int}/erp/{connection_id:int}"
_STATUS: dict[type[HubError], int] = {
    NotFound: 404,
    AccessDenied: 403,
    Refused: 409,
    InvalidInput: 422,
    ConnectorFailed: 502,
}

ErpType = Annotated[str, Query(alias="type")]
#: As the agent API takes an ErpKey: 1 to 254 characters, no NUL.
_ERP_KEY_LENGTH = 254


def _fragment(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    # Not ``render``: a fragment must not consume the notice the next full page is to show.
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _failure(request: Request, exc: HubError) -> HTMLResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
    # A connector's explanation may come packed in several languages: the reader's is shown.
    reasons = [i18n.pick_explanation(reason) for reason in exc.reasons] if isinstance(exc, Refused) else []
    message = i18n.pick_explanation(exc.message)
    return _fragment(request, "crm/dialog_error.html", status, message=message, reasons=reasons)


def _record(session: Session, area: Area, record_id: int) -> Record:
    """The card's record; a record deleted meanwhile is the hub's NotFound, shown in the dialog."""
    return erp_tab.crm_record(session, area.actor_type, record_id)


@dataclass(frozen=True, slots=True)
class DialogUrls:
    """Where the dialogs' next steps are, and the card to go back to."""

    find: str
    conflicts: str
    create: str
    card: str


def _urls(area: Area, record_id: int, connection_id: int, erp_type: str) -> DialogUrls:
    base = f"/crm/{area.slug}/{record_id}/erp/{connection_id}"
    query = urlencode({"type": erp_type})
    return DialogUrls(
        find=f"{base}/find?{query}",
        conflicts=f"{base}/conflicts?{query}",
        create=f"{base}/create?{query}",
        card=area.card_url(record_id),
    )


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@router.get(_BASE + "/connect", response_class=HTMLResponse)
def connect_dialog(
    request: Request, slug: str, record_id: int, connection_id: int, user: UserPage, erp_type: ErpType = ""
) -> HTMLResponse:
    """Connect to ERP: the search form (run at once with the record's name), the results and the
    way to Create in ERP."""
    area = area_named(slug)
    with sessions_of(request) as session:
        try:
            record = _record(session, area, record_id)
            usable = erp_tab.usable_connection(session, connection_id, user.id, erp_tab.Permission.search)
            erp_tab.usable_mapping(session, usable.connection, erp_type, area.actor_type)
            advanced = searching.supports_advanced_search(session, user.id, connection_id, erp_type)
        except HubError as exc:
            return _failure(request, exc)
        company_name, parent_linked = "", False
        if record.entity is CrmEntity.person:
            company_id = record.values.get("company_id")
            company = (
                store.get(session, CrmEntity.company, company_id) if isinstance(company_id, int) else None
            )
            company_name = record_title(company) if company else ""
            parent_linked = parent_link(session, connection_id, record) is not None
        return _fragment(
            request,
            "crm/connect_dialog.html",
            area=area,
            record=record,
            title=record_title(record),
            connection=usable.connection,
            erp_type=erp_type,
            search_text=search_name(record),
            can_connect=usable.access.can_connect,
            can_create=usable.access.can_create_erp,
            advanced=advanced,
            is_person=record.entity is CrmEntity.person,
            company_name=company_name,
            parent_linked=parent_linked,
            record_base=f"/crm/{area.slug}/",
            urls=_urls(area, record_id, connection_id, erp_type),
        )


@dataclass(frozen=True, slots=True)
class SearchFieldView:
    """A criterion's field in the advanced search: its operators and value input."""

    key: str
    label: str
    field_type: str
    widget: str
    operators: tuple[str, ...]
    options: tuple[Option, ...]


@router.get(_BASE + "/find", response_class=HTMLResponse)
def find_form(
    request: Request, slug: str, record_id: int, connection_id: int, user: UserPage, erp_type: ErpType = ""
) -> HTMLResponse:
    """The advanced search's criteria: the searchable fields, their operators and value inputs."""
    area, hub = area_named(slug), _hub(request)
    with sessions_of(request) as session:
        try:
            _record(session, area, record_id)
            fields = searching.searchable_fields(session, user.id, connection_id, erp_type)
            connection = erp_tab.usable_connection(session, connection_id, user.id).connection
        except HubError as exc:
            return _failure(request, exc)
        lists = erp_list_options(
            hub, session, connection, [f.list_name for f in fields if f.field_type is FieldType.List]
        )
    views = [
        SearchFieldView(
            key=f.field_key,
            label=f.display_name or f.field_key,
            field_type=f.field_type.value,
            widget=widget_of(f.field_type, f.list_name, lists),
            operators=f.operators,
            options=tuple(Option(key, text or key) for key, text in lists.get(f.list_name, [])),
        )
        for f in fields
    ]
    return _fragment(request, "crm/find_form.html", fields=views, erp_type=erp_type)


@router.get(_BASE + "/conflicts", response_class=HTMLResponse)
def conflict_dialog(
    request: Request,
    slug: str,
    record_id: int,
    connection_id: int,
    user: UserPage,
    erp_type: ErpType = "",
    erp_key: str = "",
) -> HTMLResponse:
    """Select correct field values: the mapped fields whose CRM and ERP values differ (none: the
    page connects at once)."""
    area, hub = area_named(slug), _hub(request)
    with sessions_of(request) as session:
        try:
            record = _record(session, area, record_id)
            usable = erp_tab.usable_connection(session, connection_id, user.id, erp_tab.Permission.connect)
            if not 0 < len(erp_key) <= _ERP_KEY_LENGTH or "\x00" in erp_key:
                message = i18n.gettext("%(connection)s has no %(actor_type)s with that ErpKey.")
                raise NotFound(
                    message % {"connection": usable.connection.display_name, "actor_type": erp_type}
                )
            conflicts = connect.connect_conflicts(
                hub, session, user.id, connection_id, record.id, area.actor_type, erp_key, erp_type
            )
        except HubError as exc:
            return _failure(request, exc)
        kinds = {f.key: f.kind for f in fields_of(area.entity)}
        shown = [_localised_conflict(c, kinds.get(c.view.crm_field_key, FieldKind.text)) for c in conflicts]
        return _fragment(
            request,
            "crm/conflict_dialog.html",
            area=area,
            record=record,
            title=record_title(record),
            connection=usable.connection,
            erp_type=erp_type,
            erp_key=erp_key,
            conflicts=shown,
            urls=_urls(area, record_id, connection_id, erp_type),
        )


def _localised_conflict(conflict: connect.ConnectConflict, kind: FieldKind) -> connect.ConnectConflict:
    """Both sides' values as the page's language writes them (a mapped pair shares its kind)."""
    return replace(
        conflict,
        crm_display_value=localised(conflict.crm_display_value, kind),
        erp_display_value=localised(conflict.erp_display_value, kind),
    )


@router.get(_BASE + "/create", response_class=HTMLResponse)
def create_dialog(
    request: Request, slug: str, record_id: int, connection_id: int, user: UserPage, erp_type: ErpType = ""
) -> HTMLResponse:
    """Create in ERP: the fields the administrator asks for, pre-filled, mandatory ones marked."""
    area, hub = area_named(slug), _hub(request)
    with sessions_of(request) as session:
        try:
            record = _record(session, area, record_id)
            usable = erp_tab.usable_connection(session, connection_id, user.id, erp_tab.Permission.create)
            erp_tab.usable_mapping(session, usable.connection, erp_type, area.actor_type)
            fields = create.fields_for_new_erp_actor(session, user.id, connection_id, erp_type)
        except HubError as exc:
            return _failure(request, exc)
        lists = erp_list_options(
            hub, session, usable.connection, [f.list_name for f in fields if f.field_type is FieldType.List]
        )
        inputs: list[ErpInput] = [erp_input(meta, lists) for meta in fields]
        return _fragment(
            request,
            "crm/create_dialog.html",
            area=area,
            record=record,
            title=record_title(record),
            connection=usable.connection,
            erp_type=erp_type,
            inputs=inputs,
            urls=_urls(area, record_id, connection_id, erp_type),
        )
