"""Who is looking at the page: the session cookie's user, or a redirect to the login page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from erpsync.crm import tokens
from erpsync.crm.users import UserRecord
from erpsync.i18n import gettext

from .session import SESSION_COOKIE

__all__ = ["AdminPage", "LoginRequired", "UserPage", "WebUser", "page_user", "sessions_of"]

WebUser = UserRecord


class LoginRequired(HTTPException):
    """Raised by a page dependency; the handler answers with a redirect to ``/login``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(status_code=303, detail="login required")
        self.next_url = next_url


def sessions_of(request: Request) -> Session:
    session: Session = request.app.state.session_factory()
    return session


def optional_user(request: Request) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with request.app.state.session_factory() as session:
        return tokens.user_for_token(session, token)


def page_user(request: Request) -> WebUser:
    user = optional_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(quote(target, safe=""))
    return user


class NotAdmin(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=403, detail=gettext("Only an administrator may open this page."))


def admin_page_user(user: Annotated[WebUser, Depends(page_user)]) -> WebUser:
    if not user.is_admin:
        raise NotAdmin()
    return user


UserPage = Annotated[WebUser, Depends(page_user)]
AdminPage = Annotated[WebUser, Depends(admin_page_user)]
