"""What every ErpSync agent method shares: the hub dependency and the hub's errors as replies.

Agent methods are ``POST /api/v1/Agents/ErpSync/<Method>`` with a JSON body whose members keep the
reference's PascalCase names (``ErpConnectionId``, ``CrmRecordId`` …); see ``docs/api.md``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_pascal

from erpsync.engine.operations import CycleRunner, direct_runner
from erpsync.hub.errors import (
    AccessDenied,
    ConnectorFailed,
    EngineNotAvailable,
    HubError,
    InvalidInput,
    NotFound,
    Refused,
)
from erpsync.hub.service import Hub

from ..errors import ErrorBody, FieldError

__all__ = ["AgentModel", "HubDep", "RunnerDep", "agent_error_responses", "install_hub_error_handlers"]


class AgentModel(BaseModel):
    """Base of agent request and reply bodies: PascalCase members on the wire."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, serialize_by_alias=True)


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_runner(request: Request) -> CycleRunner:
    """The runtime's runner when the server runs one (cycles queued per connection, never two of
    one connection at once), else cycles run in this thread."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        runner: CycleRunner = runtime.runner()
        return runner
    return direct_runner(request.app.state.hub, worker="api")


RunnerDep = Annotated[CycleRunner, Depends(get_runner)]

_STATUS: dict[type[HubError], tuple[int, str]] = {
    NotFound: (404, "NotFound"),
    AccessDenied: (403, "Forbidden"),
    Refused: (409, "Refused"),
    InvalidInput: (422, "ValidationFailed"),
    ConnectorFailed: (502, "ConnectorFailed"),
    EngineNotAvailable: (503, "EngineNotAvailable"),
}

_DESCRIPTIONS = {
    401: "Not logged in.",
    403: "Outside the connection's scope, without the permission needed, or not an administrator.",
    404: "No such connector, connection, field, record or link.",
    409: "A rule of ERP Sync refuses it; `errors` lists the reasons.",
    422: "The request's values are wrong; `errors` says which.",
    502: "The sync connector answered with an error or could not be reached; `detail` has its explanation.",
    503: "The sync engine is not available in this process.",
}


def agent_error_responses(*codes: int) -> dict[int | str, dict[str, object]]:
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


async def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    status, code = next((v for k, v in _STATUS.items() if isinstance(exc, k)), (500, "InternalError"))
    errors: list[FieldError] = []
    if isinstance(exc, Refused):
        errors = [FieldError(field="reason", message=reason) for reason in exc.reasons]
    elif isinstance(exc, InvalidInput):
        errors = [FieldError(field=key, message=text) for key, text in exc.errors.items()]
    body = ErrorBody(error=code, detail=exc.message, errors=errors)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def install_hub_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HubError, _hub_error)
