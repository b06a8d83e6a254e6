"""Connect a CRM record to an existing ERP actor, link it bare, disconnect it (reference §3.2, §3.4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm import store
from erpsync.crm.catalogue import CrmActorType, CrmEntity
from erpsync.crm.journal import connection_origin, journal_after, last_journal_seq
from erpsync.hub import connect, searching
from erpsync.hub.connect import FieldChoice
from erpsync.hub.errors import AccessDenied, ConnectorFailed, InvalidInput, NotFound, Refused
from erpsync.hub.field_values import Source
from erpsync.hub.links import link_of_record, links_of_record
from erpsync.hub.models import ErpLink
from erpsync.hub.service import Hub
from tests.hub.fixtures_user import CONNECTOR_SECRET, World, erp_actor, log_rows, user_world

CONTACT = CrmActorType.Contact


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path, fast_password_hashing: None
) -> Iterator[World]:
    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    with user_world(hub, tmp_path) as built:
        yield built


def _connect(
    world: World,
    record: str,
    erp_key: str,
    *choices: FieldChoice,
    user: str = "seller",
    crm_actor_type: CrmActorType = CONTACT,
    erp_actor_type: str = "Customer",
) -> connect.ConnectOutcome:
    with world.session() as session:
        return connect.connect_actor(
            world.hub,
            session,
            world.user_ids[user],
            world.connection_id,
            world.records[record],
            crm_actor_type,
            world.erp_keys.get(erp_key, erp_key),
            erp_actor_type,
            choices,
        )


def _company(world: World, name: str) -> store.Record:
    with world.session() as session:
        record = store.get(session, CrmEntity.company, world.records[name])
    assert record is not None
    return record


def _link(world: World, entity: CrmEntity, record: str) -> ErpLink | None:
    with world.session() as session:
        return link_of_record(session, world.connection_id, entity, world.records[record])


def test_conflict_dialog_lists_differing_fields_and_who_may_win(world: World) -> None:
    with world.session() as session:
        conflicts = connect.connect_conflicts(
            world.hub,
            session,
            world.user_ids["seller"],
            world.connection_id,
            world.records["nordic"],
            CONTACT,
            world.erp_keys["nordic"],
            "Customer",
        )
    by_key = {c.view.erp_field_key: c for c in conflicts}
    assert sorted(by_key) == ["COUNTRY", "CUSTOMERNO", "EMAIL", "NAME", "PHONE"]  # VATNO is equal
    assert (by_key["NAME"].can_choose_crm, by_key["NAME"].can_choose_erp) == (True, True)
    assert (by_key["EMAIL"].can_choose_crm, by_key["EMAIL"].can_choose_erp) == (True, False)
    assert (by_key["CUSTOMERNO"].can_choose_crm, by_key["CUSTOMERNO"].can_choose_erp) == (False, True)
    assert by_key["EMAIL"].default_source is Source.crm
    assert by_key["NAME"].default_source is Source.erp
    country = by_key["COUNTRY"]
    assert (country.crm_display_value, country.erp_display_value, country.erp_value) == (
        "Norway",
        "Sweden",
        "SE",
    )


def test_connect_writes_the_chosen_value_of_each_field_to_both_sides(world: World) -> None:
    with world.session() as session:
        journal_start = last_journal_seq(session)
    outcome = _connect(
        world,
        "nordic",
        "nordic",
        FieldChoice(Source.crm, erp_field_key="NAME"),
        FieldChoice(Source.erp, crm_field_key="phone"),
        FieldChoice(Source.crm, erp_field_key="COUNTRY", crm_field_key="country"),
    )
    # EMAIL syncs CRM → ERP only and CUSTOMERNO ERP → CRM only: each takes its source's value.
    actor = erp_actor(world, "Customer", world.erp_keys["nordic"])
    customer_no = actor.field_values["CUSTOMERNO"]
    company = _company(world, "nordic")
    assert company["name"] == "Nordic Tools AS" == actor.field_values["NAME"]
    assert company["phone"] == "+47 22 00 00 02" == actor.field_values["PHONE"]
    assert company["country"] == world.countries["Norway"]
    assert actor.field_values["COUNTRY"] == "NO"
    assert company["email"] == "post@nordic.test" == actor.field_values["EMAIL"]
    assert company["number"] == customer_no
    assert actor.field_values["VATNO"] == company["vat_no"]
    assert sorted(outcome.changed_in_crm) == ["number", "phone"]
    assert sorted(outcome.changed_in_erp) == ["COUNTRY", "EMAIL", "NAME"]
    # The link: the actor's new LastModified and the agreed values as base.
    link = _link(world, CrmEntity.company, "nordic")
    assert link is not None
    assert link.erp_key == world.erp_keys["nordic"]
    assert link.erp_actor_type == "Customer"
    assert link.last_modified == actor.last_modified
    assert link.base_values == {
        "NAME": "Nordic Tools AS",
        "PHONE": "+47 22 00 00 02",
        "VATNO": "NO 999 888 777",
        "EMAIL": "post@nordic.test",
        "COUNTRY": "NO",
        "CUSTOMERNO": customer_no,
    }
    # The CRM writes come from the connection, so the engine will not echo them back.
    with world.session() as session:
        journal = journal_after(session, journal_start)
    assert [(e.record_id, sorted(e.changed_fields), e.origin) for e in journal] == [
        (world.records["nordic"], ["number", "phone"], connection_origin(world.connection_id))
    ]
    changes = {
        (r.erp_field_key, r.target_is_crm, r.old_value, r.new_value) for r in log_rows(world, kind="change")
    }
    assert changes == {
        ("PHONE", True, "+47 22 00 00 01", "+47 22 00 00 02"),
        ("CUSTOMERNO", True, "", customer_no),
        ("NAME", False, "Nordic Tools", "Nordic Tools AS"),
        ("COUNTRY", False, "SE", "NO"),
        ("EMAIL", False, "invoice@nordic.test", "post@nordic.test"),
    }
    assert {r.source for r in log_rows(world)} == {"connect"}
    [linked] = log_rows(world, kind="link")
    assert (linked.crm_record_id, linked.erp_key) == (world.records["nordic"], world.erp_keys["nordic"])


def test_connect_needs_scope_and_can_connect(world: World) -> None:
    with pytest.raises(NotFound):
        _connect(world, "nordic", "nordic", user="outsider")
    with pytest.raises(AccessDenied):
        _connect(world, "nordic", "nordic", user="viewer")
    assert _link(world, CrmEntity.company, "nordic") is None
    _connect(world, "nordic", "nordic", user="connector")  # CanConnect without CanCreateERP is enough
    assert _link(world, CrmEntity.company, "nordic") is not None


def test_a_second_link_of_the_record_or_the_actor_is_refused(world: World) -> None:
    _connect(world, "nordic", "nordic")
    with pytest.raises(Refused):
        _connect(world, "nordic", "other")
    with pytest.raises(Refused):
        _connect(world, "unlinked", "nordic")
    with pytest.raises(Refused), world.session() as session:  # also as a Supplier of the same record
        connect.create_actor_link(
            world.hub,
            session,
            world.user_ids["seller"],
            world.connection_id,
            world.records["nordic"],
            CONTACT,
            world.erp_keys["other"],
            "Supplier",
        )
    with world.session() as session:
        assert len(links_of_record(session, CrmEntity.company, world.records["unlinked"])) == 0


def test_a_choice_the_directions_forbid_changes_nothing(world: World) -> None:
    before = erp_actor(world, "Customer", world.erp_keys["nordic"])
    with pytest.raises(InvalidInput) as refused:
        _connect(world, "nordic", "nordic", FieldChoice(Source.erp, erp_field_key="EMAIL"))
    assert "FieldValues.EMAIL" in refused.value.errors
    with pytest.raises(InvalidInput):
        _connect(world, "nordic", "nordic", FieldChoice(Source.erp, crm_field_key="fax"))
    assert erp_actor(world, "Customer", world.erp_keys["nordic"]) == before
    assert _company(world, "nordic")["phone"] == "+47 22 00 00 01"
    assert log_rows(world) == []


def test_unknown_erp_key_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        _connect(world, "nordic", "987654")


def test_a_failed_save_in_the_erp_leaves_nothing_written(world: World) -> None:
    long_name = "Nordic Tools " + "x" * 130  # the CRM takes 200 characters, the ERP only 120
    with world.session() as session, session.begin():
        store.update(session, CrmEntity.company, world.records["nordic"], {"name": long_name}, "system")
    before = erp_actor(world, "Customer", world.erp_keys["nordic"])
    with pytest.raises(InvalidInput, match=r"The ERP refused the values: .*Name is longer than 120"):
        _connect(
            world,
            "nordic",
            "nordic",
            FieldChoice(Source.crm, erp_field_key="NAME"),
            FieldChoice(Source.erp, erp_field_key="PHONE"),
        )
    company = _company(world, "nordic")
    assert (company["name"], company["phone"], company["number"]) == (long_name, "+47 22 00 00 01", None)
    assert _link(world, CrmEntity.company, "nordic") is None
    assert erp_actor(world, "Customer", world.erp_keys["nordic"]) == before
    assert log_rows(world) == []


def test_a_connector_failure_while_saving_leaves_nothing_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(what: str, send: object) -> None:
        raise ConnectorFailed(f"{what} failed: the connector could not be reached")

    monkeypatch.setattr(connect, "connector_call", unavailable)  # SaveActors only; GetActors still works
    with pytest.raises(ConnectorFailed, match="SaveActors failed"):
        _connect(world, "nordic", "nordic", FieldChoice(Source.erp, erp_field_key="PHONE"))
    assert _company(world, "nordic")["phone"] == "+47 22 00 00 01"
    assert _link(world, CrmEntity.company, "nordic") is None
    assert log_rows(world) == []


def test_an_untranslatable_default_is_left_to_the_engine_with_a_warning(world: World) -> None:
    world.erp.update_actor("Customer", world.erp_keys["nordic"], {"COUNTRY": "DK"})  # no list mapping
    outcome = _connect(world, "nordic", "nordic")
    assert [w.split(":")[0] for w in outcome.warnings] == ["Country"]
    link = _link(world, CrmEntity.company, "nordic")
    assert link is not None
    assert "COUNTRY" not in link.base_values
    assert _company(world, "nordic")["country"] == world.countries["Norway"]
    assert erp_actor(world, "Customer", world.erp_keys["nordic"]).field_values["COUNTRY"] == "DK"
    [warning] = log_rows(world, kind="warning")
    assert warning.erp_field_key == "COUNTRY"
    world.erp.update_actor("Customer", world.erp_keys["other"], {"COUNTRY": "DK"})
    with pytest.raises(InvalidInput) as refused:  # chosen explicitly, it is refused instead
        _connect(world, "unlinked", "other", FieldChoice(Source.erp, erp_field_key="COUNTRY"))
    assert "no CRM list mapping" in refused.value.errors["FieldValues.COUNTRY"]


def test_a_person_connects_only_under_its_linked_company(world: World) -> None:
    person = {"crm_actor_type": CrmActorType.Person, "erp_actor_type": "Person"}
    with pytest.raises(Refused):
        _connect(world, "kari", "kari", **person)  # type: ignore[arg-type]
    with world.session() as session, pytest.raises(Refused):
        searching.search_actor_by_parent(
            world.hub,
            session,
            world.user_ids["seller"],
            world.connection_id,
            "Person",
            "kari",
            CrmActorType.Person,
            world.records["kari"],
            50,
        )
    _connect(world, "nordic", "nordic")
    with world.session() as session:
        found = searching.search_actor_by_parent(
            world.hub,
            session,
            world.user_ids["seller"],
            world.connection_id,
            "Person",
            "kari",
            CrmActorType.Person,
            world.records["kari"],
            50,
        )
    assert [hit.erp_key for hit in found.hits] == [world.erp_keys["kari"]]  # not the Kari of another customer
    with pytest.raises(Refused):
        _connect(world, "per", "stranger", **person)  # type: ignore[arg-type]
    outcome = _connect(world, "kari", "kari", FieldChoice(Source.crm, crm_field_key="email"), **person)  # type: ignore[arg-type]
    assert outcome.changed_in_erp == ["EMAIL"]
    actor = erp_actor(world, "Person", world.erp_keys["kari"])
    assert (actor.parent_actor_type, actor.parent_erp_key) == ("Customer", world.erp_keys["nordic"])
    assert actor.field_values["EMAIL"] == "kari@nordic.test"


def test_a_bare_link_exchanges_no_values(world: World) -> None:
    before = erp_actor(world, "Customer", world.erp_keys["nordic"])
    with world.session() as session:
        link = connect.create_actor_link(
            world.hub,
            session,
            world.user_ids["connector"],
            world.connection_id,
            world.records["nordic"],
            CONTACT,
            world.erp_keys["nordic"],
            "Customer",
        )
    assert erp_actor(world, "Customer", world.erp_keys["nordic"]) == before
    assert _company(world, "nordic")["phone"] == "+47 22 00 00 01"
    assert link.last_modified == before.last_modified
    assert link.base_values["PHONE"] == "+47 22 00 00 02"
    assert link.base_values["COUNTRY"] == "SE"
    assert [r.kind for r in log_rows(world)] == ["link"]


def test_disconnecting_a_company_disconnects_its_persons_and_keeps_the_erp(world: World) -> None:
    _connect(world, "nordic", "nordic")
    _connect(world, "kari", "kari", crm_actor_type=CrmActorType.Person, erp_actor_type="Person")
    with world.session() as session, pytest.raises(AccessDenied):
        connect.break_actor_link(
            session, world.user_ids["viewer"], world.connection_id, world.records["nordic"], CONTACT
        )
    with world.session() as session:
        broken = connect.break_actor_link(
            session, world.user_ids["seller"], world.connection_id, world.records["nordic"], CONTACT
        )
    assert broken is True
    assert _link(world, CrmEntity.company, "nordic") is None
    assert _link(world, CrmEntity.person, "kari") is None
    unlinks = log_rows(world, kind="unlink")
    assert [(r.crm_entity, r.crm_record_id) for r in unlinks] == [
        ("person", world.records["kari"]),
        ("company", world.records["nordic"]),
    ]
    assert world.erp.get_actor("Customer", world.erp_keys["nordic"]) is not None
    assert world.erp.get_actor("Person", world.erp_keys["kari"]) is not None
    with world.session() as session:
        again = connect.break_actor_link(
            session, world.user_ids["seller"], world.connection_id, world.records["nordic"], CONTACT
        )
        assert session.scalars(select(ErpLink)).all() == []
    assert again is False
