"""The connector host: serves named connectors over HTTP and in-process (``plugin://``).

The Python counterpart of SuperOffice's reference WCF host (one endpoint, many named connectors, a
per-connection config store, exceptions turned into error replies). Everything a request goes
through after its bytes arrive is :meth:`ConnectorHost.dispatch`, shared by the HTTP app and the
in-process transport, so both answer byte for byte the same.

Example::

    host = ConnectorHost(Path("var"), [Books], secrets=[b"shared secret"])
    uvicorn.run(host.app, host="127.0.0.1", port=8100)   # POST /connectors/books/GetConfigData
    host.install_plugins()                                # plugin://books reaches it in-process

HTTP statuses: 200 for every reply the connector produced, failures included (``State=Error``);
400 bad request body, 401 signature refused, 404 unknown connector or operation, 405 not a POST,
413 body too large. Every body is a ``PluginResponse``-shaped JSON object.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erpsync.protocol import OPERATIONS, ErrorCode, FailureKind, Operation, PluginResponse
from erpsync.protocol.plugins import PluginHandler, get_plugin, register_plugin, unregister_plugin

from .capabilities import capabilities_of
from .config_store import ConfigStore, load_or_create_key
from .connector import ErpConnector, connector_classes
from .dispatch import run_operation
from .middleware import RequestGuardMiddleware
from .openapi import openapi_document
from .replies import describe_validation_error, internal_error, refusal

__all__ = ["ConnectorHost"]

log = logging.getLogger("erpsync.sdk.host")

_JSON = "application/json"


class ConnectorHost:
    """Hosts connector classes: one instance each, with its own config store under ``data_dir``.

    ``secrets`` are the signing secrets accepted (several, to rotate one without downtime);
    ``require_signature=False`` is for a host reachable only from the hub's own machine.
    """

    def __init__(
        self,
        data_dir: Path,
        connectors: Iterable[type[ErpConnector]] | None = None,
        secrets: Sequence[bytes] = (),
        require_signature: bool = True,
        max_body_bytes: int = 16 * 1024 * 1024,
        encryption_key: bytes | None = None,
        max_skew_seconds: float = 300,
    ) -> None:
        if require_signature and not secrets:
            raise ValueError("require_signature needs at least one signing secret")
        if max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        self.data_dir = data_dir
        self.secrets = tuple(secrets)
        self.require_signature = require_signature
        self.max_body_bytes = max_body_bytes
        self.max_skew_seconds = max_skew_seconds
        classes = list(connector_classes().values()) if connectors is None else list(connectors)
        key = encryption_key if encryption_key is not None else load_or_create_key(data_dir / "secret.key")
        self._connectors = {cls.name: self._start(cls, key) for cls in _checked_names(classes)}
        self._plugin_handlers: dict[str, PluginHandler] = {}
        self.app = self._build_app()

    def _start(self, cls: type[ErpConnector], key: bytes) -> ErpConnector:
        store = ConfigStore(self.data_dir / "connectors" / cls.name / "connections", key)
        connector = cls(store, self.data_dir)
        # prepare() (open databases, seed data …) is newer than some connectors; call it when present.
        prepare = getattr(connector, "prepare", None)
        if callable(prepare):
            prepare()
        return connector

    @property
    def connectors(self) -> Mapping[str, ErpConnector]:
        """The hosted connector instances by name (read-only)."""
        return MappingProxyType(self._connectors)

    @property
    def names(self) -> list[str]:
        return sorted(self._connectors)

    # -- the one code path -------------------------------------------------------------------------

    def dispatch(self, name: str, operation: str, body: bytes) -> tuple[int, bytes]:
        """Run ``operation`` of connector ``name`` on a JSON request body: ``(HTTP status, reply body)``.

        Blocking (connector methods are); never raises for bad input or connector failures.
        """
        started = time.perf_counter()
        status, reply = self._dispatch(name, operation, body)
        # Bodies are never logged: SaveConnection and TestConfigData carry passwords.
        log.debug(
            "%s %s -> %d (%d bytes in, %d out, %.1f ms)",
            name,
            operation,
            status,
            len(body),
            len(reply),
            (time.perf_counter() - started) * 1000,
        )
        return status, reply

    def _dispatch(self, name: str, operation: str, body: bytes) -> tuple[int, bytes]:
        connector = self._connectors.get(name)
        if connector is None:
            return 404, refusal(
                ErrorCode.UnknownConnector,
                f"The connector {name!r} was not found.",
                "this host serves: " + (", ".join(self.names) or "no connector"),
            )
        op = OPERATIONS.get(operation)
        if op is None:
            return 404, refusal(
                ErrorCode.UnknownOperation,
                f"{operation!r} is not an operation of the connector protocol.",
                "valid operations: " + ", ".join(OPERATIONS),
            )
        try:
            # An empty body is the empty object: GetConfigData and GetCapabilities need no members.
            request = op.request.model_validate_json(body or b"{}")
        except ValidationError as exc:
            explanation = describe_validation_error(exc, op.name)
            log.info("refused %s %s: %s", name, op.name, explanation)
            return 400, refusal(ErrorCode.InvalidRequest, explanation)
        return 200, _serialise(run_operation(connector, op, request), op)

    # -- in-process transport --------------------------------------------------------------------

    def install_plugins(self) -> None:
        """Register every hosted connector for ``plugin://<name>`` URLs (unsigned: same process)."""
        for name in self._connectors:
            handler: PluginHandler = functools.partial(self.dispatch, name)
            register_plugin(name, handler)
            self._plugin_handlers[name] = handler

    def uninstall_plugins(self) -> None:
        """Undo :meth:`install_plugins`, leaving alone names another host registered since."""
        for name, handler in self._plugin_handlers.items():
            if get_plugin(name) is handler:
                unregister_plugin(name)
        self._plugin_handlers.clear()

    # -- HTTP --------------------------------------------------------------------------------------

    def describe(self, name: str) -> dict[str, Any] | None:
        """What ``GET /connectors/{name}`` shows; None for an unknown name."""
        connector = self._connectors.get(name)
        if connector is None:
            return None
        capabilities = capabilities_of(type(connector))
        return {
            "Name": name,
            "ProtocolVersion": capabilities.protocol_version,
            "MaxPageSize": capabilities.max_page_size,
            "Capabilities": capabilities.capabilities,
            "Operations": capabilities.operations,
        }

    def _build_app(self) -> Starlette:
        routes = [
            Route("/health", _health, methods=["GET"]),
            Route("/openapi.json", _openapi, methods=["GET"]),
            Route("/connectors", self._list_connectors, methods=["GET"]),
            Route("/connectors/{name}", self._describe_connector, methods=["GET"]),
            Route("/connectors/{name}/{operation}", self._run_operation, methods=["POST"]),
        ]
        guard = Middleware(
            RequestGuardMiddleware,
            secrets=self.secrets if self.require_signature else (),
            max_body_bytes=self.max_body_bytes,
            max_skew_seconds=self.max_skew_seconds,
        )
        handlers = {HTTPException: _http_error, Exception: _unexpected_error}
        return Starlette(routes=routes, middleware=[guard], exception_handlers=handlers)

    async def _list_connectors(self, request: Request) -> Response:
        return JSONResponse(self.names)

    async def _describe_connector(self, request: Request) -> Response:
        name = request.path_params["name"]
        description = self.describe(name)
        if description is None:
            body = refusal(ErrorCode.UnknownConnector, f"The connector {name!r} was not found.")
            return Response(body, status_code=404, media_type=_JSON)
        return JSONResponse(description)

    async def _run_operation(self, request: Request) -> Response:
        body = await request.body()
        name, operation = request.path_params["name"], request.path_params["operation"]
        status, reply = await run_in_threadpool(self.dispatch, name, operation, body)
        return Response(reply, status_code=status, media_type=_JSON)


def _checked_names(classes: list[type[ErpConnector]]) -> list[type[ErpConnector]]:
    """Connector names become one URL path segment and one folder; they must be usable as both."""
    seen: set[str] = set()
    for cls in classes:
        if not cls.name or "/" in cls.name or cls.name in (".", ".."):
            raise ValueError(f"{cls.__name__} has no usable connector name: {cls.name!r}")
        if cls.name in seen:
            raise ValueError(f"two connectors are named {cls.name!r}")
        seen.add(cls.name)
    return classes


def _serialise(reply: PluginResponse, op: Operation) -> bytes:
    try:
        return reply.model_dump_json(by_alias=True, warnings="error").encode()
    except PydanticSerializationError as exc:
        # A connector put something unserialisable into a carrier after building it.
        log.error("the reply to %s cannot be serialised: %s", op.name, exc)
        broken = internal_error(op.response, op.name, f"the reply cannot be serialised: {exc}")
        return broken.model_dump_json(by_alias=True).encode()


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing refusals (no such path, wrong method) as carriers, never Starlette's plain text."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "POST")
        code, text = ErrorCode.InvalidRequest, f"{request.method} is not allowed on {path}; use {allowed}."
    elif exc.status_code == 404:
        code, text = ErrorCode.UnknownOperation, f"Nothing is served at {path}."
    else:
        code, text = ErrorCode.InvalidRequest, str(exc.detail)
    return Response(refusal(code, text), status_code=exc.status_code, headers=exc.headers, media_type=_JSON)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # dispatch() answers every connector failure itself; reaching here is a bug of the host.
    reply = PluginResponse.error(
        "The connector host failed.", type(exc).__name__, ErrorCode.InternalError, FailureKind.transient
    )
    return Response(reply.model_dump_json(by_alias=True).encode(), status_code=500, media_type=_JSON)
