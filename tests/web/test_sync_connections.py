"""Settings → Sync, "Connectors and connections": the Sync Connectors list with its dialog, and the
ERP connections list (Active switch, synced fields, health, delete)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from erpsync.engine.operations import direct_runner, sync_all
from erpsync.hub import connectors
from erpsync.hub.models import ErpConnection, ErpConnector
from tests.hub.fixtures_admin import make_configured_connection
from tests.web.conftest import WebWorld, log_in, narrow, screenshot


def _connections(page: Page) -> Locator:
    return page.get_by_role("region", name="ERP connections")


def _connectors(page: Page) -> Locator:
    return page.get_by_role("region", name="Sync connectors")


def _confirm(page: Page, text: str, answer: str) -> None:
    dialog = page.get_by_role("dialog", name=re.compile(re.escape(text)))
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=answer).click()
    expect(dialog).to_be_hidden()


def test_a_connector_is_added_tested_edited_and_deleted(page: Page, web: WebWorld) -> None:
    log_in(page, next_path="/settings/sync")
    expect(_connectors(page)).to_contain_text("No sync connectors yet")
    page.get_by_role("button", name="Add sync connector").click()
    dialog = page.get_by_role("dialog", name="Add sync connector")
    expect(dialog.get_by_label("Name")).to_be_focused()
    dialog.get_by_label("Name").fill("Demo ERP")
    dialog.get_by_label("URL").fill("http://127.0.0.1:9/connectors/nothing")
    dialog.get_by_role("button", name="OK").click()
    # Nobody answers there: refused, with the reason next to the URL, and nothing saved.
    url = dialog.get_by_label("URL")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("#connector-url + .field-error")).to_contain_text(
        "No sync connector answered at this URL"
    )
    dialog.get_by_label("URL").fill("ftp://example.com/connector")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator("#connector-url + .field-error")).to_contain_text("No sync connector answered")
    with web.db() as session:
        assert session.scalars(select(ErpConnector)).all() == []

    dialog.get_by_label("URL").fill(web.erp.url)
    dialog.get_by_role("button", name="OK").click()
    expect(page.get_by_role("status").filter(has_text="The sync connector is saved.")).to_be_visible()
    row = _connectors(page).get_by_role("row", name=re.compile("Demo ERP"))
    expect(row).to_contain_text(web.erp.url)
    with web.db() as session:
        stored = session.scalars(select(ErpConnector)).one()
        assert (stored.display_name, stored.url, stored.deleted) == ("Demo ERP", web.erp.url, False)

    row.get_by_role("button", name="Edit sync connector Demo ERP").click()
    dialog = page.get_by_role("dialog", name="Edit sync connector")
    expect(dialog.get_by_label("URL")).to_have_value(web.erp.url)
    dialog.get_by_label("Name").fill("Demo ERP (Oslo)")
    dialog.get_by_role("button", name="OK").click()
    expect(_connectors(page).get_by_role("row", name=re.compile(r"Demo ERP \(Oslo\)"))).to_be_visible()

    row = _connectors(page).get_by_role("row", name=re.compile("Demo ERP"))
    row.get_by_role("button", name="Delete sync connector Demo ERP (Oslo)").click()
    _confirm(page, "Delete the sync connector", "Cancel")
    expect(row).to_be_visible()
    with web.db() as session:
        assert session.scalars(select(ErpConnector.deleted)).one() is False
    row.get_by_role("button", name="Delete sync connector Demo ERP (Oslo)").click()
    _confirm(page, "Delete the sync connector", "OK")
    expect(page.get_by_role("status").filter(has_text="is deleted")).to_be_visible()
    expect(_connectors(page)).to_contain_text("No sync connectors yet")
    with web.db() as session:
        stored = session.scalars(select(ErpConnector)).one()
        assert (stored.display_name, stored.deleted) == ("Demo ERP (Oslo)", True)


def test_the_list_shows_each_connection_with_its_synced_fields_and_health(page: Page, web: WebWorld) -> None:
    configured = make_configured_connection(web.hub, web.erp.url)
    result = sync_all(web.hub, direct_runner(web.hub), force=True)
    assert result.is_ok, result.user_explanation
    log_in(page, next_path="/settings/sync")
    expect(_connectors(page).get_by_role("row", name=re.compile("Demo ERP connector"))).to_contain_text(
        web.erp.url
    )
    row = _connections(page).get_by_role("row", name=re.compile("Demo ERP"))
    expect(row.get_by_role("checkbox", name="Active: Demo ERP")).to_be_checked()
    expect(row).to_contain_text("Demo ERP connector")
    expect(row).to_contain_text("Customer")
    expect(row).to_contain_text("Name ↔ Name")
    expect(row).to_contain_text("Person")
    health = page.get_by_test_id(f"health-{configured.connection_id}")
    expect(health).to_contain_text(re.compile(r"Last sync \d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s[AP]M UTC"))
    expect(health).to_contain_text("Last cycle: OK")
    expect(health).to_contain_text("No dead letters")
    expect(row.get_by_role("link", name="Mappings of Demo ERP")).to_have_attribute(
        "href", f"/settings/sync/connections/{configured.connection_id}/mappings"
    )
    screenshot(page, "sync-tab")


def test_activation_is_refused_with_the_reasons_and_toggles_when_allowed(page: Page, web: WebWorld) -> None:
    bare = make_configured_connection(web.hub, web.erp.url, name="Unmapped", fields={}, activate=False)
    make_configured_connection(
        web.hub, web.erp.url, name="Ready", activate=False, connector_id=bare.connector_id
    )
    log_in(page, next_path="/settings/sync")
    unmapped = _connections(page).get_by_role("checkbox", name="Active: Unmapped")
    expect(unmapped).not_to_be_checked()
    unmapped.click()
    problems = _connections(page).get_by_role("alert")
    expect(problems).to_contain_text("“Unmapped” cannot be activated yet:")
    expect(problems.get_by_role("listitem").first).to_be_visible()
    expect(problems).to_contain_text("actor type")
    expect(unmapped).not_to_be_checked()

    ready = _connections(page).get_by_role("checkbox", name="Active: Ready")
    ready.click()
    expect(page.get_by_role("status").filter(has_text="The connection “Ready” is active")).to_be_visible()
    expect(_connections(page).get_by_role("checkbox", name="Active: Ready")).to_be_checked()
    with web.db() as session:
        states = {
            name: active
            for name, active in session.execute(select(ErpConnection.display_name, ErpConnection.active))
        }
    assert states == {"Unmapped": False, "Ready": True}

    _connections(page).get_by_role("checkbox", name="Active: Ready").click()
    expect(page.get_by_role("status").filter(has_text="is inactive")).to_be_visible()
    expect(_connections(page).get_by_role("checkbox", name="Active: Ready")).not_to_be_checked()
    with web.db() as session:
        assert session.scalars(select(ErpConnection.active)).all() == [False, False]


def test_a_connection_is_deleted_after_confirmation_and_then_its_connector(page: Page, web: WebWorld) -> None:
    configured = make_configured_connection(web.hub, web.erp.url, activate=False)
    log_in(page, next_path="/settings/sync")
    # The connector still has a connection: refused, saying so.
    _connectors(page).get_by_role("button", name="Delete sync connector Demo ERP connector").click()
    _confirm(page, "Delete the sync connector", "OK")
    expect(_connectors(page).get_by_role("alert")).to_contain_text("still has 1 connection(s)")

    delete = _connections(page).get_by_role("button", name="Delete connection Demo ERP")
    delete.click()
    _confirm(page, "Delete the connection", "Cancel")
    with web.db() as session:
        assert session.get(ErpConnection, configured.connection_id).deleted is False  # type: ignore[union-attr]
    delete.click()
    _confirm(page, "Delete the connection", "OK")
    expect(
        page.get_by_role("status").filter(has_text="The connection “Demo ERP” is deleted.")
    ).to_be_visible()
    expect(_connections(page)).to_contain_text("No ERP connections yet")
    with web.db() as session:
        assert session.get(ErpConnection, configured.connection_id).deleted is True  # type: ignore[union-attr]

    _connectors(page).get_by_role("button", name="Delete sync connector Demo ERP connector").click()
    _confirm(page, "Delete the sync connector", "OK")
    expect(_connectors(page)).to_contain_text("No sync connectors yet")
    assert connectors.all_connectors(web.hub) == []


def test_the_lists_fit_a_narrow_screen(page: Page, web: WebWorld) -> None:
    make_configured_connection(web.hub, web.erp.url)
    log_in(page, next_path="/settings/sync")
    with narrow(page):
        expect(page.get_by_role("heading", name="ERP connections")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        active = _connections(page).get_by_role("checkbox", name="Active: Demo ERP")
        active.scroll_into_view_if_needed()
        expect(active).to_be_in_viewport()
        page.get_by_role("link", name="Add ERP connection").click()
        expect(page.get_by_role("heading", name="Define new ERP connection")).to_be_visible()
        expect(page.get_by_label("Database")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
