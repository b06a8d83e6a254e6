"""A connected card's ERP tab as kari: Disconnect asks first (a company's contacts go along), Sync
now brings an ERP-side edit into the card, and the card fits a narrow screen."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from erpsync.crm.catalogue import CrmActorType, CrmEntity
from tests.web.conftest import WebWorld, narrow
from tests.web.crm_support import (
    company,
    connection_for_kari,
    country_id,
    crm_values,
    erp_actor,
    erp_count,
    erp_database,
    link_of,
    link_record,
    open_erp_tab,
    person,
)

NORDIC_ERP = {"NAME": "Nordic Tools", "PHONE": "+47 22 00 00 01", "COUNTRY": "NO", "CURRENCY": "EUR"}


def _linked_company(web: WebWorld, connection_id: int) -> tuple[int, str]:
    erp_key = erp_actor(web, "Customer", NORDIC_ERP)
    company_id = company(web, name="Nordic Tools", phone="+47 22 00 00 01", country=country_id(web, "Norway"))
    link_record(web, connection_id, CrmActorType.Contact, company_id, "Customer", erp_key)
    return company_id, erp_key


def test_disconnect_asks_first_and_takes_the_contacts_along(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    company_id, erp_key = _linked_company(web, connection_id)
    person_key = erp_actor(
        web, "Person", {"LASTNAME": "Nordmann"}, parent_actor_type="Customer", parent_erp_key=erp_key
    )
    person_id = person(web, company_id, last_name="Nordmann")
    link_record(web, connection_id, CrmActorType.Person, person_id, "Person", person_key)

    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    section = page.get_by_role("region", name="Demo ERP")
    section.get_by_role("button", name="Disconnect (Customer)").click()
    confirm = page.locator("#confirm-text")
    expect(confirm).to_contain_text("Its contacts are disconnected from Demo ERP too")
    expect(confirm).to_contain_text("Nothing is deleted in the ERP")
    page.get_by_test_id("confirm-cancel").click()
    expect(section.get_by_text("Connected", exact=True)).to_be_visible()
    assert link_of(web, connection_id, CrmEntity.company, company_id) is not None

    section.get_by_role("button", name="Disconnect (Customer)").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_role("status").filter(has_text="Disconnected from Demo ERP.")).to_be_visible()
    expect(section.get_by_text("Not connected")).to_be_visible()
    assert link_of(web, connection_id, CrmEntity.company, company_id) is None
    assert link_of(web, connection_id, CrmEntity.person, person_id) is None
    assert erp_count(web, "Customer") == 1  # nothing deleted in the ERP
    assert erp_count(web, "Person") == 1


def test_sync_now_brings_an_erp_side_edit_into_the_card(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    company_id, erp_key = _linked_company(web, connection_id)
    with erp_database(web) as db:  # an ERP user edits the customer
        db.update_actor("Customer", erp_key, {"NAME": "Nordic Tools Group", "PHONE": "+47 22 99 99 99"})
    open_erp_tab(page, f"/crm/companies/{company_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nordic Tools")
    page.get_by_role("button", name="Sync now").click()
    # The result: the engine's account of what it did.
    expect(page.locator(".notice")).to_contain_text("1 connection(s) synced, 1 record change(s)")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nordic Tools Group")
    values = crm_values(web, CrmEntity.company, company_id)
    assert (values["name"], values["phone"]) == ("Nordic Tools Group", "+47 22 99 99 99")
    page.get_by_role("link", name="Details").click()
    expect(page.get_by_label("Telephone")).to_have_value("+47 22 99 99 99")


def test_a_card_fits_a_narrow_screen(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    company_id, _ = _linked_company(web, connection_id)
    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    with narrow(page):
        section = page.get_by_role("region", name="Demo ERP")
        expect(section.get_by_role("button", name="Disconnect (Customer)")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name="Details").click()
        expect(page.get_by_role("button", name="Save")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto("/crm/companies")
        expect(page.get_by_role("link", name="Nordic Tools")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
