"""The Defaults page (reference §2.7): default values for new ERP actors, Ask user and Mandatory,
with the hub's validation messages beside the field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from erpsync.hub.models import ErpActorTypeMapping, ErpField
from tests.hub.fixtures_admin import make_configured_connection
from tests.web.conftest import WebWorld, log_in


@dataclass(frozen=True)
class Default:
    has: bool
    value: str
    prompt: bool
    mandatory: bool


MANDATORY = re.compile(r"^Mandatory")


def stored_default(web: WebWorld, connection_id: int, erp_field_key: str) -> Default:
    with web.db() as session:
        row = session.scalar(
            select(ErpField)
            .join(ErpActorTypeMapping, ErpField.actor_type_mapping_id == ErpActorTypeMapping.id)
            .where(
                ErpActorTypeMapping.connection_id == connection_id,
                ErpActorTypeMapping.erp_actor_type == "Customer",
                ErpField.erp_field_key == erp_field_key,
            )
        )
        assert row is not None
        return Default(
            row.has_first_sync_default_value, row.first_sync_default_value, row.prompt_user, row.mandatory
        )


def open_defaults(page: Page, web: WebWorld) -> int:
    connection_id = make_configured_connection(web.hub, web.erp.url, fields={}, activate=False).connection_id
    log_in(page)
    page.goto(f"/settings/sync/connections/{connection_id}/defaults?type=Customer")
    expect(page.get_by_role("heading", name="Default values for new ERP “Customer” actors")).to_be_visible()
    return connection_id


def add_default(page: Page, field: str) -> Locator:
    page.get_by_role("button", name="Add default value").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Add sync default value")).to_be_visible()
    dialog.get_by_label("ERP field").select_option(label=field)
    return dialog


def test_default_values_are_saved_and_listed(page: Page, web: WebWorld) -> None:
    connection_id = open_defaults(page, web)
    # The field the ERP requires is always listed as mandatory.
    name_row = page.get_by_role("row", name="Name NAME · Text")
    expect(name_row).to_contain_text("Yes (ERP)")

    dialog = add_default(page, "Discount % (Integer)")
    expect(dialog.get_by_text("Standard discount in whole percent")).to_be_visible()
    expect(
        dialog.get_by_label("Default value", exact=True)
    ).to_be_disabled()  # until Set default value is ticked
    dialog.get_by_label("Set default value").check()
    dialog.get_by_label("Default value", exact=True).fill("10")
    dialog.get_by_label("Ask user for value").check()
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The default value is saved.")).to_be_visible()
    discount = page.get_by_role("row", name="Discount % DISCOUNT · Integer")
    expect(discount.get_by_role("cell")).to_have_text(["10", "Yes", "No", "Edit Remove"])
    assert stored_default(web, connection_id, "DISCOUNT") == Default(True, "[I:10]", True, False)

    # A list field's default is one of the ERP list's items.
    dialog = add_default(page, "Currency (List)")
    dialog.get_by_label("Set default value").check()
    dialog.get_by_label("Default value", exact=True).select_option(label="Euro")
    dialog.get_by_label(MANDATORY).check()
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The default value is saved.")).to_be_visible()
    assert stored_default(web, connection_id, "CURRENCY") == Default(True, "EUR", False, True)

    # Editing shows what is stored; Remove clears it.
    page.get_by_role("button", name="Edit the default value of Discount %").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Edit sync default value")).to_be_visible()
    expect(dialog.get_by_label("Default value", exact=True)).to_have_value("10")
    dialog.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Remove the default value of Discount %").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_text("The default value of Discount % is removed.")).to_be_visible()
    assert stored_default(web, connection_id, "DISCOUNT") == Default(False, "", False, False)


def test_a_bad_default_is_refused_beside_the_field(page: Page, web: WebWorld) -> None:
    connection_id = open_defaults(page, web)
    dialog = add_default(page, "Credit limit (Double)")
    dialog.get_by_label("Set default value").check()
    dialog.get_by_label("Default value", exact=True).fill("lots")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text("is not a valid Double value")
    expect(dialog).to_be_visible()

    # An administrator's Mandatory needs a value or Ask user.
    dialog.get_by_label("Set default value").uncheck()
    dialog.get_by_label(MANDATORY).check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "A mandatory field needs a default value or Ask the user (or both)."
    )
    assert stored_default(web, connection_id, "CREDITLIMIT") == Default(False, "", False, False)

    dialog.get_by_label("Set default value").check()
    dialog.get_by_label("Default value", exact=True).fill("2500,5")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The default value is saved.")).to_be_visible()
    assert stored_default(web, connection_id, "CREDITLIMIT") == Default(True, "[F:2500.5]", False, True)
