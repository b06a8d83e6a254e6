"""Rendering a page: the Jinja2 environment and what every template can use."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from erpsync import __version__, i18n

from .session import SESSION_COOKIE, csrf_token_for
from .users import WebUser

__all__ = ["FLASH_COOKIE", "render", "templates"]

FLASH_COOKIE = "erpsync_flash"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["version"] = __version__
templates.env.globals["languages"] = i18n.LANGUAGES
templates.env.globals["current_language"] = i18n.current_language
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
)
templates.env.filters["datetime"] = lambda value: i18n.format_datetime(value)
templates.env.filters["date"] = lambda value: i18n.format_date(value)
templates.env.filters["number"] = lambda value: i18n.format_number(value)


def render(
    request: Request,
    template: str,
    user: WebUser | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``user``; a notice left by the previous action (a redirect after
    POST) is shown once."""
    token = request.cookies.get(SESSION_COOKIE, "")
    flash = request.cookies.get(FLASH_COOKIE)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf_token": csrf_token_for(token) if token else "",
            "flash": unquote(flash) if flash else None,
            **context,
        },
        status_code=status_code,
    )
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
