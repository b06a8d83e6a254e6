"""What a page shows when it cannot be shown: a redirect to the login, or an error page."""

from __future__ import annotations

import inspect

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .templating import render
from .users import LoginRequired, NotAdmin, optional_user

__all__ = ["PageNotFound", "install_page_error_handlers"]

_NOT_PAGES = ("/api/", "/static/", "/docs", "/redoc", "/openapi.json")


class PageNotFound(HTTPException):
    def __init__(self, what: str = "This page does not exist.") -> None:
        super().__init__(status_code=404, detail=what)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    user = optional_user(request)
    return render(request, "error.html", user, status_code=exc.status_code, message=exc.detail)


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
