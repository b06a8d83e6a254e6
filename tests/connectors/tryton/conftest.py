from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync.connectors.tryton import TrytonConnector
from erpsync.sdk.config_store import ConfigStore, load_or_create_key

from .server import TrytonServer, TrytonUnavailableForTests, serve


@pytest.fixture(scope="session")
def tryton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    """One trytond for the whole session (its database copied from the cached template)."""
    try:
        with serve(tmp_path_factory.mktemp("tryton")) as server:
            yield server
    except TrytonUnavailableForTests as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def connector(tmp_path: Path) -> Iterator[TrytonConnector]:
    store = ConfigStore(tmp_path / "cfg", load_or_create_key(tmp_path / "key"))
    tryton = TrytonConnector(store, tmp_path)
    yield tryton
    tryton.close()


@pytest.fixture
def guid(connector: TrytonConnector, tryton: TrytonServer) -> str:
    """A saved connection of ``connector`` to the session's trytond."""
    connection = str(uuid.uuid4())
    assert connector.save_connection(connection, tryton.config()).is_ok
    return connection
