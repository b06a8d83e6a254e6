"""The CRM screens without the ERP: lists with search and paging, a card's fields saved through the
REST API (refused values shown next to their field), new records and their company."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.models import Company
from erpsync.crm.seed import seed_sample_data
from tests.web.conftest import WebWorld, log_in_user, screenshot
from tests.web.crm_support import company, country_id, crm_values


def test_the_company_list_searches_and_pages(page: Page, web: WebWorld) -> None:
    with web.hub.session() as session:
        seed_sample_data(session, companies=36)
    log_in_user(page)  # the start page is the company list
    expect(page.get_by_role("heading", name="Companies")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("1\N{EN DASH}25 of 36")
    rows = page.locator("table.crm-list tbody tr")
    expect(rows).to_have_count(25)
    screenshot(page, "companies")
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("status")).to_have_text("26\N{EN DASH}36 of 36")
    expect(rows).to_have_count(11)
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()

    page.get_by_label("Search companies").fill("fjord")
    page.get_by_role("button", name="Search").click()
    with web.db() as session:
        wanted = store.search(session, CrmEntity.company, "fjord", limit=100, order_by="name").items
    assert wanted
    expect(rows).to_have_count(len(wanted))
    for record, row in zip(wanted, rows.all(), strict=True):
        expect(row.get_by_role("link").first).to_have_text(str(record["name"]))
    # The first hit's card, from the list.
    rows.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(str(wanted[0]["name"]))

    page.goto("/crm/companies?q=nothing-like-this")
    expect(page.get_by_role("status")).to_have_text("Nothing matches “nothing-like-this”.")


def test_a_card_saves_its_fields_and_refuses_a_bad_value_next_to_the_field(page: Page, web: WebWorld) -> None:
    company_id = company(web, name="Nordic Tools AS", phone="+47 22 00 00 01")
    log_in_user(page, f"/crm/companies/{company_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nordic Tools AS")

    page.get_by_label("Telephone").fill("+47 99 99 99 99")
    page.get_by_label("Employees").fill("many")
    page.get_by_role("button", name="Save").click()
    employees = page.get_by_label("Employees")
    expect(employees).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-employees + .field-error")).to_contain_text("whole number")
    assert crm_values(web, CrmEntity.company, company_id)["phone"] == "+47 22 00 00 01"  # nothing saved

    employees.fill("42")
    page.get_by_label("Turnover").fill("1250000,5")
    page.get_by_label("Country").select_option(label="Norway")
    page.get_by_label("No mailings").check()
    page.get_by_label("Name", exact=True).fill("Nordic Tools Group AS")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nordic Tools Group AS")
    values = crm_values(web, CrmEntity.company, company_id)
    assert values["phone"] == "+47 99 99 99 99"
    assert values["employees"] == 42
    assert values["turnover"] == 1250000.5
    assert values["country"] == country_id(web, "Norway")
    assert values["no_mailings"] is True
    expect(page.get_by_label("Turnover")).to_have_value("1250000.5")

    # A required field left empty is refused too, next to it.
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-name + .field-error")).to_be_visible()
    assert crm_values(web, CrmEntity.company, company_id)["name"] == "Nordic Tools Group AS"


def test_a_new_contact_belongs_to_its_company_and_a_project_keeps_its_date(page: Page, web: WebWorld) -> None:
    company_id = company(web, name="Fjord Fish AS")
    log_in_user(page, f"/crm/companies/{company_id}")
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", name="New contact")).to_be_visible()
    expect(page.get_by_label("Company")).to_have_value(str(company_id))
    page.get_by_label("First name").fill("Lone")
    page.get_by_label("Last name").fill("Fisker")
    page.get_by_label("Birth date").fill("1980-05-17")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lone Fisker")
    page.get_by_role("link", name="Fjord Fish AS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fjord Fish AS")
    expect(page.get_by_role("link", name="Lone Fisker")).to_be_visible()
    with web.db() as session:
        [person] = store.search(session, CrmEntity.person, "Fisker").items
    assert person["company_id"] == company_id
    birth_date = person["birth_date"]
    assert isinstance(birth_date, datetime)
    assert birth_date.date().isoformat() == "1980-05-17"

    page.get_by_role("navigation", name="Navigator").get_by_role("link", name="Contacts").click()
    row = page.get_by_role("row", name=re.compile("Lone Fisker"))
    expect(row.get_by_role("link", name="Fjord Fish AS")).to_be_visible()

    # A new project: without its name it is refused, with it created.
    page.goto("/crm/projects/new")
    page.get_by_label("End date").fill("2031-12-31")
    page.get_by_label("Budget").fill("150000")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#f-name + .field-error")).to_be_visible()
    page.get_by_label("Project name").fill("New web shop")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New web shop")
    expect(page.get_by_label("End date")).to_have_value("2031-12-31")
    expect(page).to_have_url(re.compile(r"/crm/projects/\d+$"))
    with web.db() as session:
        [project] = store.search(session, CrmEntity.project, "web shop").items
    assert project["budget"] == 150000.0

    # Deleting a company asks first, and takes its contacts with it.
    page.goto(f"/crm/companies/{company_id}")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("#confirm-text")).to_contain_text("Its contacts are deleted too")
    page.get_by_test_id("confirm-ok").click()
    expect(page).to_have_url(f"{web.url}/crm/companies")
    with web.db() as session:
        assert session.scalar(select(func.count()).select_from(Company)) == 0
        assert store.get(session, CrmEntity.person, person.id) is None
