"""The engine's agent methods over the API: SyncAll / ForceSyncAll, the ForceResync family, Sync now,
engine status, dead letters and the sync log — against the demo ERP over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from erpsync.connectors.demo import DemoErpDatabase, database_path
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.crm.journal import user_origin
from erpsync.engine.models import SyncDeadLetter
from erpsync.hub.models import ErpActorTypeMapping, ErpLink
from tests.api.conftest import Login
from tests.engine.fixtures import ENGINE_FIELDS
from tests.hub.fixtures_admin import DemoErp, make_configured_connection

AGENT = "/api/v1/Agents/ErpSync"
pytestmark = pytest.mark.anyio


@pytest.fixture
def engine_app(hub_app: FastAPI, erp: DemoErp) -> FastAPI:
    configured = make_configured_connection(hub_app.state.hub, erp.url, fields=ENGINE_FIELDS)
    with hub_app.state.hub.session() as session:
        session.execute(update(ErpActorTypeMapping).values(auto_import=True))
    hub_app.state.connection_id = configured.connection_id
    return hub_app


@pytest.fixture
async def client(engine_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=engine_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        yield client


@pytest.fixture
def erp_db(erp: DemoErp) -> Iterator[DemoErpDatabase]:
    db = DemoErpDatabase(database_path(erp.data_dir, erp.database), create=False)
    yield db
    db.close()


async def _call(
    client: httpx.AsyncClient, login: Login, method: str, body: Any = None, status: int = 200
) -> Any:
    response = await client.post(f"{AGENT}/{method}", json=body, headers=login.headers)
    assert response.status_code == status, (method, response.text)
    return response.json()


def _link_of(session_factory: sessionmaker[Session], erp_key: str) -> ErpLink:
    with session_factory() as session:
        link = session.scalar(select(ErpLink).where(ErpLink.erp_key == erp_key))
    assert link is not None
    return link


async def test_sync_all_waits_for_automatic_sync_and_force_sync_all_does_not(
    client: httpx.AsyncClient, admin: Login, erp_db: DemoErpDatabase, session_factory: sessionmaker[Session]
) -> None:
    actor = erp_db.create_actor("Customer", {"NAME": "Api Fisk AS"})
    refused = await _call(client, admin, "SyncAll")
    assert refused["IsOk"] is False
    assert refused["ErrorCode"] == "EngineOff"
    done = await _call(client, admin, "ForceSyncAll")
    assert done["IsOk"] is True, done
    link = _link_of(session_factory, actor.erp_key)
    with session_factory() as session:
        record = store.get(session, CrmEntity.company, link.crm_record_id)
    assert record is not None
    assert record["name"] == "Api Fisk AS"
    status = await _call(client, admin, "ChangeEngineStatus", {"Run": True})
    assert status["IsRunning"] is True
    assert "Last cycle finished" in status["StatusMessage"]
    assert (await _call(client, admin, "SyncAll"))["IsOk"] is True


async def test_resync_from_the_crm_pushes_crm_values_whatever_the_timestamps(
    client: httpx.AsyncClient, admin: Login, erp_db: DemoErpDatabase, session_factory: sessionmaker[Session]
) -> None:
    actor = erp_db.create_actor("Customer", {"NAME": "Resync AS", "PHONE": "111"})
    await _call(client, admin, "ForceSyncAll")
    link = _link_of(session_factory, actor.erp_key)
    # The ERP drifted without a newer timestamp the engine would see: rewrite it behind its back.
    erp_db.update_actor("Customer", actor.erp_key, {"PHONE": "999"})
    with session_factory() as session, session.begin():
        session.execute(update(ErpLink).where(ErpLink.id == link.id).values(last_modified="9999"))
    await _call(client, admin, "ForceSyncAll")
    assert erp_db.get_actor("Customer", actor.erp_key).field_values["PHONE"] == "999"  # type: ignore[union-attr]
    reply = await _call(client, admin, "ForceResync", {"ErpConnectionId": 0, "InternalKeyIds": [link.id]})
    assert reply["IsOk"] is True, reply
    assert erp_db.get_actor("Customer", actor.erp_key).field_values["PHONE"] == "111"  # type: ignore[union-attr]
    log = await _call(client, admin, "GetSyncLog", {"Kind": "change", "ErpKey": actor.erp_key})
    assert any(row["Source"] == "resync" and row["NewValue"] == "111" for row in log)
    missing = await _call(
        client, admin, "ForceResync", {"ErpConnectionId": 0, "InternalKeyIds": [99999]}, 404
    )
    assert missing["error"] == "NotFound"


async def test_resync_external_without_blank_values(
    client: httpx.AsyncClient, admin: Login, erp_db: DemoErpDatabase, session_factory: sessionmaker[Session]
) -> None:
    actor = erp_db.create_actor("Customer", {"NAME": "Blank AS", "PHONE": "222"})
    await _call(client, admin, "ForceSyncAll")
    link = _link_of(session_factory, actor.erp_key)
    with session_factory() as session, session.begin():
        store.update(session, CrmEntity.company, link.crm_record_id, {"phone": None}, user_origin(1))
        session.execute(update(ErpLink).where(ErpLink.id == link.id).values(last_modified="9999"))
    body = {"ErpConnectionId": 0, "ErpActorType": "Customer", "ExternalKeys": [actor.erp_key]}
    await _call(client, admin, "ForceResyncExternalNoBlankValues", body, 409)
    body["ErpConnectionId"] = engine_connection = _link_of(session_factory, actor.erp_key).connection_id
    assert engine_connection
    # From the connection itself to the others (none here): nothing is blanked anywhere.
    assert (await _call(client, admin, "ForceResyncExternalNoBlankValues", body))["IsOk"] is True
    assert erp_db.get_actor("Customer", actor.erp_key).field_values["PHONE"] == "222"  # type: ignore[union-attr]


async def test_dead_letters_are_listed_replayed_and_dropped(
    client: httpx.AsyncClient, admin: Login, erp_db: DemoErpDatabase, session_factory: sessionmaker[Session]
) -> None:
    actor = erp_db.create_actor("Customer", {"NAME": "Letter AS"})
    await _call(client, admin, "ForceSyncAll")
    link = _link_of(session_factory, actor.erp_key)
    with session_factory() as session, session.begin():
        store.update(session, CrmEntity.company, link.crm_record_id, {"name": "L" * 200}, user_origin(1))
    reply = await _call(client, admin, "ForceSyncAll")
    assert "dead letters" in reply["UserExplanation"]
    letters = await _call(client, admin, "GetDeadLetters", {})
    assert [(row["ErpKey"], row["Attempts"]) for row in letters] == [(actor.erp_key, 1)]
    status = await _call(client, admin, "GetEngineStatus")
    assert "1 record(s) in the dead letters" in status["StatusMessage"]
    # Replaying without a fix fails again (one more attempt); dropping gives up, logged.
    await _call(client, admin, "ReplayDeadLetters", {"Ids": [letters[0]["Id"]]})
    assert (await _call(client, admin, "GetDeadLetters", {}))[0]["Attempts"] == 2
    assert await _call(client, admin, "DropDeadLetters", {"Ids": [letters[0]["Id"]]}) == 1
    assert await _call(client, admin, "GetDeadLetters", {}) == []
    dropped = await _call(client, admin, "GetSyncLog", {"Kind": "dropped"})
    assert dropped[0]["ErpKey"] == actor.erp_key
    await _call(client, admin, "DropDeadLetters", {"Ids": [letters[0]["Id"]]}, 404)
    with session_factory() as session:
        assert session.scalar(select(SyncDeadLetter)) is None


async def test_sync_now_reconciles_one_record_for_its_user(
    client: httpx.AsyncClient,
    admin: Login,
    user: Login,
    erp_db: DemoErpDatabase,
    session_factory: sessionmaker[Session],
) -> None:
    actor = erp_db.create_actor("Customer", {"NAME": "Now AS"})
    await _call(client, admin, "ForceSyncAll")
    link = _link_of(session_factory, actor.erp_key)
    erp_db.update_actor("Customer", actor.erp_key, {"NAME": "Now ASA"})
    body = {"CrmActorType": "Contact", "EntityId": link.crm_record_id}
    reply = await _call(client, user, "SyncNow", body)
    assert reply["IsOk"] is True, reply
    with session_factory() as session:
        record = store.get(session, CrmEntity.company, link.crm_record_id)
    assert record is not None
    assert record["name"] == "Now ASA"
    await _call(client, user, "SyncNow", {"CrmActorType": "Contact", "EntityId": 424242}, 404)
