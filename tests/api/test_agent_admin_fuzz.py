"""schemathesis against the administrator's agent methods alone: no 5xx, every status documented,
every reply fitting its schema, schema-valid requests never refused as invalid."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings

from erpsync.api.agent import admin_connections, admin_engine, admin_mappings
from tests.helpers import FIXED_EXAMPLES

from .conftest import Login

ADMIN_OPERATIONS = {
    route.operation_id
    for module in (admin_connections, admin_engine, admin_mappings)
    for route in module.router.routes
    if isinstance(route, APIRoute)
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # schemathesis drives ASGI apps via TestClient
def test_admin_methods_keep_their_openapi_promises(app: FastAPI, admin: Login) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tested = set()
    for result in schema.get_all_operations():
        try:
            operation = result.ok()
        except Exception:  # another part's operation with a schema problem: test_schema_fuzz reports it
            continue
        operation_id = operation.definition.raw.get("operationId")
        if operation_id not in ADMIN_OPERATIONS:
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
            case.call_and_validate(headers=admin.headers)

        check()
        tested.add(operation_id)
    assert tested == ADMIN_OPERATIONS
    assert len(tested) >= 40
