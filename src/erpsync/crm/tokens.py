"""Bearer tokens of the API: random, stored as a SHA-256 hash, with an expiry, revocable.

A token is 256 random bits, so a fast hash is enough: there is nothing to guess or brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .db import utcnow
from .models import ApiToken, User
from .users import UserRecord, get_user

__all__ = [
    "IssuedToken",
    "issue_token",
    "purge_expired_tokens",
    "revoke_token",
    "revoke_user_tokens",
    "user_for_token",
]

MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once, never stored
    expires_at: datetime


def issue_token(session: Session, user_id: int, lifetime: timedelta) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + lifetime
    session.add(ApiToken(user_id=user_id, token_hash=_digest(token), created_at=now, expires_at=expires_at))
    session.flush()
    return IssuedToken(token=token, expires_at=expires_at)


def user_for_token(session: Session, token: str) -> UserRecord | None:
    """The active user a live (unexpired, unrevoked) token belongs to, else ``None``."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.scalar(
        select(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == _digest(token),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
            User.is_active.is_(True),
        )
    )
    return None if row is None else get_user(session, row.user_id)


def revoke_token(session: Session, token: str) -> bool:
    """Revoke one token; ``False`` when it was unknown or already revoked."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_user_tokens(session: Session, user_id: int) -> int:
    """Revoke every live token of a user (password change, deactivation); returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_expired_tokens(session: Session) -> int:
    result = session.execute(delete(ApiToken).where(ApiToken.expires_at <= utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
