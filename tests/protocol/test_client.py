"""The connector client: signing, the status table, reply validation, the ConnectionInfoMissing rule."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import httpx
import pytest
import respx

from erpsync.protocol import (
    NIL_GUID,
    ActorArrayResponse,
    AsyncConnectorClient,
    ConnectionInfoMissingError,
    ConnectorAuthenticationError,
    ConnectorClient,
    ConnectorRefusedRequest,
    ConnectorReplyError,
    ConnectorTimeout,
    ConnectorUnavailable,
    ErpActor,
    ErrorCode,
    InvalidConnectorUrl,
    MalformedReply,
    PluginResponse,
    UnknownPluginError,
    call,
    validate_connector_url,
)
from erpsync.protocol.plugins import register_plugin, unregister_plugin
from erpsync.protocol.signing import NonceCache, SignatureError, verify_request

URL = "http://erp.test:8100/connectors/demo"
GUID = "6f1c2d3e-0000-4000-8000-00000000abcd"
SECRET = b"s3cret"


def _actors_reply(*keys: str) -> dict[str, object]:
    actors = [ErpActor(actor_type="Customer", erp_key=k, last_modified="1").to_wire() for k in keys]
    return {"IsOk": True, "State": "Ok", "Actors": actors}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url="http://erp.test:8100", assert_all_called=False) as router:
        yield router


def test_request_is_signed_over_path_and_body_and_verifies(mock: respx.MockRouter) -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_actors_reply("1"))

    mock.post("/connectors/demo/GetActors").mock(side_effect=reply)
    with ConnectorClient(URL, secret=SECRET) as client:
        result = client.send(call.get_actors(GUID, "Customer", ["1"], ["NAME"]))
    assert [a.erp_key for a in result.actors] == ["1"]
    request = seen[0]
    body = request.content
    assert json.loads(body) == {
        "ConnectionGuid": GUID,
        "ActorType": "Customer",
        "ErpKeys": ["1"],
        "FieldKeys": ["NAME"],
    }
    cache = NonceCache(300)
    verify_request([SECRET], "POST", request.url.path, request.headers, body, cache)
    with pytest.raises(SignatureError, match="replayed"):
        verify_request([SECRET], "POST", request.url.path, request.headers, body, cache)
    with pytest.raises(SignatureError, match="does not match"):
        verify_request([b"other"], "POST", request.url.path, request.headers, body, NonceCache(300))
    with pytest.raises(SignatureError, match="does not match"):
        verify_request([SECRET], "POST", request.url.path, request.headers, body + b" ", NonceCache(300))


def test_plain_client_sends_no_signature(mock: respx.MockRouter) -> None:
    route = mock.post("/connectors/demo/GetSupportedActorTypes").respond(200, json={"Items": ["Customer"]})
    with ConnectorClient(URL) as client:
        assert client.send(call.get_supported_actor_types(GUID)).items == ["Customer"]
    assert "X-Erpsync-Signature" not in route.calls.last.request.headers


def test_error_reply_raises_with_the_carrier(mock: respx.MockRouter) -> None:
    error = PluginResponse.error("Customer 9 is locked", "row lock", "Locked").to_wire()
    mock.post("/connectors/demo/SaveActors").respond(200, json=error)
    with ConnectorClient(URL) as client, pytest.raises(ConnectorReplyError) as caught:
        client.send(call.save_actors(GUID, [ErpActor(actor_type="Customer", erp_key="9")]))
    assert caught.value.response.user_explanation == "Customer 9 is locked"
    assert caught.value.error_code == "Locked"
    assert not isinstance(caught.value, ConnectorRefusedRequest)


def test_failed_test_is_an_answer_not_an_exception(mock: respx.MockRouter) -> None:
    mock.post("/connectors/demo/TestConfigData").respond(
        200, json=PluginResponse.error("Wrong user name or password").to_wire()
    )
    with ConnectorClient(URL) as client:
        reply = client.send(call.test_config_data({"Username": "admin"}))
    assert reply.is_ok is False
    assert reply.user_explanation == "Wrong user name or password"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ConnectorRefusedRequest),
        (404, ConnectorRefusedRequest),
        (413, ConnectorRefusedRequest),
        (401, ConnectorAuthenticationError),
    ],
)
def test_refusals_by_status(mock: respx.MockRouter, status: int, error: type[Exception]) -> None:
    body = PluginResponse.error("refused", error_code=ErrorCode.InvalidRequest).to_wire()
    mock.post("/connectors/demo/GetList").respond(status, json=body)
    with ConnectorClient(URL) as client, pytest.raises(error) as caught:
        client.send(call.get_list(GUID, "currencies"))
    assert isinstance(caught.value, ConnectorReplyError)
    assert caught.value.status_code == status


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_transport_failures(mock: respx.MockRouter, status: int) -> None:
    mock.post("/connectors/demo/GetList").respond(status, text="<html>oops</html>")
    with ConnectorClient(URL) as client, pytest.raises(ConnectorUnavailable):
        client.send(call.get_list(GUID, "currencies"))


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[1, 2]", b'{"IsOk": "maybe"}', b'{"Actors": [{"ErpKey": "1"}]}', b'{"Actors": 5}'],
)
def test_malformed_replies(mock: respx.MockRouter, content: bytes) -> None:
    mock.post("/connectors/demo/GetActors").respond(200, content=content)
    with ConnectorClient(URL) as client, pytest.raises(MalformedReply):
        client.send(call.get_actors(GUID, "Customer", ["1"]))


def test_timeout_and_unreachable(mock: respx.MockRouter) -> None:
    mock.post("/connectors/demo/GetList").mock(side_effect=httpx.ReadTimeout("slow"))
    mock.post("/connectors/demo/GetListItems").mock(side_effect=httpx.ConnectError("refused"))
    with ConnectorClient(URL) as client:
        with pytest.raises(ConnectorTimeout):
            client.send(call.get_list(GUID, "x"))
        with pytest.raises(ConnectorUnavailable):
            client.send(call.get_list_items(GUID, "x", ["a"]))


class _ForgetfulConnector:
    """A connector that has lost its config until SaveConnection comes."""

    def __init__(self, forget_again: bool = False) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []
        self.stored: dict[str, object] | None = None
        self.forget_again = forget_again

    def __call__(self, operation: str, body: bytes) -> tuple[int, bytes]:
        request = json.loads(body)
        self.calls.append((operation, request))
        if operation == "SaveConnection":
            self.stored = request["ConnectionInfo"]
            return 200, PluginResponse.ok().model_dump_json().encode()
        if self.stored is None or self.forget_again:
            reply = PluginResponse.error("lost", error_code=ErrorCode.ConnectionInfoMissing)
            return 200, reply.model_dump_json().encode()
        return 200, json.dumps(_actors_reply("7")).encode()


@pytest.fixture
def forgetful() -> Iterator[_ForgetfulConnector]:
    connector = _ForgetfulConnector()
    register_plugin("forgetful", connector)
    yield connector
    unregister_plugin("forgetful")


def test_connection_info_missing_resends_config_and_retries_once(forgetful: _ForgetfulConnector) -> None:
    stored = {GUID: {"Database": "demo", "Password": "pw"}}
    client = ConnectorClient("plugin://forgetful", connection_info=stored.get)
    reply = client.send(call.get_actors(GUID, "Customer", ["7"]))
    assert [a.erp_key for a in reply.actors] == ["7"]
    assert [op for op, _ in forgetful.calls] == ["GetActors", "SaveConnection", "GetActors"]
    assert forgetful.calls[1][1] == {"ConnectionGuid": GUID, "ConnectionInfo": stored[GUID]}


def test_connection_info_missing_twice_gives_up(forgetful: _ForgetfulConnector) -> None:
    forgetful.forget_again = True
    client = ConnectorClient("plugin://forgetful", connection_info=lambda guid: {"Database": "demo"})
    with pytest.raises(ConnectionInfoMissingError):
        client.send(call.get_actors(GUID, "Customer", ["7"]))
    assert [op for op, _ in forgetful.calls] == ["GetActors", "SaveConnection", "GetActors"]


def test_connection_info_missing_without_stored_config(forgetful: _ForgetfulConnector) -> None:
    client = ConnectorClient("plugin://forgetful", connection_info=lambda guid: None)
    with pytest.raises(ConnectionInfoMissingError):
        client.send(call.get_actors(GUID, "Customer", ["7"]))
    assert [op for op, _ in forgetful.calls] == ["GetActors"]


def test_unknown_plugin() -> None:
    with pytest.raises(UnknownPluginError):
        ConnectorClient("plugin://nobody-here").send(call.get_config_data())


@pytest.mark.anyio
async def test_async_client_over_http_and_plugin(forgetful: _ForgetfulConnector) -> None:
    with respx.mock(base_url="http://erp.test:8100") as router:
        router.post("/connectors/demo/GetActorsByTimestamp").respond(200, json=_actors_reply("1", "2"))
        async with AsyncConnectorClient(URL, secret=SECRET) as client:
            page = await client.send(call.get_actors_by_timestamp(GUID, "", "Customer", page_size=2))
        assert isinstance(page, ActorArrayResponse)
        assert [a.erp_key for a in page.actors] == ["1", "2"]
        assert "X-Erpsync-Signature" in router.calls.last.request.headers
    stored: Mapping[str, Mapping[str, str]] = {GUID: {"Database": "demo"}}
    async with AsyncConnectorClient("plugin://forgetful", connection_info=stored.get) as client:
        reply = await client.send(call.get_actors(GUID, "Customer", ["7"]))
    assert [a.erp_key for a in reply.actors] == ["7"]
    assert [op for op, _ in forgetful.calls] == ["GetActors", "SaveConnection", "GetActors"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://erp.test/x",
        "file:///etc/passwd",
        "http://169.254.169.254/latest",
        "http://[fe80::1]/x",
        "http://metadata.google.internal/x",
        "plugin://",
        "plugin://demo/extra",
        "http:///nohost",
    ],
)
def test_refused_connector_urls(url: str) -> None:
    with pytest.raises(InvalidConnectorUrl):
        validate_connector_url(url)


def test_link_local_allowed_by_setting() -> None:
    assert validate_connector_url("http://169.254.10.10:8100/c", allow_link_local=True)
    assert validate_connector_url("plugin://demo") == "plugin://demo"
    assert validate_connector_url("https://erp.example.com/connectors/demo")


def test_bad_guid_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="GUID"):
        call.get_actors("not-a-guid", "Customer", [])
    assert call.get_list(NIL_GUID, "currencies").connection_guid == NIL_GUID
