"""Request-scoped dependencies: the database session and the logged-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from erpsync.crm import tokens
from erpsync.crm.texts import _
from erpsync.crm.users import UserRecord
from erpsync.settings import Settings
from erpsync.web.session import CSRF_HEADER, SESSION_COOKIE, csrf_matches

from .errors import Forbidden, Unauthorized

__all__ = ["AdminUser", "CurrentUser", "DbSession", "bearer_token", "get_settings"]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token.")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for the request, committed when the endpoint returns normally (before the reply
    is sent), rolled back when it raises."""
    with request.app.state.session_factory() as session:
        yield session
        session.commit()


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token, or for the web pages' ``fetch`` calls the session cookie, which counts only
    with the matching CSRF header."""
    if credentials is not None and credentials.scheme.lower() == "bearer" and credentials.credentials:
        return credentials.credentials
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and csrf_matches(cookie, request.headers.get(CSRF_HEADER)):
        return cookie
    raise Unauthorized()


def current_user(session: DbSession, token: Annotated[str, Depends(bearer_token)]) -> UserRecord:
    user = tokens.user_for_token(session, token)
    # End the read so that a writing endpoint can begin its own transaction as a writer.
    session.commit()
    if user is None:
        raise Unauthorized(_("The bearer token is unknown, expired or revoked."))
    return user


def admin_user(user: Annotated[UserRecord, Depends(current_user)]) -> UserRecord:
    if not user.is_admin:
        raise Forbidden(_("Only an administrator may do this."))
    return user


CurrentUser = Annotated[UserRecord, Depends(current_user)]
AdminUser = Annotated[UserRecord, Depends(admin_user)]
