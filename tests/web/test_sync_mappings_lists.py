"""The List mapping page (reference §2.6): ERP items against CRM items, saved; a CRM item chosen
twice shows red and the hub refuses the save."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from erpsync.crm.models import ListItem
from erpsync.hub.models import ErpActorTypeMapping, ErpField, ErpListItemMapping
from tests.hub.fixtures_admin import make_configured_connection
from tests.web.conftest import WebWorld, log_in, screenshot


def customer_country_mapping(web: WebWorld, connection_id: int) -> dict[str, str]:
    """ERP item key → CRM item name of the Customer's COUNTRY field."""
    with web.db() as session:
        rows = session.execute(
            select(ErpListItemMapping.erp_item_key, ListItem.name)
            .join(ListItem, ErpListItemMapping.crm_item_id == ListItem.id)
            .join(ErpField, ErpListItemMapping.erp_field_id == ErpField.id)
            .join(ErpActorTypeMapping, ErpField.actor_type_mapping_id == ErpActorTypeMapping.id)
            .where(
                ErpActorTypeMapping.connection_id == connection_id,
                ErpActorTypeMapping.erp_actor_type == "Customer",
                ErpField.erp_field_key == "COUNTRY",
            )
        )
        return {key: name for key, name in rows}


def customer_countries(page: Page) -> Locator:
    return page.get_by_role("region", name=re.compile(r"^Customer · Country"))


def test_list_items_are_mapped_and_a_crm_item_chosen_twice_is_refused(page: Page, web: WebWorld) -> None:
    connection_id = make_configured_connection(web.hub, web.erp.url, fields={}, activate=False).connection_id
    log_in(page)
    page.goto(f"/settings/sync/connections/{connection_id}/lists")
    lists = customer_countries(page)
    expect(lists).to_contain_text("Incomplete")
    expect(page.get_by_role("region", name=re.compile(r"^Person · Country"))).to_be_visible()

    lists.get_by_label("Norway").select_option(label="Norway")
    lists.get_by_label("Sweden").select_option(label="Sweden")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The list mapping is saved.")).to_be_visible()
    expect(customer_countries(page).get_by_label("Sweden")).to_have_value(re.compile(r"\d+"))
    assert customer_country_mapping(web, connection_id) == {"NO": "Norway", "SE": "Sweden"}

    lists = customer_countries(page)
    denmark = lists.get_by_label("Denmark")
    denmark.select_option(label="Sweden")
    note = page.get_by_text("Chosen for more than one ERP item").filter(visible=True)
    expect(lists.get_by_text("Chosen for more than one ERP item").filter(visible=True)).to_have_count(2)
    duplicate_rows = lists.get_by_role("row").filter(has=note)
    expect(duplicate_rows).to_have_count(2)
    expect(duplicate_rows.first).to_have_class(re.compile(r"\bduplicate\b"))
    expect(duplicate_rows).to_contain_text(["Sweden", "Denmark"])
    expect(denmark).to_have_attribute("aria-invalid", "true")
    color = denmark.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(198, 40, 40)"  # the danger red
    denmark.scroll_into_view_if_needed()
    screenshot(page, "list-mapping")

    page.get_by_role("button", name="Save").click()
    expect(lists.get_by_role("alert")).to_contain_text(
        "The CRM item 'Sweden' is chosen for several ERP items (SE, DK); each CRM item may be chosen once."
    )
    expect(page.get_by_role("alert").first).to_contain_text("The list mapping cannot be saved.")
    expect(denmark).to_have_attribute("aria-invalid", "true")  # still marked after the refusal
    assert customer_country_mapping(web, connection_id) == {"NO": "Norway", "SE": "Sweden"}


def test_without_mapped_list_fields_the_page_says_what_to_do_first(page: Page, web: WebWorld) -> None:
    connection_id = make_configured_connection(web.hub, web.erp.url, fields={}, activate=False).connection_id
    # Nothing is mapped to a CRM list field any more.
    with web.db() as session, session.begin():
        for field in session.scalars(select(ErpField).where(ErpField.field_type == "List")):
            field.crm_field_key = ""
    log_in(page)
    page.goto(f"/settings/sync/connections/{connection_id}/lists")
    expect(page.get_by_text("No ERP list field is mapped to a CRM list field yet.")).to_be_visible()
    page.get_by_role("link", name="Mappings").last.click()
    expect(page.get_by_role("heading", name="Field mapping: Customer")).to_be_visible()
