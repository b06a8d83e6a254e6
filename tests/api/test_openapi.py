from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio

ERROR_REF = "#/components/schemas/ErrorBody"


async def test_every_error_reply_is_declared_with_the_one_error_body(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations: list[tuple[str, str, dict[str, Any]]] = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 25
    for path, method, operation in operations:
        responses = operation["responses"]
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in responses, (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (method, path, status)
        if path != "/api/v1/auth/token" or method != "post":
            assert "401" in responses, (method, path)
            assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
        if "_id}" in path:
            assert "404" in responses, (method, path)
        success = [status for status in responses if status.startswith("2")]
        assert len(success) == 1, (method, path)


async def test_record_schemas_follow_the_catalogue(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    company = schemas["Company"]["properties"]
    assert company["name"]["maxLength"] == 200
    assert company["employees"]["anyOf"][0]["maximum"] == 2**31 - 1
    assert "registered" in company
    assert "registered" not in schemas["CompanyCreate"]["properties"]
    assert schemas["CompanyCreate"]["required"] == ["name"]
    assert schemas["CompanyCreate"]["additionalProperties"] is False
    assert schemas["PersonCreate"]["required"] == ["company_id"]
    assert "required" not in schemas["CompanyUpdate"]
