"""Reference §2 end to end through the agent API, against the demo ERP served over real HTTP.

The administrator registers the connector, defines a connection (refused while the config is
incomplete or wrong, accepted once the connector's test passes), finds the discovery and the
automatic mapping done, sets directions, maps a list, sets defaults, ranks fields and orders
priorities, is told why the connection cannot be activated yet, fixes it and activates it; then
edits the config only after deactivating it. No reply, log line or database byte holds the
password.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, MetaData, select

from tests.hub.fixtures_admin import ERP_PASSWORD, DemoErp, demo_config

from .conftest import Login

pytestmark = pytest.mark.anyio

WRONG_PASSWORD = "Wr0ng-Erp-Pa55word!"
AGENT = "/api/v1/Agents/ErpSync"


class Agent:
    """Calls agent methods as one user and keeps every reply body."""

    def __init__(self, client: httpx.AsyncClient, login: Login) -> None:
        self.client = client
        self.headers = login.headers
        self.replies: list[str] = []

    async def __call__(self, method: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        response = await self.client.post(f"{AGENT}/{method}", json=body, headers=self.headers)
        self.replies.append(response.text)
        assert response.status_code == status, (method, response.status_code, response.text)
        return response.json()


@pytest.fixture
async def agent(hub_app: FastAPI, admin: Login) -> AsyncIterator[Agent]:
    transport = httpx.ASGITransport(app=hub_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        yield Agent(client, admin)


def _fields(mapping: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["ErpFieldKey"]: row for row in mapping["FieldMappings"]}


def _row(mapping: dict[str, Any], key: str, **settings: Any) -> dict[str, Any]:
    """A FieldMappings row sent back with some settings changed (display members are ignored)."""
    return {**_fields(mapping)[key], **settings}


def _stored_text(engine: Engine) -> str:
    """Every value of every table, as text."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(row) for table in metadata.sorted_tables for row in connection.execute(select(table))
        )


def _database_bytes(database_url: str) -> bytes:
    if not database_url.startswith("sqlite"):
        return b""
    path = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def test_the_administrator_walks_reference_section_2(
    agent: Agent, erp: DemoErp, engine: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    # §2.1 the sync connector ------------------------------------------------------------------
    assert await agent("TestConnectorUrl", {"Url": erp.url}) == "NoError"
    assert await agent("TestConnectorUrl", {"Url": "http://169.254.169.254/latest"}) == "ErrorNotFound"
    assert await agent("TestConnectorUrl", {"Url": "ftp://erp.example/"}) == "ErrorNotFound"
    refused = await agent(
        "SaveErpSyncConnectorEntity",
        {"ErpConnectorId": 0, "DisplayName": "Bad", "URL": "http://169.254.1.1/"},
        409,
    )
    assert "link-local" in refused["detail"]
    blank = await agent("CreateDefaultErpSyncConnectorEntity")
    assert blank == {"ErpConnectorId": 0, "DisplayName": "", "URL": "", "Deleted": False}
    connector = await agent(
        "SaveErpSyncConnectorEntity", {**blank, "DisplayName": "Demo ERP", "URL": erp.url}
    )
    connector_id = connector["ErpConnectorId"]
    assert [c["DisplayName"] for c in await agent("GetAllConnectors")] == ["Demo ERP"]
    config_fields = await agent("GetConfigurationFields", {"ErpConnectorId": connector_id})
    assert {f["FieldKey"]: f["FieldType"] for f in config_fields}["Password"] == "Password"
    currencies = await agent("GetConfigListItems", {"ErpConnectorId": connector_id, "ListName": "currencies"})
    assert {"Key": "EUR", "DisplayValue": "Euro"} in currencies

    # §2.2 the connection: refused before a passing test --------------------------------------
    new = {"ErpConnectionId": 0, "ErpConnectorId": connector_id, "DisplayName": "Demo ERP", "AllAccess": True}
    missing = await agent("SaveConnection", {**new, "ConfigFields": demo_config(password="")}, 422)
    assert missing["errors"] == [{"field": "ConfigFields.Password", "message": "is mandatory: fill it in"}]
    wrong = await agent("SaveConnection", {**new, "ConfigFields": demo_config(password=WRONG_PASSWORD)}, 409)
    assert wrong["detail"] == "The connector's test of the config values failed: Wrong user name or password."
    assert wrong["errors"] == [{"field": "reason", "message": "Wrong user name or password."}]
    assert await agent("GetAllConnections", {"IncludeDeleted": True}) == []
    tested = await agent(
        "TestConnectionByConfig",
        {"ErpConnectorId": connector_id, "ConfigFields": demo_config(password=WRONG_PASSWORD)},
    )
    assert tested == {"IsOk": False, "UserExplanation": "Wrong user name or password."}

    # ... and accepted with the right values: saved, tested, discovered, mapped automatically.
    connection = await agent("SaveConnection", {**new, "ConfigFields": demo_config()})
    connection_id = connection["ErpConnectionId"]
    assert uuid.UUID(connection["ConnectionId"])
    assert (connection["Active"], connection["ConfigFields"]["Password"]) == (False, "********")
    assert connection["ConfigFields"]["Database"] == erp.database
    assert "PagedTimestampFeed" in connection["Capabilities"]
    assert await agent("TestConnectionById", {"ErpConnectionId": connection_id}) == {
        "IsOk": True,
        "UserExplanation": "",
    }
    assert await agent("CanDeleteErpSyncConnectorEntity", {"ErpConnectorId": connector_id}) == (
        "ErrorConnectorHasConnections"
    )
    await agent("DeleteErpSyncConnectorEntity", {"ErpConnectorId": connector_id}, 409)

    # Discovery: every actor type the engine syncs, with its fields; automatic mapping, no direction.
    customer = await agent("GetActorTypeMapping", {"ErpConnectionId": connection_id, "ActorType": "Customer"})
    fields = _fields(customer)
    assert (customer["ActorTypeCrm"], customer["IsActive"]) == ("Contact", False)
    assert {k: fields[k]["CrmFieldKey"] for k in ("NAME", "EMAIL", "COUNTRY", "NUMBER1", "CUSTOMERNO")} == {
        "NAME": "name",
        "EMAIL": "email",
        "COUNTRY": "country",
        "NUMBER1": "code",
        "CUSTOMERNO": "",
    }
    assert not any(row["SyncToCrm"] or row["SyncToErp"] for row in customer["FieldMappings"])
    assert (fields["COUNTRY"]["ListReference"], fields["WEBSHOP_PASSWORD"]["OfferedCrmFieldKeys"]) == (
        "list=country",
        [],
    )
    assert fields["CUSTOMERNO"]["CanSyncToErp"] is False
    assert [row["Rank"] for row in customer["FieldMappings"]] == list(range(len(fields)))
    person = await agent("GetActorTypeMapping", {"ErpConnectionId": connection_id, "ActorType": "Person"})
    assert _fields(person)["FIRSTNAME"]["CrmFieldKey"] == "first_name"
    assert (
        await agent("GetCrmActorType", {"ErpConnectionId": connection_id, "ErpActorType": "Person"})
        == "Person"
    )
    for actor_type in ("Supplier", "Partner", "Project"):
        await agent("GetActorTypeMapping", {"ErpConnectionId": connection_id, "ActorType": actor_type})

    # §2.5 directions; a disallowed direction refused and nothing saved -----------------------
    save = {"ErpConnectionId": connection_id, "ActorTypeErp": "Customer"}
    bad = await agent(
        "SaveActorTypeMapping",
        {
            **save,
            "FieldMappings": [
                _row(customer, "NAME", SyncToCrm=True, SyncToErp=True),
                _row(customer, "NUMBER2", CrmFieldKey=""),  # the CRM's number takes the customer number
                _row(customer, "CUSTOMERNO", CrmFieldKey="number", SyncToErp=True),
                _row(customer, "EMAIL", SyncToCrm=True, ShowInGui=True),
            ],
        },
        422,
    )
    problems = {e["field"]: e["message"] for e in bad["errors"]}
    assert problems == {
        "CUSTOMERNO": "It cannot sync to the ERP: The ERP field is read-only.",
        "EMAIL": "A synced field cannot also be shown in the ERP tab: its value is already in the CRM.",
    }
    unchanged = await agent(
        "GetActorTypeMapping", {"ErpConnectionId": connection_id, "ActorType": "Customer"}
    )
    assert _fields(unchanged)["NAME"]["SyncToCrm"] is False
    customer = await agent(
        "SaveActorTypeMapping",
        {
            **save,
            "IsActive": True,
            "FieldMappings": [
                _row(customer, "NAME", SyncToCrm=True, SyncToErp=True),
                _row(customer, "EMAIL", SyncToCrm=True, SyncToErp=True, ShowInSearch=True),
                _row(customer, "COUNTRY", SyncToCrm=True, SyncToErp=True),
                _row(customer, "NUMBER2", CrmFieldKey=""),
                _row(customer, "CUSTOMERNO", CrmFieldKey="number", SyncToCrm=True, ShowInSearch=True),
                _row(customer, "BALANCE", ShowInGui=True),
            ],
        },
    )
    assert customer["IsActive"] is True
    assert {
        k: (v["SyncToCrm"], v["SyncToErp"])
        for k, v in _fields(customer).items()
        if k in ("NAME", "CUSTOMERNO")
    } == {
        "NAME": (True, True),
        "CUSTOMERNO": (True, False),
    }
    await agent(
        "SaveActorTypeMapping",
        {
            "ErpConnectionId": connection_id,
            "ActorTypeErp": "Person",
            "IsActive": True,
            "FieldMappings": [_row(person, "FIRSTNAME", SyncToCrm=True, SyncToErp=True)],
        },
    )
    assert await agent(
        "ValidateArchiveColumnConfig", {"ListOwner": "erpfields", "ErpConnectionId": connection_id}
    )

    # §2.6 list mapping: a CRM item chosen twice is refused, then a partial mapping is saved ---
    lists = await agent("GetConnectionListMappings", {"ErpConnectionId": connection_id})
    country = next(
        e
        for e in lists["ErpListItemMappings"]
        if (e["ErpActorTypeName"], e["ErpFieldKey"]) == ("Customer", "COUNTRY")
    )
    assert (country["ErpListName"], country["CrmList"]["ListName"], country["IsComplete"]) == (
        "countries",
        "country",
        False,
    )
    crm_ids = {item["Name"]: item["Id"] for item in country["CrmList"]["Items"]}
    erp_names = {pair["ErpListItemId"]: pair["ErpListItemName"] for pair in country["ErpCrmListItemMappings"]}
    twice = {
        "ErpConnectionId": connection_id,
        "ErpListItemMappings": [
            {
                "ErpFieldId": country["ErpFieldId"],
                "ErpCrmListItemMappings": [
                    {"ErpListItemId": "NO", "CrmListItemId": crm_ids["Norway"]},
                    {"ErpListItemId": "SE", "CrmListItemId": crm_ids["Norway"]},
                ],
            }
        ],
    }
    duplicate = await agent("SaveConnectionListMappings", twice, 422)
    assert duplicate["errors"] == [
        {
            "field": "Customer.COUNTRY",
            "message": "The CRM item 'Norway' is chosen for several ERP items (NO, SE); each CRM item may be "
            "chosen once.",
        }
    ]
    twice["ErpListItemMappings"][0]["ErpCrmListItemMappings"][1]["CrmListItemId"] = crm_ids["Sweden"]
    saved_lists = await agent("SaveConnectionListMappings", twice)
    saved_country = next(
        e for e in saved_lists["ErpListItemMappings"] if e["ErpFieldId"] == country["ErpFieldId"]
    )
    assert {p["ErpListItemId"]: p["CrmListItemName"] for p in saved_country["ErpCrmListItemMappings"]}[
        "SE"
    ] == "Sweden"

    # §2.7 defaults -----------------------------------------------------------------------------
    currency_id = fields["CURRENCY"]["ErpFieldId"]
    info = await agent("GetDefaultValueInfo", {"ErpFieldId": currency_id})
    assert (info["FieldType"], info["ListName"], info["DefaultValue"], info["Mandatory"]) == (
        "List",
        "currencies",
        "NOK",
        False,
    )
    refused = await agent("SaveDefaultValueInfo", {**info, "Mandatory": True}, 422)
    assert refused["errors"] == [
        {
            "field": "Mandatory",
            "message": "A mandatory field needs a default value or Ask the user (or both).",
        }
    ]
    not_an_item = {**info, "HasFirstSyncDefaultValue": True, "FirstSyncDefaultValue": "XXX"}
    assert (await agent("SaveDefaultValueInfo", not_an_item, 422))["errors"][0][
        "field"
    ] == "FirstSyncDefaultValue"
    saved = await agent(
        "SaveDefaultValueInfo",
        {**info, "HasFirstSyncDefaultValue": True, "FirstSyncDefaultValue": "EUR", "Mandatory": True},
    )
    assert (saved["FirstSyncDefaultValue"], saved["Mandatory"]) == ("EUR", True)
    credit = await agent("GetDefaultValueInfo", {"ErpFieldId": fields["CREDITLIMIT"]["ErpFieldId"]})
    await agent(
        "SaveDefaultValueInfo",
        {**credit, "HasFirstSyncDefaultValue": True, "FirstSyncDefaultValue": "lots"},
        422,
    )
    await agent(
        "SaveDefaultValueInfo",
        {**credit, "HasFirstSyncDefaultValue": True, "FirstSyncDefaultValue": "[F:5000]"},
    )
    name_info = await agent("GetDefaultValueInfo", {"ErpFieldId": fields["NAME"]["ErpFieldId"]})
    assert name_info["Mandatory"] is True  # the connector marked NAME mandatory

    # §2.8 rank ---------------------------------------------------------------------------------
    move = {"ErpConnectionId": connection_id, "ErpActorType": "Customer"}
    order = await agent(
        "MoveErpFieldItem", {**move, "ErpFieldId": fields["EMAIL"]["ErpFieldId"], "Direction": -99}
    )
    assert [f["ErpFieldKey"] for f in order][:2] == ["EMAIL", "NAME"]
    order = await agent(
        "MoveErpFieldItem", {**move, "ErpFieldId": fields["NAME"]["ErpFieldId"], "Direction": -1}
    )
    assert [f["ErpFieldKey"] for f in order][:3] == ["NAME", "EMAIL", "CUSTOMERNO"]
    order = await agent(
        "MoveErpFieldItem", {**move, "ErpFieldId": fields["BALANCE"]["ErpFieldId"], "Direction": 2}
    )
    assert [f["Rank"] for f in order] == list(range(len(order)))
    await agent("MoveErpFieldItem", {**move, "ErpFieldId": 999_999, "Direction": 1}, 404)

    # §2.9 priority -----------------------------------------------------------------------------
    assert [p["ErpConnectionId"] for p in await agent("GetErpConnectionSyncPriorities")] == [0, connection_id]
    assert await agent("SaveErpConnectionSyncPriorities", {"ErpConnectionIds": [connection_id, 0]}) is True
    incomplete = await agent("SaveErpConnectionSyncPriorities", {"ErpConnectionIds": [connection_id]}, 409)
    assert incomplete["errors"] == [{"field": "reason", "message": "Missing: 0 (the CRM)."}]
    priorities = await agent("GetErpConnectionSyncPriorities")
    assert [(p["ErpConnectionId"], p["DisplayName"]) for p in priorities] == [
        (connection_id, "Demo ERP"),
        (0, "CRM"),
    ]

    # §2.4 activation refused with its reasons, then accepted ---------------------------------
    toggle = {"ErpConnectionId": connection_id}
    reasons = await agent("ToggleErpConnectionActive", toggle)
    assert reasons == [
        "Customer: the list field Country (COUNTRY) syncs, but the ERP list items DK, FI, IS, DE, NL and 13 "
        "more have no CRM list item: complete its list mapping.",
        "Person: the ERP field Last name (LASTNAME) is mandatory and needs a sync direction.",
    ]
    assert (await agent("GetConnection", toggle))["Active"] is False
    person = await agent("GetActorTypeMapping", {"ErpConnectionId": connection_id, "ActorType": "Person"})
    await agent(
        "SaveActorTypeMapping",
        {
            "ErpConnectionId": connection_id,
            "ActorTypeErp": "Person",
            "FieldMappings": [_row(person, "LASTNAME", SyncToCrm=True, SyncToErp=True)],
        },
    )
    complete = [{"ErpListItemId": key, "CrmListItemId": crm_ids[name]} for key, name in erp_names.items()]
    twice["ErpListItemMappings"][0]["ErpCrmListItemMappings"] = complete
    await agent("SaveConnectionListMappings", twice)
    assert await agent("ToggleErpConnectionActive", toggle) == []
    assert (await agent("GetConnection", toggle))["Active"] is True

    # An active connection: its config and mapping wait; its name does not.
    current = await agent("GetConnection", toggle)
    renamed = await agent("SaveConnection", {**current, "DisplayName": "Demo ERP (live)"})
    assert (renamed["DisplayName"], renamed["Active"]) == ("Demo ERP (live)", True)
    edit = {**current, "ConfigFields": {**current["ConfigFields"], "IncludeInactive": "[I:1]"}}
    locked = await agent("SaveConnection", edit, 409)
    assert "deactivate it before you change its configuration" in locked["detail"]
    await agent("SaveActorTypeMapping", {**save, "FieldMappings": []}, 409)

    # Deactivate, edit (the masked password stands for the stored one), reactivate.
    assert await agent("ToggleErpConnectionActive", toggle) == []
    edited = await agent("SaveConnection", edit)
    assert (edited["ConfigFields"]["IncludeInactive"], edited["ConfigFields"]["Password"]) == (
        "[I:1]",
        "********",
    )
    assert await agent("GetErpConnectionConfigFields", toggle) == edited["ConfigFields"]
    assert await agent("UpdateConnectionFields", toggle) is True
    assert await agent("ToggleErpConnectionActive", toggle) == []

    # The summary below the connection list.
    summary = await agent("GetErpSyncConnectionSummary", {"ErpSyncConnectionId": connection_id})
    actors = {a["ActorType"]: a for a in summary["Actors"]}
    assert (summary["Active"], actors["Customer"]["HasMappings"], actors["Supplier"]["HasMappings"]) == (
        True,
        True,
        False,
    )
    assert "Name ↔ Name" in actors["Customer"]["Mappings"]
    assert "Customer number → Number" in actors["Customer"]["Mappings"]
    assert "Currency = EUR, mandatory" in actors["Customer"]["Defaults"]

    # §2.10 engine settings (the engine itself is not in this process yet).
    await agent("ChangeEngineInterval", {"Seconds": 59}, 422)
    status = await agent("ChangeEngineInterval", {"Seconds": 600})
    assert (status["Interval"], status["IntervalSeconds"]) == ("00:10:00", 600)
    status = await agent("ChangeEngineStatus", {"Run": True})
    assert status["IsRunning"] is True
    assert "switched on" in status["StatusMessage"]
    synced = await agent("SyncAll")
    assert synced["IsOk"] is True, synced
    assert "connection(s) synced" in synced["UserExplanation"]

    # Deleting: the connection is hidden, then the connector may go.
    assert await agent("DeleteConnection", toggle) is True
    assert await agent("GetAllConnections", {}) == []
    assert [c["Deleted"] for c in await agent("GetAllConnections", {"IncludeDeleted": True})] == [True]
    assert await agent("DeleteErpSyncConnectorEntity", {"ErpConnectorId": connector_id}) is True

    # The password: in no reply, no log line, no database value or byte.
    for secret in (ERP_PASSWORD, WRONG_PASSWORD):
        assert not [reply for reply in agent.replies if secret in reply]
        assert secret not in caplog.text
        assert secret not in _stored_text(engine)
        assert secret.encode() not in _database_bytes(database_url)
    assert json.dumps(agent.replies)  # every reply was JSON


async def test_only_administrators_may_call_the_admin_methods(hub_app: FastAPI, user: Login) -> None:
    paths = hub_app.openapi()["paths"]
    transport = httpx.ASGITransport(app=hub_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for method in sorted(ADMIN_METHODS):
            assert f"{AGENT}/{method}" in paths
            as_user = await client.post(f"{AGENT}/{method}", json={}, headers=user.headers)
            assert (as_user.status_code, as_user.json()["error"]) == (403, "Forbidden"), method
            anonymous = await client.post(f"{AGENT}/{method}", json={})
            assert anonymous.status_code == 401, method


ADMIN_METHODS = {
    "SaveErpSyncConnectorEntity", "CreateDefaultErpSyncConnectorEntity", "GetErpSyncConnectorEntity",
    "GetAllConnectors", "TestConnectorUrl", "CanDeleteErpSyncConnectorEntity", "DeleteErpSyncConnectorEntity",
    "GetConfigurationFields", "GetConfigListItems", "SaveConnection", "GetConnection", "GetAllConnections",
    "GetErpConnectionConfigFields", "TestConnectionByConfig", "TestConnectionById", "DeleteConnection",
    "ToggleErpConnectionActive", "UpdateConnectionFields", "GetActorTypeMapping", "SaveActorTypeMapping",
    "GetCrmActorType", "ValidateArchiveColumnConfig", "GetConnectionListMappings",
    "SaveConnectionListMappings",
    "GetDefaultValueInfo", "SaveDefaultValueInfo", "MoveErpFieldItem", "SaveErpConnectionSyncPriorities",
    "GetErpConnectionSyncPriorities", "GetErpSyncConnectionSummary", "GetEngineStatus", "ChangeEngineStatus",
    "ChangeEngineInterval", "SyncAll", "ForceSyncAll", "ForceResync", "ForceResyncNoBlankValues",
    "ForceResyncBatchTask", "ForceResyncExternal", "ForceResyncExternalNoBlankValues",
}  # fmt: skip
