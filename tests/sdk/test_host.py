"""The connector host over HTTP: routing, refusals of bad input, signatures, the body limit.

Every refusal must come back as a PluginResponse-shaped JSON object with the right status and
ErrorCode, and must leave the connector and its config store exactly as they were.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from erpsync.protocol import OPERATIONS, PROTOCOL_VERSION, PluginResponse
from erpsync.protocol.signing import sign_request
from erpsync.sdk.host import ConnectorHost

from .host_support import SECRET, asgi_client, encode, files_under, post
from .ledger import GUID, Bare, Ledger

pytestmark = pytest.mark.anyio

ACTORS = "/connectors/ledger/GetActors"
SAVE = "/connectors/ledger/SaveActors"


def refusal(response: httpx.Response, status: int, code: str) -> PluginResponse:
    """Assert a carrier-shaped refusal and return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    reply = PluginResponse.model_validate_json(response.content)
    assert set(response.json()) >= {"IsOk", "State", "UserExplanation", "TechExplanation", "ErrorCode"}
    assert (reply.is_ok, reply.state, reply.error_code) == (False, "Error", code)
    assert "Traceback" not in reply.user_explanation
    return reply


@pytest.fixture
def untouched(host: ConnectorHost, connected: Ledger) -> Iterator[None]:
    """Wrap a test that must change nothing: no write, no call that writes, no file changed."""
    before = files_under(host.data_dir)
    actors = dict(connected.actors)
    yield
    assert connected.writes == []
    assert connected.actors == actors
    assert files_under(host.data_dir) == before


# -- discovery endpoints ---------------------------------------------------------------------------


async def test_health_needs_no_signature(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_connector_list(client: httpx.AsyncClient) -> None:
    assert (await client.get("/connectors")).json() == ["bare", "ledger", "paged"]


async def test_connector_description(client: httpx.AsyncClient) -> None:
    described = (await client.get("/connectors/paged")).json()
    assert described["Name"] == "paged"
    assert described["ProtocolVersion"] == PROTOCOL_VERSION
    assert described["MaxPageSize"] == 3
    assert "PagedTimestampFeed" in described["Capabilities"]
    assert "GetActorsByTimestamp" in described["Operations"]


async def test_description_of_unknown_connector(client: httpx.AsyncClient) -> None:
    refusal(await client.get("/connectors/nope"), 404, "UnknownConnector")


async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert "/connectors/{name}/SaveActors" in document["paths"]


async def test_unknown_path_is_a_carrier_not_html(client: httpx.AsyncClient) -> None:
    response = await client.get("/nothing/here")
    refusal(response, 404, "UnknownOperation")


async def test_get_on_an_operation_is_405(client: httpx.AsyncClient, untouched: None) -> None:
    response = await client.get(ACTORS)
    reply = refusal(response, 405, "InvalidRequest")
    assert response.headers["allow"] == "POST"
    assert "POST" in reply.user_explanation


async def test_put_on_an_operation_is_405(client: httpx.AsyncClient, untouched: None) -> None:
    refusal(await client.put(SAVE, content=b"{}"), 405, "InvalidRequest")


# -- bad request bodies ------------------------------------------------------------------------


async def test_malformed_json(client: httpx.AsyncClient, untouched: None) -> None:
    reply = refusal(await post(client, SAVE, b'{"ConnectionGuid": '), 400, "InvalidRequest")
    assert reply.failure_kind == "config"
    assert "not valid JSON" in reply.user_explanation


async def test_body_that_is_not_an_object(client: httpx.AsyncClient, untouched: None) -> None:
    reply = refusal(await post(client, SAVE, [{"ConnectionGuid": GUID, "Actors": []}]), 400, "InvalidRequest")
    assert "must be a JSON object" in reply.user_explanation


async def test_body_that_is_not_utf8(client: httpx.AsyncClient, untouched: None) -> None:
    refusal(await post(client, SAVE, b"\xff\xfe{}"), 400, "InvalidRequest")


async def test_missing_member(client: httpx.AsyncClient, untouched: None) -> None:
    reply = refusal(await post(client, SAVE, {"ConnectionGuid": GUID}), 400, "InvalidRequest")
    assert "Actors: Field required" in reply.user_explanation


async def test_wrong_member_type(client: httpx.AsyncClient, untouched: None) -> None:
    body = {
        "ConnectionGuid": GUID,
        "Actors": [{"ActorType": "Customer", "ErpKey": "C1", "FieldValues": {"Name": 5}}],
    }
    reply = refusal(await post(client, SAVE, body), 400, "InvalidRequest")
    assert "Actors[0].FieldValues.Name: Input should be a valid string" in reply.user_explanation


async def test_bad_guid(client: httpx.AsyncClient, untouched: None) -> None:
    body = {"ConnectionGuid": "not-a-guid", "ActorType": "Customer", "ErpKeys": ["C1"]}
    reply = refusal(await post(client, ACTORS, body), 400, "InvalidRequest")
    assert reply.user_explanation.startswith("The GetActors request is not valid: ConnectionGuid:")
    assert "is not a GUID" in reply.user_explanation


async def test_bad_guid_in_save_connection_writes_no_config(
    client: httpx.AsyncClient, untouched: None
) -> None:
    body = {"ConnectionGuid": "{zzz}", "ConnectionInfo": {"Url": "x", "Password": "secret-value"}}
    reply = refusal(await post(client, "/connectors/ledger/SaveConnection", body), 400, "InvalidRequest")
    assert "secret-value" not in reply.model_dump_json()


async def test_unknown_operation(client: httpx.AsyncClient, untouched: None) -> None:
    reply = refusal(await post(client, "/connectors/ledger/DropDatabase", {}), 404, "UnknownOperation")
    assert "DropDatabase" in reply.user_explanation
    assert all(name in reply.tech_explanation for name in OPERATIONS)


async def test_unknown_connector(client: httpx.AsyncClient, untouched: None) -> None:
    reply = refusal(await post(client, "/connectors/nope/GetConfigData", {}), 404, "UnknownConnector")
    assert "'nope' was not found" in reply.user_explanation


async def test_unknown_actor_type(client: httpx.AsyncClient, connected: Ledger, untouched: None) -> None:
    body = {"ConnectionGuid": GUID, "ActorType": "Vendor", "ErpKeys": ["C1"]}
    response = await post(client, ACTORS, body)
    assert response.status_code == 200
    reply = PluginResponse.model_validate_json(response.content)
    assert (reply.is_ok, reply.state, reply.error_code) == (False, "Error", "UnknownActorType")
    assert "get_actors" not in connected.calls


async def test_actor_type_unknown_is_never_supported(
    client: httpx.AsyncClient, connected: Ledger, untouched: None
) -> None:
    body = {"ConnectionGuid": GUID, "ActorType": "Unknown", "SearchText": ""}
    reply = PluginResponse.model_validate_json(
        (await post(client, "/connectors/ledger/SearchActors", body)).content
    )
    assert reply.error_code == "UnknownActorType"
    assert connected.calls == []


async def test_wrong_value_encodings_fail_only_their_actor(
    client: httpx.AsyncClient, connected: Ledger
) -> None:
    body = {
        "ConnectionGuid": GUID,
        "Actors": [
            {"ActorType": "Customer", "ErpKey": "C1", "FieldValues": {"Employees": "12"}},
            {"ActorType": "Customer", "ErpKey": "C2", "FieldValues": {"Employees": "[I:21]"}},
            {"ActorType": "Customer", "ErpKey": "C1", "FieldValues": {"Founded": "2024-01-01"}},
        ],
    }
    reply = (await post(client, SAVE, body)).json()
    assert (reply["IsOk"], reply["State"]) == (True, "Warning")
    assert reply["UserExplanation"].startswith("2 of 3 actors were not saved")
    results = reply["ActorResults"]
    assert [r["ErrorCode"] for r in results] == ["InvalidValue", "", "InvalidValue"]
    assert [r["Index"] for r in results] == [0, 1, 2]
    assert [a["ErpKey"] for a in reply["Actors"]] == ["C2"]
    assert connected.writes == [("save_actor", "C2")]
    assert connected.actors["Customer", "C1"].field_values["Employees"] == "[I:10]"


# -- the body limit ------------------------------------------------------------------------------


@pytest.fixture
def small_host(tmp_path: Path) -> ConnectorHost:
    return ConnectorHost(
        tmp_path, [Ledger], secrets=[SECRET], max_body_bytes=1024, encryption_key=Fernet.generate_key()
    )


def _big_save_connection() -> bytes:
    return encode({"ConnectionGuid": GUID, "ConnectionInfo": {"Url": "x" * 4096}})


async def test_body_over_the_limit_announced(small_host: ConnectorHost) -> None:
    before = files_under(small_host.data_dir)
    async with asgi_client(small_host) as client:
        reply = refusal(
            await post(client, "/connectors/ledger/SaveConnection", _big_save_connection()),
            413,
            "PayloadTooLarge",
        )
    assert "1024 bytes" in reply.user_explanation
    assert files_under(small_host.data_dir) == before
    assert not (small_host.data_dir / "connectors" / "ledger" / "connections").exists()


async def test_body_over_the_limit_streamed_without_length(small_host: ConnectorHost) -> None:
    body = _big_save_connection()
    path = "/connectors/ledger/SaveConnection"
    headers = sign_request(SECRET, "POST", path, body)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 512):
            yield body[i : i + 512]

    async with asgi_client(small_host) as client:
        response = await client.post(path, content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    refusal(response, 413, "PayloadTooLarge")
    assert not (small_host.data_dir / "connectors" / "ledger" / "connections").exists()


async def test_body_at_the_limit_is_accepted(small_host: ConnectorHost) -> None:
    body = encode({"ConnectionGuid": GUID, "ConnectionInfo": {"Url": "u"}})
    body += b" " * (1024 - len(body))
    async with asgi_client(small_host) as client:
        assert (await post(client, "/connectors/ledger/SaveConnection", body)).status_code == 200


# -- signatures ----------------------------------------------------------------------------------


def _get_actors_body() -> bytes:
    return encode({"ConnectionGuid": GUID, "ActorType": "Customer", "ErpKeys": ["C1"]})


async def test_missing_signature(client: httpx.AsyncClient, connected: Ledger, untouched: None) -> None:
    reply = refusal(await post(client, ACTORS, _get_actors_body(), secret=None), 401, "Unauthorized")
    assert "not signed" in reply.user_explanation
    assert connected.calls == []


async def test_bad_signature(client: httpx.AsyncClient, connected: Ledger, untouched: None) -> None:
    reply = refusal(await post(client, ACTORS, _get_actors_body(), secret=b"wrong"), 401, "Unauthorized")
    assert "does not match" in reply.user_explanation
    assert connected.calls == []


async def test_signature_covers_the_path(
    client: httpx.AsyncClient, connected: Ledger, untouched: None
) -> None:
    body = _get_actors_body()
    headers = sign_request(SECRET, "POST", ACTORS, body)
    refusal(
        await client.post("/connectors/ledger/SearchActors", content=body, headers=headers),
        401,
        "Unauthorized",
    )


async def test_signature_covers_the_body(
    client: httpx.AsyncClient, connected: Ledger, untouched: None
) -> None:
    headers = sign_request(SECRET, "POST", SAVE, encode({"ConnectionGuid": GUID, "Actors": []}))
    tampered = {"ConnectionGuid": GUID, "Actors": [{"ActorType": "Customer", "ErpKey": "C1"}]}
    refusal(await client.post(SAVE, content=encode(tampered), headers=headers), 401, "Unauthorized")


async def test_stale_timestamp(client: httpx.AsyncClient, connected: Ledger, untouched: None) -> None:
    body = _get_actors_body()
    headers = sign_request(SECRET, "POST", ACTORS, body, now=time.time() - 3600)
    reply = refusal(await client.post(ACTORS, content=body, headers=headers), 401, "Unauthorized")
    assert "stale" in reply.user_explanation


async def test_replayed_nonce(client: httpx.AsyncClient, connected: Ledger) -> None:
    body = _get_actors_body()
    headers = sign_request(SECRET, "POST", ACTORS, body)
    assert (await client.post(ACTORS, content=body, headers=headers)).status_code == 200
    reply = refusal(await client.post(ACTORS, content=body, headers=headers), 401, "Unauthorized")
    assert "replayed" in reply.user_explanation
    assert connected.calls == ["get_actors"]


async def test_rotated_secrets_are_all_accepted(tmp_path: Path) -> None:
    host = ConnectorHost(tmp_path, [Bare], secrets=[b"old", b"new"], encryption_key=Fernet.generate_key())
    async with asgi_client(host) as client:
        for secret in (b"old", b"new"):
            assert (
                await post(client, "/connectors/bare/GetCapabilities", {}, secret=secret)
            ).status_code == 200


async def test_signing_required_without_secrets_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        ConnectorHost(tmp_path, [Bare], encryption_key=Fernet.generate_key())


async def test_unsigned_host_accepts_unsigned_requests(tmp_path: Path) -> None:
    host = ConnectorHost(tmp_path, [Bare], require_signature=False, encryption_key=Fernet.generate_key())
    async with asgi_client(host) as client:
        response = await post(client, "/connectors/bare/GetCapabilities", {}, secret=None)
    assert response.status_code == 200
    assert response.json()["IsOk"] is True


# -- replies ---------------------------------------------------------------------------------


async def test_connector_exception_is_an_internal_error_carrier(
    client: httpx.AsyncClient,
    connected: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(*args: object) -> list[object]:
        raise RuntimeError("the ERP's socket closed")

    monkeypatch.setattr(connected, "get_actors", explode)
    response = await post(client, ACTORS, _get_actors_body())
    assert response.status_code == 200
    reply = response.json()
    assert (reply["IsOk"], reply["State"], reply["ErrorCode"], reply["FailureKind"]) == (
        False,
        "Error",
        "InternalError",
        "transient",
    )
    assert reply["UserExplanation"] == "The connector failed while running GetActors."
    assert "Traceback" in reply["TechExplanation"]
    assert "the ERP's socket closed" in reply["TechExplanation"]
    assert "the ERP's socket closed" in caplog.text


async def test_a_bug_in_the_host_is_a_carrier_too(
    host: ConnectorHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str, operation: str, body: bytes) -> tuple[int, bytes]:
        raise KeyError("host bug")

    monkeypatch.setattr(host, "dispatch", broken)
    transport = httpx.ASGITransport(app=host.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await post(client, "/connectors/bare/GetCapabilities", {})
    reply = refusal(response, 500, "InternalError")
    assert reply.failure_kind == "transient"


async def test_reply_is_json_with_wire_names(client: httpx.AsyncClient, connected: Ledger) -> None:
    response = await post(client, ACTORS, _get_actors_body())
    assert response.headers["content-type"] == "application/json"
    actor = response.json()["Actors"][0]
    assert set(actor) == {
        "ActorType",
        "ErpKey",
        "LastModified",
        "ParentActorType",
        "ParentErpKey",
        "FieldValues",
    }
    assert json.loads(response.content)["IsOk"] is True


async def test_empty_body_is_the_empty_object(client: httpx.AsyncClient) -> None:
    response = await post(client, "/connectors/ledger/GetConfigData", b"")
    assert response.status_code == 200
    assert [f["FieldKey"] for f in response.json()["FieldMetaDataObjects"]] == ["Url", "Password"]
