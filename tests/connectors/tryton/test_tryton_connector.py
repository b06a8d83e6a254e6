"""The Tryton connector against a real trytond: config tests, the change feed, edits made in Tryton,
session expiry and Tryton's refusals."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from erpsync.connectors.tryton import TrytonConnector
from erpsync.connectors.tryton.connector import tryton_errors
from erpsync.connectors.tryton.rpc import TrytonRpc
from erpsync.protocol import ErpActor
from erpsync.sdk.errors import ConnectorFailure

from .server import TrytonServer


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- TestConfigData ---------------------------------------------------------------------------------


def test_config_test_explains_each_mistake(connector: TrytonConnector, tryton: TrytonServer) -> None:
    assert connector.test_config_data(tryton.config()).is_ok
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"ServerUrl": f"http://127.0.0.1:{_closed_port()}"}, "ErpUnavailable", "cannot be reached"),
        ({"Database": "nosuchdb"}, "ConfigInvalid", "has no database 'nosuchdb'"),
        ({"Password": "Wrong-Pa55word-123"}, "ConfigInvalid", "wrong user name or password"),
        ({"Username": "nobody"}, "ConfigInvalid", "wrong user name or password"),
        ({"Company": "No Such Company"}, "ConfigInvalid", "no company 'No Such Company'"),
        ({"CustomerCategory": "Clients"}, "ConfigInvalid", "no party category 'Clients'"),
        ({"ContactRelation": "Friend of"}, "ConfigInvalid", "no relation type 'Friend of'"),
        ({"ServerUrl": "erp.example.com"}, "ConfigInvalid", "not an http"),
    ]
    for overrides, code, text in cases:
        reply = connector.test_config_data(tryton.config(**overrides))
        assert not reply.is_ok, overrides
        assert reply.error_code == code, (overrides, reply)
        assert text in reply.user_explanation, (overrides, reply.user_explanation)
        assert "Wrong-Pa55word" not in reply.user_explanation + reply.tech_explanation


def test_company_by_record_id(connector: TrytonConnector, tryton: TrytonServer) -> None:
    assert connector.test_config_data(tryton.config(Company="1")).is_ok


# -- the change feed ------------------------------------------------------------------------------------


def _customers(tryton: TrytonServer, count: int, prefix: str) -> list[int]:
    """``count`` customers created in one Tryton call: one transaction, one timestamp."""
    rpc = tryton.rpc()
    try:
        [customer] = rpc.model("party.category", "search", [("name", "=", "Customer")], 0, None, None, {})
        values = [
            {"name": f"{prefix} {n:04d}", "categories": [("add", [customer])], "addresses": []}
            for n in range(count)
        ]
        ids: list[int] = rpc.model("party.party", "create", values, {})
        return ids
    finally:
        rpc.close()


def test_a_thousand_actors_with_one_timestamp_arrive_once_across_pages(
    connector: TrytonConnector, guid: str, tryton: TrytonServer
) -> None:
    ids = _customers(tryton, 1000, "Equal")
    [first] = connector.get_actors(guid, "Customer", [str(ids[0])], [])
    since = first.last_modified
    seen: list[ErpActor] = []
    token, pages = "", 0
    while True:
        page = connector.get_actors_by_timestamp(guid, since, "Customer", ["NAME"], 150, token)
        assert len(page.actors) <= 150
        seen += page.actors
        pages += 1
        token = page.next_page_token
        if not token:
            break
    keys = [a.erp_key for a in seen]
    assert len(keys) == len(set(keys))
    assert {str(i) for i in ids} <= set(keys)
    assert pages >= 1000 // 150
    assert {a.last_modified for a in seen if int(a.erp_key) in set(ids)} == {since}
    order = [(a.last_modified, int(a.erp_key)) for a in seen]
    assert order == sorted(order)
    assert all(set(a.field_values) == {"NAME"} for a in seen)
    unpaged = connector.get_actors_by_timestamp(guid, since, "Customer", [])
    assert sorted(a.erp_key for a in unpaged.actors) == sorted(keys)
    assert not unpaged.next_page_token


def test_an_edit_of_a_contact_mechanism_alone_is_a_change(
    connector: TrytonConnector, guid: str, tryton: TrytonServer
) -> None:
    created = connector.create_actor(
        guid, ErpActor(actor_type="Customer", field_values={"NAME": "Fjord Fish AS", "PHONE": "+47 1"})
    )
    rpc = tryton.rpc()
    try:
        [mechanism] = rpc.model(
            "party.contact_mechanism", "search", [("party", "=", int(created.erp_key))], 0, None, None, {}
        )
        # A Tryton user edits the phone in the contact mechanisms list: the party itself is not written.
        rpc.model("party.contact_mechanism", "write", [mechanism], {"value": "+47 2"}, {})
    finally:
        rpc.close()
    [now] = connector.get_actors(guid, "Customer", [created.erp_key], [])
    assert now.field_values["PHONE"] == "+47 2"
    assert now.last_modified > created.last_modified
    feed = connector.get_actors_by_timestamp(guid, now.last_modified, "Customer", [])
    assert [a.erp_key for a in feed.actors] == [created.erp_key]
    later = connector.get_actors_by_timestamp(guid, "2999-01-01T00:00:00.000000Z", "Customer", [])
    assert later.actors == []


def test_roles_and_persons(connector: TrytonConnector, guid: str) -> None:
    customer = connector.create_actor(
        guid,
        ErpActor(
            actor_type="Customer",
            field_values={"NAME": "Both Ways AS", "CATEGORY": "3", "COUNTRY": "NO", "VATNO": "NO123"},
        ),
    )
    # The same party becomes a supplier too: one party, two actors with one ErpKey.
    assert connector.get_actors(guid, "Supplier", [customer.erp_key], []) == []
    person = connector.create_actor(
        guid,
        ErpActor(
            actor_type="Person",
            parent_actor_type="Customer",
            parent_erp_key=customer.erp_key,
            field_values={"FIRSTNAME": "Ada", "LASTNAME": "Lovelace", "EMAIL": "ada@both.test"},
        ),
    )
    assert (person.parent_actor_type, person.parent_erp_key) == ("Customer", customer.erp_key)
    assert (person.field_values["FIRSTNAME"], person.field_values["LASTNAME"]) == ("Ada", "Lovelace")
    found = connector.search_actor_by_parent(guid, "Person", "lovelace", "Customer", customer.erp_key, [])
    assert [a.erp_key for a in found] == [person.erp_key]
    assert connector.get_actors(guid, "Customer", [person.erp_key], []) == []  # a person is no customer
    saved = connector.save_actor(
        guid,
        ErpActor(
            actor_type="Customer", erp_key=customer.erp_key, field_values={"CATEGORY": "4", "VATNO": ""}
        ),
    )
    assert (saved.field_values["CATEGORY"], saved.field_values["VATNO"]) == ("4", "")
    assert saved.field_values["COUNTRY"] == "NO"


# -- failures ---------------------------------------------------------------------------------------------


def test_one_refused_actor_does_not_fail_the_batch(connector: TrytonConnector, guid: str) -> None:
    one, two = (
        connector.create_actor(guid, ErpActor(actor_type="Project", field_values={"NAME": name}))
        for name in ("Alpha", "Beta")
    )
    results = connector.save_actors(
        guid,
        [
            one.model_copy(update={"field_values": {"NAME": "Alpha 2"}}),
            two.model_copy(update={"field_values": {"NAME": ""}}),  # Tryton requires a name
            ErpActor(actor_type="Project", erp_key="999999", field_values={"NAME": "Ghost"}),
            one.model_copy(update={"field_values": {"STATUS": "no-such-status"}}),
        ],
    )
    assert [r.failed for r in results] == [False, True, True, True]
    assert results[0].actor is not None
    assert results[0].actor.field_values["NAME"] == "Alpha 2"
    assert results[1].error_code == "InvalidValue"
    assert "Tryton refused the values" in results[1].user_explanation
    assert results[2].error_code == "ActorNotFound"
    assert "no-such-status" in results[3].user_explanation
    [two_now] = connector.get_actors(guid, "Project", [two.erp_key], [])
    assert two_now.field_values["NAME"] == "Beta"


def test_tryton_faults_become_clear_errors(tryton: TrytonServer) -> None:
    rpc = TrytonRpc(tryton.url, tryton.database, tryton.user, tryton.password)
    try:
        with pytest.raises(ConnectorFailure) as caught, tryton_errors():
            rpc.model("no.such.model", "search", [], 0, None, None, {})
        assert caught.value.error_code == "ErpFault"
        assert "is every module" in caught.value.user_explanation
        assert "no.such.model" in caught.value.tech_explanation
    finally:
        rpc.close()


def test_an_expired_session_is_renewed(tryton: TrytonServer) -> None:
    rpc = TrytonRpc(tryton.url, tryton.database, tryton.user, tryton.password)
    try:
        before: Any = rpc.model("party.category", "search_count", [], {})
        rpc.call("common.db.logout")  # trytond forgets the session, as after its timeout
        assert rpc.model("party.category", "search_count", [], {}) == before
    finally:
        rpc.close()
