"""The host asks a connection's actor types once per few seconds, not once per request."""

from __future__ import annotations

import json

import pytest

from erpsync.sdk import actor_type_cache as cache_module
from erpsync.sdk.actor_type_cache import ActorTypeCache
from erpsync.sdk.host import ConnectorHost

from .host_support import encode
from .ledger import GUID, PASSWORD, Ledger


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(cache_module.actor_type_cache, "clock", clock)
    return clock


@pytest.fixture
def asked(connected: Ledger, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The GUIDs the connector was asked about, in order."""
    calls: list[str] = []
    original = connected.get_supported_actor_types

    def counting(connection_guid: str) -> list[str]:
        calls.append(connection_guid)
        return original(connection_guid)

    monkeypatch.setattr(connected, "get_supported_actor_types", counting)
    return calls


def _get_actors(host: ConnectorHost) -> None:
    body = {"ConnectionGuid": GUID, "ActorType": "Customer", "ErpKeys": ["C1"]}
    status, reply = host.dispatch("ledger", "GetActors", encode(body))
    assert status == 200
    assert json.loads(reply)["IsOk"], reply


def test_requests_within_the_ttl_ask_once(host: ConnectorHost, clock: Clock, asked: list[str]) -> None:
    for _ in range(5):
        _get_actors(host)
    assert asked == [GUID]
    clock.now += cache_module.TTL_SECONDS + 0.1
    _get_actors(host)
    assert asked == [GUID, GUID]


def test_saving_the_connection_forgets_the_answer(
    host: ConnectorHost, clock: Clock, asked: list[str]
) -> None:
    _get_actors(host)
    info = {"Url": "https://erp.test", "Password": PASSWORD}
    host.dispatch("ledger", "SaveConnection", encode({"ConnectionGuid": GUID, "ConnectionInfo": info}))
    _get_actors(host)
    assert asked == [GUID, GUID]


def test_failures_are_not_kept() -> None:
    cache = ActorTypeCache(ttl=60, clock=lambda: 0.0)
    owner = Clock()  # any object can own entries

    def failing() -> frozenset[str]:
        raise RuntimeError("ERP down")

    with pytest.raises(RuntimeError):
        cache.get(owner, GUID, failing)
    assert cache.get(owner, GUID, lambda: frozenset({"Customer"})) == {"Customer"}
    assert cache.get(owner, GUID.upper(), failing) == {"Customer"}  # GUIDs compare case-insensitively
    cache.forget(owner, GUID)
    assert cache.get(owner, GUID, lambda: frozenset({"Person"})) == {"Person"}
