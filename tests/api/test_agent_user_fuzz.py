"""schemathesis against the end-user methods with a configured connection to the demo ERP behind
them (the whole-API run has no connection, so it only reaches the 404s): no 5xx, every reply fits
its schema, every status is declared, bad input refused.

Schema-valid requests may still be refused with 422 here, by design: a mandatory value left empty,
a value not encoded for its field's type, a restriction on a field that is not searchable — rules
of the configuration that no schema can state. So the "positive data is accepted" check is left
out; every other check runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import Engine

from erpsync.api import create_app
from erpsync.api.agent.user import router
from erpsync.crm import tokens
from erpsync.settings import Settings
from tests.helpers import FIXED_EXAMPLES
from tests.hub.fixtures_user import CONNECTOR_SECRET, World, user_world

USER_METHODS = {route.path.lstrip("/") for route in router.routes}  # type: ignore[attr-defined]


@pytest.fixture
def app(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(
        database_url=database_url, data_dir=tmp_path / "app", connector_secret=CONNECTOR_SECRET
    )
    app = create_app(settings)
    try:
        yield app
    finally:
        app.state.engine.dispose()


@pytest.fixture
def world(app: FastAPI, tmp_path: Path) -> Iterator[World]:
    with user_world(app.state.hub, tmp_path) as built:
        yield built


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # schemathesis drives ASGI apps via TestClient
def test_end_user_methods_keep_their_openapi_promises(app: FastAPI, world: World) -> None:
    with world.session() as session, session.begin():
        token = tokens.issue_token(session, world.user_ids["seller"], timedelta(hours=1)).token
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tested = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.definition.raw.get("operationId")
        if method not in USER_METHODS:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=FIXED_EXAMPLES,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()
        tested.add(method)
    assert tested == USER_METHODS
