from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from erpsync import database
from erpsync.crm import store
from erpsync.crm.db import make_engine, make_session_factory


def test_migrations_reach_head_and_match_the_models(database_url: str) -> None:
    database.upgrade(database_url)
    assert database.current_revision(database_url) == database.head_revision()
    assert database.schema_differences(database_url) == []


def test_prepare_database_fills_the_standard_lists(database_url: str) -> None:
    database.prepare_database(database_url)
    database.prepare_database(database_url)  # again: nothing to do, nothing doubled
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            countries = store.list_items(session, "country")
            assert "Norway" in [each.name for each in countries]
            assert len(countries) == len({each.name for each in countries})
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    database.upgrade(database_url)
    command.downgrade(database.alembic_config(database_url), "base")
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_migration_scripts_ship_with_the_package() -> None:
    assert (database.MIGRATIONS / "env.py").is_file()
    assert (database.MIGRATIONS / "script.py.mako").is_file()
    assert list((database.MIGRATIONS / "versions").glob("rev_*.py"))
