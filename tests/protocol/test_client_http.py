"""The client against a real HTTP server on loopback: connections are reused."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from erpsync.protocol import ConnectorClient, call
from tests.helpers import run_asgi_server

GUID = "6f1c2d3e-0000-4000-8000-00000000abcd"


def test_one_connection_serves_many_calls() -> None:
    peers: list[tuple[str, int]] = []

    async def items(request: Request) -> JSONResponse:
        assert request.client is not None
        peers.append((request.client.host, request.client.port))
        return JSONResponse({"IsOk": True, "State": "Ok", "Items": ["Customer"]})

    app = Starlette(routes=[Route("/connectors/x/GetSupportedActorTypes", items, methods=["POST"])])
    with run_asgi_server(app) as base, ConnectorClient(f"{base}/connectors/x", timeout=5) as client:
        for _ in range(10):
            assert client.send(call.get_supported_actor_types(GUID)).items == ["Customer"]
    assert len(peers) == 10
    assert len(set(peers)) == 1
