"""The connector commands of the CLI, run in-process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erpsync.cli import app
from erpsync.connectors.demo import DemoErpDatabase, database_path


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERPSYNC_DATA_DIR", str(tmp_path))
    return CliRunner()


def test_seed_creates_a_database_with_that_many_actors(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo-erp", "seed", "--actors", "300", "--database", "trial"])
    assert result.exit_code == 0, result.output
    with DemoErpDatabase(database_path(tmp_path, "trial"), create=False) as db:
        assert sum(db.count_actors().values()) == 300
    again = runner.invoke(app, ["demo-erp", "seed", "--actors", "20", "--database", "trial"])
    assert again.exit_code == 0
    with DemoErpDatabase(database_path(tmp_path, "trial"), create=False) as db:
        assert sum(db.count_actors().values()) == 320


def test_seed_refuses_a_bad_database_name(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo-erp", "seed", "--actors", "1", "--database", "../escape"])
    assert result.exit_code == 2
    assert not list(tmp_path.rglob("*.sqlite"))


def test_check_the_in_process_demo_passes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["connector", "check", "plugin://demo"])
    assert result.exit_code == 0, result.output[-2000:]
    last = result.output.strip().splitlines()[-1]
    match = re.fullmatch(r"(\d+) passed, 0 failed", last)
    assert match, last
    assert int(match.group(1)) > 100


def test_check_with_a_wrong_password_fails(runner: CliRunner) -> None:
    result = runner.invoke(app, ["connector", "check", "plugin://demo", "--config", "Password=wrong"])
    assert result.exit_code == 1
    assert re.search(r"^\d+ passed, [1-9]\d* failed$", result.output.strip().splitlines()[-1])


def test_check_refuses_a_malformed_config_pair(runner: CliRunner) -> None:
    result = runner.invoke(app, ["connector", "check", "plugin://demo", "--config", "Password"])
    assert result.exit_code == 2


def test_serve_refuses_an_unknown_connector(runner: CliRunner) -> None:
    result = runner.invoke(app, ["connector", "serve", "--connector", "nope"])
    assert result.exit_code == 2
    assert "Unknown connector" in result.output
