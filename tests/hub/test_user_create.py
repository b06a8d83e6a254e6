"""Create a new ERP actor from a CRM record and link it (reference §3.3, defaults of §2.7)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm import store
from erpsync.crm.catalogue import CrmActorType, CrmEntity
from erpsync.hub import connect, create
from erpsync.hub.errors import AccessDenied, InvalidInput, Refused
from erpsync.hub.links import link_of_record
from erpsync.hub.service import Hub
from erpsync.protocol import FieldAccess
from tests.hub.fixtures_user import CONNECTOR_SECRET, World, erp_actor, log_rows, user_world

CONTACT = CrmActorType.Contact


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path, fast_password_hashing: None
) -> Iterator[World]:
    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    with user_world(hub, tmp_path) as built:
        yield built


def _create(
    world: World,
    record: str,
    values: Mapping[str, str],
    user: str = "seller",
    crm_actor_type: CrmActorType = CONTACT,
    erp_actor_type: str = "Customer",
) -> create.CreateOutcome:
    with world.session() as session:
        return create.create_erp_actor_from_crm(
            world.hub,
            session,
            world.user_ids[user],
            world.connection_id,
            world.records[record],
            erp_actor_type,
            crm_actor_type,
            values,
        )


def test_the_create_dialog_asks_for_prompted_and_mandatory_fields(world: World) -> None:
    with world.session() as session:
        customer = create.fields_for_new_erp_actor(
            session, world.user_ids["seller"], world.connection_id, "Customer"
        )
        person = create.fields_for_new_erp_actor(
            session, world.user_ids["seller"], world.connection_id, "Person"
        )
        with pytest.raises(AccessDenied):
            create.fields_for_new_erp_actor(
                session, world.user_ids["connector"], world.connection_id, "Customer"
            )
    # NAME is mandatory for the ERP but filled from the CRM; PAYMENTTERMS is a fixed default.
    assert [(f.field_key, f.default_value, f.access) for f in customer] == [
        ("CREDITLIMIT", "[F:2500.0]", FieldAccess.Normal),
        ("CATEGORY", "", FieldAccess.Mandatory),
        ("DISCOUNT", "[I:0]", FieldAccess.Normal),
    ]
    assert person == []


def test_a_missing_mandatory_value_is_named_and_nothing_is_created(world: World) -> None:
    before = world.erp.count_actors()
    with pytest.raises(InvalidInput) as refused:
        _create(world, "unlinked", {"DISCOUNT": "[I:5]"})
    assert refused.value.errors == {"ErpFieldKeyValues.CATEGORY": "Customer category is mandatory"}
    assert "Customer category" in refused.value.message
    with pytest.raises(InvalidInput) as emptied:  # emptying a pre-filled mandatory value is the same
        _create(world, "unlinked", {"CATEGORY": ""})
    assert "ErpFieldKeyValues.CATEGORY" in emptied.value.errors
    assert world.erp.count_actors() == before
    assert log_rows(world) == []


def test_values_for_fields_not_asked_for_or_badly_encoded_are_refused(world: World) -> None:
    before = world.erp.count_actors()
    with pytest.raises(InvalidInput) as not_asked:
        _create(world, "unlinked", {"CATEGORY": "retail", "PAYMENTTERMS": "COD", "NOSUCHFIELD": "x"})
    assert set(not_asked.value.errors) == {"ErpFieldKeyValues.PAYMENTTERMS", "ErpFieldKeyValues.NOSUCHFIELD"}
    with pytest.raises(InvalidInput) as encoding:
        _create(world, "unlinked", {"CATEGORY": "retail", "DISCOUNT": "five", "CREDITLIMIT": "[F:x]"})
    assert set(encoding.value.errors) == {"ErpFieldKeyValues.DISCOUNT", "ErpFieldKeyValues.CREDITLIMIT"}
    assert world.erp.count_actors() == before


def test_creating_needs_can_create_erp(world: World) -> None:
    before = world.erp.count_actors()
    for user in ("connector", "viewer"):
        with pytest.raises(AccessDenied):
            _create(world, "unlinked", {"CATEGORY": "retail"}, user=user)
    assert world.erp.count_actors() == before


def test_the_new_actor_gets_mapped_values_defaults_and_prompted_values(world: World) -> None:
    outcome = _create(world, "unlinked", {"CATEGORY": "wholesale", "DISCOUNT": "[I:5]"})
    actor = erp_actor(world, "Customer", outcome.actor.erp_key)
    values = actor.field_values
    assert (values["NAME"], values["PHONE"]) == ("Fjord Fish AS", "+47 55 00 00 00")  # mapped from the CRM
    assert values["PAYMENTTERMS"] == "NET14"  # the administrator's fixed default
    assert values["CREDITLIMIT"] == "[F:2500.0]"  # pre-filled default, kept by the user
    assert (values["CATEGORY"], values["DISCOUNT"]) == ("wholesale", "[I:5]")  # typed by the user
    with world.session() as session:
        link = link_of_record(session, world.connection_id, CrmEntity.company, world.records["unlinked"])
        company = store.get(session, CrmEntity.company, world.records["unlinked"])
    assert link is not None
    assert link.erp_key == actor.erp_key
    assert link.last_modified == actor.last_modified
    assert link.base_values["NAME"] == "Fjord Fish AS"
    assert link.base_values["CUSTOMERNO"] == values["CUSTOMERNO"]
    # The ERP assigned the customer number and its default country (the CRM had none); both sync
    # towards the CRM, so the CRM has them at once.
    assert company is not None
    assert company["number"] == values["CUSTOMERNO"]
    assert values["COUNTRY"] == "NO"
    assert company["country"] == world.countries["Norway"]
    assert sorted(outcome.changed_in_crm) == ["country", "number"]
    sent = {r.erp_field_key: r.new_value for r in log_rows(world, kind="change", target_is_crm=False)}
    assert sent["CATEGORY"] == "wholesale"
    assert sent["PAYMENTTERMS"] == "NET14"
    assert sent["NAME"] == "Fjord Fish AS"
    assert [r.kind for r in log_rows(world, kind="link")] == ["link"]
    assert {r.source for r in log_rows(world)} == {"create"}
    with pytest.raises(Refused):  # linked now: not twice
        _create(world, "unlinked", {"CATEGORY": "wholesale"})


def test_a_person_is_created_under_its_companys_actor(world: World) -> None:
    with pytest.raises(Refused):
        _create(world, "lone", {}, crm_actor_type=CrmActorType.Person, erp_actor_type="Person")
    with world.session() as session:
        connect.create_actor_link(
            world.hub,
            session,
            world.user_ids["seller"],
            world.connection_id,
            world.records["nordic"],
            CONTACT,
            world.erp_keys["nordic"],
            "Customer",
        )
    outcome = _create(world, "per", {}, crm_actor_type=CrmActorType.Person, erp_actor_type="Person")
    actor = erp_actor(world, "Person", outcome.actor.erp_key)
    assert (actor.parent_actor_type, actor.parent_erp_key) == ("Customer", world.erp_keys["nordic"])
    assert (actor.field_values["FIRSTNAME"], actor.field_values["LASTNAME"]) == ("Per", "Hansen")


def test_a_crm_value_without_list_mapping_is_left_out_with_a_warning(world: World) -> None:
    with world.session() as session, session.begin():
        store.update(
            session,
            CrmEntity.company,
            world.records["unlinked"],
            {"country": world.countries["Denmark"]},
            "system",
        )
    outcome = _create(world, "unlinked", {"CATEGORY": "retail"})
    assert [w.split(" was")[0] for w in outcome.warnings] == ["Country"]
    with world.session() as session:
        company = store.get(session, CrmEntity.company, world.records["unlinked"])
        link = link_of_record(session, world.connection_id, CrmEntity.company, world.records["unlinked"])
    # The ERP used its own default country; the CRM keeps Denmark and the engine settles it later.
    assert company is not None
    assert company["country"] == world.countries["Denmark"]
    assert link is not None
    assert "COUNTRY" not in link.base_values
    assert [r.erp_field_key for r in log_rows(world, kind="warning")] == ["COUNTRY"]
