"""The CRM screens in Danish, for a browser that asks for Danish: the login page, the layout, a
company's card and its ERP tab (labels from the catalogue in Danish, ERP values with Danish dates
and numbers), connecting through the Connect to ERP dialog, the project list's dates, and the CRM
field names in API replies (in the request's language)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from erpsync.crm import store, tokens
from erpsync.crm.catalogue import CrmActorType, CrmEntity
from erpsync.crm.journal import user_origin
from erpsync.hub.connections import AccessEntry
from tests.hub.fixtures_admin import FieldMap, make_configured_connection
from tests.web.conftest import USER_PASSWORD, WebWorld, screenshot
from tests.web.crm_support import CRM_FIELDS, company, country_id, erp_actor, link_of, link_record

#: The Customer's Show-in-ERP-tab fields: a list, a checkbox, a date and a number.
DANISH_FIELDS = {
    **CRM_FIELDS,
    "Customer": {**CRM_FIELDS["Customer"], "CREATED": FieldMap(to_crm=False, to_erp=False, gui=True)},
}


@pytest.fixture
def danish(browser: Browser, web: WebWorld) -> Iterator[Page]:
    """A page in a browser whose language is Danish (``Accept-Language: da-DK``)."""
    context = browser.new_context(base_url=web.url, locale="da-DK", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _log_in_as_kari(page: Page, next_path: str = "/") -> None:
    page.goto(f"/login?next={quote(next_path, safe='')}")
    page.get_by_label("Brugernavn").fill("kari")
    page.get_by_label("Adgangskode").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()


def _connection_for_kari(web: WebWorld) -> int:
    return make_configured_connection(
        web.hub,
        web.erp.url,
        name="Demo ERP",
        fields=DANISH_FIELDS,
        all_access=False,
        access=[AccessEntry(user_id=web.user_id, can_connect=True, can_create_erp=True)],
        activate=True,
    ).connection_id


def test_the_login_page_and_the_layout_speak_danish(danish: Page, web: WebWorld) -> None:
    page = danish
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page).to_have_title("Log ind · erpsync")
    expect(page.get_by_text("ERP Sync: dit CRM og dine ERP-systemer i takt.")).to_be_visible()
    expect(page.get_by_label("Sprog")).to_have_value("da")

    page.get_by_label("Brugernavn").fill("kari")
    page.get_by_label("Adgangskode").fill("forkert")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Forkert brugernavn eller adgangskode, eller brugeren er deaktiveret."
    )

    _log_in_as_kari(page)
    navigator = page.get_by_role("navigation", name="Navigator")
    expect(navigator.get_by_role("link")).to_have_text(["Firmaer", "Kontaktpersoner", "Projekter"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Firmaer")
    expect(page.get_by_role("status")).to_have_text("Der er endnu ingen firmaer.")
    expect(page.get_by_role("link", name="Nyt firma")).to_be_visible()
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()

    page.goto("/crm/companies/999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Denne side findes ikke.")
    page.goto("/no-such-page")  # Starlette's own "Not Found" becomes ours
    expect(page.get_by_role("heading", level=1)).to_have_text("Denne side findes ikke.")
    expect(page.get_by_role("link", name="Tilbage til startsiden")).to_be_visible()
    page.goto("/settings/sync")  # kari is no administrator
    expect(page.get_by_role("heading", level=1)).to_have_text("Kun en administrator må åbne denne side.")


def test_a_company_card_and_its_erp_tab_in_danish(danish: Page, web: WebWorld) -> None:
    page = danish
    connection_id = _connection_for_kari(web)
    erp_key = erp_actor(
        web,
        "Customer",
        {
            "NAME": "Fjordfisk A/S",
            "CURRENCY": "EUR",
            "CREDITSTOP": "[I:1]",
            "CREATED": "[DT:03/15/2024 00:00:00.0000000]",
            "BALANCE": "[F:1234.5]",
        },
    )
    company_id = company(web, name="Fjordfisk A/S", turnover=1250000.5, country=country_id(web, "Denmark"))
    link_record(web, connection_id, CrmActorType.Contact, company_id, "Customer", erp_key)

    _log_in_as_kari(page, f"/crm/companies/{company_id}")
    expect(page).to_have_title("Fjordfisk A/S · erpsync")
    expect(page.get_by_role("link", name="Firmaer").first).to_be_visible()
    card_tabs = page.get_by_role("navigation", name="Kort")
    expect(card_tabs.get_by_role("link")).to_have_text(["Detaljer", "ERP"])
    # The catalogue's labels in Danish; inputs keep the machine forms the API reads.
    expect(page.get_by_label("Navn", exact=True)).to_have_value("Fjordfisk A/S")
    expect(page.get_by_label("Omsætning")).to_have_value("1250000.5")
    expect(page.get_by_label("Land")).to_have_value(str(country_id(web, "Denmark")))
    expect(page.get_by_label("By (postadresse)")).to_be_visible()
    expect(page.get_by_label("Ingen forsendelser")).not_to_be_checked()
    # A date only read is written the Danish way: 26.11.2026 03.37.
    expect(page.get_by_label("Registreret")).to_have_value(re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}\.\d{2}$"))
    expect(page.get_by_role("button", name="Gem")).to_be_visible()

    page.get_by_label("Omsætning").fill("1234,5")  # a Danish decimal comma is read as such
    page.get_by_role("button", name="Gem").click()
    expect(page.get_by_role("status").filter(has_text="Gemt.")).to_be_visible()
    expect(page.get_by_label("Omsætning")).to_have_value("1234.5")

    card_tabs.get_by_role("link", name="ERP").click()
    expect(page.get_by_role("heading", name="ERP", exact=True)).to_be_visible()
    section = page.get_by_role("region", name="Demo ERP")
    expect(section.get_by_text("Forbundet", exact=True)).to_be_visible()
    expect(section.locator(".erp-link strong")).to_have_text(erp_key)
    # By rank: the currency (a list item's text, data), Credit stop, Created, Balance.
    expect(section.locator(".erp-values dd")).to_have_text(
        [re.compile(r".+"), "Ja", "15. mar. 2024", "1.234,5"]
    )
    expect(page.get_by_role("button", name="Synkroniser nu")).to_be_visible()
    screenshot(page, "company-erp-tab-da")

    page.get_by_role("link", name="Rediger").click()
    expect(page.get_by_role("link", name="Færdig")).to_be_visible()
    section.get_by_role("button", name="Afbryd forbindelsen (Customer)").click()
    expect(page.locator("#confirm-text")).to_have_text(
        "Afbryd forbindelsen mellem Fjordfisk A/S og Demo ERP? "
        "Firmaets kontaktpersoner afbrydes også fra Demo ERP. Intet slettes i ERP."
    )
    page.get_by_role("button", name="Annuller").click()
    assert link_of(web, connection_id, CrmEntity.company, company_id) is not None


def test_connecting_a_company_in_danish(danish: Page, web: WebWorld) -> None:
    page = danish
    connection_id = _connection_for_kari(web)
    erp_key = erp_actor(web, "Customer", {"NAME": "Havørn ApS", "POSTALCITY": "Aarhus"})
    erp_actor(web, "Customer", {"NAME": "Havørn ApS Fyn", "POSTALCITY": "Odense"})
    company_id = company(web, name="Havørn ApS", postal_city="Aarhus")

    _log_in_as_kari(page, f"/crm/companies/{company_id}?tab=erp&edit=1")
    section = page.get_by_role("region", name="Demo ERP")
    expect(section.get_by_text("Ikke forbundet")).to_be_visible()
    section.get_by_role("group", name="Forbind med:").get_by_role("button", name="Customer").click()

    dialog = page.get_by_role("dialog", name="Forbind Havørn ApS med Demo ERP")
    expect(dialog.get_by_label("Søgetekst")).to_have_value("Havørn ApS")
    expect(dialog.get_by_role("status")).to_contain_text("2 fundet. Vælg en, og klik på Forbind.")
    expect(dialog.locator(".search-results thead th[data-fixed]")).to_have_text(["ERP-nøgle", "Forbundet"])
    expect(dialog.get_by_role("button", name="Findes den ikke? Opret i ERP")).to_be_visible()
    dialog.get_by_label("Havørn ApS", exact=True).check()
    dialog.get_by_role("button", name="Forbind", exact=True).click()

    # The demo ERP gave the customer a country the company lacks: pick the values in Danish.
    conflict = page.get_by_role("dialog", name="Vælg de rigtige feltværdier for det forbundne firma")
    expect(conflict.get_by_role("columnheader")).to_have_text(["Felt", "CRM-værdi", "Værdi i Demo ERP"])
    expect(conflict.get_by_role("radio", name="(tom)")).to_be_visible()
    conflict.get_by_role("button", name="Vælg alle værdier fra Demo ERP").click()
    conflict.get_by_role("button", name="Forbind", exact=True).click()

    expect(
        page.get_by_role("status").filter(has_text=f"Forbundet med Customer {erp_key} i Demo ERP.")
    ).to_be_visible()
    link = link_of(web, connection_id, CrmEntity.company, company_id)
    assert link is not None
    assert link.erp_key == erp_key


def test_the_project_list_writes_dates_the_danish_way(danish: Page, web: WebWorld) -> None:
    page = danish
    with web.hub.session() as session:
        store.create(
            session,
            CrmEntity.project,
            {"name": "Ny webshop", "end_date": datetime(2031, 12, 31, tzinfo=UTC)},
            user_origin(web.admin_id),
        )
    _log_in_as_kari(page, "/crm/projects")
    expect(page.get_by_role("heading", level=1)).to_have_text("Projekter")
    expect(page.locator("table.crm-list thead th")).to_have_text(
        ["Projektnavn", "Nummer", "Status", "Type", "Slutdato"]
    )
    row = page.get_by_role("row", name=re.compile("Ny webshop"))
    expect(row.get_by_role("cell").last).to_have_text("31. dec. 2031")
    expect(page.get_by_role("status")).to_have_text("1\N{EN DASH}1 af 1")
    expect(page.get_by_label("Søg i projekter")).to_be_visible()


def test_crm_field_names_in_api_replies_follow_the_requests_language(web: WebWorld) -> None:
    connection_id = _connection_for_kari(web)
    with web.hub.session() as session:
        token = tokens.issue_token(session, web.admin_id, timedelta(hours=1)).token

    def ask(language: str, method: str, path: str, body: object = None) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
        reply = httpx.request(method, f"{web.url}/api/v1{path}", headers=headers, json=body)
        assert reply.status_code == 200, reply.text
        return reply.json()

    lists = {"en": ask("en", "GET", "/lists"), "da": ask("da-DK,da;q=0.9", "GET", "/lists")}
    assert {row["name"]: row["label"] for row in lists["en"]}["project_status"] == "Project status"
    assert {row["name"]: row["label"] for row in lists["da"]}["project_status"] == "Projektstatus"

    body = {"ErpConnectionId": connection_id, "ActorType": "Customer"}
    mapping = ask("da", "POST", "/Agents/ErpSync/GetActorTypeMapping", body)
    names = {f["CrmFieldKey"]: f["DisplayName"] for f in mapping["CrmFields"]}
    assert names["postal_city"] == "By (postadresse)"
    assert names["vat_no"] == "Momsnr."
    crm_names = {f["ErpFieldKey"]: f["CrmDisplayName"] for f in mapping["FieldMappings"]}
    assert crm_names["POSTALCITY"] == "By (postadresse)"
