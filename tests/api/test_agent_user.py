"""The CRM user's ErpSync agent methods over HTTP, against the demo ERP over HTTP: the ERP tab,
searches, connect with a per-field choice, create in the ERP, disconnect, scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from erpsync.api import create_app
from erpsync.crm import tokens
from erpsync.settings import Settings
from tests.hub.fixtures_user import CONNECTOR_SECRET, World, erp_actor, log_rows, user_world

pytestmark = pytest.mark.anyio

AGENT = "/api/v1/Agents/ErpSync"


@pytest.fixture
def app(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(
        database_url=database_url, data_dir=tmp_path / "app", connector_secret=CONNECTOR_SECRET
    )
    app = create_app(settings)
    try:
        yield app
    finally:
        app.state.engine.dispose()


@pytest.fixture
def world(app: FastAPI, tmp_path: Path) -> Iterator[World]:
    with user_world(app.state.hub, tmp_path) as built:
        yield built


@pytest.fixture
def headers(world: World) -> dict[str, dict[str, str]]:
    """A bearer token per user of the world."""
    issued: dict[str, dict[str, str]] = {}
    with world.session() as session, session.begin():
        for name, user_id in world.user_ids.items():
            token = tokens.issue_token(session, user_id, timedelta(hours=1)).token
            issued[name] = {"Authorization": f"Bearer {token}"}
    return issued


async def _call(
    client: httpx.AsyncClient,
    headers: dict[str, dict[str, str]],
    method: str,
    body: dict[str, Any],
    user: str,
) -> httpx.Response:
    return await client.post(f"{AGENT}/{method}", json=body, headers=headers[user])


def _link_body(world: World, record: str = "nordic", erp_key: str = "nordic") -> dict[str, Any]:
    return {
        "ErpConnectionId": world.connection_id,
        "CrmRecordId": world.records[record],
        "CrmActorType": "Contact",
        "ErpKey": world.erp_keys[erp_key],
        "ErpActorType": "Customer",
    }


async def test_connect_with_a_value_conflict_resolved_per_field(
    client: httpx.AsyncClient, world: World, headers: dict[str, dict[str, str]]
) -> None:
    seller = world.user_ids["seller"]
    found = await _call(
        client,
        headers,
        "SearchActors",
        {"ErpConnectionId": world.connection_id, "ErpActorType": "Customer", "SearchText": "nordic"},
        "seller",
    )
    assert found.status_code == 200, found.text
    [hit] = found.json()["Actors"]
    assert (hit["ErpKey"], hit["Linked"]) == (world.erp_keys["nordic"], False)
    conflicts = (await _call(client, headers, "GetConnectConflicts", _link_body(world), "seller")).json()
    assert {c["ErpFieldKey"] for c in conflicts} == {"NAME", "PHONE", "EMAIL", "COUNTRY", "CUSTOMERNO"}
    choices = [
        {"ErpFieldKey": "NAME", "Source": "Crm"},
        {"CrmFieldKey": "phone", "Source": "Erp"},
        # A row of the dialog sent back with its choice: the other members are ignored.
        {
            "DisplayName": "Country",
            "CrmFieldKey": "country",
            "ErpFieldKey": "COUNTRY",
            "Value": "NO",
            "Source": "Crm",
        },
    ]
    reply = await _call(
        client, headers, "ConnectActor", {**_link_body(world), "FieldValues": choices}, "seller"
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert sorted(body["ChangedInCrm"]) == ["number", "phone"]
    assert sorted(body["ChangedInErp"]) == ["COUNTRY", "EMAIL", "NAME"]
    # Both sides hold the chosen values.
    company = (
        await client.get(f"/api/v1/companies/{world.records['nordic']}", headers=headers["seller"])
    ).json()
    actor = erp_actor(world, "Customer", world.erp_keys["nordic"])
    assert company["name"] == actor.field_values["NAME"] == "Nordic Tools AS"
    assert company["phone"] == actor.field_values["PHONE"] == "+47 22 00 00 02"
    assert company["country"] == world.countries["Norway"]
    assert actor.field_values["COUNTRY"] == "NO"
    assert company["number"] == actor.field_values["CUSTOMERNO"]
    assert body["LastModified"] == actor.last_modified
    assert {(r.kind, r.source) for r in log_rows(world)} == {("change", "connect"), ("link", "connect")}
    assert len(log_rows(world, kind="change")) == 5
    # The ERP tab now shows the link, and the values of its fields in the order asked.
    tab = await _call(
        client,
        headers,
        "GetConnectionsAndDisplayFields",
        {"CrmActorType": "Contact", "EntityId": world.records["nordic"]},
        "seller",
    )
    section = next(s for s in tab.json() if s["ErpConnectionId"] == world.connection_id)
    assert section["Connected"]
    assert section["ErpKey"] == world.erp_keys["nordic"]
    assert section["CanCreateERP"] is True
    keys = [f["FieldKey"] for f in section["ErpFields"]]
    assert keys == ["CURRENCY", "CUSTOMERNO", "CREDITSTOP", "CREDITLIMIT", "CREATED"]
    values = await _call(
        client,
        headers,
        "GetErpFieldValues",
        {
            "ErpConnectionId": world.connection_id,
            "CrmActorType": "Contact",
            "EntityId": world.records["nordic"],
            "FieldKeys": keys,
        },
        "viewer",
    )
    assert values.status_code == 200, values.text
    assert values.json()[:4] == ["Euro", actor.field_values["CUSTOMERNO"], "Yes", "5000.0"]
    again = await _call(client, headers, "TryConnectActor", _link_body(world), "seller")
    assert again.json() is False
    assert seller


async def test_scope_and_permissions(
    client: httpx.AsyncClient, world: World, headers: dict[str, dict[str, str]]
) -> None:
    outsider = await _call(client, headers, "ConnectActor", _link_body(world), "outsider")
    assert outsider.status_code == 404
    assert outsider.json()["error"] == "NotFound"
    viewer = await _call(client, headers, "ConnectActor", _link_body(world), "viewer")
    assert viewer.status_code == 403
    tab = await _call(
        client,
        headers,
        "GetConnectionsAndDisplayFields",
        {"CrmActorType": "Contact", "EntityId": world.records["nordic"]},
        "outsider",
    )
    assert [s["ErpConnectionId"] for s in tab.json()] == [world.second_connection_id]
    for method in ("SearchActors", "GetFieldsForNewErpActor", "SupportsAdvancedSearch"):
        reply = await _call(
            client,
            headers,
            method,
            {"ErpConnectionId": world.connection_id, "ErpActorType": "Customer"},
            "outsider",
        )
        assert reply.status_code == 404, method
    unauthenticated = await client.post(f"{AGENT}/BreakActorLink", json={})
    assert unauthenticated.status_code == 401


async def test_create_in_the_erp(
    client: httpx.AsyncClient, world: World, headers: dict[str, dict[str, str]]
) -> None:
    asked = await _call(
        client,
        headers,
        "GetFieldsForNewErpActor",
        {"ErpConnectionId": world.connection_id, "ErpActorType": "Customer"},
        "seller",
    )
    assert [(f["FieldKey"], f["Access"]) for f in asked.json()] == [
        ("CREDITLIMIT", "Normal"),
        ("CATEGORY", "Mandatory"),
        ("DISCOUNT", "Normal"),
    ]
    body: dict[str, Any] = {
        "ErpConnectionId": world.connection_id,
        "CrmEntityId": world.records["unlinked"],
        "ErpActorType": "Customer",
        "CrmActorType": "Contact",
        "ErpFieldKeyValues": {"DISCOUNT": "[I:5]"},
    }
    before = world.erp.count_actors()
    missing = await _call(client, headers, "CreateErpActorFromCrm", body, "seller")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "ErpFieldKeyValues.CATEGORY", "message": "Customer category is mandatory"}
    ]
    assert "Customer category" in missing.json()["detail"]
    body["ErpFieldKeyValues"]["CATEGORY"] = "key"
    refused = await _call(client, headers, "CreateErpActorFromCrm", body, "connector")
    assert refused.status_code == 403
    assert world.erp.count_actors() == before
    created = await _call(client, headers, "CreateErpActorFromCrm", body, "seller")
    assert created.status_code == 200, created.text
    reply = created.json()
    assert reply["Created"] is True
    actor = erp_actor(world, "Customer", reply["ErpKey"])
    assert actor.field_values["CATEGORY"] == "key"
    assert actor.field_values["DISCOUNT"] == "[I:5]"
    assert actor.field_values["PAYMENTTERMS"] == "NET14"
    assert actor.field_values["NAME"] == "Fjord Fish AS"
    tab = await _call(
        client,
        headers,
        "GetConnectionsAndDisplayFields",
        {"CrmActorType": "Contact", "EntityId": world.records["unlinked"]},
        "seller",
    )
    section = next(s for s in tab.json() if s["ErpConnectionId"] == world.connection_id)
    assert (section["Connected"], section["ErpKey"]) == (True, reply["ErpKey"])
    unknown_list_key = await _call(
        client,
        headers,
        "CreateErpActorFromCrm",
        {**body, "CrmEntityId": world.records["nordic"], "ErpFieldKeyValues": {"CATEGORY": "nosuch"}},
        "seller",
    )
    assert unknown_list_key.status_code == 422, (
        unknown_list_key.text
    )  # the ERP's refusal of a value is bad input, not a 502
    assert "not an item of the list" in unknown_list_key.json()["detail"]


async def test_disconnect_a_company_and_its_persons(
    client: httpx.AsyncClient, world: World, headers: dict[str, dict[str, str]]
) -> None:
    assert (await _call(client, headers, "CreateActorLink", _link_body(world), "seller")).json() is True
    person = {**_link_body(world, "kari", "kari"), "CrmActorType": "Person", "ErpActorType": "Person"}
    by_parent = await _call(
        client,
        headers,
        "SearchActorByParent",
        {"ErpConnectionId": world.connection_id, "CrmRecordId": world.records["kari"], "SearchText": "kari"},
        "connector",
    )
    assert [hit["ErpKey"] for hit in by_parent.json()["Actors"]] == [world.erp_keys["kari"]]
    assert (await _call(client, headers, "ConnectActor", person, "connector")).status_code == 200
    body = {
        "ErpConnectionId": world.connection_id,
        "CrmRecordId": world.records["nordic"],
        "CrmActorType": "Contact",
    }
    assert (await _call(client, headers, "BreakActorLink", body, "viewer")).status_code == 403
    broken = await _call(client, headers, "BreakActorLink", body, "seller")
    assert broken.json() is True
    assert [r.crm_entity for r in log_rows(world, kind="unlink")] == ["person", "company"]
    for record, crm_type in (("nordic", "Contact"), ("kari", "Person")):
        tab = await _call(
            client,
            headers,
            "GetConnectionsAndDisplayFields",
            {"CrmActorType": crm_type, "EntityId": world.records[record]},
            "seller",
        )
        section = next(s for s in tab.json() if s["ErpConnectionId"] == world.connection_id)
        assert section["Connected"] is False
    assert world.erp.get_actor("Customer", world.erp_keys["nordic"]) is not None
    assert (await _call(client, headers, "BreakActorLink", body, "seller")).json() is False


async def test_bad_requests_are_refused_before_anything_happens(
    client: httpx.AsyncClient, world: World, headers: dict[str, dict[str, str]]
) -> None:
    search = {"ErpConnectionId": world.connection_id, "ErpActorType": "Customer"}
    cases: list[tuple[str, dict[str, Any]]] = [
        ("ConnectActor", {**_link_body(world), "CrmActorType": "Company"}),
        ("ConnectActor", {**_link_body(world), "ErpActorType": "Employee"}),
        ("ConnectActor", {**_link_body(world), "FieldValues": [{"ErpFieldKey": "NAME", "Source": "Both"}]}),
        ("ConnectActor", {**_link_body(world), "Extra": 1}),
        ("BreakActorLink", {"ErpConnectionId": "1", "CrmRecordId": 1, "CrmActorType": "Contact"}),
        (
            "SearchActorsAdvanced",
            {**search, "Restrictions": [{"FieldKey": "COUNTRY", "Operator": "=", "Values": ["NO"]}]},
        ),
        (
            "SearchActorsAdvanced",
            {**search, "Restrictions": [{"FieldKey": "VATNO", "Operator": "=", "Values": ["x"]}]},
        ),
        ("SearchActors", {**search, "SearchText": "a\x00b"}),
        (
            "GetErpFieldValues",
            {
                "ErpConnectionId": world.connection_id,
                "CrmActorType": "Contact",
                "EntityId": world.records["nordic"],
                "FieldKeys": ["NAME"],
            },
        ),
    ]
    for method, body in cases:
        reply = await _call(client, headers, method, body, "seller")
        assert reply.status_code in (404, 422), (method, body, reply.text)
        assert reply.json()["error"] in ("ValidationFailed", "NotFound"), (method, body)
    assert log_rows(world) == []


async def test_a_password_value_never_leaves_the_hub(
    client: httpx.AsyncClient, world: World, headers: dict[str, dict[str, str]]
) -> None:
    secret = "hunter2-webshop"  # the nordic customer's web shop password in the ERP
    await _call(client, headers, "CreateActorLink", _link_body(world), "seller")
    search = {"ErpConnectionId": world.connection_id, "ErpActorType": "Customer"}
    replies = [
        await _call(client, headers, "SearchActors", search, "seller"),
        await _call(
            client, headers, "GetFieldValuesFromErp", {**search, "ErpKey": world.erp_keys["nordic"]}, "seller"
        ),
        await _call(
            client,
            headers,
            "GetConnectionsAndDisplayFields",
            {"CrmActorType": "Contact", "EntityId": world.records["nordic"]},
            "seller",
        ),
        await _call(
            client,
            headers,
            "GetErpFieldValues",
            {
                "ErpConnectionId": world.connection_id,
                "CrmActorType": "Contact",
                "EntityId": world.records["nordic"],
                "FieldKeys": ["WEBSHOP_PASSWORD"],
            },
            "seller",
        ),
    ]
    assert [r.status_code for r in replies] == [200, 200, 200, 422]
    assert all(secret not in r.text for r in replies)
    assert all(secret not in (row.old_value + row.new_value) for row in log_rows(world))
