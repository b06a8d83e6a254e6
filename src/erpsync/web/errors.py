"""What a page shows when it cannot be shown: a redirect to the login, or an error page."""

from __future__ import annotations

import inspect
from http import HTTPStatus

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from erpsync.i18n import gettext, lazy_gettext, pick_explanation

from .templating import render
from .users import LoginRequired, NotAdmin, optional_user

__all__ = ["PageNotFound", "install_page_error_handlers"]

_NOT_PAGES = ("/api/", "/static/", "/docs", "/redoc", "/openapi.json")

_NOT_FOUND = lazy_gettext("This page does not exist.")
#: What the error page says instead of Starlette's own words ("Not Found", "Method Not Allowed").
_STATUS_MESSAGES = {
    404: _NOT_FOUND,
    403: lazy_gettext("You may not open this page."),
    405: lazy_gettext("This page cannot be opened that way."),
}
_SOMETHING_WENT_WRONG = lazy_gettext("Something went wrong. Try again, or go back to the start page.")


class PageNotFound(HTTPException):
    """A page that is not there; ``what`` (already in the request's language) says why."""

    def __init__(self, what: str | None = None) -> None:
        super().__init__(status_code=404, detail=what or gettext(_NOT_FOUND))


def _message(exc: StarletteHTTPException) -> str:
    """The page's headline: the exception's own message (a packed one in the reader's language), or
    ours in place of Starlette's phrase."""
    detail = str(exc.detail) if exc.detail is not None else ""
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = ""
    if detail and detail != phrase:
        return pick_explanation(detail)
    return gettext(_STATUS_MESSAGES.get(exc.status_code, _SOMETHING_WENT_WRONG))


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    user = optional_user(request)
    return render(request, "error.html", user, status_code=exc.status_code, message=_message(exc))


def install_page_error_handlers(app: FastAPI) -> None:
    """Pages answer a browser with a page; the API keeps its JSON errors (installed before this)."""
    api_handler = app.exception_handlers.get(StarletteHTTPException)

    async def http_error(request: Request, exc: Exception) -> Response:
        if api_handler is not None and request.url.path.startswith(_NOT_PAGES):
            reply = api_handler(request, exc)
            return await reply if inspect.isawaitable(reply) else reply
        return await _error_page(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(NotAdmin, _error_page)
    app.add_exception_handler(PageNotFound, _error_page)
