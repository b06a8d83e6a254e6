"""Settings → Sync → Engine, Resync, Sync log and Dead letters, driven in the browser against the
demo ERP over HTTP. Connections are set up through the hub; cycles that make log entries and dead
letters are real ones (``run_cycle``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select, update

from erpsync.connectors.demo import DemoErpDatabase, database_path
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.journal import user_origin
from erpsync.engine.cycle import run_cycle
from erpsync.engine.models import SyncCycle, SyncDeadLetter
from erpsync.hub.engine_settings import change_engine_status, engine_status
from erpsync.hub.models import ErpActorTypeMapping, ErpLink, ErpSyncLog
from tests.hub.fixtures_admin import make_configured_connection
from tests.web.conftest import ADMIN_PASSWORD, WebWorld, log_in, narrow, screenshot

COMPANY = CrmEntity.company


@pytest.fixture
def erp(web: WebWorld) -> Iterator[DemoErpDatabase]:
    """The demo ERP's own database: what an ERP user changes, and where the tests look."""
    with DemoErpDatabase(database_path(web.erp.data_dir, web.erp.database), create=False) as db:
        yield db


def _connect(web: WebWorld) -> int:
    """An active connection to the demo ERP whose cycles import new ERP customers."""
    connection_id = make_configured_connection(web.hub, web.erp.url).connection_id
    with web.hub.session() as session:
        session.execute(
            update(ErpActorTypeMapping)
            .where(ErpActorTypeMapping.connection_id == connection_id)
            .values(auto_import=True)
        )
    return connection_id


def _record_of(web: WebWorld, erp_key: str) -> int:
    with web.db() as session:
        record_id = session.scalar(select(ErpLink.crm_record_id).where(ErpLink.erp_key == erp_key))
    assert record_id is not None, f"{erp_key} is not linked"
    return record_id


def _linked_customer(
    web: WebWorld, erp: DemoErpDatabase, connection_id: int, name: str, **values: str
) -> str:
    """An ERP customer brought into the CRM by a real cycle; its ErpKey."""
    key = erp.create_actor("Customer", {"NAME": name, **values}).erp_key
    report = run_cycle(web.hub, connection_id)
    assert report.state == "ok", report.message
    return key


def _crm_update(web: WebWorld, record_id: int, **values: str) -> None:
    with web.hub.session() as session:
        store.update(session, COMPANY, record_id, values, user_origin(web.admin_id))


def _crm_phone(web: WebWorld, record_id: int) -> object:
    with web.db() as session:
        record = store.get(session, COMPANY, record_id)
    assert record is not None
    return record["phone"]


def _erp_value(erp: DemoErpDatabase, key: str, field: str) -> str:
    actor = erp.get_actor("Customer", key)
    assert actor is not None
    return actor.field_values[field]


# --- the engine: On/Off, interval, status ----------------------------------------------------------


def test_engine_on_off_and_interval_with_a_bad_interval_refused_next_to_the_field(
    page: Page, web: WebWorld
) -> None:
    log_in(page, next_path="/settings/sync/engine")
    expect(page.get_by_role("link", name="Engine")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("engine-state")).to_have_text("Off")
    expect(page.get_by_test_id("engine-status")).to_contain_text(
        "Automatic sync is switched off (every 00:05:00)."
    )
    expect(page.get_by_label("Sync every")).to_have_value("5")
    expect(page.get_by_label("Unit")).to_have_value("60")

    page.get_by_role("button", name="Switch on").click()
    expect(page.get_by_text("Automatic sync is switched on.", exact=True)).to_be_visible()
    expect(page.get_by_test_id("engine-state")).to_have_text("On")
    expect(page.get_by_test_id("engine-status")).to_contain_text("Automatic sync is switched on")
    assert engine_status(web.hub).is_running

    page.get_by_label("Sync every").fill("30")
    page.get_by_label("Unit").select_option(label="seconds")
    page.get_by_role("button", name="Save interval").click()
    error = page.locator('[data-error-for="Seconds"]')
    expect(error).to_contain_text("must be 60 or more")
    expect(page.get_by_label("Sync every")).to_have_attribute("aria-invalid", "true")
    assert engine_status(web.hub).interval_seconds == 300

    page.get_by_label("Sync every").fill("2")
    page.get_by_label("Unit").select_option(label="hours")
    page.get_by_role("button", name="Save interval").click()
    expect(page.get_by_test_id("engine-status")).to_contain_text("every 02:00:00")
    expect(page.get_by_label("Sync every")).to_have_value("2")
    expect(page.get_by_label("Unit")).to_have_value("3600")
    assert engine_status(web.hub).interval_seconds == 7200

    page.get_by_role("button", name="Switch off").click()
    expect(page.get_by_test_id("engine-state")).to_have_text("Off")
    assert not engine_status(web.hub).is_running


def test_sync_all_runs_a_cycle_and_the_health_numbers_update(
    page: Page, web: WebWorld, erp: DemoErpDatabase
) -> None:
    connection_id = _connect(web)
    log_in(page, next_path="/settings/sync/engine")
    health = page.get_by_test_id(f"health-{connection_id}")
    expect(health).to_contain_text("Demo ERP")
    expect(health.get_by_test_id("last-cycle")).to_have_text("No cycle yet")
    key = _linked_customer(web, erp, connection_id, "Nordlys AS", PHONE="+47 22 33 44 55")
    erp.update_actor("Customer", key, {"PHONE": "+47 99 88 77 66"})

    # Off: Sync all refuses and says why; nothing runs.
    page.get_by_role("button", name="Sync all", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Automatic sync is switched off, so SyncAll does nothing"
    )
    with web.db() as session:
        assert session.scalar(select(func.count()).select_from(SyncCycle)) == 1  # the set-up's

    page.get_by_role("button", name="Force sync all").click()
    expect(page.get_by_test_id("engine-result")).to_contain_text(
        "1 connection(s) synced, 1 record change(s)."
    )
    expect(health.get_by_test_id("last-cycle")).to_contain_text("OK")
    expect(health.get_by_test_id("last-cycle")).to_contain_text("Forced sync")
    expect(health.get_by_test_id("pulled")).to_have_text("1")
    expect(health.get_by_test_id("pushed")).to_have_text("0")
    expect(health.get_by_test_id("failed")).to_have_text("0")
    assert _crm_phone(web, _record_of(web, key)) == "+47 99 88 77 66"

    # On: Sync all runs; a change in the CRM is pushed and counted.
    change_engine_status(web.hub, True)
    _crm_update(web, _record_of(web, key), phone="+47 11 22 33 44")
    page.reload()
    page.get_by_role("button", name="Sync all", exact=True).click()
    expect(page.get_by_test_id("engine-result")).to_contain_text(
        "1 connection(s) synced, 1 record change(s)."
    )
    expect(health.get_by_test_id("last-cycle")).to_contain_text("Scheduled sync")
    expect(health.get_by_test_id("pulled")).to_have_text("0")
    expect(health.get_by_test_id("pushed")).to_have_text("1")
    expect(page.get_by_test_id("engine-status")).to_contain_text("Last cycle finished")
    assert _erp_value(erp, key, "PHONE") == "+47 11 22 33 44"
    screenshot(page, "engine")


# --- resync ------------------------------------------------------------------------------------------


def test_resync_from_crm_asks_first_and_then_writes_the_crm_values_to_the_erp(
    page: Page, web: WebWorld, erp: DemoErpDatabase
) -> None:
    connection_id = _connect(web)
    key = _linked_customer(web, erp, connection_id, "Fjord Fisk AS", PHONE="+47 22 00 00 00")
    company_id = _record_of(web, key)
    # Changed in the ERP only: a normal sync would bring it into the CRM; a resync from the CRM undoes it.
    erp.update_actor("Customer", key, {"PHONE": "+47 99 99 99 99"})
    log_in(page, next_path="/settings/sync/engine")

    page.get_by_role("button", name="Resync Demo ERP").click()
    dialog = page.get_by_role("dialog", name="Resync Demo ERP")
    expect(dialog).to_contain_text("timestamps and last synced values are ignored")
    expect(dialog).to_contain_text("CRM → ERP")
    expect(dialog.get_by_label("The CRM (Resync from CRM)")).to_be_checked()
    expect(dialog.get_by_label("ERP keys")).to_be_disabled()  # only when resyncing from the ERP
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _erp_value(erp, key, "PHONE") == "+47 99 99 99 99"
    with web.db() as session:
        assert session.scalar(select(func.count()).select_from(SyncCycle)) == 1  # the set-up's only

    page.get_by_role("button", name="Resync Demo ERP").click()
    dialog.get_by_role("button", name="Yes, resync").click()
    expect(page.get_by_test_id("engine-result")).to_contain_text(
        "1 connection(s) synced, 1 record change(s)."
    )
    assert _erp_value(erp, key, "PHONE") == "+47 22 00 00 00"
    assert _crm_phone(web, company_id) == "+47 22 00 00 00"
    with web.db() as session:
        kinds = list(session.scalars(select(SyncCycle.kind).order_by(SyncCycle.id)))
    assert kinds[-1] == "resync_out"
    expect(page.get_by_test_id(f"health-{connection_id}")).to_contain_text("Resync from the CRM")


def test_resync_from_the_erp_of_chosen_actors_into_the_crm(
    page: Page, web: WebWorld, erp: DemoErpDatabase
) -> None:
    connection_id = _connect(web)
    key = _linked_customer(web, erp, connection_id, "Fjord Fisk AS", PHONE="+47 22 00 00 00")
    other = _linked_customer(web, erp, connection_id, "Nordlys AS", PHONE="+47 33 00 00 00")
    # Both changed in the ERP: only the actor named is resynced into the CRM.
    erp.update_actor("Customer", key, {"PHONE": "+47 11 11 11 11"})
    erp.update_actor("Customer", other, {"PHONE": "+47 44 44 44 44"})
    log_in(page, next_path="/settings/sync/engine")
    page.get_by_role("button", name="Resync Demo ERP").click()
    dialog = page.get_by_role("dialog", name="Resync Demo ERP")
    dialog.get_by_label("Demo ERP", exact=True).check()
    dialog.get_by_label("Only the records linked to these ERP actors").check()
    dialog.get_by_role("button", name="Yes, resync").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Enter at least one ERP key.")
    dialog.get_by_label("ERP actor type").select_option("Customer")
    dialog.get_by_label("ERP keys").fill(key)
    dialog.get_by_label("Never overwrite a value with a blank one").check()
    dialog.get_by_role("button", name="Yes, resync").click()
    expect(page.get_by_test_id("engine-result")).to_be_visible()
    assert _crm_phone(web, _record_of(web, key)) == "+47 11 11 11 11"
    assert _crm_phone(web, _record_of(web, other)) == "+47 33 00 00 00"
    with web.db() as session:
        kinds = list(session.scalars(select(SyncCycle.kind).order_by(SyncCycle.id)))
    assert kinds[-1] == "resync_in"


# --- the sync log ----------------------------------------------------------------------------------


def test_the_sync_log_shows_real_cycles_and_the_filters_narrow_it(
    page: Page, web: WebWorld, erp: DemoErpDatabase
) -> None:
    connection_id = _connect(web)
    keys = [
        erp.create_actor(
            "Customer", {"NAME": f"Kunde {n} AS", "PHONE": f"+47 22 00 00 0{n}", "POSTALCITY": "Bergen"}
        ).erp_key
        for n in range(6)
    ]
    assert run_cycle(web.hub, connection_id).state == "ok"
    # A conflict: both sides change the phone; the CRM's change is the later one and wins.
    erp.update_actor("Customer", keys[0], {"PHONE": "+47 10 10 10 10"})
    _crm_update(web, _record_of(web, keys[0]), phone="+47 20 20 20 20")
    _crm_update(web, _record_of(web, keys[1]), email="post@kunde1.no")
    assert run_cycle(web.hub, connection_id).state == "ok"
    with web.db() as session:
        total = session.scalar(select(func.count()).select_from(ErpSyncLog)) or 0
        to_erp = session.scalar(select(func.count()).where(ErpSyncLog.target_is_crm.is_(False))) or 0
        of_key = session.scalar(select(func.count()).where(ErpSyncLog.erp_key == keys[2])) or 0
    assert 25 < total <= 50

    log_in(page, next_path="/settings/sync/log")
    rows = page.get_by_test_id("log-row")
    expect(rows).to_have_count(total)
    expect(rows.filter(has_text="Link").first).to_contain_text("Kunde")

    page.get_by_label("Conflicts only").check()
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Conflict")
    expect(rows.first).to_contain_text("+47 10 10 10 10")  # the losing value
    expect(rows.first).to_contain_text("Kunde 0 AS")

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Direction").select_option(label="Into the ERP")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(to_erp)
    expect(rows.filter(has_text="post@kunde1.no")).to_have_count(1)

    page.get_by_label("Direction").select_option(label="Both directions")
    page.get_by_label("ERP key").fill(keys[2])
    page.get_by_label("Connection").select_option(label="Demo ERP")
    page.get_by_label("ERP actor type").select_option("Customer")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(of_key)
    for text in rows.all_inner_texts():
        assert f"Customer {keys[2]}" in text

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Text").fill("kunde1.no")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)

    page.get_by_label("Text").fill("")
    page.get_by_label("CRM record id").fill("twelve")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_label("CRM record id")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text("Enter the number of a CRM record, e.g. 12.")
    expect(rows).to_have_count(0)

    # Paging: 25 a page, newest first.
    page.get_by_label("CRM record id").fill("")
    page.get_by_label("Rows per page").select_option("25")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(25)
    page.get_by_role("link", name="Older").click()
    expect(rows).to_have_count(total - 25)
    expect(page.get_by_role("link", name="Older")).to_have_count(0)
    page.get_by_role("link", name="Newer").click()
    expect(rows).to_have_count(25)
    screenshot(page, "sync-log")


def test_get_sync_log_takes_the_filters_the_page_offers(web: WebWorld, erp: DemoErpDatabase) -> None:
    """The agent API's GetSyncLog filters by ERP actor type, direction and text, as the page does."""
    connection_id = _connect(web)
    key = _linked_customer(web, erp, connection_id, "Fjord Fisk AS", PHONE="+47 22 00 00 00")
    _crm_update(web, _record_of(web, key), email="post@fjord.no")
    assert run_cycle(web.hub, connection_id).state == "ok"
    login = {"username": "admin", "password": ADMIN_PASSWORD}
    token = httpx.post(f"{web.url}/api/v1/auth/token", json=login).json()["access_token"]

    def sync_log(status: int = 200, **body: Any) -> Any:
        reply = httpx.post(
            f"{web.url}/api/v1/Agents/ErpSync/GetSyncLog",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == status, reply.text
        return reply.json()

    assert [row["ErpFieldKey"] for row in sync_log(TargetIsCrm=False)] == ["EMAIL"]
    assert "PHONE" in {row["ErpFieldKey"] for row in sync_log(TargetIsCrm=True)}
    assert {row["ErpActorType"] for row in sync_log(ErpActorType="Customer")} == {"Customer"}
    assert sync_log(ErpActorType="Person") == []
    assert [row["NewValue"] for row in sync_log(Text="FJORD.no", Kind="change")] == ["post@fjord.no"]
    assert sync_log(Text="fjord_no") == []  # LIKE wildcards are plain characters
    assert sync_log(422, Text="a\x00")["error"] == "ValidationFailed"


# --- dead letters ----------------------------------------------------------------------------------


def test_a_dead_letter_is_shown_replayed_and_dropped(page: Page, web: WebWorld, erp: DemoErpDatabase) -> None:
    connection_id = _connect(web)
    fixed = _linked_customer(web, erp, connection_id, "Fjord Fisk AS")
    given_up = _linked_customer(web, erp, connection_id, "Nordlys AS")
    # Names the ERP refuses (it takes at most 120 characters): both records go to the dead letters.
    _crm_update(web, _record_of(web, fixed), name="F" * 200)
    _crm_update(web, _record_of(web, given_up), name="N" * 200)
    assert run_cycle(web.hub, connection_id).failed == 2

    log_in(page, next_path="/settings/sync/dead-letters")
    rows = page.get_by_test_id("letter-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("120")
    expect(rows.first).to_contain_text("Demo ERP")
    expect(rows.first.get_by_test_id("attempts")).to_have_text("1")

    page.get_by_role("button", name="Replay selected").click()
    expect(page.get_by_role("alert")).to_have_text("Select at least one dead letter first.")

    # Replayed while the value is still too long: it fails again, one attempt more.
    page.get_by_label(f"Select Customer {fixed}").check()
    page.get_by_role("button", name="Replay selected").click()
    expect(page.get_by_test_id("engine-result")).to_contain_text("1 record(s) sent to the dead letters")
    fixed_row = rows.filter(has=page.get_by_label(f"Select Customer {fixed}", exact=True))
    expect(fixed_row.get_by_test_id("attempts")).to_have_text("2")

    # Fixed in the CRM and replayed: it syncs and leaves the dead letters.
    _crm_update(web, _record_of(web, fixed), name="Fjord Fisk ASA")
    page.get_by_label(f"Select Customer {fixed}").check()
    page.get_by_role("button", name="Replay selected").click()
    expect(page.get_by_test_id("engine-result")).to_contain_text(
        "1 connection(s) synced, 1 record change(s)."
    )
    expect(rows).to_have_count(1)
    assert _erp_value(erp, fixed, "NAME") == "Fjord Fisk ASA"

    # Dropped, after a confirmation that can be cancelled.
    page.get_by_label("Select all").check()
    expect(page.get_by_label(f"Select Customer {given_up}")).to_be_checked()
    page.get_by_role("button", name="Drop selected").click()
    page.get_by_test_id("confirm-cancel").click()
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Drop selected").click()
    expect(page.get_by_role("dialog")).to_contain_text("Drop the selected dead letters?")
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("engine-result")).to_have_text("1 dead letter dropped.")
    expect(page.get_by_test_id("letters-empty")).to_be_visible()
    with web.db() as session:
        assert session.scalar(select(func.count()).select_from(SyncDeadLetter)) == 0
        dropped = session.scalar(select(ErpSyncLog).where(ErpSyncLog.kind == "dropped"))
    assert dropped is not None
    assert dropped.erp_key == given_up


# --- narrow screen ---------------------------------------------------------------------------------


def test_the_engine_page_fits_a_narrow_screen(page: Page, web: WebWorld, erp: DemoErpDatabase) -> None:
    connection_id = _connect(web)
    _linked_customer(web, erp, connection_id, "Fjord Fisk AS")
    log_in(page, next_path="/settings/sync/engine")
    with narrow(page):
        expect(page.get_by_role("button", name="Force sync all")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Resync Demo ERP").scroll_into_view_if_needed()
        page.get_by_role("button", name="Resync Demo ERP").click()
        dialog = page.get_by_role("dialog", name="Resync Demo ERP")
        expect(dialog.get_by_role("button", name="Yes, resync")).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        page.goto("/settings/sync/log")
        expect(page.get_by_test_id("log-row").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
