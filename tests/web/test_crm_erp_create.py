"""Create in ERP from the Connect to ERP dialog as kari: the administrator's prompted fields
pre-filled, a mandatory one left empty refused next to it with nothing created, then created and
connected; not offered without CanCreateERP."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from erpsync.crm.catalogue import CrmEntity
from tests.web.conftest import WebWorld
from tests.web.crm_support import (
    activate,
    company,
    connection_for_kari,
    country_id,
    crm_values,
    erp_count,
    erp_get,
    link_of,
    open_erp_tab,
    set_default,
)


def test_create_in_erp_with_a_prompted_value_and_a_mandatory_one_enforced(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web, activate_now=False)
    set_default(web, connection_id, "Customer", "CATEGORY", prompt_user=True, mandatory=True)
    set_default(
        web,
        connection_id,
        "Customer",
        "CREDITLIMIT",
        has_first_sync_default_value=True,
        first_sync_default_value="[F:2500.0]",
        prompt_user=True,
    )
    set_default(
        web,
        connection_id,
        "Customer",
        "PAYMENTTERMS",
        has_first_sync_default_value=True,
        first_sync_default_value="NET14",
    )
    activate(web, connection_id)
    company_id = company(
        web, name="Fjord Fish AS", phone="+47 55 00 00 00", country=country_id(web, "Norway")
    )
    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    page.get_by_role("button", name="Customer").click()
    search = page.get_by_role("dialog")
    expect(search.get_by_text("No Customer actors found.")).to_be_visible()  # search comes first
    search.get_by_role("button", name="Create in ERP").click()

    dialog = page.get_by_role("dialog", name="Create Customer in Demo ERP")
    credit_limit = dialog.get_by_label("Credit limit")
    category = dialog.get_by_label("Customer category")
    expect(credit_limit).to_have_value("2500")  # the administrator's default
    expect(category).to_have_value("")
    expect(dialog.locator("label.required")).to_have_text(["Customer category"])  # marked mandatory
    credit_limit.fill("7500")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("#new-CATEGORY + .field-error")).to_contain_text("mandatory")
    expect(category).to_have_attribute("aria-invalid", "true")
    assert erp_count(web, "Customer") == 0  # the ERP was not asked
    assert link_of(web, connection_id, CrmEntity.company, company_id) is None

    category.select_option(label="Wholesale")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status").filter(has_text="Created the Customer in Demo ERP")).to_be_visible()
    expect(page.get_by_role("region", name="Demo ERP").get_by_text("Connected", exact=True)).to_be_visible()
    link = link_of(web, connection_id, CrmEntity.company, company_id)
    assert link is not None
    actor = erp_get(web, "Customer", link.erp_key).field_values
    assert actor["NAME"] == "Fjord Fish AS"  # mapped CRM values
    assert actor["PHONE"] == "+47 55 00 00 00"
    assert actor["CATEGORY"] == "wholesale"  # the user's values
    assert actor["CREDITLIMIT"] == "[F:7500.0]"
    assert actor["PAYMENTTERMS"] == "NET14"  # the administrator's default, not asked
    assert crm_values(web, CrmEntity.company, company_id)["name"] == "Fjord Fish AS"


def test_create_in_erp_is_not_offered_without_can_create_erp(page: Page, web: WebWorld) -> None:
    connection_id = connection_for_kari(web, can_create=False)
    company_id = company(web, name="Fjord Fish AS")
    open_erp_tab(page, f"/crm/companies/{company_id}", edit=True)
    page.get_by_role("button", name="Customer").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("No Customer actors found.")).to_be_visible()
    expect(dialog.get_by_role("button", name="Connect", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Create in ERP")).to_have_count(0)
    # Nor does the Create dialog open for someone who asks for it by its address.
    page.goto(f"/crm/companies/{company_id}/erp/{connection_id}/create?type=Customer")
    expect(page.get_by_role("alert")).to_contain_text("CanCreateERP")
