"""What ``erpsync serve`` sets up on a new data folder: an administrator and an active demo connection."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import erpsync.connectors  # noqa: F401 - registers the demo connector
from erpsync.crm import users
from erpsync.crm.models.company import Company
from erpsync.demo_setup import DEMO_MAPPINGS, ensure_admin, ensure_demo
from erpsync.hub.connections import all_connections
from erpsync.hub.mappings import actor_type_mapping
from erpsync.hub.service import Hub
from erpsync.protocol.plugins import unregister_plugin
from erpsync.sdk.host import ConnectorHost


@pytest.fixture
def hub(session_factory: sessionmaker[Session], tmp_path: Path, fast_password_hashing: None) -> Iterator[Hub]:
    host = ConnectorHost(tmp_path, require_signature=False)
    host.install_plugins()
    hub = Hub.create(session_factory, tmp_path)
    yield hub
    hub.close()
    unregister_plugin("demo")


def test_demo_is_an_active_mapped_connection(hub: Hub, session_factory: sessionmaker[Session]) -> None:
    assert ensure_demo(hub) is True
    [connection] = all_connections(hub)
    assert connection.active
    assert connection.display_name == "Demo ERP"
    customer = actor_type_mapping(hub, connection.id, "Customer")
    assert customer.is_active
    synced = {f.erp_field_key: f.crm_field_key for f in customer.fields if f.sync_to_crm and f.sync_to_erp}
    expected = {erp: crm for erp, crm, to_crm, to_erp, _ in DEMO_MAPPINGS["Customer"] if to_crm and to_erp}
    assert synced == expected
    assert {f.erp_field_key for f in customer.fields if f.show_in_gui} >= {"CUSTOMERNO", "CREDITLIMIT"}
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Company)) > 0
    assert ensure_demo(hub) is False  # a second start changes nothing
    assert len(all_connections(hub)) == 1


def test_admin_is_created_once_with_a_private_password_file(
    hub: Hub, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    login = ensure_admin(hub, tmp_path)
    assert login.password
    path = tmp_path / "admin-password"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with session_factory() as session:
        assert users.authenticate(session, "admin", login.password) is not None
    again = ensure_admin(hub, tmp_path)
    assert again.password == login.password
