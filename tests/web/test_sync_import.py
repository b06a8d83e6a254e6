"""Settings → Sync → Import from ERP, the wizard end to end in the browser against the demo ERP over
HTTP: search and selection, each duplicate action, a preview that writes nothing, and the refusal
while automatic sync is on."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpsync.connectors.demo import DemoErpDatabase, database_path
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.db import Base
from erpsync.crm.journal import user_origin
from erpsync.crm.models import Company
from erpsync.hub.connections import AccessEntry
from erpsync.hub.engine_settings import change_engine_status, engine_status
from erpsync.hub.models import ErpLink
from tests.hub.fixtures_admin import make_configured_connection
from tests.web.conftest import WebWorld, log_in, screenshot

COMPANY = CrmEntity.company


@pytest.fixture
def erp(web: WebWorld) -> Iterator[DemoErpDatabase]:
    with DemoErpDatabase(database_path(web.erp.data_dir, web.erp.database), create=False) as db:
        yield db


def _customer(erp: DemoErpDatabase, name: str, **values: str) -> str:
    return erp.create_actor("Customer", {"NAME": name, **values}).erp_key


def _company(web: WebWorld, name: str, **values: str) -> int:
    with web.hub.session() as session:
        return store.create(session, COMPANY, {"name": name, **values}, user_origin(web.admin_id))


def _get(web: WebWorld, record_id: int) -> store.Record:
    with web.db() as session:
        record = store.get(session, COMPANY, record_id)
    assert record is not None
    return record


def _linked(web: WebWorld) -> dict[str, int]:
    """ErpKey → CRM company id of every link."""
    with web.db() as session:
        return {
            key: record_id
            for key, record_id in session.execute(select(ErpLink.erp_key, ErpLink.crm_record_id))
        }


def _table_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def _companies_named(web: WebWorld, name: str) -> int:
    with web.db() as session:
        return session.scalar(select(func.count()).where(Company.name == name)) or 0


def _choose_customers(page: Page) -> None:
    """Step 1: the demo connection's customers."""
    page.get_by_label("ERP connection", exact=True).select_option(label="Demo ERP")
    page.get_by_label("Actor type", exact=True).select_option("Customer")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("import-choice")).to_contain_text("Importing Customer actors of Demo ERP")


def _criterion(page: Page, field: str, operator: str, value: str) -> None:
    criterion = page.get_by_role("group", name="Criterion").last
    criterion.get_by_label("Field").select_option(label=field)
    criterion.get_by_label("Operator").select_option(label=operator)
    criterion.get_by_label("Value", exact=True).fill(value)


def _duplicates(page: Page, match: str, action: str) -> None:
    """Step 3 and on to the preview."""
    expect(page.get_by_role("heading", name="3. Duplicates")).to_be_focused()
    page.get_by_label("Find duplicates by").select_option(label=match)
    page.get_by_label(action).check()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="4. Preview")).to_be_visible()


def _count(page: Page, name: str) -> str:
    return page.locator(f'[data-count="{name}"]').inner_text()


def test_import_end_to_end_with_merge_a_selection_and_a_preview_that_writes_nothing(
    page: Page, web: WebWorld, erp: DemoErpDatabase
) -> None:
    # The administrator is not in the connection's scope: the import's search is theirs anyway.
    make_configured_connection(
        web.hub, web.erp.url, all_access=False, access=[AccessEntry(user_id=web.user_id)]
    )
    fjord = _customer(erp, "Fjord Fisk AS", PHONE="+47 22 00 00 00", POSTALCITY="Bergen")
    nordlys = _customer(erp, "Nordlys AS", POSTALCITY="Tromsø")
    havbris = _customer(erp, "Havbris AS")
    _customer(erp, "Bakeri Berg")
    existing = _company(web, "Fjord Fisk AS", phone="+47 11 11 11 11")

    log_in(page, next_path="/settings/sync/import")
    expect(page.get_by_role("link", name="Import from ERP")).to_have_attribute("aria-current", "page")
    _choose_customers(page)

    # Step 2: search, select all, then leave one out.
    _criterion(page, "Name", "ends with", "AS")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("3 found.")).to_be_visible()
    results = page.locator("#results-table tbody tr")
    expect(results).to_have_count(3)
    page.get_by_label("Select all").check()
    page.get_by_label("Select Havbris AS").uncheck()
    expect(page.get_by_label("Select all")).not_to_be_checked()
    page.get_by_role("button", name="Next").click()

    _duplicates(page, "Name", "Merge \u2013 update empty fields")
    assert _count(page, "New") == "1"
    assert _count(page, "Update") == "1"
    rows = page.get_by_test_id("preview-row")
    expect(rows).to_have_count(2)
    merged = rows.filter(has_text="Fjord Fisk AS")
    expect(merged).to_contain_text("Update")
    expect(merged).to_contain_text("Bergen")  # an empty field filled
    expect(merged).not_to_contain_text("+47 22 00 00 00")  # a field with a value kept
    expect(merged.get_by_role("link", name=f"Company {existing}")).to_be_visible()
    expect(rows.filter(has_text="Nordlys AS")).to_contain_text("New")
    screenshot(page, "import-wizard")

    # The preview wrote nothing; Back keeps the choices.
    with web.db() as session:
        before = _table_counts(session)
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Merge \u2013 update empty fields")).to_be_checked()
    page.get_by_role("button", name="Preview").click()
    with web.db() as session:
        assert _table_counts(session) == before
    assert _get(web, existing)["postal_city"] in (None, "")

    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="5. Import done")).to_be_focused()
    created = page.get_by_test_id("result-created")
    expect(created).to_contain_text("Created (1)")
    expect(created.get_by_role("link", name="Nordlys AS")).to_be_visible()
    updated = page.get_by_test_id("result-updated")
    expect(updated).to_contain_text("Merged (1)")
    expect(updated.get_by_role("link", name="Fjord Fisk AS")).to_have_attribute(
        "href", f"/crm/companies/{existing}"
    )

    linked = _linked(web)
    assert set(linked) == {fjord, nordlys}
    assert havbris not in linked
    assert linked[fjord] == existing
    record = _get(web, existing)
    assert record["postal_city"] == "Bergen"
    assert record["phone"] == "+47 11 11 11 11"
    assert _get(web, linked[nordlys])["postal_city"] == "Tromsø"
    assert _companies_named(web, "Havbris AS") == 0


def test_import_skip_then_replace_every_actor_after_a_bad_criterion_is_refused(
    page: Page, web: WebWorld, erp: DemoErpDatabase
) -> None:
    connection_id = make_configured_connection(web.hub, web.erp.url).connection_id
    fjord = _customer(erp, "Fjord Fisk AS", PHONE="+47 22 00 00 00")
    havbris = _customer(erp, "Havbris AS", PHONE="+47 33 00 00 00")
    fjord_id = _company(web, "Fjord Fisk AS", phone="+47 11 11 11 11")
    havbris_id = _company(web, "Havbris AS")

    log_in(page, next_path=quote(f"/settings/sync/import?connection={connection_id}&type=Customer"))
    _criterion(page, "Credit limit", "greater than", "lots")
    page.get_by_role("button", name="Find").click()
    criterion = page.get_by_role("group", name="Criterion")
    expect(criterion.get_by_role("alert")).to_contain_text("'lots'")

    # Skip: the duplicates are left alone and not linked.
    page.get_by_label("Every Customer in the ERP").check()
    page.get_by_role("button", name="Next").click()
    _duplicates(page, "Name", "Skip")
    assert _count(page, "Skip") == "2"
    expect(page.get_by_test_id("preview-row").first.get_by_role("checkbox")).to_be_disabled()
    page.get_by_role("button", name="Import").click()
    skipped = page.get_by_test_id("result-skipped")
    expect(skipped).to_contain_text("Skipped (2)")
    expect(skipped).to_contain_text(f"Fjord Fisk AS ({fjord})")
    expect(page.get_by_test_id("result-created")).to_contain_text("Created (0)")
    assert _linked(web) == {}
    assert _get(web, fjord_id)["phone"] == "+47 11 11 11 11"

    # Replace: the duplicates are linked and take the ERP's values.
    page.get_by_role("link", name="Import more").click()
    page.get_by_label("Every Customer in the ERP").check()
    page.get_by_role("button", name="Next").click()
    _duplicates(page, "Name", "Replace \u2013 overwrite existing")
    assert _count(page, "Update") == "2"
    expect(page.get_by_test_id("preview-row").filter(has_text="Fjord Fisk AS")).to_contain_text(
        "+47 11 11 11 11 → +47 22 00 00 00"
    )
    page.get_by_role("button", name="Import").click()
    updated = page.get_by_test_id("result-updated")
    expect(updated).to_contain_text("Replaced (2)")
    assert _linked(web) == {fjord: fjord_id, havbris: havbris_id}
    assert _get(web, fjord_id)["phone"] == "+47 22 00 00 00"
    assert _get(web, havbris_id)["phone"] == "+47 33 00 00 00"


def test_import_is_refused_while_automatic_sync_is_on_and_add_always_makes_a_new_record(
    page: Page, web: WebWorld, erp: DemoErpDatabase
) -> None:
    make_configured_connection(web.hub, web.erp.url)
    key = _customer(erp, "Fjord Fisk AS")
    _company(web, "Fjord Fisk AS")
    change_engine_status(web.hub, True)

    log_in(page, next_path="/settings/sync/import")
    warning = page.get_by_role("alert").filter(has_text="Switch automatic sync off")
    expect(warning).to_contain_text("Importing is refused while it runs")
    _choose_customers(page)
    _criterion(page, "Name", "contains", "Fjord")
    page.get_by_label("Every actor matching the criteria, also those not listed").check()
    page.get_by_role("button", name="Next").click()
    _duplicates(page, "Name", "Add always")  # the preview is allowed while the engine runs
    assert _count(page, "New") == "1"
    run = page.get_by_role("button", name="Import")
    expect(run).to_be_disabled()

    page.get_by_role("button", name="Switch automatic sync off").click()
    expect(warning).to_be_hidden()
    expect(run).to_be_enabled()
    assert not engine_status(web.hub).is_running

    # Switched on again behind the page's back: the import is refused and the way out shown again.
    change_engine_status(web.hub, True)
    run.click()
    expect(page.get_by_text("turn the engine Off first")).to_be_visible()
    expect(warning).to_be_visible()
    expect(run).to_be_disabled()
    assert _companies_named(web, "Fjord Fisk AS") == 1

    page.get_by_role("button", name="Switch automatic sync off").click()
    run.click()
    created = page.get_by_test_id("result-created")
    expect(created).to_contain_text("Created (1)")
    assert _companies_named(web, "Fjord Fisk AS") == 2
    linked = _linked(web)
    assert list(linked) == [key]
    expect(created.get_by_role("link", name="Fjord Fisk AS")).to_have_attribute(
        "href", f"/crm/companies/{linked[key]}"
    )
