"""The connect dialog's searches: simple, by parent, advanced (checked before the connector sees it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from erpsync.crm.catalogue import CrmActorType
from erpsync.hub import connect, searching
from erpsync.hub.errors import AccessDenied, InvalidInput, NotFound
from erpsync.hub.service import Hub
from erpsync.protocol import SearchRestriction
from tests.hub.fixtures_user import CONNECTOR_SECRET, World, user_world


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], tmp_path: Path, fast_password_hashing: None
) -> Iterator[World]:
    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    with user_world(hub, tmp_path) as built:
        yield built


def _search(
    world: World, text: str, user: str = "seller", limit: int = 50, actor_type: str = "Customer"
) -> Any:
    with world.session() as session:
        return searching.search_actors(
            world.hub, session, world.user_ids[user], world.connection_id, actor_type, text, limit
        )


def _advanced(world: World, *restrictions: tuple[str, str, list[str]]) -> searching.SearchResult:
    with world.session() as session:
        return searching.search_actors_advanced(
            world.hub,
            session,
            world.user_ids["seller"],
            world.connection_id,
            "Customer",
            [SearchRestriction(field_key=k, operator=op, values=v) for k, op, v in restrictions],
            50,
        )


def test_simple_search_shows_name_and_search_fields_as_text(world: World) -> None:
    result = _search(world, "nordic")
    # The name first, then the Show-in-search fields by rank; never the password field.
    assert [c.field_key for c in result.columns] == ["NAME", "CUSTOMERNO", "POSTALCITY", "COUNTRY"]
    [hit] = result.hits
    assert hit.erp_key == world.erp_keys["nordic"]
    assert hit.erp_actor_type == "Customer"
    assert hit.values[0] == "Nordic Tools"
    assert hit.values[3] == "Sweden"
    assert (hit.linked, hit.crm_record_id, result.more) == (False, None, False)


def test_blank_search_lists_all_and_flags_linked_hits(world: World) -> None:
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
    result = _search(world, "")
    assert [(h.erp_key, h.linked, h.crm_record_id) for h in result.hits] == [
        (world.erp_keys["nordic"], True, world.records["nordic"]),
        (world.erp_keys["other"], False, None),
    ]
    limited = _search(world, "", limit=1)
    assert len(limited.hits) == 1
    assert limited.more


def test_searching_needs_connect_or_create_permission(world: World) -> None:
    _search(world, "", user="connector")
    with pytest.raises(AccessDenied):
        _search(world, "", user="viewer")
    with pytest.raises(NotFound):
        _search(world, "", user="outsider")
    with pytest.raises(NotFound):  # the Project mapping is not active
        _search(world, "", actor_type="Project")


def test_advanced_search_with_operators(world: World) -> None:
    assert [h.erp_key for h in _advanced(world, ("POSTALCITY", "=", ["bergen"])).hits] == [
        world.erp_keys["other"]
    ]
    found = _advanced(world, ("CREDITLIMIT", ">=", ["[F:1000]"]), ("NAME", "BEGINS", ["nord"]))
    assert [h.erp_key for h in found.hits] == [world.erp_keys["nordic"]]
    assert [h.erp_key for h in _advanced(world, ("COUNTRY", "in", ["NO", "DK"])).hits] == [
        world.erp_keys["other"]
    ]


@pytest.mark.parametrize(
    ("restriction", "problem"),
    [
        (("VATNO", "=", ["NO"]), "is not a searchable field"),
        (("WEBSHOP_PASSWORD", "=", ["x"]), "is not a searchable field"),
        (("COUNTRY", "=", ["NO"]), "takes the operators oneof, notoneof"),
        (("CREDITLIMIT", ">", ["1000"]), "is not a number"),
        (("CREDITLIMIT", "between", ["[F:1]"]), "between takes two values"),
        (("CREATED", "after", [""]), "after needs a value"),
        (("ParentActorType", "=", ["Shop"]), "is not an actor type"),
    ],
)
def test_advanced_search_refuses_what_cannot_be_searched_before_calling_the_connector(
    world: World, monkeypatch: pytest.MonkeyPatch, restriction: tuple[str, str, list[str]], problem: str
) -> None:
    def no_call(*args: object) -> None:
        raise AssertionError("the connector must not be called")

    monkeypatch.setattr(searching, "connector_call", no_call)
    with pytest.raises(InvalidInput) as refused:
        _advanced(world, ("NAME", "contains", ["a"]), restriction)
    assert list(refused.value.errors) == ["Restrictions.1"]
    assert problem in refused.value.errors["Restrictions.1"]


def test_searchable_fields_come_from_the_discovery_cache(world: World) -> None:
    with world.session() as session:
        fields = searching.searchable_fields(
            session, world.user_ids["seller"], world.connection_id, "Customer"
        )
        assert searching.supports_advanced_search(
            session, world.user_ids["seller"], world.connection_id, "Person"
        )
    by_key = {f.field_key: f for f in fields}
    assert {"NAME", "COUNTRY", "CREDITLIMIT", "CREDITSTOP", "CREATED"} <= set(by_key)
    assert "VATNO" not in by_key
    assert by_key["COUNTRY"].operators == ("oneof", "notoneof")
    assert by_key["CREDITSTOP"].operators == ("=",)
    assert "beforeOrEqual" in by_key["CREATED"].operators
