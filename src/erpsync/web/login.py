"""``/login`` and ``/logout``: trading a user name and password for the session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from erpsync.crm import tokens, users
from erpsync.crm.db import begin_write
from erpsync.i18n import gettext
from erpsync.settings import Settings

from .language import remember_language
from .session import CSRF_FIELD, SESSION_COOKIE, csrf_matches, safe_next
from .templating import render
from .users import optional_user

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    if optional_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", None, next=safe_next(next), username="", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings: Settings = request.app.state.settings
    with request.app.state.session_factory() as session:
        begin_write(session)
        user = users.authenticate(session, username, password) if username and password else None
        if user is None:
            session.rollback()
            return render(
                request,
                "login.html",
                None,
                status_code=401,
                next=safe_next(next),
                username=username,
                error=gettext("Wrong user name or password, or the user is deactivated."),
            )
        issued = tokens.issue_token(session, user.id, settings.token_lifetime)
        session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    remember_language(response, user.language)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(settings.token_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and csrf_matches(token, csrf_token):
        with request.app.state.session_factory() as session:
            begin_write(session)
            tokens.revoke_token(session, token)
            session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
