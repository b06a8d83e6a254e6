"""The Mappings page (reference §2.5): directions, the CRM field picker, Show in ERP tab, the actor
type's enable box, errors beside their rows, the keyboard and a narrow screen."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from erpsync.hub.models import ErpActorTypeMapping, ErpField
from tests.hub.fixtures_admin import make_configured_connection
from tests.web.conftest import WebWorld, log_in, narrow, screenshot


@dataclass(frozen=True)
class Stored:
    crm_field_key: str | None
    sync_to_crm: bool
    sync_to_erp: bool
    show_in_gui: bool
    show_in_search: bool


def fresh_connection(web: WebWorld) -> int:
    """An inactive demo connection as discovery left it: fields mapped automatically, no direction."""
    return make_configured_connection(web.hub, web.erp.url, fields={}, activate=False).connection_id


def stored_fields(web: WebWorld, connection_id: int, actor_type: str) -> dict[str, Stored]:
    with web.db() as session:
        rows = session.scalars(
            select(ErpField)
            .join(ErpActorTypeMapping, ErpField.actor_type_mapping_id == ErpActorTypeMapping.id)
            .where(
                ErpActorTypeMapping.connection_id == connection_id,
                ErpActorTypeMapping.erp_actor_type == actor_type,
            )
        )
        return {
            r.erp_field_key: Stored(
                r.crm_field_key, r.sync_to_crm, r.sync_to_erp, r.show_in_gui, r.show_in_search
            )
            for r in rows
        }


def actor_type_active(web: WebWorld, connection_id: int, actor_type: str) -> bool:
    with web.db() as session:
        active = session.scalar(
            select(ErpActorTypeMapping.is_active).where(
                ErpActorTypeMapping.connection_id == connection_id,
                ErpActorTypeMapping.erp_actor_type == actor_type,
            )
        )
    assert active is not None
    return active


def row(page: Page, erp_field_key: str) -> Locator:
    """The mapping row of an ERP field, found by the field key it shows."""
    return page.get_by_role("row").filter(has=page.get_by_text(erp_field_key, exact=True))


def open_mappings(page: Page, connection_id: int, actor_type: str = "Customer") -> None:
    log_in(page)
    page.goto(f"/settings/sync/connections/{connection_id}/mappings?type={actor_type}")
    expect(page.get_by_role("heading", name=f"Field mapping: {actor_type}")).to_be_visible()


def test_fields_are_mapped_in_each_direction_and_saved(page: Page, web: WebWorld) -> None:
    connection_id = fresh_connection(web)
    open_mappings(page, connection_id)

    phone = row(page, "PHONE")
    phone.get_by_role("button", name="ERP → CRM").click()
    expect(phone.get_by_role("button", name="ERP → CRM")).to_have_attribute("aria-pressed", "true")
    expect(phone.get_by_role("button", name="CRM → ERP")).to_have_attribute("aria-pressed", "false")
    row(page, "EMAIL").get_by_role("button", name="CRM → ERP").click()
    limit = row(page, "CREDITLIMIT")
    limit.get_by_label("CRM field for Credit limit").select_option(label="Turnover")
    limit.get_by_role("button", name="CRM → ERP").click()
    limit.get_by_role("button", name="ERP → CRM").click()
    # A read-only ERP field takes the CRM's value never: its CRM → ERP arrow stays grey.
    number = row(page, "CUSTOMERNO")
    number.get_by_label("CRM field for Customer number").select_option(label="Street county")
    number.get_by_role("button", name="ERP → CRM").click()
    expect(number.get_by_role("button", name="CRM → ERP")).to_be_disabled()
    screenshot(page, "mappings")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The Customer mapping is saved.")).to_be_visible()
    expect(row(page, "PHONE").get_by_role("button", name="ERP → CRM")).to_have_attribute(
        "aria-pressed", "true"
    )

    stored = stored_fields(web, connection_id, "Customer")
    assert stored["PHONE"] == Stored("phone", True, False, False, False)
    assert stored["EMAIL"] == Stored("email", False, True, False, False)
    assert stored["CREDITLIMIT"] == Stored("turnover", True, True, False, False)
    assert stored["CUSTOMERNO"] == Stored("street_county", True, False, False, False)
    assert stored["FAX"] == Stored("fax", False, False, False, False)


def test_a_grey_arrow_says_why_and_the_picker_offers_only_compatible_fields(
    page: Page, web: WebWorld
) -> None:
    connection_id = fresh_connection(web)
    # As after a discovery in which the connector dropped FAX and the CRM lost a field.
    with web.db() as session, session.begin():
        for field in session.scalars(select(ErpField).where(ErpField.erp_field_key.in_(["FAX", "URL"]))):
            if field.erp_field_key == "FAX":
                field.missing_in_erp = True
            else:
                field.crm_field_key, field.missing_in_crm = "homepage", True
    open_mappings(page, connection_id)

    fax = row(page, "FAX")
    expect(fax.get_by_text("Missing in ERP")).to_be_visible()
    expect(fax.get_by_role("button", name="ERP → CRM")).to_have_attribute(
        "title", "The connector no longer offers this field: it cannot sync."
    )
    web_site = row(page, "URL")
    expect(web_site.get_by_text("Missing in CRM")).to_be_visible()
    expect(web_site.get_by_label("CRM field for Web site")).to_have_value("homepage")
    expect(web_site.get_by_role("button", name="CRM → ERP")).to_have_attribute(
        "title", "The CRM field no longer exists: it cannot sync."
    )

    number = row(page, "CUSTOMERNO")
    to_erp, to_crm = (
        number.get_by_role("button", name="CRM → ERP"),
        number.get_by_role("button", name="ERP → CRM"),
    )
    for arrow in (to_erp, to_crm):
        expect(arrow).to_be_disabled()
        expect(arrow).to_have_attribute("title", "Choose a CRM field first.")
    number.get_by_label("CRM field for Customer number").select_option(label="Street county")
    expect(to_erp).to_have_attribute("title", "The ERP field is read-only.")
    expect(to_crm).to_be_enabled()
    to_erp.click(force=True)  # a grey arrow does nothing, even when clicked
    expect(to_erp).to_have_attribute("aria-pressed", "false")

    limit = row(page, "CREDITLIMIT")
    limit.get_by_label("CRM field for Credit limit").select_option(label="Street state")
    expect(limit.get_by_role("button", name="CRM → ERP")).to_have_attribute(
        "title", "A Double ERP field and a text CRM field are not compatible in this direction."
    )
    expect(limit.get_by_role("button", name="ERP → CRM")).to_be_enabled()
    expect(row(page, "WEBSHOP_PASSWORD").get_by_role("button", name="ERP → CRM")).to_have_attribute(
        "title", "Password fields never sync."
    )

    # A list field is offered the CRM's list fields only; a checkbox its checkbox and text fields.
    category = row(page, "CATEGORY").get_by_label("CRM field for Customer category")
    assert category.locator("option").all_inner_texts() == ["(none)", "Country", "Category", "Business"]
    stop = (
        row(page, "CREDITSTOP").get_by_label("CRM field for Credit stop").locator("option").all_inner_texts()
    )
    assert "No mailings" in stop
    assert "E-mail" in stop
    assert not {"Employees", "Turnover", "Country"} & set(stop)


def test_show_in_erp_tab_and_sync_exclude_each_other(page: Page, web: WebWorld) -> None:
    connection_id = fresh_connection(web)
    open_mappings(page, connection_id)

    balance = row(page, "BALANCE")
    balance.get_by_label("CRM field for Balance").select_option(label="Turnover")
    to_crm = balance.get_by_role("button", name="ERP → CRM")
    shown = balance.get_by_label("Show Balance in the ERP tab")
    to_crm.click()
    expect(shown).to_be_disabled()
    expect(shown).not_to_be_checked()
    assert (shown.get_attribute("title") or "").startswith("A synced field is not shown in the ERP tab")
    to_crm.click()
    expect(shown).to_be_enabled()
    shown.check()
    expect(to_crm).to_be_disabled()
    assert (to_crm.get_attribute("title") or "").startswith("Shown in the ERP tab")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The Customer mapping is saved.")).to_be_visible()
    expect(row(page, "BALANCE").get_by_label("Show Balance in the ERP tab")).to_be_checked()
    assert stored_fields(web, connection_id, "Customer")["BALANCE"] == Stored(
        "turnover", False, False, True, False
    )


def test_an_actor_type_is_enabled_and_disabled(page: Page, web: WebWorld) -> None:
    connection_id = fresh_connection(web)
    open_mappings(page, connection_id)
    tabs = page.get_by_role("navigation", name="Actor types")
    expect(tabs.get_by_role("link")).to_have_text(["Customer", "Supplier", "Partner", "Person", "Project"])
    tabs.get_by_role("link", name="Supplier").click()
    enable = page.get_by_label("Sync ERP “Supplier” to CRM “company”")
    expect(enable).not_to_be_checked()

    enable.check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The Supplier mapping is saved.")).to_be_visible()
    expect(page.get_by_label("Sync ERP “Supplier” to CRM “company”")).to_be_checked()
    expect(tabs.get_by_role("link", name="Supplier")).to_contain_text("Synced")
    assert actor_type_active(web, connection_id, "Supplier") is True

    page.get_by_label("Sync ERP “Supplier” to CRM “company”").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The Supplier mapping is saved.")).to_be_visible()
    assert actor_type_active(web, connection_id, "Supplier") is False
    assert actor_type_active(web, connection_id, "Customer") is False


def test_the_direction_toggles_work_from_the_keyboard(page: Page, web: WebWorld) -> None:
    connection_id = fresh_connection(web)
    open_mappings(page, connection_id)

    phone_crm = row(page, "PHONE").get_by_label("CRM field for Telephone")
    phone_crm.focus()
    page.keyboard.press("Shift+Tab")  # back from the picker to the ERP → CRM arrow
    to_crm = row(page, "PHONE").get_by_role("button", name="ERP → CRM")
    expect(to_crm).to_be_focused()
    page.keyboard.press("Space")
    expect(to_crm).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Shift+Tab")
    to_erp = row(page, "PHONE").get_by_role("button", name="CRM → ERP")
    expect(to_erp).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # twice: on, then off again
    expect(to_erp).to_have_attribute("aria-pressed", "false")

    # A grey arrow can be reached (its reason is its description) but not switched on.
    grey = row(page, "CUSTOMERNO").get_by_role("button", name="ERP → CRM")
    grey.focus()
    expect(grey).to_be_focused()
    page.keyboard.press("Space")
    expect(grey).to_have_attribute("aria-pressed", "false")

    page.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The Customer mapping is saved.")).to_be_visible()
    assert stored_fields(web, connection_id, "Customer")["PHONE"] == Stored(
        "phone", True, False, False, False
    )


def test_a_refused_save_shows_each_problem_beside_its_row_and_keeps_nothing(
    page: Page, web: WebWorld
) -> None:
    connection_id = fresh_connection(web)
    open_mappings(page, connection_id)

    row(page, "NAME").get_by_role("button", name="ERP → CRM").click()
    row(page, "NUMBER2").get_by_label("CRM field for CRM number").select_option(label="Code")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert").first).to_contain_text("The Customer mapping cannot be saved.")
    for key in ("NUMBER1", "NUMBER2"):
        expect(row(page, key).get_by_role("alert")).to_contain_text("The CRM field 'code' is also mapped to")
    expect(row(page, "NAME").get_by_role("alert")).to_have_count(0)
    expect(row(page, "NUMBER1").get_by_label("CRM field for Code")).to_be_focused()  # the first problem
    stored = stored_fields(web, connection_id, "Customer")
    assert stored["NUMBER2"] == Stored("number", False, False, False, False)
    assert stored["NAME"].sync_to_crm is False


def test_an_active_connection_is_shown_read_only(page: Page, web: WebWorld) -> None:
    connection_id = make_configured_connection(web.hub, web.erp.url).connection_id
    open_mappings(page, connection_id)
    expect(page.get_by_test_id("active-warning")).to_contain_text("Deactivate it")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    expect(page.get_by_role("button", name="CRM → ERP").first).to_be_disabled()
    expect(row(page, "NAME").get_by_role("button", name="ERP → CRM")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_the_mappings_fit_a_narrow_screen(page: Page, web: WebWorld) -> None:
    connection_id = fresh_connection(web)
    open_mappings(page, connection_id)
    with narrow(page):
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        expect(page.get_by_role("button", name="Save")).to_be_in_viewport()
        expect(page.get_by_label("Sync ERP “Customer” to CRM “company”")).to_be_visible()
        phone = row(page, "PHONE")
        phone.get_by_role("button", name="ERP → CRM").click()  # the table scrolls inside its frame
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("The Customer mapping is saved.")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert stored_fields(web, connection_id, "Customer")["PHONE"].sync_to_crm is True


def test_an_unknown_connection_or_actor_type_is_no_page(page: Page, web: WebWorld) -> None:
    connection_id = fresh_connection(web)
    log_in(page)
    page.goto("/settings/sync/connections/999/mappings")
    expect(page.get_by_role("heading", level=1)).to_have_text("There is no ERP connection with id 999.")
    page.goto(f"/settings/sync/connections/{connection_id}/rank?type=Sale")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The connection 'Demo ERP' has no actor type 'Sale'."
    )
