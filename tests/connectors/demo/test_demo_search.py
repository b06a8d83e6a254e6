"""SearchActors, SearchActorByParent, SearchActorsAdvanced and the IncludeInactive setting."""

from __future__ import annotations

import pytest

from erpsync.connectors.demo import DemoConnector, DemoErpDatabase
from erpsync.protocol import ErpActor, SearchRestriction
from erpsync.sdk.errors import InvalidValue, UnknownActorType, UnknownField

from .conftest import connect


@pytest.fixture
def keys(db: DemoErpDatabase) -> dict[str, str]:
    """A small ERP: three customers (one inactive), a supplier, persons under both, a project."""
    made = {
        "fjord": db.create_actor(
            "Customer",
            {
                "NAME": "Fjord Fisk AS",
                "EMAIL": "post@fjordfisk.no",
                "POSTALCITY": "Bergen",
                "COUNTRY": "NO",
                "CATEGORY": "wholesale",
                "CREDITLIMIT": "[F:50000.0]",
                "DISCOUNT": "[I:10]",
                "CREATED": "[DT:03/15/2021 09:30:00.0000000]",
            },
        ),
        "nordlys": db.create_actor(
            "Customer",
            {
                "NAME": "Nordlys Data AS",
                "EMAIL": "hei@nordlys.no",
                "POSTALCITY": "Tromsø",
                "COUNTRY": "NO",
                "CATEGORY": "retail",
                "CREDITLIMIT": "[F:5000.0]",
                "CREDITSTOP": "[I:1]",
                "CREATED": "[DT:11/01/2023 12:00:00.0000000]",
            },
        ),
        "gamle": db.create_actor(
            "Customer", {"NAME": "Gamle Fjord Handel AS", "INACTIVE": "[I:1]", "COUNTRY": "SE"}
        ),
        "lager": db.create_actor("Supplier", {"NAME": "Lager & Logistikk AS", "LEADTIME": "[I:14]"}),
        "project": db.create_actor("Project", {"NAME": "Fjord bridge", "BUDGET": "[F:1000000.0]"}),
    }
    ids = {name: actor.erp_key for name, actor in made.items()}
    for first, last, parent in [
        ("Kari", "Nordmann", "fjord"),
        ("Ola", "Nordmann", "fjord"),
        ("Per", "Hansen", "nordlys"),
    ]:
        person = db.create_actor("Person", {"FIRSTNAME": first, "LASTNAME": last}, "Customer", ids[parent])
        ids[f"{first.lower()}"] = person.erp_key
    ids["lise"] = db.create_actor(
        "Person", {"FIRSTNAME": "Lise", "LASTNAME": "Nordmann", "INACTIVE": "[I:1]"}, "Customer", ids["fjord"]
    ).erp_key
    ids["sven"] = db.create_actor("Person", {"LASTNAME": "Svensson"}, "Supplier", ids["lager"]).erp_key
    return ids


def names(actors: list[ErpActor]) -> list[str]:
    return [a.erp_key for a in actors]


def test_free_text_search(connector: DemoConnector, guid: str, keys: dict[str, str]) -> None:
    def search(text: str) -> list[str]:
        return names(connector.search_actors(guid, "Customer", text, []))

    assert search("fjord") == [keys["fjord"]]  # the inactive "Gamle Fjord Handel" is hidden
    assert search("  NORDLYS data ") == [keys["nordlys"]]
    assert search("fjordfisk.no") == [keys["fjord"]]  # e-mail
    assert search("tromsø") == [keys["nordlys"]]  # city
    assert search(str(10000 + int(keys["fjord"]))) == [keys["fjord"]]  # customer number
    assert search("") == [keys["fjord"], keys["nordlys"]]  # blank lists all (active) customers
    assert search("nothing like it") == []
    assert search("AS\n\n\nhei@") == []  # no match across two fields (name, codes, e-mail)


def test_search_returns_requested_fields(connector: DemoConnector, guid: str, keys: dict[str, str]) -> None:
    (found,) = connector.search_actors(guid, "Customer", "nordlys", ["NAME", "CREDITSTOP"])
    assert found.field_values == {"NAME": "Nordlys Data AS", "CREDITSTOP": "[I:1]"}
    assert found.last_modified
    with pytest.raises(UnknownField):
        connector.search_actors(guid, "Customer", "nordlys", ["NAME", "LASTNAME"])
    with pytest.raises(UnknownActorType):
        connector.search_actors(guid, "Sale", "", [])


def test_include_inactive_setting(connector: DemoConnector, guid: str, keys: dict[str, str]) -> None:
    everyone = connect(connector, IncludeInactive="[I:1]")
    assert names(connector.search_actors(everyone, "Customer", "fjord", [])) == [keys["fjord"], keys["gamle"]]
    assert keys["lise"] in names(
        connector.search_actor_by_parent(everyone, "Person", "", "Customer", keys["fjord"], [])
    )
    assert keys["lise"] not in names(
        connector.search_actor_by_parent(guid, "Person", "", "Customer", keys["fjord"], [])
    )
    inactive = [SearchRestriction(field_key="NAME", operator="contains", values=["fjord"])]
    assert names(connector.search_actors_advanced(guid, "Customer", inactive, [])) == [keys["fjord"]]
    assert names(connector.search_actors_advanced(everyone, "Customer", inactive, [])) == [
        keys["fjord"],
        keys["gamle"],
    ]
    # The change feed and GetActors are not searches: they always see inactive actors.
    assert keys["gamle"] in names(connector.get_actors_by_timestamp(guid, "", "Customer", []).actors)
    assert names(connector.get_actors(guid, "Customer", [keys["gamle"]], [])) == [keys["gamle"]]


def test_search_by_parent(connector: DemoConnector, guid: str, keys: dict[str, str]) -> None:
    def children(text: str, parent_type: str, parent: str) -> list[str]:
        return names(connector.search_actor_by_parent(guid, "Person", text, parent_type, keys[parent], []))

    assert children("", "Customer", "fjord") == [keys["kari"], keys["ola"]]
    assert children("kari", "Customer", "fjord") == [keys["kari"]]
    assert children("per", "Customer", "fjord") == []
    assert children("", "Customer", "nordlys") == [keys["per"]]
    assert children("", "Supplier", "lager") == [keys["sven"]]
    assert children("", "Supplier", "fjord") == []  # the key belongs to a customer
    assert children("", "", "lager") == [keys["sven"]]  # no parent type: the key decides
    with pytest.raises(InvalidValue):
        connector.search_actor_by_parent(guid, "Person", "", "Customer", "", [])


def restriction(key: str, operator: str, *values: str) -> SearchRestriction:
    return SearchRestriction(field_key=key, operator=operator, values=list(values))


@pytest.mark.parametrize(
    ("actor_type", "restrictions", "expected"),
    [
        ("Customer", [restriction("NAME", "begins", "nord")], ["nordlys"]),
        ("Customer", [restriction("NAME", "notcontains", "fisk")], ["nordlys"]),
        ("Customer", [restriction("DISCOUNT", ">=", "[I:5]")], ["fjord"]),
        ("Customer", [restriction("CREDITLIMIT", "between", "[F:1000.0]", "[F:10000.0]")], ["nordlys"]),
        ("Customer", [restriction("CREDITSTOP", "=", "[I:1]")], ["nordlys"]),
        ("Customer", [restriction("CATEGORY", "oneof", "wholesale", "public")], ["fjord"]),
        ("Customer", [restriction("CATEGORY", "notoneof", "wholesale")], ["nordlys"]),
        ("Customer", [restriction("CREATED", "before", "[DT:01/01/2022 00:00:00.0000000]")], ["fjord"]),
        (
            "Customer",
            [restriction("COUNTRY", "oneof", "NO"), restriction("CREDITLIMIT", ">", "[F:10000.0]")],
            ["fjord"],
        ),
        ("Customer", [], ["fjord", "nordlys"]),
        ("Customer", [restriction("INACTIVE", "=", "[I:1]")], ["gamle"]),  # asking about INACTIVE decides
        ("Supplier", [restriction("LEADTIME", "<", "[I:30]")], ["lager"]),
        ("Project", [restriction("BUDGET", ">", "[F:10.0]")], ["project"]),
        ("Person", [restriction("ParentErpKey", "=", "{fjord}")], ["kari", "ola"]),
        (
            "Person",
            [restriction("ParentActorType", "=", "Supplier"), restriction("LASTNAME", "ends", "son")],
            ["sven"],
        ),
    ],
)
def test_advanced_search(
    connector: DemoConnector,
    guid: str,
    keys: dict[str, str],
    actor_type: str,
    restrictions: list[SearchRestriction],
    expected: list[str],
) -> None:
    concrete = [r.model_copy(update={"values": [v.format(**keys) for v in r.values]}) for r in restrictions]
    found = connector.search_actors_advanced(
        guid, actor_type, concrete, ["NAME"] if actor_type != "Person" else []
    )
    assert names(found) == [keys[name] for name in expected]


@pytest.mark.parametrize(
    "bad",
    [
        restriction("VATNO", "=", "NO1"),  # a field that is not searchable
        restriction("NAME", ">", "a"),  # no such operator for text
        restriction("DISCOUNT", "=", "ten"),  # wrong encoding
        restriction("CREDITLIMIT", "between", "[F:1.0]"),  # between needs two values
        restriction("SHOE_SIZE", "=", "[I:1]"),  # no such field
    ],
)
def test_advanced_search_refuses_bad_restrictions(
    connector: DemoConnector, guid: str, keys: dict[str, str], bad: SearchRestriction
) -> None:
    with pytest.raises(InvalidValue):
        connector.search_actors_advanced(guid, "Customer", [bad], [])
