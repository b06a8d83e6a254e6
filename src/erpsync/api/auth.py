"""``/api/v1/auth``: trading a user name and password for a bearer token, and giving it back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from erpsync.crm import tokens, users
from erpsync.crm.db import begin_write
from erpsync.crm.texts import _
from erpsync.settings import Settings

from .dependencies import CurrentUser, DbSession, bearer_token, get_settings
from .errors import Unauthorized, error_responses
from .schemas import TokenReply, TokenRequest, UserReply

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenReply, responses=error_responses(401, 422))
def create_token(
    body: TokenRequest, session: DbSession, settings: Annotated[Settings, Depends(get_settings)]
) -> TokenReply:
    """Log in: a bearer token for the user, valid for the configured lifetime."""
    begin_write(session)
    user = users.authenticate(session, body.username, body.password)
    if user is None:
        raise Unauthorized(_("Wrong user name or password, or the user is deactivated."))
    issued = tokens.issue_token(session, user.id, settings.token_lifetime)
    return TokenReply(access_token=issued.token, expires_at=issued.expires_at)


@router.delete(
    "/token", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=error_responses(401)
)
def revoke_token(user: CurrentUser, session: DbSession, token: Annotated[str, Depends(bearer_token)]) -> None:
    """Log out: revoke the token this request was sent with."""
    begin_write(session)
    tokens.revoke_token(session, token)


@router.get("/me", response_model=UserReply, responses=error_responses(401))
def who_am_i(user: CurrentUser) -> UserReply:
    return UserReply.of(user)
