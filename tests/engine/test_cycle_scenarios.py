"""The sync cycle against the demo connector over HTTP (ARCHITECTURE §3.3, reference §5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from erpsync.connectors.demo import DemoErpDatabase, database_path
from erpsync.crm.catalogue import CrmEntity
from erpsync.engine.models import SyncCursor, SyncDeadLetter, SyncFeedPosition
from erpsync.hub.models import ErpConnector, ErpLink
from tests.engine.fixtures import EngineWorld, engine_world
from tests.hub.fixtures_admin import FieldMap, demo_erp

C = CrmEntity.company
P = CrmEntity.person


@pytest.fixture
def world(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[EngineWorld]:
    with engine_world(session_factory, tmp_path) as built:
        built.add_connection("erp_a")
        yield built


def _customer(world: EngineWorld, erp: str = "erp_a", **values: str) -> tuple[str, int]:
    """An ERP customer, imported into the CRM by a cycle: (ErpKey, CRM company id)."""
    fields = {"NAME": "Fjord Fisk AS", "PHONE": "+47 22 00 00 00", "COUNTRY": "NO", **values}
    actor = world.erp(erp).create_actor("Customer", fields)
    report = world.sync(erp)
    assert report.state == "ok", report.message
    return actor.erp_key, world.record_of(erp, "Customer", actor.erp_key)


def test_auto_import_brings_new_erp_actors_with_links_and_translated_lists(world: EngineWorld) -> None:
    key, company_id = _customer(world, POSTALCITY="Bergen", COUNTRY="SE")
    record = world.crm(C, company_id)
    assert record["name"] == "Fjord Fisk AS"
    assert record["postal_city"] == "Bergen"
    assert record["country"] == world.country("Sweden")
    link = world.link("erp_a", "Customer", key)
    assert link is not None
    assert link.last_modified == world.actor("erp_a", "Customer", key).last_modified
    assert link.base_values["COUNTRY"] == "SE"


def test_edits_on_each_side_travel_only_in_their_directions(world: EngineWorld) -> None:
    key, company_id = _customer(world)
    erp = world.erp("erp_a")
    # ERP side: NAME (both ways) and POSTALCITY (to CRM only) arrive; EMAIL (to ERP only) does not.
    erp.update_actor(
        "Customer", key, {"NAME": "Fjord Fisk ASA", "POSTALCITY": "Oslo", "EMAIL": "erp@fisk.no"}
    )
    # CRM side: PHONE (both) and EMAIL (to ERP) go out; postal city (to CRM only) does not.
    world.crm_update(C, company_id, phone="+47 99 99 99 99", email="crm@fisk.no")
    report = world.sync("erp_a")
    assert report.state == "ok", report.message
    record = world.crm(C, company_id)
    actor = world.actor("erp_a", "Customer", key)
    assert actor is not None
    assert record["name"] == "Fjord Fisk ASA"
    assert record["postal_city"] == "Oslo"
    assert record["email"] == "crm@fisk.no"
    assert actor.field_values["PHONE"] == "+47 99 99 99 99"
    assert actor.field_values["EMAIL"] == "crm@fisk.no"
    world.crm_update(C, company_id, postal_city="Trondheim")
    world.sync("erp_a")
    assert world.actor("erp_a", "Customer", key).field_values["POSTALCITY"] == "Oslo"
    changes = world.log("erp_a", kind="change", crm_record_id=company_id)
    assert {(c.erp_field_key, c.target_is_crm) for c in changes} >= {
        ("NAME", True),
        ("POSTALCITY", True),
        ("PHONE", False),
        ("EMAIL", False),
    }


def test_a_quiet_second_cycle_changes_nothing(world: EngineWorld) -> None:
    key, company_id = _customer(world)
    world.crm_update(C, company_id, phone="+47 11 11 11 11")
    world.sync("erp_a")
    before = len(world.log("erp_a"))
    last_modified = world.actor("erp_a", "Customer", key).last_modified
    report = world.sync("erp_a")
    assert (report.pulled, report.pushed, report.failed) == (0, 0, 0)
    assert len(world.log("erp_a")) == before
    assert world.actor("erp_a", "Customer", key).last_modified == last_modified


@pytest.mark.parametrize(
    ("policy", "winner"),
    [("erp", "erp"), ("crm", "crm"), ("newest", "crm")],
)
def test_conflict_resolved_by_policy_with_the_loser_logged(
    world: EngineWorld, policy: str, winner: str
) -> None:
    key, company_id = _customer(world)
    world.set_connection("erp_a", conflict_policy=policy)
    world.erp("erp_a").update_actor("Customer", key, {"PHONE": "+47 10 10 10 10"})
    world.crm_update(C, company_id, phone="+47 20 20 20 20")  # later: newest picks the CRM
    world.sync("erp_a")
    expected = "+47 10 10 10 10" if winner == "erp" else "+47 20 20 20 20"
    losing = "+47 20 20 20 20" if winner == "erp" else "+47 10 10 10 10"
    assert world.crm(C, company_id)["phone"] == expected
    assert world.actor("erp_a", "Customer", key).field_values["PHONE"] == expected
    conflicts = world.log("erp_a", kind="conflict")
    assert len(conflicts) == 1
    assert conflicts[0].erp_field_key == "PHONE"
    assert conflicts[0].old_value == losing
    assert conflicts[0].new_value == expected
    assert conflicts[0].target_is_crm is (winner == "erp")


def test_newest_policy_picks_the_later_erp_change(world: EngineWorld) -> None:
    key, company_id = _customer(world)
    world.crm_update(C, company_id, phone="+47 20 20 20 20")
    world.erp("erp_a").update_actor("Customer", key, {"PHONE": "+47 10 10 10 10"})  # later
    world.sync("erp_a")
    assert world.crm(C, company_id)["phone"] == "+47 10 10 10 10"
    assert [c.old_value for c in world.log("erp_a", kind="conflict")] == ["+47 20 20 20 20"]


def test_list_values_translate_both_ways_and_unmapped_items_are_skipped_with_a_warning(
    world: EngineWorld,
) -> None:
    key, company_id = _customer(world, COUNTRY="NO")
    world.crm_update(C, company_id, country=world.country("Denmark"))
    world.sync("erp_a")
    assert world.actor("erp_a", "Customer", key).field_values["COUNTRY"] == "DK"
    # An ERP list item nobody mapped: the field is skipped, the rest still syncs.
    world.erp("erp_a").add_list_item("countries", "XX", "Atlantis")
    world.erp("erp_a").update_actor("Customer", key, {"COUNTRY": "XX", "NAME": "Atlantis Fisk"})
    world.sync("erp_a")
    record = world.crm(C, company_id)
    assert record["country"] == world.country("Denmark")
    assert record["name"] == "Atlantis Fisk"
    warnings = world.log("erp_a", kind="warning", erp_field_key="COUNTRY")
    assert warnings
    assert "XX" in warnings[-1].message


def test_person_under_an_unlinked_company_is_skipped_and_logged(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with engine_world(session_factory, tmp_path) as world:
        world.add_connection("erp_b", auto_import=False)
        erp = world.erp("erp_b")
        customer = erp.create_actor("Customer", {"NAME": "Unlinked AS"})
        # Persons are auto-imported; their company is not linked (Customer auto-import is off).
        from erpsync.hub.models import ErpActorTypeMapping

        with world.hub.session() as session:
            session.execute(
                update(ErpActorTypeMapping)
                .where(ErpActorTypeMapping.erp_actor_type == "Person")
                .values(auto_import=True)
            )
        person = erp.create_actor(
            "Person", {"FIRSTNAME": "Kari", "LASTNAME": "Nordmann"}, "Customer", customer.erp_key
        )
        report = world.sync("erp_b")
        assert report.state == "ok"
        assert world.link("erp_b", "Person", person.erp_key) is None
        warnings = world.log("erp_b", kind="warning", erp_key=person.erp_key)
        assert warnings
        assert "company not linked" in warnings[0].message


def test_a_change_from_one_connection_reaches_the_other_and_never_echoes_back(
    world: EngineWorld,
) -> None:
    # Only one connection may write a CRM field: B receives the CRM's values.
    outbound = {key: FieldMap(to_crm=False) for key in ("NAME", "PHONE", "COUNTRY")}
    world.add_connection("erp_b", fields={"Customer": outbound}, auto_import=False)
    key_a, company_id = _customer(world, "erp_a")
    # The same company in ERP B, linked to the same CRM record.
    actor_b = world.erp("erp_b").create_actor(
        "Customer", {"NAME": "Fjord Fisk AS", "PHONE": "+47 22 00 00 00"}
    )
    with world.hub.session() as session:
        from erpsync.hub.links import bind
        from erpsync.hub.models import ErpConnection

        connection = session.get(ErpConnection, world.connections["erp_b"])
        assert connection is not None
        bind(
            session,
            connection,
            C,
            company_id,
            "Customer",
            actor_b.erp_key,
            actor_b.last_modified,
            {"NAME": "Fjord Fisk AS", "PHONE": "+47 22 00 00 00", "COUNTRY": "NO"},
        )
    world.sync("erp_b")  # nothing to do yet
    world.erp("erp_a").update_actor("Customer", key_a, {"PHONE": "+47 33 33 33 33"})
    world.sync("erp_a")  # A → CRM
    a_after_pull = world.actor("erp_a", "Customer", key_a)
    assert world.crm(C, company_id)["phone"] == "+47 33 33 33 33"
    world.sync("erp_b")  # CRM → B
    assert world.actor("erp_b", "Customer", actor_b.erp_key).field_values["PHONE"] == "+47 33 33 33 33"
    world.sync("erp_a")  # nothing goes back to A
    assert world.actor("erp_a", "Customer", key_a).last_modified == a_after_pull.last_modified
    assert not world.log("erp_a", kind="change", target_is_crm=False)


def test_a_thousand_actors_sharing_one_last_modified_each_arrive_exactly_once(world: EngineWorld) -> None:
    world.set_connection("erp_a", max_page_size=300)  # pages split the group of equal timestamps
    erp = world.erp("erp_a")
    from erpsync.protocol import ErpActor

    created = erp.create_actors(
        [ErpActor(actor_type="Customer", field_values={"NAME": f"Firma {n}"}) for n in range(1000)]
    )
    keys = [a.erp_key for a in created if isinstance(a, ErpActor)]
    assert len(keys) == 1000
    assert len({a.last_modified for a in created if isinstance(a, ErpActor)}) == 1
    world.sync("erp_a")
    updated = erp.update_actors(
        [
            ErpActor(actor_type="Customer", erp_key=key, field_values={"PHONE": f"+47 {n:08d}"})
            for n, key in enumerate(keys)
        ]
    )
    assert len({a.last_modified for a in updated if isinstance(a, ErpActor)}) == 1
    report = world.sync("erp_a")
    assert report.pulled == 1000
    assert len(world.log("erp_a", kind="change", erp_field_key="PHONE")) == 1000
    with world.session() as session:
        links = {link.erp_key: link.crm_record_id for link in session.scalars(select(ErpLink))}
    for _n, key in enumerate(keys[::97]):
        assert world.crm(C, links[key])["phone"] == f"+47 {keys.index(key):08d}"
    again = world.sync("erp_a")
    assert (again.pulled, again.pushed) == (0, 0)
    assert len(world.log("erp_a", kind="change", erp_field_key="PHONE")) == 1000


def test_deletes_remove_links_and_never_delete_from_the_other_side(world: EngineWorld) -> None:
    key, company_id = _customer(world)
    key2, company_id2 = _customer(world, NAME="Second AS")
    world.erp("erp_a").delete_actor("Customer", key)
    world.sync("erp_a")
    link = world.link("erp_a", "Customer", key)
    assert link is not None
    assert link.state == "deleted_in_erp"
    assert world.crm(C, company_id)["name"] == "Fjord Fisk AS"
    with world.hub.session() as session:
        from erpsync.crm import store
        from erpsync.crm.journal import user_origin

        store.delete(session, C, company_id2, user_origin(1))
    world.sync("erp_a")
    assert world.link("erp_a", "Customer", key2) is None
    assert world.actor("erp_a", "Customer", key2) is not None
    assert world.log("erp_a", kind="unlink", erp_key=key2)


def test_an_actor_the_erp_refuses_goes_to_the_dead_letters_and_is_retried(world: EngineWorld) -> None:
    key, company_id = _customer(world)
    world.crm_update(C, company_id, name="N" * 200)  # the ERP takes at most 120 characters
    report = world.sync("erp_a")
    assert report.state == "ok"
    assert report.failed == 1
    with world.session() as session:
        letter = session.scalar(select(SyncDeadLetter))
    assert letter is not None
    assert letter.erp_key == key
    assert "120" in letter.reason
    assert letter.attempts == 1
    assert world.actor("erp_a", "Customer", key).field_values["NAME"] == "Fjord Fisk AS"
    # The CRM value is fixed; the retry (made due now) reconciles the link and clears the letter.
    world.crm_update(C, company_id, name="Short AS")
    with world.hub.session() as session:
        from erpsync.crm.db import utcnow

        session.execute(update(SyncDeadLetter).values(next_attempt_at=utcnow()))
    world.sync("erp_a")
    assert world.actor("erp_a", "Customer", key).field_values["NAME"] == "Short AS"
    with world.session() as session:
        assert session.scalar(select(SyncDeadLetter)) is None


def test_a_connection_failure_skips_the_cycle_and_keeps_watermark_and_cursor(world: EngineWorld) -> None:
    key, company_id = _customer(world)
    world.crm_update(C, company_id, phone="+47 44 44 44 44")
    with world.session() as session:
        before = [(p.erp_actor_type, p.watermark) for p in session.scalars(select(SyncFeedPosition))]
        cursor = session.scalar(select(SyncCursor.journal_seq))
    with world.hub.session() as session:
        session.execute(update(ErpConnector).values(url="http://127.0.0.1:9/connectors/demo"))
    report = world.sync("erp_a")
    assert report.state == "failed"
    assert report.message
    with world.session() as session:
        assert [(p.erp_actor_type, p.watermark) for p in session.scalars(select(SyncFeedPosition))] == before
        assert session.scalar(select(SyncCursor.journal_seq)) == cursor
    assert world.log("erp_a", kind="error")
    with world.hub.session() as session:
        session.execute(update(ErpConnector).values(url=world.connector_url))
    assert world.sync("erp_a").state == "ok"
    assert world.actor("erp_a", "Customer", key).field_values["PHONE"] == "+47 44 44 44 44"


def test_a_connector_that_lost_the_connection_info_gets_it_again_and_the_cycle_goes_on(
    world: EngineWorld, tmp_path: Path
) -> None:
    """A restarted connector host without its config store answers ConnectionInfoMissing; the hub
    re-sends the stored config (SaveConnection) and retries, and the cycle succeeds."""
    _customer(world)
    with demo_erp(tmp_path / "fresh-host", database="erp_a") as fresh:
        with world.hub.session() as session:
            session.execute(update(ErpConnector).values(url=fresh.url))
        fresh_db = DemoErpDatabase(database_path(fresh.data_dir, "erp_a"), create=False)
        try:
            actor = fresh_db.create_actor("Customer", {"NAME": "After Restart AS"})
        finally:
            fresh_db.close()
        report = world.sync("erp_a")
        assert report.state == "ok", report.message
        assert world.link("erp_a", "Customer", actor.erp_key) is not None
        assert not world.log("erp_a", kind="error")
