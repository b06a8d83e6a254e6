from __future__ import annotations

import pytest
from typer.testing import CliRunner

from erpsync import cli
from erpsync.crm import store, users
from erpsync.crm.db import make_engine, make_session_factory


@pytest.fixture
def use_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ERPSYNC_DATABASE_URL", database_url)
    return database_url


def test_db_upgrade_seed_and_users(use_database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision" in result.output
    result = runner.invoke(cli.app, ["db", "seed", "--companies", "5"])
    assert result.exit_code == 0, result.output
    assert "5 companies" in result.output

    result = runner.invoke(cli.app, ["users", "create", "boss", "--admin", "--password", "very-secret"])
    assert result.exit_code == 0, result.output
    assert "administrator" in result.output
    # Without --password it asks, twice, without echo.
    result = runner.invoke(cli.app, ["users", "create", "kari"], input="kari-password\nkari-password\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.app, ["users", "create", "kari", "--password", "whatever1"])
    assert result.exit_code == 2
    assert "taken" in result.output

    engine = make_engine(use_database)
    try:
        with make_session_factory(engine)() as session:
            boss = users.authenticate(session, "boss", "very-secret")
            assert boss is not None
            assert boss.is_admin
            kari = users.authenticate(session, "kari", "kari-password")
            assert kari is not None
            assert not kari.is_admin
            assert store.search(session, "company").total == 5
    finally:
        engine.dispose()

    result = runner.invoke(cli.app, ["users", "list"])
    assert "boss" in result.output
    assert "2 user(s)" in result.output
