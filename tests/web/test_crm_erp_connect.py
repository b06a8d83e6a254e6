"""The ERP tab and the Connect to ERP dialog as kari (a user in the connection's scope): not
connected, connect after the automatic search, the advanced search, a contact searched among the
persons of its company's actor, the value-conflict dialog, and the dialog from the keyboard."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from erpsync.crm.catalogue import CrmActorType, CrmEntity
from erpsync.hub.models import ErpLink
from tests.web.conftest import WebWorld, screenshot
from tests.web.crm_support import (
    company,
    connection_for_kari,
    country_id,
    crm_values,
    erp_actor,
    erp_get,
    link_of,
    link_record,
    open_erp_tab,
    person,
)

NORDIC_ERP = {
    "NAME": "Nordic Tools",
    "EMAIL": "post@nordic.test",
    "PHONE": "+47 22 00 00 01",
    "POSTALCITY": "Oslo",
    "COUNTRY": "NO",
    "CURRENCY": "EUR",
    "CREDITSTOP": "[I:1]",
}


def _nordic_in_crm(web: WebWorld, **changes: object) -> int:
    values = {
        "name": "Nordic Tools",
        "email": "post@nordic.test",
        "phone": "+47 22 00 00 01",
        "postal_city": "Oslo",
        "country": country_id(web, "Norway"),
        **changes,
    }
    return company(web, **values)


def _linked(web: WebWorld, connection_id: int, entity: CrmEntity, record_id: int) -> ErpLink:
    link = link_of(web, connection_id, entity, record_id)
    assert link is not None
    return link


def test_the_erp_tab_says_not_connected_and_offers_each_actor_type(page: Page, web: WebWorld) -> None:
    connection_for_kari(web)
    company_id = company(web, name="Fjord Fish AS")
    open_erp_tab(page, f"/crm/companies/{company_id}")
    section = page.get_by_role("region", name="Demo ERP")
    expect(section.get_by_text("Not connected")).to_be_visible()
    expect(section.get_by_role("button")).to_have_count(0)  # view mode: nothing to change
    page.get_by_role("link", name="Edit").click()
    connect_to = section.get_by_role("group", name="Connect to:")
    expect(connect_to.get_by_role("button")).to_have_text(["Customer", "Supplier"])
    # A project is synced by no connection of kari's.
    page.goto(f"/crm/projects/{company_id}")  # no such project
    expect(page.get_by_role("heading", level=1)).to_have_text("This page does not exist.")


def test_connect_after_the_automatic_search_with_the_records_name(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    erp_key = erp_actor(web, "Customer", NORDIC_ERP)
    erp_actor(web, "Customer", {"NAME": "Nordic Tools Sverige AB", "POSTALCITY": "Göteborg", "COUNTRY": "SE"})
    erp_actor(web, "Customer", {"NAME": "Bergen Bolt AS", "POSTALCITY": "Bergen"})
    taken_key = erp_actor(web, "Customer", {"NAME": "Nordic Tools Norge AS"})
    taken_by = company(web, name="Nordic Tools Norge AS")
    link_record(web, connection_id, CrmActorType.Contact, taken_by, "Customer", taken_key)
    company_id = _nordic_in_crm(web)
    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    page.get_by_role("group", name="Connect to:").get_by_role("button", name="Customer").click()

    dialog = page.get_by_role("dialog", name="Connect Nordic Tools to Demo ERP")
    expect(dialog.get_by_label("Search text")).to_have_value("Nordic Tools")
    hits = dialog.locator(".search-results tbody tr")
    expect(hits).to_have_count(3)  # searched at once, with the record's name
    expect(dialog.get_by_role("status")).to_contain_text("3 found")
    # An actor linked to another record is shown, but cannot be chosen.
    expect(dialog.get_by_label("Nordic Tools Norge AS")).to_be_disabled()
    taken = dialog.get_by_role("link", name="Connected to another record")
    expect(taken).to_have_attribute("href", f"/crm/companies/{taken_by}")
    expect(dialog.get_by_role("columnheader")).to_have_text(
        ["Name", "Customer number", "ERP key", "Connected"]
    )
    dialog.get_by_label("Nordic Tools", exact=True).check()
    screenshot(page, "connect-dialog")
    dialog.get_by_role("button", name="Connect", exact=True).click()

    # The values agree, so there is nothing to choose: connected at once.
    expect(page.get_by_role("status").filter(has_text="Connected to Customer")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?tab=erp$"))
    section = page.get_by_role("region", name="Demo ERP")
    expect(section.get_by_text("Connected", exact=True)).to_be_visible()
    expect(section.locator(".erp-link strong")).to_have_text(erp_key)
    values = section.locator(".erp-values")
    expect(values.locator("dt")).to_have_text(["Currency", "Credit stop", "Balance"])  # by rank
    expect(values.locator("dd").nth(0)).to_have_text("Euro")  # a list value as its text
    expect(values.locator("dd").nth(1)).to_have_text("Yes")
    screenshot(page, "company-erp-tab")
    link = _linked(web, connection_id, CrmEntity.company, company_id)
    assert (link.erp_actor_type, link.erp_key) == ("Customer", erp_key)


def test_connect_through_the_advanced_search(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    erp_actor(web, "Customer", {"NAME": "Havfisk AS", "POSTALCITY": "Tromsø", "CREDITLIMIT": "[F:500.0]"})
    erp_key = erp_actor(
        web, "Customer", {"NAME": "Havfisk Vest AS", "POSTALCITY": "Bergen", "CREDITLIMIT": "[F:9000.0]"}
    )
    company_id = company(web, name="Fjord Fish AS")
    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    page.get_by_role("button", name="Customer").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("No Customer actors found.")).to_be_visible()

    dialog.get_by_role("button", name="Advanced search").click()
    criterion = dialog.get_by_role("group", name="Criterion", exact=True)
    criterion.get_by_label("Field").select_option(label="Credit limit")
    criterion.get_by_label("Operator").select_option(label="is greater than")
    criterion.get_by_label("Value").fill("lots")
    dialog.get_by_role("button", name="Find", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("not a number")  # refused before the ERP is asked

    criterion.get_by_label("Value").fill("1000")
    dialog.get_by_role("button", name="Add criterion").click()
    second = dialog.get_by_role("group", name="Criterion", exact=True).nth(1)
    second.get_by_label("Field").select_option(label="Postal city")
    second.get_by_label("Operator").select_option(label="equals")
    second.get_by_label("Value").fill("bergen")
    dialog.get_by_role("button", name="Find", exact=True).click()
    expect(dialog.locator(".search-results tbody tr")).to_have_count(1)
    dialog.get_by_label("Havfisk Vest AS").check()
    dialog.get_by_role("button", name="Connect", exact=True).click()

    conflicts = page.get_by_role("dialog", name=re.compile("Select correct field values"))
    expect(conflicts.get_by_role("row", name=re.compile("Name"))).to_be_visible()
    conflicts.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status").filter(has_text="Connected to Customer")).to_be_visible()
    assert _linked(web, connection_id, CrmEntity.company, company_id).erp_key == erp_key
    # A two-way field without a choice takes the ERP's value.
    assert crm_values(web, CrmEntity.company, company_id)["name"] == "Havfisk Vest AS"


def test_a_contact_is_searched_among_the_persons_of_its_companys_actor(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    ours = erp_actor(web, "Customer", NORDIC_ERP)
    other = erp_actor(web, "Customer", {"NAME": "Other Customer AS"})
    mine = erp_actor(
        web,
        "Person",
        {"FIRSTNAME": "Kari", "LASTNAME": "Nordmann", "PHONE_MOBILE": "+47 900 00 000"},
        parent_actor_type="Customer",
        parent_erp_key=ours,
    )
    erp_actor(
        web,
        "Person",
        {"FIRSTNAME": "Kari", "LASTNAME": "Nordmann"},
        parent_actor_type="Customer",
        parent_erp_key=other,
    )
    company_id = _nordic_in_crm(web)
    link_record(web, connection_id, CrmActorType.Contact, company_id, "Customer", ours)
    person_id = person(web, company_id, first_name="Kari", last_name="Nordmann")

    open_erp_tab(page, f"/crm/contacts/{person_id}", edit=True)
    page.get_by_role("button", name="Person").click()
    dialog = page.get_by_role("dialog")
    by_parent = dialog.get_by_label(re.compile("Only Person actors under the ERP actor of Nordic Tools"))
    expect(by_parent).to_be_checked()
    expect(dialog.get_by_label("Search text")).to_have_value("Nordmann")
    hits = dialog.locator(".search-results tbody tr")
    expect(hits).to_have_count(1)  # the namesake under another customer is not offered
    by_parent.uncheck()
    expect(hits).to_have_count(2)
    by_parent.check()
    expect(hits).to_have_count(1)
    hits.first.get_by_role("radio").check()
    dialog.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Connected to Person")).to_be_visible()
    expect(page.get_by_role("region", name="Demo ERP").locator(".erp-values dd")).to_have_text(
        ["+47 900 00 000"]
    )
    assert _linked(web, connection_id, CrmEntity.person, person_id).erp_key == mine


def test_the_conflict_dialog_writes_the_chosen_values_to_both_sides(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    erp_key = erp_actor(
        web, "Customer", {**NORDIC_ERP, "PHONE": "+47 22 00 00 02", "EMAIL": "invoice@nordic.test"}
    )
    company_id = _nordic_in_crm(web, phone="+47 22 00 00 01", email="post@nordic.test")
    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    page.get_by_role("button", name="Customer").click()
    page.get_by_role("dialog").get_by_label("Nordic Tools", exact=True).check()
    page.get_by_role("dialog").get_by_role("button", name="Connect", exact=True).click()

    dialog = page.get_by_role("dialog", name="Select correct field values for the linked company")
    rows = dialog.locator("tbody tr")
    expect(rows.locator("th")).to_have_text(["Telephone", "E-mail"])  # only the fields that differ
    phone = dialog.get_by_role("row", name=re.compile("Telephone"))
    email = dialog.get_by_role("row", name=re.compile("E-mail"))
    expect(phone.get_by_label("+47 22 00 00 02")).to_be_checked()  # two-way: the ERP's by default
    dialog.get_by_role("button", name="Select all CRM values").click()
    expect(email.get_by_label("post@nordic.test")).to_be_checked()
    email.get_by_label("invoice@nordic.test").check()
    screenshot(page, "conflict-dialog")
    dialog.get_by_role("button", name="Connect").click()

    expect(page.get_by_role("status").filter(has_text="Connected to Customer")).to_be_visible()
    crm = crm_values(web, CrmEntity.company, company_id)
    erp = erp_get(web, "Customer", erp_key).field_values
    assert crm["phone"] == erp["PHONE"] == "+47 22 00 00 01"  # the CRM's value won
    assert crm["email"] == erp["EMAIL"] == "invoice@nordic.test"  # the ERP's value won
    assert _linked(web, connection_id, CrmEntity.company, company_id).erp_key == erp_key


def test_the_search_dialog_works_from_the_keyboard(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web)
    erp_actor(web, "Customer", {"NAME": "Bergen Bolt AS"})
    erp_key = erp_actor(web, "Customer", NORDIC_ERP)
    company_id = _nordic_in_crm(web)
    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    page.get_by_role("button", name="Customer").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    search_text = dialog.get_by_label("Search text")
    expect(search_text).to_be_focused()
    expect(dialog.locator(".search-results tbody tr")).to_have_count(1)
    page.keyboard.press("Escape")  # Esc closes the dialog
    expect(dialog).to_have_count(0)

    page.get_by_role("button", name="Customer").focus()
    page.keyboard.press("Enter")
    expect(search_text).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")  # a blank search lists every customer
    page.keyboard.press("Enter")
    expect(dialog.locator(".search-results tbody tr")).to_have_count(2)
    for _ in range(3):  # Search, Advanced search, then the hits
        page.keyboard.press("Tab")
    expect(dialog.get_by_role("radio").first).to_be_focused()
    page.keyboard.press("ArrowDown")  # moves the choice to the second hit
    expect(dialog.get_by_label("Nordic Tools", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Connect", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Connected to Customer")).to_be_visible()
    assert _linked(web, connection_id, CrmEntity.company, company_id).erp_key == erp_key
