from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from erpsync.sdk.host import ConnectorHost

from .host_support import SECRET, asgi_client, encode
from .ledger import GUID, PASSWORD, Bare, Ledger, PagedLedger


@pytest.fixture
def host(tmp_path: Path) -> ConnectorHost:
    return ConnectorHost(
        tmp_path, [Ledger, PagedLedger, Bare], secrets=[SECRET], encryption_key=Fernet.generate_key()
    )


@pytest.fixture
async def client(host: ConnectorHost) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(host) as client:
        yield client


@pytest.fixture
def ledger(host: ConnectorHost) -> Ledger:
    connector = host.connectors["ledger"]
    assert isinstance(connector, Ledger)
    return connector


@pytest.fixture
def connected(host: ConnectorHost, ledger: Ledger) -> Ledger:
    """The ledger with connection GUID saved (and that write forgotten), seeded with two customers."""
    for name in ("ledger", "paged"):
        info = {"Url": "https://erp.test", "Password": PASSWORD}
        status, _ = host.dispatch(
            name, "SaveConnection", encode({"ConnectionGuid": GUID, "ConnectionInfo": info})
        )
        assert status == 200
    ledger.writes.clear()
    ledger.add("Customer", Name="Acme", Employees="[I:10]")
    ledger.add("Customer", Name="Globex", Employees="[I:20]")
    return ledger
