"""The main admin workflow of the Sync tab — add a sync connector, define an ERP connection and test
it, map fields — once in Danish and once in English, from the browser's own language: each run sees
the labels of its language (SuperOffice's Danish terms in Danish) and lands the same rows in the
database. The Danish run keeps the screenshots of the Sync tab and the Define ERP connection dialog.

Config field labels come from the connector and CRM field names from the CRM catalogue, in their own
words: the workflow finds those inputs by their keys, not by their labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from erpsync.engine.operations import direct_runner, sync_all
from erpsync.hub.models import ErpActorTypeMapping, ErpConfigValue, ErpConnection, ErpConnector, ErpField
from tests.hub.fixtures_admin import ERP_PASSWORD, make_configured_connection
from tests.web.conftest import ADMIN_PASSWORD, WebWorld, screenshot


@dataclass(frozen=True)
class Labels:
    """What a page of the workflow says, in one language."""

    locale: str
    settings: str
    connectors: str
    connections: str
    add_connector: str
    name: str
    connector_saved: str
    add_connection: str
    define_connection: str
    scope: str
    everyone: str
    specified: str
    test_connection: str
    test_passed: str
    connection_saved: str
    never_synced: str
    mappings_of: str
    setup: str
    syncs: str
    mappings: str
    field_mapping: str
    sync_customers: str
    save: str
    mapping_saved: str
    list_mapping: str
    defaults: str
    sync_priority: str
    import_from_erp: str


DANISH = Labels(
    locale="da-DK",
    settings="Indstillinger og vedligeholdelse · Sync",
    connectors="Sync Connectors",
    connections="ERP-links",
    add_connector="Tilføj Sync Connector",
    name="Navn",
    connector_saved="Sync Connectoren er gemt.",
    add_connection="Tilføj ERP-link",
    define_connection="Angiv nyt ERP-link",
    scope="Synlighed",
    everyone="Alle",
    specified="Angivne brugere + grupper",
    test_connection="Test ERP-link",
    test_passed="Testen lykkedes.",
    connection_saved="ERP-linket “Demo ERP” er gemt.",
    never_synced="Aldrig synkroniseret",
    mappings_of="Felttilknytning for Demo ERP",
    setup="Opsætning af ERP-link",
    syncs="synkroniserer",
    mappings="Felttilknytning",
    field_mapping="Felttilknytning: Customer",
    sync_customers="Synkroniser ERP “Customer” med CRM “firma”",
    save="Gem",
    mapping_saved="Felttilknytningen for Customer er gemt.",
    list_mapping="Listetilknytning",
    defaults="Standardværdier",
    sync_priority="Synkroniseringsprioritet",
    import_from_erp="Importer data fra ERP",
)

ENGLISH = Labels(
    locale="en-US",
    settings="Settings · Sync",
    connectors="Sync connectors",
    connections="ERP connections",
    add_connector="Add sync connector",
    name="Name",
    connector_saved="The sync connector is saved.",
    add_connection="Add ERP connection",
    define_connection="Define new ERP connection",
    scope="Scope",
    everyone="Everyone",
    specified="Specified users and groups",
    test_connection="Test ERP connection",
    test_passed="The test passed.",
    connection_saved="The connection “Demo ERP” is saved.",
    never_synced="Never synced",
    mappings_of="Mappings of Demo ERP",
    setup="Connection set-up",
    syncs="syncs",
    mappings="Mappings",
    field_mapping="Field mapping: Customer",
    sync_customers="Sync ERP “Customer” to CRM “company”",
    save="Save",
    mapping_saved="The Customer mapping is saved.",
    list_mapping="List mapping",
    defaults="Defaults",
    sync_priority="Sync priority",
    import_from_erp="Import from ERP",
)


@pytest.fixture
def browser_page(request: pytest.FixtureRequest, browser: Browser, web: WebWorld) -> Iterator[Page]:
    """A page of a browser that asks for the language of ``request.param`` (a Labels)."""
    labels: Labels = request.param
    context = browser.new_context(
        base_url=web.url, locale=labels.locale, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def log_in_anywhere(page: Page, next_path: str) -> None:
    """Log in as the administrator through the form, whatever language it speaks."""
    page.goto(f"/login?next={next_path}")
    page.locator("#username").fill("admin")
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("form[action='/login'] [type=submit]").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()


def _notice(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


@pytest.mark.parametrize(
    ("browser_page", "labels"),
    [(DANISH, DANISH), (ENGLISH, ENGLISH)],
    ids=["da", "en"],
    indirect=["browser_page"],
)
def test_the_admin_workflow_speaks_the_browsers_language(
    browser_page: Page, labels: Labels, web: WebWorld
) -> None:
    page = browser_page
    danish = labels is DANISH
    log_in_anywhere(page, "/settings/sync")
    expect(page.locator("html")).to_have_attribute("lang", "da" if danish else "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(labels.settings)
    for tab in (labels.sync_priority, labels.import_from_erp):
        expect(page.get_by_role("link", name=tab, exact=True)).to_be_visible()

    # Add sync connector: its dialog, OK tests the URL first.
    connectors = page.get_by_role("region", name=labels.connectors)
    connectors.get_by_role("button", name=labels.add_connector).click()
    dialog = page.get_by_role("dialog", name=labels.add_connector)
    dialog.get_by_label(labels.name).fill("Demo ERP connector")
    dialog.get_by_label("URL").fill(web.erp.url)
    dialog.get_by_role("button", name="OK").click()
    _notice(page, labels.connector_saved)
    expect(connectors.get_by_role("row", name=re.compile("Demo ERP connector"))).to_contain_text(web.erp.url)
    with web.db() as session:
        connector = session.scalars(select(ErpConnector)).one()
        assert (connector.display_name, connector.url) == ("Demo ERP connector", web.erp.url)

    # Define new ERP connection: scope, the connector's config, Test before OK.
    page.get_by_role("region", name=labels.connections).get_by_role(
        "link", name=labels.add_connection
    ).click()
    expect(page.get_by_role("heading", name=labels.define_connection)).to_be_visible()
    page.get_by_role("textbox", name=re.compile("^" + labels.name)).fill("Demo ERP")
    scope = page.get_by_role("group", name=labels.scope)
    expect(scope.get_by_label(labels.everyone, exact=True)).to_be_checked()
    expect(scope.get_by_label(labels.specified)).not_to_be_checked()
    page.locator("#config-database").fill(web.erp.database)
    page.locator("#config-password").fill(ERP_PASSWORD)
    ok = page.get_by_role("button", name="OK", exact=True)
    expect(ok).to_be_disabled()
    page.get_by_role("button", name=labels.test_connection).click()
    expect(page.locator("#test-result")).to_contain_text(labels.test_passed)
    expect(ok).to_be_enabled()
    if danish:
        page.get_by_role("heading", name=labels.define_connection).evaluate(
            "(title) => title.scrollIntoView()"
        )
        screenshot(page, "da-define-connection")
    ok.click()
    expect(page).to_have_url(f"{web.url}/settings/sync")
    _notice(page, labels.connection_saved)
    row = page.get_by_role("region", name=labels.connections).get_by_role("row", name=re.compile("Demo ERP"))
    expect(row).to_contain_text(labels.never_synced)
    with web.db() as session:
        connection = session.scalars(select(ErpConnection)).one()
        assert (connection.display_name, connection.connector_id, connection.active) == (
            "Demo ERP",
            connector.id,
            False,
        )
        assert connection.all_access is True
        config = {c.field_key: c.value for c in session.scalars(select(ErpConfigValue))}
        assert config["Database"] == web.erp.database

    # Mappings: sync customers, the phone from the ERP and the e-mail from the CRM.
    row.get_by_role("link", name=labels.mappings_of).click()
    expect(page.get_by_role("heading", name=labels.field_mapping)).to_be_visible()
    setup = page.get_by_role("navigation", name=labels.setup)
    for link in (labels.mappings, labels.list_mapping, labels.defaults):
        expect(setup.get_by_role("link", name=link, exact=True)).to_be_visible()
    page.get_by_label(labels.sync_customers).check()
    phone = page.get_by_role("row").filter(has=page.get_by_text("PHONE", exact=True))
    phone.get_by_role("button", name="ERP → CRM").click()
    email = page.get_by_role("row").filter(has=page.get_by_text("EMAIL", exact=True))
    email.get_by_role("button", name="CRM → ERP").click()
    page.get_by_role("button", name=labels.save, exact=True).click()
    _notice(page, labels.mapping_saved)
    expect(page.get_by_label(labels.sync_customers)).to_be_checked()
    with web.db() as session:
        customer = session.scalars(
            select(ErpActorTypeMapping).where(
                ErpActorTypeMapping.connection_id == connection.id,
                ErpActorTypeMapping.erp_actor_type == "Customer",
            )
        ).one()
        assert customer.is_active
        fields = {
            f.erp_field_key: (f.crm_field_key, f.sync_to_crm, f.sync_to_erp)
            for f in session.scalars(select(ErpField).where(ErpField.actor_type_mapping_id == customer.id))
        }
    assert fields["PHONE"] == ("phone", True, False)
    assert fields["EMAIL"] == ("email", False, True)

    # Back on the Sync tab, the connection shows what syncs.
    page.goto("/settings/sync")
    row = page.get_by_role("region", name=labels.connections).get_by_role("row", name=re.compile("Demo ERP"))
    expect(row).to_contain_text("Customer")
    expect(row).to_contain_text(labels.syncs)
    expect(row.get_by_role("link", name=labels.mappings_of)).to_have_text(labels.mappings)
    if danish:
        screenshot(page, "da-sync-tab")


@pytest.mark.parametrize("browser_page", [DANISH], ids=["da"], indirect=True)
def test_dates_and_numbers_on_the_sync_tab_are_written_the_danish_way(
    browser_page: Page, web: WebWorld
) -> None:
    configured = make_configured_connection(web.hub, web.erp.url)
    result = sync_all(web.hub, direct_runner(web.hub), force=True)
    assert result.is_ok, result.user_explanation
    log_in_anywhere(browser_page, "/settings/sync")
    health = browser_page.get_by_test_id(f"health-{configured.connection_id}")
    # 01.05.2024 13.45: day first, dots, a 24-hour clock.
    expect(health).to_contain_text(re.compile(r"Seneste synkronisering \d{2}\.\d{2}\.\d{4} \d{2}\.\d{2} UTC"))
    expect(health).to_contain_text(re.compile(r"Seneste kørsel:\s*OK"))
    expect(health).to_contain_text(re.compile(r"\d+ hentet · \d+ sendt · 0 mislykket"))
    expect(health).to_contain_text("Fejlkøen er tom")


@pytest.mark.parametrize("browser_page", [DANISH], ids=["da"], indirect=True)
def test_every_page_of_the_sync_tab_speaks_danish(browser_page: Page, web: WebWorld) -> None:
    page = browser_page
    connection_id = make_configured_connection(web.hub, web.erp.url).connection_id
    base = f"/settings/sync/connections/{connection_id}"
    log_in_anywhere(page, "/settings/sync")
    pages = {
        base: "Rediger ERP-link “Demo ERP”",
        f"{base}/lists": "Listetilknytning",
        f"{base}/defaults": "Standardværdier for nye ERP-aktører af typen “Customer”",
        f"{base}/rank": "Ranger felter: Customer",
        "/settings/sync/priority": "Angiv synkroniseringsprioritet",
        "/settings/sync/engine": "Automatisk synkronisering",
        "/settings/sync/log": "Synkroniseringslog",
        "/settings/sync/dead-letters": "Fejlkø",
        "/settings/sync/import": "1. ERP-link og aktørtype",
        f"/settings/sync/import?connection={connection_id}&type=Customer": "2. Søg i ERP",
    }
    for path, heading in pages.items():
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    # The active connection's set-up pages say so; the engine's switch and the import's operators too.
    page.goto(f"{base}/mappings")
    expect(page.get_by_test_id("active-warning")).to_contain_text("Dette ERP-link er aktivt.")
    page.goto("/settings/sync/engine")
    expect(page.get_by_test_id("engine-state")).to_have_text(re.compile("^(Til|Fra)$"))
    page.goto(f"/settings/sync/import?connection={connection_id}&type=Customer")
    expect(page.locator("#criteria select[data-part=operator]").first).to_contain_text("begynder med")
