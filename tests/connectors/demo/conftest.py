from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync.connectors.demo import DemoConnector, DemoErpDatabase, database_path, seed_database
from erpsync.sdk.config_store import ConfigStore, load_or_create_key

PASSWORD = "s3cret-Pa55"


def make_config(**overrides: str) -> dict[str, str]:
    """A valid connection config for the database 'erp' (user admin), with overrides."""
    config = {
        "Database": "erp",
        "Username": "admin",
        "Password": PASSWORD,
        "CompanyNo": "[I:1]",
        "DefaultCreditLimit": "[F:7500.0]",
        "Currency": "EUR",
        "IncludeInactive": "[I:0]",
        "SyncFrom": "",
    }
    config.update(overrides)
    return config


@pytest.fixture
def connector(tmp_path: Path) -> Iterator[DemoConnector]:
    store = ConfigStore(tmp_path / "cfg", load_or_create_key(tmp_path / "key"))
    demo = DemoConnector(store, data_dir=tmp_path)
    yield demo
    demo.close()


@pytest.fixture
def erp_path(tmp_path: Path) -> Path:
    """An empty demo database 'erp' with the user admin."""
    path = database_path(tmp_path, "erp")
    seed_database(path, 0, password=PASSWORD)
    return path


@pytest.fixture
def db(erp_path: Path) -> Iterator[DemoErpDatabase]:
    """The ERP itself, opened separately from the connector: edits here are edits made in the ERP."""
    with DemoErpDatabase(erp_path) as database:
        yield database


@pytest.fixture
def guid(connector: DemoConnector, erp_path: Path) -> str:
    """A saved connection to the database 'erp'."""
    connection = str(uuid.uuid4())
    assert connector.save_connection(connection, make_config()).is_ok
    return connection


def connect(connector: DemoConnector, **overrides: str) -> str:
    """Save another connection with config overrides; returns its GUID."""
    connection = str(uuid.uuid4())
    assert connector.save_connection(connection, make_config(**overrides)).is_ok
    return connection
