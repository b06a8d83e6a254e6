"""The API's errors: one root class carrying a status code, one reply shape for every error.

Every error reply, whatever raised it (our code, the CRM store, request validation, routing), is an
``ErrorBody``: ``{"error": "<code>", "detail": "<sentence>", "errors": [{"field", "message"}]}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from erpsync.crm.errors import CrmConflict, CrmValidationError, RecordNotFound

__all__ = [
    "ApiError",
    "Conflict",
    "ErrorBody",
    "FieldError",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "ValidationFailed",
    "error_responses",
    "install_error_handlers",
]


class FieldError(BaseModel):
    field: str = Field(description="The offending field, query parameter or path parameter.")
    message: str


class ErrorBody(BaseModel):
    """The body of every error reply."""

    error: str = Field(description="A stable code, e.g. ValidationFailed, NotFound, Unauthorized.")
    detail: str = Field(description="A sentence for people.")
    errors: list[FieldError] = Field(default_factory=list, description="Per-field problems, if any.")


class ApiError(Exception):
    status_code = 500
    error = "InternalError"

    def __init__(
        self,
        detail: str,
        errors: Iterable[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.error, detail=self.detail, errors=self.errors)


class Unauthorized(ApiError):
    status_code = 401
    error = "Unauthorized"

    def __init__(self, detail: str = "Log in: send a valid bearer token.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status_code = 403
    error = "Forbidden"


class NotFound(ApiError):
    status_code = 404
    error = "NotFound"


class Conflict(ApiError):
    status_code = 409
    error = "Conflict"


class ValidationFailed(ApiError):
    status_code = 422
    error = "ValidationFailed"


_DESCRIPTIONS = {
    401: "Not logged in: no bearer token, or an unknown, expired or revoked one.",
    403: "Logged in, but only an administrator may do this.",
    404: "No such record.",
    409: (
        "Well-formed, but refused because of the current data: a referenced record or list item is "
        "missing or deleted, a name is taken, or a change made at the same time; `errors` says which."
    ),
    422: "The request was refused; `errors` says which fields were wrong and why.",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of error replies, for a route's or router's ``responses``."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in status_codes}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(CrmValidationError, _crm_validation_error)
    app.add_exception_handler(CrmConflict, _crm_conflict)
    app.add_exception_handler(RecordNotFound, _record_not_found)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(Exception, _unexpected_error)


def _reply(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error.body().model_dump(mode="json"), status_code=error.status_code, headers=error.headers
    )


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _reply(exc)


async def _crm_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CrmValidationError)
    problems = [FieldError(field=key, message=text) for key, text in exc.errors.items()]
    return _reply(ValidationFailed(exc.message, problems))


async def _crm_conflict(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CrmConflict)
    problems = [FieldError(field=key, message=text) for key, text in exc.errors.items()]
    return _reply(Conflict(exc.message, problems))


async def _record_not_found(request: Request, exc: Exception) -> JSONResponse:
    return _reply(NotFound(str(exc)))


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # The checks before each write make this a race: another request changed the same data first.
    return _reply(Conflict("The change conflicts with a change made at the same time; reload and retry."))


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        FieldError(field=_field_name(problem.get("loc", ())), message=str(problem.get("msg", "is not valid")))
        for problem in exc.errors()
    ]
    return _reply(ValidationFailed("The request was refused.", problems))


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    """Errors raised by Starlette and FastAPI themselves: unknown routes, wrong methods, bodies that
    cannot be parsed."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # A body that is not even JSON (bad bytes, bad encoding) is refused like a body that does not
        # fit the schema, so that every operation has one documented refusal.
        return _reply(ValidationFailed(str(exc.detail), [FieldError(field="body", message=str(exc.detail))]))
    codes = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized", 403: "Forbidden"}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    error = ApiError(str(exc.detail), headers=headers)
    error.status_code = exc.status_code
    error.error = codes.get(exc.status_code, "HttpError")
    return _reply(error)


def _allowed_methods(request: Request) -> list[str]:
    """Every method of the path: Starlette names only those of the first route that matches it, but
    one path has a route per method here."""
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        methods = getattr(route, "methods", None)
        if match is not Match.NONE and methods:
            allowed |= set(methods)
    return sorted(allowed)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    return _reply(ApiError("Something went wrong on the server; it has been logged."))


def _field_name(location: Iterable[Any]) -> str:
    """``("body", "name")`` → ``"name"``; ``("query", "limit")`` → ``"limit"``."""
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"
