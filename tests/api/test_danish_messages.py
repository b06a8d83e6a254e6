"""Messages for people in the reader's language: Danish with ``Accept-Language: da``, English
without; a connector's packed explanation shown in the reader's language; texts stored for later
readers (the sync log) kept in every language; the CLI in the language of its environment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from erpsync import cli, i18n
from erpsync.crm.texts import _
from erpsync.hub.models import ErpSyncLog
from erpsync.hub.synclog import LogEntry, write_log
from tests.hub.fixtures_admin import DemoErp, demo_config

from .conftest import Login

pytestmark = pytest.mark.anyio

AGENT = "/api/v1/Agents/ErpSync"
DANISH = {"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"}


@pytest.fixture
async def client(hub_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hub_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        yield client


async def _both(
    client: httpx.AsyncClient, admin: Login, path: str, body: Any, status: int
) -> tuple[Any, Any]:
    """The reply in English (no Accept-Language) and in Danish."""
    english = await client.post(path, json=body, headers=admin.headers)
    danish = await client.post(path, json=body, headers={**admin.headers, **DANISH})
    assert (english.status_code, danish.status_code) == (status, status), (english.text, danish.text)
    return english.json(), danish.json()


async def test_a_validation_error_comes_in_the_requests_language(
    client: httpx.AsyncClient, admin: Login
) -> None:
    # Pydantic's checks, in our own words ...
    english, danish = await _both(client, admin, "/api/v1/companies", {"name": ""}, 422)
    assert english["errors"] == [{"field": "name", "message": "must be at least 1 character(s)"}]
    assert danish["errors"] == [{"field": "name", "message": "skal være mindst 1 tegn"}]
    assert (english["detail"], danish["detail"]) == ("The request was refused.", "Anmodningen blev afvist.")
    english, danish = await _both(client, admin, f"{AGENT}/GetConnection", {"ErpConnectionId": "x"}, 422)
    assert english["errors"] == [{"field": "ErpConnectionId", "message": "must be a whole number"}]
    assert danish["errors"] == [{"field": "ErpConnectionId", "message": "skal være et heltal"}]
    # ... and the CRM's own.
    english, danish = await _both(client, admin, "/api/v1/companies", {"name": "Nordic", "country": 999}, 409)
    assert english["errors"] == [{"field": "country", "message": "999 is not an item of the country list"}]
    assert danish["errors"] == [{"field": "country", "message": "999 er ikke et element i listen country"}]
    assert english["detail"] == "The values conflict with the CRM's data."
    assert danish["detail"] == "Værdierne er i konflikt med dataene i CRM."


async def test_a_hub_refusal_comes_in_the_requests_language(client: httpx.AsyncClient, admin: Login) -> None:
    body = {"ErpConnectionIds": [7]}
    english, danish = await _both(client, admin, f"{AGENT}/SaveErpConnectionSyncPriorities", body, 409)
    assert english["detail"] == "The priority list must name the CRM (0) and every connection exactly once."
    assert danish["detail"] == "Prioritetslisten skal angive CRM (0) og hvert ERP-link præcis én gang."
    assert [e["message"] for e in english["errors"]] == ["Not a connection: 7.", "Missing: 0 (the CRM)."]
    assert [e["message"] for e in danish["errors"]] == ["Ikke et ERP-link: 7.", "Mangler: 0 (CRM)."]
    english, danish = await _both(client, admin, f"{AGENT}/GetConnection", {"ErpConnectionId": 42}, 404)
    assert english["detail"] == "There is no ERP connection with id 42."
    assert danish["detail"] == "Der findes intet ERP-link med id 42."


async def test_the_demo_connector_answers_in_the_readers_language(
    client: httpx.AsyncClient, admin: Login, erp: DemoErp
) -> None:
    connector = await client.post(
        f"{AGENT}/SaveErpSyncConnectorEntity",
        json={"ErpConnectorId": 0, "DisplayName": "Demo ERP", "URL": erp.url},
        headers=admin.headers,
    )
    connector_id = connector.json()["ErpConnectorId"]
    wrong = {"ErpConnectorId": connector_id, "ConfigFields": demo_config(password="Wr0ng-Pa55word!")}
    english, danish = await _both(client, admin, f"{AGENT}/TestConnectionByConfig", wrong, 200)
    assert english == {"IsOk": False, "UserExplanation": "Wrong user name or password."}
    assert danish == {"IsOk": False, "UserExplanation": "Forkert brugernavn eller adgangskode."}
    # Saving with the wrong password is refused, the connector's explanation in the hub's sentence.
    new = {"ErpConnectionId": 0, "ErpConnectorId": connector_id, "DisplayName": "Demo", "AllAccess": True}
    body = {**new, "ConfigFields": wrong["ConfigFields"]}
    english, danish = await _both(client, admin, f"{AGENT}/SaveConnection", body, 409)
    assert (
        english["detail"] == "The connector's test of the config values failed: Wrong user name or password."
    )
    assert danish["detail"] == (
        "Connectorens test af konfigurationsværdierne mislykkedes: Forkert brugernavn eller adgangskode."
    )
    # The Define ERP connection dialog's fields come from the connector in both languages.
    english, danish = await _both(
        client, admin, f"{AGENT}/GetConfigurationFields", {"ErpConnectorId": connector_id}, 200
    )
    assert {f["FieldKey"]: f["DisplayName"] for f in english}["Username"] == "User name"
    assert {f["FieldKey"]: f["DisplayName"] for f in danish}["Username"] == "Brugernavn"
    assert {f["FieldKey"]: f["DisplayName"] for f in danish}["Password"] == "Adgangskode"


async def test_the_sync_log_keeps_every_language_and_shows_the_readers(
    client: httpx.AsyncClient, admin: Login, hub_app: FastAPI
) -> None:
    with i18n.use_language("da"):  # whoever wrote it, in whichever language
        message = _("Connected to %(type)s %(key)s.", type="Customer", key="1001")
    with hub_app.state.hub.session() as session:
        write_log(session, [LogEntry(connection_id=None, kind="link", source="connect", message=message)])
    with hub_app.state.session_factory() as session:
        stored = session.scalars(select(ErpSyncLog.message)).one()
    assert stored == 'US:"Connected to Customer 1001."DK:"Forbundet med Customer 1001."'
    english, danish = await _both(client, admin, f"{AGENT}/GetSyncLog", {}, 200)
    assert [row["Message"] for row in english] == ["Connected to Customer 1001."]
    assert [row["Message"] for row in danish] == ["Forbundet med Customer 1001."]


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        ({"LANG": "da_DK.UTF-8"}, "Intervallet skal være mellem 60 og 31536000 sekunder."),
        (
            {"LANG": "C.UTF-8", "LC_ALL": "da_DK.UTF-8"},
            "Intervallet skal være mellem 60 og 31536000 sekunder.",
        ),
        (
            {"LANG": "da_DK.UTF-8", "LC_ALL": "en_GB.UTF-8"},
            "The interval must be between 60 and 31536000 seconds.",
        ),
        ({"LANG": "C.UTF-8"}, "The interval must be between 60 and 31536000 seconds."),
        ({"LANG": "nb_NO.UTF-8"}, "The interval must be between 60 and 31536000 seconds."),
    ],
)
def test_the_cli_speaks_the_language_of_its_environment(
    environment: dict[str, str], said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli.app, ["engine", "interval", "5"], env=environment)
    assert result.exit_code == 2
    assert said in " ".join(result.output.split())
    assert i18n.current_language() == "en"  # for that command only
