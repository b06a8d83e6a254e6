"""Rendering a page: the Jinja2 environment and what every template can use."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from erpsync import __version__

from .session import SESSION_COOKIE, csrf_token_for
from .users import WebUser

__all__ = ["FLASH_COOKIE", "render", "templates"]

FLASH_COOKIE = "erpsync_flash"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["version"] = __version__


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
