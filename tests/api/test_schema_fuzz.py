"""Property-based checks of the whole API against its own OpenAPI document (schemathesis): no 5xx,
every status code documented, every reply fits its schema, bad input refused, good input taken."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from tests.helpers import FIXED_EXAMPLES

from .conftest import Login

# Logging out would revoke the token the other operations are called with.
SKIPPED_OPERATIONS = {"revoke_token_api_v1_auth_token_delete"}


@pytest.mark.filterwarnings(
    "ignore::DeprecationWarning"
)  # schemathesis drives ASGI apps via Starlette's TestClient
def test_api_keeps_its_openapi_promises(app: FastAPI, admin: Login) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") in SKIPPED_OPERATIONS:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=FIXED_EXAMPLES,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=admin.headers)

        check()
        tested += 1
    assert tested >= 30
