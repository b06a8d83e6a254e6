"""What a page costs against a real trytond: a fixed number of JSON-RPC calls whatever its size (one
per model, never one per party), the feed's snapshot following edits made during a pass, and the
cached derived databases the benchmark seeds."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from erpsync.connectors.tryton import TrytonConnector
from erpsync.protocol import ErpActor

from .server import DATABASE, Rpc, TrytonServer, derived_database, serve

KEYS = ["NAME", "PHONE", "EMAIL", "POSTALCITY", "COUNTRY"]
#: Calls of one feed page with KEYS: the positions (party and its three child models, all rows
#: changed since the bound on the first page, those written since the snapshot on the next) and the
#: page's values (parties, contact mechanisms, addresses: identifiers hold none of KEYS).
PAGE_CALLS = {
    "model.party.party.search_read": 2,
    "model.party.contact_mechanism.search_read": 2,
    "model.party.address.search_read": 2,
    "model.party.identifier.search_read": 1,
}


def _customers(rpc: Rpc, count: int, prefix: str) -> list[int]:
    """``count`` customers in one call (one timestamp), each with a phone, an e-mail and an address."""
    [customer] = rpc.model("party.category", "search", [("name", "=", "Customer")], 0, None, None, {})
    [norway] = rpc.model("country.country", "search", [("code", "=", "NO")], 0, None, None, {})
    values = [
        {
            "name": f"{prefix} {n:04d}",
            "categories": [("add", [customer])],
            "contact_mechanisms": [
                (
                    "create",
                    [{"type": "phone", "value": f"+47 {n}"}, {"type": "email", "value": f"{n}@c.test"}],
                ),
            ],
            "addresses": [("create", [{"city": f"City {n}", "country": norway}])],
        }
        for n in range(count)
    ]
    ids: list[int] = rpc.model("party.party", "create", values, {})
    return ids


def _calls(connector: TrytonConnector) -> dict[str, int]:
    """The party calls since the last look (list reads, cached for 30 s, left out)."""
    [rpc] = connector.rpc_clients()
    return {m: s.calls for m, s in rpc.stats(reset=True).items() if m.startswith("model.party.")}


def _pass(
    connector: TrytonConnector, guid: str, since: str, size: int, between: Any = None
) -> tuple[list[ErpActor], list[dict[str, int]]]:
    """A whole paged pass: the actors, and the calls of each page; ``between`` runs after page 1."""
    actors: list[ErpActor] = []
    calls: list[dict[str, int]] = []
    token = ""
    _calls(connector)
    while True:
        page = connector.get_actors_by_timestamp(guid, since, "Customer", KEYS, size, token)
        calls.append(_calls(connector))
        actors += page.actors
        if between is not None and len(calls) == 1:
            between()
            _calls(connector)
        token = page.next_page_token
        if not token:
            return actors, calls


def test_a_page_costs_the_same_few_calls_whatever_its_size(
    connector: TrytonConnector, guid: str, tryton: TrytonServer
) -> None:
    rpc = tryton.rpc()
    try:
        ids = _customers(rpc, 300, "Batched")
    finally:
        rpc.close()
    [first] = connector.get_actors(guid, "Customer", [str(ids[0])], KEYS)
    since = first.last_modified
    for size in (50, 150):
        actors, calls = _pass(connector, guid, since, size)
        assert [a.erp_key for a in actors] == [str(i) for i in ids]  # one timestamp: id order
        assert len(calls) == 300 // size
        assert all(page == PAGE_CALLS for page in calls), calls
    by_key = {a.erp_key: a for a in actors}
    _calls(connector)
    fetched = connector.get_actors(guid, "Customer", [str(i) for i in ids], KEYS)
    # Without positions to tell LastModified, every child model's dates are read: one call each.
    assert _calls(connector) == {m: 1 for m in PAGE_CALLS}
    assert fetched == [by_key[str(i)] for i in ids]
    assert fetched[7].field_values == {
        "NAME": "Batched 0007",
        "PHONE": "+47 7",
        "EMAIL": "7@c.test",
        "POSTALCITY": "City 7",
        "COUNTRY": "NO",
    }


def test_a_pass_follows_edits_made_while_it_pages(
    connector: TrytonConnector, guid: str, tryton: TrytonServer
) -> None:
    rpc = tryton.rpc()
    try:
        ids = _customers(rpc, 60, "Paged")
        [first] = connector.get_actors(guid, "Customer", [str(ids[0])], KEYS)
        [phone] = rpc.model(
            "party.contact_mechanism",
            "search",
            [("party", "=", ids[3]), ("type", "=", "phone")],
            0,
            None,
            None,
            {},
        )
        late: list[int] = []

        def edit() -> None:
            # In Tryton, while the engine pages: a phone of an actor already read, and a new customer.
            rpc.model("party.contact_mechanism", "write", [phone], {"value": "+47 999"}, {})
            late.extend(_customers(rpc, 1, "Late"))

        actors, calls = _pass(connector, guid, first.last_modified, 20, between=edit)
    finally:
        rpc.close()
    keys = [a.erp_key for a in actors]
    # The edited actor comes again at its new place, as a fresh search of every page would put it.
    assert keys == [str(i) for i in ids] + sorted([str(ids[3]), str(late[0])], key=int)
    again = actors[-2] if actors[-2].erp_key == str(ids[3]) else actors[-1]
    assert again.field_values["PHONE"] == "+47 999"
    assert again.last_modified > first.last_modified
    [now] = connector.get_actors(guid, "Customer", [str(ids[3])], KEYS)
    assert now == again
    order = [(a.last_modified, int(a.erp_key)) for a in actors[len(ids) :]]
    assert order == sorted(order)
    assert all(page == PAGE_CALLS for page in calls[1:]), calls


def test_derived_databases_are_built_once(tmp_path: Any) -> None:
    made: list[int] = []

    def add(server: TrytonServer) -> None:
        rpc = server.rpc()
        try:
            made.extend(rpc.model("party.party", "create", [{"name": "Derived Ltd", "addresses": []}], {}))
        finally:
            rpc.close()

    name = "test-derived-v1"
    database, _ = derived_database(name, add)
    again, built = derived_database(name, add)
    assert (again, built) == (database, False)
    assert len(made) <= 1  # built by this test or an earlier session, never twice
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*) FROM party_party WHERE name = 'Derived Ltd'").fetchone() == (1,)
    with serve(tmp_path / "served", database) as server:
        rpc = server.rpc()
        try:
            assert rpc.model("party.party", "search_count", [("name", "=", "Derived Ltd")], {}) == 1
        finally:
            rpc.close()
    assert (tmp_path / "served" / f"{DATABASE}.sqlite").exists()


def test_the_feed_and_get_actors_read_every_field_alike(connector: TrytonConnector, guid: str) -> None:
    """The feed reads a page without dates and only active children; GetActors reads them all."""
    values = {
        "NAME": "Every Field AS",
        "PHONE": "+47 1",
        "FAX": "+47 2",
        "EMAIL": "post@every.test",
        "URL": "https://every.test",
        "POSTALAD1": "Storgata 1",
        "POSTALZIP": "0155",
        "POSTALCITY": "Oslo",
        "COUNTRY": "NO",
        "VATNO": "NO999",
        "LANGUAGE": "en",
        "CATEGORY": "3",
    }
    customer = connector.create_actor(guid, ErpActor(actor_type="Customer", field_values=values))
    person = connector.create_actor(
        guid,
        ErpActor(
            actor_type="Person",
            parent_actor_type="Customer",
            parent_erp_key=customer.erp_key,
            field_values={"FIRSTNAME": "Ada", "LASTNAME": "Lovelace", "PHONE_MOBILE": "+47 3"},
        ),
    )
    for actor in (customer, person):
        fed = connector.get_actors_by_timestamp(guid, actor.last_modified, actor.actor_type, [], 0, "")
        [got] = connector.get_actors(guid, actor.actor_type, [actor.erp_key], [])
        assert [a for a in fed.actors if a.erp_key == actor.erp_key] == [got] == [actor]
    assert {k: customer.field_values[k] for k in values} == values
    assert customer.field_values["NUMBER1"]
    assert (person.parent_actor_type, person.parent_erp_key) == ("Customer", customer.erp_key)
