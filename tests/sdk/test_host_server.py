"""The connector host behind a real uvicorn server on the loopback interface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from erpsync.protocol.signing import sign_request
from erpsync.sdk.host import ConnectorHost
from tests.helpers import run_asgi_server

from .host_support import SECRET, encode
from .ledger import GUID, PASSWORD, Ledger


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ConnectorHost, httpx.Client]]:
    host = ConnectorHost(
        tmp_path, [Ledger], secrets=[SECRET], max_body_bytes=64 * 1024, encryption_key=Fernet.generate_key()
    )
    with run_asgi_server(host.app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield host, client


def signed_post(client: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return client.post(path, content=body, headers=sign_request(SECRET, "POST", path, body))


def test_a_connection_round_trip_over_real_http(served: tuple[ConnectorHost, httpx.Client]) -> None:
    _host, client = served
    assert client.get("/health").json() == {"status": "ok"}
    save = encode(
        {"ConnectionGuid": GUID, "ConnectionInfo": {"Url": "https://erp.test", "Password": PASSWORD}}
    )
    assert signed_post(client, "/connectors/ledger/SaveConnection", save).json()["IsOk"] is True
    create = encode(
        {"ConnectionGuid": GUID, "Actor": {"ActorType": "Customer", "FieldValues": {"Name": "Acme"}}}
    )
    created = signed_post(client, "/connectors/ledger/CreateActor", create).json()
    assert created["IsOk"] is True
    key = created["Actor"]["ErpKey"]
    feed = encode({"ConnectionGuid": GUID, "ActorType": "Customer", "UpdatedOnOrAfter": ""})
    reply = signed_post(client, "/connectors/ledger/GetActorsByTimestamp", feed).json()
    assert [a["ErpKey"] for a in reply["Actors"]] == [key]


def test_refusals_over_real_http(served: tuple[ConnectorHost, httpx.Client]) -> None:
    _, client = served
    body = encode({"ConnectionGuid": GUID, "ActorType": "Customer"})
    unsigned = client.post("/connectors/ledger/GetActors", content=body)
    assert (unsigned.status_code, unsigned.json()["ErrorCode"]) == (401, "Unauthorized")
    assert client.get("/connectors/ledger/GetActors").status_code == 405
    assert signed_post(client, "/connectors/ledger/GetActors", b"[").json()["ErrorCode"] == "InvalidRequest"


def test_streamed_body_over_the_limit_is_cut_off(served: tuple[ConnectorHost, httpx.Client]) -> None:
    host, client = served
    path = "/connectors/ledger/SaveConnection"
    body = encode({"ConnectionGuid": GUID, "ConnectionInfo": {"Url": "x" * (256 * 1024)}})

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(path, content=chunks(), headers=sign_request(SECRET, "POST", path, body))
    assert (response.status_code, response.json()["ErrorCode"]) == (413, "PayloadTooLarge")
    assert not (host.data_dir / "connectors" / "ledger" / "connections").exists()
