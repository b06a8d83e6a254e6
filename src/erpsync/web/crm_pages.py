"""The CRM screens: the lists of companies, contacts (persons) and projects with search and paging,
a new record, and a record's card with its fields and its ERP tab.

Pages read through ``crm.store`` and the hub, as the API does; saving, connecting and the other
actions are the page script's calls to the JSON API (``static/crm.js``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity, fields_of
from erpsync.crm.errors import CrmValidationError

from . import crm_erp_dialogs
from .crm_areas import area_for, area_named, record_title
from .crm_erp import erp_sections
from .crm_forms import RowView, field_inputs, list_rows
from .errors import PageNotFound
from .templating import render
from .users import UserPage, sessions_of

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)
router.include_router(crm_erp_dialogs.router)

PAGE_SIZE = 25
#: The list's sort order: what people look a record up by.
_ORDER = {CrmEntity.company: "name", CrmEntity.person: "last_name", CrmEntity.project: "name"}

#: The most contacts a company's card lists.
MAX_CONTACTS_SHOWN = 100


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


def _contacts_of(session: Session, company_id: int) -> list[RowView]:
    found = store.search(
        session,
        CrmEntity.person,
        filters={"company_id": company_id},
        limit=MAX_CONTACTS_SHOWN + 1,
        order_by=_ORDER[CrmEntity.person],
    )
    return list_rows(session, CrmEntity.person, found.items)


@router.get("/crm/{slug}", response_class=HTMLResponse)
def record_list(request: Request, slug: str, user: UserPage, q: str = "", page: str = "1") -> HTMLResponse:
    """A page of the list; a search text the store refuses (too long, NUL) is said so on the page."""
    area = area_named(slug)
    number = _page_number(page)
    with sessions_of(request) as session:
        try:
            found = store.search(
                session,
                area.entity,
                q,
                offset=(number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
                order_by=_ORDER[area.entity],
            )
        except CrmValidationError:
            found, search_refused = store.Page([], 0), True
        else:
            search_refused = False
        rows = list_rows(session, area.entity, found.items)
    last_page = max(1, -(-found.total // PAGE_SIZE))
    return render(
        request,
        "crm/list.html",
        user,
        nav=area.nav,
        area=area,
        labels={f.key: f.label for f in fields_of(area.entity)},
        q=q,
        rows=rows,
        total=found.total,
        page=number,
        last_page=last_page,
        first_shown=(number - 1) * PAGE_SIZE + 1 if rows else 0,
        last_shown=(number - 1) * PAGE_SIZE + len(rows),
        search_refused=search_refused,
    )


@router.get("/crm/{slug}/new", response_class=HTMLResponse)
def new_record(request: Request, slug: str, user: UserPage, company: str = "") -> HTMLResponse:
    """A new record's form; a new contact may come with its company chosen (``?company=<id>``)."""
    area = area_named(slug)
    with sessions_of(request) as session:
        fields = field_inputs(session, area.entity, None)
    if area.entity is CrmEntity.person and company.isdigit():
        fields = [f.select(company) if f.key == "company_id" else f for f in fields]
    return render(request, "crm/new.html", user, nav=area.nav, area=area, fields=fields)


@router.get("/crm/{slug}/{record_id:int}", response_class=HTMLResponse)
def record_card(
    request: Request, slug: str, record_id: int, user: UserPage, tab: str = "details", edit: str = ""
) -> HTMLResponse:
    """The card: the Details tab (the record's fields) or the ERP tab (reference §3.1)."""
    area = area_named(slug)
    erp_tab = tab == "erp"
    with sessions_of(request) as session:
        record = store.get(session, area.entity, record_id)
        if record is None:
            raise PageNotFound()
        company = None
        company_id = record.values.get("company_id")
        if area.entity is CrmEntity.person and isinstance(company_id, int):
            company = store.get(session, CrmEntity.company, company_id)
        fields = [] if erp_tab else field_inputs(session, area.entity, record)
        contacts = [] if erp_tab or area.entity is not CrmEntity.company else _contacts_of(session, record.id)
        sections = erp_sections(request.app.state.hub, session, user.id, record) if erp_tab else []
    return render(
        request,
        "crm/card.html",
        user,
        nav=area.nav,
        area=area,
        record=record,
        title=record_title(record),
        card_url=area.card_url(record.id),
        company=company,
        company_title=record_title(company) if company else "",
        company_url=area_for(CrmEntity.company).card_url(company.id) if company else "",
        tab="erp" if erp_tab else "details",
        edit=erp_tab and edit == "1",
        fields=fields,
        sections=sections,
        contacts=contacts[:MAX_CONTACTS_SHOWN],
        contacts_more=len(contacts) > MAX_CONTACTS_SHOWN,
        any_connected=any(section.connected for section in sections),
    )
