"""``erpsync import preview`` and ``erpsync import run`` against the demo ERP over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from erpsync import cli
from erpsync.crm import store
from erpsync.crm.catalogue import CrmEntity
from erpsync.hub.engine_settings import change_engine_status
from erpsync.hub.service import Hub
from tests.engine.test_import import ImportWorld, import_world, table_counts
from tests.hub.fixtures_admin import CONNECTOR_SECRET


@pytest.fixture
def world(
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ImportWorld]:
    # The command builds its own hub on the same database and data folder (key file, signing secret).
    monkeypatch.setenv("ERPSYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("ERPSYNC_DATA_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("ERPSYNC_CONNECTOR_SECRET", CONNECTOR_SECRET)
    hub = Hub.create(session_factory, tmp_path / "hub", connector_secret=CONNECTOR_SECRET)
    try:
        with import_world(hub, tmp_path) as built:
            yield built
    finally:
        hub.close()


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["import", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_preview_prints_the_rows_and_writes_nothing(world: ImportWorld) -> None:
    fresh = world.customer("Nordic Tools AS")
    with world.session() as session:
        before = table_counts(session)
    code, output = _invoke("preview", "-c", str(world.connection_id), "-t", "Customer", "--key", fresh)
    assert code == 0, output
    assert "Nordic Tools AS" in output
    assert "new 1" in output
    with world.session() as session:
        assert table_counts(session) == before


def test_run_imports_every_actor_and_reports_the_counts(world: ImportWorld) -> None:
    with world.hub.session() as session:
        existing = store.create(session, CrmEntity.company, {"name": "Fjord Fish AS"}, "user:1")
    world.customer("Nordic Tools AS")
    world.customer("Fjord Fish AS", EMAIL="fish@fjord.test")
    args = ("run", "-c", str(world.connection_id), "-t", "Customer", "--action", "replace", "--yes")
    code, output = _invoke(*args)
    assert code == 0, output
    assert "Created 1, updated 1" in output
    with world.session() as session:
        record = store.get(session, CrmEntity.company, existing)
    assert record is not None
    assert record["email"] == "fish@fjord.test"
    code, output = _invoke(*args)
    assert code == 0, output
    assert "skipped 2" in output  # already linked


def test_refusals_exit_with_a_message(world: ImportWorld) -> None:
    code, output = _invoke("preview", "-c", "999", "-t", "Customer")
    assert code == 2
    assert "999" in output
    code, output = _invoke("preview", "-c", str(world.connection_id), "-t", "Customer", "--match", "email")
    assert code == 2
    assert "Match" in output
    change_engine_status(world.hub, True)
    code, output = _invoke("run", "-c", str(world.connection_id), "-t", "Customer", "--yes")
    assert code == 1
    assert "Automatic sync is on" in output
    code, output = _invoke("run", "-c", str(world.connection_id), "-t", "Customer")
    assert code == 1  # not confirmed
