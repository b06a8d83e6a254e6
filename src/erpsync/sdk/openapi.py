"""The connector protocol as an OpenAPI 3.1 document, built from the operation table.

One path per operation (``POST /connectors/{name}/<Operation>``); request and reply schemas come
from the pydantic carriers with their wire names, so the document cannot drift from the code. The
connector host serves it at ``GET /openapi.json``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from erpsync.protocol import OPERATIONS, PROTOCOL_VERSION, Operation, PluginResponse
from erpsync.protocol.signing import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"
_GUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

_SIGNING = (
    "Requests are signed with HMAC-SHA256 under a secret shared by the hub and the host. The MAC "
    "covers `METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))`; the host refuses a "
    "missing or wrong signature, a timestamp outside the allowed skew and a reused nonce (401)."
)

_SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "signatureTimestamp": {
        "type": "apiKey",
        "in": "header",
        "name": TIMESTAMP_HEADER,
        "description": "Unix seconds when the request was signed. " + _SIGNING,
    },
    "signatureNonce": {
        "type": "apiKey",
        "in": "header",
        "name": NONCE_HEADER,
        "description": "A random value (8 to 128 characters) never used twice within the skew window.",
    },
    "signature": {
        "type": "apiKey",
        "in": "header",
        "name": SIGNATURE_HEADER,
        "description": "`v1=` followed by the hex HMAC-SHA256. " + _SIGNING,
    },
}

#: The three headers are one credential: all of them, together.
_SIGNED: list[dict[str, list[str]]] = [{name: [] for name in _SECURITY_SCHEMES}]

_REFUSALS = {
    "400": "The body is not JSON, not an object, or breaks the request schema (ErrorCode InvalidRequest).",
    "401": "Unsigned, badly signed, stale or replayed request (ErrorCode Unauthorized).",
    "404": "No such connector (UnknownConnector) or operation (UnknownOperation).",
    "413": "The body is larger than the host accepts (ErrorCode PayloadTooLarge).",
}

_NAME_PARAMETER = {
    "name": "name",
    "in": "path",
    "required": True,
    "description": "The connector's registered name, as in `plugin://<name>`.",
    "schema": {"type": "string"},
}


#: (carrier class name, mode) → the ``$ref`` object pointing at its schema.
_Refs = Mapping[tuple[str, JsonSchemaMode], dict[str, Any]]


def _carrier_schemas() -> tuple[_Refs, dict[str, Any]]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(PluginResponse, "serialization")]
    for op in OPERATIONS.values():
        models += [(op.request, "validation"), (op.response, "serialization")]
    refs, definitions = models_json_schema(models, by_alias=True, ref_template=_REF)
    schemas: dict[str, Any] = definitions.get("$defs", {})
    _describe_connection_guids(schemas)
    return {(model.__name__, mode): ref for (model, mode), ref in refs.items()}, schemas


def _describe_connection_guids(schemas: dict[str, Any]) -> None:
    # The GUID check is a plain validator, so pydantic cannot tell the schema about it.
    for schema in schemas.values():
        guid = schema.get("properties", {}).get("ConnectionGuid")
        if guid is not None:
            guid.update(format="uuid", pattern=_GUID_PATTERN)


def _json(ref: Any) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def _operation(op: Operation, refs: _Refs) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "The reply carrier; a failure the connector reports has IsOk=false, State=Error.",
            "content": _json(refs[op.response.__name__, "serialization"]),
        }
    }
    for status, text in _REFUSALS.items():
        responses[status] = {"description": text, "content": _json(refs["PluginResponse", "serialization"])}
    return {
        "operationId": op.name,
        "summary": op.summary,
        "tags": ["extension" if op.extension else "reference"],
        "parameters": [_NAME_PARAMETER],
        "security": _SIGNED,
        "requestBody": {
            "required": bool(op.request.model_fields),
            "content": _json(refs[op.request.__name__, "validation"]),
        },
        "responses": responses,
    }


def _discovery_paths() -> dict[str, Any]:
    def get(summary: str, schema: dict[str, Any], parameters: list[Any] | None = None) -> dict[str, Any]:
        operation: dict[str, Any] = {
            "summary": summary,
            "tags": ["host"],
            "responses": {"200": {"description": "OK", "content": _json(schema)}},
        }
        if parameters:
            operation["parameters"] = parameters
        return {"get": operation}

    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "/health": get('Liveness: always {"status": "ok"}.', {"type": "object"}),
        "/connectors": get("Names of the connectors this host serves.", strings),
        "/connectors/{name}": get(
            "A connector's name, protocol version, capabilities and operations.",
            {"type": "object"},
            [_NAME_PARAMETER],
        ),
    }


@cache
def _build() -> dict[str, Any]:
    refs, schemas = _carrier_schemas()
    paths = _discovery_paths()
    for op in OPERATIONS.values():
        paths[f"/connectors/{{name}}/{op.name}"] = {"post": _operation(op, refs)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "erpsync connector protocol",
            "version": PROTOCOL_VERSION,
            "description": (
                "The JSON-over-HTTP contract between the erpsync hub and a sync connector host: "
                "the 17 operations of SuperOffice's ERP connector plus the extensions announced by "
                "GetCapabilities. Member names keep the reference's spelling."
            ),
        },
        "tags": [
            {"name": "reference", "description": "Operations of SuperOffice's ERP connector contract."},
            {"name": "extension", "description": "erpsync extensions, announced by GetCapabilities."},
            {"name": "host", "description": "Discovery endpoints of the connector host (unsigned)."},
        ],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": _SECURITY_SCHEMES},
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the connector protocol (a fresh copy; callers may change it)."""
    return copy.deepcopy(_build())
