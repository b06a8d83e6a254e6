"""The "Define new ERP connection" / "Edit ERP connection" dialog: config fields drawn from the
connector's metadata, Test ERP connection gating OK, the scope picker, and the lock while Active."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from erpsync.crm.users import add_member, create_group
from erpsync.hub import connectors
from erpsync.hub.connections import AccessEntry
from erpsync.hub.models import ErpConfigValue, ErpConnection, ErpConnectionAccess
from tests.hub.fixtures_admin import ERP_PASSWORD, make_configured_connection
from tests.web.conftest import WebWorld, log_in, screenshot


def _name(page: Page) -> Locator:
    return page.get_by_role("textbox", name=re.compile(r"^Name"))


def _ok(page: Page) -> Locator:
    return page.get_by_role("button", name="OK", exact=True)


def _test(page: Page) -> Locator:
    return page.get_by_role("button", name="Test ERP connection")


def _result(page: Page) -> Locator:
    return page.locator("#test-result")


def _scope_row(page: Page, name: str) -> Locator:
    return page.locator("#scope-table tbody tr").filter(has_text=name)


def _stored_access(web: WebWorld, connection_id: int) -> set[tuple[int | None, int | None, bool, bool]]:
    with web.db() as session:
        rows = session.scalars(
            select(ErpConnectionAccess).where(ErpConnectionAccess.connection_id == connection_id)
        )
        return {(r.user_id, r.group_id, r.can_connect, r.can_create_erp) for r in rows}


def test_a_connection_is_defined_tested_and_saved_with_its_scope(page: Page, web: WebWorld) -> None:
    connectors.save_connector(web.hub, 0, "Other connector", web.erp.url)
    demo = connectors.save_connector(web.hub, 0, "Demo ERP connector", web.erp.url)
    with web.hub.session() as session:
        sales = create_group(session, "Sales", "The sales team")
        add_member(session, sales.id, web.admin_id)
    log_in(page, next_path="/settings/sync")
    page.get_by_role("link", name="Add ERP connection").click()
    expect(page.get_by_role("heading", name="Define new ERP connection")).to_be_visible()
    expect(_ok(page)).to_be_disabled()
    expect(page.locator("#ok-hint")).to_have_text("Choose a sync connector.")

    _name(page).fill("Demo ERP")
    page.get_by_label("Sync connector").select_option(label="Demo ERP connector")
    # The connector's config fields, by type: a label, text, a masked password, a list from GetList…
    expect(page.get_by_label("Database")).to_have_value("demo")
    expect(page.get_by_text("The demo ERP is a sandbox bundled with erpsync")).to_be_visible()
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("type", "password")
    expect(password).to_have_value("")
    currency = page.get_by_label("Default currency")
    expect(currency).to_have_value("NOK")
    expect(currency.locator("option", has_text="Euro")).to_have_count(1)
    expect(page.get_by_label("Company number")).to_have_value("1")
    expect(page.get_by_label("Include inactive actors")).not_to_be_checked()
    expect(page.locator("label[for='config-database']")).to_have_class("required")
    expect(page.get_by_label("Database")).to_have_attribute("maxlength", "64")
    expect(page.get_by_text("Name of the demo database")).to_be_visible()
    expect(page.locator("#ok-hint")).to_contain_text("Test the ERP connection")

    page.get_by_label("Database").fill(web.erp.database)
    password.fill("not-the-password")
    _test(page).click()
    expect(_result(page)).to_have_text(re.compile(r"The test failed\. .*Wrong user name or password"))
    expect(_ok(page)).to_be_disabled()

    password.fill(ERP_PASSWORD)
    _test(page).click()
    expect(_result(page)).to_contain_text("The test passed.")
    expect(_ok(page)).to_be_enabled()
    # Any change after the test disables OK again, until the new values pass.
    currency.select_option("EUR")
    expect(_ok(page)).to_be_disabled()
    expect(page.locator("#ok-hint")).to_contain_text("changed after the test")
    _test(page).click()
    expect(_result(page)).to_contain_text("The test passed.")
    expect(_ok(page)).to_be_enabled()

    # Scope: Kari may connect but not create; the Sales group may create but not connect.
    page.get_by_label("Specified users and groups").check()
    expect(page.get_by_text("No users or groups are selected.")).to_be_visible()
    page.get_by_role("button", name="Add users or groups…").click()
    picker = page.get_by_role("dialog", name="Add users or groups")
    picker.get_by_label("Kari Nordmann").check()
    picker.get_by_label("Sales").check()
    picker.get_by_role("button", name="Add selected").click()
    expect(picker).to_be_hidden()
    _scope_row(page, "Kari Nordmann").get_by_label("Can create in ERP").uncheck()
    _scope_row(page, "Sales").get_by_label("Can connect").uncheck()
    page.get_by_role("heading", name="Define new ERP connection").evaluate(
        "(title) => title.scrollIntoView()"
    )
    screenshot(page, "define-connection")

    _ok(page).click()
    expect(page).to_have_url(f"{web.url}/settings/sync")
    expect(page.get_by_role("status").filter(has_text="The connection “Demo ERP” is saved.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Active: Demo ERP")).not_to_be_checked()
    with web.db() as session:
        connection = session.scalars(select(ErpConnection)).one()
        assert (connection.display_name, connection.connector_id) == ("Demo ERP", demo.id)
        assert (connection.active, connection.all_access) == (False, False)
        config = {row.field_key: row for row in session.scalars(select(ErpConfigValue))}
        assert config["Database"].value == web.erp.database
        assert config["Currency"].value == "EUR"
        assert config["Password"].secret
        assert config["Password"].value != ERP_PASSWORD
        assert web.hub.box.open(config["Password"].value) == ERP_PASSWORD
    assert _stored_access(web, connection.id) == {
        (web.user_id, None, True, False),
        (None, sales.id, False, True),
    }

    # Back in the dialog: the scope as saved, and the password nowhere in the page.
    page.get_by_role("link", name="Demo ERP", exact=True).click()
    expect(page.get_by_role("heading", name="Edit ERP connection “Demo ERP”")).to_be_visible()
    expect(_scope_row(page, "Kari Nordmann").get_by_label("Can create in ERP")).not_to_be_checked()
    expect(_scope_row(page, "Sales").get_by_label("Can connect")).not_to_be_checked()
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_have_attribute("placeholder", re.compile("Saved"))
    expect(page.get_by_label("Default currency")).to_have_value("EUR")
    assert ERP_PASSWORD not in page.content()
    # The stored values passed their test when saved: OK is enabled until they change.
    expect(_ok(page)).to_be_enabled()


def test_the_dialog_refuses_what_is_missing_next_to_the_field(page: Page, web: WebWorld) -> None:
    connectors.save_connector(web.hub, 0, "Demo ERP connector", web.erp.url)
    log_in(page, next_path="/settings/sync/connections/new")
    # The only connector is chosen already; a mandatory config field left empty blocks Test and OK.
    page.get_by_label("Database").fill("")
    expect(page.locator("#ok-hint")).to_contain_text(
        "Fill in the mandatory fields (*) to test and save: Database"
    )
    expect(_test(page)).to_be_disabled()
    expect(_ok(page)).to_be_disabled()
    page.get_by_label("Database").fill(web.erp.database)
    page.get_by_label("Password").fill(ERP_PASSWORD)
    _test(page).click()
    expect(_ok(page)).to_be_enabled()

    _ok(page).click()  # without a name
    name = _name(page)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#connection-name + .field-error")).to_be_visible()

    name.fill("Demo ERP")
    page.get_by_label("Specified users and groups").check()
    _ok(page).click()  # nobody in scope
    expect(page.locator("#connection-form > .form-errors")).to_contain_text(
        "Choose the scope Everyone, or at least one user or group."
    )
    with web.db() as session:
        assert session.scalars(select(ErpConnection)).all() == []


def test_an_active_connection_keeps_its_config_locked_but_takes_a_new_name_and_scope(
    page: Page, web: WebWorld
) -> None:
    configured = make_configured_connection(
        web.hub, web.erp.url, all_access=False, access=[AccessEntry(user_id=web.user_id)]
    )
    log_in(page, next_path=f"/settings/sync/connections/{configured.connection_id}")
    expect(page.get_by_text("This connection is active, so its configuration is locked.")).to_be_visible()
    for label in ("Database", "User name", "Password", "Default currency", "Include inactive actors"):
        expect(page.get_by_label(label)).to_be_disabled()
    expect(page.get_by_label("Sync connector")).to_be_disabled()
    expect(_test(page)).to_be_disabled()
    expect(_ok(page)).to_be_enabled()
    expect(_scope_row(page, "Kari Nordmann")).to_be_visible()

    _name(page).fill("Demo ERP (Oslo)")
    page.get_by_label("Description").fill("The Oslo office's ERP")
    _scope_row(page, "Kari Nordmann").get_by_role("button", name="Remove Kari Nordmann").click()
    expect(page.get_by_text("No users or groups are selected.")).to_be_visible()
    page.get_by_label("Everyone").check()
    _ok(page).click()
    expect(page.get_by_role("status").filter(has_text="“Demo ERP (Oslo)” is saved")).to_be_visible()
    with web.db() as session:
        connection = session.get(ErpConnection, configured.connection_id)
        assert connection is not None
        assert (connection.display_name, connection.description) == (
            "Demo ERP (Oslo)",
            "The Oslo office's ERP",
        )
        assert (connection.active, connection.all_access) == (True, True)
        database = session.scalar(select(ErpConfigValue.value).where(ErpConfigValue.field_key == "Database"))
        assert database == web.erp.database
    assert _stored_access(web, configured.connection_id) == set()


def test_the_dialog_can_be_filled_with_the_keyboard_alone(page: Page, web: WebWorld) -> None:
    connectors.save_connector(web.hub, 0, "Demo ERP connector", web.erp.url)
    log_in(page, next_path="/settings/sync/connections/new")
    keys = page.keyboard
    _name(page).focus()
    keys.type("Keyboard ERP")
    keys.press("Tab")
    expect(page.get_by_label("Sync connector")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_label("Description")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_label("Everyone")).to_be_focused()
    keys.press("ArrowDown")  # the radio group: Specified users and groups
    expect(page.get_by_label("Specified users and groups")).to_be_checked()
    keys.press("Tab")
    expect(page.get_by_role("button", name="Add users or groups…")).to_be_focused()
    keys.press("Enter")
    picker = page.get_by_role("dialog", name="Add users or groups")
    expect(picker).to_be_visible()
    keys.press("Escape")  # Esc closes the picker, adding nobody
    expect(picker).to_be_hidden()
    keys.press("Enter")
    expect(picker.get_by_label("Ada Admin")).to_be_focused()
    keys.press("Tab")
    expect(picker.get_by_label("Kari Nordmann")).to_be_focused()
    keys.press("Space")
    keys.press("Tab")
    expect(picker.get_by_role("button", name="Add selected")).to_be_focused()
    keys.press("Enter")
    expect(_scope_row(page, "Kari Nordmann")).to_be_visible()

    keys.press("Tab")
    expect(page.get_by_text("Sync policy")).to_be_focused()
    keys.press("Tab")
    expect(page.get_by_label("Database")).to_be_focused()
    keys.press("Control+A")
    keys.type(web.erp.database)
    keys.press("Tab")
    expect(page.get_by_label("User name")).to_be_focused()
    keys.press("Tab")
    keys.type(ERP_PASSWORD)
    for _ in range(25):  # on through the other config fields to the Test button
        keys.press("Tab")
        if page.evaluate("document.activeElement.id") == "test-button":
            break
    expect(_test(page)).to_be_focused()
    keys.press("Enter")
    expect(_result(page)).to_contain_text("The test passed.")
    keys.press("Tab")
    expect(_ok(page)).to_be_focused()
    keys.press("Enter")
    expect(page).to_have_url(f"{web.url}/settings/sync")
    with web.db() as session:
        connection = session.scalars(select(ErpConnection)).one()
        assert (connection.display_name, connection.all_access) == ("Keyboard ERP", False)
    assert _stored_access(web, connection.id) == {(web.user_id, None, True, True)}
