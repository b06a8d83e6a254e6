"""The ERP tab: sections per usable connection in priority order, live values in rank order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm.catalogue import CrmActorType
from erpsync.hub import connect, erp_tab
from erpsync.hub.errors import InvalidInput, NotFound
from erpsync.hub.service import Hub
from tests.hub.fixtures_user import CONNECTOR_SECRET, World, user_world


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path, fast_password_hashing: None
) -> Iterator[World]:
    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    with user_world(hub, tmp_path) as built:
        yield built


def _link_nordic(world: World) -> None:
    with world.session() as session:
        connect.create_actor_link(
            world.hub,
            session,
            world.user_ids["seller"],
            world.connection_id,
            world.records["nordic"],
            CrmActorType.Contact,
            world.erp_keys["nordic"],
            "Customer",
        )


def test_sections_follow_scope_and_sync_priority(world: World) -> None:
    _link_nordic(world)
    with world.session() as session:
        seller = erp_tab.connections_and_display_fields(
            session, world.user_ids["seller"], CrmActorType.Contact, world.records["nordic"]
        )
        outsider = erp_tab.connections_and_display_fields(
            session, world.user_ids["outsider"], CrmActorType.Contact, world.records["nordic"]
        )
    # The second connection is ranked first; the hidden one has no one in scope, the old one is inactive.
    assert [s.connection_id for s in seller] == [world.second_connection_id, world.connection_id]
    assert [s.connection_id for s in outsider] == [world.second_connection_id]
    main = seller[1]
    assert main.connected
    assert main.erp_key == world.erp_keys["nordic"]
    assert main.erp_actor_type == "Customer"
    assert main.erp_actor_types == ["Customer", "Supplier"]
    assert (main.can_connect, main.can_create_erp) == (True, True)
    # Show-in-ERP-tab fields in rank order; the password field is never shown.
    assert [f.field_key for f in main.erp_fields] == [
        "CURRENCY",
        "CUSTOMERNO",
        "CREDITSTOP",
        "CREDITLIMIT",
        "CREATED",
    ]
    assert [f.rank for f in main.erp_fields] == [1, 2, 3, 4, 5]
    assert not seller[0].connected
    assert seller[0].erp_fields == []
    assert seller[0].erp_key == ""


def test_person_and_project_sections(world: World) -> None:
    with world.session() as session:
        person = erp_tab.connections_and_display_fields(
            session, world.user_ids["connector"], CrmActorType.Person, world.records["kari"]
        )
        with pytest.raises(NotFound):
            erp_tab.connections_and_display_fields(
                session, world.user_ids["seller"], CrmActorType.Project, 999
            )
    assert [(s.connection_id, s.erp_actor_types) for s in person] == [(world.connection_id, ["Person"])]
    assert (person[0].can_connect, person[0].can_create_erp) == (True, False)


def test_values_are_live_in_the_order_asked_with_list_text(world: World) -> None:
    _link_nordic(world)
    keys = ["CREDITLIMIT", "CURRENCY", "CREDITSTOP", "CUSTOMERNO", "CREATED"]
    with world.session() as session:
        values = erp_tab.erp_field_values(
            world.hub,
            session,
            world.user_ids["viewer"],
            world.connection_id,
            CrmActorType.Contact,
            world.records["nordic"],
            keys,
        )
    created = world.erp.get_actor("Customer", world.erp_keys["nordic"])
    assert created is not None
    assert values[:4] == ["5000.0", "Euro", "Yes", created.field_values["CUSTOMERNO"]]
    assert values[4].startswith("20")
    assert "[DT:" not in values[4]
    # Live: a change made in the ERP shows at once.
    world.erp.update_actor("Customer", world.erp_keys["nordic"], {"CURRENCY": "SEK", "CREDITSTOP": "[I:0]"})
    with world.session() as session:
        again = erp_tab.erp_field_values(
            world.hub,
            session,
            world.user_ids["viewer"],
            world.connection_id,
            CrmActorType.Contact,
            world.records["nordic"],
            ["CREDITSTOP", "CURRENCY"],
        )
    assert again == ["No", "Swedish krona"]


def test_values_refuse_hidden_fields_and_unlinked_records(world: World) -> None:
    _link_nordic(world)
    seller = world.user_ids["seller"]
    with world.session() as session:
        with pytest.raises(InvalidInput) as refused:
            erp_tab.erp_field_values(
                world.hub,
                session,
                seller,
                world.connection_id,
                CrmActorType.Contact,
                world.records["nordic"],
                ["CURRENCY", "WEBSHOP_PASSWORD", "NAME"],
            )
        assert set(refused.value.errors) == {"FieldKeys.1", "FieldKeys.2"}
        with pytest.raises(NotFound):
            erp_tab.erp_field_values(
                world.hub,
                session,
                seller,
                world.connection_id,
                CrmActorType.Contact,
                world.records["unlinked"],
                ["CURRENCY"],
            )
        for outside in (world.hidden_connection_id, world.inactive_connection_id, 424242):
            with pytest.raises(NotFound):
                erp_tab.erp_field_values(
                    world.hub,
                    session,
                    seller,
                    outside,
                    CrmActorType.Contact,
                    world.records["nordic"],
                    ["NAME"],
                )
        with pytest.raises(NotFound):  # the outsider never learns the main connection exists
            erp_tab.erp_field_values(
                world.hub,
                session,
                world.user_ids["outsider"],
                world.connection_id,
                CrmActorType.Contact,
                world.records["nordic"],
                ["CURRENCY"],
            )


def test_connection_rank_parsing() -> None:
    assert erp_tab.parse_connection_rank("3;0;5; x;3;-1;") == [3, 5]
    assert erp_tab.parse_connection_rank("") == []
