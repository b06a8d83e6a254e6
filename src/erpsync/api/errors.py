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

from erpsync import i18n
from erpsync.crm.errors import CrmConflict, CrmValidationError, RecordNotFound
from erpsync.crm.texts import _

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
    "validation_message",
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

    def __init__(self, detail: str | None = None) -> None:
        detail = _("Log in: send a valid bearer token.") if detail is None else detail
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
    return _reply(Conflict(_("The change conflicts with a change made at the same time; reload and retry.")))


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        FieldError(field=_field_name(problem.get("loc", ())), message=validation_message(problem))
        for problem in exc.errors()
    ]
    return _reply(ValidationFailed(_("The request was refused."), problems))


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    """Errors raised by Starlette and FastAPI themselves: unknown routes, wrong methods, bodies that
    cannot be parsed."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # A body that is not even JSON (bad bytes, bad encoding) is refused like a body that does not
        # fit the schema, so that every operation has one documented refusal.
        detail = _http_detail(exc)
        return _reply(ValidationFailed(detail, [FieldError(field="body", message=detail)]))
    codes = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized", 403: "Forbidden"}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    error = ApiError(_http_detail(exc), headers=headers)
    error.status_code = exc.status_code
    error.error = codes.get(exc.status_code, "HttpError")
    return _reply(error)


def _allowed_methods(request: Request) -> list[str]:
    """Every method of the path: Starlette names only those of the first route that matches it, but
    one path has a route per method here."""
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _child_scope = route.matches(request.scope)
        methods = getattr(route, "methods", None)
        if match is not Match.NONE and methods:
            allowed |= set(methods)
    return sorted(allowed)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # This handler runs outside the middleware that sets the request's language: set it here.
    from erpsync.web.language import LANGUAGE_COOKIE

    chosen = i18n.supported_language(request.cookies.get(LANGUAGE_COOKIE))
    with i18n.use_language(chosen or i18n.negotiate(request.headers.get("accept-language"))):
        return _reply(ApiError(_("Something went wrong on the server; it has been logged.")))


# Starlette's and FastAPI's own refusals, by their (English) detail.
_HTTP_DETAILS = {
    "Not Found": i18n.lazy_gettext("There is nothing at this address."),
    "Method Not Allowed": i18n.lazy_gettext("This address does not take this method."),
    "There was an error parsing the body": i18n.lazy_gettext("The body is not valid JSON."),
}


def _http_detail(exc: StarletteHTTPException) -> str:
    detail = str(exc.detail)
    return _(_HTTP_DETAILS[detail]) if detail in _HTTP_DETAILS else detail


# Pydantic's error types, as sentences about the field (the field is named beside the message).
_PYDANTIC_MESSAGES = {
    "missing": i18n.lazy_gettext("is required"),
    "extra_forbidden": i18n.lazy_gettext("is not a member of this request"),
    "string_type": i18n.lazy_gettext("must be text"),
    "string_unicode": i18n.lazy_gettext("is not valid Unicode text"),
    "string_too_short": i18n.lazy_gettext("must be at least %(min_length)s character(s)"),
    "string_too_long": i18n.lazy_gettext("must be at most %(max_length)s character(s)"),
    "string_pattern_mismatch": i18n.lazy_gettext("contains characters that are not allowed"),
    "int_type": i18n.lazy_gettext("must be a whole number"),
    "int_parsing": i18n.lazy_gettext("must be a whole number"),
    "int_from_float": i18n.lazy_gettext("must be a whole number"),
    "int_parsing_size": i18n.lazy_gettext("is too large"),
    "float_type": i18n.lazy_gettext("must be a number"),
    "float_parsing": i18n.lazy_gettext("must be a number"),
    "finite_number": i18n.lazy_gettext("must be a finite number"),
    "decimal_type": i18n.lazy_gettext("must be a number"),
    "decimal_parsing": i18n.lazy_gettext("must be a number"),
    "bool_type": i18n.lazy_gettext("must be true or false"),
    "bool_parsing": i18n.lazy_gettext("must be true or false"),
    "greater_than": i18n.lazy_gettext("must be greater than %(gt)s"),
    "greater_than_equal": i18n.lazy_gettext("must be %(ge)s or more"),
    "less_than": i18n.lazy_gettext("must be less than %(lt)s"),
    "less_than_equal": i18n.lazy_gettext("must be %(le)s or less"),
    "multiple_of": i18n.lazy_gettext("must be a multiple of %(multiple_of)s"),
    "list_type": i18n.lazy_gettext("must be a list"),
    "tuple_type": i18n.lazy_gettext("must be a list"),
    "set_type": i18n.lazy_gettext("must be a list"),
    "too_short": i18n.lazy_gettext("must have at least %(min_length)s item(s)"),
    "too_long": i18n.lazy_gettext("must have at most %(max_length)s item(s)"),
    "dict_type": i18n.lazy_gettext("must be an object"),
    "model_type": i18n.lazy_gettext("must be an object"),
    "model_attributes_type": i18n.lazy_gettext("must be an object"),
    "dataclass_type": i18n.lazy_gettext("must be an object"),
    "literal_error": i18n.lazy_gettext("must be one of %(expected)s"),
    "enum": i18n.lazy_gettext("must be one of %(expected)s"),
    "datetime_type": i18n.lazy_gettext("must be a date and time"),
    "datetime_parsing": i18n.lazy_gettext("must be a date and time"),
    "datetime_from_date_parsing": i18n.lazy_gettext("must be a date and time"),
    "date_type": i18n.lazy_gettext("must be a date"),
    "date_parsing": i18n.lazy_gettext("must be a date"),
    "date_from_datetime_parsing": i18n.lazy_gettext("must be a date"),
    "time_delta_type": i18n.lazy_gettext("must be a duration"),
    "time_delta_parsing": i18n.lazy_gettext("must be a duration"),
    "uuid_type": i18n.lazy_gettext("must be a UUID"),
    "uuid_parsing": i18n.lazy_gettext("must be a UUID"),
    "url_type": i18n.lazy_gettext("must be a URL"),
    "url_parsing": i18n.lazy_gettext("must be a URL"),
    "url_scheme": i18n.lazy_gettext("must be a URL"),
    "json_invalid": i18n.lazy_gettext("is not valid JSON"),
    "json_type": i18n.lazy_gettext("is not valid JSON"),
    "union_tag_invalid": i18n.lazy_gettext("is not one of the kinds this request takes"),
    "union_tag_not_found": i18n.lazy_gettext("is not one of the kinds this request takes"),
}


def validation_message(problem: Mapping[str, Any]) -> str:
    """What pydantic found wrong with one field, in the current language: our own sentence for
    its error type, the validator's own message (ours, already translated) for a ``ValueError``."""
    kind = str(problem.get("type", ""))
    context = problem.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and context.get("error") is not None:
        return str(context["error"].args[0] if context["error"].args else context["error"])
    message = _PYDANTIC_MESSAGES.get(kind)
    if message is None:
        return _("is not valid")
    values = {key: _context_value(key, value) for key, value in context.items()}
    try:
        return _(message, **values)
    except (KeyError, TypeError, ValueError):  # a context other than pydantic's documented one
        return _("is not valid")


def _context_value(key: str, value: Any) -> Any:
    if key == "expected" and isinstance(value, str):
        return value.replace(" or ", ", ")  # pydantic's English "'a', 'b' or 'c'"
    return value


def _field_name(location: Iterable[Any]) -> str:
    """``("body", "name")`` → ``"name"``; ``("query", "limit")`` → ``"limit"``."""
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"
