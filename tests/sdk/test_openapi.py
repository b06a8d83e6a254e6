"""The OpenAPI document of the connector protocol."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from erpsync.protocol import OPERATIONS
from erpsync.protocol.signing import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from erpsync.sdk.openapi import openapi_document


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_operation_has_its_path(document: dict[str, Any]) -> None:
    operations = {
        path.rsplit("/", 1)[1]: item["post"] for path, item in document["paths"].items() if "post" in item
    }
    assert set(operations) == set(OPERATIONS)
    assert len(operations) == 20
    assert all(op["operationId"] == name for name, op in operations.items())


def test_schemas_use_the_wire_names(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["ErpActor"]["properties"]) == {
        "ActorType",
        "ErpKey",
        "LastModified",
        "ParentActorType",
        "ParentErpKey",
        "FieldValues",
    }
    assert schemas["SaveActorsRequest"]["required"] == ["ConnectionGuid", "Actors"]
    assert "pattern" in schemas["SaveActorsRequest"]["properties"]["ConnectionGuid"]


def test_request_and_reply_schemas_are_referenced(document: dict[str, Any]) -> None:
    save = document["paths"]["/connectors/{name}/SaveActors"]["post"]
    assert save["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SaveActorsRequest"
    }
    assert save["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ActorArrayResponse"
    }
    for status in ("400", "401", "404", "413"):
        assert save["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/PluginResponse"
        }


def test_signing_headers_are_documented(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER}
    assert all(s["in"] == "header" and s["description"] for s in schemes.values())
    save = document["paths"]["/connectors/{name}/SaveActors"]["post"]
    assert save["security"] == [{name: [] for name in schemes}]


def test_callers_get_their_own_copy(document: dict[str, Any]) -> None:
    document["paths"].clear()
    assert openapi_document()["paths"]
