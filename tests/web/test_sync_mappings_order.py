"""Rank Fields (reference §2.8) and Set Sync Priority (§2.9): moving up and down, by mouse and
keyboard, and what the hub stores."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from erpsync.hub.models import ErpActorTypeMapping, ErpConfiguration, ErpField
from tests.hub.fixtures_admin import make_configured_connection
from tests.web.conftest import WebWorld, log_in, narrow


def customer_field_order(web: WebWorld, connection_id: int) -> list[str]:
    with web.db() as session:
        return list(
            session.scalars(
                select(ErpField.erp_field_key)
                .join(ErpActorTypeMapping, ErpField.actor_type_mapping_id == ErpActorTypeMapping.id)
                .where(
                    ErpActorTypeMapping.connection_id == connection_id,
                    ErpActorTypeMapping.erp_actor_type == "Customer",
                )
                .order_by(ErpField.rank, ErpField.id)
            )
        )


def test_fields_are_ranked_with_the_mouse_and_the_keyboard(page: Page, web: WebWorld) -> None:
    # Rank may change while the connection is active (only the ERP tab's order changes).
    connection_id = make_configured_connection(web.hub, web.erp.url).connection_id
    before = customer_field_order(web, connection_id)
    assert before[:3] == ["NAME", "CUSTOMERNO", "NUMBER1"]
    log_in(page)
    page.goto(f"/settings/sync/connections/{connection_id}/rank?type=Customer")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Name")
    expect(page.get_by_role("button", name="Move Name up")).to_be_disabled()

    page.get_by_role("button", name="Move Customer number up").click()
    expect(rows.nth(1)).to_contain_text("Customer number")
    expect(rows.nth(1).get_by_role("cell").first).to_have_text("1")
    # The keyboard stays on the moved field: at the top, on its other button.
    down = page.get_by_role("button", name="Move Customer number down")
    expect(down).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Customer number is now number 1.")
    assert customer_field_order(web, connection_id)[:3] == ["CUSTOMERNO", "NAME", "NUMBER1"]

    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # two places down, from the keyboard
    expect(rows.nth(3)).to_contain_text("Customer number")
    expect(down).to_be_focused()
    assert customer_field_order(web, connection_id)[:3] == ["NAME", "NUMBER1", "CUSTOMERNO"]

    page.reload()
    expect(rows.nth(3)).to_contain_text("Customer number")
    page.get_by_role("navigation", name="Actor types").get_by_role("link", name="Person").click()
    expect(rows.nth(1)).to_contain_text("First name")


def test_the_sync_priority_is_moved_and_saved(page: Page, web: WebWorld) -> None:
    first = make_configured_connection(web.hub, web.erp.url, fields={}, activate=False)
    second = make_configured_connection(
        web.hub, web.erp.url, name="Second ERP", fields={}, activate=False, connector_id=first.connector_id
    )
    log_in(page)
    page.get_by_role("link", name="Sync", exact=True).click()
    page.get_by_role("link", name="Sync priority").click()
    expect(page.get_by_role("link", name="Sync priority")).to_have_attribute("aria-current", "page")
    names = page.get_by_role("table").get_by_role("rowheader")
    expect(names).to_have_text(["CRM (this system)", "Demo ERP", "Second ERP"])

    page.get_by_role("button", name="Move Second ERP up").click()
    expect(page.get_by_role("button", name="Move Second ERP up")).to_be_focused()
    page.keyboard.press("Enter")  # once more, from the keyboard
    expect(names).to_have_text(["Second ERP", "CRM (this system)", "Demo ERP"])
    expect(page.get_by_text("The order has changed: save to keep it.")).to_be_visible()
    with narrow(page):
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The sync priority is saved.")).to_be_visible()
    expect(names).to_have_text(["Second ERP", "CRM (this system)", "Demo ERP"])
    with web.db() as session:
        stored = session.scalar(select(ErpConfiguration.connection_rank))
    assert stored == f"{second.connection_id};0;{first.connection_id}"
