"""Which language a request is answered in, and the user's switch between languages.

A browser that logged in carries the user's choice in a cookie (set at login from the user's
setting, and by the switch); otherwise the ``Accept-Language`` header decides. The API's replies
follow the same rule, so a validation message reaches the page in the page's language.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from erpsync import i18n
from erpsync.crm import tokens, users
from erpsync.crm.db import begin_write

from .session import CSRF_FIELD, SESSION_COOKIE, csrf_matches, safe_next

__all__ = ["LANGUAGE_COOKIE", "LanguageMiddleware", "remember_language", "router"]

LANGUAGE_COOKIE = "erpsync_lang"

router = APIRouter(include_in_schema=False)


class LanguageMiddleware:
    """Sets the request's language (a context variable) before anything of it runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            chosen = i18n.supported_language(request.cookies.get(LANGUAGE_COOKIE))
            with i18n.use_language(chosen or i18n.negotiate(request.headers.get("accept-language"))):
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def remember_language(response: Response, language: str | None) -> None:
    """Keep the user's language for the browser; without one, the browser's own decides."""
    chosen = i18n.supported_language(language)
    if chosen is None:
        response.delete_cookie(LANGUAGE_COOKIE, path="/")
    else:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", path="/")


@router.post("/language")
def switch_language(
    request: Request,
    language: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Switch the page language; a logged-in user's setting changes with it."""
    response = RedirectResponse(safe_next(next), status_code=303)
    chosen = i18n.supported_language(language)
    if chosen is None:
        return response
    token = request.cookies.get(SESSION_COOKIE)
    if token and csrf_matches(token, csrf_token):
        with request.app.state.session_factory() as session:
            begin_write(session)
            user = tokens.user_for_token(session, token)
            if user is not None:
                users.update_user(session, user.id, language=chosen)
            session.commit()
    remember_language(response, chosen)
    return response
